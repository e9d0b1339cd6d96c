# -*- coding: utf-8 -*-
# Copyright: scst.iscsi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Plan LUN mappings: a device exported under a number in a target's default
LUN set or in an initiator group's LUN set."""

from __future__ import annotations

from ansible_collections.scst.iscsi.plugins.module_utils.scst import values as v
from ansible_collections.scst.iscsi.plugins.module_utils.scst.errors import SafetyError, ValidationError
from ansible_collections.scst.iscsi.plugins.module_utils.scst.live import lun_set_dir
from ansible_collections.scst.iscsi.plugins.module_utils.scst.outcome import Outcome, require_reference
from ansible_collections.scst.iscsi.plugins.module_utils.scst.sysfs import join
from ansible_collections.scst.iscsi.plugins.module_utils.scst.target import require_driver


class LunRequest(object):
    def __init__(self, *, lun, device=None, read_only=False, state="present", field_prefix=""):
        f = field_prefix
        self.number = v.lun_number(f + "lun", lun)
        self.state = v.choice(f + "state", state, ("present", "absent"))
        self.device = None if device is None else v.device_name(f + "device", device)
        if self.state == "present" and self.device is None:
            raise ValidationError(f + "device", "is required when state is present")
        self.read_only = bool(v.boolean(f + "read_only", read_only))


def describe_set(driver, target, group):
    return "%s/%s%s" % (driver, target, " group " + group if group else "")


def device_read_only(live, device):
    attr = live.device_attr(device, "read_only") if live.device_exists(device) else None
    return attr is not None and attr.value.strip() == "1"


def plan_luns(live, outcome, *, driver, target, group, wanted, exclusive, force, check_mode,
              add_phase="add_lun"):
    """Converge one LUN set to ``wanted`` (LunRequests).  Shared by scst_lun,
    scst_group and whole-host configuration."""
    label = describe_set(driver, target, group)
    mgmt = join(lun_set_dir(driver, target, group), "mgmt")
    current = live.luns(driver, target, group) if _set_exists(live, driver, target, group) else {}
    sessions = None
    before, after = {}, {}
    for number, lun in current.items():
        before[number] = {"device": lun.device, "read_only": lun.read_only}
    after.update(before)

    def refuse_if_in_use(verb, number):
        nonlocal sessions
        if force:
            return
        if sessions is None:
            sessions = live.sessions_using_lun_set(driver, target, group) if current else []
        if sessions:
            raise SafetyError("refusing to %s LUN %d of %s: initiators are logged in to it (%s); "
                              "set force: true to do it anyway" % (verb, number, label, ", ".join(sessions)),
                              lun=number, sessions=sessions)

    seen = set()
    for request in wanted:
        if request.number in seen:
            raise ValidationError("lun", "LUN %d is listed twice for %s" % (request.number, label))
        seen.add(request.number)
        have = current.get(request.number)
        if request.state == "absent":
            if have is not None:
                refuse_if_in_use("delete", request.number)
                outcome.plan.add("remove_lun", mgmt, "del %d" % request.number,
                                 "delete LUN %d of %s" % (request.number, label))
                after.pop(request.number, None)
            continue
        require_reference(outcome, live.known_device(request.device),
                          "device %s (LUN %d of %s) does not exist" % (request.device, request.number, label),
                          check_mode=check_mode)
        # a LUN of a read-only device always reads read_only 1
        effective_ro = request.read_only or device_read_only(live, request.device)
        after[request.number] = {"device": request.device, "read_only": effective_ro}
        params = " read_only=1" if request.read_only else ""
        if have is None:
            outcome.plan.add(add_phase, mgmt, "add %s %d%s" % (request.device, request.number, params),
                             "map %s as LUN %d of %s" % (request.device, request.number, label))
        elif have.device != request.device or have.read_only != effective_ro:
            refuse_if_in_use("replace", request.number)
            # replace swaps atomically with one unit attention; del+add would not
            outcome.plan.add(add_phase, mgmt, "replace %s %d%s" % (request.device, request.number, params),
                             "replace LUN %d of %s with %s" % (request.number, label, request.device))
    if exclusive:
        for number in sorted(set(current) - seen):
            refuse_if_in_use("delete", number)
            outcome.plan.add("remove_lun", mgmt, "del %d" % number, "delete LUN %d of %s" % (number, label))
            after.pop(number, None)
    return before, after


def _set_exists(live, driver, target, group):
    if group:
        return live.group_exists(driver, target, group)
    return live.target_exists(driver, target)


def plan_lun(live, *, driver, target, group, request, force=False, check_mode=False):
    require_driver(live, driver)
    outcome = Outcome()
    require_reference(outcome, live.known_target(driver, target),
                      "target %s of driver %s does not exist" % (target, driver), check_mode=check_mode)
    if group:
        require_reference(outcome, live.known_group(driver, target, group),
                          "initiator group %s of target %s does not exist" % (group, target),
                          check_mode=check_mode)
    before, after = plan_luns(live, outcome, driver=driver, target=target, group=group, wanted=[request],
                              exclusive=False, force=force, check_mode=check_mode,
                              add_phase="group_lun" if group else "add_lun")
    where = {"driver": driver, "target": target, "group": group, "lun": request.number}
    outcome.before = dict(where, **before[request.number]) if request.number in before else {}
    outcome.after = dict(where, **after[request.number]) if request.number in after else {}
    return outcome
