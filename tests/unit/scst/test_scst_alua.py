"""scst_alua switches the ALUA state (and the preferred flag) of one target group:
one write per attribute that differs, no force needed while initiators are logged in,
check mode predicts the real run, the before/after state is returned, unknown groups
and hostile names fail naming the option before any write."""

from __future__ import annotations

import posixpath

import pytest
from hypothesis import HealthCheck, example, given, settings, strategies as st

from scst_emulator import ScstEmulator
from scst_unit_support import INI, TGT, Runner, planned

from ansible_collections.scst.iscsi.plugins.module_utils.scst.catalog import ALUA_STATES

PEER = "iqn.2026-11.com.example:node2.t1"
TG_A = "device_groups/vols/target_groups/node_a"
TG_B = "device_groups/vols/target_groups/node_b"


def _setup(emu):
    """A device group vols: node_a holds this host's target, node_b the peer's (remote)."""
    emu.write("handlers/vdisk_nullio/mgmt", "add_device d1")
    emu.write("targets/iscsi/mgmt", "add_target " + TGT)
    emu.write("targets/iscsi/%s/luns/mgmt" % TGT, "add d1 0")
    emu.write("device_groups/mgmt", "create vols")
    emu.write("device_groups/vols/devices/mgmt", "add d1")
    for tg in ("node_a", "node_b"):
        emu.write("device_groups/vols/target_groups/mgmt", "create " + tg)
    emu.write(TG_A + "/mgmt", "add " + TGT)
    emu.write(TG_B + "/mgmt", "add " + PEER)
    emu.write(TG_B + "/%s/rel_tgt_id" % PEER, "2")
    emu.reset_counters()
    emu.write_log.clear()


@pytest.fixture
def alua(run):
    _setup(run.emu)
    return run


def _tg_state(emu, tg):
    group = emu.state.device_groups["vols"].target_groups[tg]
    return group.state, group.preferred


def _args(**extra):
    args = {"device_group": "vols", "target_group": "node_a", "state": "unavailable"}
    args.update(extra)
    return args


def test_check_real_idempotent_with_before_and_after(alua):
    check = alua("scst_alua", _args(preferred=True), check=True)
    assert check["changed"] is True and check["_writes"] == []
    assert planned(check) == [(TG_A + "/state", "unavailable"), (TG_A + "/preferred", "1")]
    real = alua("scst_alua", _args(preferred=True))
    assert not real["failed"] and planned(real) == planned(check) == real["_writes"]
    assert _tg_state(alua.emu, "node_a") == ("unavailable", 1)
    for result in (check, real):
        assert (result["state_before"], result["state_after"]) == ("active", "unavailable")
        assert (result["preferred_before"], result["preferred_after"]) == (False, True)
        assert result["diff"] == {
            "before": {"device_group": "vols", "target_group": "node_a", "state": "active", "preferred": False},
            "after": {"device_group": "vols", "target_group": "node_a", "state": "unavailable", "preferred": True}}
    for check_mode in (False, True):
        again = alua("scst_alua", _args(preferred=True), check=check_mode)
        assert again["changed"] is False and again["_writes"] == [] and again["plan"] == []
        assert again["state_before"] == again["state_after"] == "unavailable"


@pytest.mark.parametrize("state", [s for s in ALUA_STATES if s != "active"])
def test_every_state_is_one_write_without_force_while_initiators_are_logged_in(alua, state):
    alua.emu.add_session("iscsi", TGT, INI)
    result = alua("scst_alua", _args(state=state))
    assert not result["failed"], result["msg"] if result["failed"] else None
    assert result["_writes"] == [(TG_A + "/state", state)]
    assert _tg_state(alua.emu, "node_a") == (state, 0)
    # and back: one write again
    back = alua("scst_alua", _args(state="active"))
    assert back["_writes"] == [(TG_A + "/state", "active")]


def test_preferred_is_left_alone_unless_given(alua):
    alua("scst_alua", _args(target_group="node_b", state="active", preferred=True))
    assert _tg_state(alua.emu, "node_b") == ("active", 1)
    result = alua("scst_alua", _args(target_group="node_b", state="standby"))
    assert result["_writes"] == [(TG_B + "/state", "standby")]
    assert _tg_state(alua.emu, "node_b") == ("standby", 1)
    cleared = alua("scst_alua", _args(target_group="node_b", state="standby", preferred=False))
    assert cleared["_writes"] == [(TG_B + "/preferred", "0")]
    assert _tg_state(alua.emu, "node_b") == ("standby", 0)


def test_members_and_devices_are_untouched(alua):
    before = alua.emu.state.device_groups["vols"]
    members = dict((tg, sorted(before.target_groups[tg].members)) for tg in ("node_a", "node_b"))
    alua("scst_alua", _args())
    after = alua.emu.state.device_groups["vols"]
    assert after.devices == ["d1"]
    assert dict((tg, sorted(after.target_groups[tg].members)) for tg in ("node_a", "node_b")) == members


@pytest.mark.parametrize("args,field,rule", [
    (_args(device_group="nosuch"), "device_group", "no device group nosuch on this host (device groups here: vols)"),
    (_args(target_group="node_c"), "target_group",
     "device group vols has no target group node_c (target groups: node_a, node_b)"),
])
def test_an_unknown_group_fails_naming_the_option(alua, args, field, rule):
    result = alua("scst_alua", args)
    assert result["failed"] and result["msg"] == "%s: %s" % (field, rule)
    assert result["field"] == field and not result.get("changed")
    assert alua.emu.write_log == []
    # check mode: an earlier task may create it
    check = alua("scst_alua", args, check=True)
    assert not check["failed"] and check["changed"] is True
    assert check["warnings"] == ["%s: %s (assumed to be created earlier in this run)" % (field, rule)]
    assert alua.emu.write_log == []


@pytest.mark.parametrize("args,field,rule", [
    (_args(state="sleeping"), "state", "value of state must be one of"),
    (_args(preferred="maybe"), "preferred", "preferred"),
    (_args(device_group="mgmt"), "device_group", "must not be mgmt"),
    (_args(target_group=".."), "target_group", "must not be '.' or '..'"),
    (_args(target_group="a/b"), "target_group", "must not contain '/'"),
    (_args(device_group="v ols"), "device_group", "must not contain whitespace"),
])
def test_bad_input_names_the_option_and_writes_nothing(alua, args, field, rule):
    result = alua("scst_alua", args)
    assert result["failed"] and field in result["msg"] and rule in result["msg"], result["msg"]
    assert alua.emu.write_log == []


HOSTILE = st.one_of(
    st.text(max_size=24),
    st.text(st.sampled_from(list("aZ9.-_/\\ \t\n\x00\x7f\u2028\u200b\u00e9\U0001f600\"{};=")), max_size=12),
    st.sampled_from([".", "..", "/", "../x", "a/..", "mgmt", "state", "preferred", "group_id", "\u00e9" * 40]),
)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=HOSTILE, option=st.sampled_from(["device_group", "target_group"]))
@example(name="..", option="target_group")
@example(name="x" * 65, option="device_group")
@example(name="a\nb", option="target_group")
def test_hostile_names_are_refused_or_stay_inside_the_group(tmp_path_factory, name, option):
    emu = ScstEmulator()
    _setup(emu)
    patch = pytest.MonkeyPatch()
    try:
        run = Runner(emu, patch, tmp_path_factory.mktemp("alua"))
        result = run("scst_alua", _args(**{option: name}), check=True)
    finally:
        patch.undo()
    assert emu.write_log == []
    if result["failed"]:
        # refused: by the name rules (field: rule), or by Ansible's type check for a non-string
        assert result["msg"].startswith(option + ": ") or option in result["msg"], result["msg"]
        return
    for path, _write in planned(result):
        parts = path.split("/")
        assert posixpath.normpath(path) == path and ".." not in parts and "" not in parts, path
        assert parts[:1] == ["device_groups"] and parts[-1] in ("state", "preferred") and len(parts) == 5, path


def test_persist_saves_the_new_state_and_check_mode_predicts_it(alua, tmp_path):
    """persist: the file gets the new state; check mode says it would be written
    (a pending change), writes nothing; once saved, a run changes nothing."""
    conf = tmp_path / "scst.conf"
    saved = alua("scst_alua", _args(state="active", persist=True, config_file=str(conf)))
    assert saved["plan"] == [] and saved["persisted"] is True
    before = conf.read_bytes()
    args = _args(persist=True, config_file=str(conf))
    check = alua("scst_alua", args, check=True)
    # the file matches the running state until the write: only the pending change tells
    assert check["changed"] is True and check["persisted"] is True and conf.read_bytes() == before
    real = alua("scst_alua", args)
    assert real["changed"] is True and real["persisted"] is True
    assert real["config_file"] == str(conf)
    text = conf.read_text()
    group = text[text.index("TARGET_GROUP node_a"):]
    assert "state unavailable" in group[:group.index("}")]
    assert oct(conf.stat().st_mode & 0o777) == "0o600"
    for check_mode in (True, False):
        again = alua("scst_alua", args, check=check_mode)
        assert again["changed"] is False and again["persisted"] is False


def test_persist_saves_a_file_that_lags_behind_without_a_state_change(alua, tmp_path):
    """The state is already right but the file is stale: the save is the change."""
    conf = tmp_path / "scst.conf"
    conf.write_text("# stale\n")
    result = alua("scst_alua", _args(state="active", persist=True, config_file=str(conf)))
    assert result["plan"] == [] and result["changed"] is True and result["persisted"] is True
    assert "TARGET_GROUP node_a" in conf.read_text()


def test_without_persist_no_file_is_written(alua, tmp_path):
    conf = tmp_path / "scst.conf"
    result = alua("scst_alua", _args(config_file=str(conf)))
    assert result["changed"] is True and result["persisted"] is False and not conf.exists()
