# -*- coding: utf-8 -*-
# Copyright: scst.iscsi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The whole host in one plan: a configuration shaped like /etc/scst.conf
(the shape ``info.read_configuration`` returns) converged with the same
per-object planners the single modules use.

Objects the configuration does not mention are left alone unless ``purge``.
Safe mode: every refusal (objects in use by sessions) is collected, and the
whole request is refused at once, naming each object and its sessions.
"""

from __future__ import annotations

from ansible_collections.scst.iscsi.plugins.module_utils.scst import catalog
from ansible_collections.scst.iscsi.plugins.module_utils.scst import values as v
from ansible_collections.scst.iscsi.plugins.module_utils.scst.chap import ChapRequest, plan_chap
from ansible_collections.scst.iscsi.plugins.module_utils.scst.device import DeviceRequest, plan_device
from ansible_collections.scst.iscsi.plugins.module_utils.scst.driver import DriverRequest, plan_driver
from ansible_collections.scst.iscsi.plugins.module_utils.scst.errors import SafetyError, ValidationError
from ansible_collections.scst.iscsi.plugins.module_utils.scst.group import (
    GroupRequest,
    plan_group,
    plan_group_removal,
)
from ansible_collections.scst.iscsi.plugins.module_utils.scst.lun import LunRequest, plan_luns
from ansible_collections.scst.iscsi.plugins.module_utils.scst.outcome import Outcome
from ansible_collections.scst.iscsi.plugins.module_utils.scst.plan import MASK
from ansible_collections.scst.iscsi.plugins.module_utils.scst.target import (
    TargetRequest,
    plan_target,
    plan_target_removal,
    require_driver,
)


def _mapping(field, value, allowed=None):
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ValidationError(field, "must be a mapping")
    if allowed is not None:
        unknown = sorted(set(value) - set(allowed))
        if unknown:
            raise ValidationError("%s.%s" % (field, unknown[0]),
                                  "unknown key; allowed here: %s" % ", ".join(allowed))
    return value


def _luns(field, value):
    """LUNs as {number: {device, read_only}}; YAML/JSON may turn numbers into strings."""
    requests = []
    for key, spec in sorted(_mapping(field, value).items(), key=lambda item: str(item[0])):
        sub = "%s.%s" % (field, key)
        spec = _mapping(sub, spec, ("device", "read_only"))
        requests.append(LunRequest(lun=key, device=spec.get("device"),
                                   read_only=spec.get("read_only", False), field_prefix=sub + "."))
    return requests


def _chap_lists(field, value, *, target):
    chap = _mapping(field, value, ("incoming", "outgoing"))
    requests = {"incoming": [], "outgoing": []}
    for direction in ("incoming", "outgoing"):
        accounts = chap.get(direction) or []
        if not isinstance(accounts, list):
            raise ValidationError("%s.%s" % (field, direction), "must be a list of {username, password}")
        if direction == "outgoing" and len(accounts) > 1:
            raise ValidationError("%s.outgoing" % field, "iSCSI allows one outgoing (mutual CHAP) "
                                                         "account per target and one for discovery")
        users = set()
        for index, account in enumerate(accounts):
            sub = "%s.%s[%d]" % (field, direction, index)
            account = _mapping(sub, account, ("username", "password"))
            request = ChapRequest(username=account.get("username"), password=account.get("password"),
                                  direction=direction, target=target, field_prefix=sub + ".")
            if request.username in users:
                raise ValidationError(sub + ".username", "user %s is listed twice" % request.username)
            users.add(request.username)
            requests[direction].append(request)
    return requests


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
    """The validated desired configuration of a whole host."""

    def __init__(self, config, *, purge=False, force=False, recreate=False):
        self.purge = bool(purge)
        self.force = bool(force)
        config = _mapping("config", config, ("handlers", "drivers"))
        self.devices = []
        names = set()
        for handler, hspec in sorted(_mapping("config.handlers", config.get("handlers")).items()):
            field = "config.handlers.%s" % handler
            v.choice(field, handler, catalog.ALL_HANDLERS)
            hspec = _mapping(field, hspec, ("devices",))
            for name, dspec in sorted(_mapping(field + ".devices", hspec.get("devices")).items()):
                sub = "%s.devices.%s" % (field, name)
                dspec = _mapping(sub, dspec, ("filename", "attributes"))
                request = DeviceRequest(name=name, handler=handler, filename=dspec.get("filename"),
                                        attributes=dspec.get("attributes"), recreate=recreate,
                                        force=force, field_prefix=sub + ".")
                if request.name in names:
                    raise ValidationError(sub, "device %s is declared under two handlers" % name)
                names.add(request.name)
                self.devices.append(request)
        self.drivers = []
        for driver, dspec in sorted(_mapping("config.drivers", config.get("drivers")).items()):
            field = "config.drivers.%s" % driver
            dspec = _mapping(field, dspec, ("enabled", "attributes", "chap", "targets"))
            request = DriverRequest(driver=driver, enabled=dspec.get("enabled"),
                                    attributes=dspec.get("attributes"), field_prefix=field + ".")
            chap = _chap_lists(field + ".chap", dspec.get("chap"), target=None)
            targets = []
            for name, tspec in sorted(_mapping(field + ".targets", dspec.get("targets")).items()):
                sub = "%s.targets.%s" % (field, name)
                tspec = _mapping(sub, tspec, ("enabled", "attributes", "allowed_portals", "chap", "luns",
                                              "groups"))
                target = TargetRequest(name=name, driver=driver, enabled=tspec.get("enabled"),
                                       attributes=tspec.get("attributes"),
                                       allowed_portals=tspec.get("allowed_portals"), force=force,
                                       field_prefix=sub + ".")
                groups = []
                for group, gspec in sorted(_mapping(sub + ".groups", tspec.get("groups")).items()):
                    gsub = "%s.groups.%s" % (sub, group)
                    gspec = _mapping(gsub, gspec, ("initiators", "luns", "attributes"))
                    grequest = GroupRequest(name=group, target=name, driver=driver,
                                            initiators=gspec.get("initiators") or [],
                                            attributes=gspec.get("attributes"), exclusive=self.purge,
                                            force=force, field_prefix=gsub + ".")
                    grequest.luns = _luns(gsub + ".luns", gspec.get("luns"))
                    groups.append(grequest)
                self._check_initiators_unique(sub, groups)
                targets.append(TargetPlanItem(target, _luns(sub + ".luns", tspec.get("luns")), groups,
                                              _chap_lists(sub + ".chap", tspec.get("chap"), target=name),
                                              "chap" in tspec))
            self.drivers.append(DriverPlanItem(request, chap, "chap" in dspec, targets))
        self._check_references(names)

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

    def _check_references(self, names):
        """LUNs must name a declared device (or one that exists: checked when planning)."""
        self.undeclared_devices = set()
        for item in self.drivers:
            for target in item.targets:
                for lun in target.luns + [l for g in target.groups for l in g.luns]:
                    if lun.device not in names:
                        self.undeclared_devices.add(lun.device)

    def declare(self, live):
        for device in self.devices:
            live.declared.add(("device", device.name))
        for item in self.drivers:
            for target in item.targets:
                live.declared.add(("target", item.driver.driver, target.target.name))
                for group in target.groups:
                    live.declared.add(("group", item.driver.driver, target.target.name, group.name))


def plan_config(live, request, *, check_mode=False):
    request.declare(live)
    outcome = Outcome()
    refusals = []

    def step(planner, *args, **kwargs):
        try:
            sub = planner(*args, **kwargs)
        except SafetyError as exc:
            refusals.append(str(exc))
            return
        if isinstance(sub, Outcome):
            outcome.plan.extend(sub.plan)

    for name in sorted(request.undeclared_devices):
        if not live.device_exists(name):
            raise ValidationError("config", "LUNs refer to device %s, which is neither declared under "
                                            "handlers nor present on the host" % name)
    for device in request.devices:
        step(plan_device, live, device)
    if request.purge:
        _purge_devices(live, request, step)
    for item in request.drivers:
        require_driver(live, item.driver.driver)
        step(plan_driver, live, item.driver)
        if item.chap_given or request.purge:
            _plan_chap_set(live, step, item.chap, purge=request.purge, check_mode=check_mode)
        for target in item.targets:
            _plan_target(live, request, outcome, step, target, check_mode)
        if request.purge:
            wanted = set(t.target.name for t in item.targets)
            for name in live.target_names(item.driver.driver):
                if name not in wanted:
                    step(_removal, plan_target_removal, live, item.driver.driver, name, force=request.force)
    if refusals:
        raise SafetyError("refusing the configuration: objects are in use by logged-in initiators "
                          "(set force: true to go ahead):\n- " + "\n- ".join(refusals),
                          refusals=refusals)
    return outcome


def _removal(function, live, *args, **kwargs):
    """Removal helpers add to a plan; wrap them to return an Outcome like planners."""
    outcome = Outcome()
    function(live, outcome.plan, *args, **kwargs)
    return outcome


def _plan_target(live, request, outcome, step, item, check_mode):
    target = item.target
    step(plan_target, live, target)
    driver = target.driver

    def luns():
        sub = Outcome()
        plan_luns(live, sub, driver=driver, target=target.name, group=None, wanted=item.luns,
                  exclusive=request.purge, force=request.force, check_mode=check_mode)
        return sub

    step(luns)
    for group in item.groups:
        step(plan_group, live, group, check_mode=check_mode)
    if request.purge and live.target_exists(driver, target.name):
        wanted = set(g.name for g in item.groups)
        for group in live.group_names(driver, target.name):
            if group not in wanted:
                step(_removal, plan_group_removal, live, driver, target.name, group, force=request.force)
    if driver == "iscsi" and (item.chap_given or request.purge):
        _plan_chap_set(live, step, item.chap, purge=request.purge, check_mode=check_mode,
                       target=target.name)


def _plan_chap_set(live, step, chap, *, purge, check_mode, target=None):
    """Desired accounts of both directions; without purge, others are kept."""
    for direction in ("incoming", "outgoing"):
        wanted = chap[direction]
        for request in wanted:
            step(plan_chap, live, request, others="keep", check_mode=check_mode)
        if purge or (direction == "outgoing" and wanted):
            keep = set(r.username for r in wanted)
            exists = target is None or live.target_exists("iscsi", target)
            for account in (live.chap_accounts("iscsi", target) if exists else []):
                if account.direction == direction and account.user not in keep:
                    if direction == "outgoing" and wanted:
                        continue  # replacing the one outgoing account already removes it
                    step(plan_chap, live, ChapRequest(username=account.user, direction=direction,
                                                      target=target, state="absent"),
                         check_mode=check_mode)


def _purge_devices(live, request, step):
    wanted = set(d.name for d in request.devices)
    for handler in live.sysfs.subdirs("handlers"):
        if handler not in catalog.ALL_HANDLERS:
            continue
        for name in live.device_names(handler):
            if name not in wanted:
                step(plan_device, live, DeviceRequest(name=name, handler=handler, state="absent",
                                                      force=request.force))


def mask_config(config):
    """A copy of a configuration with every CHAP password replaced by the mask."""
    if isinstance(config, dict):
        return dict((k, MASK if k == "password" and val else mask_config(val)) for k, val in config.items())
    if isinstance(config, list):
        return [mask_config(item) for item in config]
    return config
