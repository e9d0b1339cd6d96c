"""scst_config's diff: check mode shows exactly the diff of the real run, and
that diff is the host as it reads back afterwards (objects the request does
not mention stay, unless purge)."""

from __future__ import annotations

import copy

from scst_emulator import ScstEmulator
from scst_unit_support import INI, TGT, Runner, planned

T2 = "iqn.2026-11.com.example:storage.tgt2"


def _host(run):
    """An existing host: devices, a target with LUNs, a group, CHAP, a second target."""
    for name in ("old1", "old2"):
        run("scst_device", {"name": name, "handler": "vdisk_fileio", "filename": "/srv/%s.img" % name,
                            "attributes": {"prod_id": name.upper()}})
    run("scst_target", {"name": TGT, "enabled": True, "attributes": {"QueuedCommands": 64}})
    run("scst_target", {"name": T2})
    run("scst_lun", {"target": TGT, "lun": 0, "device": "old1"})
    run("scst_group", {"target": TGT, "name": "hosts", "initiators": [INI], "luns": [{"lun": 0, "device": "old2"}]})
    run("scst_chap", {"target": TGT, "username": "host1", "password": "chap-secret-0001"})


REQUEST = {
    "handlers": {"vdisk_nullio": {"devices": {"new1": {"attributes": {"size_mb": 64, "read_only": True}}}}},
    "drivers": {"iscsi": {"targets": {TGT: {
        "luns": {1: {"device": "new1"}},
        "groups": {"hosts": {"initiators": ["iqn.2026-11.com.example:host9"]},
                   "more": {"luns": {3: {"device": "new1"}}}},
        "attributes": {"NopInInterval": 15},
    }}}},
}


def _args(tmp_path, config, **extra):
    return dict({"config": copy.deepcopy(config), "config_file": str(tmp_path / "scst.conf")}, **extra)


def test_check_mode_diff_keeps_unmentioned_objects_and_equals_the_real_run(run, tmp_path):
    _host(run)
    check = run("scst_config", _args(tmp_path, REQUEST), check=True)
    assert not check["failed"], check
    after = check["diff"]["after"]
    assert sorted(after["handlers"]["vdisk_fileio"]["devices"]) == ["old1", "old2"]
    assert T2 in after["drivers"]["iscsi"]["targets"]
    target = after["drivers"]["iscsi"]["targets"][TGT]
    assert target["luns"] == {0: {"device": "old1", "read_only": False, "attributes": {}},
                              1: {"device": "new1", "read_only": True, "attributes": {}}}
    assert target["groups"]["hosts"]["initiators"] == sorted([INI, "iqn.2026-11.com.example:host9"])
    assert target["chap"] == {"incoming": [{"username": "host1", "password": "********"}], "outgoing": []}
    real = run("scst_config", _args(tmp_path, REQUEST))
    assert not real["failed"], real
    assert planned(real) == planned(check)
    assert real["diff"] == check["diff"] and real["changed"] == check["changed"]
    assert real["diff"]["after"] == run("scst_info")["scst"]


def test_purge_diff_equals_the_real_run_and_the_host_read_back(run, tmp_path):
    _host(run)
    request = copy.deepcopy(REQUEST)
    request["handlers"]["vdisk_fileio"] = {"devices": {"old1": {"filename": "/srv/old1.img"}}}
    check = run("scst_config", _args(tmp_path, request, purge=True), check=True)
    real = run("scst_config", _args(tmp_path, request, purge=True))
    assert not real["failed"], real
    assert real["diff"] == check["diff"] and planned(real) == planned(check)
    after = real["diff"]["after"]
    assert sorted(after["handlers"]["vdisk_fileio"]["devices"]) == ["old1"]
    assert list(after["drivers"]["iscsi"]["targets"]) == [TGT]
    assert after == run("scst_info")["scst"]


PEER = "iqn.2026-11.com.example:peer.t1"
EXTENDED = {
    "attributes": {"setup_id": "0x2a", "cluster_name": "lab"},
    "handlers": {"vdisk_nullio": {"devices": {"n1": {"attributes": {"cluster_mode": "1"}}, "n2": {}}}},
    "drivers": {"iscsi": {"targets": {TGT: {"enabled": True, "luns": {0: {"device": "n1"}}}}},
                "scst_local": {"targets": {"local1": {"attributes": {"session_name": ["s1", "s2"]},
                                                      "luns": {0: {"device": "n2"}}}}}},
    "device_groups": {"dg1": {"devices": ["n1", "n2"], "target_groups": {
        "here": {"group_id": 1, "preferred": True, "targets": {TGT: {}, "local1": {}}},
        "there": {"group_id": 2, "state": "standby", "targets": {PEER: {"rel_tgt_id": 7}}}}}},
}


def test_the_extended_shape_check_mode_diff_is_the_real_run_and_the_host_read_back(monkeypatch, tmp_path):
    """Root attributes, an attribute outside the catalog, scst_local targets with sessions and ALUA:
    check mode shows the real run's plan and diff, which is the host read back; unmentioned objects stay."""
    run = Runner(ScstEmulator(with_scst_local=True), monkeypatch, tmp_path)
    _host(run)
    for step, config in enumerate([EXTENDED, _changed(EXTENDED)]):
        check = run("scst_config", _args(tmp_path, config), check=True)
        assert not check["failed"] and check["changed"] and run.writes == [], check
        real = run("scst_config", _args(tmp_path, config))
        assert not real["failed"], real["msg"]
        assert planned(real) == planned(check) and real["diff"] == check["diff"]
        after = real["diff"]["after"]
        assert after == run("scst_info")["scst"], step
        assert sorted(after["handlers"]["vdisk_fileio"]["devices"]) == ["old1", "old2"]
        assert after["device_groups"]["dg1"]["target_groups"]["there"]["targets"] == {PEER: {"rel_tgt_id": 7 + step}}
        assert run("scst_config", _args(tmp_path, config))["changed"] is False


def _changed(config):
    config = copy.deepcopy(config)
    config["attributes"] = {"setup_id": "0x0", "max_tasklet_cmd": "20"}
    config["handlers"]["vdisk_nullio"]["devices"]["n1"]["attributes"]["cluster_mode"] = "0"
    config["drivers"]["scst_local"]["targets"]["local2"] = {"attributes": {"session_name": "s3"}}
    group = config["device_groups"]["dg1"]
    group["devices"] = ["n1"]
    group["target_groups"]["here"]["targets"] = {TGT: {}}
    group["target_groups"]["there"].update(state="active", targets={PEER: {"rel_tgt_id": 8}})
    config["device_groups"]["dg2"] = {"devices": ["n2"], "target_groups": {"fresh": {"targets": {"local2": {}}}}}
    return config
