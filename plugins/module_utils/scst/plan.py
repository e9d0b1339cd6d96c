# -*- coding: utf-8 -*-
# Copyright: scst.iscsi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""An ordered plan of SCST management writes, and the code that applies it.

Planning reads the live tree and decides; applying only writes.  Check mode
returns the plan without applying it, so what check mode reports is by
construction what a real run writes.
"""

from __future__ import annotations

import errno
import time

from ansible_collections.scst.iscsi.plugins.module_utils.common.masking import MASK  # noqa: F401 pylint: disable=unused-import
from ansible_collections.scst.iscsi.plugins.module_utils.common.plan import Plan as BasePlan, Step
from ansible_collections.scst.iscsi.plugins.module_utils.scst.errors import ScstError


# Order of a full apply (SCST's own recommendation): removals first, from the
# outside in, then creation from the inside out, enabling last.
PHASES = (
    "disable_target",     # stop new logins before tearing anything down
    "close_sessions",
    "remove_initiator",
    "remove_lun",
    "remove_group",
    "remove_tg_member",   # ALUA, from the inside out: targets leave target groups,
    "remove_target_group",
    "remove_dg_device",   # devices leave device groups (before a move to another one),
    "remove_device_group",
    "remove_dynamic_attr",  # CHAP accounts and allowed portals
    "remove_target",
    "remove_device",
    "root_attr",          # setup_id influences default ids of devices created later
    "handler_attr",
    "create_device",
    "device_attr",
    "driver_attr",        # discovery CHAP and iSNS need the daemon, not targets
    "create_target",
    "target_attr",
    "chap",
    "portal",
    "add_lun",
    "create_group",
    "group_attr",
    "group_lun",
    "add_initiator",
    "restore_lun",        # LUN mappings of re-created devices
    "lun_attr",
    "create_device_group",  # ALUA: once devices and targets exist (a target added to a
    "dg_device",          # target group before it exists would become a remote one)
    "dg_attr",
    "create_target_group",
    "tg_member",
    "tg_member_attr",     # rel_tgt_id of remote targets
    # group_id, state, preferred: one write each, no force needed; after the
    # members. SCST tells the devices' handlers of a state change of a target
    # group that has no remote target and no session yet; vdisk_blockio
    # (bind_alua_state=1) then closes its backing device on "standby" and
    # answers every command "medium not present". A new group of remote
    # targets set to standby before they were added did that on the active
    # node (found by the VM scenario ha).
    "tg_attr",
    "enable_target",
    "enable_driver",
)
_RANK = dict((name, i) for i, name in enumerate(PHASES))


class Action(Step):
    """One write: ``data`` to ``path``; ``secrets`` are masked everywhere it is shown."""

    def __init__(self, phase, path, data, what, secrets=(), wait_empty=None):
        if phase not in _RANK:
            raise ValueError("unknown phase %s" % phase)
        super().__init__(what, secrets=secrets)
        self.phase = phase
        self.path = path
        self.data = data
        # a directory that must become empty before the next write (closing
        # sessions is asynchronous: del_target fails with EBUSY until they are gone)
        self.wait_empty = wait_empty

    @property
    def shown(self):
        return self.mask(self.data)

    def as_dict(self):
        return {"path": self.path, "write": self.shown, "what": self.what}

    def __repr__(self):
        return "Action(%s, %s, %r)" % (self.phase, self.path, self.shown)


class Plan(BasePlan):
    """SCST management writes, applied by phase (stable within a phase)."""

    def add(self, phase, path, data, what, *, secrets=(), wait_empty=None):
        self.append(Action(phase, path, data, what, secrets, wait_empty))

    def ordered(self):
        return sorted(self.steps, key=lambda a: _RANK[a.phase])

    @property
    def actions(self):
        return self.ordered()

    def shown(self):
        return [a.as_dict() for a in self.actions]


def apply_plan(sysfs, plan, *, settle_timeout=60.0):
    """Write every action in order.  On failure, say what was already done.

    The error's details name the writes made (``applied``), the one that failed
    (``failed_write``; ``failed`` is Ansible's own key) and whether the host
    changed: some write went through, or the failed one timed out and SCST is
    still running it.
    """
    done = []
    for action in plan.actions:
        try:
            apply_action(sysfs, action, settle_timeout=settle_timeout)
        except ScstError as exc:
            # written but its sessions did not close: SCST is still at work on it
            still_running = bool(action.done) or getattr(exc, "code", None) == errno.ETIMEDOUT
            _explain_failure(exc, done, action, still_running=still_running)
            raise
        done.append(action)
    return done


def apply_action(sysfs, action, *, settle_timeout=60.0):
    """One write of a plan, then the wait it asks for; ``action.done`` once written.
    Raises ScstError (the write's, or the wait's when sessions do not close)."""
    sysfs.write(action.path, action.data, shown=action.shown, what=action.what)
    action.done = True
    if action.wait_empty:
        _wait_until_empty(sysfs, action.wait_empty, settle_timeout)


def _explain_failure(exc, done, action, *, still_running):
    exc.details["applied"] = [a.as_dict() for a in done]
    exc.details["failed_write"] = action.as_dict()
    exc.details["changed"] = bool(done) or still_running
    if done:
        exc.args = ("%s (after %d successful write(s); re-run to converge)" % (exc.args[0], len(done)),)


def _wait_until_empty(sysfs, directory, timeout):
    deadline = time.monotonic() + timeout
    delay = 0.02
    while sysfs.subdirs(directory):
        if time.monotonic() > deadline:
            raise ScstError("%s still has entries after %ss (sessions did not close)"
                            % (directory, timeout), path=directory)
        time.sleep(delay)
        delay = min(delay * 2, 1.0)
