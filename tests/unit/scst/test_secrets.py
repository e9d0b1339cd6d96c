"""CHAP secrets given to any SCST module never leave it: not in what the
module prints (result, invocation, diff, errors, warnings) and not in what it
logs to syslog/journal, whatever the run (check, real, diff, failing).

Unlike scst_unit_support.Runner, the module runs with Ansible's real
exit_json/fail_json, so the JSON checked is what the controller receives and
shows at -vvv (``invocation.module_args`` included).
"""

from __future__ import annotations

import contextlib
import copy
import ctypes.util
import errno
import importlib
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ansible.module_utils import basic
from ansible.module_utils.common.parameters import PASS_VARS
from ansible.module_utils.testing import patch_module_args

from ansible_collections.scst.iscsi.plugins.module_utils.scst import sysfs as sysfs_mod
from scst_emulator import InProcessBackend
from scst_unit_support import TGT, ansible_environment

PLAYBOOKS = Path(__file__).resolve().parent / "playbooks"

# ansible-core 2.21 returns `invocation` only when asked (older lines always
# return it and refuse the argument): the secrets must stay hidden when asked.
INJECT_INVOCATION = {"_ansible_inject_invocation": True} if "inject_invocation" in PASS_VARS else {}
SECRETS = ("@discovery-secret-91@", "@host-secret-000042@", "@mutual-secret-7777@")
CONFIG = {
    "handlers": {"vdisk_nullio": {"devices": {"null1": {}}}},
    "drivers": {"iscsi": {
        "chap": {"incoming": [{"username": "disc", "password": SECRETS[0]}]},
        "targets": {TGT: {
            "luns": {0: {"device": "null1"}},
            "chap": {"incoming": [{"username": "host1", "password": SECRETS[1]}],
                     "outgoing": [{"username": "tgt1", "password": SECRETS[2]}]},
        }},
    }},
}


class _Exited(Exception):
    pass


@pytest.fixture(name="module_run")
def fixture_module_run(emu, monkeypatch, tmp_path):
    """Run a module's main() with Ansible's real output path; returns (result, printed, logged)."""
    backend = InProcessBackend(emu)
    monkeypatch.setattr(sysfs_mod, "OsBackend", lambda root: backend)
    logged = []
    monkeypatch.setattr(basic, "has_journal", False)
    monkeypatch.setattr(basic.AnsibleModule, "_log_to_syslog", lambda self, msg: logged.append(msg))

    def run(module, args, *, check=False, diff=True):
        args = dict(args, _ansible_check_mode=check, _ansible_diff=diff, _ansible_verbosity=3, **INJECT_INVOCATION)
        args.setdefault("sysfs_root", str(tmp_path / "scst_tgt"))
        mod = importlib.import_module("ansible_collections.scst.iscsi.plugins.modules." + module)
        out = io.StringIO()
        with patch_module_args(args), contextlib.redirect_stdout(out):
            with pytest.raises(SystemExit):
                mod.main()
        printed = out.getvalue()
        return json.loads(printed), printed, list(logged)

    run.backend = backend
    return run


def _assert_hidden(*texts):
    for text in texts:
        for secret in SECRETS:
            assert secret not in text, "secret %s leaked: ...%s..." % (
                secret, text[max(0, text.find(secret) - 300):text.find(secret) + 100])


def test_scst_config_secrets_in_check_real_diff_and_rerun(module_run, tmp_path):
    args = {"config": copy.deepcopy(CONFIG), "config_file": str(tmp_path / "scst.conf")}
    for check in (True, False, False, True):
        result, printed, logged = module_run("scst_config", args, check=check)
        assert not result.get("failed"), result
        assert result["plan"] is not None and result["diff"]
        _assert_hidden(printed, "\n".join(logged))
    assert logged, "the module logged its invocation"
    # the file that restores CHAP at boot holds them, and nothing else does
    assert all(secret in (tmp_path / "scst.conf").read_text() for secret in SECRETS)


def test_scst_config_secrets_in_a_failing_run(module_run, tmp_path, monkeypatch):
    args = {"config": copy.deepcopy(CONFIG), "config_file": str(tmp_path / "scst.conf")}
    real_write = module_run.backend.write

    def refuse_chap(rel, data):
        if SECRETS[1] in data:
            raise OSError(errno.EIO, os.strerror(errno.EIO), rel)
        return real_write(rel, data)

    monkeypatch.setattr(module_run.backend, "write", refuse_chap)
    result, printed, logged = module_run("scst_config", args)
    assert result["failed"] is True and result["changed"] is True
    assert "IncomingUser host1 ********" in result["failed_write"]["write"]
    _assert_hidden(printed, "\n".join(logged))


def test_scst_config_secrets_when_ansible_rejects_the_arguments(module_run):
    """Argument validation fails inside AnsibleModule(), before main() can do anything."""
    result, printed, logged = module_run("scst_config", {"config": copy.deepcopy(CONFIG), "no_such_option": 1})
    assert result["failed"] is True and "no_such_option" in result["msg"]
    _assert_hidden(printed, "\n".join(logged))


def test_scst_config_secrets_in_a_validation_error(module_run):
    config = copy.deepcopy(CONFIG)
    config["drivers"]["iscsi"]["targets"][TGT]["chap"]["incoming"][0]["username"] = "bad user"
    result, printed, logged = module_run("scst_config", {"config": config})
    assert result["failed"] is True and "username" in result["msg"]
    _assert_hidden(printed, "\n".join(logged))


@pytest.mark.parametrize("check", [True, False])
def test_scst_chap_secret(module_run, check):
    module_run("scst_target", {"name": TGT})
    args = {"target": TGT, "username": "host1", "password": SECRETS[1]}
    result, printed, logged = module_run("scst_chap", args, check=check)
    assert not result.get("failed"), result
    _assert_hidden(printed, "\n".join(logged))


def ansible_playbook():
    beside = Path(sys.executable).parent / "ansible-playbook"
    return str(beside) if beside.exists() else None


def _fuse_unavailable_reason():
    if not os.path.exists("/dev/fuse"):
        return "/dev/fuse does not exist (no FUSE in this kernel/container)"
    if ctypes.util.find_library("fuse") is None:
        return "libfuse2 (libfuse.so.2) is not installed"
    if ansible_playbook() is None:
        return "ansible-playbook is not installed beside this Python"
    return None


@pytest.mark.skipif(_fuse_unavailable_reason() is not None, reason=_fuse_unavailable_reason() or "")
def test_scst_config_through_ansible_playbook_vvv_diff(tmp_path):
    importlib.import_module("fuse")   # fusepy must be installed: a failure here is real
    env = ansible_environment(tmp_path)
    root = tmp_path / "scst_tgt"
    root.mkdir()
    emulator = [sys.executable, "-m", "scst_emulator"]
    subprocess.run(emulator + ["mount", str(root), "--control", str(tmp_path / "ctl.sock")], env=env,
                   check=True, capture_output=True, timeout=60)
    try:
        bad = copy.deepcopy(CONFIG)
        bad["drivers"]["iscsi"]["targets"][TGT]["luns"] = {1: {"device": "missing"}}
        extra = {"lab_sysfs_root": str(root), "lab_config_file": str(tmp_path / "scst.conf"), "lab_config": CONFIG,
                 "lab_bad_config": bad}
        (tmp_path / "vars.json").write_text(json.dumps(extra))
        done = subprocess.run([ansible_playbook(), "-vvv", "--diff", "-i", "localhost,", "-e", "@vars.json",
                               str(PLAYBOOKS / "secrets_through_ansible.yml")],
                              cwd=str(tmp_path), env=env, capture_output=True, text=True, timeout=300,
                              check=False)
    finally:
        subprocess.run(emulator + ["umount", str(root)], env=env, check=False, capture_output=True, timeout=60)
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-6000:]
    assert "All assertions passed" in output and "IncomingUser host1 ********" in output
    assert "invocation" in output and "device missing is neither declared under handlers nor present" in output
    _assert_hidden(output)
