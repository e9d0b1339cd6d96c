# -*- coding: utf-8 -*-
# Copyright: scst.iscsi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Plan ALUA: device groups with their devices and target groups, and per
target group its group id, state, preference and targets (SCST's
device_groups/ tree; the DEVICE_GROUP blocks of scst.conf).

A target of this host is a member by name (a symlink in sysfs; its relative
target port id is the target's own rel_tgt_id attribute).  A target of another
node is a remote member with a rel_tgt_id of its own (a directory in sysfs).
A state change is one write; deleting a device group or a target group that
logged-in sessions use needs force.
"""

from __future__ import annotations

from ansible_collections.scst.iscsi.plugins.module_utils.scst import catalog
from ansible_collections.scst.iscsi.plugins.module_utils.scst import values as v
from ansible_collections.scst.iscsi.plugins.module_utils.scst.errors import SafetyError, ValidationError
from ansible_collections.scst.iscsi.plugins.module_utils.scst.outcome import Outcome, sessions_in_use
from ansible_collections.scst.iscsi.plugins.module_utils.scst.sysfs import join

ROOT = "device_groups"
# rel_tgt_id and group_id: 1..65535; 0 means never set (SCST cannot be given 0)
ID_MAX = 65535


def dg_dir(group):
    return join(ROOT, group)


def tg_dir(group, target_group):
    return join(ROOT, group, "target_groups", target_group)


# -- reading -----------------------------------------------------------------

def device_group_names(live):
    return live.sysfs.subdirs(ROOT)


def device_group_of(live, device):
    """The device group a device is in, or None."""
    for group in device_group_names(live):
        if live.sysfs.exists(join(dg_dir(group), "devices", device)):
            return group
    return None


def dg_devices(live, group):
    return [n for n in live.sysfs.listdir(join(dg_dir(group), "devices")) if n != "mgmt"]


def target_group_names(live, group):
    return live.sysfs.subdirs(join(dg_dir(group), "target_groups"))


def tg_members(live, group, target_group):
    """{name: (driver, None)} for local targets (symlinks), {name: (None, rel_tgt_id)} for remote ones."""
    base = tg_dir(group, target_group)
    members = {}
    for name in live.sysfs.subdirs(base):
        link = live.sysfs.readlink(join(base, name))
        if link is not None:
            parts = [p for p in link.split("/") if p and p != ".."]
            members[name] = (parts[-2] if len(parts) >= 2 else None, None)
        else:
            attr = live.sysfs.read_attr(join(base, name, "rel_tgt_id"))
            members[name] = (None, _number(attr))
    return members


def _number(attr):
    try:
        return int(attr.value.strip()) if attr is not None else 0
    except ValueError:
        return 0


# -- the request ---------------------------------------------------------------


def _id(field, value):
    return v.integer(field, value if value is not None else 0, minimum=0, maximum=ID_MAX)


class TgTarget(object):
    """A member of a target group, by name: SCST links a target of this host
    and makes any other name a remote target.  ``rel_tgt_id`` (remote targets
    only; 0 = not set) makes it a remote target with that relative port id."""

    def __init__(self, name, spec, field):
        self.name = v.target_name(field, name, driver="")
        spec = spec or {}
        self.rel_tgt_id = _id(field + ".rel_tgt_id", spec.get("rel_tgt_id"))
        self.remote = self.rel_tgt_id > 0
        self.field = field


class TargetGroupRequest(object):
    def __init__(self, name, spec, field):
        self.name = v.target_group_name(field, name)
        self.field = field
        self.group_id = _id(field + ".group_id", spec.get("group_id"))
        self.state = v.choice(field + ".state", spec.get("state") or "active", catalog.ALUA_STATES)
        self.preferred = bool(v.boolean(field + ".preferred", spec.get("preferred") or False))
        self.attributes = catalog.desired_attributes({}, spec.get("attributes"), kind="target_group",
                                                     field_prefix=field + ".", carry=True)
        self.targets = [TgTarget(t, s, "%s.targets.%s" % (field, t))
                        for t, s in sorted((spec.get("targets") or {}).items())]


class DeviceGroupRequest(object):
    def __init__(self, name, spec, field):
        self.name = v.device_group_name(field, name)
        self.field = field
        self.devices = sorted(set(v.device_name("%s.devices[%d]" % (field, i), d)
                                  for i, d in enumerate(spec.get("devices") or [])))
        self.attributes = catalog.desired_attributes({}, spec.get("attributes"), kind="device_group",
                                                     field_prefix=field + ".", carry=True)
        self.target_groups = [TargetGroupRequest(t, s or {}, "%s.target_groups.%s" % (field, t))
                              for t, s in sorted((spec.get("target_groups") or {}).items())]


class AluaRequest(object):
    """The wanted device groups (normal form of ``device_groups``).

    ``local_rel_tgt_ids``: {target: rel_tgt_id} of this host's targets as
    configured, to refuse a remote target with the same id.  A whole-host plan
    sets ``deleted_devices``/``recreated_devices``/``deleted_targets`` before
    planning: SCST drops their memberships itself.
    """

    def __init__(self, device_groups, *, attributes=None, purge=False, force=False, local_rel_tgt_ids=None,
                 field_prefix="device_groups."):
        self.purge = bool(purge)
        self.force = bool(force)
        # attributes of device_groups/ itself (scst.conf's ALUA block; SCST has none today)
        self.attributes = catalog.desired_attributes({}, attributes, kind="alua", field_prefix="alua_",
                                                     carry=True)
        self.groups = [DeviceGroupRequest(n, s or {}, field_prefix + str(n))
                       for n, s in sorted((device_groups or {}).items())]
        self.deleted_devices = set()
        self.recreated_devices = set()
        self.deleted_targets = set()
        self._check(local_rel_tgt_ids or {})

    def _check(self, local_ids):
        owner = {}
        for group in self.groups:
            for index, device in enumerate(group.devices):
                if device in owner:
                    raise ValidationError("%s.devices[%d]" % (group.field, index),
                                          "device %s is also in device group %s; a device belongs to at "
                                          "most one device group" % (device, owner[device]))
                owner[device] = group.name
            ids, members, remote_ids = {}, {}, {}
            for tg in group.target_groups:
                if tg.group_id:
                    if tg.group_id in ids:
                        raise ValidationError(tg.field + ".group_id", "%d is also the group_id of target group "
                                              "%s; group ids are unique within a device group"
                                              % (tg.group_id, ids[tg.group_id]))
                    ids[tg.group_id] = tg.name
                for target in tg.targets:
                    if target.name in members:
                        raise ValidationError(target.field, "target %s is also in target group %s; a target "
                                              "is in at most one target group of a device group"
                                              % (target.name, members[target.name]))
                    members[target.name] = tg.name
                    if target.remote and target.name in local_ids:
                        raise ValidationError(target.field + ".rel_tgt_id", "%s is a target of this host: its "
                                              "rel_tgt_id is the target's own attribute" % target.name)
                    if target.remote and target.rel_tgt_id:
                        clash = remote_ids.get(target.rel_tgt_id)
                        if clash is None:
                            clash = next((t for t, i in sorted(local_ids.items())
                                          if str(i) == str(target.rel_tgt_id)), None)
                        if clash is not None:
                            raise ValidationError(target.field + ".rel_tgt_id", "%d is also the rel_tgt_id of "
                                                  "target %s; relative target port ids are unique"
                                                  % (target.rel_tgt_id, clash))
                        remote_ids[target.rel_tgt_id] = target.name


# -- planning ----------------------------------------------------------------

def _local_targets(live):
    """{name: driver} of this host's targets, those the plan creates included."""
    found = {}
    for driver in live.sysfs.subdirs("targets"):
        for name in live.target_names(driver):
            found.setdefault(name, driver)
    for entry in live.declared:
        if entry[0] == "target":
            found.setdefault(entry[2], entry[1])
    return found


def _busy_targets(live, members, deleted):
    busy = []
    for name, (driver, _rel) in sorted(members.items()):
        if driver and name not in deleted:
            sessions = live.sessions(driver, name)
            if sessions:
                busy.append("%s/%s: %s" % (driver, name, ", ".join(sessions)))
    return busy


def plan_alua(live, request, *, check_mode=False):
    outcome = Outcome()
    plan = outcome.plan
    refusals = []
    live_groups = device_group_names(live)
    wanted = dict((g.name, g) for g in request.groups)
    local = dict((n, d) for n, d in _local_targets(live).items() if n not in request.deleted_targets)
    gone = request.deleted_devices | request.recreated_devices
    before, after = {}, {}

    _plan_attributes(live, plan, ROOT, True, request.attributes, "alua_", "dg_attr", "device_groups")
    # whole device groups
    removed = set()
    for group in live_groups:
        before[group] = sorted(dg_devices(live, group))
        if group in wanted or not request.purge:
            continue
        if not request.force:
            busy = []
            for device in dg_devices(live, group):
                if device not in gone:
                    busy.extend(sessions_in_use(live, live.device_exports(device)))
            for tg in target_group_names(live, group):
                busy.extend(_busy_targets(live, tg_members(live, group, tg), request.deleted_targets))
            if busy:
                refusals.append("refusing to delete device group %s: logged-in initiators use its devices "
                                "or targets (%s)" % (group, "; ".join(busy)))
                continue
        plan.add("remove_device_group", join(ROOT, "mgmt"), "del %s" % group, "delete device group %s" % group)
        removed.add(group)

    # devices: where each is now (SCST allows one device group per device)
    owner = {}
    for group in live_groups:
        if group not in removed:
            for device in dg_devices(live, group):
                owner[device] = group
    placed = set()
    for group in request.groups:
        after[group.name] = group.devices
        exists = group.name in live_groups
        if not exists:
            plan.add("create_device_group", join(ROOT, "mgmt"), "create %s" % group.name,
                     "create device group %s" % group.name)
        for index, device in enumerate(group.devices):
            placed.add(device)
            if not live.known_device(device):
                raise ValidationError("%s.devices[%d]" % (group.field, index),
                                      "device %s is neither declared under handlers nor present on the host"
                                      % device)
            current = None if device in gone else owner.get(device)
            if current == group.name:
                continue
            if current is not None:
                plan.add("remove_dg_device", join(dg_dir(current), "devices", "mgmt"), "del %s" % device,
                         "take device %s out of device group %s" % (device, current))
            plan.add("dg_device", join(dg_dir(group.name), "devices", "mgmt"), "add %s" % device,
                     "add device %s to device group %s" % (device, group.name))
        if exists and request.purge:
            for device in sorted(set(dg_devices(live, group.name)) - set(group.devices)):
                if device not in gone:
                    plan.add("remove_dg_device", join(dg_dir(group.name), "devices", "mgmt"), "del %s" % device,
                             "take device %s out of device group %s" % (device, group.name))
        _plan_attributes(live, plan, dg_dir(group.name), exists, group.attributes, group.field + ".",
                         "dg_attr", "device group %s" % group.name)
        _plan_target_groups(live, plan, request, group, exists, local, refusals)
    # a re-created device goes back where it was, unless the configuration says otherwise
    for device in sorted(request.recreated_devices - placed):
        group = owner.get(device)
        if group and not request.purge:
            plan.add("dg_device", join(dg_dir(group), "devices", "mgmt"), "add %s" % device,
                     "put re-created device %s back into device group %s" % (device, group))
    if refusals:
        raise SafetyError("\n- ".join(refusals), refusals=refusals)
    outcome.before, outcome.after = before, after
    return outcome


def _plan_target_groups(live, plan, request, group, exists, local, refusals):
    live_tgs = target_group_names(live, group.name) if exists else []
    members = dict((tg, tg_members(live, group.name, tg)) for tg in live_tgs)
    mgmt = join(dg_dir(group.name), "target_groups", "mgmt")
    wanted = set(tg.name for tg in group.target_groups)
    removed = set()
    for tg in live_tgs:
        if tg in wanted or not request.purge:
            continue
        busy = [] if request.force else _busy_targets(live, members[tg], request.deleted_targets)
        if busy:
            refusals.append("refusing to delete target group %s of device group %s: logged-in initiators use "
                            "its targets (%s)" % (tg, group.name, "; ".join(busy)))
            continue
        plan.add("remove_target_group", mgmt, "del %s" % tg,
                 "delete target group %s of device group %s" % (tg, group.name))
        removed.add(tg)
    owner = {}
    for tg in live_tgs:
        if tg not in removed:
            for name, kind in members[tg].items():
                if name not in request.deleted_targets:
                    owner[name] = (tg, kind)
    claimed = set(t.name for tg in group.target_groups for t in tg.targets)
    for tg in group.target_groups:
        path = tg_dir(group.name, tg.name)
        label = "target group %s of device group %s" % (tg.name, group.name)
        tg_exists = tg.name in live_tgs
        if not tg_exists:
            plan.add("create_target_group", mgmt, "create %s" % tg.name, "create " + label)
        _plan_settings(live, plan, path, tg, tg_exists, label)
        _plan_attributes(live, plan, path, tg_exists, tg.attributes, tg.field + ".", "tg_attr", label)
        for target in tg.targets:
            _plan_member(plan, path, tg, target, owner.get(target.name), local, group, label)
        if tg_exists and request.purge:
            # a target another group of this device group wants is moved there
            # (_plan_member takes it out of here): one "del", not two
            for name in sorted(set(members[tg.name]) - claimed):
                if name not in request.deleted_targets:
                    plan.add("remove_tg_member", join(path, "mgmt"), "del %s" % name,
                             "take target %s out of %s" % (name, label))


def _plan_settings(live, plan, path, tg, exists, label):
    def current(attr, default):
        value = live.sysfs.read_attr(join(path, attr)) if exists else None
        return value.value.strip() if value is not None else default

    if tg.group_id and current("group_id", "0") != str(tg.group_id):
        plan.add("tg_attr", join(path, "group_id"), str(tg.group_id), "set group_id of %s" % label)
    if current("state", "active") != tg.state:
        plan.add("tg_attr", join(path, "state"), tg.state, "set the ALUA state of %s to %s" % (label, tg.state))
    if current("preferred", "0") != ("1" if tg.preferred else "0"):
        plan.add("tg_attr", join(path, "preferred"), "1" if tg.preferred else "0",
                 "%s %s" % ("prefer" if tg.preferred else "do not prefer", label))


def _plan_member(plan, path, tg, target, current, local, group, label):
    if target.remote and target.name in local:
        raise ValidationError(target.field + ".rel_tgt_id", "%s is a target of this host: its rel_tgt_id is "
                                                            "the target's own attribute" % target.name)
    fresh, rel = True, 0
    if current is not None:
        where, (driver, rel) = current
        # a name without rel_tgt_id is whatever SCST made of it; with one it must be remote
        if where == tg.name and (driver is None or not target.remote):
            fresh = False
        else:
            plan.add("remove_tg_member", join(tg_dir(group.name, where), "mgmt"), "del %s" % target.name,
                     "take target %s out of target group %s of device group %s" % (target.name, where, group.name))
    if fresh:
        plan.add("tg_member", join(path, "mgmt"), "add %s" % target.name, "add target %s to %s" % (target.name, label))
    if target.remote and target.rel_tgt_id and (fresh or rel != target.rel_tgt_id):
        plan.add("tg_member_attr", join(path, target.name, "rel_tgt_id"), str(target.rel_tgt_id),
                 "set rel_tgt_id of remote target %s in %s" % (target.name, label))


def _plan_attributes(live, plan, path, exists, wanted, field_prefix, phase, label):
    """Attributes besides group_id/state/preferred: exact strings."""
    for attr, value in sorted(wanted.items()):
        if exists:
            current = live.sysfs.read_attr(join(path, attr))
            if current is None:
                raise ValidationError("%sattributes.%s" % (field_prefix, attr),
                                      "%s has no attribute %s" % (label, attr))
            if current.value.strip() == value:
                continue
        plan.add(phase, join(path, attr), value, "set %s of %s" % (attr, label))


# -- one target group's state (scst_alua) ------------------------------------------

class AluaStateRequest(object):
    """The ALUA state (and optionally the preference) of one target group."""

    def __init__(self, *, device_group, target_group, state, preferred=None):
        self.device_group = v.device_group_name("device_group", device_group)
        self.target_group = v.target_group_name("target_group", target_group)
        self.state = v.choice("state", state, catalog.ALUA_STATES)
        self.preferred = None if preferred is None else bool(v.boolean("preferred", preferred))


def _settings(live, path):
    """(state, preferred) of an existing target group."""
    state = live.sysfs.read_attr(join(path, "state"))
    preferred = live.sysfs.read_attr(join(path, "preferred"))
    return (state.value.strip() if state is not None else "active",
            preferred is not None and preferred.value.strip() == "1")


def plan_alua_state(live, request, *, check_mode=False):
    """Switch one target group of this host: one write per attribute that differs.

    The device group and the target group must exist; in check mode a missing
    one is a warning (an earlier task may create it) and the plan assumes a new
    group (active, not preferred).  Returns ``state_before``/``state_after`` and
    ``preferred_before``/``preferred_after`` besides the plan.
    """
    dg, tg = request.device_group, request.target_group
    path = tg_dir(dg, tg)
    label = "target group %s of device group %s" % (tg, dg)
    outcome = Outcome()
    missing = None
    if dg not in device_group_names(live):
        missing = ("device_group", "no device group %s on this host (device groups here: %s)"
                   % (dg, ", ".join(device_group_names(live)) or "none"))
    elif tg not in target_group_names(live, dg):
        missing = ("target_group", "device group %s has no target group %s (target groups: %s)"
                   % (dg, tg, ", ".join(target_group_names(live, dg)) or "none"))
    if missing is not None:
        if not check_mode:
            raise ValidationError(*missing)
        outcome.plan.warnings.append("%s: %s (assumed to be created earlier in this run)" % missing)
        state, preferred = "active", False
    else:
        state, preferred = _settings(live, path)
    wanted_preferred = preferred if request.preferred is None else request.preferred
    if state != request.state:
        outcome.plan.add("tg_attr", join(path, "state"), request.state,
                         "set the ALUA state of %s to %s" % (label, request.state))
    if wanted_preferred != preferred:
        outcome.plan.add("tg_attr", join(path, "preferred"), "1" if wanted_preferred else "0",
                         "%s %s" % ("prefer" if wanted_preferred else "do not prefer", label))
    where = {"device_group": dg, "target_group": tg}
    outcome.before = dict(where, state=state, preferred=preferred)
    outcome.after = dict(where, state=request.state, preferred=wanted_preferred)
    outcome.extra.update(state_before=state, state_after=request.state,
                         preferred_before=preferred, preferred_after=wanted_preferred)
    return outcome
