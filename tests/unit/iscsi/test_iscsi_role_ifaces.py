# Copyright: scst.iscsi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The iscsi_initiator role with two ifaces (two paths to one target portal), through
ansible-playbook against the fake iscsiadm: check mode changes nothing, each path gets
its own record and session, a second run changes nothing, one path can be removed with
its iface, and preflight refuses an iface that is not declared."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest

from iscsi_unit_support import ansible_playbook, fake_iscsiadm_environment

PLAYBOOKS = Path(__file__).resolve().parent / "playbooks"
PORTAL = "192.168.77.10:3260"
TARGET = "iqn.2026-11.test.lab:tgt1"
OTHER = "iqn.2026-11.test.lab:other"
SECRETS = ("disc-secret-12", "secret12chars")
# The iface module checks that the network interface exists; the loopback one always does.
NETDEV = "lo"
DISCOVERY_CHAP = {"portal": "192.168.77.10", "chap_username": "discovery", "chap_password": "disc-secret-12"}
TARGET_CHAP = {"target": TARGET, "portal": "192.168.77.10", "chap_username": "labuser",
               "chap_password": "secret12chars", "min_devices": 0}

pytestmark = [
    pytest.mark.skipif(ansible_playbook() is None, reason="ansible-playbook is not installed beside this Python"),
    pytest.mark.skipif(not os.path.isdir("/sys/class/net/" + NETDEV),
                       reason="this host has no /sys/class/net/lo for the ifaces to be bound to"),
]


class Lab:
    def __init__(self, tmp_path):
        self.tmp = tmp_path
        self.state = tmp_path / "iscsiadm.json"
        self.env = fake_iscsiadm_environment(tmp_path, {
            "targets": {PORTAL: {TARGET: {"tpgt": 1, "chap": ["labuser", "secret12chars"]},
                                 OTHER: {"tpgt": 1, "chap": ["x", "other-secret-1"]}}},
            "discovery_chap": {PORTAL: ["discovery", "disc-secret-12"]},
        })

    def run(self, variables, *, check=False, succeed=True):
        extra = self.tmp / "vars.json"
        extra.write_text(json.dumps(dict(variables, iscsi_initiator_purge_nodes=True,
                                         iscsi_initiator_devices_wait_timeout=0)))
        argv = [ansible_playbook(), "-v", "-i", "localhost,", "-e", "@" + str(extra), "--tags",
                "iscsi_initiator_preflight,iscsi_initiator_ifaces,iscsi_initiator_sessions,iscsi_initiator_purge",
                str(PLAYBOOKS / "role_sessions.yml")]
        if check:
            argv.append("--check")
        done = subprocess.run(argv, cwd=str(self.tmp), env=self.env, capture_output=True, text=True,
                              timeout=300, check=False)
        output = done.stdout + done.stderr
        assert (done.returncode == 0) == succeed, output[-6000:]
        for secret in SECRETS:
            assert secret not in output, "secret {0!r} in the role's output".format(secret)
        recap = re.search(r"localhost\s*:\s*ok=(\d+)\s+changed=(\d+)", output)
        return int(recap.group(2)), output

    def recorded(self):
        return json.loads(self.state.read_text())


def two_paths(path1_state="present"):
    return {
        "iscsi_initiator_ifaces": [{"name": "path0", "netdev": NETDEV},
                                   {"name": "path1", "netdev": NETDEV, "state": path1_state}],
        "iscsi_initiator_discovery": [dict(DISCOVERY_CHAP, iface="path0")] + (
            [dict(DISCOVERY_CHAP, iface="path1")] if path1_state == "present" else []),
        "iscsi_initiator_targets": [dict(TARGET_CHAP, iface="path0"),
                                    dict(TARGET_CHAP, iface="path1", state=path1_state)],
    }


def test_role_logs_in_once_per_iface_and_removes_a_path_with_its_iface(tmp_path):
    lab = Lab(tmp_path)

    changed, _output = lab.run(two_paths(), check=True)
    assert changed > 0
    state = lab.recorded()
    assert state["ifaces"] == {} and state["nodes"] == {} and state["sessions"] == []

    changed, _output = lab.run(two_paths())
    assert changed > 0
    state = lab.recorded()
    assert {name: iface["iface.net_ifacename"] for name, iface in state["ifaces"].items()} == {
        "path0": NETDEV, "path1": NETDEV}
    assert sorted((s["target"], s["iface"]) for s in state["sessions"]) == [(TARGET, "path0"), (TARGET, "path1")]
    # Records of both paths, none of the iface default, and the other target purged.
    assert sorted(state["nodes"]) == [TARGET + "|" + PORTAL + "|path0", TARGET + "|" + PORTAL + "|path1"]
    assert all(record["node.startup"] == "automatic" for record in state["nodes"].values())
    discoveries = [call for call in state["calls"] if "--discover" in call and "nonpersistent" not in call]
    assert sorted(call[call.index("-I") + 1] for call in discoveries if "-I" in call) == ["path0", "path1"]
    assert all("-I" in call for call in discoveries)

    changed, _output = lab.run(two_paths())
    assert changed == 0, "second run changed something"

    changed, _output = lab.run(two_paths("absent"))
    assert changed > 0
    state = lab.recorded()
    assert [(s["target"], s["iface"]) for s in state["sessions"]] == [(TARGET, "path0")]
    assert sorted(state["nodes"]) == [TARGET + "|" + PORTAL + "|path0"]
    assert list(state["ifaces"]) == ["path0"]

    changed, _output = lab.run(two_paths("absent"))
    assert changed == 0, "removing a path is not idempotent"


def undeclared():
    variables = two_paths()
    variables["iscsi_initiator_targets"].append(dict(TARGET_CHAP, iface="path9"))
    return variables


def deleted_but_used():
    variables = two_paths()
    variables["iscsi_initiator_ifaces"][1]["state"] = "absent"
    return variables


@pytest.mark.parametrize("variables, message", [
    (undeclared(), "iscsi_initiator_targets and iscsi_initiator_discovery: the iface path9 is neither default "
                   "nor an iface of iscsi_initiator_ifaces"),
    (deleted_but_used(), "iscsi_initiator_targets and iscsi_initiator_discovery: the iface path1 is set to "
                         "absent in iscsi_initiator_ifaces but a present target or a discovery portal uses it"),
])
def test_preflight_refuses_ifaces_targets_cannot_use_before_anything_changes(tmp_path, variables, message):
    lab = Lab(tmp_path)
    _changed, output = lab.run(variables, succeed=False)
    assert message in output
    state = lab.recorded()
    assert state.get("calls", []) == [] and state.get("ifaces", {}) == {}


@pytest.mark.parametrize("ifaces, message", [
    ([{"name": "path0", "netdev": NETDEV}, {"name": "path0", "netdev": NETDEV}],
     "iscsi_initiator_ifaces: an iface is listed twice: path0, path0"),
    ([{"name": "path0"}], "iscsi_initiator_ifaces[0]: needs name"),
    ([{"name": "default", "netdev": NETDEV}], "iscsi_initiator_ifaces[0]: needs name"),
    ([{"name": "a/b", "netdev": NETDEV}], "iscsi_initiator_ifaces[0]: needs name"),
    ([{"name": "path0", "netdev": "eth0:1"}], "iscsi_initiator_ifaces[0]: needs name"),
])
def test_preflight_refuses_bad_ifaces(tmp_path, ifaces, message):
    lab = Lab(tmp_path)
    _changed, output = lab.run({"iscsi_initiator_ifaces": ifaces}, succeed=False)
    assert message in output
    assert lab.recorded().get("calls", []) == []
