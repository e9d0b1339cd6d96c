"""vdisk and pass-through handlers: creation rules, [key] rules, side effects."""

import pytest

from emu_helpers import err_of, read_err
from scst_emulator import ScstEmulator
from scst_emulator.crc32c import crc32c, device_id_hex

FIO, BIO, NIO, CD = ("handlers/vdisk_fileio/mgmt", "handlers/vdisk_blockio/mgmt",
                     "handlers/vdisk_nullio/mgmt", "handlers/vcdrom/mgmt")


def test_crc32c_castagnoli_vectors():
    assert crc32c(b"123456789", 0xFFFFFFFF) ^ 0xFFFFFFFF == 0xE3069283   # standard check
    assert device_id_hex("blk1", 0) == "a8c1657"
    assert device_id_hex("blk1", 5) == "50a8c1657"


def test_default_identifiers_from_crc_and_setup_id(emu):
    emu.write(NIO, "add_device null1\n")
    assert emu.read("devices/null1/t10_dev_id") == "dba7df64-null1\n"
    assert emu.read("devices/null1/usn") == "dba7df64\n"
    assert emu.read("devices/null1/vend_specific_id") == "dba7df64-null1\n"
    emu.write("setup_id", "0x10\n")
    assert emu.read("setup_id") == "0x10\n[key]\n"
    emu.write(NIO, "add_device null2\n")
    hexid = device_id_hex("null2", 0x10)
    assert emu.read("devices/null2/usn") == f"{hexid}\n"
    assert emu.read("devices/null2/t10_dev_id") == f"{hexid}-null2"[:25] + "\n"
    assert emu.read("devices/null1/usn") == "dba7df64\n"    # only future devices


def test_t10_dev_id_truncated_to_25(emu):
    emu.write(NIO, "add_device a_rather_long_device_name\n")
    assert len(emu.read("devices/a_rather_long_device_name/t10_dev_id").strip()) == 25


@pytest.mark.parametrize("cmd,expected", [
    ("add_device d1 filename=/f; read_only=1; nv_cache=1", "EINVAL"),
    ("add_device d1 filename=/f; o_direct=1", "EINVAL"),
    ("add_device d1 filename=/f; o_direct=1; async=1", "OK"),
    ("add_device d1 filename=relative", "EINVAL"),
    ("add_device d1 filename=/f; filename=/g", "EINVAL"),
    ("add_device d1 filename=/f; blocksize=256", "EINVAL"),
    ("add_device d1 filename=/f; tst=2", "EINVAL"),
    ("add_device d1 filename=/f; t10_dev_id=abcdefghijklmnopqrstuvwxyz", "EINVAL"),
    ("add_device d1 filename=/f; dif_mode=tgt", "EINVAL"),
    ("add_device d1 filename=/f; size_mb=5", "OK"),           # fileio does not enforce
    ("add_device d.1 filename=/f", "EINVAL"),
    ("add_device 2:0:0:0 filename=/f", "EEXIST"),
    ("ADD_DEVICE d1 FILENAME=/f", "OK"),
    ("add_device d1 filename=/f;;bogus=1", "OK"),             # stops at the empty token
    ("add_device d1 filename=/f; numa_node_id=-2", "EINVAL"),
    ("add_device d1 filename=/f; active=99999999999999999999", "ERANGE"),
])
def test_fileio_add_device_rules(emu, cmd, expected):
    assert err_of(emu, FIO, cmd + "\n") == expected


@pytest.mark.parametrize("handler,cmd,expected", [
    (BIO, "add_device b1 filename=/dev/sdx; async=1", "EINVAL"),    # not in blockio list
    (NIO, "add_device n1 filename=/x", "EINVAL"),
    (NIO, "add_device n1 size=1000", "EINVAL"),                      # not a multiple of 512
    (NIO, "add_device n1 size_mb=1; blocksize=4096", "OK"),
    (CD, "add_device c1 filename=/iso", "EINVAL"),
    (CD, "add_device c1 tst=0", "OK"),
    (BIO, "add_device b1", "EINVAL"),
])
def test_enforced_parameter_lists(emu, handler, cmd, expected):
    assert err_of(emu, handler, cmd + "\n") == expected


def test_booleans_keep_lowest_bit_and_blocksize_rounds_down(emu):
    emu.write(FIO, "add_device d1 filename=/f; nv_cache=2; blocksize=1000\n")
    assert emu.read("devices/d1/nv_cache") == "0\n"
    assert emu.read("devices/d1/blocksize") == "512\n"
    emu.write(FIO, "add_device d2 filename=/f; blocksize=4096; rotational=0\n")
    assert emu.read("devices/d2/blocksize") == "4096\n[key]\n"
    assert emu.read("devices/d2/rotational") == "0\n[key]\n"


def test_missing_backing_file_and_block_device_rules():
    emu = ScstEmulator()
    emu.set_missing_file("/gone.img")
    assert err_of(emu, FIO, "add_device d1 filename=/gone.img\n") == "ENOENT"
    assert err_of(emu, FIO, "add_device d1 filename=/gone.img; active=0\n") == "OK"
    assert err_of(emu, "devices/d1/active", "1\n") == "ENOENT"
    assert err_of(emu, BIO, "add_device b1 filename=/srv/file.img\n") == "ENOTBLK"
    assert err_of(emu, BIO, "add_device b1 filename=/dev/sdz\n") == "OK"
    assert err_of(emu, BIO, "add_device b2 filename=/dev/sdz\n") == "EBUSY"
    emu.add_backing("/srv/dir", kind="dir")
    assert err_of(emu, FIO, "add_device d2 filename=/srv/dir\n") == "EINVAL"


def test_real_filesystem_policy(tmp_path):
    emu = ScstEmulator()
    emu.config.backing.check_real_fs = True
    img = tmp_path / "disk.img"
    img.write_bytes(b"\0" * 4096)
    assert err_of(emu, FIO, f"add_device d1 filename={tmp_path}/nosuch.img\n") == "ENOENT"
    assert err_of(emu, FIO, f"add_device d1 filename={img}\n") == "OK"
    assert emu.read("devices/d1/size") == "4096\n[key]\n"
    assert err_of(emu, FIO, f"add_device d2 filename={tmp_path}\n") == "EINVAL"


def test_thin_provisioning(emu):
    emu.write(BIO, "add_device b1 filename=/dev/sda\n")
    assert emu.read("devices/b1/thin_provisioned") == "1\n"       # auto, not key
    assert emu.exists("devices/b1/gen_tp_soft_threshold_reached_UA")
    emu.set_thin_provisioning_supported(False)
    emu.write(BIO, "add_device b2 filename=/dev/sdb\n")
    assert emu.read("devices/b2/thin_provisioned") == "0\n"
    assert not emu.exists("devices/b2/gen_tp_soft_threshold_reached_UA")
    emu.write(FIO, "add_device f1 filename=/f; thin_provisioned=1\n")
    assert emu.read("devices/f1/thin_provisioned") == "0\n[key]\n"   # forced back, still key


def test_vdisk_attribute_writes_and_key_rules(emu):
    emu.write(FIO, "add_device d1 filename=/f\n")
    dev = "devices/d1"
    assert emu.read(f"{dev}/t10_vend_id") == "SCST_FIO\n"
    emu.write(f"{dev}/t10_vend_id", "SCST_FIO\n")
    assert emu.read(f"{dev}/t10_vend_id") == "SCST_FIO\n[key]\n"      # key once written
    assert err_of(emu, f"{dev}/t10_vend_id", "123456789\n") == "EINVAL"
    assert err_of(emu, f"{dev}/prod_rev_lvl", "12345\n") == "EINVAL"
    assert emu.read(f"{dev}/opt_trans_len") == "524288\n"
    assert err_of(emu, f"{dev}/opt_trans_len", "1000\n") == "EINVAL"
    emu.write(f"{dev}/opt_trans_len", "524288\n")
    assert emu.read(f"{dev}/opt_trans_len") == "524288\n[key]\n"
    assert emu.read(f"{dev}/eui64_id") == "\n"
    assert err_of(emu, f"{dev}/eui64_id", "0x1234\n") == "EINVAL"
    emu.write(f"{dev}/eui64_id", "0x0123456789ABCDEF\n")
    assert emu.read(f"{dev}/eui64_id") == "0x0123456789abcdef\n[key]\n"
    emu.write(f"{dev}/eui64_id", "\n")
    assert emu.read(f"{dev}/eui64_id") == "\n"
    assert err_of(emu, f"{dev}/naa_id", "0x1123456789abcdef\n") == "EINVAL"
    assert err_of(emu, f"{dev}/naa_id", "0x5123456789abcdef\n") == "OK"
    assert err_of(emu, f"{dev}/t10_dev_id", "x" * 25 + "\n") == "OK"
    assert err_of(emu, f"{dev}/t10_dev_id", "x" * 26 + "\n") == "EINVAL"
    assert emu.read(f"{dev}/t10_dev_id") == "x" * 25 + "\n[key]\n"
    assert err_of(emu, f"{dev}/read_zero", "1\n") == "ENOENT"       # nullio only
    assert err_of(emu, f"{dev}/expl_alua", "5\n") == "OK"
    assert emu.read(f"{dev}/expl_alua") == "1\n[key]\n"
    assert emu.read(f"{dev}/bind_alua_state") == "0\n"
    assert err_of(emu, f"{dev}/lb_per_pb_exp", "2\n") == "EINVAL"
    assert emu.read(f"{dev}/threads_num") == "8\n"
    emu.write(f"{dev}/threads_num", "4\n")
    assert emu.read(f"{dev}/threads_num") == "4\n[key]\n"
    assert err_of(emu, f"{dev}/threads_pool_type", "sh\n") == "EINVAL"   # '\n' counts
    assert err_of(emu, f"{dev}/threads_pool_type", "shared\n") == "OK"
    assert emu.read(f"{dev}/threads_pool_type") == "shared\n[key]\n"
    emu.write(f"{dev}/threads_num", "0\n")
    assert emu.read(f"{dev}/threads_pool_type") == "Async\n"
    assert emu.read(f"{dev}/max_tgt_dev_commands") == "64\n"
    assert err_of(emu, f"{dev}/numa_node_id", "-2\n") == "EINVAL"


def test_filename_only_while_inactive(emu):
    emu.write(FIO, "add_device d1 filename=/f\n")
    assert err_of(emu, "devices/d1/filename", "/g\n") == "EINVAL"
    emu.write("devices/d1/active", "0\n")
    assert emu.read("devices/d1/active") == "0\n[key]\n"
    assert err_of(emu, "devices/d1/filename", "  \n") == "EINVAL"
    assert err_of(emu, "devices/d1/filename", "rel\n") == "EINVAL"
    emu.write("devices/d1/filename", "  /g  \n")
    assert emu.read("devices/d1/filename") == "/g\n[key]\n\n"
    assert err_of(emu, "devices/d1/active", "2\n") == "EINVAL"
    emu.write("devices/d1/active", "1\n")
    assert emu.read("devices/d1/active") == "1\n"


def test_size_writes(emu):
    emu.write(NIO, "add_device n1\n")
    assert emu.read("devices/n1/size") == "2748779069440\n"           # default: not key
    assert err_of(emu, "devices/n1/size", "1000\n") == "EINVAL"
    emu.write("devices/n1/size_mb", "10\n")
    assert emu.read("devices/n1/size") == "10485760\n[key]\n"
    assert emu.read("devices/n1/size_mb") == "10\n"
    emu.write(FIO, "add_device d1 filename=/f\n")
    assert err_of(emu, "devices/d1/size_mb", "300\n") == "EACCES"    # ro for fileio
    emu.add_backing("/f", 8 << 20)
    emu.write("devices/d1/resync_size", "1\n")
    assert emu.read("devices/d1/size_mb") == "8\n"


def test_vend_specific_id_is_the_default_id_even_when_t10_dev_id_is_given(emu):
    # real SCST derives it when it allocates the device, before the parameters
    emu.write(FIO, "add_device fidf2 filename=/f; t10_dev_id=fid-f2-id\n")
    assert emu.read("devices/fidf2/t10_dev_id") == "fid-f2-id\n[key]\n"
    hexid = device_id_hex("fidf2", 0)
    assert emu.read("devices/fidf2/vend_specific_id") == f"{hexid}-fidf2\n"


def test_activation_keeps_the_size_read_at_creation(emu):
    # real SCST: a device created active keeps its size across active 0 / new
    # filename / active 1; resync_size reads the new file's size
    emu.add_backing("/f1", 16 << 20)
    emu.add_backing("/f1b", 24 << 20)
    emu.write(FIO, "add_device d1 filename=/f1\n")
    emu.write("devices/d1/active", "0\n")
    emu.write("devices/d1/filename", "/f1b\n")
    emu.write("devices/d1/active", "1\n")
    assert emu.read("devices/d1/filename").startswith("/f1b\n")
    assert emu.read("devices/d1/size_mb") == "16\n"
    emu.write("devices/d1/resync_size", "1\n")
    assert emu.read("devices/d1/size_mb") == "24\n"


def test_device_created_inactive_reads_its_size_on_first_activation(emu):
    emu.add_backing("/f2", 8 << 20)
    emu.write(FIO, "add_device d2 filename=/f2; active=0\n")
    assert emu.read("devices/d2/size_mb") == "0\n"
    emu.write("devices/d2/active", "1\n")
    assert emu.read("devices/d2/size_mb") == "8\n"


def test_vcdrom_media(emu):
    emu.write(CD, "add_device cd1\n")
    assert emu.read("devices/cd1/filename") == "none\n\n"
    assert emu.read("devices/cd1/type") == "5 - CD-ROM device\n"
    assert emu.read("devices/cd1/threads_num") == "8\n"
    assert not emu.exists("devices/cd1/blocksize")
    emu.set_missing_file("/iso/missing.iso")
    assert err_of(emu, "devices/cd1/filename", "/iso/missing.iso\n") == "ENOENT"
    emu.add_backing("/iso/a.iso", 2048 * 10)
    emu.write("devices/cd1/filename", "/iso/a.iso\n")
    assert emu.read("devices/cd1/filename") == "/iso/a.iso\n[key]\n\n"
    assert emu.read("devices/cd1/size") == "20480\n[key]\n"
    emu.write("devices/cd1/filename", "\n")
    assert emu.read("devices/cd1/filename") == "none\n\n"


def test_del_device_drops_all_luns_and_copy_manager_lun(emu):
    emu.write(NIO, "add_device n1\n")
    emu.write("targets/iscsi/mgmt", "add_target t1\n")
    emu.write("targets/iscsi/t1/luns/mgmt", "add n1 0\n")
    emu.write("targets/iscsi/t1/luns/mgmt", "add n1 7\n")
    emu.write("targets/iscsi/t1/ini_groups/mgmt", "create g\n")
    emu.write("targets/iscsi/t1/ini_groups/g/luns/mgmt", "add n1 3\n")
    emu.write("device_groups/mgmt", "create dg\n")
    emu.write("device_groups/dg/devices/mgmt", "add n1\n")
    assert sorted(emu.listdir("devices/n1/exported")) == ["export0", "export1", "export2", "export3"]
    assert emu.readlink("devices/n1/exported/export3") == \
        "../../../targets/iscsi/t1/ini_groups/g/luns/3"
    assert err_of(emu, "handlers/vdisk_fileio/mgmt", "del_device n1 extra\n") == "EINVAL"
    emu.write("handlers/vdisk_nullio/mgmt", "del_device n1\n")
    assert emu.listdir("targets/iscsi/t1/luns") == ["mgmt"]
    assert emu.listdir("targets/iscsi/t1/ini_groups/g/luns") == ["mgmt"]
    assert emu.listdir("targets/copy_manager/copy_manager_tgt/luns") == ["mgmt"]
    assert emu.listdir("device_groups/dg/devices") == ["mgmt"]
    assert err_of(emu, NIO, "del_device n1\n") == "EINVAL"


def test_copy_manager_counter_rotates_and_exports_are_monotonic(emu):
    for name in ("a", "b", "c"):
        emu.write(NIO, f"add_device {name}\n")
    emu.write(NIO, "del_device b\n")
    emu.write(NIO, "add_device b\n")
    cm = "targets/copy_manager/copy_manager_tgt/luns"
    assert sorted(emu.listdir(cm)) == ["0", "2", "3", "mgmt"]
    assert emu.readlink(f"{cm}/3/device") == "../../../../../devices/b"
    emu.write("targets/iscsi/mgmt", "add_target t\n")
    emu.write("targets/iscsi/t/luns/mgmt", "add a 0\n")
    emu.write("targets/iscsi/t/luns/mgmt", "del 0\n")
    emu.write("targets/iscsi/t/luns/mgmt", "add a 0\n")
    assert emu.listdir("devices/a/exported") == ["export0", "export2"]
    emu.set_missing_file("/gone")
    assert err_of(emu, FIO, "add_device d filename=/gone\n") == "ENOENT"
    emu.write(NIO, "add_device e\n")
    assert "4" in emu.listdir(cm)            # failed creation consumed no LUN


def test_passthrough_handlers():
    emu = ScstEmulator(scsi_devices=[])
    emu.add_scsi_device("3:0:1:0", 0)
    emu.add_scsi_device("4:0:0:0", 1)
    disk = "handlers/dev_disk/mgmt"
    assert emu.read(disk) == ('Usage: echo "add_device H:C:I:L" >mgmt\n'
                              '       echo "del_device H:C:I:L" >mgmt\n')
    assert emu.read("devices/3:0:1:0/max_tgt_dev_commands") == "0\n"
    assert not emu.exists("devices/3:0:1:0/handler")
    assert err_of(emu, disk, "add_device\n") == "EINVAL"
    assert err_of(emu, disk, "add_device 3:0:1:0 x\n") == "EINVAL"
    assert err_of(emu, disk, "add_device 3:0:1\n") == "EINVAL"
    assert err_of(emu, disk, "add_device 9:9:9:9\n") == "EINVAL"
    assert err_of(emu, disk, "add_device 4:0:0:0\n") == "EINVAL"      # tape
    assert err_of(emu, disk, "frob 3:0:1:0\n") == "EINVAL"
    assert err_of(emu, disk, "add_device 3:0:1:0\n") == "OK"
    assert err_of(emu, disk, "add_device 3:0:1:0\n") == "OK"          # no-op
    assert emu.readlink("devices/3:0:1:0/handler") == "../../handlers/dev_disk"
    assert emu.readlink("handlers/dev_disk/3:0:1:0") == "../../devices/3:0:1:0"
    assert emu.listdir("targets/copy_manager/copy_manager_tgt/luns") == ["mgmt"]
    emu.write("targets/iscsi/mgmt", "add_target t\n")
    emu.write("targets/iscsi/t/luns/mgmt", "add 3:0:1:0 0\n")
    assert err_of(emu, "handlers/dev_disk_perf/mgmt", "del_device 3:0:1:0\n") == "EINVAL"
    emu.write("handlers/dev_disk_perf/mgmt", "add_device 3:0:1:0\n")  # moved
    assert emu.readlink("devices/3:0:1:0/handler") == "../../handlers/dev_disk_perf"
    emu.write("handlers/dev_disk_perf/mgmt", "del_device 3:0:1:0\n")
    assert emu.listdir("targets/iscsi/t/luns") == ["0", "mgmt"]        # LUN stays


def test_pr_file_name_busy_because_copy_manager_exports(emu):
    emu.write(NIO, "add_device n1\n")
    assert emu.read("devices/n1/pr_file_name") == "/var/lib/scst/pr/n1\n"
    assert err_of(emu, "devices/n1/pr_file_name", "/x\n") == "EBUSY"
    emu2 = ScstEmulator(auto_cm_assignment=False)
    emu2.write(NIO, "add_device n1\n")
    emu2.write("devices/n1/pr_file_name", "/x\n")
    assert emu2.read("devices/n1/pr_file_name") == "/x\n[key]\n"


def test_modes(emu):
    emu.write(FIO, "add_device d1 filename=/f\n")
    modes = {name: emu.node(f"devices/d1/{name}").mode
             for name in ("type", "filename", "sync", "resync_size", "size", "blocksize")}
    assert modes == {"type": 0o444, "filename": 0o644, "sync": 0o200, "resync_size": 0o200,
                     "size": 0o444, "blocksize": 0o444}
    assert read_err(emu, "devices/d1/sync") == "EACCES"
    assert err_of(emu, "devices/d1/type", "x") == "EACCES"


def test_dif_attributes_only_with_dif(emu):
    emu.write(BIO, "add_device b1 filename=/dev/sdq; dif_type=1; dif_mode=tgt|dev_check\n")
    assert emu.read("devices/b1/dif_mode") == "tgt|dev_check\n[key]\n"
    assert emu.read("devices/b1/dif_type") == "1\n[key]\n"
    assert emu.read("devices/b1/dif_static_app_tag") == "0xffff\n"
    emu.write("devices/b1/dif_static_app_tag", "0x12\n")
    assert emu.read("devices/b1/dif_static_app_tag") == "0x12\n[key]\n"
    assert err_of(emu, FIO, "add_device f1 filename=/f; dif_type=1; dif_mode=dev_check\n") \
        == "EINVAL"
    assert err_of(emu, FIO, "add_device f1 filename=/f; dif_type=4; dif_mode=tgt\n") == "EINVAL"
    emu.write(FIO, "add_device f1 filename=/f\n")
    assert not emu.exists("devices/f1/dif_mode")
    emu.write("targets/iscsi/mgmt", "add_target t\n")
    assert err_of(emu, "targets/iscsi/t/luns/mgmt", "add b1 0\n") == "EINVAL"
    assert err_of(emu, "targets/iscsi/t/luns/mgmt", "add f1 0\n") == "OK"
