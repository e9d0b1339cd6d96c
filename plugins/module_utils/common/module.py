# -*- coding: utf-8 -*-
# Copyright: scst.iscsi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The AnsibleModule every module of the collection runs in.

Two things happen before the module's own checks could, and both are fixed here:

* Secrets nested inside free-form options.  ``no_log`` covers whole options
  only.  A CHAP secret inside a mapping - the ``config`` of scst_config, a
  password someone puts into iscsi_node's ``settings`` - would be logged to
  syslog when the module starts and echoed in ``invocation`` at -vvv.
  ``CollectionModule(secrets=find, ...)`` adds what ``find(params)`` returns
  to ``no_log_values`` before the invocation is logged and before any result
  or error leaves the module (also when Ansible itself rejects the arguments),
  so Ansible masks it everywhere.
* Arguments syslog cannot take.  AnsibleModule logs its arguments when it
  starts; from Python 3.12 on, ``syslog.syslog`` refuses a NUL character and
  ansible-core then fails the module with its own syslog message, before the
  module can name the option and the rule that the NUL breaks.  The log line
  carries a NUL as the four characters ``\\x00`` instead.
"""

from __future__ import annotations

from ansible.module_utils.basic import AnsibleModule


def _loggable(value):
    return value.replace("\x00", "\\x00") if isinstance(value, str) else value


class CollectionModule(AnsibleModule):

    def __init__(self, *args, secrets=None, **kwargs):
        self._find_secrets = secrets
        super().__init__(*args, **kwargs)
        self.register_secrets()

    def register_secrets(self):
        params = getattr(self, "params", None)
        if self._find_secrets and isinstance(params, dict) and hasattr(self, "no_log_values"):
            self.no_log_values.update(s for s in self._find_secrets(params) if s)

    def _log_invocation(self):
        self.register_secrets()
        super()._log_invocation()

    def log(self, msg, log_args=None):
        if log_args is not None:
            log_args = {key: _loggable(value) for key, value in log_args.items()}
        super().log(_loggable(msg), log_args=log_args)

    def exit_json(self, **kwargs):
        self.register_secrets()
        super().exit_json(**kwargs)

    def fail_json(self, msg, **kwargs):
        self.register_secrets()
        super().fail_json(msg=msg, **kwargs)
