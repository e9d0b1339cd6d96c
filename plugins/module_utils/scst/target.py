# -*- coding: utf-8 -*-
# Copyright: scst.iscsi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Plan the changes that bring one SCST target to its desired state."""

from __future__ import annotations

from functools import partial

from ansible_collections.scst.iscsi.plugins.module_utils.scst import catalog
from ansible_collections.scst.iscsi.plugins.module_utils.scst import values as v
from ansible_collections.scst.iscsi.plugins.module_utils.scst.errors import (
    DaemonNotRunningError,
    SafetyError,
    ScstError,
    ValidationError,
)
from ansible_collections.scst.iscsi.plugins.module_utils.scst.live import target_dir
from ansible_collections.scst.iscsi.plugins.module_utils.scst.outcome import Outcome
from ansible_collections.scst.iscsi.plugins.module_utils.scst.sysfs import join

# Values a new target starts with: writing them would be a no-op, so a new
# target only gets the attributes that differ (the minimal plan).
TARGET_DEFAULTS = {
    "comment": "", "addr_method": "PERIPHERAL", "io_grouping_type": "auto", "forward_src": "0",
    "forward_dst": "0", "aen_disabled": "0", "QueuedCommands": "32", "RspTimeout": "90",
    "NopInInterval": "30", "NopInTimeout": "30", "MaxSessions": "0", "InitialR2T": "No",
    "ImmediateData": "Yes", "MaxRecvDataSegmentLength": "1048576",
    "MaxXmitDataSegmentLength": "1048576", "MaxBurstLength": "1048576",
    "FirstBurstLength": "65536", "MaxOutstandingR2T": "32", "HeaderDigest": "None",
    "DataDigest": "None", "RDMAExtensions": "No", "per_portal_acl": "0", "redirect": "",
    "alias": "",
}
COPY_MANAGER = "copy_manager"


class TargetRequest(object):
    """A target of any driver.  ``hw_target``: a hardware port (never created or
    deleted, only configured).  ``carry``: keep attributes outside the catalog
    as exact strings (whole-host configuration) instead of refusing them."""

    def __init__(self, *, name, driver="iscsi", state="present", enabled=None, attributes=None,
                 allowed_portals=None, hw_target=False, force=False, carry=False, field_prefix=""):
        f = field_prefix
        self.warnings = []      # a valid name SCST takes that initiators may not (not RFC 3720)
        self.driver = v.driver_name(f + "driver", driver)
        self.name = v.target_name(f + "name", name, driver=self.driver, warnings=self.warnings)
        self.state = v.choice(f + "state", state, ("present", "absent"))
        self.enabled = None if enabled is None else bool(v.boolean(f + "enabled", enabled))
        self.hw_target = bool(v.boolean(f + "hw_target", hw_target))
        self.force = bool(force)
        self.field_prefix = f

        def checked(attr, field):
            if attr in ("IncomingUser", "OutgoingUser") or str(attr).startswith(("IncomingUser", "OutgoingUser")):
                raise ValidationError(field, "CHAP accounts are managed with scst_chap (or the chap "
                                             "option of scst_config), never as plain attributes")
            if attr in ("enabled", "allowed_portal", "hw_target"):
                raise ValidationError(field, "use the %s option" % (
                    "allowed_portals" if attr == "allowed_portal" else attr))

        self.attributes = catalog.desired_attributes(
            catalog.TARGET_ATTRS, attributes, kind="target", field_prefix=f, carry=carry,
            what="%s target" % self.driver,
            applies=lambda spec: catalog.target_attr_applies(spec, self.driver), checked=checked)
        self.allowed_portals = None
        if allowed_portals is not None:
            if self.driver != "iscsi":
                raise ValidationError(f + "allowed_portals", "only iSCSI targets have allowed portals")
            portals = [v.portal_pattern("%sallowed_portals[%d]" % (f, i), p)
                       for i, p in enumerate(allowed_portals)]
            if len(set(portals)) != len(portals):
                raise ValidationError(f + "allowed_portals", "lists a portal twice")
            self.allowed_portals = sorted(portals)

    @classmethod
    def removal(cls, *, driver, name, force):
        """The deletion of a target that exists (names read from the live tree)."""
        request = cls.__new__(cls)
        request.driver, request.name, request.state = driver, name, "absent"
        request.enabled, request.hw_target, request.force = None, False, bool(force)
        request.attributes, request.allowed_portals, request.field_prefix = {}, None, ""
        return request

    @property
    def path(self):
        return target_dir(self.driver, self.name)

    @property
    def mgmt(self):
        return join("targets", self.driver, "mgmt")


def require_driver(live, driver):
    live.sysfs.require_loaded(driver=driver)
    if driver == "iscsi" and not live.daemon_open():
        raise DaemonNotRunningError("iscsi-scstd is not running (targets/iscsi/open_state is not "
                                    "'open'): SCST refuses every iSCSI change without it. Start it "
                                    "(systemctl start scst) and re-run.")


def is_hardware_target(live, driver, name):
    """A hardware port (hw_target reads 1), or a target of a driver that cannot
    create or delete targets (no mgmt file): never deleted."""
    attr = live.target_attr(driver, name, "hw_target")
    if attr is not None and attr.value.strip() == "1":
        return True
    return not live.sysfs.exists(join("targets", driver, "mgmt"))


def creation_parameters(live, driver):
    """The add_target parameters the driver's mgmt help advertises (none without mgmt)."""
    return live.creation_params(join("targets", driver, "mgmt"))


def plan_target(live, request, *, check_mode=False):
    require_driver(live, request.driver)
    outcome = Outcome()
    exists = live.target_exists(request.driver, request.name)
    if request.state == "absent":
        if exists:
            if request.hw_target or is_hardware_target(live, request.driver, request.name):
                raise ScstError("target %s of driver %s is a hardware target: it is never deleted"
                                % (request.name, request.driver), target=request.name)
            outcome.before = {"name": request.name, "driver": request.driver}
            outcome.after = {}
            _plan_removal(live, outcome.plan, request)
        return outcome
    outcome.plan.warnings.extend(request.warnings)
    carried = [a for a in request.attributes if a not in catalog.TARGET_ATTRS]
    params = creation_parameters(live, request.driver) if carried else ()
    if not exists:
        _refuse_case_clash(live, request)
        if request.hw_target:
            raise ScstError("hardware target %s of driver %s does not exist: hardware targets appear when "
                            "the driver finds the port; they are never created" % (request.name, request.driver),
                            target=request.name)
        if not live.sysfs.exists(request.mgmt):
            raise ScstError("target %s does not exist and driver %s cannot create targets (hardware "
                            "targets appear when the driver finds the port)" % (request.name, request.driver))
        outcome.before = {}
        outcome.after = _shape(request, request.attributes, request.allowed_portals or [],
                               bool(request.enabled))
        creation = []
        # a creation parameter travels in add_target; an empty one (scst_local's
        # session_name: no sessions) is not passed, nor written afterwards: it
        # has no file of its own, as for an existing target (refuse_missing)
        passed = set(a for a in carried if a in params)
        for attr in sorted(passed):
            if request.attributes[attr] != "":
                creation.extend(catalog.creation_pairs(request.field_prefix + "attributes." + attr, attr,
                                                       request.attributes[attr]))
        command = "add_target %s %s" % (request.name, ";".join("%s=%s" % p for p in creation))
        outcome.plan.add("create_target", request.mgmt, command.strip(),
                         "create %s target %s" % (request.driver, request.name))
        for attr, wanted in sorted(request.attributes.items()):
            if attr not in passed and TARGET_DEFAULTS.get(attr) != wanted:
                _write_attr(outcome.plan, request, attr, wanted)
        for portal in request.allowed_portals or []:
            _add_portal(outcome.plan, request, portal)
        if request.enabled:
            _write_enabled(outcome.plan, request, True)
        return outcome
    before_attrs, differing = catalog.compare_attributes(
        catalog.TARGET_ATTRS, request.attributes, partial(live.target_attr, request.driver, request.name))
    skip = catalog.refuse_missing(catalog.TARGET_ATTRS, before_attrs, what="target %s" % request.name,
                                  field_prefix=request.field_prefix, creation=params)
    after_attrs = dict(request.attributes)
    for attr, wanted in differing:
        if attr not in skip:
            _write_attr(outcome.plan, request, attr, wanted)
    for attr in skip:
        before_attrs.pop(attr, None)
        after_attrs.pop(attr, None)
    portals_before = portals_after = None
    if request.allowed_portals is not None:
        portals_before = live.allowed_portals(request.driver, request.name)
        portals_after = request.allowed_portals
        for portal in sorted(set(portals_before) - set(portals_after)):
            outcome.plan.add("remove_dynamic_attr", request.mgmt,
                             "del_target_attribute %s allowed_portal %s" % (request.name, portal),
                             "remove allowed portal %s of %s" % (portal, request.name))
        for portal in sorted(set(portals_after) - set(portals_before)):
            _add_portal(outcome.plan, request, portal)
    enabled_before = enabled_after = None
    if request.enabled is not None:
        attr = live.target_attr(request.driver, request.name, "enabled")
        if attr is None:
            raise ValidationError(request.field_prefix + "enabled",
                                  "driver %s targets have no enabled switch" % request.driver)
        enabled_before = attr.value.strip() == "1"
        enabled_after = request.enabled
        if enabled_before != enabled_after:
            _write_enabled(outcome.plan, request, enabled_after)
    outcome.before = _shape(request, before_attrs, portals_before, enabled_before)
    outcome.after = _shape(request, after_attrs, portals_after, enabled_after)
    return outcome


def _shape(request, attributes, portals, enabled):
    shape = {"name": request.name, "driver": request.driver, "attributes": attributes}
    if portals is not None:
        shape["allowed_portals"] = portals
    if enabled is not None:
        shape["enabled"] = enabled
    return shape


def _write_attr(plan, request, attr, value):
    field = "%sattributes.%s" % (request.field_prefix, attr)
    plan.add("target_attr", join(request.path, attr), catalog.single_value(field, value, attr),
             "set %s of target %s" % (attr, request.name))


def _add_portal(plan, request, portal):
    plan.add("portal", request.mgmt, "add_target_attribute %s allowed_portal %s" % (request.name, portal),
             "allow portal %s for %s" % (portal, request.name))


def _write_enabled(plan, request, enabled):
    plan.add("enable_target" if enabled else "disable_target", join(request.path, "enabled"),
             "1" if enabled else "0", "%s target %s" % ("enable" if enabled else "disable", request.name))


def _refuse_case_clash(live, request):
    if request.driver != "iscsi":
        return
    for other in live.target_names(request.driver):
        if other.lower() == request.name.lower():
            raise ValidationError("name", "iSCSI target names are case-insensitive and %s already "
                                          "exists" % other, request.name)


def _plan_removal(live, plan, request):
    """Disable, close sessions (only with force), delete: SCST refuses del_target with sessions."""
    driver, name = request.driver, request.name
    sessions = live.sessions(driver, name)
    if sessions and not request.force:
        raise SafetyError("refusing to delete target %s: %d initiator session(s) are logged in (%s); "
                          "set force: true to close them and delete it"
                          % (name, len(sessions), ", ".join(sessions)), target=name, sessions=sessions)
    path = target_dir(driver, name)
    enabled = live.target_attr(driver, name, "enabled")
    if enabled is not None and enabled.value.strip() == "1":
        plan.add("disable_target", join(path, "enabled"), "0", "disable target %s" % name)
    for index, session in enumerate(sessions):
        last = index == len(sessions) - 1
        plan.add("close_sessions", join(path, "sessions", session, "force_close"), "1",
                 "close session %s of %s" % (session, name),
                 wait_empty=join(path, "sessions") if last else None)
    plan.add("remove_target", join("targets", driver, "mgmt"), "del_target %s" % name,
             "delete target %s" % name)
