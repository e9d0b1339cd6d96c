"""Fixtures: an emulated SCST, and a way to run a module's main() against it
(see scst_unit_support.py)."""

from __future__ import annotations

import pytest

from scst_emulator import ScstEmulator
from scst_unit_support import Runner


@pytest.fixture
def emu():
    return ScstEmulator()


@pytest.fixture
def run(emu, monkeypatch, tmp_path):
    return Runner(emu, monkeypatch, tmp_path)
