"""iSCSI: the parts owned by the user-space daemon iscsi-scstd (spec 4.8).

The kernel module only forwards iSCSI mgmt commands and most attribute
reads/writes to the daemon.  This module models the daemon: target
parameters with their defaults/ranges/normalisation, CHAP accounts with the
multi-instance file naming of 4.8.4, allowed portals, driver level settings,
and what happens when the daemon is not connected (EPERM) or exits (all
iSCSI targets disappear).
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

from .errors import EBUSY, EEXIST, EINVAL, ENOENT, EPERM, fail
from .lexer import Cursor, c_strtol
from .model import ChapUser, IscsiDaemon, IscsiTargetData, Portal, Target

ISCSI = "iscsi"
MAX_NAME = 255
MIN_SECRET = 12


@dataclass(frozen=True)
class IscsiParam:
    name: str
    default: str
    kind: str          # "num", "yesno", "digest"
    lo: int = 0
    hi: int = 0


ISCSI_PARAMS = {p.name: p for p in [
    IscsiParam("QueuedCommands", "32", "num", 1, 2048),
    IscsiParam("RspTimeout", "90", "num", 2, 65535),
    IscsiParam("NopInInterval", "30", "num", 0, 65535),
    IscsiParam("NopInTimeout", "30", "num", 2, 65535),
    IscsiParam("MaxSessions", "0", "num", 0, 65535),
    IscsiParam("InitialR2T", "No", "yesno"),
    IscsiParam("ImmediateData", "Yes", "yesno"),
    IscsiParam("MaxRecvDataSegmentLength", "1048576", "num", 512, 1048576),
    IscsiParam("MaxXmitDataSegmentLength", "1048576", "num", 512, 1048576),
    IscsiParam("MaxBurstLength", "1048576", "num", 512, 1048576),
    IscsiParam("FirstBurstLength", "65536", "num", 512, 1048576),
    IscsiParam("MaxOutstandingR2T", "32", "num", 1, 65535),
    IscsiParam("HeaderDigest", "None", "digest"),
    IscsiParam("DataDigest", "None", "digest"),
    IscsiParam("RDMAExtensions", "No", "yesno"),
]}
_PARAM_BY_LOWER = {name.lower(): p for name, p in ISCSI_PARAMS.items()}

# Multi-instance attribute words (canonical spelling).
CHAP_ATTRS = ("IncomingUser", "OutgoingUser")
MULTI_ATTRS = CHAP_ATTRS + ("allowed_portal",)
_SUFFIXED = re.compile(r"^(.*?)(\d*)$")


def normalize_param(param: IscsiParam, raw: str) -> str:
    """Validate a daemon parameter value, return its canonical string."""
    if param.kind == "num":
        value = c_strtol(raw)
        if value < 0 or not param.lo <= value <= param.hi:
            fail(EINVAL, f"{param.name} out of range")
        return str(value)
    if param.kind == "yesno":
        if raw not in ("Yes", "No"):
            fail(EINVAL, f"{param.name} must be Yes or No")
        return raw
    none = crc = False
    for item in raw.split(","):
        item = item.lstrip()
        if item[:4].lower() == "none":
            none = True
        elif item[:6].lower() == "crc32c":
            crc = True
        else:
            fail(EINVAL, f"bad digest {item!r}")
    return ",".join(w for w, on in (("None", none), ("CRC32C", crc)) if on)


def render_daemon(text: str) -> str:
    """The kernel prints the daemon's string followed by one newline."""
    return text + "\n"


def daemon_keyed(value: str, key: bool) -> str:
    return render_daemon(f"{value}\n[key]\n" if key else value)


def instance_name(template: str, taken) -> str:
    """Sysfs file name for a new multi-instance attribute (spec 4.8.4)."""
    if template not in taken:
        return template
    n = 1
    while f"{template}{n}" in taken:
        n += 1
    return f"{template}{n}"


def _split_attr_word(word: str):
    """'IncomingUser1' -> ('IncomingUser', 'IncomingUser1') or (None, None)."""
    base, digits = _SUFFIXED.match(word).groups()
    for canonical in MULTI_ATTRS:
        if base.lower() == canonical.lower():
            return canonical, canonical + digits
    return None, None


def _valid_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
        return True
    except ValueError:
        return False


class IscsiOps:
    """Mixin for :class:`~scst_emulator.emulator.ScstEmulator`."""

    # ------------------------------------------------------------ helpers --

    @property
    def daemon(self) -> IscsiDaemon:
        return self.state.iscsi

    def iscsi_require_daemon(self) -> None:
        if not self.daemon.running:
            fail(EPERM, "User space process is not connected. Is iscsi-scstd running?")

    def _iscsi_lookup(self, name: str) -> Target:
        """Daemon side lookup: case-insensitive, ENOENT when missing."""
        for tgt in self.targets_of(ISCSI).values():
            if tgt.name.lower() == name.lower():
                return tgt
        fail(ENOENT, f"Target {name} not found")

    # ------------------------------------------------------ daemon on/off --

    def daemon_stop(self, cleanup: bool = True) -> None:
        """iscsi-scstd exits.  With ``cleanup`` (what the kernel really does)
        every iSCSI target and daemon attribute disappears; without it the
        objects stay but every daemon round trip fails with EPERM."""
        self.daemon.running = False
        if cleanup:
            for tgt in list(self.targets_of(ISCSI).values()):
                self.remove_target(tgt)
            tid, sid = self.daemon.next_tid, self.daemon.next_sid
            self.state.iscsi = IscsiDaemon(running=False, attrs=False,
                                           next_tid=tid, next_sid=sid)

    def daemon_start(self) -> None:
        """A (re)started daemon: driver attributes back at their defaults."""
        if not self.daemon.attrs:
            tid, sid = self.daemon.next_tid, self.daemon.next_sid
            self.state.iscsi = IscsiDaemon(running=True, next_tid=tid, next_sid=sid)
        self.daemon.running = True

    # ------------------------------------------------------ add/del target --

    def iscsi_add_target(self, name: str, params: str) -> None:
        self.iscsi_require_daemon()
        name = name[:MAX_NAME]
        targets = self.targets_of(ISCSI)
        if any(t.name.lower() == name.lower() for t in targets.values()):
            fail(EEXIST, f"Target {name} exists")
        if any(t.sysfs_name == name.replace("/", "!") for t in targets.values()):
            fail(EEXIST, "sysfs name collision")
        data = IscsiTargetData(tid=0, params={p: d.default for p, d in ISCSI_PARAMS.items()})
        for item in re.split(r"[;\n]", params):
            item = item.strip()
            if item:
                self._apply_target_conf_line(data, item)
        data.tid = self.daemon.next_tid
        self.daemon.next_tid += 1
        targets[name] = Target(driver=ISCSI, name=name, iscsi=data)

    def _apply_target_conf_line(self, data: IscsiTargetData, item: str) -> None:
        m = re.match(r"^([^=\s]+)[=\s]*(.*)$", item)
        key, value = m.group(1), m.group(2).strip()
        if key.lower() == "alias":
            return
        param = _PARAM_BY_LOWER.get(key.lower())
        if param is not None:
            if not value or len(value.split()) != 1:
                fail(EINVAL, f"bad value for {key}")
            data.params[param.name] = normalize_param(param, value)
            return
        canonical, template = _split_attr_word(key)
        if canonical in CHAP_ATTRS:
            self._chap_add(self._chap_list(data, canonical), canonical, template,
                           Cursor(value))
            return
        fail(EINVAL, f"Syntax error at {key}")

    def iscsi_del_target(self, name: str) -> None:
        tgt = self.find_target(ISCSI, name)      # kernel lookup: case-sensitive
        if tgt is None:
            fail(ENOENT, f"Target {name} not found")
        if tgt.sessions:
            fail(EBUSY, "target has sessions")
        self.iscsi_require_daemon()
        self.remove_target(tgt)

    # ------------------------------------------- attribute mgmt commands --

    def iscsi_driver_command(self, data: str) -> None:
        self.iscsi_require_daemon()
        cur = Cursor(data)
        verb = cur.lexem().lower()
        if verb in ("add_attribute", "del_attribute"):
            holder = None
        elif verb in ("add_target_attribute", "del_target_attribute"):
            holder = self._iscsi_lookup(cur.lexem()).iscsi
        else:
            fail(EINVAL, f"Syntax error at {verb}")
        word = cur.lexem()
        canonical, template = _split_attr_word(word)
        if canonical is None or (holder is None and canonical == "allowed_portal"):
            fail(EINVAL, f"Syntax error at {word}")
        adding = verb.startswith("add")
        if canonical == "allowed_portal":
            if adding:
                self._portal_add(holder, template, cur)
            else:
                self._portal_del(holder, cur)
            return
        lst = self._chap_list(holder if holder is not None else self.daemon, canonical)
        if adding:
            self._chap_add(lst, canonical, template, cur)
        else:
            user = cur.lexem()
            if not user:
                fail(EINVAL, "user name required")
            for acc in lst:
                if acc.user == user:
                    lst.remove(acc)
                    return
            fail(ENOENT, f"user {user} not found")

    @staticmethod
    def _chap_list(holder, canonical: str) -> list:
        return holder.incoming if canonical == "IncomingUser" else holder.outgoing

    @staticmethod
    def _chap_add(lst: list, canonical: str, template: str, cur: Cursor) -> None:
        user, secret = cur.lexem(), cur.lexem()
        if not user or not secret:
            fail(EINVAL, "Name or password is NULL")
        if len(secret) < MIN_SECRET:
            fail(EINVAL, "secret too short")
        if any(acc.user == user for acc in lst):
            fail(EINVAL, f"user {user} already exists")
        if canonical == "OutgoingUser" and lst:
            fail(EEXIST, "OutgoingUser exists")
        name = instance_name(template, {acc.sysfs_name for acc in lst})
        lst.append(ChapUser(name, user, secret))

    @staticmethod
    def _portal_add(data: IscsiTargetData, template: str, cur: Cursor) -> None:
        pattern = cur.lexem()
        if not pattern or cur.lexem():
            fail(EINVAL, "exactly one portal pattern expected")
        if any(p.pattern == pattern for p in data.portals):
            fail(EINVAL, "portal exists")
        name = instance_name(template, {p.sysfs_name for p in data.portals})
        data.portals.append(Portal(name, pattern))

    @staticmethod
    def _portal_del(data: IscsiTargetData, cur: Cursor) -> None:
        pattern = cur.lexem()
        for portal in data.portals:
            if portal.pattern == pattern:
                data.portals.remove(portal)
                return
        fail(EINVAL, f"portal {pattern} not found")

    # ------------------------------------------ daemon-owned file writes --

    def iscsi_param_store(self, tgt: Target, param: IscsiParam, data: str) -> None:
        words = data.split()
        if len(words) != 1:
            fail(EINVAL, "exactly one value expected")
        if words[0] == ":default:":
            tgt.iscsi.params[param.name] = param.default
        else:
            tgt.iscsi.params[param.name] = normalize_param(param, words[0])

    @staticmethod
    def chap_file_store(lst: list, acc: ChapUser, data: str) -> None:
        cur = Cursor(data)
        user, secret = cur.lexem(), cur.lexem()
        if not user or not secret:
            fail(EINVAL, "user and secret required")
        if any(other is not acc and other.user == user for other in lst):
            fail(EEXIST, f"user {user} used by another instance")
        acc.user, acc.secret = user, secret

    @staticmethod
    def portal_file_store(portal: Portal, data: str) -> None:
        words = data.split()
        if len(words) != 1:
            fail(EINVAL, "one pattern expected")
        portal.pattern = words[0]

    @staticmethod
    def exact_01(data: str) -> int:
        text = data.strip()
        if text not in ("0", "1"):
            fail(EINVAL, "0 or 1 expected")
        return int(text)

    @staticmethod
    def redirect_store(data: IscsiTargetData, text: str) -> None:
        words = text.split()
        if not words:
            data.redirect = ""
            return
        if len(words) != 2 or words[1] not in ("temp", "perm"):
            fail(EINVAL, "usage: <addr>[:port] temp|perm")
        m = re.match(r"^\[([^\]]+)\](?::(\d+))?$", words[0]) or \
            re.match(r"^([^:]+)(?::(\d+))?$", words[0])
        if not m or not _valid_ip(m.group(1)):
            fail(EINVAL, "bad redirect address")
        port = int(m.group(2)) if m.group(2) else 3260
        if not 1 <= port <= 65535:
            fail(EINVAL, "bad port")
        addr = f"[{m.group(1)}]" if ":" in m.group(1) else m.group(1)
        data.redirect = (addr if port == 3260 else f"{addr}:{port}") + " " + words[1]

    def isns_store(self, text: str) -> None:
        words = text.split()
        d = self.daemon
        if not words:
            d.isns_server, d.isns_access_control = "", False
            return
        access = False
        if len(words) > 1:
            if words[1] != "AccessControl" or len(words) > 3 or \
                    (len(words) == 3 and words[2] != "No"):
                fail(EINVAL, "usage: <server> [AccessControl [No]]")
            access = len(words) == 2
        d.isns_server, d.isns_access_control = words[0], access

    def internal_portal_store(self, text: str) -> None:
        words = text.split()
        if not all(_valid_ip(w) for w in words):
            fail(EINVAL, "numeric addresses expected")
        self.daemon.internal_portal = " ".join(words)

    # ------------------------------------------------------------ sessions --

    def iscsi_session_name(self, tgt: Target, initiator: str, target_ip: str) -> str:
        """With per_portal_acl the session is matched as '<iqn>#<portal>'."""
        if tgt.iscsi is not None and tgt.iscsi.per_portal_acl:
            return f"{initiator}#{target_ip}"
        return initiator
