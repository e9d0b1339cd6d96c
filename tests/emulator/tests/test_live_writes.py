"""Replay of the 87 mgmt writes measured on a real SCST (mgmt-writes.log).

Each row: file, data written with ``echo`` (so a trailing newline is added),
expected result, expected ``last_sysfs_mgmt_res`` afterwards.  The replay
runs in order on one emulator that starts with iscsi-scstd down (rows 1-4)
and starts it before row 5, as the measurement did.
"""

import errno

import pytest

from labsetup import lab_emulator
from livedump import load_dump
from scst_emulator import ScstError

TGT = "iqn.2026-11.test.lab:tgt1"
X80 = "x" * 80
A250 = "a" * 250
A234 = "a" * 234

ROWS = [
    ('targets/iscsi/mgmt', 'add_target iqn.2026-11.test.lab:nodaemon', 'EPERM', -1),  # 1 add_target before daemon
    ('targets/iscsi/mgmt', 'del_target iqn.2026-11.test.lab:nodaemon', 'ENOENT', -2),  # 2 cleanup
    ('targets/iscsi/enabled', '1', 'ENOENT', -2),  # 3 enable iscsi driver before daemon
    ('targets/iscsi/enabled', '0', 'ENOENT', -2),  # 4 disable again
    ('handlers/vdisk_fileio/mgmt', 'add_device disk1 filename=/srv/scst/disk1.img; nv_cache=1', 'OK', 0),  # 5 fileio add
    ('handlers/vdisk_fileio/mgmt', 'add_device disk1 filename=/srv/scst/disk1.img', 'EEXIST', -17),  # 6 BAD duplicate name (same handler)
    ('handlers/vdisk_blockio/mgmt', 'add_device disk1 filename=/dev/vdb', 'EEXIST', -17),  # 7 BAD duplicate name (other handler)
    ('handlers/vdisk_fileio/mgmt', 'add_device disk2 filename=/nonexistent/file.img', 'ENOENT', -2),  # 8 BAD nonexistent backing file
    ('handlers/vdisk_fileio/mgmt', 'add_device disk3', 'EINVAL', -22),  # 9 BAD missing filename
    ('handlers/vdisk_fileio/mgmt', 'add_device disk4 filename=/srv/scst/spare.img; bogus_param=1', 'EINVAL', -22),  # 10 BAD unknown parameter
    ('handlers/vdisk_fileio/mgmt', 'add_device disk5 filename=/srv/scst/spare.img; blocksize=1000', 'OK', 0),  # 11 BAD blocksize 1000
    ('handlers/vdisk_fileio/mgmt', 'frobnicate disk1', 'EINVAL', -22),  # 12 BAD unknown command
    ('handlers/vdisk_fileio/mgmt', 'del_device nosuchdev', 'EINVAL', -22),  # 13 BAD delete nonexistent device
    ('handlers/vdisk_fileio/mgmt', f'add_device {X80} filename=/srv/scst/spare.img', 'EINVAL', -22),  # 14 BAD 80-char device name
    ('handlers/vdisk_fileio/mgmt', 'add_device disk1 filename=/srv/scst/disk1.img', 'EEXIST', -17),  # 15 BAD same name again (after errors)
    ('handlers/vdisk_blockio/mgmt', 'add_device blk1 filename=/dev/vdb', 'OK', 0),  # 16 blockio add (virtio disk)
    ('handlers/vdisk_blockio/mgmt', 'add_device blk2 filename=/dev/vdb', 'EBUSY', -16),  # 17 same block device under a 2nd name
    ('handlers/vdisk_blockio/mgmt', 'add_device blkloop filename=/dev/loop0', 'OK', 0),  # 18 blockio add (loop device)
    ('handlers/vdisk_blockio/mgmt', 'add_device blkfile filename=/srv/scst/spare.img', 'ENOTBLK', -15),  # 19 blockio on a regular FILE
    ('handlers/vdisk_nullio/mgmt', 'add_device null1 size_mb=1024', 'OK', 0),  # 20 nullio add
    ('targets/iscsi/mgmt', f'add_target {TGT}', 'OK', 0),  # 21 add_target
    ('targets/iscsi/mgmt', f'add_target {TGT}', 'EEXIST', -17),  # 22 BAD duplicate target
    ('targets/iscsi/mgmt', 'add_target', 'EINVAL', -22),  # 23 BAD IQN? no name
    ('targets/iscsi/mgmt', 'add_target foo', 'OK', 0),  # 24 BAD IQN? not an iqn/eui
    ('targets/iscsi/mgmt', 'del_target foo', 'OK', 0),  # 25 cleanup accepted name
    ('targets/iscsi/mgmt', 'add_target iqn.2026-11.test.lab:has space', 'EINVAL', -22),  # 26 BAD IQN? name with space
    ('targets/iscsi/mgmt', 'add_target IQN.2026-11.TEST.LAB:UPPER', 'OK', 0),  # 27 BAD IQN? upper case
    ('targets/iscsi/mgmt', 'del_target IQN.2026-11.TEST.LAB:UPPER', 'OK', 0),  # 28 cleanup accepted name
    ('targets/iscsi/mgmt', 'add_target iqn.2026-11.test.lab:slash/x', 'OK', 0),  # 29 BAD IQN? slash in name
    ('targets/iscsi/mgmt', f'add_target iqn.2026-11.test.lab:{A250}', 'OK', 0),  # 30 BAD IQN? name > 223 bytes
    ('targets/iscsi/mgmt', 'add_target eui.0123456789ABCDEF', 'OK', 0),  # 31 BAD IQN? eui format
    ('targets/iscsi/mgmt', 'del_target eui.0123456789ABCDEF', 'OK', 0),  # 32 cleanup accepted name
    ('targets/iscsi/mgmt', 'del_target iqn.2026-11.test.lab:nosuch', 'ENOENT', -2),  # 33 BAD delete nonexistent target
    (f'targets/iscsi/{TGT}/luns/mgmt', 'add disk1 0', 'OK', 0),  # 34 LUN 0 = disk1
    (f'targets/iscsi/{TGT}/luns/mgmt', 'add blk1 0', 'EEXIST', -17),  # 35 BAD LUN 0 already used
    (f'targets/iscsi/{TGT}/luns/mgmt', 'add nosuchdev 1', 'EINVAL', -22),  # 36 BAD nonexistent device
    (f'targets/iscsi/{TGT}/luns/mgmt', 'add blk1 1', 'OK', 0),  # 37 LUN 1 = blk1
    (f'targets/iscsi/{TGT}/luns/mgmt', 'add disk1 2', 'OK', 0),  # 38 same device twice in one target
    (f'targets/iscsi/{TGT}/luns/mgmt', 'add null1 abc', 'EINVAL', -22),  # 39 BAD non-numeric LUN
    (f'targets/iscsi/{TGT}/luns/mgmt', 'add null1 70000', 'EINVAL', -22),  # 40 BAD LUN 70000 (> 16383)
    (f'targets/iscsi/{TGT}/luns/mgmt', 'del 9', 'EINVAL', -22),  # 41 BAD delete unused LUN
    (f'targets/iscsi/{TGT}/luns/mgmt', 'add null1 2 read_only=1', 'EEXIST', -17),  # 42 LUN 2 with read_only=1 (if disk1@2 faile
    (f'targets/iscsi/{TGT}/luns/mgmt', 'del 2', 'OK', 0),  # 43 delete LUN 2
    (f'targets/iscsi/{TGT}/ini_groups/mgmt', 'create lab_hosts', 'OK', 0),  # 44 create group
    (f'targets/iscsi/{TGT}/ini_groups/mgmt', 'create lab_hosts', 'EEXIST', -17),  # 45 BAD duplicate group
    (f'targets/iscsi/{TGT}/ini_groups/mgmt', 'create other_hosts', 'OK', 0),  # 46 second group
    (f'targets/iscsi/{TGT}/ini_groups/mgmt', 'del nosuchgroup', 'EINVAL', -22),  # 47 BAD delete nonexistent group
    (f'targets/iscsi/{TGT}/ini_groups/lab_hosts/initiators/mgmt', 'add iqn.2026-11.test.lab:initiator', 'OK', 0),  # 48 add initiator
    (f'targets/iscsi/{TGT}/ini_groups/lab_hosts/initiators/mgmt', 'add iqn.2026-11.test.lab:initiator', 'EEXIST', -17),
    # 49 BAD duplicate initiator in same group (comment of the entry above)
    (f'targets/iscsi/{TGT}/ini_groups/other_hosts/initiators/mgmt', 'add iqn.2026-11.test.lab:initiator', 'OK', 0),  # 50 BAD same initiator in 2nd group
    (f'targets/iscsi/{TGT}/ini_groups/lab_hosts/initiators/mgmt', 'add iqn.2026-11.test.lab:*wild*', 'OK', 0),  # 51 wildcard initiator pattern
    (f'targets/iscsi/{TGT}/ini_groups/lab_hosts/initiators/mgmt', 'del iqn.2026-11.test.lab:nosuch', 'EINVAL', -22),  # 52 BAD delete nonexistent initiator
    (f'targets/iscsi/{TGT}/ini_groups/lab_hosts/luns/mgmt', 'add blk1 0', 'OK', 0),  # 53 group LUN 0 = blk1
    (f'targets/iscsi/{TGT}/ini_groups/lab_hosts/luns/mgmt', 'add disk1 1', 'OK', 0),  # 54 group LUN 1 = disk1
    (f'targets/iscsi/{TGT}/ini_groups/lab_hosts/luns/mgmt', 'add blkloop 2', 'OK', 0),  # 55 group LUN 2 = blkloop
    (f'targets/iscsi/{TGT}/ini_groups/lab_hosts/luns/mgmt', 'add disk1 1', 'EEXIST', -17),  # 56 BAD group LUN 1 already used
    (f'targets/iscsi/{TGT}/ini_groups/lab_hosts/luns/mgmt', 'add nosuchdev 5', 'EINVAL', -22),  # 57 BAD group LUN nonexistent device
    (f'targets/iscsi/{TGT}/ini_groups/mgmt', 'del other_hosts', 'OK', 0),  # 58 delete 2nd group
    ('targets/iscsi/mgmt', f'add_target_attribute {TGT} IncomingUser labuser secret12chars', 'OK', 0),  # 59 IncomingUser
    ('targets/iscsi/mgmt', f'add_target_attribute {TGT} IncomingUser labuser secret12chars', 'EINVAL', -22),  # 60 IncomingUser duplicate
    ('targets/iscsi/mgmt', f'add_target_attribute {TGT} IncomingUser shortuser short', 'EINVAL', -22),  # 61 IncomingUser 5-char secret
    ('targets/iscsi/mgmt', f'del_target_attribute {TGT} IncomingUser shortuser', 'ENOENT', -2),  # 62 cleanup
    ('targets/iscsi/mgmt', f'add_target_attribute {TGT} IncomingUser nosecret', 'EINVAL', -22),  # 63 BAD IncomingUser without secret
    ('targets/iscsi/mgmt', 'add_target_attribute iqn.2026-11.test.lab:nosuch IncomingUser u secret12chars', 'ENOENT', -2),  # 64 BAD attr on nonexistent target
    ('targets/iscsi/mgmt', f'add_target_attribute {TGT} BogusAttr x', 'EINVAL', -22),  # 65 BAD unknown target attribute
    ('targets/iscsi/mgmt', f'add_target_attribute {TGT} allowed_portal 192.168.77.10', 'OK', 0),  # 66 allowed_portal
    ('targets/iscsi/mgmt', f'del_target_attribute {TGT} allowed_portal 192.168.77.10', 'OK', 0),  # 67 remove allowed_portal
    ('targets/iscsi/mgmt', 'add_attribute IncomingUser discuser discsecret123', 'OK', 0),  # 68 driver-level IncomingUser (discovery CHA
    ('targets/iscsi/mgmt', 'del_attribute IncomingUser discuser', 'OK', 0),  # 69 remove driver-level IncomingUser
    (f'targets/iscsi/{TGT}/enabled', '1', 'OK', 0),  # 70 enable target
    ('targets/iscsi/enabled', '1', 'OK', 0),  # 71 enable iscsi driver
    (f'targets/iscsi/{TGT}/enabled', '2', 'EINVAL', 0),  # 72 BAD enabled=2
    ('handlers/vdisk_nullio/mgmt', 'add_device tmpdev size_mb=16', 'OK', 0),  # 73 throwaway nullio device
    ('targets/iscsi/mgmt', 'add_target iqn.2026-11.test.lab:tmptgt', 'OK', 0),  # 74 throwaway target
    ('targets/iscsi/iqn.2026-11.test.lab:tmptgt/luns/mgmt', 'add tmpdev 0', 'OK', 0),  # 75 export tmpdev
    ('targets/iscsi/iqn.2026-11.test.lab:tmptgt/enabled', '1', 'OK', 0),  # 76 enable throwaway target
    ('handlers/vdisk_nullio/mgmt', 'del_device tmpdev', 'OK', 0),  # 77 del_device while still exported as a LUN
    ('targets/iscsi/mgmt', 'del_target iqn.2026-11.test.lab:tmptgt', 'OK', 0),  # 78 del_target while enabled
    ('devices/disk1/size_mb', '300', 'EACCES', 0),  # 79 resize exported fileio device (size_mb)
    ('devices/disk1/read_only', '1', 'EACCES', 0),  # 80 write read-only attribute read_only
    ('devices/disk1/filename', '/srv/scst/spare.img', 'EINVAL', -22),  # 81 change filename of exported device
    ('devices/disk1/blocksize', '4096', 'EACCES', -22),  # 82 change blocksize (ro attr?)
    ('targets/iscsi/mgmt', 'del_target iqn.2026-11.test.lab:slash/x', 'OK', 0),  # 83 delete slash target by original name
    ('targets/iscsi/mgmt', 'del_target iqn.2026-11.test.lab:slash!x', 'ENOENT', -2),  # 84 delete slash target by sysfs name
    ('targets/iscsi/mgmt', f'del_target iqn.2026-11.test.lab:{A250}', 'ENOENT', -2),  # 85 delete 283-char target
    ('handlers/vdisk_fileio/mgmt', 'del_device disk5', 'OK', 0),  # 86 delete disk5 (blocksize=1000 device)
    ('targets/iscsi/mgmt', f'del_target iqn.2026-11.test.lab:{A234}', 'OK', 0),  # 87 delete long target by its truncated 255-
]
DAEMON_STARTS_BEFORE_ROW = 5


def replay(emu):
    """Yield (row number, row, errno name or 'OK', last_sysfs_mgmt_res)."""
    for no, (path, data, expected, res) in enumerate(ROWS, start=1):
        if no == DAEMON_STARTS_BEFORE_ROW:
            emu.start_daemon()
        try:
            emu.write(path, data + "\n")
            got = "OK"
        except ScstError as exc:
            got = errno.errorcode[exc.errno]
        last = int(emu.read("last_sysfs_mgmt_res"))
        yield no, (path, data, expected, res), got, last


def test_rows_are_complete():
    assert len(ROWS) == 87
    # the long target name of rows 30/85 was a 283 byte write
    assert len(f"add_target iqn.2026-11.test.lab:{A250}\n") == 283


def test_replay_errno_and_last_result():
    emu = lab_emulator()
    emu.stop_daemon()
    mismatches = []
    for no, (path, data, expected, res), got, last in replay(emu):
        if (got, last) != (expected, res):
            mismatches.append((no, path, data[:60], expected, got, res, last))
    assert mismatches == []


def test_replay_final_state_matches_live_dump():
    """After the replay plus the logged-in initiator the tree equals the dump."""
    emu = lab_emulator()
    emu.stop_daemon()
    for _step in replay(emu):
        pass
    emu.add_session("iscsi", TGT, "iqn.2026-11.test.lab:initiator",
                    ip="192.168.77.20", target_ip="192.168.77.10")
    dump = load_dump()
    iscsi_dirs = sorted(p for p in dump if p.count("/") == 2 and p.startswith("targets/iscsi/")
                        and dump[p].kind == "dir")
    assert iscsi_dirs == [f"targets/iscsi/{TGT}"]
    assert sorted(emu.listdir("devices")) == sorted(
        p.split("/")[1] for p in dump if p.count("/") == 1 and p.startswith("devices/"))
    for path in ("devices/disk1/exported", "devices/blk1/exported", "devices/blkloop/exported",
                 "devices/null1/exported"):
        links = {p.rsplit("/", 1)[1]: e.content for p, e in dump.items()
                 if p.startswith(path + "/")}
        assert {n: emu.readlink(f"{path}/{n}") for n in emu.listdir(path)} == links


@pytest.mark.parametrize("name,limit", [("x" * 64, "ok"), ("x" * 65, "EINVAL")])
def test_device_name_length_limit(emu, name, limit):
    try:
        emu.write("handlers/vdisk_nullio/mgmt", f"add_device {name}\n")
        got = "ok"
    except ScstError as exc:
        got = errno.errorcode[exc.errno]
    assert got == limit
