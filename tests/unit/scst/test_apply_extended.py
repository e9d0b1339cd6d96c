"""scst_config applies the whole extended shape: root and handler attributes,
attributes outside the catalog, LUN attributes, targets of any driver and ALUA
device groups; bad input fails naming the field and the rule, before any write."""

from __future__ import annotations

import copy
import inspect

import pytest

from ansible_collections.scst.iscsi.plugins.module_utils.scst import alua, chap, config, device, driver, group, lun
from ansible_collections.scst.iscsi.plugins.module_utils.scst import root, target
from ansible_collections.scst.iscsi.plugins.module_utils.scst.config import ConfigRequest, plan_config
from ansible_collections.scst.iscsi.plugins.module_utils.scst.errors import SafetyError, ScstError, ValidationError
from ansible_collections.scst.iscsi.plugins.module_utils.scst.runner import execute
from scst_emulator import InProcessBackend, ScstEmulator

T1 = "iqn.2026-11.com.example:node1.t1"
T2 = "iqn.2026-11.com.example:node1.t2"
PEER = "iqn.2026-11.com.example:node2.t1"
H1 = "iqn.2026-11.com.example:host1"

BASE = {
    "handlers": {"vdisk_nullio": {"devices": {"d1": {"attributes": {"size_mb": "64"}}, "d2": {}, "d3": {}}}},
    "drivers": {"iscsi": {"targets": {
        T1: {"enabled": True, "attributes": {"rel_tgt_id": "1"}, "luns": {0: {"device": "d1"}}},
        T2: {"enabled": True, "attributes": {"rel_tgt_id": "2"}, "luns": {0: {"device": "d2"}}},
    }}},
}
ALUA = dict(copy.deepcopy(BASE), device_groups={
    "dg1": {"devices": ["d1", "d2"], "target_groups": {
        "local": {"group_id": 1, "preferred": True, "targets": {T1: {}, T2: {}}},
        "peer": {"group_id": 2, "state": "standby", "targets": {PEER: {"rel_tgt_id": 3}}},
    }},
})


def _host(emu, tmp_path):
    backend = InProcessBackend(emu)
    params = {"sysfs_root": str(tmp_path / "scst_tgt")}

    def apply(config_, *, check=False, **options):
        request = ConfigRequest(copy.deepcopy(config_), **options)
        emu.reset_counters()
        result = execute(params, lambda live: plan_config(live, request, check_mode=check),
                         check_mode=check, diff=False, warn=lambda text: None, backend=backend)
        result["_writes"] = [(p, d) for p, d, _e in emu.write_log]
        return result

    apply.emu = emu
    return apply


@pytest.fixture
def host(emu, tmp_path):
    return _host(emu, tmp_path)


@pytest.fixture
def local_host(tmp_path):
    return _host(ScstEmulator(with_scst_local=True), tmp_path)


def _alua_state(emu):
    """The emulator's own ALUA state (not read through the collection)."""
    return dict((name, {
        "devices": sorted(dg.devices),
        "tgs": dict((tg.name, (tg.group_id, tg.state, tg.preferred,
                               dict((m.name, (m.local_driver, m.rel_tgt_id)) for m in tg.members.values())))
                    for tg in dg.target_groups.values()),
    }) for name, dg in emu.state.device_groups.items())


def _writes(result):
    return [(a["path"], a["write"]) for a in result["plan"]]


# -- one planner convention ----------------------------------------------------

PLANNERS = [device.plan_device, target.plan_target, driver.plan_driver, group.plan_group, lun.plan_lun,
            lun.plan_lun_set, chap.plan_chap, root.plan_root, root.plan_handler, alua.plan_alua,
            config.plan_config]


@pytest.mark.parametrize("planner", PLANNERS, ids=[p.__name__ for p in PLANNERS])
def test_every_planner_has_one_signature(planner):
    parameters = list(inspect.signature(planner).parameters.values())
    assert [(p.name, p.kind) for p in parameters] == [
        ("live", inspect.Parameter.POSITIONAL_OR_KEYWORD), ("request", inspect.Parameter.POSITIONAL_OR_KEYWORD),
        ("check_mode", inspect.Parameter.KEYWORD_ONLY)]
    assert parameters[2].default is False


def test_no_add_to_plan_helpers_are_left():
    for module in (target, group, lun, config):
        public = [n for n in dir(module) if not n.startswith("_")]
        assert not [n for n in public if n.endswith("_removal") or n == "plan_luns"], module.__name__


# -- ALUA ----------------------------------------------------------------------

def test_alua_check_real_read_back_idempotent(host):
    check = host(ALUA, check=True)
    assert check["changed"] and check["_writes"] == []
    real = host(ALUA)
    assert _writes(real) == _writes(check)
    writes = [w for _p, w in _writes(real)]
    # devices and targets exist before they join groups (a target added first would be remote)
    assert writes.index("add_device d1 size_mb=64") < writes.index("add d1")
    assert writes.index("add_target " + T1) < writes.index("add " + T1)
    assert _alua_state(host.emu) == {"dg1": {"devices": ["d1", "d2"], "tgs": {
        "local": (1, "active", 1, {T1: ("iscsi", 0), T2: ("iscsi", 0)}),
        "peer": (2, "standby", 0, {PEER: (None, 3)})}}}
    again = host(ALUA)
    assert again["changed"] is False and again["_writes"] == []
    assert host(ALUA, purge=True)["_writes"] == []


def test_a_state_change_is_one_write_and_needs_no_force(host):
    host(ALUA)
    host.emu.add_session("iscsi", T1, H1)
    changed = copy.deepcopy(ALUA)
    changed["device_groups"]["dg1"]["target_groups"]["local"]["state"] = "nonoptimized"
    result = host(changed, purge=True)
    assert result["_writes"] == [("device_groups/dg1/target_groups/local/state", "nonoptimized")]
    assert _alua_state(host.emu)["dg1"]["tgs"]["local"][1] == "nonoptimized"


def test_deleting_a_device_group_in_use_needs_force(host):
    host(ALUA)
    host.emu.add_session("iscsi", T1, H1)
    without = copy.deepcopy(BASE)
    with pytest.raises(SafetyError) as err:
        host(without, purge=True)
    assert "device group dg1" in str(err.value) and H1 in str(err.value)
    assert host.emu.write_log == []
    host(without, purge=True, force=True)
    assert _alua_state(host.emu) == {}


def test_deleting_a_target_group_in_use_needs_force(host):
    host(ALUA)
    host.emu.add_session("iscsi", T2, H1)
    without = copy.deepcopy(ALUA)
    del without["device_groups"]["dg1"]["target_groups"]["local"]
    with pytest.raises(SafetyError) as err:
        host(without, purge=True)
    assert "target group local of device group dg1" in str(err.value) and T2 in str(err.value)
    assert host.emu.write_log == []
    # the peer's group has no local target: nothing in use
    no_peer = copy.deepcopy(ALUA)
    del no_peer["device_groups"]["dg1"]["target_groups"]["peer"]
    assert host(no_peer, purge=True)["_writes"] == [("device_groups/dg1/target_groups/mgmt", "del peer")]
    host(without, purge=True, force=True)
    assert list(_alua_state(host.emu)["dg1"]["tgs"]) == ["peer"]


def test_unmentioned_alua_objects_are_kept_without_purge(host):
    bigger = copy.deepcopy(ALUA)
    bigger["device_groups"]["dg2"] = {"devices": ["d3"], "target_groups": {"other": {"group_id": 7}}}
    bigger["device_groups"]["dg1"]["target_groups"]["spare"] = {"group_id": 3}
    bigger["device_groups"]["dg1"]["target_groups"]["peer"]["targets"]["iqn.2026-11.com.example:node3"] = {}
    host(bigger)
    assert host(ALUA)["changed"] is False
    purged = host(ALUA, purge=True)
    assert sorted(w for _p, w in _writes(purged)) == ["del dg2", "del iqn.2026-11.com.example:node3", "del spare"]
    assert host(ALUA, purge=True)["changed"] is False
    assert sorted(_alua_state(host.emu)) == ["dg1"]


def test_a_device_moves_between_device_groups(host):
    host(ALUA)
    moved = copy.deepcopy(ALUA)
    moved["device_groups"]["dg1"]["devices"] = ["d1"]
    moved["device_groups"]["dg2"] = {"devices": ["d2"]}
    writes = _writes(host(moved))
    assert writes.index(("device_groups/dg1/devices/mgmt", "del d2")) < \
        writes.index(("device_groups/dg2/devices/mgmt", "add d2"))
    assert _alua_state(host.emu)["dg2"]["devices"] == ["d2"]
    assert host(moved, purge=True)["changed"] is False


def test_a_re_created_device_stays_in_its_device_group(host):
    host(ALUA)
    changed = copy.deepcopy(ALUA)
    changed["handlers"]["vdisk_nullio"]["devices"]["d1"]["attributes"]["blocksize"] = "4096"
    host(changed, recreate=True)
    assert _alua_state(host.emu)["dg1"]["devices"] == ["d1", "d2"]
    assert host(changed, purge=True)["changed"] is False
    # not mentioned in the configuration: the device goes back where it was
    no_alua = copy.deepcopy(changed)
    del no_alua["device_groups"]
    no_alua["handlers"]["vdisk_nullio"]["devices"]["d1"]["attributes"]["blocksize"] = "512"
    host(no_alua, recreate=True)
    assert _alua_state(host.emu)["dg1"]["devices"] == ["d1", "d2"]


def test_scst_device_recreate_restores_the_device_group(run):
    run("scst_device", {"name": "d1", "handler": "vdisk_nullio", "attributes": {"size_mb": 64}})
    run.emu.write("device_groups/mgmt", "create dg1")
    run.emu.write("device_groups/dg1/devices/mgmt", "add d1")
    result = run("scst_device", {"name": "d1", "handler": "vdisk_nullio",
                                 "attributes": {"size_mb": 64, "blocksize": 4096}, "recreate": True})
    assert ("device_groups/dg1/devices/mgmt", "add d1") in run.writes, result
    assert run.emu.state.device_groups["dg1"].devices == ["d1"]


def _tg(config_, name="local"):
    return config_["device_groups"]["dg1"]["target_groups"][name]


@pytest.mark.parametrize("mutate,field,rule", [
    (lambda c: _tg(c, "peer").update(group_id=1), "device_groups.dg1.target_groups.peer.group_id",
     "also the group_id of target group local"),
    (lambda c: _tg(c, "peer")["targets"].update({"iqn.2026-11.com.example:node3": {"rel_tgt_id": 3}}),
     "target_groups.peer.targets.iqn.2026-11.com.example:node3.rel_tgt_id", "also the rel_tgt_id of target"),
    (lambda c: _tg(c, "peer")["targets"][PEER].update(rel_tgt_id=2), "peer.targets.%s.rel_tgt_id" % PEER,
     "2 is also the rel_tgt_id of target %s" % T2),
    (lambda c: c["device_groups"].update(dg2={"devices": ["d3", "d1"]}), "device_groups.dg2.devices",
     "device d1 is also in device group dg1"),
    (lambda c: _tg(c).update(state="sleeping"), "device_groups.dg1.target_groups.local.state",
     "must be one of active, nonoptimized"),
    (lambda c: _tg(c)["targets"].update({T1: {"rel_tgt_id": 5}}), "targets.%s.rel_tgt_id" % T1,
     "is a target of this host"),
    (lambda c: _tg(c, "peer")["targets"].update({T1: {}}), "device_groups.dg1.target_groups.peer.targets." + T1,
     "also in target group local"),
])
def test_bad_alua_input(host, mutate, field, rule):
    bad = copy.deepcopy(ALUA)
    mutate(bad)
    with pytest.raises(ValidationError) as err:
        host(bad)
    assert field in err.value.field and rule in err.value.rule, str(err.value)
    assert host.emu.write_log == []


# -- root and handler attributes -------------------------------------------------

def test_setup_id_is_written_before_devices_are_created(host):
    config_ = dict(copy.deepcopy(BASE), attributes={"setup_id": 0x1234, "async_lun_replace": "1"})
    result = host(config_)
    writes = _writes(result)
    # YAML reads 0x1234 as a number; SCST shows 0x1234
    assert writes.index(("setup_id", "0x1234")) < writes.index(("handlers/vdisk_nullio/mgmt",
                                                                "add_device d1 size_mb=64"))
    assert ("async_lun_replace", "1") in writes    # outside the catalog: the exact string
    # the default identifiers of devices created in the same run carry it
    assert host.emu.state.devices["d1"].attrs["t10_dev_id"].startswith("1234")
    assert host(config_)["changed"] is False


@pytest.mark.parametrize("attrs,field,rule", [
    ({"suspend": "1"}, "attributes.suspend", "not a root attribute"),
    ({"setup_id": "0x1234567890"}, "attributes.setup_id", "must fit in 32 bits"),
    ({"threads": "0"}, "attributes.threads", "must be between 1"),
    ({"poll_us": "two\nlines"}, "attributes.poll_us", "must be a plain decimal"),
    ({"cluster_name": "x" * 64}, "attributes.cluster_name", "must be at most 63 bytes"),
    ({"nosuch": "1"}, "attributes.nosuch", "SCST has no attribute nosuch"),
])
def test_bad_root_attributes(host, attrs, field, rule):
    with pytest.raises(ValidationError) as err:
        host(dict(copy.deepcopy(BASE), attributes=attrs))
    assert err.value.field == "config." + field and rule in err.value.rule, str(err.value)
    assert host.emu.write_log == []


def test_handler_attributes_are_checked_against_the_handler(host):
    bad = copy.deepcopy(BASE)
    bad["handlers"]["vdisk_nullio"]["attributes"] = {"bogus": "1"}
    with pytest.raises(ValidationError) as err:
        host(bad)
    assert err.value.field == "config.handlers.vdisk_nullio.attributes.bogus"
    assert "handler vdisk_nullio has no attribute bogus" in err.value.rule
    assert host.emu.write_log == []


# -- attributes outside the catalog --------------------------------------------

def test_device_attributes_outside_the_catalog(tmp_path):
    # without the copy manager's LUNs a device is not "exported": pr_file_name can be written
    host = _host(ScstEmulator(auto_cm_assignment=False), tmp_path)
    config_ = copy.deepcopy(BASE)
    devices = config_["handlers"]["vdisk_nullio"]["devices"]
    devices["d3"]["attributes"] = {"size_mb": "8", "cluster_mode": "1"}
    devices["d4"] = {"attributes": {"pr_file_name": "/var/lib/scst/pr/custom-d4"}}
    writes = _writes(host(config_))
    # a creation parameter the handler advertises goes into add_device, others are written after
    assert ("handlers/vdisk_nullio/mgmt", "add_device d3 cluster_mode=1;size_mb=8") in writes
    assert writes.index(("handlers/vdisk_nullio/mgmt", "add_device d4")) < \
        writes.index(("devices/d4/pr_file_name", "/var/lib/scst/pr/custom-d4"))
    assert host.emu.state.devices["d4"].pr_file_name == "/var/lib/scst/pr/custom-d4"
    assert host(config_)["changed"] is False
    # compared as exact strings: a different one is written
    devices["d4"]["attributes"]["pr_file_name"] = "/var/lib/scst/pr/other"
    assert _writes(host(config_)) == [("devices/d4/pr_file_name", "/var/lib/scst/pr/other")]


@pytest.mark.parametrize("attrs,field,rule", [
    ({"pr_file_name": "/x\nadd_device evil"}, "attributes.pr_file_name", "must be a single line"),
    ({"cluster_mode": "1;dummy=1"}, "attributes.cluster_mode", "must not contain whitespace, ';', '='"),
    ({"cluster_mode": "1 2"}, "attributes.cluster_mode", "must not contain whitespace"),
    ({"t10_vend_id": "TOO-LONG-VENDOR"}, "attributes.t10_vend_id", "must be at most 8 bytes"),
    ({"pr_file_name": " /x"}, "attributes.pr_file_name", "must not start or end with blanks"),
    ({"nv_cache": "1"}, "attributes.nv_cache", "not a managed device attribute for vdisk_nullio"),
])
def test_bad_device_attributes_name_the_field(host, attrs, field, rule):
    bad = copy.deepcopy(BASE)
    bad["handlers"]["vdisk_nullio"]["devices"]["d3"]["attributes"] = attrs
    with pytest.raises(ValidationError) as err:
        host(bad)
    assert err.value.field == "config.handlers.vdisk_nullio.devices.d3." + field
    assert rule in err.value.rule, str(err.value)
    assert host.emu.write_log == []


def test_an_attribute_the_device_does_not_have_is_refused_before_any_write(host):
    host(BASE)
    bad = copy.deepcopy(BASE)
    bad["handlers"]["vdisk_nullio"]["devices"]["d2"]["attributes"] = {"nosuch": "1"}
    bad["handlers"]["vdisk_nullio"]["devices"]["d9"] = {}
    with pytest.raises(ValidationError) as err:
        host(bad)
    assert err.value.field == "config.handlers.vdisk_nullio.devices.d2.attributes.nosuch"
    assert "device d2 has no attribute nosuch" in err.value.rule
    assert host.emu.write_log == []


def test_lun_attributes_are_written_to_the_lun(host):
    config_ = copy.deepcopy(BASE)
    config_["drivers"]["iscsi"]["targets"][T1]["luns"][0]["attributes"] = {"lun_prio": "3"}
    check = host(config_, check=True)
    assert ("targets/iscsi/%s/luns/0/lun_prio" % T1, "3") in _writes(check)
    host(BASE)
    with pytest.raises(ValidationError) as err:
        host(config_)
    assert err.value.field == "config.drivers.iscsi.targets.%s.luns.0.attributes.lun_prio" % T1
    assert "has no attribute lun_prio" in err.value.rule
    assert host.emu.write_log == []


# -- targets of any driver ----------------------------------------------------------

LOCAL = {
    "handlers": {"vdisk_nullio": {"devices": {"d1": {}}}},
    "drivers": {"scst_local": {"targets": {
        "scst_local_tgt": {"attributes": {"session_name": "scst_local_host"}},
        "loc1": {"attributes": {"session_name": ["host_a", "host_b"], "scsi_transport_version": "0x5"},
                 "luns": {0: {"device": "d1"}}},
    }}},
}


def test_scst_local_targets_are_created_through_the_driver(local_host):
    result = local_host(LOCAL, purge=True)
    writes = _writes(result)
    assert ("targets/scst_local/mgmt", "add_target loc1 session_name=host_a;session_name=host_b") in writes
    assert ("targets/scst_local/loc1/scsi_transport_version", "0x5") in writes
    assert sorted(local_host.emu.state.targets["scst_local"]["loc1"].sessions) == ["host_a", "host_b"]
    assert local_host(LOCAL, purge=True)["changed"] is False
    # copy_manager is SCST's own
    bad = dict(copy.deepcopy(LOCAL), drivers={"copy_manager": {"targets": {"copy_manager_tgt": {}}}})
    with pytest.raises(ValidationError) as err:
        local_host(bad)
    assert err.value.field.startswith("config.drivers.copy_manager")
    assert local_host.emu.write_log == []


def test_an_empty_session_name_creates_a_target_without_sessions(local_host):
    # found by test_invariants: the empty value was written after creation to
    # a session_name file that does not exist (ENOENT after the create)
    config_ = {"drivers": {"scst_local": {"targets": {"loc2": {"attributes": {"session_name": ""}}}}}}
    check = local_host(config_, check=True)
    result = local_host(config_)
    assert _writes(result) == _writes(check) == [("targets/scst_local/mgmt", "add_target loc2")]
    assert local_host.emu.state.targets["scst_local"]["loc2"].sessions == {}
    assert local_host(config_)["changed"] is False


def test_a_list_is_only_possible_for_a_creation_parameter(local_host):
    bad = copy.deepcopy(LOCAL)
    bad["drivers"]["scst_local"]["targets"]["loc1"]["attributes"]["scsi_transport_version"] = ["0x1", "0x2"]
    with pytest.raises(ValidationError) as err:
        local_host(bad)
    assert err.value.field == "config.drivers.scst_local.targets.loc1.attributes.scsi_transport_version"
    assert local_host.emu.write_log == []


QLA = "50:01:43:80:12:34:56:78"


def test_hardware_targets_are_configured_never_created_or_deleted(tmp_path):
    emu = ScstEmulator(hw_targets={"qla2x00t": [QLA]})
    host = _host(emu, tmp_path)
    port = {"hw_target": True, "enabled": True, "attributes": {"rel_tgt_id": "5"}, "luns": {0: {"device": "d1"}}}
    config_ = {"handlers": BASE["handlers"], "drivers": {"qla2x00t": {"targets": {QLA: port}}}}
    writes = _writes(host(config_, purge=True))
    assert ("targets/qla2x00t/%s/rel_tgt_id" % QLA, "5") in writes
    assert ("targets/qla2x00t/%s/enabled" % QLA, "1") in writes
    assert host(config_, purge=True)["changed"] is False
    # a port that is not there is not created
    missing = copy.deepcopy(config_)
    missing["drivers"]["qla2x00t"]["targets"]["50:01:43:80:00:00:00:01"] = {"hw_target": True}
    with pytest.raises(ScstError) as err:
        host(missing)
    assert "never created" in str(err.value) and emu.write_log == []
    # nor deleted by purge: only configured when it is mentioned
    unmentioned = {"handlers": BASE["handlers"], "drivers": {"qla2x00t": {"targets": {}}}}
    assert host(unmentioned, purge=True)["changed"] is False
    assert QLA in emu.state.targets["qla2x00t"]
