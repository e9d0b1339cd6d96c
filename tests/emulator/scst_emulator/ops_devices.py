"""Device level operations: handler mgmt, registration, deletion, LUN plumbing.

Kept separate from the tree so the side effects spelled out in spec 4.1/4.2
and 5.1/5.6 (copy-manager LUNs, export numbering, LUN removal on deletion)
live in one place and are shared by every path that creates or drops LUNs.
"""

from __future__ import annotations

import re

from .errors import EINVAL, fail
from .lexer import Cursor
from .model import Device, Lun
from .vdisk import add_vdisk

MAX_LUN = 16383
CM_DRIVER, CM_TARGET, CM_SESSION = "copy_manager", "copy_manager_tgt", "copy_manager_sess"
_HCTL = re.compile(r"^(\d+):(\d+):(\d+):(\d+)$")


class DeviceOps:
    """Mixin for :class:`~scst_emulator.emulator.ScstEmulator`."""

    # ------------------------------------------------------------ lookups --

    def lun_sets(self):
        """Yield (target, group-or-None, luns dict) for every LUN set."""
        for targets in self.state.targets.values():
            for tgt in targets.values():
                yield tgt, None, tgt.luns
                for grp in tgt.groups.values():
                    yield tgt, grp, grp.luns

    def lun_path(self, tgt, grp, lun_no: int) -> str:
        base = f"targets/{tgt.driver}/{tgt.sysfs_name}"
        if grp is not None:
            base += f"/ini_groups/{grp.name}"
        return f"{base}/luns/{lun_no}"

    def device_exports(self, dev: Device):
        """(export number, LUN path) of every LUN that references ``dev``."""
        out = []
        for tgt, grp, luns in self.lun_sets():
            for no, lun in luns.items():
                if lun.device == dev.name:
                    out.append((lun.export_no, self.lun_path(tgt, grp, no)))
        return sorted(out)

    def device_is_exported(self, dev: Device) -> bool:
        """True when a session uses the device (spec 5.7)."""
        for targets in self.state.targets.values():
            for tgt in targets.values():
                for sess in tgt.sessions.values():
                    luns = self.session_luns(tgt, sess)
                    if any(l.device == dev.name for l in luns.values()):
                        return True
        return False

    # ------------------------------------------------------------ LUN ops --

    def new_lun(self, dev: Device, read_only: bool) -> Lun:
        """A LUN object with the next export number of the device."""
        lun = Lun(dev.name, read_only, dev.export_counter)
        dev.export_counter += 1
        return lun

    # ----------------------------------------------------- registration ----

    def register_device(self, dev: Device) -> None:
        self.state.devices[dev.name] = dev
        if dev.virtual and self.config.auto_cm_assignment:
            self._cm_assign(dev)

    def _cm_assign(self, dev: Device) -> None:
        """Give a new virtual device the next free copy-manager LUN."""
        cm = self.state.targets.get(CM_DRIVER, {}).get(CM_TARGET)
        if cm is None:
            return
        g = self.state.globals
        lun_no = g.cm_next_lun
        for _attempt in range(MAX_LUN + 1):
            if lun_no not in cm.luns:
                break
            lun_no = (lun_no + 1) % (MAX_LUN + 1)
        else:
            return
        cm.luns[lun_no] = self.new_lun(dev, False)
        g.cm_next_lun = (lun_no + 1) % (MAX_LUN + 1)

    def delete_device(self, dev: Device) -> None:
        """del_device side effects: LUNs everywhere, ALUA membership."""
        for _tgt, _grp, luns in self.lun_sets():
            for no in [n for n, lun in luns.items() if lun.device == dev.name]:
                del luns[no]
        for dg in self.state.device_groups.values():
            if dev.name in dg.devices:
                dg.devices.remove(dev.name)
        del self.state.devices[dev.name]

    # ------------------------------------------------------ handler mgmt --

    def handler_mgmt(self, handler, data: str) -> None:
        if handler.virtual:
            self._vdisk_mgmt(handler, data)
        else:
            self._passthrough_mgmt(handler, data)

    def _vdisk_mgmt(self, handler, data: str) -> None:
        cur = Cursor(data)
        verb = cur.lexem().lower()
        if verb == "add_device":
            add_vdisk(self, handler, cur)
        elif verb == "del_device":
            name = cur.lexem()
            if not name:
                fail(EINVAL, "device name required")
            if cur.lexem():
                fail(EINVAL, "too many parameters")
            dev = self.state.devices.get(name)
            # All vdisk handlers share one device list (spec 4.1).
            if dev is None or not dev.virtual:
                fail(EINVAL, f"Device {name} not found")
            self.delete_device(dev)
        else:
            fail(EINVAL, f'Unknown action "{verb}"')

    def _passthrough_mgmt(self, handler, data: str) -> None:
        cur = Cursor(data)
        verb = cur.lexem().lower()
        spec = cur.lexem()
        if not spec:
            fail(EINVAL, "H:C:I:L required")
        if cur.lexem():
            fail(EINVAL, "too many parameters")
        m = _HCTL.match(spec)
        if not m:
            fail(EINVAL, f"bad device spec {spec}")
        hctl = ":".join(str(int(x)) for x in m.groups())
        dev = self.state.devices.get(hctl)
        if dev is None or dev.virtual:
            fail(EINVAL, f"device {hctl} not found")
        if dev.scsi_type != handler.scsi_type:
            fail(EINVAL, "device type does not match the handler")
        if verb == "add_device":
            dev.handler = handler.name
        elif verb == "del_device":
            if dev.handler != handler.name:
                fail(EINVAL, "device is not assigned to this handler")
            dev.handler = None
        else:
            fail(EINVAL, f'Unknown action "{verb}"')
