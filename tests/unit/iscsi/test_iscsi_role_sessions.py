# Copyright: scst.iscsi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The iscsi_initiator role's session logic through ansible-playbook, against the fake
iscsiadm: check mode changes nothing, a second run changes nothing, targets set to
absent stay gone (discovery does not bring them back), purge removes unlisted records."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from iscsi_unit_support import ansible_playbook, fake_iscsiadm_environment

PLAYBOOKS = Path(__file__).resolve().parent / "playbooks"

PORTAL = "192.168.77.10:3260"
TARGET = "iqn.2026-11.test.lab:tgt1"
STALE = "iqn.2026-11.test.lab:stale|192.168.77.99:3260"
SECRETS = ("disc-secret-12", "secret12chars")


class Lab:
    def __init__(self, tmp_path):
        self.tmp = tmp_path
        self.state = tmp_path / "iscsiadm.json"
        stale = {"node.name": "iqn.2026-11.test.lab:stale", "node.tpgt": "1", "node.startup": "manual",
                 "iface.iscsi_ifacename": "default", "node.discovery_address": "", "node.discovery_port": "0",
                 "node.session.auth.authmethod": "None", "node.session.auth.username": "",
                 "node.session.auth.password": "", "node.session.auth.username_in": "",
                 "node.session.auth.password_in": ""}
        self.env = fake_iscsiadm_environment(tmp_path, {
            "targets": {PORTAL: {TARGET: {"tpgt": 1, "chap": ["labuser", "secret12chars"]},
                                 "iqn.2026-11.test.lab:other": {"tpgt": 1, "chap": ["x", "other-secret-1"]}}},
            "discovery_chap": {PORTAL: ["discovery", "disc-secret-12"]},
            "nodes": {STALE: stale},
        })

    def run(self, targets, *, check=False, purge=True):
        variables = {
            "iscsi_initiator_discovery": [{"portal": "192.168.77.10", "chap_username": "discovery",
                                           "chap_password": "disc-secret-12"}],
            "iscsi_initiator_targets": targets,
            "iscsi_initiator_purge_nodes": purge,
            "iscsi_initiator_devices_wait_timeout": 0,
        }
        extra = self.tmp / "vars.json"
        extra.write_text(json.dumps(variables))
        argv = [ansible_playbook(), "-v", "-i", "localhost,", "-e", "@" + str(extra),
                "--tags", "iscsi_initiator_preflight,iscsi_initiator_sessions,iscsi_initiator_purge",
                str(PLAYBOOKS / "role_sessions.yml")]
        if check:
            argv.append("--check")
        done = subprocess.run(argv, cwd=str(self.tmp), env=self.env, capture_output=True, text=True,
                              timeout=300, check=False)
        output = done.stdout + done.stderr
        assert done.returncode == 0, output[-6000:]
        for secret in SECRETS:
            assert secret not in output, "secret {0!r} in the role's output".format(secret)
        recap = re.search(r"localhost\s*:\s*ok=(\d+)\s+changed=(\d+)", output)
        return int(recap.group(2)), output

    def recorded(self):
        return json.loads(self.state.read_text())


@pytest.mark.skipif(ansible_playbook() is None, reason="ansible-playbook is not installed beside this Python")
def test_role_sessions_converge_idempotence_absent_and_purge(tmp_path):
    lab = Lab(tmp_path)
    present = [{"target": TARGET, "portal": "192.168.77.10", "chap_username": "labuser",
                "chap_password": "secret12chars", "min_devices": 0}]

    changed, _output = lab.run(present, check=True)
    assert changed > 0
    after_check = lab.recorded()
    assert list(after_check["nodes"]) == [STALE] and after_check["sessions"] == [] and after_check["discovery"] == {}

    changed, output = lab.run(present)
    assert changed > 0
    state = lab.recorded()
    assert [s["target"] for s in state["sessions"]] == [TARGET]
    record = state["nodes"][TARGET + "|" + PORTAL]
    assert record["node.startup"] == "automatic" and record["node.session.auth.authmethod"] == "CHAP"
    assert STALE not in state["nodes"], "purge kept a record that is not in iscsi_initiator_targets"
    assert "iqn.2026-11.test.lab:other|" + PORTAL not in state["nodes"], "purge kept the other discovered record"
    assert "devices=[]" in output

    changed, _output = lab.run(present)
    assert changed == 0, "second run changed something"

    absent = [dict(present[0], state="absent")]
    changed, _output = lab.run(absent)
    assert changed > 0
    assert lab.recorded()["sessions"] == [] and TARGET + "|" + PORTAL not in lab.recorded()["nodes"]

    changed, _output = lab.run(absent)
    assert changed == 0, "a target set to absent came back through discovery"
    assert lab.recorded()["nodes"] == {}
