# -*- coding: utf-8 -*-
# Copyright: scst.iscsi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Glue shared by every SCST module: options common to all of them, one
run = lock the host, read, plan, apply unless in check mode, report
(``execute``), and the AnsibleModule and run of a planning module
(``scst_module``, ``run_planner``, ``run_planning_module``)."""

from __future__ import annotations

import os

from ansible_collections.scst.iscsi.plugins.module_utils.common.masking import find_secrets
from ansible_collections.scst.iscsi.plugins.module_utils.scst.errors import ScstError
from ansible_collections.scst.iscsi.plugins.module_utils.scst.live import LiveTree
from ansible_collections.scst.iscsi.plugins.module_utils.scst.lock import HostLock
from ansible_collections.scst.iscsi.plugins.module_utils.scst.plan import apply_plan
from ansible_collections.scst.iscsi.plugins.module_utils.scst.sysfs import DEFAULT_ROOT, Sysfs
from ansible_collections.scst.iscsi.plugins.module_utils.scst.visibility import refuse_hidden_lun_changes

ROOT_ENV = "SCST_SYSFS_ROOT"


def common_argument_spec():
    """Options documented in the scst.iscsi.scst doc fragment."""
    return dict(
        sysfs_root=dict(type="path"),
        mgmt_timeout=dict(type="float", default=300.0),
        lock_timeout=dict(type="float", default=120.0),
    )


def sysfs_root(params):
    return params.get("sysfs_root") or os.environ.get(ROOT_ENV) or DEFAULT_ROOT


def open_sysfs(params, backend=None):
    if backend is not None:
        return Sysfs(backend, mgmt_timeout=params.get("mgmt_timeout", 300.0))
    return Sysfs.at(sysfs_root(params), mgmt_timeout=params.get("mgmt_timeout", 300.0))


def execute(params, planner, *, check_mode, diff, warn, backend=None, after=None, describe=None, predict=None,
            apply=apply_plan):
    """Run ``planner(live)`` under the host lock and apply its plan.

    Returns the module result: ``changed``, ``plan`` (masked writes, made or
    predicted), ``diff`` when asked, and whatever the planner adds.
    ``warn`` receives the planner's warnings (``AnsibleModule.warn``).
    Unless ``params["force"]``, a plan that would take away or change a LUN
    a logged-in session sees is refused before anything is written.
    ``after(live, outcome)``, still under the lock, returns extra results and
    whether it changed something (persistence).  ``describe(live)`` gives the
    diff's before for planners that leave it to the caller, and
    ``predict(before, plan)`` the after, in check mode and real runs alike, so
    that check mode shows exactly the real run's diff.  ``apply(sysfs, plan)``
    writes the plan (the boot-time restore passes one that keeps going).
    """
    sysfs = open_sysfs(params, backend)
    applied = False
    try:
        with HostLock(sysfs_root(params), timeout=params.get("lock_timeout", 120.0)):
            live = LiveTree(sysfs)
            sysfs.require_loaded()
            sysfs.wait_for_earlier_commands()
            before = describe(live) if diff and describe else None
            outcome = planner(live)
            refuse_hidden_lun_changes(live, outcome.plan, force=bool(params.get("force")))
            if outcome.plan and not check_mode:
                apply(sysfs, outcome.plan)
                applied = True
            if before is not None:
                outcome.before = before
                outcome.after = predict(before, outcome.plan) if predict and outcome.plan else before
            extra_changed = False
            if after is not None:
                extra, extra_changed = after(LiveTree(sysfs), outcome)
                outcome.extra.update(extra)
    except ScstError as exc:
        # The one place that decides ``changed`` for a failed run: a failure
        # after writes (a later write, persistence) still changed the host.
        exc.details["changed"] = applied or bool(exc.details.get("changed"))
        raise
    result = dict(changed=bool(outcome.plan) or extra_changed, plan=outcome.plan.shown())
    result.update(outcome.extra)
    for warning in outcome.plan.warnings:
        warn(warning)
    if diff:
        result["diff"] = {"before": outcome.before or {}, "after": outcome.after or {}}
    return result


def scst_module(options):
    """The AnsibleModule of a planning module: the common options, the module's
    own ``options``, check mode, nested secrets hidden."""
    # Imported here: the rest of this file runs without Ansible (the boot-time
    # restore, restore.py, runs on hosts that have none).
    from ansible_collections.scst.iscsi.plugins.module_utils.common.module import CollectionModule

    argument_spec = common_argument_spec()
    argument_spec.update(options)
    return CollectionModule(argument_spec=argument_spec, supports_check_mode=True, secrets=find_secrets)


def run_planner(module, make_planner, *, make_after=None, describe=None, predict=None):
    """One run of a planning module (scst_device ... scst_config); its result.

    ``make_planner(params, check_mode)`` checks the parameters, builds the
    request and returns the planner ``planner(live) -> Outcome``; a bad
    parameter raises ScstError there, before the host is touched.
    ``make_after(params, check_mode)`` returns ``execute``'s ``after``;
    ``describe`` and ``predict`` are ``execute``'s.
    Errors are raised as ScstError, for the module's ``main()`` to report.
    """
    params, check_mode = module.params, module.check_mode
    planner = make_planner(params, check_mode)
    after = make_after(params, check_mode) if make_after else None
    return execute(params, planner, check_mode=check_mode, diff=module._diff, warn=module.warn,
                   after=after, describe=describe, predict=predict)


def run_planning_module(options, request, plan, *, make_after=None, run_options=()):
    """The whole ``main()`` of a module whose ``options`` but the ``run_options`` (those of
    ``make_after``, ``run_planner``'s) are the keyword arguments of the ``request`` class, and
    whose change is ``plan(live, request, check_mode=...)``."""
    module = scst_module(options)

    def make_planner(params, check_mode):
        checked = request(**{name: params[name] for name in options if name not in run_options})
        return lambda live: plan(live, checked, check_mode=check_mode)

    module.exit_with(lambda: run_planner(module, make_planner, make_after=make_after))
