"""Online resize: a fileio/blockio device whose backing store grew gets one
resync_size write (check mode predicts it) and its size follows; a wanted size
(size/size_mb) must fit the backing store and is never below the live size
unless the device is re-created; the old and new size are returned."""

from __future__ import annotations

import pytest

from scst_emulator import ScstEmulator
from scst_emulator.config import BackingStore
from scst_unit_support import INI, TGT, planned

from ansible_collections.scst.iscsi.plugins.module_utils.scst import device

MIB = 1 << 20


@pytest.fixture
def emu():
    # the emulator reads the size of real files, as the module does
    return ScstEmulator(backing=BackingStore(check_real_fs=True))


@pytest.fixture
def disk(run, tmp_path):
    path = tmp_path / "disk1.img"
    path.write_bytes(b"")
    with open(path, "r+b") as handle:
        handle.truncate(64 * MIB)
    args = {"name": "disk1", "handler": "vdisk_fileio", "filename": str(path)}
    created = run("scst_device", args)
    assert not created["failed"] and _size(run) == 64 * MIB
    return path, args


def _size(run):
    return run.emu.state.devices["disk1"].attrs["size"]


def _grow(path, size):
    with open(path, "r+b") as handle:
        handle.truncate(size)


def test_a_grown_file_is_one_resync_write_and_the_size_follows(run, disk):
    path, args = disk
    _grow(path, 96 * MIB)
    check = run("scst_device", args, check=True)
    assert check["changed"] and check["_writes"] == []
    assert planned(check) == [("devices/disk1/resync_size", "1")]
    assert check["size"] == {"before": 64 * MIB, "after": 96 * MIB}
    real = run("scst_device", args)
    assert real["_writes"] == planned(check) and real["size"] == check["size"]
    assert _size(run) == 96 * MIB
    again = run("scst_device", args)
    assert again["changed"] is False and again["_writes"] == []
    assert again["size"] == {"before": 96 * MIB, "after": 96 * MIB}


def test_resize_needs_no_force_while_initiators_are_logged_in(run, disk):
    path, args = disk
    run("scst_target", {"name": TGT})
    run("scst_lun", {"target": TGT, "lun": 0, "device": "disk1"})
    run.emu.add_session("iscsi", TGT, INI)
    _grow(path, 80 * MIB)
    result = run("scst_device", args)
    assert not result["failed"] and result["_writes"] == [("devices/disk1/resync_size", "1")]
    assert _size(run) == 80 * MIB


def test_a_wanted_size_that_fits_the_grown_file(run, disk):
    path, args = disk
    _grow(path, 128 * MIB)
    result = run("scst_device", dict(args, attributes={"size_mb": 128}))
    assert result["_writes"] == [("devices/disk1/resync_size", "1")] and _size(run) == 128 * MIB
    assert run("scst_device", dict(args, attributes={"size": 128 * MIB}))["changed"] is False


@pytest.mark.parametrize("attributes,field,rule", [
    ({"size_mb": 32}, "attributes.size_mb",
     "33554432 bytes is less than the device's current size of 67108864 bytes; SCST does not shrink a device in place"),
    ({"size": 32 * MIB}, "attributes.size", "is less than the device's current size"),
    ({"size_mb": 65}, "attributes.size_mb", "68157440 bytes is more than the backing file"),
    ({"size_mb": "1e3"}, "attributes.size_mb", "must be a plain decimal integer"),
    ({"size_mb": 0}, "attributes.size_mb", "must be between 1 and"),
    ({"size_mb": 64, "size": 64 * MIB}, "attributes.size_mb", "give the wanted size once"),
])
def test_bad_sizes_name_the_field_and_change_nothing(run, disk, attributes, field, rule):
    _path, args = disk
    for check in (True, False):
        result = run("scst_device", dict(args, attributes=attributes), check=check)
        assert result["failed"] and result["msg"].startswith(field + ": ") and rule in result["msg"], result["msg"]
        assert run.emu.write_log == [] and _size(run) == 64 * MIB


def test_a_smaller_size_with_recreate_re_creates_the_device(run, disk):
    path, args = disk
    run("scst_target", {"name": TGT})
    run("scst_lun", {"target": TGT, "lun": 3, "device": "disk1"})
    _grow(path, 32 * MIB)
    warned = run("scst_device", args)
    assert warned["changed"] is False and "smaller than the device" in warned["warnings"][0]
    result = run("scst_device", dict(args, attributes={"size_mb": 32}, recreate=True))
    assert [w.split(" ")[0] for _p, w in result["_writes"]] == ["del_device", "add_device", "add"]
    assert result["size"] == {"before": 64 * MIB, "after": 32 * MIB} and _size(run) == 32 * MIB
    assert run.emu.state.targets["iscsi"][TGT].luns[3].device == "disk1"


def test_blockio_is_checked_against_the_block_device(run, monkeypatch):
    run.emu.add_backing("/dev/vg0/db01", 4 << 30, "block")
    monkeypatch.setattr(device, "backing_size", lambda path: run.emu.config.backing.stat(path)[1])
    args = {"name": "db01", "handler": "vdisk_blockio", "filename": "/dev/vg0/db01"}
    run("scst_device", args)
    too_big = run("scst_device", dict(args, attributes={"size_mb": 5 << 10}))
    assert too_big["failed"] and too_big["msg"].startswith(
        "attributes.size_mb: 5368709120 bytes is more than the block device /dev/vg0/db01 holds (4294967296 bytes)")
    assert run.emu.write_log == []
    run.emu.add_backing("/dev/vg0/db01", 5 << 30, "block")      # lvextend
    grown = run("scst_device", dict(args, attributes={"size_mb": 5 << 10}))
    assert grown["_writes"] == [("devices/db01/resync_size", "1")]
    assert run.emu.state.devices["db01"].attrs["size"] == 5 << 30


def test_scst_config_resyncs_a_grown_file_and_predicts_it(run, disk, tmp_path):
    path, _args = disk
    config = {"handlers": {"vdisk_fileio": {"devices": {"disk1": {"filename": str(path)}}}}}
    options = {"config": config, "config_file": str(tmp_path / "scst.conf")}
    assert run("scst_config", options)["changed"] is True          # first save of the file
    _grow(path, 100 * MIB)
    check = run("scst_config", options, check=True)
    real = run("scst_config", options)
    assert planned(check) == planned(real) == [("devices/disk1/resync_size", "1")]
    # the size follows the backing store: not configuration, so the configuration diff is empty
    assert check["diff"] == real["diff"] and real["diff"]["before"] == real["diff"]["after"]
    assert check["resized"] == real["resized"] == {"disk1": {"before": 64 * MIB, "after": 100 * MIB}}
    assert _size(run) == 100 * MIB
    again = run("scst_config", options)
    assert again["changed"] is False and "resized" not in again


def test_a_new_device_takes_the_whole_store_so_a_wanted_size_must_match(run, tmp_path):
    path = tmp_path / "new.img"
    path.write_bytes(b"")
    _grow(path, 16 * MIB)
    args = {"name": "new1", "handler": "vdisk_fileio", "filename": str(path)}
    for size_mb in (8, 32):
        result = run("scst_device", dict(args, attributes={"size_mb": size_mb}))
        assert result["failed"] and result["msg"] == (
            "attributes.size_mb: %d bytes, but the backing file %s holds %d bytes; a new device takes the size "
            "of its backing store (grow or shrink the store first)" % (size_mb * MIB, path, 16 * MIB))
        assert run.emu.write_log == [] and "new1" not in run.emu.state.devices
    created = run("scst_device", dict(args, attributes={"size_mb": 16}))
    assert not created["failed"] and run.emu.state.devices["new1"].attrs["size"] == 16 * MIB


def test_recreate_to_shrink_needs_the_store_shrunk_first(run, disk):
    _path, args = disk
    result = run("scst_device", dict(args, attributes={"size_mb": 32}, recreate=True))
    assert result["failed"] and result["msg"].startswith(
        "attributes.size_mb: 33554432 bytes, but the backing file %s holds 67108864 bytes" % _path)
    assert run.emu.write_log == [] and _size(run) == 64 * MIB
