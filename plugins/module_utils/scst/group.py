# -*- coding: utf-8 -*-
# Copyright: scst.iscsi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Plan an initiator group (access control): its initiators, LUNs and attributes."""

from __future__ import annotations

from ansible_collections.scst.iscsi.plugins.module_utils.scst import catalog
from ansible_collections.scst.iscsi.plugins.module_utils.scst import values as v
from ansible_collections.scst.iscsi.plugins.module_utils.scst.errors import SafetyError, ValidationError
from ansible_collections.scst.iscsi.plugins.module_utils.scst.live import target_dir
from ansible_collections.scst.iscsi.plugins.module_utils.scst.lun import LunRequest, LunSetRequest, plan_lun_set
from ansible_collections.scst.iscsi.plugins.module_utils.scst.outcome import Outcome, require_reference
from ansible_collections.scst.iscsi.plugins.module_utils.scst.sysfs import join
from ansible_collections.scst.iscsi.plugins.module_utils.scst.target import require_driver


class GroupRequest(object):
    """An initiator group.  ``luns``: a list of {lun, device, read_only} mappings
    or of ``LunRequest``; ``carry``: keep attributes outside the catalog as exact
    strings (whole-host configuration) instead of refusing them."""

    def __init__(self, *, name, target, driver="iscsi", state="present", initiators=None, luns=None,
                 attributes=None, exclusive=True, force=False, carry=False, field_prefix=""):
        f = field_prefix
        self.warnings = []      # initiator names SCST takes that are not RFC 3720 iSCSI names
        self.driver = v.driver_name(f + "driver", driver)
        self.target = v.target_name(f + "target", target, driver=self.driver)
        self.name = v.group_name(f + "name", name)
        self.state = v.choice(f + "state", state, ("present", "absent"))
        self.exclusive = bool(exclusive)
        self.force = bool(force)
        self.field_prefix = f
        # {group: initiators it keeps, or None when deleted}: other groups of the same target that the
        # same plan empties of initiators before this group's initiators are added (whole-host purge)
        self.releasing = {}
        self.initiators = None
        if initiators is not None:
            self.initiators = [v.initiator_name("%sinitiators[%d]" % (f, i), n, driver=self.driver,
                                                warnings=self.warnings)
                               for i, n in enumerate(initiators)]
            if len(set(self.initiators)) != len(self.initiators):
                raise ValidationError(f + "initiators", "lists an initiator twice")
        self.luns = None
        if luns is not None:
            self.luns = []
            for i, item in enumerate(luns):
                prefix = "%sluns[%d]." % (f, i)
                if isinstance(item, LunRequest):
                    self.luns.append(item)
                    continue
                if not isinstance(item, dict):
                    raise ValidationError(prefix[:-1], "must be a mapping with lun and device")
                unknown = set(item) - {"lun", "device", "read_only"}
                if unknown:
                    raise ValidationError(prefix + sorted(unknown)[0], "unknown key; a LUN has lun, "
                                                                       "device and read_only")
                self.luns.append(LunRequest(lun=item.get("lun"), device=item.get("device"),
                                            read_only=item.get("read_only", False), field_prefix=prefix))
        self.attributes = catalog.desired_attributes(
            catalog.GROUP_ATTRS, attributes, kind="group", field_prefix=f, carry=carry,
            applies=lambda spec: catalog.target_attr_applies(spec, self.driver))

    @classmethod
    def removal(cls, *, driver, target, name, force):
        """The deletion of a group that exists (names read from the live tree)."""
        request = cls.__new__(cls)
        request.driver, request.target, request.name = driver, target, name
        request.state, request.exclusive, request.force = "absent", True, bool(force)
        request.initiators = request.luns = None
        request.attributes = {}
        request.field_prefix = ""
        request.releasing = {}
        return request

    @property
    def path(self):
        return join(target_dir(self.driver, self.target), "ini_groups", self.name)


def plan_group(live, request, *, check_mode=False):
    require_driver(live, request.driver)
    outcome = Outcome()
    if request.state == "present":
        outcome.plan.warnings.extend(request.warnings)
    require_reference(outcome, live.known_target(request.driver, request.target),
                      "target %s of driver %s does not exist" % (request.target, request.driver),
                      check_mode=check_mode)
    exists = live.target_exists(request.driver, request.target) and live.group_exists(
        request.driver, request.target, request.name)
    groups_mgmt = join(target_dir(request.driver, request.target), "ini_groups", "mgmt")
    if request.state == "absent":
        if exists:
            outcome.before = {"name": request.name, "target": request.target}
            outcome.after = {}
            _plan_removal(live, outcome.plan, request)
        return outcome
    if not exists:
        outcome.plan.add("create_group", groups_mgmt, "create %s" % request.name,
                         "create initiator group %s of %s" % (request.name, request.target))
    before = {"name": request.name, "target": request.target} if exists else {}
    after = {"name": request.name, "target": request.target}
    if request.luns is not None:
        lun_set = plan_lun_set(live, LunSetRequest(driver=request.driver, target=request.target,
                                                   group=request.name, luns=request.luns,
                                                   exclusive=request.exclusive, force=request.force),
                               check_mode=check_mode)
        outcome.plan.extend(lun_set.plan)
        if exists:
            before["luns"] = _lun_list(lun_set.before)
        after["luns"] = _lun_list(lun_set.after)
    if request.initiators is not None:
        current = live.initiators(request.driver, request.target, request.name) if exists else []
        if exists:
            before["initiators"] = sorted(current)
        after["initiators"] = _plan_initiators(live, outcome.plan, request, current, exists)
    if request.attributes:
        def read(attr):
            return live.group_attr(request.driver, request.target, request.name, attr) if exists else None

        before_attrs, differing = catalog.compare_attributes(catalog.GROUP_ATTRS, request.attributes, read)
        if exists:
            catalog.refuse_missing(catalog.GROUP_ATTRS, before_attrs, what="group %s" % request.name,
                                   field_prefix=request.field_prefix)
        for attr, wanted in differing:
            outcome.plan.add("group_attr", join(request.path, attr), wanted,
                             "set %s of group %s" % (attr, request.name))
        if exists:
            before["attributes"] = before_attrs
        after["attributes"] = dict(request.attributes)
    outcome.before, outcome.after = before, after
    return outcome


def _lun_list(luns):
    return [dict(lun=n, **luns[n]) for n in sorted(luns)]


def _plan_initiators(live, plan, request, current, exists):
    mgmt = join(request.path, "initiators", "mgmt")
    wanted = request.initiators
    missing = [n for n in wanted if n not in current]
    extra = [n for n in current if n not in wanted] if request.exclusive else []
    if extra and not request.force:
        sessions = live.sessions_using_lun_set(request.driver, request.target, request.name)
        if sessions:
            raise SafetyError("refusing to remove initiator(s) %s from group %s: sessions are bound "
                              "to it (%s); set force: true to do it anyway"
                              % (", ".join(extra), request.name, ", ".join(sessions)), sessions=sessions)
    owner = _initiator_owners(live, request) if missing else {}
    for name in extra:
        plan.add("remove_initiator", mgmt, "del %s" % name,
                 "remove initiator %s from group %s" % (name, request.name))
    for name in missing:
        other = owner.get(name)
        if other:
            # SCST lets one name sit in two groups of a target (the first group
            # wins at login); moving keeps access control unambiguous.
            plan.add("add_initiator",
                     join(target_dir(request.driver, request.target), "ini_groups", other, "initiators", "mgmt"),
                     "move %s %s" % (name, request.name),
                     "move initiator %s from group %s to %s" % (name, other, request.name))
        else:
            plan.add("add_initiator", mgmt, "add %s" % name,
                     "add initiator %s to group %s" % (name, request.name))
    kept = [n for n in current if n not in extra]
    return sorted(kept + missing)


def _initiator_owners(live, request):
    owners = {}
    if not live.target_exists(request.driver, request.target):
        return owners
    for group in live.group_names(request.driver, request.target):
        if group == request.name:
            continue
        kept = request.releasing.get(group, ())
        for name in live.initiators(request.driver, request.target, group):
            if group in request.releasing and (kept is None or name not in kept):
                continue    # the same plan takes it out of that group first: it is added, not moved
            owners.setdefault(name, group)
    return owners


def _plan_removal(live, plan, request):
    driver, target, group = request.driver, request.target, request.name
    sessions = live.sessions_using_lun_set(driver, target, group)
    path = target_dir(driver, target)
    if sessions and not request.force:
        raise SafetyError("refusing to delete initiator group %s of %s: sessions are bound to it "
                          "(%s); set force: true to close them and delete it"
                          % (group, target, ", ".join(sessions)), group=group, sessions=sessions)
    for session in sessions:
        plan.add("close_sessions", join(path, "sessions", session, "force_close"), "1",
                 "close session %s of %s" % (session, target))
    plan.add("remove_group", join(path, "ini_groups", "mgmt"), "del %s" % group,
             "delete initiator group %s of %s" % (group, target))
