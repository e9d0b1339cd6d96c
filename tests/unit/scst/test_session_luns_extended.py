"""Safe mode for what a logged-in session sees, for the writes of the extended
shape: ALUA changes never change the LUNs a session sees (they are not
refused), unassigning a pass-through device leaves its LUNs (SCST keeps them),
and a device the plan re-creates read-only is a change a session sees."""

from __future__ import annotations

import copy

from ansible_collections.scst.iscsi.plugins.module_utils.scst.live import LiveTree
from ansible_collections.scst.iscsi.plugins.module_utils.scst.plan import Plan
from ansible_collections.scst.iscsi.plugins.module_utils.scst.sysfs import Sysfs
from ansible_collections.scst.iscsi.plugins.module_utils.scst.visibility import hidden_lun_changes
from scst_unit_support import INI, TGT

CONFIG = {
    "handlers": {"vdisk_nullio": {"devices": {"d1": {}, "d2": {}}}},
    "drivers": {"iscsi": {"targets": {TGT: {"enabled": True, "luns": {0: {"device": "d1"}, 1: {"device": "d2"}}}}}},
    "device_groups": {"dg1": {"devices": ["d1", "d2"], "target_groups": {
        "local": {"group_id": 1, "targets": {TGT: {}}},
        "peer": {"group_id": 2, "state": "standby", "targets": {"iqn.2026-11.com.example:peer.t1": {"rel_tgt_id": 9}}},
    }}},
}


def _sees(run, session, target=TGT):
    root = "targets/iscsi/%s/sessions/%s/luns" % (target, session)
    return dict((int(n), (run.backend.readlink("%s/%s/device" % (root, n)).rsplit("/", 1)[-1],
                          run.backend.read("%s/%s/read_only" % (root, n)).split("\n")[0]))
                for n in run.backend.listdir(root) if n.isdigit())


def _live(run):
    return LiveTree(Sysfs(run.backend))


def _plan(*writes):
    plan = Plan()
    for path, data in writes:
        plan.add("remove_lun", path, data, "write %s" % path)
    return plan


def _alua_host(run, tmp_path):
    result = run("scst_config", {"config": copy.deepcopy(CONFIG), "config_file": str(tmp_path / "scst.conf")})
    assert not result["failed"], result["msg"]
    return run.emu.add_session("iscsi", TGT, INI)


def test_alua_removals_are_no_change_of_what_a_session_sees(run, tmp_path):
    session = _alua_host(run, tmp_path)
    seen = _sees(run, session)
    assert seen == {0: ("d1", "0"), 1: ("d2", "0")}
    writes = [("device_groups/dg1/target_groups/local/mgmt", "del " + TGT),
              ("device_groups/dg1/target_groups/mgmt", "del peer"),
              ("device_groups/dg1/devices/mgmt", "del d2"),
              ("device_groups/mgmt", "del dg1")]
    assert hidden_lun_changes(_live(run), _plan(*writes)) == []
    for path, data in writes:
        run.emu.write(path, data + "\n")
    assert _sees(run, session) == seen            # SCST agrees: nothing a session sees changed
    # a LUN taken away is seen (the model does look at this target)
    assert hidden_lun_changes(_live(run), _plan(("targets/iscsi/%s/luns/mgmt" % TGT, "del 1"))) == [
        "session %s of iscsi/%s: LUN 1 (d2) would disappear" % (session, TGT)]


def test_scst_config_moves_a_device_between_device_groups_while_a_session_uses_it(run, tmp_path):
    session = _alua_host(run, tmp_path)
    config = copy.deepcopy(CONFIG)
    config["device_groups"]["dg1"]["devices"] = ["d1"]
    config["device_groups"]["dg2"] = {"devices": ["d2"], "target_groups": {}}
    args = {"config": config, "config_file": str(tmp_path / "scst.conf")}
    check = run("scst_config", args, check=True)
    real = run("scst_config", args)
    assert not real["failed"], real["msg"]
    assert real["changed"] is True and real["plan"] == check["plan"]
    assert ("device_groups/dg1/devices/mgmt", "del d2") in run.writes
    assert _sees(run, session) == {0: ("d1", "0"), 1: ("d2", "0")}


def test_unassigning_a_pass_through_device_leaves_the_luns_a_session_sees(run):
    run.emu.add_scsi_device("3:0:0:0", 0)
    assert not run("scst_device", {"name": "3:0:0:0", "handler": "dev_disk"})["failed"]
    run("scst_target", {"name": TGT, "enabled": True})
    run("scst_lun", {"target": TGT, "lun": 0, "device": "3:0:0:0"})
    session = run.emu.add_session("iscsi", TGT, INI)
    result = run("scst_device", {"name": "3:0:0:0", "handler": "dev_disk", "state": "absent"})
    assert not result["failed"], result["msg"]
    assert run.writes == [("handlers/dev_disk/mgmt", "del_device 3:0:0:0")]
    assert _sees(run, session) == {0: ("3:0:0:0", "0")}
    assert run("scst_info")["scst"]["drivers"]["iscsi"]["targets"][TGT]["luns"] == {
        0: {"device": "3:0:0:0", "read_only": False, "attributes": {}}}


def test_a_device_the_plan_re_creates_read_only_is_a_change_a_session_sees(run):
    run("scst_device", {"name": "d1", "handler": "vdisk_nullio"})
    run("scst_target", {"name": TGT, "enabled": True})
    run("scst_lun", {"target": TGT, "lun": 0, "device": "d1"})
    session = run.emu.add_session("iscsi", TGT, INI)
    recreate = [("handlers/vdisk_nullio/mgmt", "del_device d1"),
                ("handlers/vdisk_nullio/mgmt", "add_device d1 read_only=1"),
                ("targets/iscsi/%s/luns/mgmt" % TGT, "add d1 0")]
    assert hidden_lun_changes(_live(run), _plan(*recreate)) == [
        "session %s of iscsi/%s: LUN 0 (d1) would become read-only" % (session, TGT)]
    same = [recreate[0], ("handlers/vdisk_nullio/mgmt", "add_device d1 read_only=0"), recreate[2]]
    assert hidden_lun_changes(_live(run), _plan(*same)) == []
