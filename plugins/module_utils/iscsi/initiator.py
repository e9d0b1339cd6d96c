# Copyright: scst.iscsi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The open-iscsi initiator as an object model: read, plan, apply.

``Initiator`` reads the node database, discovery records and sessions
through ``Iscsiadm``; ``plan_node`` and ``plan_discovery`` compare them with a
request and return a ``Plan``: an ordered list of steps plus a masked
before/after for the diff. Planning only reads. ``apply`` runs the steps.
Check mode is planning without applying.
"""

from __future__ import annotations

import os
import unicodedata
from dataclasses import dataclass, field

from ansible_collections.scst.iscsi.plugins.module_utils.common.errors import ValidationError
from ansible_collections.scst.iscsi.plugins.module_utils.common import plan as common_plan
from ansible_collections.scst.iscsi.plugins.module_utils.common.masking import MASK, MASK_CHANGED
from ansible_collections.scst.iscsi.plugins.module_utils.iscsi.errors import IscsiadmError, NodeNotFoundError
from ansible_collections.scst.iscsi.plugins.module_utils.iscsi.model import (
    BUILTIN_IFACES,
    IFACE_TRANSPORTS,
    NET_ROOT,
    NODE_KEY_SETTINGS,
    SECRET_SETTINGS,
    NodeRef,
    Portal,
    mask_settings,
    parse_initiator_file,
    validate_iface,
    validate_iscsi_name,
    validate_netdev,
)
from ansible_collections.scst.iscsi.plugins.module_utils.scst import values as scst_values
from ansible_collections.scst.iscsi.plugins.module_utils.scst.errors import ValidationError as ScstValidationError

INITIATOR_FILE = "/etc/iscsi/initiatorname.iscsi"
STARTUP_CHOICES = ("automatic", "manual", "onboot")
# Settings whose change does not need a new login to take effect.
NO_RELOGIN_SETTINGS = frozenset(("node.startup", "node.conn[0].startup", "node.leading_login"))
MAX_SECRET_LENGTH = 255  # bytes: open-iscsi keeps CHAP names and secrets in char[256]
# chap_secret_check: "scst" refuses what an SCST target refuses (secrets under 12
# bytes, blanks, '=', ';' ...: values.chap_secret and values.chap_user);
# "none" refuses only what open-iscsi cannot keep.
CHAP_CHECKS = ("scst", "none")


def setting_value(value) -> str:
    """iscsiadm's text for a value: booleans are Yes/No, numbers decimal."""
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if value is None:
        return ""
    return str(value)


@dataclass
class Chap:
    """CHAP credentials as requested. ``username=''`` switches CHAP off."""

    username: str | None = None
    password: str | None = None
    username_in: str | None = None
    password_in: str | None = None
    check: str = "scst"

    @property
    def requested(self) -> bool:
        values = (self.username, self.password, self.username_in, self.password_in)
        return any(value is not None for value in values)

    def validate(self, *, what: str) -> None:
        if self.check not in CHAP_CHECKS:
            raise ValidationError("chap_secret_check", "must be one of " + ", ".join(CHAP_CHECKS), self.check)
        if not self.requested:
            return
        if self.username is None:
            raise ValidationError("chap_username", "is required when any other CHAP option is set (for {0})".format(
                what))
        if self.username == "":
            if self.password or self.username_in or self.password_in:
                raise ValidationError("chap_username", "is empty (CHAP off) but other CHAP options are set (for "
                                                       "{0})".format(what))
            return
        if not self.password:
            raise ValidationError("chap_password", "is required with chap_username (for {0})".format(what))
        if bool(self.username_in) != bool(self.password_in):
            missing = "chap_password_in" if self.username_in else "chap_username_in"
            raise ValidationError(missing, "mutual CHAP needs both chap_username_in and chap_password_in (for "
                                           "{0})".format(what))
        for option, value in (("chap_username", self.username), ("chap_username_in", self.username_in)):
            if value:
                self._check(option, value, what=what, secret=False)
        for option, value in (("chap_password", self.password), ("chap_password_in", self.password_in)):
            if value:
                self._check(option, value, what=what, secret=True)
        if self.password_in and self.password_in == self.password:
            raise ValidationError("chap_password_in", "must differ from chap_password (targets reject mutual "
                                                      "CHAP with one secret) (for {0})".format(what))

    def _check(self, option: str, value, *, what: str, secret: bool) -> None:
        """One CHAP name or secret; a secret is never part of the message."""
        if not isinstance(value, str):
            raise ValidationError(option, "must be a string (for {0})".format(what))
        shown = "" if secret else "{0!r} ".format(value)
        # Inner blanks are open-iscsi's business (the SCST check below refuses them).
        if any(unicodedata.category(char) in ("Cc", "Cs", "Zl", "Zp") for char in value):
            raise ValidationError(option, "{0}must not contain control characters or line breaks (open-iscsi keeps "
                                          "it on one line of the record) (for {1})".format(shown, what))
        if value != value.strip():
            raise ValidationError(option, "{0}must not begin or end with a blank (open-iscsi strips it from the "
                                          "record) (for {1})".format(shown, what))
        if len(value.encode("utf-8")) > MAX_SECRET_LENGTH:
            raise ValidationError(option, "is longer than {0} bytes (open-iscsi keeps no more) (for {1})".format(
                MAX_SECRET_LENGTH, what))
        if self.check != "scst":
            return
        try:
            if secret:
                scst_values.chap_secret(option, value)
            else:
                scst_values.chap_user(option, value)
        except (ScstValidationError, ValidationError) as exc:
            # The SCST rule; for a name also the name it was given, never a secret.
            rule = exc.rule if secret else str(exc)[len(exc.field) + 2:]
            raise ValidationError(option, "{0} (for {1}: SCST targets refuse it; set chap_secret_check=none for a "
                                          "target that takes it)".format(rule, what))

    def settings(self, prefix: str) -> dict:
        """The record settings that make the record match these credentials exactly."""
        if not self.requested:
            return {}
        if self.username == "":
            return {prefix + ".authmethod": "None", prefix + ".username": "", prefix + ".password": "",
                    prefix + ".username_in": "", prefix + ".password_in": ""}
        return {prefix + ".authmethod": "CHAP", prefix + ".username": self.username,
                prefix + ".password": self.password, prefix + ".username_in": self.username_in or "",
                prefix + ".password_in": self.password_in or ""}


class Step(common_plan.Step):
    """One iscsiadm operation: ``action`` names it, ``params`` are its arguments (they may
    hold secrets and are never shown; the description shows secrets masked)."""

    def __init__(self, action: str, description: str, params: dict):
        # A discovery adds records; the caller counts those, not the step.
        super().__init__(description, changes=action != "discover")
        self.action = action
        self.params = params


class Plan(common_plan.Plan):
    def add(self, action: str, description: str, **params) -> None:
        self.append(Step(action, description, params))


@dataclass
class NodeRequest:
    target: str
    portal: Portal
    iface: str | None = None
    state: str = "present"
    login: bool | None = None
    startup: str | None = None
    chap: Chap = field(default_factory=Chap)
    settings: dict = field(default_factory=dict)
    create: bool = False
    relogin: bool = False

    def validate(self) -> list:
        """Raise on a bad request; return the warnings of a valid one."""
        warnings = []
        validate_iscsi_name(self.target, field_name="target", warnings=warnings)
        if self.iface is not None:
            validate_iface(self.iface)
        what = "target {0} at portal {1}".format(self.target, self.portal)
        if self.state not in ("present", "absent"):
            raise ValidationError("state", "must be present or absent", self.state)
        if self.state == "absent" and self.login:
            raise ValidationError("login", "cannot be true with state=absent")
        if self.startup is not None and self.startup not in STARTUP_CHOICES:
            raise ValidationError("startup", "must be one of " + ", ".join(STARTUP_CHOICES), self.startup)
        self.chap.validate(what=what)
        for name, value in self.settings.items():
            if not isinstance(name, str) or not name.startswith("node."):
                raise ValidationError("settings", "{0!r} is not a node.* setting".format(name))
            if name in NODE_KEY_SETTINGS:
                raise ValidationError("settings", "{0} identifies the record and cannot be changed".format(name))
            if name in SECRET_SETTINGS:
                raise ValidationError("settings", "set {0} with chap_password/chap_password_in, which are kept out "
                                                  "of logs".format(name))
            if name.startswith("node.session.auth.") and self.chap.requested:
                raise ValidationError("settings", "{0} conflicts with the chap_* options; use one or the "
                                                  "other".format(name))
            if name == "node.startup" and self.startup is not None and setting_value(value) != self.startup:
                raise ValidationError("settings", "node.startup={0} conflicts with startup={1}".format(
                    setting_value(value), self.startup))
            if isinstance(value, (dict, list)):
                raise ValidationError("settings", "{0} must be a single value".format(name))
            text = setting_value(value)
            if any(unicodedata.category(char) in ("Cc", "Cs", "Zl", "Zp") for char in name + text) or \
                    text != text.strip():
                raise ValidationError("settings", "{0!r}: names and values must not contain control characters or "
                                                  "line breaks, nor begin or end with a blank (open-iscsi keeps each "
                                                  "setting on one line of the record)".format(name))
        return warnings

    def desired_settings(self) -> dict:
        desired = {name: setting_value(value) for name, value in self.settings.items()}
        if self.startup is not None:
            desired["node.startup"] = self.startup
        desired.update(self.chap.settings("node.session.auth"))
        return desired


@dataclass
class DiscoveryRequest:
    portal: Portal
    kind: str = "sendtargets"
    state: str = "present"
    chap: Chap = field(default_factory=Chap)
    discover: bool = True
    prune: bool = False
    iface: str | None = None

    def validate(self) -> None:
        if self.iface is not None:
            validate_iface(self.iface)
        if self.kind not in ("sendtargets", "isns"):
            raise ValidationError("type", "must be sendtargets or isns", self.kind)
        if self.state not in ("present", "absent"):
            raise ValidationError("state", "must be present or absent", self.state)
        if self.kind == "isns" and self.chap.requested:
            raise ValidationError("type", "open-iscsi has no CHAP for iSNS discovery; use type=sendtargets or leave "
                                          "the chap_* options out")
        if self.prune and not self.discover:
            raise ValidationError("prune", "needs discover=true (records are pruned by a discovery)")
        self.chap.validate(what="discovery portal {0}".format(self.portal))

    def desired_settings(self) -> dict:
        return self.chap.settings("discovery.sendtargets.auth")


@dataclass
class IfaceRequest:
    """An open-iscsi iface bound to a network interface by name."""

    name: str
    netdev: str | None = None
    transport: str = "tcp"
    state: str = "present"

    def validate(self, *, net_root: str = NET_ROOT) -> None:
        validate_iface(self.name, field_name="name")
        if self.name in BUILTIN_IFACES:
            raise ValidationError("name", "{0!r} is built into open-iscsi and cannot be created, changed or "
                                          "deleted; choose another name".format(self.name))
        if self.state not in ("present", "absent"):
            raise ValidationError("state", "must be present or absent", self.state)
        if self.transport not in IFACE_TRANSPORTS:
            raise ValidationError("transport", "must be one of " + ", ".join(IFACE_TRANSPORTS), self.transport)
        if self.state == "absent":
            return
        if self.netdev is None:
            raise ValidationError("netdev", "is required with state=present (the network interface the iface "
                                            "is bound to, such as eth1)")
        validate_netdev(self.netdev)
        if not os.path.isdir(os.path.join(net_root, self.netdev)):
            raise ValidationError("netdev", "{0!r} is not a network interface of this host (no {1})".format(
                self.netdev, os.path.join(net_root, self.netdev)))

    def desired_settings(self) -> dict:
        return {"iface.transport_name": self.transport, "iface.net_ifacename": self.netdev}


# What ``iscsiadm -m iface -I NAME -o new`` writes (iface_setup_defaults): tcp, no binding.
NEW_IFACE_SETTINGS = {"iface.transport_name": "tcp", "iface.net_ifacename": ""}


def _iface_view(iface) -> dict:
    return {"name": iface.name, "transport": iface.transport, "netdev": iface.netdev}


def _masked_change(name: str, current: str, desired: str) -> str:
    if name in SECRET_SETTINGS:
        if not desired:
            return ""
        return MASK if current == desired else MASK_CHANGED
    return desired


def _changes(current: dict, desired: dict) -> dict:
    # A setting missing from the record (a record still to be created) reads as empty.
    return {name: value for name, value in desired.items() if current.get(name, "") != value}


def _diff_view(current: dict, desired: dict, changes: dict) -> tuple:
    before = mask_settings({name: current.get(name, "") for name in desired})
    after = dict(before)
    for name, value in changes.items():
        after[name] = _masked_change(name, current.get(name, ""), value)
    return before, after


def _found_through(record: dict, portal) -> bool:
    """Whether a node record was discovered through this discovery portal."""
    return record.get("node.discovery_address") == portal.address and \
        record.get("node.discovery_port") == str(portal.port)


class Initiator:
    """The initiator host as iscsiadm shows it."""

    def __init__(self, *, iscsiadm, initiator_file: str = INITIATOR_FILE, net_root: str = NET_ROOT):
        self.iscsiadm = iscsiadm
        self.initiator_file = initiator_file
        self.net_root = net_root

    # -- lookups ---------------------------------------------------------
    def identity(self) -> dict:
        try:
            with open(self.initiator_file) as handle:
                return parse_initiator_file(handle.read())
        except OSError:
            return {"name": None, "alias": None}

    def node_refs(self, *, iface=None) -> list:
        """Node records; with ``iface``, only those bound to it (each tagged with it)."""
        if iface:
            return [node for node in self.iscsiadm.list_node_ifaces() if node.iface == iface]
        return self.iscsiadm.list_nodes()

    def node_record(self, *, target: str, portal, iface=None, secrets: bool = False):
        """The record of a target at a portal, or None. Several records (ifaces) need ``iface``."""
        try:
            records = self.iscsiadm.show_node(target=target, portal=portal, iface=iface, secrets=secrets)
        except IscsiadmError:
            # iscsiadm fails the lookup ("Could not read iface info", exit 3) when the iface does
            # not exist yet (check mode before the role creates it): then there is no record either.
            if iface and iface != "default" and self.iscsiadm.show_iface(name=iface) is None:
                return None
            raise
        if not records:
            return None
        if len(records) > 1:
            names = sorted(record.get("iface.iscsi_ifacename", "?") for record in records)
            raise ValidationError("iface", "target {0} at portal {1} has {2} records (ifaces {3}); name one with "
                                           "iface".format(target, portal, len(records), ", ".join(names)))
        return records[0]

    def sessions(self) -> list:
        return self.iscsiadm.list_sessions()

    def session_for(self, *, target: str, portal, sessions=None, iface=None):
        """The session to a target at a portal; with ``iface``, the one through that iface
        (read from ``-m session -P 1``: the flat list does not say the iface)."""
        if sessions is None:
            sessions = self.iscsiadm.session_ifaces() if iface else self.sessions()
        for session in sessions:
            if session.target == target and session.portal == portal and (not iface or session.iface == iface):
                return session
        return None

    def discovery_record(self, *, kind: str, portal, secrets: bool = False):
        return self.iscsiadm.show_discovery(kind=kind, portal=portal, secrets=secrets)

    # -- node planning ---------------------------------------------------
    def plan_node(self, request: NodeRequest) -> Plan:
        warnings = request.validate()
        target, portal, iface = request.target, request.portal, request.iface
        where = "target {0} at portal {1}{2}".format(target, portal, " through iface " + iface if iface else "")
        record = self.node_record(target=target, portal=portal, iface=iface, secrets=True)
        session = self.session_for(target=target, portal=portal, iface=iface)
        plan = Plan(warnings=warnings)
        desired = request.desired_settings()

        if request.state == "absent":
            plan.before = {"record": mask_settings(record) if record is not None else None,
                           "logged_in": session is not None}
            plan.after = {"record": None, "logged_in": False}
            if session is not None:
                plan.add("logout", "log out of {0} (sid {1})".format(where, session.sid),
                         target=target, portal=portal, iface=iface)
            if record is not None:
                plan.add("delete_node", "delete the node record of {0}".format(where),
                         target=target, portal=portal, iface=iface)
            return plan

        if record is None:
            if not request.create:
                raise NodeNotFoundError(
                    "no node record for {0}: discover the portal first (scst.iscsi.iscsi_discovery) or set "
                    "create=true to add a static record".format(where), target=target, portal=str(portal))
            plan.add("new_node", "create the node record of {0}".format(where),
                     target=target, portal=portal, iface=iface)
            current = {}
        else:
            current = record

        changes = _changes(current, desired)
        before, after = _diff_view(current, desired, changes)
        for name, value in changes.items():
            shown = _masked_change(name, current.get(name, ""), value) if name in SECRET_SETTINGS else value
            plan.add("update_node", "set {0} = {1} on {2}".format(name, shown if shown != "" else "<empty>", where),
                     target=target, portal=portal, iface=iface, name=name, value=value)

        logged_in = session is not None
        will_be_logged_in = logged_in
        if request.login is True:
            if not logged_in:
                plan.add("login", "log in to {0}".format(where), target=target, portal=portal, iface=iface)
                will_be_logged_in = True
            elif request.relogin and any(name not in NO_RELOGIN_SETTINGS for name in changes):
                plan.add("logout", "log out of {0} (sid {1}) to apply the new settings".format(where, session.sid),
                         target=target, portal=portal, iface=iface)
                plan.add("login", "log in to {0} with the new settings".format(where),
                         target=target, portal=portal, iface=iface)
            elif any(name not in NO_RELOGIN_SETTINGS for name in changes):
                plan.warnings.append("{0} is logged in: the changed settings take effect at the next login "
                                     "(set relogin=true to log in again now)".format(where))
        elif request.login is False and logged_in:
            plan.add("logout", "log out of {0} (sid {1})".format(where, session.sid),
                     target=target, portal=portal, iface=iface)
            will_be_logged_in = False

        plan.before = {"record": before if record is not None else None, "logged_in": logged_in}
        plan.after = {"record": after, "logged_in": will_be_logged_in}
        return plan

    # -- discovery planning ----------------------------------------------
    def plan_discovery(self, request: DiscoveryRequest) -> Plan:
        request.validate()
        kind, portal = request.kind, request.portal
        where = "{0} discovery portal {1}".format(kind, portal)
        record = self.discovery_record(kind=kind, portal=portal, secrets=True)
        plan = Plan()
        desired = request.desired_settings()

        if request.state == "absent":
            plan.before = {"record": mask_settings({name: record.get(name, "") for name in desired})
                           if record is not None else None}
            plan.after = {"record": None}
            if record is not None:
                in_use = self._sessions_discovered_through(portal)
                if in_use:
                    raise ValidationError(
                        "state", "absent deletes the discovery record of {0} and with it the node records found "
                        "through it, and these are logged in: {1}; log out first (scst.iscsi.iscsi_node "
                        "login=false)".format(where, ", ".join(in_use)))
                plan.add("delete_discovery", "delete the {0} record and the node records found through it".format(
                    where), kind=kind, portal=portal)
            return plan

        current = record if record is not None else {}
        if record is None:
            plan.add("new_discovery", "create the {0} record".format(where), kind=kind, portal=portal)
        changes = _changes(current, desired)
        before, after = _diff_view(current, desired, changes)
        for name, value in changes.items():
            shown = _masked_change(name, current.get(name, ""), value) if name in SECRET_SETTINGS else value
            plan.add("update_discovery", "set {0} = {1} on the {2} record".format(
                name, shown if shown != "" else "<empty>", where), kind=kind, portal=portal, name=name, value=value)
        if request.discover:
            plan.add("discover", "discover targets at {0}{1}, adding records only for new target portals{2}".format(
                where, " through iface " + request.iface if request.iface else "",
                " and deleting records it no longer returns" if request.prune else ""),
                kind=kind, portal=portal, prune=request.prune, iface=request.iface)
        plan.before = {"record": before if record is not None else None}
        plan.after = {"record": after}
        return plan

    def _sessions_discovered_through(self, portal) -> list:
        in_use = []
        for session in self.sessions():
            # All records of the target portal (one per iface): any of them may be the session's.
            records = self.iscsiadm.show_node(target=session.target, portal=session.portal)
            if any(_found_through(record, portal) for record in records):
                in_use.append("{0} at {1}".format(session.target, session.portal))
        return in_use

    def preview_discovery(self, request: DiscoveryRequest, plan: Plan):
        """What a discovery would add or delete, without changing anything.

        Returns ``(found, added, removed)`` lists of NodeRef, or None when the
        discovery record does not exist yet or its CHAP settings are about to
        change: then the portal cannot be asked with the right credentials.
        """
        if any(step.action in ("new_discovery", "update_discovery") for step in plan.steps):
            return None
        found = self.iscsiadm.discover(kind=request.kind, portal=request.portal, persist=False,
                                       iface=request.iface)
        existing = {node.key(): node for node in self.node_refs(iface=request.iface)}
        found_keys = {node.key() for node in found}
        added = [node for node in found if node.key() not in existing]
        if request.iface:
            added = [NodeRef(target=node.target, portal=node.portal, tpgt=node.tpgt, iface=request.iface)
                     for node in added]
        removed = []
        if request.prune:
            running = {session.key() for session in self.sessions()}
            for key, node in existing.items():
                if key in found_keys or key in running:
                    continue
                records = self.iscsiadm.show_node(target=node.target, portal=node.portal, iface=request.iface)
                if any(_found_through(record, request.portal) for record in records):
                    removed.append(node)
        return found, added, removed

    # -- iface planning --------------------------------------------------
    def plan_iface(self, request: IfaceRequest) -> Plan:
        """Create, update or delete an iface. Deleting one that a session uses is refused;
        open-iscsi deletes the node records bound to an iface with it, and the plan says so."""
        request.validate(net_root=self.net_root)
        name = request.name
        current = self.iscsiadm.show_iface(name=name)
        plan = Plan()
        plan.before = {"iface": _iface_view(current) if current is not None else None, "node_records": []}

        if request.state == "absent":
            plan.after = {"iface": None, "node_records": []}
            if current is None:
                return plan
            in_use = ["{0} at {1} (sid {2})".format(session.target, session.portal, session.sid)
                      for session in self.iscsiadm.session_ifaces() if session.iface == name]
            if in_use:
                raise ValidationError("state", "absent deletes iface {0}, but sessions use it: {1}; log out first "
                                               "(scst.iscsi.iscsi_node login=false iface={0})".format(
                                                   name, ", ".join(in_use)))
            records = ["{0} {1}".format(node.portal, node.target) for node in self.node_refs(iface=name)]
            plan.before["node_records"] = records
            plan.add("delete_iface", "delete iface {0}{1}".format(
                name, " and the node records bound to it: " + ", ".join(records) if records else ""), name=name)
            return plan

        settings = NEW_IFACE_SETTINGS if current is None else {
            "iface.transport_name": current.transport, "iface.net_ifacename": current.netdev}
        if current is None:
            plan.add("new_iface", "create iface {0}".format(name), name=name)
        changes = _changes(settings, request.desired_settings())
        for setting, value in changes.items():
            plan.add("update_iface", "set {0} = {1} on iface {2}".format(setting, value, name),
                     name=name, setting=setting, value=value)
        if current is not None and changes:
            users = ["{0} at {1} (sid {2})".format(session.target, session.portal, session.sid)
                     for session in self.iscsiadm.session_ifaces() if session.iface == name]
            if users:
                plan.warnings.append("iface {0} changed while sessions use it ({1}): they keep the old binding "
                                     "until they log in again".format(name, ", ".join(users)))
        plan.after = {"iface": {"name": name, "transport": request.transport, "netdev": request.netdev},
                      "node_records": []}
        return plan

    # -- applying --------------------------------------------------------
    def apply(self, plan: Plan) -> dict:
        """Run the steps in order. Returns what a discovery step reported."""
        outcome = {}
        for step in plan.steps:
            params = step.params
            if step.action == "new_node":
                self.iscsiadm.new_node(target=params["target"], portal=params["portal"], iface=params["iface"])
            elif step.action == "update_node":
                self.iscsiadm.update_node(target=params["target"], portal=params["portal"], iface=params["iface"],
                                          name=params["name"], value=params["value"])
            elif step.action == "login":
                step.done = self.iscsiadm.login(target=params["target"], portal=params["portal"],
                                                iface=params["iface"])
            elif step.action == "logout":
                step.done = self.iscsiadm.logout(target=params["target"], portal=params["portal"],
                                                 iface=params["iface"])
            elif step.action == "delete_node":
                self.iscsiadm.delete_node(target=params["target"], portal=params["portal"], iface=params["iface"])
            elif step.action == "new_discovery":
                self.iscsiadm.new_discovery(kind=params["kind"], portal=params["portal"])
            elif step.action == "update_discovery":
                self.iscsiadm.update_discovery(kind=params["kind"], portal=params["portal"],
                                               name=params["name"], value=params["value"])
            elif step.action == "delete_discovery":
                self.iscsiadm.delete_discovery(kind=params["kind"], portal=params["portal"])
            elif step.action == "discover":
                outcome["found"] = self.iscsiadm.discover(kind=params["kind"], portal=params["portal"],
                                                          persist=True, prune=params["prune"],
                                                          iface=params.get("iface"))
            elif step.action == "new_iface":
                self.iscsiadm.new_iface(name=params["name"])
            elif step.action == "update_iface":
                self.iscsiadm.update_iface(name=params["name"], setting=params["setting"], value=params["value"])
            elif step.action == "delete_iface":
                self.iscsiadm.delete_iface(name=params["name"])
            else:  # pragma: no cover - a programming error, not a user error
                raise ValueError("unknown step {0}".format(step.action))
            if step.done is None:
                step.done = True
        return outcome
