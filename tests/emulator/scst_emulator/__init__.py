"""A faithful emulator of SCST's sysfs management tree (/sys/kernel/scst_tgt).

Test tool of the scst.iscsi collection, not shipped in the built collection.
Main entry points:

* :class:`ScstEmulator` - the state machine with path based I/O and fault
  switches;
* :class:`InProcessBackend` - the sysfs backend contract used by the
  collection's module_utils, served by an emulator;
* ``python -m scst_emulator mount MOUNTPOINT`` - the same state machine as a
  FUSE filesystem (see ``fusefs.py`` and ``cli.py``).
"""

from .backend import InProcessBackend
from .config import BackingStore, EmulatorConfig, parse_scsi_device
from .emulator import ScstEmulator
from .errors import ScstError
from .model import ScsiDeviceSpec

__all__ = ["ScstEmulator", "InProcessBackend", "EmulatorConfig", "BackingStore",
           "ScsiDeviceSpec", "ScstError", "parse_scsi_device"]
