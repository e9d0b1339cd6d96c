# Copyright: scst.iscsi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Plain value objects of the open-iscsi initiator and the parsers that build them.

Nothing here runs a command: parsers take iscsiadm's text (run with LANG=C)
and return objects; objects turn into plain dicts with ``dump()``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ansible_collections.scst.iscsi.plugins.module_utils.iscsi.errors import ValidationError

DEFAULT_ISCSI_PORT = 3260
DEFAULT_ISNS_PORT = 3205

# What iscsiadm prints instead of a secret, and for an empty value.
MASK = "********"
EMPTY = "<empty>"
# Shown in a diff when a secret will be replaced: the value itself never is.
MASK_CHANGED = "******** (changed)"

SECRET_SETTINGS = frozenset((
    "node.session.auth.password",
    "node.session.auth.password_in",
    "discovery.sendtargets.auth.password",
    "discovery.sendtargets.auth.password_in",
))

# Lookup keys of a node record: iscsiadm refuses to update them.
NODE_KEY_SETTINGS = frozenset((
    "node.name",
    "node.tpgt",
    "node.conn[0].address",
    "node.conn[0].port",
    "iface.iscsi_ifacename",
))

_IQN = re.compile(r"^iqn\.\d{4}-(0[1-9]|1[0-2])\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?"
                  r"(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*(:[A-Za-z0-9.:_-]+)?$")
_EUI = re.compile(r"^eui\.[0-9A-Fa-f]{16}$")
_NAA = re.compile(r"^naa\.([0-9A-Fa-f]{16}|[0-9A-Fa-f]{32})$")
MAX_NAME_BYTES = 223  # RFC 3720 3.2.6.1
_HOST = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$")
_IPV4 = re.compile(r"^\d{1,3}(\.\d{1,3}){3}$")
_IPV6 = re.compile(r"^[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*(%[A-Za-z0-9_.-]+)?$")


def validate_iscsi_name(name: str, *, field_name: str = "target") -> str:
    """Return ``name`` when it is an iqn., eui. or naa. name; raise otherwise."""
    if not isinstance(name, str) or not name:
        raise ValidationError("{0}: an iSCSI name is required".format(field_name))
    if len(name.encode("utf-8")) > MAX_NAME_BYTES:
        raise ValidationError("{0}: {1!r} is longer than {2} bytes (RFC 3720)".format(
            field_name, name, MAX_NAME_BYTES))
    if _IQN.match(name) or _EUI.match(name) or _NAA.match(name):
        return name
    raise ValidationError(
        "{0}: {1!r} is not an iSCSI name; expected iqn.YYYY-MM.reverse.domain[:identifier], "
        "eui. followed by 16 hex digits, or naa. followed by 16 or 32 hex digits".format(field_name, name))


@dataclass(frozen=True)
class Portal:
    """An IP address (or host name) and TCP port, as iscsiadm's ``-p`` takes it."""

    address: str
    port: int = DEFAULT_ISCSI_PORT

    @property
    def is_ipv6(self) -> bool:
        return ":" in self.address

    def __str__(self) -> str:
        if self.is_ipv6:
            return "[{0}]:{1}".format(self.address, self.port)
        return "{0}:{1}".format(self.address, self.port)

    @classmethod
    def from_user(cls, portal: str, port: int | None = None, *,
                  default_port: int = DEFAULT_ISCSI_PORT, field_name: str = "portal") -> "Portal":
        """Build a portal from module options.

        ``portal`` may carry a port (``10.0.0.1:3260``, ``[fe80::1]:3260``); a
        separate ``port`` that disagrees with it is an error.
        """
        if not isinstance(portal, str) or not portal.strip():
            raise ValidationError("{0}: an address is required".format(field_name))
        address, embedded_port, tpgt = _split_portal(portal.strip())
        if tpgt is not None:
            raise ValidationError("{0}: {1!r} carries a portal group tag (,{2}); give the address "
                                  "and port only".format(field_name, portal, tpgt))
        if embedded_port is not None and port is not None and embedded_port != port:
            raise ValidationError("{0}: {1!r} names port {2} but port is {3}".format(
                field_name, portal, embedded_port, port))
        effective = embedded_port if embedded_port is not None else port
        if effective is None:
            effective = default_port
        if not 0 < effective < 65536:
            raise ValidationError("port: {0} is not a TCP port (1-65535)".format(effective))
        if not (_IPV4.match(address) or _IPV6.match(address) or _HOST.match(address)):
            raise ValidationError("{0}: {1!r} is not an IP address or host name".format(field_name, address))
        return cls(address=address, port=effective)

    @classmethod
    def from_iscsiadm(cls, text: str) -> tuple:
        """Parse ``addr:port,tpgt`` or ``[addr]:port,tpgt``; return ``(Portal, tpgt)``."""
        address, port, tpgt = _split_portal(text)
        return cls(address=address, port=port if port is not None else DEFAULT_ISCSI_PORT), tpgt


def _split_portal(text: str) -> tuple:
    tpgt = None
    if "," in text:
        text, _comma, tag = text.rpartition(",")
        tpgt = int(tag) if tag.lstrip("-").isdigit() else None
    if text.startswith("["):
        address, _bracket, rest = text[1:].partition("]")
        port = int(rest[1:]) if rest.startswith(":") and rest[1:].isdigit() else None
        return address, port, tpgt
    if text.count(":") == 1:
        address, _colon, port_text = text.partition(":")
        if not port_text.isdigit():
            raise ValidationError("portal: {0!r} has a port that is not a number".format(text))
        return address, int(port_text), tpgt
    # A bare IPv6 address (several colons) or a plain address.
    return text, None, tpgt


@dataclass(frozen=True)
class NodeRef:
    """One node record as listed by ``iscsiadm -m node`` (target at a portal)."""

    target: str
    portal: Portal
    tpgt: int | None = None

    def key(self) -> tuple:
        return (self.target, str(self.portal))

    def dump(self) -> dict:
        return {"target": self.target, "portal": str(self.portal),
                "address": self.portal.address, "port": self.portal.port, "tpgt": self.tpgt}


@dataclass
class ScsiDevice:
    """One logical unit of a session, as ``iscsiadm -m session -P 3`` lists it."""

    host: int
    channel: int
    scsi_id: int
    lun: int
    name: str | None = None  # sda; None while the disk is not attached yet
    state: str | None = None
    path: str | None = None  # /dev/sda when the node exists
    by_path: list = field(default_factory=list)
    scsi_type: int | None = None  # SCSI peripheral device type (0 = disk), from sysfs

    @property
    def hctl(self) -> str:
        return "{0}:{1}:{2}:{3}".format(self.host, self.channel, self.scsi_id, self.lun)

    def dump(self) -> dict:
        return {"hctl": self.hctl, "lun": self.lun, "name": self.name, "state": self.state,
                "path": self.path, "by_path": list(self.by_path), "scsi_type": self.scsi_type}


@dataclass
class Session:
    """A logged-in session."""

    sid: int
    target: str
    portal: Portal
    tpgt: int | None = None
    transport: str = "tcp"
    iface: str | None = None
    initiator_name: str | None = None
    connection_state: str | None = None
    session_state: str | None = None
    host: int | None = None
    devices: list = field(default_factory=list)

    def key(self) -> tuple:
        return (self.target, str(self.portal))

    def dump(self) -> dict:
        return {
            "sid": self.sid, "target": self.target, "portal": str(self.portal),
            "address": self.portal.address, "port": self.portal.port, "tpgt": self.tpgt,
            "transport": self.transport, "iface": self.iface,
            "connection_state": self.connection_state, "session_state": self.session_state,
            "host": self.host, "devices": [device.dump() for device in self.devices],
        }


def _node_line(line: str):
    # "192.168.77.10:3260,1 iqn.2026-11.test.lab:tgt1"
    portal_text, _space, target = line.strip().partition(" ")
    if not target or "," not in portal_text:
        return None
    portal, tpgt = Portal.from_iscsiadm(portal_text)
    return NodeRef(target=target.strip(), portal=portal, tpgt=tpgt)


def parse_node_list(text: str) -> list:
    """Parse the flat node list of ``iscsiadm -m node`` or a discovery."""
    nodes = []
    for line in text.splitlines():
        node = _node_line(line)
        if node is not None:
            nodes.append(node)
    return nodes


def parse_records(text: str) -> list:
    """Split ``-o show`` output into one ``{name: value}`` dict per record.

    ``<empty>`` becomes ``""``; masked secrets stay ``********``.
    """
    records = []
    current = None
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("# BEGIN RECORD"):
            current = {}
            records.append(current)
            continue
        if line.startswith("# END RECORD"):
            current = None
            continue
        if not line or line.startswith("#") or " = " not in line:
            continue
        if current is None:  # output without markers (older versions)
            current = {}
            records.append(current)
        name, _equals, value = line.partition(" = ")
        value = value.strip()
        current[name.strip()] = "" if value == EMPTY else value
    return records


def parse_session_list(text: str) -> list:
    """Parse ``iscsiadm -m session`` (flat)."""
    sessions = []
    pattern = re.compile(r"^(?P<transport>\S+): \[(?P<sid>\d+)\] (?P<portal>\S+) (?P<target>\S+)")
    for line in text.splitlines():
        match = pattern.match(line.strip())
        if not match:
            continue
        portal, tpgt = Portal.from_iscsiadm(match.group("portal"))
        sessions.append(Session(sid=int(match.group("sid")), target=match.group("target"),
                                portal=portal, tpgt=tpgt, transport=match.group("transport")))
    return sessions


_TREE_TARGET = re.compile(r"^Target: (?P<target>\S+)")
_TREE_PORTAL = re.compile(r"^(?P<kind>Current|Persistent) Portal: (?P<portal>\S+)")
_TREE_LUN = re.compile(r"^scsi(?P<host>\d+) Channel (?P<channel>\d+) Id (?P<id>\d+) Lun: (?P<lun>\d+)")
_TREE_DISK = re.compile(r"^Attached scsi disk (?P<name>\S+)\s+State: (?P<state>\S+)")
_TREE_HOST = re.compile(r"^Host Number: (?P<host>\d+)")


def parse_session_tree(text: str) -> list:
    """Parse ``iscsiadm -m session -P 3``.

    iscsiadm prints ``Target:`` and the portal lines once for a run of sessions
    to the same target and portal, so both carry over to the following ``SID:``.
    """
    sessions = []
    target = None
    persistent = None
    current = None
    pending = {}
    for raw in text.splitlines():
        line = raw.strip()
        match = _TREE_TARGET.match(line)
        if match:
            target = match.group("target")
            continue
        match = _TREE_PORTAL.match(line)
        if match:
            portal, tpgt = Portal.from_iscsiadm(match.group("portal"))
            if match.group("kind") == "Persistent":
                persistent = (portal, tpgt)
            else:
                pending["current"] = (portal, tpgt)
            continue
        if line.startswith("Iface Name:"):
            pending["iface"] = line.partition(":")[2].strip()
            continue
        if line.startswith("Iface Transport:"):
            pending["transport"] = line.partition(":")[2].strip()
            continue
        if line.startswith("Iface Initiatorname:"):
            pending["initiator_name"] = line.partition(":")[2].strip()
            continue
        if line.startswith("SID:"):
            portal, tpgt = persistent or pending.get("current") or (None, None)
            current = Session(sid=int(line.partition(":")[2]), target=target, portal=portal, tpgt=tpgt,
                              transport=pending.get("transport", "tcp"), iface=pending.get("iface"),
                              initiator_name=pending.get("initiator_name"))
            sessions.append(current)
            pending = {}
            continue
        if current is None:
            continue
        if line.startswith("iSCSI Connection State:"):
            current.connection_state = line.partition(":")[2].strip()
        elif line.startswith("iSCSI Session State:"):
            current.session_state = line.partition(":")[2].strip()
        else:
            match = _TREE_HOST.match(line)
            if match:
                current.host = int(match.group("host"))
                continue
            match = _TREE_LUN.match(line)
            if match:
                current.devices.append(ScsiDevice(host=int(match.group("host")),
                                                  channel=int(match.group("channel")),
                                                  scsi_id=int(match.group("id")),
                                                  lun=int(match.group("lun"))))
                continue
            match = _TREE_DISK.match(line)
            if match and current.devices:
                current.devices[-1].name = match.group("name")
                current.devices[-1].state = match.group("state")
    return sessions


def parse_discovery_list(text: str) -> list:
    """Parse ``iscsiadm -m discoverydb``: ``addr:port via sendtargets``."""
    records = []
    for line in text.splitlines():
        portal_text, sep, kind = line.strip().partition(" via ")
        if not sep:
            continue
        portal = Portal.from_iscsiadm(portal_text)[0]
        records.append({"portal": str(portal), "address": portal.address, "port": portal.port,
                        "type": kind.strip()})
    return records


def parse_initiator_file(text: str) -> dict:
    """Parse /etc/iscsi/initiatorname.iscsi: ``InitiatorName=`` and ``InitiatorAlias=``."""
    result = {"name": None, "alias": None}
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("#") or "=" not in line:
            continue
        key, _equals, value = line.partition("=")
        if key.strip() == "InitiatorName":
            result["name"] = value.strip()
        elif key.strip() == "InitiatorAlias":
            result["alias"] = value.strip()
    return result


def mask_settings(settings: dict) -> dict:
    """Copy ``settings`` with every secret replaced by ``********`` (empty stays empty)."""
    masked = {}
    for name, value in settings.items():
        if name in SECRET_SETTINGS and value:
            masked[name] = MASK
        else:
            masked[name] = value
    return masked
