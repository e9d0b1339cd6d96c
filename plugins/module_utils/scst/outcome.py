# -*- coding: utf-8 -*-
# Copyright: scst.iscsi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a planner returns: the plan, and the object before and after (for diff)."""

from __future__ import annotations

from ansible_collections.scst.iscsi.plugins.module_utils.scst.errors import ScstError
from ansible_collections.scst.iscsi.plugins.module_utils.scst.plan import Plan


class Outcome(object):
    def __init__(self, plan=None, before=None, after=None, **extra):
        self.plan = plan if plan is not None else Plan()
        self.before = before
        self.after = after
        self.extra = extra

    @property
    def changed(self):
        return bool(self.plan)


def sessions_in_use(live, exports):
    """Sessions bound to any of the LUN sets in ``exports`` ((drv, tgt, group, lun) tuples)."""
    seen = {}
    for driver, target, group, _lun in exports:
        key = (driver, target, group)
        if key not in seen:
            seen[key] = live.sessions_using_lun_set(driver, target, group)
    return ["%s/%s%s: %s" % (d, t, "/" + g if g else "", ", ".join(s))
            for (d, t, g), s in sorted(seen.items(), key=lambda i: (i[0][0], i[0][1], i[0][2] or ""))
            if s]


def require_reference(outcome, exists, message, *, check_mode):
    """A referenced object must exist.  In check mode an earlier task may be
    about to create it, so it is a warning and the plan assumes it exists."""
    if exists:
        return
    if check_mode:
        outcome.plan.warnings.append(message + " (assumed to be created earlier in this run)")
        return
    raise ScstError(message)
