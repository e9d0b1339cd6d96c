# Copyright: scst.iscsi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Plain value objects of the open-iscsi initiator and the parsers that build them.

Nothing here runs a command: parsers take iscsiadm's text (run with LANG=C)
and return objects; objects turn into plain dicts with ``dump()``.
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from dataclasses import dataclass, field

from ansible_collections.scst.iscsi.plugins.module_utils.common.errors import ValidationError
from ansible_collections.scst.iscsi.plugins.module_utils.common.masking import mask_secrets
from ansible_collections.scst.iscsi.plugins.module_utils.iscsi.errors import SessionNotFoundError

DEFAULT_ISCSI_PORT = 3260
DEFAULT_ISNS_PORT = 3205

# What iscsiadm prints for an empty value (a secret it prints as common.masking.MASK).
EMPTY = "<empty>"

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

_IQN = re.compile(r"iqn\.[0-9]{4}-(0[1-9]|1[0-2])\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?"
                  r"(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*(:[A-Za-z0-9.:_-]+)?")
_EUI = re.compile(r"eui\.[0-9A-Fa-f]{16}")
_NAA = re.compile(r"naa\.([0-9A-Fa-f]{16}|[0-9A-Fa-f]{32})")
MAX_NAME_BYTES = 223  # RFC 3720 3.2.6.1: a longer target name gets a warning
MAX_RECORD_NAME_BYTES = 254  # open-iscsi keeps a node name in char[255] (TARGET_NAME_MAXLEN)
MAX_IFACE_BYTES = 64  # open-iscsi keeps an iface name in char[65] (ISCSI_MAX_IFACE_LEN)
# Built into open-iscsi: never a file of /etc/iscsi/ifaces, so never created or deleted.
BUILTIN_IFACES = ("default", "iser")
# Software transports that bind an iface to a network interface by name.
IFACE_TRANSPORTS = ("tcp", "iser")
MAX_NETDEV_BYTES = 15  # Linux keeps an interface name in char[IFNAMSIZ=16]
NET_ROOT = "/sys/class/net"
MAX_HOST_BYTES = 253  # a DNS name
_HOST_LABEL = re.compile(r"[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?")
# What inet_aton, and so getaddrinfo, reads as a number: 127.1, 0x7f.1, 010.0.0.1,
# 2130706433. Such a "host name" would silently be another address.
_INET_ATON_PART = re.compile(r"0[xX][0-9A-Fa-f]*|[0-9]+")
_PORT = re.compile(r"[1-9][0-9]*")
_ZONE = re.compile(r"[A-Za-z0-9_.-]+")


def unsafe_character(text: str):
    """The first character that cannot travel in an iscsiadm argument and a
    one-line record value, with the reason; None when there is none."""
    for char in text:
        category = unicodedata.category(char)
        if char.isspace() or category in ("Cc", "Zs", "Zl", "Zp"):
            return "whitespace or control characters (open-iscsi keeps the value on one line of its record)"
        if category == "Cs":
            return "a lone surrogate (it has no UTF-8 form)"
        if category == "Cf":
            return "invisible formatting characters such as U+{0:04X} (two names would look the same)".format(
                ord(char))
    return None


def validate_iscsi_name(name: str, *, field_name: str = "target", warnings: list | None = None) -> str:
    """Return ``name`` when open-iscsi can keep it; raise otherwise.

    A name that is not in RFC 3720 form (iqn., eui., naa.) or is longer than
    223 bytes is accepted with a warning in ``warnings``: SCST targets take
    names such as ``target1``. Refused: empty, whitespace and control
    characters, '/', '.' and '..' (the name is a directory of the node
    database) and more than 254 bytes (open-iscsi keeps no more).
    """
    if not isinstance(name, str) or not name:
        raise ValidationError(field_name, "an iSCSI name is required")
    _record_file_name(field_name, name, "record in a directory", MAX_RECORD_NAME_BYTES)
    size = len(name.encode("utf-8"))
    if warnings is not None:
        if not (_IQN.fullmatch(name) or _EUI.fullmatch(name) or _NAA.fullmatch(name)):
            warnings.append("{0}: {1!r} is not an iSCSI name in RFC 3720 form (iqn.YYYY-MM.reverse.domain"
                            "[:identifier], eui. followed by 16 hex digits, or naa. followed by 16 or 32 hex "
                            "digits); it is used as given".format(field_name, name))
        if size > MAX_NAME_BYTES:
            warnings.append("{0}: {1!r} is longer than the {2} bytes RFC 3720 allows; it is used as "
                            "given".format(field_name, name, MAX_NAME_BYTES))
    return name


def validate_iface(name, *, field_name: str = "iface") -> str:
    """An open-iscsi iface name: a file of /etc/iscsi/ifaces and a directory of a node record."""
    if not isinstance(name, str) or not name:
        raise ValidationError(field_name, "must be a non-empty string")
    return _record_file_name(field_name, name, "iface in a file", MAX_IFACE_BYTES)


def validate_netdev(name, *, field_name: str = "netdev") -> str:
    """A Linux network interface name as the kernel accepts it (dev_valid_name):
    1 to 15 bytes, no blank, '/' or ':', not '.' or '..'."""
    if not isinstance(name, str) or not name:
        raise ValidationError(field_name, "must be a network interface name such as eth1")
    reason = unsafe_character(name)
    if reason:
        raise ValidationError(field_name, "{0!r} must not contain {1}".format(name, reason))
    if "/" in name or ":" in name or name in (".", ".."):
        raise ValidationError(field_name, "{0!r} is not a network interface name (no '/' or ':', not '.' or "
                                          "'..')".format(name))
    if len(name.encode("utf-8")) > MAX_NETDEV_BYTES:
        raise ValidationError(field_name, "{0!r} is longer than {1} bytes (Linux keeps no more)".format(
            name, MAX_NETDEV_BYTES))
    return name


def _record_file_name(field_name, name, kept_as, limit):
    """A name open-iscsi keeps as a file or directory name of its database."""
    reason = unsafe_character(name)
    if reason:
        raise ValidationError(field_name, "{0!r} must not contain {1}".format(name, reason))
    if "/" in name or name in (".", ".."):
        raise ValidationError(field_name, "{0!r} must not contain '/' or be '.' or '..' (open-iscsi keeps the "
                                          "{1} named after it)".format(name, kept_as))
    if len(name.encode("utf-8")) > limit:
        raise ValidationError(field_name, "{0!r} is longer than {1} bytes (open-iscsi keeps no more)".format(
            name, limit))
    return name


def validate_port(value, *, field_name: str = "port", within: str | None = None):
    """A TCP port from what the user wrote (the option is raw): an int, or a
    string of plain decimal digits. Refused: booleans, fractions, and strings
    Ansible's int conversion would have changed (C(010), C(+1), C(1e3), C( 1)).
    ``within`` is the option's text when the port was written inside it."""
    if value is None:
        return None
    rule = "must be a TCP port, a whole number from 1 to 65535"
    if within is not None:
        rule = "the port in {0!r} {1}".format(within, rule)
    if isinstance(value, bool) or isinstance(value, float):
        raise ValidationError(field_name, rule, value)
    if isinstance(value, str):
        if not _PORT.fullmatch(value):
            raise ValidationError(field_name, rule + " in plain decimal digits (no sign, blanks, leading zeros, "
                                  "exponent or hex)", value)
        value = int(value)
    if not isinstance(value, int) or not 0 < value < 65536:
        raise ValidationError(field_name, rule, value)
    return value


def validate_address(address: str, *, field_name: str = "portal") -> str:
    """An IPv4 or IPv6 address (with an optional %zone) or a DNS host name.

    A name that inet_aton would read as a number (C(127.1), C(0x7f.0.0.1),
    C(010.0.0.1): octal) is refused: it would silently be another address.
    """
    try:
        ipaddress.IPv4Address(address)
        return address
    except ValueError:
        pass
    if ":" in address:
        plain, _percent, zone = address.partition("%")
        try:
            ipaddress.IPv6Address(plain)
        except ValueError:
            raise ValidationError(field_name, "{0!r} is not an IPv6 address".format(address))
        if _percent and not _ZONE.fullmatch(zone):
            raise ValidationError(field_name, "{0!r} has a zone that is not an interface name".format(address))
        return address
    labels = address.split(".")
    if all(_INET_ATON_PART.fullmatch(label) for label in labels):
        raise ValidationError(field_name, "{0!r} is read as a number by the resolver (inet_aton: leading zeros are "
                                          "octal, 0x is hex, parts may be missing); write the address as four "
                                          "decimal numbers without leading zeros".format(address))
    if len(address) > MAX_HOST_BYTES or not all(_HOST_LABEL.fullmatch(label) for label in labels):
        raise ValidationError(field_name, "{0!r} is not an IP address or host name".format(address))
    return address


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
    def from_user(cls, portal: str, port=None, *,
                  default_port: int = DEFAULT_ISCSI_PORT, field_name: str = "portal") -> "Portal":
        """Build a portal from module options.

        ``portal`` may carry a port (``10.0.0.1:3260``, ``[fe80::1]:3260``); a
        separate ``port`` (raw: an int or a string of decimal digits) that
        disagrees with it is an error.
        """
        if not isinstance(portal, str) or not portal.strip():
            raise ValidationError(field_name, "an address is required")
        port = validate_port(port)
        text = portal.strip()
        if "," in text:
            raise ValidationError(field_name, "{0!r} carries a portal group tag (,{1}); give the address and port "
                                              "only".format(portal, text.rpartition(",")[2]))
        port_text = None
        if text.startswith("["):
            address, bracket, rest = text[1:].partition("]")
            if not bracket or (rest and not rest.startswith(":")):
                raise ValidationError(field_name, "{0!r} is not [address] or [address]:port".format(portal))
            port_text = rest[1:] if rest else None
        elif text.count(":") == 1:
            address, _colon, port_text = text.partition(":")
        else:
            address = text
        embedded_port = None
        if port_text is not None:
            embedded_port = validate_port(port_text, field_name=field_name, within=portal)
        if embedded_port is not None and port is not None and embedded_port != port:
            raise ValidationError(field_name, "{0!r} names port {1} but port is {2}".format(
                portal, embedded_port, port))
        effective = embedded_port if embedded_port is not None else port
        if effective is None:
            effective = default_port
        return cls(address=validate_address(address, field_name=field_name), port=effective)

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
            raise ValidationError("portal", "{0!r} has a port that is not a number".format(text))
        return address, int(port_text), tpgt
    # A bare IPv6 address (several colons) or a plain address.
    return text, None, tpgt


@dataclass(frozen=True)
class NodeRef:
    """One node record as listed by ``iscsiadm -m node`` (target at a portal).

    ``iface`` is known only from the tree listing (``-m node -P 1``) or a
    discovery through an iface; the flat listing leaves it None.
    """

    target: str
    portal: Portal
    tpgt: int | None = None
    iface: str | None = None

    def key(self) -> tuple:
        return (self.target, str(self.portal))

    def iface_key(self) -> tuple:
        return (self.target, str(self.portal), self.iface)

    def dump(self) -> dict:
        dumped = {"target": self.target, "portal": str(self.portal),
                  "address": self.portal.address, "port": self.portal.port, "tpgt": self.tpgt}
        if self.iface is not None:
            dumped["iface"] = self.iface
        return dumped


@dataclass(frozen=True)
class Iface:
    """One open-iscsi iface as ``iscsiadm -m iface`` lists it."""

    name: str
    transport: str = "tcp"
    hwaddress: str = ""
    ipaddress: str = ""
    netdev: str = ""
    initiator_name: str = ""

    @classmethod
    def from_record(cls, record: dict) -> "Iface":
        """From the ``iface.*`` settings of ``iscsiadm -m iface -I NAME -o show``."""
        return cls(name=record.get("iface.iscsi_ifacename", ""),
                   transport=record.get("iface.transport_name", ""),
                   hwaddress=record.get("iface.hwaddress", ""),
                   ipaddress=record.get("iface.ipaddress", ""),
                   netdev=record.get("iface.net_ifacename", ""),
                   initiator_name=record.get("iface.initiatorname", ""))

    def dump(self) -> dict:
        return {"name": self.name, "transport": self.transport, "hwaddress": self.hwaddress,
                "ipaddress": self.ipaddress, "netdev": self.netdev, "initiator_name": self.initiator_name}


def _iface_value(text: str) -> str:
    return "" if text == EMPTY else text


def parse_iface_list(text: str) -> list:
    """Parse ``iscsiadm -m iface``: ``NAME transport,hwaddress,ipaddress,net_ifacename,initiatorname``."""
    ifaces = []
    for line in text.splitlines():
        name, _space, fields = line.strip().partition(" ")
        parts = fields.strip().split(",")
        if not name or len(parts) != 5:
            continue
        transport, hwaddress, ipaddress_, netdev, initiator_name = (_iface_value(part) for part in parts)
        ifaces.append(Iface(name=name, transport=transport, hwaddress=hwaddress, ipaddress=ipaddress_,
                            netdev=netdev, initiator_name=initiator_name))
    return ifaces


_NODE_TREE_TARGET = re.compile(r"^Target: (?P<target>\S+)")
_NODE_TREE_PORTAL = re.compile(r"^Portal: (?P<portal>\S+)")


def parse_node_tree(text: str) -> list:
    """Parse ``iscsiadm -m node -P 1``: a ``Target:`` line, then ``Portal:`` and
    ``Iface Name:`` lines for each record of that target (one per iface)."""
    nodes = []
    target = None
    portal = None
    for raw in text.splitlines():
        line = raw.strip()
        match = _NODE_TREE_TARGET.match(line)
        if match:
            target, portal = match.group("target"), None
            continue
        match = _NODE_TREE_PORTAL.match(line)
        if match:
            portal = Portal.from_iscsiadm(match.group("portal"))
            continue
        if line.startswith("Iface Name:") and target is not None and portal is not None:
            nodes.append(NodeRef(target=target, portal=portal[0], tpgt=portal[1],
                                 iface=line.partition(":")[2].strip()))
    return nodes


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


@dataclass(frozen=True)
class SessionSelection:
    """The sessions a module works on: those to ``target`` at ``portal``, each when given;
    every session when neither is. Called with a session, says whether it is one of them."""

    target: str | None = None
    portal: Portal | None = None

    @classmethod
    def from_options(cls, params: dict, *, warnings: list) -> "SessionSelection":
        """From the options ``target``, ``portal`` and ``port``: the name rules of iscsi_node
        (a name not in RFC 3720 form adds a warning), a port only with a portal."""
        target = params["target"]
        if target is not None:
            validate_iscsi_name(target, warnings=warnings)
        portal = Portal.from_user(params["portal"], params["port"]) if params["portal"] is not None else None
        if params["port"] is not None and portal is None:
            raise ValidationError("port", "needs portal")
        return cls(target=target, portal=portal)

    def __call__(self, session) -> bool:
        return ((self.target is None or session.target == self.target)
                and (self.portal is None or session.portal == self.portal))

    def require(self, sessions: list) -> list:
        """The selected ``sessions``; none of them when a target or portal was asked for is an error."""
        selected = [session for session in sessions if self(session)]
        if not selected and (self.target is not None or self.portal is not None):
            raise SessionNotFoundError(
                "no session to {0}{1}: log in first (scst.iscsi.iscsi_node login=true)".format(
                    "target {0}".format(self.target) if self.target else "any target",
                    " at portal {0}".format(self.portal) if self.portal else ""),
                target=self.target, portal=str(self.portal) if self.portal else None)
        return selected


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
    """Copy ``settings`` with every secret setting replaced by ``MASK`` (empty stays empty)."""
    return mask_secrets(settings, SECRET_SETTINGS)
