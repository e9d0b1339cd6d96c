"""Fixtures of the multipath scenario's testinfra verifier.

The tests reach both guests through molecule's inventory: the initiator,
where the role ran and where the map is, and the LIO target, whose second
link the failover test takes down (tests/vm/lab_testinfra.py).
"""

import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[3] / "tests" / "vm"))
from lab_testinfra import initiator, lab, target  # noqa: E402,F401  pylint: disable=wrong-import-position,unused-import
