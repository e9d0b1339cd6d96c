"""scst_config's planner: the whole host in one plan."""

from __future__ import annotations

import copy

import pytest

from ansible_collections.scst.iscsi.plugins.module_utils.scst.conf import normalise_config
from ansible_collections.scst.iscsi.plugins.module_utils.scst.config import ConfigRequest, plan_config
from ansible_collections.scst.iscsi.plugins.module_utils.scst.errors import SafetyError, ValidationError
from ansible_collections.scst.iscsi.plugins.module_utils.scst.info import read_configuration
from ansible_collections.scst.iscsi.plugins.module_utils.scst.live import LiveTree
from ansible_collections.scst.iscsi.plugins.module_utils.scst.runner import execute
from ansible_collections.scst.iscsi.plugins.module_utils.scst.sysfs import Sysfs
from scst_emulator import InProcessBackend

T1 = "iqn.2026-11.com.example:storage.tgt1"
T2 = "iqn.2026-11.com.example:storage.tgt2"
H1 = "iqn.2026-11.com.example:host1"
H2 = "iqn.2026-11.com.example:host2"

SAN = {
    "handlers": {
        "vdisk_blockio": {"devices": {"db1": {"filename": "/dev/vg0/db1", "attributes": {"write_through": "1"}}}},
        "vdisk_fileio": {"devices": {"web1": {"filename": "/srv/web1.img", "attributes": {"nv_cache": "1"}}}},
        "vdisk_nullio": {"devices": {"lun0": {"attributes": {"dummy": "1"}}}},
    },
    "drivers": {
        "iscsi": {
            "enabled": True,
            "attributes": {},
            "chap": {"incoming": [{"username": "discovery", "password": "discovery-secret-1"}]},
            "targets": {
                T1: {
                    "enabled": True,
                    "attributes": {"rel_tgt_id": "1", "HeaderDigest": "None,CRC32C", "QueuedCommands": "64"},
                    "allowed_portals": ["192.168.77.10"],
                    "chap": {"incoming": [{"username": "hosts", "password": "hosts-secret-123"}],
                             "outgoing": [{"username": "tgt1", "password": "mutual-secret-123"}]},
                    "luns": {0: {"device": "lun0", "read_only": False}},
                    "groups": {
                        "host1": {"initiators": [H1], "luns": {0: {"device": "db1", "read_only": False}},
                                  "attributes": {}},
                        "host2": {"initiators": [H2], "luns": {0: {"device": "web1", "read_only": True}},
                                  "attributes": {}},
                    },
                },
                T2: {"enabled": False, "attributes": {}, "allowed_portals": [], "chap": {},
                     "luns": {3: {"device": "web1", "read_only": False}}, "groups": {}},
            },
        }
    },
}


@pytest.fixture
def host(emu, tmp_path):
    backend = InProcessBackend(emu)
    params = {"sysfs_root": str(tmp_path / "scst_tgt")}

    def apply(config, *, check=False, **options):
        request = ConfigRequest(config, **options)
        emu.reset_counters()
        result = execute(params, lambda live: plan_config(live, request, check_mode=check),
                         check_mode=check, diff=False, warn=lambda text: None, backend=backend)
        result["_writes"] = [(p, d) for p, d, _e in emu.write_log]
        return result

    def read(mask=True):
        return read_configuration(LiveTree(Sysfs(backend)), mask=mask)

    apply.read = read
    apply.emu = emu
    return apply


def test_apply_check_real_idempotent(host):
    check = host(SAN, check=True)
    assert check["changed"] and check["_writes"] == []
    real = host(SAN)
    assert [(a["path"], a["write"]) for a in real["plan"]] == [(a["path"], a["write"]) for a in check["plan"]]
    assert [w[0] for w in real["_writes"]] == [a["path"] for a in real["plan"]]
    again = host(SAN)
    assert again["changed"] is False and again["_writes"] == []
    assert host(SAN, check=True)["changed"] is False


def test_plan_order_and_minimal_writes(host):
    writes = [a["write"] for a in host(SAN)["plan"]]
    # devices first, LUNs after their targets and groups, enabling last
    assert writes[0].startswith("add_device")
    assert writes.index("create host1") < writes.index("add db1 0")
    assert writes[-1] == "1" and writes[-2] == "1"
    # one write per object or non-default value: 3 devices, 2 targets, 3 target attributes,
    # 1 portal, 2 target LUNs, 2 groups, 2 group LUNs, 2 initiators, 3 CHAP, 1 enable each
    assert len(writes) == 3 + 2 + 3 + 1 + 2 + 2 + 2 + 2 + 3 + 1 + 1


def test_read_back_equals_the_configuration(host):
    host(SAN)
    assert host.read(mask=False) == normalise_config(SAN)


def test_unmentioned_objects_are_kept_without_purge_and_removed_with_it(host):
    host(SAN)
    extra = copy.deepcopy(SAN)
    extra["handlers"]["vdisk_nullio"]["devices"]["spare"] = {"attributes": {}}
    extra["drivers"]["iscsi"]["targets"]["iqn.2026-11.com.example:spare"] = {"luns": {0: {"device": "spare"}}}
    extra["drivers"]["iscsi"]["targets"][T1]["groups"]["host3"] = {"initiators": ["iqn.2026-11.com.example:h3"]}
    extra["drivers"]["iscsi"]["targets"][T1]["luns"][7] = {"device": "spare"}
    host(extra)
    assert host(SAN)["changed"] is False  # nothing removed without purge
    purged = host(SAN, purge=True)
    writes = [a["write"] for a in purged["plan"]]
    assert "del_target iqn.2026-11.com.example:spare" in writes
    assert "del host3" in writes and "del 7" in writes and "del_device spare" in writes
    assert host.read(mask=False) == normalise_config(SAN)
    assert host(SAN, purge=True)["changed"] is False


def test_safe_mode_names_every_object_in_the_way(host):
    host(SAN)
    host.emu.add_session("iscsi", T1, H1)
    host.emu.add_session("iscsi", T1, H2)
    smaller = copy.deepcopy(SAN)
    del smaller["drivers"]["iscsi"]["targets"][T1]["groups"]["host1"]
    del smaller["handlers"]["vdisk_fileio"]
    del smaller["drivers"]["iscsi"]["targets"][T1]["groups"]["host2"]["luns"][0]
    del smaller["drivers"]["iscsi"]["targets"][T2]["luns"][3]
    with pytest.raises(SafetyError) as err:
        host(smaller, purge=True)
    message = str(err.value)
    assert "initiator group host1" in message and H1 in message
    assert "device web1" in message and H2 in message
    assert host.emu.write_log == []
    forced = host(smaller, purge=True, force=True)
    assert forced["changed"] is True
    assert "host1" not in host.read()["drivers"]["iscsi"]["targets"][T1]["groups"]


def test_recreate_keeps_lun_mappings(host):
    host(SAN)
    changed = copy.deepcopy(SAN)
    changed["handlers"]["vdisk_fileio"]["devices"]["web1"]["attributes"]["nv_cache"] = "0"
    with pytest.raises(Exception) as err:
        host(changed)
    assert "recreate: true" in str(err.value)
    host(changed, recreate=True)
    live = host.read()["drivers"]["iscsi"]["targets"]
    assert live[T1]["groups"]["host2"]["luns"] == {0: {"device": "web1", "read_only": True, "attributes": {}}}
    assert live[T2]["luns"] == {3: {"device": "web1", "read_only": False, "attributes": {}}}
    assert host(changed)["changed"] is False


@pytest.mark.parametrize("mutate,message", [
    (lambda c: c.update(bogus=1), "configuration: unknown key bogus"),
    (lambda c: c["handlers"]["vdisk_nullio"]["devices"].update(db1={}), "declared under two handlers"),
    (lambda c: c["drivers"]["iscsi"]["targets"][T1]["groups"]["host2"].update(initiators=[H1]),
     "initiator " + H1 + " is also in group host1"),
    (lambda c: c["drivers"]["iscsi"]["targets"][T1]["chap"]["outgoing"].append(
        {"username": "x", "password": "another-secret-1"}), "one outgoing"),
    (lambda c: c["drivers"]["iscsi"]["targets"][T1]["luns"].update({1: {"device": "ghost"}}),
     ".luns.1.device: device ghost is neither declared under handlers nor present"),
    (lambda c: c["drivers"]["iscsi"]["targets"][T1]["luns"].update({"010": {"device": "db1"}}),
     ".luns.010: must be a plain decimal number"),
    (lambda c: c["drivers"]["iscsi"]["chap"]["incoming"].append({"username": "discovery", "password": "x" * 12}),
     "user discovery is listed twice"),
    (lambda c: c["drivers"]["iscsi"]["targets"][T1]["chap"]["incoming"][0].update(password="short"),
     "chap.incoming[0].password: must be at least 12 characters"),
])
def test_bad_configuration(host, mutate, message):
    config = copy.deepcopy(SAN)
    mutate(config)
    with pytest.raises(ValidationError) as err:
        host(config)
    assert message in str(err.value)
    assert host.emu.write_log == []
    assert "short" not in str(err.value).replace("shorter", "")
