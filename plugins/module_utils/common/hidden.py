# -*- coding: utf-8 -*-
# Copyright: scst.iscsi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""An AnsibleModule that hides secrets nested inside free-form options.

``no_log`` covers whole options only.  A CHAP secret inside a mapping - the
``config`` of scst_config, a password someone puts into iscsi_node's
``settings`` - would be logged to syslog when the module starts and echoed in
``invocation`` at -vvv.  ``SecretHidingModule(secrets=find, ...)`` adds what
``find(params)`` returns to ``no_log_values`` before the invocation is logged
and before any result or error leaves the module (also when Ansible itself
rejects the arguments), so Ansible masks it everywhere.
"""

from __future__ import annotations

from ansible.module_utils.basic import AnsibleModule


class SecretHidingModule(AnsibleModule):

    def __init__(self, *args, secrets, **kwargs):
        self._find_secrets = secrets
        super().__init__(*args, **kwargs)
        self.register_secrets()

    def register_secrets(self):
        params = getattr(self, "params", None)
        if isinstance(params, dict) and hasattr(self, "no_log_values"):
            self.no_log_values.update(s for s in self._find_secrets(params) if s)

    def _log_invocation(self):
        self.register_secrets()
        super()._log_invocation()

    def exit_json(self, **kwargs):
        self.register_secrets()
        super().exit_json(**kwargs)

    def fail_json(self, msg, **kwargs):
        self.register_secrets()
        super().fail_json(msg=msg, **kwargs)
