"""ALUA in the whole-host model, through the scst_config and scst_info modules on
the emulator: device groups with their devices, target groups with group_id, each
of the six states, preferred, local and remote targets (rel_tgt_id); the scst.conf
round trip (persist, parse as scst_import does, apply on a fresh host); a state
change is one write without force; deleting a group a session uses needs force;
bad input names the field and the rule and leaves the emulated host as it was."""

from __future__ import annotations

import copy

import pytest

from scst_unit_support import INI, planned

from ansible_collections.scst.iscsi.plugins.module_utils.scst.catalog import ALUA_STATES
from ansible_collections.scst.iscsi.plugins.module_utils.scst.conf import normalise_config, parse_scst_conf

T1 = "iqn.2026-11.com.example:node1.t1"
T2 = "iqn.2026-11.com.example:node1.t2"
PEER = "iqn.2026-11.com.example:node2.t1"
PEER2 = "iqn.2026-11.com.example:node2.t2"

CONFIG = {
    "handlers": {"vdisk_nullio": {"devices": {"d1": {}, "d2": {}, "d3": {}}}},
    "drivers": {"iscsi": {"enabled": True, "targets": {
        T1: {"enabled": True, "attributes": {"rel_tgt_id": "1"}, "luns": {0: {"device": "d1"}}},
        T2: {"enabled": True, "attributes": {"rel_tgt_id": "2"}, "luns": {0: {"device": "d3"}}},
    }}},
    "device_groups": {
        "vols": {"devices": ["d1", "d2"], "target_groups": {
            "node_a": {"group_id": 1, "state": "active", "preferred": True, "targets": {T1: {}}},
            "node_b": {"group_id": 2, "state": "standby", "targets": {PEER: {"rel_tgt_id": 11}}},
        }},
        "logs": {"devices": ["d3"], "target_groups": {
            "node_a": {"group_id": 3, "state": "nonoptimized", "targets": {T2: {}}},
            "node_b": {"group_id": 4, "state": "unavailable", "targets": {PEER2: {"rel_tgt_id": 12}}},
        }},
    },
}


def _args(tmp_path, config, **extra):
    args = {"config": copy.deepcopy(config), "config_file": str(tmp_path / "scst.conf")}
    args.update(extra)
    return args


def _alua(emu):
    """The emulator's own ALUA state (not read through the collection)."""
    return dict((name, (sorted(dg.devices), dict(
        (tg.name, (tg.group_id, tg.state, tg.preferred,
                   dict((m.name, (m.local_driver, m.rel_tgt_id)) for m in tg.members.values())))
        for tg in dg.target_groups.values()))) for name, dg in emu.state.device_groups.items())


EXPECTED = {
    "vols": (["d1", "d2"], {"node_a": (1, "active", 1, {T1: ("iscsi", 0)}),
                            "node_b": (2, "standby", 0, {PEER: (None, 11)})}),
    "logs": (["d3"], {"node_a": (3, "nonoptimized", 0, {T2: ("iscsi", 0)}),
                      "node_b": (4, "unavailable", 0, {PEER2: (None, 12)})}),
}


def test_apply_info_persist_import_and_apply_again(run, tmp_path):
    check = run("scst_config", _args(tmp_path, CONFIG), check=True)
    real = run("scst_config", _args(tmp_path, CONFIG))
    assert not real["failed"] and planned(real) == planned(check) and check["diff"] == real["diff"]
    assert _alua(run.emu) == EXPECTED
    assert run("scst_config", _args(tmp_path, CONFIG))["changed"] is False
    # scst_info reports the same shape
    info = run("scst_info", {})["scst"]["device_groups"]
    assert info == normalise_config(CONFIG)["device_groups"]
    # scst.conf round trip: what was saved parses (as scst_import does) to the same groups
    text = (tmp_path / "scst.conf").read_text()
    assert "DEVICE_GROUP vols {" in text and "TARGET_GROUP node_b {" in text
    parsed, report = parse_scst_conf(text)
    assert report == [] and parsed["device_groups"] == normalise_config(CONFIG)["device_groups"]
    # ... and the parsed configuration on a fresh host gives the same ALUA state and file
    run.emu.__init__()
    other = tmp_path / "other"
    other.mkdir()
    run("scst_config", _args(other, parsed))
    assert _alua(run.emu) == EXPECTED
    assert (other / "scst.conf").read_bytes() == (tmp_path / "scst.conf").read_bytes()


@pytest.mark.parametrize("state", ALUA_STATES)
def test_each_state_change_is_one_write_without_force_and_persists(run, tmp_path, state):
    run("scst_config", _args(tmp_path, CONFIG))
    run.emu.add_session("iscsi", T1, INI)
    changed = copy.deepcopy(CONFIG)
    changed["device_groups"]["vols"]["target_groups"]["node_b"]["state"] = state
    result = run("scst_config", _args(tmp_path, changed, purge=True))
    assert not result["failed"], result.get("msg")
    if state == "standby":
        assert result["_writes"] == [] and result["changed"] is False
        return
    assert result["_writes"] == [("device_groups/vols/target_groups/node_b/state", state)]
    assert result["persisted"] is True
    assert _alua(run.emu)["vols"][1]["node_b"][1] == state
    parsed, _report = parse_scst_conf((tmp_path / "scst.conf").read_text())
    assert parsed["device_groups"]["vols"]["target_groups"]["node_b"]["state"] == state


@pytest.mark.parametrize("drop", ["device_group", "target_group"])
def test_deleting_a_group_a_session_uses_needs_force(run, tmp_path, drop):
    run("scst_config", _args(tmp_path, CONFIG))
    run.emu.add_session("iscsi", T1, INI)
    smaller = copy.deepcopy(CONFIG)
    if drop == "device_group":
        del smaller["device_groups"]["vols"]
        words = "refusing to delete device group vols"
    else:
        del smaller["device_groups"]["vols"]["target_groups"]["node_a"]
        words = "refusing to delete target group node_a of device group vols"
    before = run.emu.dump()
    refused = run("scst_config", _args(tmp_path, smaller, purge=True))
    assert refused["failed"] and words in refused["msg"] and INI in refused["msg"], refused["msg"]
    assert run.emu.write_log == [] and run.emu.dump() == before
    forced = run("scst_config", _args(tmp_path, smaller, purge=True, force=True))
    assert not forced["failed"]
    assert ("vols" not in _alua(run.emu)) if drop == "device_group" else (
        list(_alua(run.emu)["vols"][1]) == ["node_b"])


def _tgs(config, group="vols"):
    return config["device_groups"][group]["target_groups"]


@pytest.mark.parametrize("mutate,field,rule", [
    (lambda c: _tgs(c)["node_b"].update(group_id=1), "config.device_groups.vols.target_groups.node_b.group_id",
     "1 is also the group_id of target group node_a; group ids are unique within a device group"),
    (lambda c: _tgs(c)["node_b"]["targets"][PEER].update(rel_tgt_id=1),
     "config.device_groups.vols.target_groups.node_b.targets.%s.rel_tgt_id" % PEER,
     "1 is also the rel_tgt_id of target %s; relative target port ids are unique" % T1),
    (lambda c: _tgs(c)["node_b"]["targets"].update({"iqn.2026-11.com.example:node3": {"rel_tgt_id": 11}}),
     "config.device_groups.vols.target_groups.node_b.targets.iqn.2026-11.com.example:node3.rel_tgt_id",
     "11 is also the rel_tgt_id of target %s; relative target port ids are unique" % PEER),
    # groups are read in name order: logs takes d1 first, vols is the second claim
    (lambda c: c["device_groups"]["logs"]["devices"].append("d1"), "config.device_groups.vols.devices[0]",
     "device d1 is also in device group logs; a device belongs to at most one device group"),
    (lambda c: _tgs(c)["node_a"].update(group_id=70000), "config.device_groups.vols.target_groups.node_a.group_id",
     "must be a number from 0 to 65535"),
])
def test_bad_alua_input_names_the_field_and_the_rule_and_changes_nothing(run, tmp_path, mutate, field, rule):
    run("scst_config", _args(tmp_path, CONFIG))
    saved = (tmp_path / "scst.conf").read_bytes()
    changed = copy.deepcopy(CONFIG)
    _tgs(changed)["node_a"]["state"] = "offline"      # a valid change beside the bad one: not made either
    mutate(changed)
    before = run.emu.dump()
    for check in (True, False):
        result = run("scst_config", _args(tmp_path, changed), check=check)
        assert result["failed"] and result["msg"].startswith(field), result["msg"]
        assert rule in result["msg"], result["msg"]
        assert run.emu.write_log == [] and run.emu.dump() == before
        assert (tmp_path / "scst.conf").read_bytes() == saved


@pytest.mark.parametrize("check", [True, False])
def test_a_new_target_group_gets_its_members_before_its_state(run, tmp_path, check):
    """Real SCST: a state change of a target group without a remote target and
    without sessions reaches the devices' handlers, and vdisk_blockio closes
    its backing device on a non-active state (every command then fails with
    "medium not present"). So each target group's targets go in before its
    state, group_id and preferred are written: node_b, a group of remote
    targets set to standby, must not make this node's devices unusable."""
    result = run("scst_config", _args(tmp_path, CONFIG), check=check)
    assert not result["failed"], result.get("msg")
    writes = planned(result)
    for group, (_devices, tgs) in EXPECTED.items():
        for tg, (_gid, _state, _pref, members) in tgs.items():
            base = "device_groups/%s/target_groups/%s/" % (group, tg)
            adds = [i for i, (path, value) in enumerate(writes)
                    if path == base + "mgmt" and value.startswith("add ")]
            settings = [i for i, (path, _v) in enumerate(writes)
                        if path in (base + "state", base + "group_id", base + "preferred")]
            assert len(adds) == len(members) and settings, (tg, writes)
            assert max(adds) < min(settings), "%s/%s: %s" % (group, tg, writes)


@pytest.mark.parametrize("check", [True, False])
def test_purge_moves_a_target_to_another_group_with_one_del(run, tmp_path, check):
    """With purge, a target that moves from node_a to node_b leaves node_a once:
    the move takes it out, the purge of node_a's extra members does not again
    (a second "del" is EINVAL on SCST, after check mode had passed)."""
    assert not run("scst_config", _args(tmp_path, CONFIG))["failed"]
    moved = copy.deepcopy(CONFIG)
    tgs = moved["device_groups"]["vols"]["target_groups"]
    tgs["node_a"]["targets"] = {}
    tgs["node_b"]["targets"][T1] = {}
    result = run("scst_config", _args(tmp_path, moved, purge=True), check=check)
    assert not result["failed"], result.get("msg")
    dels = [w for w in planned(result) if w == ("device_groups/vols/target_groups/node_a/mgmt", "del " + T1)]
    assert len(dels) == 1, planned(result)
    if not check:
        assert set(_alua(run.emu)["vols"][1]["node_b"][3]) == {PEER, T1}
        assert _alua(run.emu)["vols"][1]["node_a"][3] == {}
