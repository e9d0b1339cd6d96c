# Copyright: scst.iscsi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The initiator modules run by ansible-playbook (AnsiballZ, no_log, check mode, diff)
against a stateful fake iscsiadm, on this machine, changing nothing outside a temp dir."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from iscsi_unit_support import COLLECTION_ROOT

import ansible_collections.scst.iscsi as collection

HERE = Path(__file__).resolve().parent
SECRETS = ("disc-secret-12", "secret12chars", "wrong-secret-99")


def ansible_playbook():
    beside = Path(sys.executable).parent / "ansible-playbook"
    return str(beside) if beside.exists() else shutil.which("ansible-playbook")


@pytest.mark.skipif(ansible_playbook() is None, reason="ansible-playbook is not installed beside this Python")
def test_modules_through_ansible_playbook(tmp_path):
    state = tmp_path / "iscsiadm.json"
    state.write_text(json.dumps({
        "targets": {"192.168.77.10:3260": {
            "iqn.2026-11.test.lab:tgt1": {"tpgt": 1, "chap": ["labuser", "secret12chars"]},
            "iqn.2026-11.test.lab:open": {"tpgt": 1, "chap": ["other", "other-secret-1"]},
        }},
        "discovery_chap": {"192.168.77.10:3260": ["discovery", "disc-secret-12"]},
    }))
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    wrapper = bin_dir / "iscsiadm"
    wrapper.write_text("#!/bin/sh\nexec '{0}' '{1}' \"$@\"\n".format(sys.executable, HERE / "fake_iscsiadm.py"))
    wrapper.chmod(0o755)
    collections_base = Path(list(collection.__path__)[0]).parents[2]
    env = dict(os.environ)
    env.update({
        "PATH": "{0}{1}{2}".format(bin_dir, os.pathsep, env.get("PATH", "")),
        "FAKE_ISCSIADM_STATE": str(state),
        "ANSIBLE_COLLECTIONS_PATH": str(collections_base),
        "ANSIBLE_HOME": str(tmp_path / "ansible-home"),
        "ANSIBLE_LOCAL_TEMP": str(tmp_path / "ansible-tmp"),
        "ANSIBLE_REMOTE_TEMP": str(tmp_path / "ansible-remote-tmp"),
        "ANSIBLE_PYTHON_INTERPRETER": sys.executable,
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_DEPRECATION_WARNINGS": "0",
        "LANG": "C.UTF-8",  # not C: the modules must set LANG=C for iscsiadm themselves
    })
    env.pop("ANSIBLE_CONFIG", None)
    done = subprocess.run([ansible_playbook(), "-vvv", "-i", "localhost,",
                           str(HERE / "playbooks" / "modules_through_ansible.yml")],
                          cwd=str(tmp_path), env=env, capture_output=True, text=True, timeout=300, check=False)
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-6000:]
    assert "failed=0" in output and "ok=" in output
    assert output.count("All assertions passed") == 6, output[-3000:]
    for secret in SECRETS:
        assert secret not in output, "secret {0!r} in ansible-playbook -vvv output".format(secret)
    recorded = json.loads(state.read_text())
    assert recorded.get("not_c_locale", []) == []
    assert not any(call[:2] == ["-m", "discovery"] for call in recorded["calls"])
    assert COLLECTION_ROOT.exists()
