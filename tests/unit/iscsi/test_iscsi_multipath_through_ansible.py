# Copyright: scst.iscsi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""scst.iscsi.iscsi_multipath run by ansible-playbook on this machine: check mode, the real
run, idempotence; multipathd (a fake on PATH) is asked to reconfigure exactly once."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from iscsi_unit_support import ansible_playbook, fake_iscsiadm_environment

PLAYBOOKS = Path(__file__).resolve().parent / "playbooks"


@pytest.mark.skipif(ansible_playbook() is None, reason="ansible-playbook is not installed beside this Python")
def test_iscsi_multipath_through_ansible_playbook(tmp_path):
    env = fake_iscsiadm_environment(tmp_path, {})
    calls = tmp_path / "multipathd.calls"
    fake = tmp_path / "bin" / "multipathd"
    fake.write_text("#!{0}\nimport sys\nwith open({1!r}, 'a') as log:\n    log.write(' '.join(sys.argv[1:]) + '\\n')\n"
                    "print('ok')\n".format(sys.executable, str(calls)))
    fake.chmod(0o755)
    conf = tmp_path / "etc" / "multipath" / "conf.d" / "scst-iscsi.conf"
    done = subprocess.run([ansible_playbook(), "-i", "localhost,", "-e", "lab_conf={0}".format(conf),
                           str(PLAYBOOKS / "multipath_through_ansible.yml")],
                          cwd=str(tmp_path), env=env, capture_output=True, text=True, timeout=300, check=False)
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-6000:]
    assert output.count("All assertions passed") == 2, output[-3000:]
    assert calls.read_text() == "reconfigure\n"
    text = conf.read_text()
    assert 'blacklist_exceptions {\n\twwid "^2613863313635372d$"\n}\n' in text
    assert conf.stat().st_mode & 0o777 == 0o644
