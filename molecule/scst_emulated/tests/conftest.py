"""Fixtures of the scst_emulated scenario's testinfra verifier: the guest
where the role ran against the SCST sysfs emulator, and the scenario's
variables (tests/vm/lab_testinfra.py)."""

import pathlib
import sys

import pytest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[3] / "tests" / "vm"))
from lab_testinfra import lab, target  # noqa: E402,F401  pylint: disable=wrong-import-position,unused-import


@pytest.fixture(scope="session")
def host(target):  # pylint: disable=redefined-outer-name
    return target


@pytest.fixture(scope="session")
def root(lab):  # pylint: disable=redefined-outer-name
    return lab["scst_target_sysfs_root"]


@pytest.fixture(scope="session")
def iscsi(lab):  # pylint: disable=redefined-outer-name
    return lab["scst_target_config"]["drivers"]["iscsi"]
