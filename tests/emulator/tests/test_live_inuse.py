"""Behaviour measured with a logged-in initiator (in-use.log, scstadmin.log)."""

from emu_helpers import err_of
from labsetup import INITIATOR, TGT, build_lab

CM = "targets/copy_manager/copy_manager_tgt/luns"


def test_in_use_changes_follow_the_live_log():
    emu = build_lab()
    # a) resize blockio while exported and a session is active
    for size in ("1024", "4096", "2048"):
        assert err_of(emu, "devices/blk1/size_mb", size + "\n") == "OK"
    assert emu.read("devices/blk1/size") == "2147483648\n[key]\n"
    # b) grow the fileio backing file, then resync_size
    emu.add_backing("/srv/scst/disk1.img", 314572800, "file")
    assert err_of(emu, "devices/disk1/resync_size", "1\n") == "OK"
    assert emu.read("devices/disk1/size_mb") == "300\n"
    # c) delete a group LUN in use and add it again
    assert err_of(emu, f"{TGT}/ini_groups/lab_hosts/luns/mgmt", "del 2\n") == "OK"
    assert err_of(emu, f"{TGT}/ini_groups/lab_hosts/luns/mgmt", "add blkloop 2\n") == "OK"
    # d) del_device of an exported device; re-creation gets the next CM LUN
    assert err_of(emu, "handlers/vdisk_blockio/mgmt", "del_device blkloop\n") == "OK"
    assert "2" not in emu.listdir(f"{TGT}/ini_groups/lab_hosts/luns")
    assert err_of(emu, "handlers/vdisk_blockio/mgmt",
                  "add_device blkloop filename=/dev/loop0\n") == "OK"
    assert emu.readlink(f"{CM}/6/device") == "../../../../../devices/blkloop"
    # e) del_device during I/O and re-create: copy manager LUN 7
    assert err_of(emu, "handlers/vdisk_fileio/mgmt", "del_device disk1\n") == "OK"
    assert err_of(emu, "handlers/vdisk_fileio/mgmt",
                  "add_device disk1 filename=/srv/scst/disk1.img; nv_cache=1\n") == "OK"
    assert emu.readlink(f"{CM}/7/device") == "../../../../../devices/disk1"
    assert emu.read("devices/disk1/size_mb") == "300\n"
    # f) disabling a target keeps its session; g) del_target is refused
    assert err_of(emu, f"{TGT}/enabled", "0\n") == "OK"
    assert emu.listdir(f"{TGT}/sessions") == [INITIATOR]
    assert err_of(emu, f"{TGT}/enabled", "1\n") == "OK"
    assert err_of(emu, "targets/iscsi/mgmt", "del_target iqn.2026-11.test.lab:tgt1\n") == "EBUSY"
    assert int(emu.read("last_sysfs_mgmt_res")) == -16


def test_scstadmin_clear_and_restore_copy_manager_luns():
    emu = build_lab()
    sess = f"{TGT}/sessions/{INITIATOR}"
    emu.write(f"{sess}/force_close", "1\n")
    emu.write(f"{CM}/mgmt", "clear\n")
    emu.write(f"{TGT}/ini_groups/lab_hosts/initiators/mgmt", "clear\n")
    emu.write(f"{TGT}/ini_groups/lab_hosts/luns/mgmt", "clear\n")
    emu.write(f"{TGT}/ini_groups/mgmt", "del lab_hosts\n")
    emu.write(f"{TGT}/luns/mgmt", "clear\n")
    emu.write("targets/iscsi/mgmt", "del_target iqn.2026-11.test.lab:tgt1\n")
    for handler, dev in (("vdisk_blockio", "blk1"), ("vdisk_blockio", "blkloop"),
                         ("vdisk_fileio", "disk1"), ("vdisk_nullio", "null1")):
        emu.write(f"handlers/{handler}/mgmt", f"del_device {dev}\n")
    emu.write("targets/iscsi/enabled", "0\n")
    assert emu.listdir("devices") == ["2:0:0:0"]
    assert emu.listdir(f"{CM}") == ["mgmt"]
    # -config: devices first (automatic CM LUNs continue the rotating counter) ...
    emu.write("handlers/vdisk_blockio/mgmt", "add_device blk1 filename=/dev/vdb\n")
    emu.write("handlers/vdisk_fileio/mgmt", "add_device disk1 filename=/srv/scst/disk1.img\n")
    assert sorted(emu.listdir(CM), key=lambda n: (len(n), n)) == ["6", "7", "mgmt"]
    # ... then the copy_manager LUNs of the saved configuration are added
    for lun, dev in ((0, "disk1"), (2, "blk1")):
        assert err_of(emu, f"{CM}/mgmt", f"add {dev} {lun}\n") == "OK"
