# Copyright: scst.iscsi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Test support for the multipath side of the initiator: a /sys/block look-alike with disks
and dm-multipath maps, a session tree with several paths, and a replaying command runner
for multipathd and sg_readcap.

The sysfs layout is the kernel's (6.1): /sys/block/sdX/{size,device/state,device/wwid},
/sys/block/dm-N/{size,dm/name,dm/uuid,slaves/sdX}; sizes in 512-byte sectors.
"""

from __future__ import annotations

import os
from pathlib import Path

TARGET = "iqn.2026-11.test.lab:tgt1"
WWID_DATA = "2613863313635372d"   # EUI-64 of the lab's blk1 (lsscsi -i)
WWID_LOGS = "26238666462643332"   # EUI-64 of the lab's disk1
GIB = 1024 ** 3


class SysBlock:
    """/sys/block below ``sys_root``."""

    def __init__(self, sys_root: str):
        self.root = Path(sys_root, "block")
        self.root.mkdir(parents=True, exist_ok=True)

    def disk(self, name: str, *, size: int = GIB, state: str = "running", kernel_wwid: str | None = None):
        device = self.root / name / "device"
        device.mkdir(parents=True, exist_ok=True)
        self.set_size(name, size)
        self.set_state(name, state)
        if kernel_wwid is not None:
            (device / "wwid").write_text(kernel_wwid + "\n")
        return self

    def set_size(self, name: str, size: int):
        assert size % 512 == 0
        (self.root / name / "size").write_text("{0}\n".format(size // 512))

    def set_state(self, name: str, state: str):
        (self.root / name / "device" / "state").write_text(state + "\n")

    def map(self, dm: str, *, name: str, wwid: str, paths, size: int = GIB, uuid_prefix: str = "mpath-"):
        (self.root / dm / "dm").mkdir(parents=True, exist_ok=True)
        (self.root / dm / "slaves").mkdir(exist_ok=True)
        (self.root / dm / "dm" / "name").write_text(name + "\n")
        (self.root / dm / "dm" / "uuid").write_text(uuid_prefix + wwid + "\n")
        self.set_size(dm, size)
        for path in paths:
            os.symlink("../../" + path, str(self.root / dm / "slaves" / path))
        return self

    def size(self, name: str) -> int:
        return int((self.root / name / "size").read_text()) * 512


def session_tree(sessions) -> str:
    """``iscsiadm -m session -P 3`` for sessions ``(sid, target, portal, iface, host, [(lun, disk)])``,
    in the layout of open-iscsi 2.1.8 (the lines the parser reads)."""
    lines = ["iSCSI Transport Class version 2.0-870", "version 2.1.8"]
    for sid, target, portal, iface, host, disks in sessions:
        lines += ["Target: {0} (non-flash)".format(target),
                  "\tCurrent Portal: {0},1".format(portal),
                  "\tPersistent Portal: {0},1".format(portal),
                  "\t\t**********", "\t\tInterface:", "\t\t**********",
                  "\t\tIface Name: {0}".format(iface), "\t\tIface Transport: tcp",
                  "\t\tIface Initiatorname: iqn.2026-11.test.lab:initiator",
                  "\t\tSID: {0}".format(sid),
                  "\t\tiSCSI Connection State: LOGGED IN", "\t\tiSCSI Session State: LOGGED_IN",
                  "\t\t************************", "\t\tAttached SCSI devices:", "\t\t************************",
                  "\t\tHost Number: {0}\tState: running".format(host)]
        for lun, disk in disks:
            lines.append("\t\tscsi{0} Channel 00 Id 0 Lun: {1}".format(host, lun))
            if disk:
                lines.append("\t\t\tAttached scsi disk {0}\t\tState: running".format(disk))
    return "\n".join(lines) + "\n"


# Two paths to tgt1, one per iface and portal; LUN 0 and LUN 1 on each.
TWO_PATHS = [
    (3, TARGET, "192.168.77.10:3260", "path0", 6, [(0, "sda"), (1, "sdb")]),
    (4, TARGET, "192.168.78.10:3260", "path1", 7, [(0, "sdc"), (1, "sdd")]),
]
SESSIONS_TWO_PATHS = ("tcp: [3] 192.168.77.10:3260,1 iqn.2026-11.test.lab:tgt1 (non-flash)\n"
                      "tcp: [4] 192.168.78.10:3260,1 iqn.2026-11.test.lab:tgt1 (non-flash)\n")


class FakeCommands:
    """Replays answers of commands other than iscsiadm, keyed by the argument list without the
    binary's directory. An answer may be a callable (run for its side effect on the fake sysfs)
    returning ``(rc, out, err)``. An unexpected command fails the test."""

    def __init__(self):
        self.answers = {}
        self.calls = []
        self.iscsiadm_effects = {}  # iscsiadm argument tuple -> what the call does to the fake sysfs

    def after_iscsiadm(self, *args, effect):
        self.iscsiadm_effects[tuple(args)] = effect
        return self

    def on(self, *argv, rc: int = 0, out: str = "", err: str = "", effect=None):
        self.answers.setdefault(tuple(argv), []).append((rc, out, err, effect))
        return self

    def __call__(self, argv):
        key = (os.path.basename(str(argv[0])),) + tuple(str(arg) for arg in argv[1:])
        self.calls.append(key)
        queue = self.answers.get(key)
        if not queue:
            raise AssertionError("unexpected command: {0}".format(" ".join(key)))
        rc, out, err, effect = queue.pop(0) if len(queue) > 1 else queue[0]
        if effect is not None:
            effect()
        return rc, out, err


def route_commands(monkeypatch, iscsiadm_fake, fake: FakeCommands, binaries=("multipathd", "sg_readcap")):
    """Make AnsibleModule find ``binaries`` and send their calls to ``fake`` (iscsiadm still goes
    to ``iscsiadm_fake``). Call after the ``run_module`` fixture has patched AnsibleModule."""
    from ansible.module_utils import basic

    from iscsi_unit_support import ISCSIADM

    def run_command(self, args, **kwargs):
        if str(args[0]).endswith("iscsiadm"):
            answer = iscsiadm_fake(list(args), environ_update=kwargs.get("environ_update"))
            effect = fake.iscsiadm_effects.get(tuple(str(arg) for arg in args[1:]))
            if effect is not None and answer[0] == 0:
                effect()
            return answer
        return fake(list(args))

    def get_bin_path(self, arg, required=False, opt_dirs=None):
        if arg == "iscsiadm":
            return ISCSIADM
        if arg in binaries:
            return "/usr/sbin/" + arg
        if required:
            self.fail_json(msg="Failed to find required executable \"{0}\"".format(arg))
        return None

    monkeypatch.setattr(basic.AnsibleModule, "run_command", run_command)
    monkeypatch.setattr(basic.AnsibleModule, "get_bin_path", get_bin_path)
    return fake
