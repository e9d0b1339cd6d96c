"""Safe mode for what a logged-in session sees: a change that takes a LUN away
from a session, or shows another device behind its number, is refused without
force (naming the session) and done with force.  The emulator re-binds
sessions after every group change, as SCST does."""

from __future__ import annotations

import copy

import pytest

from ansible_collections.scst.iscsi.plugins.module_utils.scst.visibility import initiator_matches
from scst_unit_support import INI, TGT

OTHER = "iqn.2026-11.com.example:host2"


def _disks(run, *names):
    for name in names:
        args = {"name": name, "handler": "vdisk_fileio", "filename": "/srv/%s.img" % name}
        assert not run("scst_device", args)["failed"]


def _two_groups(run):
    """Group a (host1, LUN 0 = d1) and group b (LUN 0 = d2); host1 logged in, bound to a."""
    _disks(run, "d1", "d2", "d3")
    run("scst_target", {"name": TGT, "enabled": True})
    run("scst_group", {"target": TGT, "name": "a", "initiators": [INI], "luns": [{"lun": 0, "device": "d1"}]})
    run("scst_group", {"target": TGT, "name": "b", "initiators": [], "luns": [{"lun": 0, "device": "d2"}]})
    return run.emu.add_session("iscsi", TGT, INI)


def _sees(run, session):
    """LUN number -> device of what the session sees, read through the session's luns link."""
    root = "targets/iscsi/%s/sessions/%s/luns" % (TGT, session)
    backend = run.backend
    return dict((int(n), backend.readlink("%s/%s/device" % (root, n)).rsplit("/", 1)[-1])
                for n in backend.listdir(root) if n.isdigit())


def _refused(run, module, args, session, *, check=False):
    result = run(module, args, check=check)
    assert result["failed"] is True, result
    assert "refusing" in result["msg"] and session in result["msg"] and "force: true" in result["msg"]
    assert run.writes == [] and result["changed"] is False
    return result


def test_moving_a_logged_in_initiator_to_another_group_is_refused_unless_forced(run):
    session = _two_groups(run)
    assert _sees(run, session) == {0: "d1"}
    args = {"target": TGT, "name": "b", "initiators": [INI], "exclusive": False}
    for check in (True, False):
        result = _refused(run, "scst_group", args, session, check=check)
        assert "LUN 0 would show d2 instead of d1" in result["msg"]
    assert _sees(run, session) == {0: "d1"}
    forced = run("scst_group", dict(args, force=True))
    assert not forced["failed"] and forced["changed"] is True
    assert [a["write"] for a in forced["plan"]] == ["move %s b" % INI]
    assert _sees(run, session) == {0: "d2"}


def test_scst_config_moving_a_logged_in_initiator_is_refused_unless_forced(run, tmp_path):
    session = _two_groups(run)
    config = {"drivers": {"iscsi": {"targets": {TGT: {"groups": {
        "a": {"initiators": []}, "b": {"initiators": [INI]}}}}}}}
    args = {"config": config, "config_file": str(tmp_path / "scst.conf")}
    _refused(run, "scst_config", args, session, check=True)
    _refused(run, "scst_config", copy.deepcopy(args), session)
    forced = run("scst_config", dict(copy.deepcopy(args), force=True))
    assert not forced["failed"], forced
    assert _sees(run, session) == {0: "d2"}


def test_adding_a_session_from_the_default_lun_set_to_a_group_is_refused(run):
    _disks(run, "d1")
    run("scst_target", {"name": TGT})
    run("scst_lun", {"target": TGT, "lun": 0, "device": "d1"})
    run("scst_group", {"target": TGT, "name": "a", "initiators": []})
    session = run.emu.add_session("iscsi", TGT, INI)
    assert _sees(run, session) == {0: "d1"}
    result = _refused(run, "scst_group", {"target": TGT, "name": "a", "initiators": [INI]}, session)
    assert "LUN 0 (d1) would disappear" in result["msg"]


@pytest.mark.parametrize("pattern, refused", [
    ("iqn.2026-11.com.example:*", True),
    ("IQN.2026-11.COM.EXAMPLE:HOST?", True),     # SCST matches case-insensitively
    ("!" + OTHER, True),                          # everybody but host2: host1 too
    ("!" + INI, False),
    ("iqn.2026-11.com.example:db*", False),
])
def test_a_pattern_that_matches_a_session_counts_as_adding_it(run, pattern, refused):
    _disks(run, "d1")
    run("scst_target", {"name": TGT})
    run("scst_lun", {"target": TGT, "lun": 0, "device": "d1"})
    session = run.emu.add_session("iscsi", TGT, INI)
    args = {"target": TGT, "name": "g", "initiators": [pattern]}
    if refused:
        _refused(run, "scst_group", args, session)
    else:
        assert not run("scst_group", args)["failed"]
        assert _sees(run, session) == {0: "d1"}


def test_removing_the_name_a_session_is_bound_by_is_refused(run):
    session = _two_groups(run)
    _refused(run, "scst_group", {"target": TGT, "name": "a", "initiators": []}, session)
    assert _sees(run, session) == {0: "d1"}


def test_new_luns_for_a_logged_in_session_are_not_refused(run):
    session = _two_groups(run)
    result = run("scst_group", {"target": TGT, "name": "a", "luns": [{"lun": 1, "device": "d3"}], "exclusive": False})
    assert not result["failed"], result
    assert _sees(run, session) == {0: "d1", 1: "d3"}


def test_deleting_a_device_purged_by_scst_config_is_refused_while_a_session_sees_it(run, tmp_path):
    session = _two_groups(run)
    config = {"handlers": {"vdisk_fileio": {"devices": {"d2": {"filename": "/srv/d2.img"},
                                                        "d3": {"filename": "/srv/d3.img"}}}}}
    result = _refused(run, "scst_config", {"config": config, "purge": True, "config_file": str(tmp_path / "c")},
                      session)
    assert "d1" in result["msg"]


@pytest.mark.parametrize("pattern, name, matches", [
    ("iqn.x:a", "IQN.X:A", True),
    ("iqn.*", "iqn.x:a", True),
    ("iqn.?:a", "iqn.x:a", True),
    ("iqn.?:a", "iqn.xy:a", False),
    ("!iqn.x:a", "iqn.x:a", False),
    ("!iqn.x:a", "iqn.x:b", True),
    ("iqn.!x", "iqn.y", True),       # the first '!' negates the rest from there
    ("iqn.!x", "iqn.x", False),
    ("!a!b", "a!b", False),          # a later '!' is a literal
    ("!a!b", "ab", True),
    ("*", "", True),
    ("", "a", False),
])
def test_initiator_matching(pattern, name, matches):
    assert initiator_matches(pattern, name) is matches


def test_deleting_a_group_a_session_is_rebound_to_by_the_same_plan(run, tmp_path):
    """host1 is in groups a and b and bound to a (the older one); taking it out of a
    binds it to b, so deleting b in the same plan would fail with EBUSY half-way."""
    _disks(run, "d1")
    run("scst_target", {"name": TGT})
    run("scst_group", {"target": TGT, "name": "a", "initiators": [INI]})
    run("scst_group", {"target": TGT, "name": "b"})
    # SCST allows one name in two groups (scst_group would move it): set up by hand
    run.backend.write("targets/iscsi/%s/ini_groups/b/initiators/mgmt" % TGT, "add " + INI)
    session = run.emu.add_session("iscsi", TGT, INI)
    assert _sees(run, session) == {} and "/ini_groups/a/" in run.backend.readlink(
        "targets/iscsi/%s/sessions/%s/luns" % (TGT, session)) + "/"
    config = {"drivers": {"iscsi": {"targets": {TGT: {"groups": {"a": {"initiators": []}}}}}}}
    args = {"config": config, "purge": True, "config_file": str(tmp_path / "scst.conf")}
    for check in (True, False):
        _refused(run, "scst_config", copy.deepcopy(args), session, check=check)
    check = run("scst_config", dict(copy.deepcopy(args), force=True), check=True)
    forced = run("scst_config", dict(copy.deepcopy(args), force=True))
    assert not forced["failed"], forced["msg"]
    assert forced["plan"] == check["plan"]
    assert forced["plan"][0]["write"] == "1" and forced["plan"][0]["path"].endswith("/force_close")
    assert run("scst_info")["runtime"]["sessions"] == {}
