"""Fixtures of the initiator scenario's testinfra verifier.

The tests reach both guests through molecule's inventory: the initiator,
where the role ran, and the LIO target, to see the sessions from the other
end of the wire (tests/vm/lab_testinfra.py).
"""

import pathlib
import sys

import pytest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[3] / "tests" / "vm"))
from lab_testinfra import initiator, lab, target  # noqa: E402,F401  pylint: disable=wrong-import-position,unused-import


@pytest.fixture(scope="session")
def portal(lab):  # pylint: disable=redefined-outer-name
    return lab["lab_portal"]
