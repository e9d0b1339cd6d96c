"""Rebuild the lab configuration of the live measurements in an emulator.

The commands are the successful ones of the live mgmt-writes log, in order,
so export numbers and copy-manager LUN numbers come out as in the dump.
"""

from scst_emulator import ScstEmulator

TGT = "targets/iscsi/iqn.2026-11.test.lab:tgt1"
INITIATOR = "iqn.2026-11.test.lab:initiator"

LAB_WRITES = [
    ("handlers/vdisk_fileio/mgmt", "add_device disk1 filename=/srv/scst/disk1.img; nv_cache=1"),
    ("handlers/vdisk_fileio/mgmt", "add_device disk5 filename=/srv/scst/spare.img; blocksize=1000"),
    ("handlers/vdisk_blockio/mgmt", "add_device blk1 filename=/dev/vdb"),
    ("handlers/vdisk_blockio/mgmt", "add_device blkloop filename=/dev/loop0"),
    ("handlers/vdisk_nullio/mgmt", "add_device null1 size_mb=1024"),
    ("targets/iscsi/mgmt", "add_target iqn.2026-11.test.lab:tgt1"),
    (f"{TGT}/luns/mgmt", "add disk1 0"),
    (f"{TGT}/luns/mgmt", "add blk1 1"),
    (f"{TGT}/luns/mgmt", "add disk1 2"),
    (f"{TGT}/luns/mgmt", "del 2"),
    (f"{TGT}/ini_groups/mgmt", "create lab_hosts"),
    (f"{TGT}/ini_groups/mgmt", "create other_hosts"),
    (f"{TGT}/ini_groups/lab_hosts/initiators/mgmt", f"add {INITIATOR}"),
    (f"{TGT}/ini_groups/other_hosts/initiators/mgmt", f"add {INITIATOR}"),
    (f"{TGT}/ini_groups/lab_hosts/initiators/mgmt", "add iqn.2026-11.test.lab:*wild*"),
    (f"{TGT}/ini_groups/lab_hosts/luns/mgmt", "add blk1 0"),
    (f"{TGT}/ini_groups/lab_hosts/luns/mgmt", "add disk1 1"),
    (f"{TGT}/ini_groups/lab_hosts/luns/mgmt", "add blkloop 2"),
    (f"{TGT}/ini_groups/mgmt", "del other_hosts"),
    ("targets/iscsi/mgmt",
     "add_target_attribute iqn.2026-11.test.lab:tgt1 IncomingUser labuser secret12chars"),
    (f"{TGT}/enabled", "1"),
    ("targets/iscsi/enabled", "1"),
    ("handlers/vdisk_nullio/mgmt", "add_device tmpdev size_mb=16"),
    ("targets/iscsi/mgmt", "add_target iqn.2026-11.test.lab:tmptgt"),
    ("targets/iscsi/iqn.2026-11.test.lab:tmptgt/luns/mgmt", "add tmpdev 0"),
    ("targets/iscsi/iqn.2026-11.test.lab:tmptgt/enabled", "1"),
    ("handlers/vdisk_nullio/mgmt", "del_device tmpdev"),
    ("targets/iscsi/mgmt", "del_target iqn.2026-11.test.lab:tmptgt"),
    ("handlers/vdisk_fileio/mgmt", "del_device disk5"),
]


def lab_emulator() -> ScstEmulator:
    emu = ScstEmulator()
    emu.add_backing("/srv/scst/disk1.img", 268435456, "file")
    emu.add_backing("/srv/scst/spare.img", 67108864, "file")
    emu.add_backing("/srv/scst/loop.img", 134217728, "file")
    emu.add_backing("/dev/vdb", 2147483648, "block")
    emu.add_backing("/dev/loop0", 134217728, "block")
    emu.set_missing_file("/nonexistent/file.img")
    return emu


def build_lab(emu=None) -> ScstEmulator:
    emu = emu or lab_emulator()
    for path, data in LAB_WRITES:
        emu.write(path, data + "\n")
    emu.add_session("iscsi", "iqn.2026-11.test.lab:tgt1", INITIATOR,
                    ip="192.168.77.20", target_ip="192.168.77.10")
    return emu
