"""Shared fixtures: an emulator, its in-process backend, the live lab state."""

import os
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))   # tests/emulator -> scst_emulator
sys.path.insert(0, HERE)                    # livedump, labsetup

from scst_emulator import InProcessBackend, ScstEmulator  # noqa: E402

import labsetup  # noqa: E402


@pytest.fixture
def emu():
    return ScstEmulator()


@pytest.fixture
def sysfs(emu):
    return InProcessBackend(emu)


@pytest.fixture
def lab():
    """An emulator holding the configuration of the live dump."""
    return labsetup.build_lab()
