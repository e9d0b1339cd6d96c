# -*- coding: utf-8 -*-
# Copyright: scst.iscsi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The whole host in one plan: a configuration shaped like /etc/scst.conf
(the normal form of ``conf.normalise_config``, which ``info.read_configuration``
returns) converged with the same per-object planners the single modules use.

The shape is checked once, by ``conf.normalise_config``; the per-object
requests built from its normal form check the values (values.py, catalog.py).
Objects the configuration does not mention are left alone unless ``purge``.
Safe mode: every refusal (objects in use by sessions) is collected, and the
whole request is refused at once, naming each object and its sessions.
"""

from __future__ import annotations

from ansible_collections.scst.iscsi.plugins.module_utils.scst import catalog
from ansible_collections.scst.iscsi.plugins.module_utils.scst import values as v
from ansible_collections.scst.iscsi.plugins.module_utils.scst.alua import AluaRequest, plan_alua
from ansible_collections.scst.iscsi.plugins.module_utils.scst.chap import ChapRequest, plan_chap
from ansible_collections.scst.iscsi.plugins.module_utils.scst.conf import normalise_config
from ansible_collections.scst.iscsi.plugins.module_utils.scst.device import DeviceRequest, plan_device
from ansible_collections.scst.iscsi.plugins.module_utils.scst.driver import DriverRequest, plan_driver
from ansible_collections.scst.iscsi.plugins.module_utils.scst.errors import ModuleError, SafetyError, ValidationError
from ansible_collections.scst.iscsi.plugins.module_utils.scst.group import GroupRequest, plan_group
from ansible_collections.scst.iscsi.plugins.module_utils.scst.lun import LunRequest, LunSetRequest, plan_lun_set
from ansible_collections.scst.iscsi.plugins.module_utils.scst.outcome import Outcome
from ansible_collections.scst.iscsi.plugins.module_utils.scst.root import (
    HandlerRequest,
    RootRequest,
    plan_handler,
    plan_root,
)
from ansible_collections.scst.iscsi.plugins.module_utils.scst.target import (
    TargetRequest,
    is_hardware_target,
    plan_target,
    require_driver,
)

ISCSI = "iscsi"


def _raw(config, *path):
    """The node at ``path`` of the configuration as given (keys compared as
    strings), or None.  Only used to tell a key that is absent from an empty one."""
    node = config
    for key in path:
        if not isinstance(node, dict):
            return None
        node = next((val for k, val in node.items() if str(k) == key), None)
    return node


def _given(config, key, *path):
    parent = _raw(config, *path)
    return isinstance(parent, dict) and any(str(k) == key for k in parent)


def _luns(field, luns, **where):
    return [LunRequest(lun=number, device=spec["device"], read_only=spec.get("read_only", False),
                       attributes=spec.get("attributes"), field_prefix="%s.%s." % (field, number), **where)
            for number, spec in sorted(luns.items())]


def _chap_lists(field, chap, raw, *, target):
    """CHAP accounts of both directions.  The normal form sorts them: errors
    name the index the account has in the configuration as given."""
    requests = {"incoming": [], "outgoing": []}
    for direction in ("incoming", "outgoing"):
        accounts = chap.get(direction) or []
        if direction == "outgoing" and len(accounts) > 1:
            raise ValidationError("%s.outgoing" % field, "iSCSI allows one outgoing (mutual CHAP) "
                                                         "account per target and one for discovery")
        given = (raw or {}).get(direction) if isinstance(raw, dict) else None
        given = given if isinstance(given, list) else []
        users = set()
        for index, account in enumerate(accounts):
            index = next((i for i, item in enumerate(given) if isinstance(item, dict)
                          and str(item.get("username")) == account["username"]
                          and item.get("password") == account["password"]), index)
            sub = "%s.%s[%d]" % (field, direction, index)
            request = ChapRequest(username=account["username"], password=account["password"],
                                  direction=direction, target=target, field_prefix=sub + ".")
            if request.username in users:
                raise ValidationError(sub + ".username", "user %s is listed twice" % request.username)
            users.add(request.username)
            requests[direction].append(request)
    return requests


class MissingDevice(object):
    """A device that LUNs name and that is neither declared nor on the host
    (handed to ``ConfigRequest.on_error``)."""

    def __init__(self, name):
        self.name = name


class TargetPlanItem(object):
    def __init__(self, target, luns, groups, chap, chap_given):
        self.target = target
        self.luns = luns
        self.groups = groups
        self.chap = chap
        self.chap_given = chap_given


class DriverPlanItem(object):
    def __init__(self, driver, chap, chap_given, targets):
        self.driver = driver
        self.chap = chap
        self.chap_given = chap_given
        self.targets = targets


class ConfigRequest(object):
    """The validated desired configuration of a whole host.

    ``normal`` is the configuration's normal form.  A ``chap`` key or an
    ``allowed_portals`` key that is present makes those lists exact; absent,
    they are left alone unless ``purge`` (the normal form has them always, so
    their presence is taken from the configuration as given).  ``on_error``:
    see ``plan_config`` (None: the first failure ends the plan).
    """

    def __init__(self, config, *, purge=False, force=False, recreate=False):
        self.on_error = None
        self.purge = bool(purge)
        self.force = bool(force)
        try:
            self._build(config, recreate=recreate)
        except ValidationError as exc:
            raise exc.under("config") from None   # fields are named as the module option holds them

    def _build(self, config, *, recreate):
        force = self.force
        self.normal = normal = normalise_config(config)
        self.root = RootRequest(attributes=normal.get("attributes"))
        self.handlers = []
        self.devices = []
        declared = {}
        for handler, hspec in sorted(normal["handlers"].items()):
            field = "config.handlers.%s" % handler
            v.choice(field, handler, catalog.ALL_HANDLERS)
            if hspec.get("attributes"):
                self.handlers.append(HandlerRequest(handler=handler, attributes=hspec["attributes"],
                                                    field_prefix=field + "."))
            for name, dspec in sorted(hspec["devices"].items()):
                sub = "%s.devices.%s" % (field, name)
                request = DeviceRequest(name=name, handler=handler, filename=dspec.get("filename"),
                                        attributes=dspec.get("attributes"), recreate=recreate, force=force,
                                        carry=True, restore_alua=False, field_prefix=sub + ".")
                if request.name in declared:
                    raise ValidationError(sub, "device %s is declared under two handlers (%s and %s)"
                                          % (name, declared[request.name], handler))
                declared[request.name] = handler
                self.devices.append(request)
        self.drivers = []
        rel_tgt_ids = {}
        for driver, dspec in sorted(normal["drivers"].items()):
            field = "config.drivers.%s" % driver
            request = DriverRequest(driver=driver, enabled=dspec.get("enabled"), attributes=dspec.get("attributes"),
                                    carry=True, field_prefix=field + ".")
            chap = self._chap(field, dspec.get("chap"), config, ("drivers", driver), driver, target=None)
            targets = []
            for name, tspec in sorted(dspec["targets"].items()):
                sub = "%s.targets.%s" % (field, name)
                raw_path = ("drivers", driver, "targets", name)
                portals = tspec.get("allowed_portals")
                if driver != ISCSI and not portals:
                    portals = None
                elif not self.purge and not _given(config, "allowed_portals", *raw_path):
                    portals = None
                target = TargetRequest(name=name, driver=driver, enabled=tspec.get("enabled"),
                                       attributes=tspec.get("attributes"), allowed_portals=portals,
                                       hw_target=tspec.get("hw_target", False), force=force, carry=True,
                                       field_prefix=sub + ".")
                if "rel_tgt_id" in target.attributes:
                    rel_tgt_ids[target.name] = target.attributes["rel_tgt_id"]
                groups = []
                for group, gspec in sorted(tspec["groups"].items()):
                    gsub = "%s.groups.%s" % (sub, group)
                    groups.append(GroupRequest(
                        name=group, target=name, driver=driver, initiators=gspec.get("initiators") or [],
                        luns=_luns(gsub + ".luns", gspec["luns"]), attributes=gspec.get("attributes"),
                        exclusive=self.purge, force=force, carry=True, field_prefix=gsub + "."))
                self._check_initiators_unique(sub, groups)
                luns = LunSetRequest(driver=driver, target=name, luns=_luns(sub + ".luns", tspec["luns"]),
                                     exclusive=self.purge, force=force)
                targets.append(TargetPlanItem(
                    target, luns, groups,
                    self._chap(sub, tspec.get("chap"), config, raw_path, driver, target=name),
                    _given(config, "chap", *raw_path)))
            self.drivers.append(DriverPlanItem(request, chap, _given(config, "chap", "drivers", driver), targets))
        self.alua = AluaRequest(normal.get("device_groups"), attributes=normal.get("alua_attributes"),
                                purge=self.purge, force=force, local_rel_tgt_ids=rel_tgt_ids)
        self._references(declared)

    @staticmethod
    def _chap(field, chap, config, raw_path, driver, *, target):
        chap = chap or {}
        if driver != ISCSI:
            if any(chap.values()):
                raise ValidationError(field + ".chap", "only iSCSI has CHAP accounts")
            return {"incoming": [], "outgoing": []}
        return _chap_lists(field + ".chap", chap, _raw(config, *(raw_path + ("chap",))), target=target)

    @staticmethod
    def _check_initiators_unique(field, groups):
        seen = {}
        for group in groups:
            for name in group.initiators:
                if name in seen:
                    raise ValidationError("%s.groups.%s.initiators" % (field, group.name),
                                          "initiator %s is also in group %s of the same target; SCST "
                                          "would let the older group win" % (name, seen[name]))
                seen[name] = group.name

    def _references(self, declared):
        """LUNs must name a declared device, or one that exists (checked when planning).  With
        purge, every device a LUN or a device group names must be declared: purge deletes the
        others before the LUN or the membership is written."""
        self.undeclared_devices = []
        for item in self.drivers:
            for target in item.targets:
                for lun in target.luns.luns + [lun for g in target.groups for lun in g.luns]:
                    if lun.device not in declared:
                        self._undeclared(lun.field_prefix + "device", lun.device)
                        self.undeclared_devices.append((lun.field_prefix + "device", lun.device))
        for group in self.alua.groups:
            for index, device in enumerate(group.devices):
                if device not in declared:
                    self._undeclared("config.%s.devices[%d]" % (group.field, index), device)

    def _undeclared(self, field, device):
        if self.purge:
            raise ValidationError(field, "device %s is not declared under handlers: with purge it would be "
                                         "deleted (declare it to keep it)" % device)

    def declare(self, live):
        for device in self.devices:
            live.declared.add(("device", device.name))
        for item in self.drivers:
            for target in item.targets:
                live.declared.add(("target", item.driver.driver, target.target.name))
                for group in target.groups:
                    live.declared.add(("group", item.driver.driver, target.target.name, group.name))


def plan_config(live, request, *, check_mode=False):
    """The plan of the whole host.  With ``request.on_error(sub_request, error)``
    set, an object whose own planning fails (its handler or driver not loaded,
    a device present under another handler ...) is handed to it with the error
    (fields named as the module option holds them) and planning goes on with
    the others; the boot-time restore (restore.py) keeps going this way.
    A ``sub_request`` is one of the per-object requests, a ``DriverPlanItem``
    when the driver itself is missing, or a ``MissingDevice``.  Safety refusals
    are never handed over."""
    def report(sub_request, exc):
        if request.on_error is None:
            raise exc
        request.on_error(sub_request, exc.under("config") if isinstance(exc, ValidationError) else exc)

    try:
        return _plan_config(live, request, check_mode=check_mode, report=report)
    except ValidationError as exc:
        raise exc.under("config") from None   # as for ConfigRequest: fields named as the option holds them


def _plan_config(live, request, *, check_mode, report):
    request.declare(live)
    outcome = Outcome()
    refusals = []

    def step(planner, sub_request):
        try:
            sub = planner(live, sub_request, check_mode=check_mode)
        except SafetyError as exc:
            refusals.extend(exc.details.get("refusals") or [str(exc)])
            return None
        except ModuleError as exc:
            report(sub_request, exc)
            return None
        outcome.plan.extend(sub.plan)
        return sub

    for field, name in request.undeclared_devices:
        if not live.device_exists(name):
            report(MissingDevice(name), ValidationError(field, "device %s is neither declared under handlers "
                                                               "nor present on the host" % name))
            # kept going: its LUNs are planned, and left out by the caller with the device
            live.declared.add(("device", name))
    alua = request.alua
    alua.deleted_devices, alua.recreated_devices, alua.deleted_targets = set(), set(), set()
    step(plan_root, request.root)
    for handler in request.handlers:
        step(plan_handler, handler)
    resized = {}
    for device in request.devices:
        sub = step(plan_device, device)
        phases = set(a.phase for a in sub.plan.actions) if sub else set()
        if "remove_device" in phases and "create_device" in phases:
            alua.recreated_devices.add(device.name)
        size = sub.extra.get("size") if sub else None
        if size and size["before"] != size["after"]:
            resized[device.name] = size
    if resized:
        outcome.extra["resized"] = resized
    if request.purge:
        wanted = set(d.name for d in request.devices)
        for handler in live.sysfs.subdirs("handlers"):
            if handler not in catalog.ALL_HANDLERS:
                continue
            for name in live.device_names(handler):
                if name not in wanted and step(plan_device, DeviceRequest.removal(
                        name=name, handler=handler, force=request.force)):
                    alua.deleted_devices.add(name)
    for item in request.drivers:
        driver = item.driver.driver
        try:
            require_driver(live, driver)
        except ModuleError as exc:
            report(item, exc)
            continue
        step(plan_driver, item.driver)
        if driver == ISCSI and (item.chap_given or request.purge):
            _plan_chap_set(live, step, item.chap, purge=request.purge)
        for target in item.targets:
            _plan_target(live, request, step, target)
        if request.purge:
            wanted = set(t.target.name for t in item.targets)
            for name in live.target_names(driver):
                if name not in wanted and not is_hardware_target(live, driver, name):
                    if step(plan_target, TargetRequest.removal(driver=driver, name=name, force=request.force)):
                        alua.deleted_targets.add(name)
    step(plan_alua, alua)
    if refusals:
        raise SafetyError("refusing the configuration: objects are in use by logged-in initiators "
                          "(set force: true to go ahead):\n- " + "\n- ".join(refusals),
                          refusals=refusals)
    return outcome


def _plan_target(live, request, step, item):
    target = item.target
    driver = target.driver
    step(plan_target, target)
    step(plan_lun_set, item.luns)
    deleted = []
    if request.purge and live.target_exists(driver, target.name):
        wanted = set(g.name for g in item.groups)
        deleted = [g for g in live.group_names(driver, target.name) if g not in wanted]
    # with purge, groups drop the initiators they do not list, and deleted groups all of theirs,
    # before any initiator is added: such an initiator is added to its group, not moved
    releasing = dict((g.name, frozenset(g.initiators)) for g in item.groups if g.exclusive) if request.purge else {}
    releasing.update((g, None) for g in deleted)
    for group in item.groups:
        group.releasing = releasing
        step(plan_group, group)
    for group in deleted:
        step(plan_group, GroupRequest.removal(driver=driver, target=target.name, name=group, force=request.force))
    if driver == ISCSI and (item.chap_given or request.purge):
        _plan_chap_set(live, step, item.chap, purge=request.purge, target=target.name)


def _plan_chap_set(live, step, chap, *, purge, target=None):
    """Desired accounts of both directions; without purge, others are kept."""
    for direction in ("incoming", "outgoing"):
        wanted = chap[direction]
        for request in wanted:
            step(plan_chap, request)
        if purge or (direction == "outgoing" and wanted):
            keep = set(r.username for r in wanted)
            exists = target is None or live.target_exists(ISCSI, target)
            for account in (live.chap_accounts(ISCSI, target) if exists else []):
                if account.direction == direction and account.user not in keep:
                    if direction == "outgoing" and wanted:
                        continue  # replacing the one outgoing account already removes it
                    step(plan_chap, ChapRequest.removal(username=account.user, direction=direction,
                                                        target=target))
