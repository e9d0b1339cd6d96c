"""Fixtures of the scst scenario's testinfra verifier: the SCST target built
by scst_build on target1, and the initiator that uses it
(tests/vm/lab_testinfra.py)."""

import pathlib
import sys

import pytest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[3] / "tests" / "vm"))
from lab_testinfra import initiator, lab, target  # noqa: E402,F401  pylint: disable=wrong-import-position,unused-import


@pytest.fixture(scope="session")
def disk(lab):  # pylint: disable=redefined-outer-name
    return f"/dev/disk/by-path/ip-{lab['lab_portal']}:3260-iscsi-{lab['lab_target_iqn']}-lun-0"
