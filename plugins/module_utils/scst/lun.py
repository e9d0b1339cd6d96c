# -*- coding: utf-8 -*-
# Copyright: scst.iscsi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Plan LUN mappings: a device exported under a number in a target's default
LUN set or in an initiator group's LUN set."""

from __future__ import annotations

from ansible_collections.scst.iscsi.plugins.module_utils.scst import catalog
from ansible_collections.scst.iscsi.plugins.module_utils.scst import values as v
from ansible_collections.scst.iscsi.plugins.module_utils.scst.errors import SafetyError, ValidationError
from ansible_collections.scst.iscsi.plugins.module_utils.scst.live import lun_set_dir
from ansible_collections.scst.iscsi.plugins.module_utils.scst.outcome import Outcome, require_reference
from ansible_collections.scst.iscsi.plugins.module_utils.scst.sysfs import join
from ansible_collections.scst.iscsi.plugins.module_utils.scst.target import require_driver


class LunRequest(object):
    """One LUN.  ``driver``/``target``/``group`` say where it is when it is
    planned on its own (``plan_lun``); inside a ``LunSetRequest`` the set says it.
    ``attributes``: LUN attributes other than read_only, carried as exact strings."""

    def __init__(self, *, lun, device=None, read_only=False, state="present", attributes=None,
                 driver="iscsi", target=None, group=None, force=False, field_prefix=""):
        f = field_prefix
        self.number = v.lun_number(f + "lun", lun)
        self.state = v.choice(f + "state", state, ("present", "absent"))
        self.device = None if device is None else v.device_name(f + "device", device)
        if self.state == "present" and self.device is None:
            raise ValidationError(f + "device", "is required when state is present")
        self.read_only = bool(v.boolean(f + "read_only", read_only))
        self.attributes = catalog.desired_attributes({}, attributes, kind="lun", field_prefix=f, carry=True)
        self.driver = v.driver_name(f + "driver", driver)
        self.target = None if target is None else v.target_name(f + "target", target, driver=self.driver)
        self.group = None if group is None else v.group_name(f + "group", group)
        self.force = bool(force)
        self.field_prefix = f


class LunSetRequest(object):
    """The LUNs wanted in one LUN set; ``exclusive`` removes the others."""

    def __init__(self, *, driver, target, group=None, luns=(), exclusive=False, force=False):
        self.driver = v.driver_name("driver", driver)
        self.target = v.target_name("target", target, driver=self.driver)
        self.group = None if group is None else v.group_name("group", group)
        self.luns = list(luns)
        self.exclusive = bool(exclusive)
        self.force = bool(force)

    @property
    def add_phase(self):
        return "group_lun" if self.group else "add_lun"


def describe_set(driver, target, group):
    return "%s/%s%s" % (driver, target, " group " + group if group else "")


def device_read_only(live, device):
    attr = live.device_attr(device, "read_only") if live.device_exists(device) else None
    return attr is not None and attr.value.strip() == "1"


def plan_lun_set(live, request, *, check_mode=False):
    """Converge one LUN set.  ``before``/``after``: {number: {device, read_only}}.
    Shared by scst_group and whole-host configuration."""
    driver, target, group = request.driver, request.target, request.group
    outcome = Outcome()
    label = describe_set(driver, target, group)
    base = lun_set_dir(driver, target, group)
    mgmt = join(base, "mgmt")
    current = live.luns(driver, target, group) if _set_exists(live, driver, target, group) else {}
    sessions = None
    before, after = {}, {}
    for number, lun in current.items():
        before[number] = {"device": lun.device, "read_only": lun.read_only}
    after.update(before)

    def refuse_if_in_use(verb, number):
        nonlocal sessions
        if request.force:
            return
        if sessions is None:
            sessions = live.sessions_using_lun_set(driver, target, group) if current else []
        if sessions:
            raise SafetyError("refusing to %s LUN %d of %s: initiators are logged in to it (%s); "
                              "set force: true to do it anyway" % (verb, number, label, ", ".join(sessions)),
                              lun=number, sessions=sessions)

    seen = set()
    references = []
    for lun in request.luns:
        if lun.number in seen:
            raise ValidationError("lun", "LUN %d is listed twice for %s" % (lun.number, label))
        seen.add(lun.number)
        have = current.get(lun.number)
        if lun.state == "absent":
            if have is not None:
                refuse_if_in_use("delete", lun.number)
                outcome.plan.add("remove_lun", mgmt, "del %d" % lun.number,
                                 "delete LUN %d of %s" % (lun.number, label))
                after.pop(lun.number, None)
            continue
        # a LUN of a read-only device always reads read_only 1
        effective_ro = lun.read_only or device_read_only(live, lun.device)
        replace = have is not None and (have.device != lun.device or have.read_only != effective_ro)
        if replace:
            refuse_if_in_use("replace", lun.number)
        references.append(lun)
        after[lun.number] = {"device": lun.device, "read_only": effective_ro}
        params = " read_only=1" if lun.read_only else ""
        fresh = True
        if have is None:
            outcome.plan.add(request.add_phase, mgmt, "add %s %d%s" % (lun.device, lun.number, params),
                             "map %s as LUN %d of %s" % (lun.device, lun.number, label))
        elif replace:
            # replace swaps atomically with one unit attention; del+add would not
            outcome.plan.add(request.add_phase, mgmt, "replace %s %d%s" % (lun.device, lun.number, params),
                             "replace LUN %d of %s with %s" % (lun.number, label, lun.device))
        else:
            fresh = False
        _plan_lun_attributes(live, outcome.plan, base, lun, label, fresh)
    if request.exclusive:
        for number in sorted(set(current) - seen):
            refuse_if_in_use("delete", number)
            outcome.plan.add("remove_lun", mgmt, "del %d" % number, "delete LUN %d of %s" % (number, label))
            after.pop(number, None)
    # devices checked after every session refusal of the set: check mode, which
    # assumes a missing device, then refuses for the same reason as the real run
    for lun in references:
        require_reference(outcome, live.known_device(lun.device),
                          "device %s (LUN %d of %s) does not exist" % (lun.device, lun.number, label),
                          check_mode=check_mode)
    outcome.before, outcome.after = before, after
    return outcome


def _plan_lun_attributes(live, plan, base, lun, label, fresh):
    """LUN attributes other than read_only: written after the LUN is (re)made."""
    path = join(base, str(lun.number))
    for attr, wanted in sorted(lun.attributes.items()):
        if not fresh:
            current = live.sysfs.read_attr(join(path, attr))
            if current is None:
                raise ValidationError("%sattributes.%s" % (lun.field_prefix, attr),
                                      "LUN %d of %s has no attribute %s" % (lun.number, label, attr))
            if current.value.strip() == wanted:
                continue
        plan.add("lun_attr", join(path, attr), wanted, "set %s of LUN %d of %s" % (attr, lun.number, label))


def _set_exists(live, driver, target, group):
    if group:
        return live.group_exists(driver, target, group)
    return live.target_exists(driver, target)


def plan_lun(live, request, *, check_mode=False):
    """One LUN of a target or group (scst_lun); other LUNs are left alone."""
    if request.target is None:
        raise ValidationError("target", "is required")
    driver, target, group = request.driver, request.target, request.group
    require_driver(live, driver)
    outcome = Outcome()
    require_reference(outcome, live.known_target(driver, target),
                      "target %s of driver %s does not exist" % (target, driver), check_mode=check_mode)
    if group:
        require_reference(outcome, live.known_group(driver, target, group),
                          "initiator group %s of target %s does not exist" % (group, target),
                          check_mode=check_mode)
    lun_set = plan_lun_set(live, LunSetRequest(driver=driver, target=target, group=group, luns=[request],
                                               exclusive=False, force=request.force),
                           check_mode=check_mode)
    outcome.plan.extend(lun_set.plan)
    where = {"driver": driver, "target": target, "group": group, "lun": request.number}
    number = request.number
    outcome.before = dict(where, **lun_set.before[number]) if number in lun_set.before else {}
    outcome.after = dict(where, **lun_set.after[number]) if number in lun_set.after else {}
    return outcome
