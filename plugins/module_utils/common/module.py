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

It also ends the modules' runs one way: ``exit_with`` turns the result or the
typed error of a run into ``exit_json`` or ``fail_json``, and ``run_plan`` is
the whole run of a module that plans its change (``plan.Plan``): check the
options, plan, apply unless in check mode, report with ``changed`` and the diff.
"""

from __future__ import annotations

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.scst.iscsi.plugins.module_utils.common.errors import ModuleError


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

    def exit_with(self, run):
        """End the module with the result ``run()`` returns, or fail it with the
        message and details of the ``ModuleError`` it raises."""
        try:
            result = run()
        except ModuleError as exc:
            self.fail_json(**exc.result())
        self.exit_json(**result)

    def run_plan(self, build_request, make_plan, *, apply, report, predict=None, changed=None, diff=None,
                 always_diff=False):
        """Plan a change, make it unless in check mode, and end the module with the result.

        ``build_request(params)`` checks the options (a ``ValidationError`` names the one at
        fault) and ``make_plan(request)`` reads the host and returns the ``Plan``; neither
        changes anything. A real run then calls ``apply(request, plan)``, check mode
        ``predict(request, plan)`` when given; what either returns is the ``effect`` that
        ``report(request, plan, effect)`` turns into the result. ``changed(plan, result)``
        decides ``changed`` (default: the plan's) and ``diff(plan, result)`` the diff
        (default: the plan's before and after), returned in diff mode, or in every mode with
        ``always_diff``. The plan's warnings are shown once the run has succeeded.

        A ``ModuleError`` on the way fails the module (``exit_with``) with ``changed`` true
        when steps applied before the failure changed something.
        """
        def run():
            plan = None
            try:
                request = build_request(self.params)
                plan = make_plan(request)
                if self.check_mode:
                    effect = predict(request, plan) if predict is not None else None
                else:
                    effect = apply(request, plan)
                result = report(request, plan, effect)
            except ModuleError as exc:
                exc.details["changed"] = bool(plan is not None and not self.check_mode and plan.applied())
                raise
            for warning in plan.warnings:
                self.warn(warning)
            if self._diff or always_diff:
                result["diff"] = diff(plan, result) if diff is not None else plan.diff()
            result["changed"] = changed(plan, result) if changed is not None else plan.changed
            return result

        self.exit_with(run)
