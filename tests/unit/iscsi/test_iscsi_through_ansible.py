# Copyright: scst.iscsi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The initiator modules run by ansible-playbook (AnsiballZ, no_log, check mode, diff)
against a stateful fake iscsiadm, on this machine, changing nothing outside a temp dir."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from iscsi_unit_support import ansible_playbook, fake_iscsiadm_environment

PLAYBOOKS = Path(__file__).resolve().parent / "playbooks"
SECRETS = ("disc-secret-12", "secret12chars", "wrong-secret-99")


@pytest.mark.skipif(ansible_playbook() is None, reason="ansible-playbook is not installed beside this Python")
def test_modules_through_ansible_playbook(tmp_path):
    env = fake_iscsiadm_environment(tmp_path, {
        "targets": {"192.168.77.10:3260": {
            "iqn.2026-11.test.lab:tgt1": {"tpgt": 1, "chap": ["labuser", "secret12chars"]},
            "iqn.2026-11.test.lab:open": {"tpgt": 1, "chap": ["other", "other-secret-1"]},
        }},
        "discovery_chap": {"192.168.77.10:3260": ["discovery", "disc-secret-12"]},
    })
    done = subprocess.run([ansible_playbook(), "-vvv", "-i", "localhost,",
                           str(PLAYBOOKS / "modules_through_ansible.yml")],
                          cwd=str(tmp_path), env=env, capture_output=True, text=True, timeout=300, check=False)
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-6000:]
    assert "failed=0" in output and "ok=" in output
    assert output.count("All assertions passed") == 6, output[-3000:]
    for secret in SECRETS:
        assert secret not in output, "secret {0!r} in ansible-playbook -vvv output".format(secret)
    recorded = json.loads((tmp_path / "iscsiadm.json").read_text())
    assert recorded.get("not_c_locale", []) == []
    assert not any(call[:2] == ["-m", "discovery"] for call in recorded["calls"])
