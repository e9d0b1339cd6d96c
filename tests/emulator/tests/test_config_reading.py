"""What a configuration saver reads (SYSFS-SPEC 6.2, 6.3): root attributes
with their [key] marks, file modes (the static-attribute rule), backing-store
sizes, hardware targets, and the ``scan`` call of the in-process backend."""

import os

import pytest

from scst_emulator import InProcessBackend, ScstEmulator

FIO, BIO, NIO = "handlers/vdisk_fileio/mgmt", "handlers/vdisk_blockio/mgmt", "handlers/vdisk_nullio/mgmt"
PORT = "50:01:43:80:12:34:56:78"


@pytest.mark.parametrize("name, default, value, shown", [
    ("setup_id", "0x0", "0x2a", "0x2a"),
    ("threads", "2", "4", "4"),               # default: the scst_threads module parameter (2 here)
    ("max_tasklet_cmd", "10", "20", "20"),
    ("poll_us", "0", "5", "5"),
    ("force_global_sgv_pool", "0", "1", "1"),
])
def test_root_attributes_are_key_when_not_the_default(emu, name, default, value, shown):
    assert emu.read(name) == default + "\n"
    assert emu.node(name).mode == 0o644
    emu.write(name, value + "\n")
    assert emu.read(name) == shown + "\n[key]\n"
    emu.write(name, default + "\n")
    assert emu.read(name) == default + "\n"


def test_cluster_name_is_empty_until_set(emu):
    assert emu.read("cluster_name") == ""
    emu.write("cluster_name", "lab\n")
    assert emu.read("cluster_name") == "lab\n[key]\n"


def test_root_files_a_saver_must_not_take_for_configuration(emu):
    for name in ("version", "last_sysfs_mgmt_res", "trace_cmds", "trace_mcmds"):
        assert emu.node(name).mode == 0o444, name
    for name in ("suspend", "measure_latency", "async_lun_replace"):
        assert "[key]" not in emu.read(name), name


def test_fileio_and_blockio_sizes_are_those_of_the_backing_store(emu):
    # not a multiple of the block size: SCST shows the file size itself
    emu.add_backing("/srv/odd.img", 1000448 + 100, "file")
    emu.add_backing("/dev/sdz", 3 << 30, "block")
    emu.write(FIO, "add_device f1 filename=/srv/odd.img\n")
    emu.write(BIO, "add_device b1 filename=/dev/sdz\n")
    assert emu.read("devices/f1/size") == "1000548\n[key]\n"
    assert emu.read("devices/f1/size_mb") == "0\n"
    assert emu.read("devices/b1/size") == "%d\n[key]\n" % (3 << 30)
    assert emu.read("devices/b1/size_mb") == "3072\n"
    emu.add_backing("/srv/odd.img", 8 << 20, "file")          # the file grows
    emu.write("devices/f1/resync_size", "1\n")
    assert emu.read("devices/f1/size") == "%d\n[key]\n" % (8 << 20)


def test_fileio_size_follows_a_real_file(tmp_path):
    path = tmp_path / "disk.img"
    path.write_bytes(b"\0" * 12345)
    emu = ScstEmulator()
    emu.config.backing.check_real_fs = True
    emu.write(FIO, "add_device f1 filename=%s\n" % path)
    assert emu.read("devices/f1/size") == "%d\n[key]\n" % os.path.getsize(path)


def test_hardware_target_ports():
    emu = ScstEmulator(hw_targets={"qla2x00t": [PORT]})
    assert emu.listdir("targets/qla2x00t") == [PORT, "trace_level"]     # no mgmt: no virtual targets
    port = "targets/qla2x00t/" + PORT
    assert emu.read(port + "/hw_target") == "1\n"
    assert emu.node(port + "/hw_target").mode == 0o444
    assert emu.read(port + "/enabled") == "0\n"
    emu.write(port + "/enabled", "1\n")
    assert emu.read(port + "/enabled") == "1\n"
    assert emu.read(port + "/rel_tgt_id") == "1\n[key]\n"               # given when first enabled
    emu.write(port + "/luns/mgmt", "add 2:0:0:0 0\n")
    assert emu.readlink(port + "/luns/0/device") == "../../../../../devices/2:0:0:0"
    assert not emu.exists("targets/iscsi/%s/hw_target" % "x")


def test_scan_gives_kinds_and_modes_without_following_links(emu):
    backend = InProcessBackend(emu)
    emu.write(FIO, "add_device f1 filename=/srv/f1.img\n")
    emu.write(BIO, "add_device b1 filename=/dev/sdb\n")
    emu.write("targets/iscsi/mgmt", "add_target iqn.2026-11.com.example:t\n")
    emu.write("targets/iscsi/mgmt", "add_target_attribute iqn.2026-11.com.example:t IncomingUser u secret-123456\n")
    fileio = backend.scan("devices/f1")
    assert fileio["handler"] == ("link", 0) and fileio["exported"] == ("dir", 0)
    assert fileio["blocksize"] == ("file", 0o444) and fileio["size"] == ("file", 0o444)
    assert fileio["prod_id"] == ("file", 0o644) and fileio["resync_size"] == ("file", 0o200)
    assert backend.scan("devices/b1")["size"] == ("file", 0o644)        # writable for blockio
    assert sorted(backend.scan("devices/f1")) == emu.listdir("devices/f1")
    target = backend.scan("targets/iscsi/iqn.2026-11.com.example:t")
    assert target["IncomingUser"] == ("file", 0o600) and target["luns"] == ("dir", 0)
    assert target["tid"] == ("file", 0o444) and target["read_cmd_count"] == ("file", 0o444)
    assert backend.scan("handlers/vdisk_fileio")["f1"] == ("link", 0)
    with pytest.raises(OSError):
        backend.scan("devices/nosuch")
    with pytest.raises(OSError):
        backend.scan("devices/f1/size")


def test_alua_files_and_key_marks(emu):
    emu.write("targets/iscsi/mgmt", "add_target iqn.2026-11.com.example:t\n")
    emu.write("device_groups/mgmt", "create dg\n")
    emu.write("device_groups/dg/target_groups/mgmt", "create tg\n")
    emu.write("device_groups/dg/target_groups/tg/mgmt", "add iqn.2026-11.com.example:t\n")
    emu.write("device_groups/dg/target_groups/tg/mgmt", "add remote\n")
    scan = InProcessBackend(emu).scan
    assert scan("device_groups") == {"dg": ("dir", 0), "mgmt": ("file", 0o644)}
    assert scan("device_groups/dg") == {"devices": ("dir", 0), "target_groups": ("dir", 0)}
    assert scan("device_groups/dg/target_groups/tg") == {
        "group_id": ("file", 0o644), "iqn.2026-11.com.example:t": ("link", 0), "mgmt": ("file", 0o644),
        "preferred": ("file", 0o644), "remote": ("dir", 0), "state": ("file", 0o644)}
    assert scan("device_groups/dg/target_groups/tg/remote") == {"rel_tgt_id": ("file", 0o644)}
