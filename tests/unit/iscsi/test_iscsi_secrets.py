# Copyright: scst.iscsi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A CHAP secret put into iscsi_node's free-form ``settings`` (which the module
refuses: secrets go through chap_password) must not be echoed by Ansible in
``invocation`` or logged to syslog: no_log covers whole options only."""

from __future__ import annotations

import contextlib
import io
import json

import pytest

from ansible.module_utils import basic
from ansible.module_utils.common.parameters import PASS_VARS
from ansible.module_utils.testing import patch_module_args

from ansible_collections.scst.iscsi.plugins.modules import iscsi_node


# ansible-core 2.21 returns `invocation` only when asked (older lines always
# return it and refuse the argument): the secrets must stay hidden when asked.
INJECT_INVOCATION = {"_ansible_inject_invocation": True} if "inject_invocation" in PASS_VARS else {}
SECRET = "@settings-secret-4242@"


@pytest.mark.parametrize("name", ["node.session.auth.password", "node.session.auth.password_in",
                                  "discovery.sendtargets.auth.password"])
def test_a_secret_in_settings_is_hidden(monkeypatch, name):
    logged = []
    monkeypatch.setattr(basic, "has_journal", False)
    monkeypatch.setattr(basic.AnsibleModule, "_log_to_syslog", lambda self, msg: logged.append(msg))
    monkeypatch.setattr(basic.AnsibleModule, "get_bin_path", lambda self, arg, required=False, opt_dirs=None:
                        "/usr/sbin/iscsiadm")
    args = {"target": "iqn.2026-11.test.lab:tgt1", "portal": "192.168.77.10", "settings": {name: SECRET},
            "_ansible_verbosity": 3, **INJECT_INVOCATION}
    out = io.StringIO()
    with patch_module_args(args), contextlib.redirect_stdout(out), pytest.raises(SystemExit):
        iscsi_node.main()
    result = json.loads(out.getvalue())
    assert result["failed"] is True and result["msg"].startswith("settings")
    assert "invocation" in result and logged
    assert SECRET not in out.getvalue() and SECRET not in "\n".join(logged)
