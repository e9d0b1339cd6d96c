# Copyright: scst.iscsi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fixtures of the initiator unit tests: a replaying iscsiadm, a module runner, a /dev look-alike.

The boundary that is mocked is the command runner (see iscsi_unit_support).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

# The helpers are a plain module beside this file; ansible-test loads this
# conftest as a collection module, so its directory is not on sys.path.
sys.path.insert(0, str(Path(__file__).resolve().parent))

from iscsi_unit_support import ISCSIADM, FakeIscsiadm, ModuleExit  # noqa: E402

from ansible.module_utils import basic  # noqa: E402
from ansible.module_utils.testing import patch_module_args  # noqa: E402


@pytest.fixture
def iscsiadm_fake():
    return FakeIscsiadm()


@pytest.fixture
def model(iscsiadm_fake):
    """An Initiator over the fake, for tests of the object model without AnsibleModule."""
    from ansible_collections.scst.iscsi.plugins.module_utils.iscsi.initiator import Initiator
    from ansible_collections.scst.iscsi.plugins.module_utils.iscsi.iscsiadm import Iscsiadm

    return Initiator(iscsiadm=Iscsiadm(run_command=iscsiadm_fake, binary=ISCSIADM))


@pytest.fixture
def run_module(monkeypatch, iscsiadm_fake):
    """Run a module's ``main()`` with arguments; return ``(result, failed)``.

    ``run_command`` is replaced by the fake (non-iscsiadm commands such as
    udevadm answer rc 0); ``get_bin_path`` finds iscsiadm and no udevadm.
    """

    def run_command(self, args, **kwargs):
        if not str(args[0]).endswith("iscsiadm"):
            return 0, "", ""
        return iscsiadm_fake(list(args), environ_update=kwargs.get("environ_update"))

    def get_bin_path(self, arg, required=False, opt_dirs=None):
        return ISCSIADM if arg == "iscsiadm" else None

    warnings = []

    def warn(self, warning):
        warnings.append(warning)

    # Ansible's own no_log scrubbing (remove_values) is deliberately not applied:
    # a secret in the module's output must fail the test, not be hidden.
    def exit_json(self, **kwargs):
        kwargs["warnings"] = list(warnings)
        raise ModuleExit(json.loads(json.dumps(kwargs)), failed=False)

    def fail_json(self, msg, **kwargs):
        kwargs["msg"] = msg
        raise ModuleExit(json.loads(json.dumps(kwargs)), failed=True)

    monkeypatch.setattr(basic.AnsibleModule, "run_command", run_command)
    monkeypatch.setattr(basic.AnsibleModule, "get_bin_path", get_bin_path)
    monkeypatch.setattr(basic.AnsibleModule, "exit_json", exit_json)
    monkeypatch.setattr(basic.AnsibleModule, "fail_json", fail_json)
    monkeypatch.setattr(basic.AnsibleModule, "warn", warn)

    def run(module, args: dict, *, check_mode: bool = False, diff: bool = False):
        del warnings[:]
        args = dict(args)
        args["_ansible_check_mode"] = check_mode
        args["_ansible_diff"] = diff
        with patch_module_args(args):
            with pytest.raises(ModuleExit) as caught:
                module.main()
        return caught.value.result, caught.value.failed

    return run


@pytest.fixture
def dev_tree(tmp_path):
    """A /dev look-alike: ``add(name, link)`` creates /dev/<name> and a by-path link to it."""

    class DevTree:
        root = str(tmp_path / "dev")
        sys_root = str(tmp_path / "sys")

        def __init__(self):
            os.makedirs(os.path.join(self.root, "disk", "by-path"))
            os.makedirs(os.path.join(self.sys_root, "bus", "scsi", "devices"))

        def scsi_type(self, hctl: str, scsi_type: int):
            directory = os.path.join(self.sys_root, "bus", "scsi", "devices", hctl)
            os.makedirs(directory)
            Path(directory, "type").write_text("{0}\n".format(scsi_type))

        def add(self, name: str, link: str | None = None, *, node: bool = True):
            if node:
                Path(self.root, name).write_text("")
            if link:
                os.symlink("../../" + name, os.path.join(self.root, "disk", "by-path", link))

    return DevTree()
