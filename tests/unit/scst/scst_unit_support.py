"""Helpers of the SCST unit tests: run a module's main() against an emulated SCST.

Modules run unchanged: only the file backend under the sysfs layer is swapped
for the emulator's in-process backend, so everything above it (validation,
planning, the EAGAIN protocol, check mode, diff) is the real code path.
"""

from __future__ import annotations

import importlib
import json
import os
import sys

from pathlib import Path
from unittest import mock

from ansible.module_utils import basic
from ansible.module_utils.testing import patch_module_args

from ansible_collections.scst.iscsi.plugins.module_utils.scst import sysfs as sysfs_mod
from scst_emulator import InProcessBackend

TGT = "iqn.2026-11.com.example:storage.tgt1"
INI = "iqn.2026-11.com.example:host1"


class ModuleExit(Exception):
    def __init__(self, result, failed):
        super().__init__(result)
        self.result = result
        self.failed = failed


class Runner(object):
    """Runs modules in-process against one emulator and records what they did."""

    def __init__(self, emu, monkeypatch, tmp_path):
        self.emu = emu
        self.backend = InProcessBackend(emu)
        self.root = str(tmp_path / "scst_tgt")
        self.stdout = []
        monkeypatch.setattr(sysfs_mod, "OsBackend", lambda root: self.backend)
        # fast EAGAIN polling
        monkeypatch.setattr(sysfs_mod.time, "sleep", lambda s: None)

    def __call__(self, module, args=None, *, check=False, diff=True):
        args = dict(args or {})
        args.setdefault("sysfs_root", self.root)
        args["_ansible_check_mode"] = check
        args["_ansible_diff"] = diff
        mod = importlib.import_module("ansible_collections.scst.iscsi.plugins.modules." + module)

        def exit_json(*_a, **kwargs):
            raise ModuleExit(kwargs, False)

        def fail_json(*_a, **kwargs):
            raise ModuleExit(kwargs, True)

        self.emu.reset_counters()
        warnings = []

        def record_warning(_module, text):
            warnings.append(text)

        with patch_module_args(args), mock.patch.object(basic.AnsibleModule, "warn", record_warning):
            orig_exit, orig_fail = basic.AnsibleModule.exit_json, basic.AnsibleModule.fail_json
            basic.AnsibleModule.exit_json = exit_json
            basic.AnsibleModule.fail_json = fail_json
            try:
                mod.main()
            except ModuleExit as done:
                result = done.result
                result["failed"] = done.failed
            else:
                raise AssertionError("module returned without exit_json/fail_json")
            finally:
                basic.AnsibleModule.exit_json, basic.AnsibleModule.fail_json = orig_exit, orig_fail
        result["warnings"] = warnings
        result["_writes"] = [(p, d) for p, d, _e in self.emu.write_log]
        self.stdout.append(json.dumps(result, default=str))
        return result

    @property
    def writes(self):
        return [(p, d) for p, d, _e in self.emu.write_log]


def planned(result):
    return [(a["path"], a["write"]) for a in result["plan"]]


def ansible_environment(tmp_path):
    """ansible-playbook on localhost, this checkout as the collection, everything under tmp_path."""
    import ansible_collections.scst.iscsi as collection

    env = dict(os.environ)
    env.update({
        "ANSIBLE_COLLECTIONS_PATH": str(Path(list(collection.__path__)[0]).parents[2]),
        "ANSIBLE_HOME": str(tmp_path / "ansible-home"),
        "ANSIBLE_LOCAL_TEMP": str(tmp_path / "ansible-tmp"),
        "ANSIBLE_REMOTE_TEMP": str(tmp_path / "ansible-remote-tmp"),
        "ANSIBLE_PYTHON_INTERPRETER": sys.executable,
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_DEPRECATION_WARNINGS": "0",
        "ANSIBLE_LOCALHOST_WARNING": "0",
        # ansible-core 2.21 leaves `invocation` out of results unless asked;
        # the secrets must stay hidden when an operator asks (older lines
        # always inject it and ignore the variable).
        "ANSIBLE_INJECT_INVOCATION": "1",
        # the emulator (tests/emulator), for modules that mount it
        "PYTHONPATH": str(Path(__file__).resolve().parents[2] / "emulator"),
    })
    env.pop("ANSIBLE_CONFIG", None)
    return env
