"""Every SCST module, create / modify / delete, each run four times:
check (predicts, writes nothing), real (writes exactly what check predicted),
idempotent (nothing to do, nothing written), idempotent in check mode."""

from __future__ import annotations

import pytest

from scst_unit_support import INI, TGT, planned

PW1 = "s3cret-one-123"
PW2 = "s3cret-two-456"


def _target(run):
    assert not run("scst_target", {"name": TGT})["failed"]


def _target_and_devices(run):
    _target(run)
    for name in ("disk1", "disk2"):
        assert not run("scst_device", {"name": name, "handler": "vdisk_fileio",
                                       "filename": "/srv/%s.img" % name})["failed"]


def _group(run):
    _target_and_devices(run)
    assert not run("scst_group", {"name": "hosts", "target": TGT})["failed"]


SCENARIOS = {
    "scst_device/fileio": (None, [
        {"name": "disk1", "handler": "vdisk_fileio", "filename": "/srv/d1.img",
         "attributes": {"nv_cache": True, "blocksize": 4096, "prod_id": "DISK1"}},
        {"name": "disk1", "handler": "vdisk_fileio", "filename": "/srv/d1.img",
         "attributes": {"nv_cache": True, "blocksize": 4096, "prod_id": "DISK1B", "t10_vend_id": "ACME"}},
        {"name": "disk1", "handler": "vdisk_fileio", "state": "absent"},
    ]),
    "scst_device/blockio": (None, [
        {"name": "blk1", "handler": "vdisk_blockio", "filename": "/dev/vdb"},
        {"name": "blk1", "handler": "vdisk_blockio", "filename": "/dev/vdc"},
        {"name": "blk1", "handler": "vdisk_blockio", "state": "absent"},
    ]),
    "scst_device/nullio": (None, [
        {"name": "null1", "handler": "vdisk_nullio", "attributes": {"size_mb": 1024, "dummy": 1}},
        {"name": "null1", "handler": "vdisk_nullio", "attributes": {"size_mb": 2048, "dummy": 1}},
        {"name": "null1", "handler": "vdisk_nullio", "state": "absent"},
    ]),
    "scst_device/vcdrom": (None, [
        {"name": "cd1", "handler": "vcdrom", "filename": "/srv/install.iso"},
        {"name": "cd1", "handler": "vcdrom", "filename": ""},
        {"name": "cd1", "handler": "vcdrom", "state": "absent"},
    ]),
    "scst_device/passthrough": (lambda run: run.emu.add_scsi_device("2:0:0:0", 0), [
        {"name": "2:0:0:0", "handler": "dev_disk"},
        {"name": "2:0:0:0", "handler": "dev_disk", "attributes": {"max_tgt_dev_commands": 32}},
        {"name": "2:0:0:0", "handler": "dev_disk", "state": "absent"},
    ]),
    "scst_target": (None, [
        {"name": TGT, "attributes": {"HeaderDigest": "CRC32C,None", "QueuedCommands": 64,
                                     "InitialR2T": True}, "allowed_portals": ["192.168.77.10"]},
        {"name": TGT, "attributes": {"HeaderDigest": "None", "QueuedCommands": 64, "alias": "tgt1"},
         "allowed_portals": ["192.168.77.*", "!192.168.77.99"], "enabled": True},
        {"name": TGT, "state": "absent"},
    ]),
    "scst_lun": (_target_and_devices, [
        {"target": TGT, "lun": 0, "device": "disk1"},
        {"target": TGT, "lun": 0, "device": "disk2", "read_only": True},
        {"target": TGT, "lun": 0, "state": "absent"},
    ]),
    "scst_lun/group": (_group, [
        {"target": TGT, "group": "hosts", "lun": 3, "device": "disk1"},
        {"target": TGT, "group": "hosts", "lun": 3, "device": "disk1", "read_only": True},
        {"target": TGT, "group": "hosts", "lun": 3, "state": "absent"},
    ]),
    "scst_group": (_target_and_devices, [
        {"target": TGT, "name": "hosts", "initiators": [INI, "iqn.2026-11.com.example:h*"],
         "luns": [{"lun": 0, "device": "disk1"}]},
        {"target": TGT, "name": "hosts", "initiators": [INI],
         "luns": [{"lun": 0, "device": "disk2"}, {"lun": 1, "device": "disk1", "read_only": True}],
         "attributes": {"addr_method": "FLAT"}},
        {"target": TGT, "name": "hosts", "state": "absent"},
    ]),
    "scst_chap/incoming": (_target, [
        {"target": TGT, "username": "host1", "password": PW1},
        {"target": TGT, "username": "host1", "password": PW2},
        {"target": TGT, "username": "host1", "state": "absent"},
    ]),
    "scst_chap/outgoing": (_target, [
        {"target": TGT, "direction": "outgoing", "username": "tgt1", "password": PW1},
        {"target": TGT, "direction": "outgoing", "username": "tgt1b", "password": PW2},
        {"target": TGT, "direction": "outgoing", "username": "tgt1b", "state": "absent"},
    ]),
    "scst_chap/discovery": (None, [
        {"username": "disc", "password": PW1},
        {"username": "disc", "password": PW2},
        {"username": "disc", "state": "absent"},
    ]),
    "scst_driver": (None, [
        {"enabled": True},
        {"enabled": True, "attributes": {"iSNSServer": "192.168.77.1 AccessControl", "link_local": False}},
        {"enabled": False},
    ]),
}


def four_runs(run, module, args):
    """check -> real -> idempotent -> idempotent+check, asserting each."""
    check = run(module, args, check=True)
    assert not check["failed"], check
    assert check["changed"] is True
    assert run.writes == [], "check mode wrote: %r" % run.writes

    real = run(module, args)
    assert not real["failed"], real
    assert real["changed"] is True
    # check mode predicted exactly the writes the real run made (secrets aside)
    assert planned(real) == planned(check)
    assert len(run.writes) == len(real["plan"])
    assert [p for p, _d in run.writes] == [p for p, _d in planned(real)]

    again = run(module, args)
    assert not again["failed"], again
    assert again["changed"] is False, again["plan"]
    assert run.writes == []

    again_check = run(module, args, check=True)
    assert again_check["changed"] is False
    assert run.writes == []
    return real


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_create_modify_delete(run, scenario):
    setup, steps = SCENARIOS[scenario]
    module = scenario.split("/")[0]
    if setup:
        setup(run)
    for args in steps:
        four_runs(run, module, args)


def test_info_reports_configuration_with_secrets_masked(run):
    _group(run)
    run("scst_chap", {"target": TGT, "username": "host1", "password": PW1})
    run("scst_lun", {"target": TGT, "lun": 0, "device": "disk1"})
    result = run("scst_info")
    assert result["changed"] is False and not result["failed"]
    target = result["scst"]["drivers"]["iscsi"]["targets"][TGT]
    assert target["luns"] == {0: {"device": "disk1", "read_only": False, "attributes": {}}}
    assert target["groups"]["hosts"]["initiators"] == []
    assert target["chap"]["incoming"] == [{"username": "host1", "password": "********"}]
    assert result["scst"]["handlers"]["vdisk_fileio"]["devices"]["disk1"]["filename"] == "/srv/disk1.img"
    assert PW1 not in repr(result)
    assert run.writes == []
    run.emu.add_session("iscsi", TGT, "iqn.2026-11.com.example:other")
    result = run("scst_info", {"as_yaml": True})
    assert result["runtime"]["sessions"] == {"iscsi": {TGT: ["iqn.2026-11.com.example:other"]}}
    assert result["runtime"]["iscsi_daemon_running"] is True
    assert "scst_config:" in result["scst_yaml"] and "password: '********'" in result["scst_yaml"]
    assert PW1 not in result["scst_yaml"]
