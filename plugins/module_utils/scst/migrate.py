# -*- coding: utf-8 -*-
# Copyright: scst.iscsi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Configurations of other Linux iSCSI targets, converted to SCST's.

``ietd_to_config`` reads an iSCSI Enterprise Target /etc/iet/ietd.conf,
``tgt_to_config`` a Linux SCSI target framework /etc/tgt/targets.conf.  Both
return ``(config, report)``: the configuration in the shape of
``conf.normalise_config`` (what ``scst_config`` takes) and a list of sentences
about everything that has no SCST equivalent or was changed on the way, with
the line number where there is one.  CHAP secrets go into the configuration
(they are needed there) and never into the report.
"""

from __future__ import annotations

import re

from ansible_collections.scst.iscsi.plugins.module_utils.scst import catalog
from ansible_collections.scst.iscsi.plugins.module_utils.scst import values as v
from ansible_collections.scst.iscsi.plugins.module_utils.scst.conf import (
    MIB,
    ConfError,
    normalise_config,
    render_scst_conf,
)
from ansible_collections.scst.iscsi.plugins.module_utils.scst.errors import ValidationError
from ansible_collections.scst.iscsi.plugins.module_utils.scst.values import LUN_MAX

ACL_GROUP = "allowed"

# iSCSI session and target parameters both targets know, by lower-case name.
ISCSI_PARAMS = {
    "headerdigest": "HeaderDigest",
    "datadigest": "DataDigest",
    "initialr2t": "InitialR2T",
    "immediatedata": "ImmediateData",
    "maxrecvdatasegmentlength": "MaxRecvDataSegmentLength",
    "maxxmitdatasegmentlength": "MaxXmitDataSegmentLength",
    "maxburstlength": "MaxBurstLength",
    "firstburstlength": "FirstBurstLength",
    "maxoutstandingr2t": "MaxOutstandingR2T",
    "queuedcommands": "QueuedCommands",
    "maxsessions": "MaxSessions",
    "nopinterval": "NopInInterval",
    "noptimeout": "NopInTimeout",
    "rdmaextensions": "RDMAExtensions",
    "alias": "alias",
}
# Negotiated by iscsi-scstd with fixed values, or not implemented by it.
NO_SCST_EQUIVALENT = (
    "maxconnections", "defaulttime2wait", "defaulttime2retain", "datapduinorder", "datasequenceinorder",
    "errorrecoverylevel", "ifmarker", "ofmarker", "ifmarkint", "ofmarkint", "wthreads",
    "targetrecvdatasegmentlength", "initiatorrecvdatasegmentlength", "maxoutstandingunexpectedpdus",
)

_NAME_CHARS = re.compile(r"[^A-Za-z0-9_-]+")


def device_name(base, lun, taken):
    """A stable SCST device name for LUN ``lun`` of a target: ``<base>_lun<N>``.

    ``base`` is reduced to letters, digits, ``_`` and ``-`` (no ``/``, ``.`` or
    blanks), the result fits SCST's 64 bytes, and ``_2``, ``_3``... keep it
    unique among ``taken`` (which the caller then extends).
    """
    clean = _NAME_CHARS.sub("_", base).strip("_") or "dev"
    suffix = "_lun%d" % lun
    for count in range(1, len(taken) + 2):
        extra = "" if count == 1 else "_%d" % count
        name = clean[:v.DEVICE_NAME_MAX - len(suffix) - len(extra)].rstrip("_") + suffix + extra
        if name not in taken:
            return name
    raise AssertionError("unreachable: one of len(taken) + 1 candidates is free")


def target_base(target):
    """The last component of an iSCSI name: what follows the last ':' (or '.')."""
    name = target.rstrip(":.")
    for sep in (":", "."):
        if sep in name:
            return name.rsplit(sep, 1)[1]
    return name


class _Converter(object):
    """Collects devices, targets and report lines for one converted file."""

    def __init__(self):
        self.report = []
        self.handlers = {}
        self.driver = {"enabled": True, "attributes": {}, "chap": {"incoming": [], "outgoing": []},
                       "targets": {}}
        self.taken = set()
        self.by_store = {}

    def note(self, line, message):
        """``line`` 0: a remark about the whole file, listed after the numbered ones."""
        self.report.append((line or float("inf"), "line %d: %s" % (line, message) if line else message))

    # -- targets and CHAP ---------------------------------------------------------

    def target(self, name, line):
        warnings = []
        try:
            v.target_name("target", name, warnings=warnings)
        except ValidationError as exc:
            self.note(line, "target %s: not an iSCSI name SCST modules accept (%s); kept as it is, rename "
                            "it before applying" % (name, exc.rule))
        for warning in warnings:
            self.note(line, "target %s: %s (the modules apply it with this warning)"
                      % (name, warning.split(" ", 2)[2]))
        if name in self.driver["targets"]:
            self.note(line, "target %s is defined twice; the definitions are merged" % name)
            return self.driver["targets"][name]
        target = {"enabled": True, "attributes": {}, "allowed_portals": [],
                  "chap": {"incoming": [], "outgoing": []}, "luns": {}, "groups": {}}
        self.driver["targets"][name] = target
        return target

    def chap(self, line, owner, chap, direction, words):
        """One account; ``owner`` names the target or discovery.  Never reports the secret."""
        if len(words) != 2:
            self.note(line, "%s: %s CHAP account needs exactly a user name and a secret; not imported"
                      % (owner, direction))
            return
        user, secret = words
        try:
            v.chap_user("user", user)
        except ValidationError as exc:
            self.note(line, "%s: %s CHAP user %s: %s" % (owner, direction, user, exc.rule))
        try:
            v.chap_secret("secret", secret)
        except ValidationError as exc:
            self.note(line, "%s: the secret of %s CHAP user %s %s; imported as it is, change it before "
                            "applying" % (owner, direction, user, exc.rule))
        accounts = chap[direction]
        if direction == "outgoing" and accounts:
            self.note(line, "%s: a second outgoing CHAP user (%s); iSCSI allows one, the last one is kept"
                      % (owner, user))
            del accounts[:]
        if any(a["username"] == user for a in accounts):
            self.note(line, "%s: %s CHAP user %s is given twice; the last secret is kept" % (owner, direction, user))
            accounts[:] = [a for a in accounts if a["username"] != user]
        accounts.append({"username": user, "password": secret})

    def iscsi_param(self, line, owner, target, key, value):
        """A target/session parameter by name (any case); False when unknown."""
        lower = key.lower()
        if lower in ISCSI_PARAMS:
            name = ISCSI_PARAMS[lower]
            spec = catalog.TARGET_ATTRS[name]
            try:
                target["attributes"][name] = spec.desired(name, value)
            except ValidationError as exc:
                self.note(line, "%s: %s %s is not valid for SCST (%s); not imported" % (owner, key, value, exc.rule))
            else:
                if name.lower() != lower:
                    self.note(line, "%s: %s %s imported as SCST's %s" % (owner, key, value, name))
            return True
        if lower in NO_SCST_EQUIVALENT:
            self.note(line, "%s: %s %s is not a setting SCST offers (iscsi-scstd uses its own value); not imported"
                      % (owner, key, value))
            return True
        return False

    # -- devices ------------------------------------------------------------------

    def device(self, line, owner, *, handler, path, attrs, base, lun):
        """The SCST device for one LUN; LUNs on the same backing store share it."""
        store = (handler, path) if path else None
        if store in self.by_store:
            name, known = self.by_store[store]
            if known == attrs:
                self.note(line, "%s: LUN %d uses the same backing store as device %s; both LUNs export that "
                                "one SCST device" % (owner, lun, name))
                return name
            self.note(line, "%s: LUN %d uses backing store %s like device %s but with other settings; a second "
                            "device is created: check that this is intended" % (owner, lun, path, name))
        name = device_name(base, lun, self.taken)
        self.taken.add(name)
        device = {"attributes": dict(attrs)}
        if path:
            device["filename"] = path
        self.handlers.setdefault(handler, {"devices": {}})["devices"][name] = device
        if store is not None and store not in self.by_store:
            self.by_store[store] = (name, dict(attrs))
        return name

    def device_attr(self, line, owner, attrs, name, value, handler):
        spec = catalog.DEVICE_ATTRS[name]
        try:
            attrs[name] = spec.desired(name, value)
        except ValidationError as exc:
            self.note(line, "%s: %s %s is not valid for SCST (%s); not imported" % (owner, name, value, exc.rule))
            return
        if handler not in spec.where:
            self.note(line, "%s: %s does not apply to %s; not imported" % (owner, name, handler))
            del attrs[name]

    # -- result -------------------------------------------------------------------

    def result(self):
        for name, target in self.driver["targets"].items():
            for where, luns in [("target %s" % name, target["luns"])] + [
                    ("group %s of target %s" % (g, name), spec["luns"]) for g, spec in target["groups"].items()]:
                if luns and 0 not in luns:
                    self.note(0, "%s has no LUN 0; the LUN numbers are kept so that initiators find their disks "
                                 "at the same addresses, but some initiators only scan LUNs when there is a "
                                 "LUN 0" % where)
        config = normalise_config({"handlers": self.handlers, "drivers": {"iscsi": self.driver}})
        try:
            render_scst_conf(config)
        except ConfError as exc:
            self.note(0, "this configuration cannot be saved to /etc/scst.conf as it is: %s" % exc)
        return config, [text for _line, text in sorted(self.report, key=lambda note: note[0])]


# ---------------------------------------------------------------------------
# IET: /etc/iet/ietd.conf
# ---------------------------------------------------------------------------

def _logical_lines(text):
    """(line number, text) with comment lines dropped and backslash continuations joined."""
    out, pending, start = [], "", 0
    for number, raw in enumerate(text.split("\n"), 1):
        line = raw.rstrip("\r")
        if not pending and line.lstrip().startswith("#"):
            continue
        if line.endswith("\\"):
            if not pending:
                start = number
            pending += line[:-1] + " "
            continue
        if pending:
            line, pending = pending + line, ""
        else:
            start = number
        if line.strip():
            out.append((start, line.strip()))
    if pending.strip():
        out.append((start, pending.strip()))
    return out


def _lun_options(text):
    options = {}
    for item in text.split(","):
        item = item.strip()
        if not item:
            continue
        key, _sep, value = item.partition("=")
        options[key.strip().lower()] = (key.strip(), value.strip())
    return options


class _Ietd(_Converter):
    """IET: ``Target`` stanzas; everything before the first one is global."""

    def __init__(self):
        super().__init__()
        self.bases = {}

    def convert(self, text):
        target = owner = None
        isns = {}
        for line, content in _logical_lines(text):
            key, rest = (content.split(None, 1) + [""])[:2]
            rest = rest.strip()
            lower = key.lower()
            if lower == "target":
                if not rest or len(rest.split()) != 1:
                    self.note(line, "Target needs exactly one name; this stanza is skipped")
                    target, owner = None, "skipped target"
                    continue
                owner = "target %s" % rest
                target = self.target(rest, line)
                self.bases[id(target)] = target_base(rest)
                continue
            if owner == "skipped target":
                continue
            if target is None:
                self.global_line(line, key, rest, isns)
            elif lower in ("incominguser", "outgoinguser"):
                self.chap(line, owner, target["chap"], lower[:8], rest.split())
            elif lower == "lun":
                self.lun(line, owner, target, rest)
            elif not self.iscsi_param(line, owner, target, key, rest):
                self.note(line, "%s: unknown IET parameter %s; not imported" % (owner, key))
        if isns.get("server"):
            self.driver["attributes"]["iSNSServer"] = isns["server"] + (" AccessControl" if isns.get("ac") else "")
        self.note(0, "IET keeps access rules in /etc/iet/initiators.allow and /etc/iet/targets.allow, which were "
                     "not read: express initiator rules as initiator groups (groups with initiators and LUNs) "
                     "and address rules as allowed_portals of the targets")
        return self.result()

    def global_line(self, line, key, rest, isns):
        lower = key.lower()
        if lower in ("incominguser", "outgoinguser"):
            self.chap(line, "discovery", self.driver["chap"], lower[:8], rest.split())
        elif lower == "isnsserver":
            isns["server"] = rest
        elif lower == "isnsaccesscontrol":
            isns["ac"] = rest.lower() == "yes"
        else:
            self.note(line, "global parameter %s has no SCST equivalent; not imported" % key)

    def lun(self, line, owner, target, rest):
        number_text, options_text = (rest.split(None, 1) + [""])[:2]
        if not re.match(r"^\d+$", number_text) or int(number_text) > LUN_MAX:
            self.note(line, "%s: Lun %s is not a LUN number from 0 to %d; not imported" % (owner, number_text, LUN_MAX))
            return
        number = int(number_text)
        options = _lun_options(options_text)
        kind = options.pop("type", ("Type", ""))[1].lower()
        path = options.pop("path", ("Path", ""))[1]
        if not kind:
            kind = "blockio" if path.startswith("/dev/") else "fileio"
            self.note(line, "%s: Lun %d has no Type (IET used fileio); %s becomes vdisk_%s"
                      % (owner, number, path or "it", kind))
        handler = {"fileio": catalog.FILEIO, "blockio": catalog.BLOCKIO, "nullio": catalog.NULLIO}.get(kind)
        if handler is None:
            self.note(line, "%s: Lun %d: Type=%s has no SCST equivalent; not imported" % (owner, number, kind))
            return
        if handler != catalog.NULLIO and not path:
            self.note(line, "%s: Lun %d has no Path; not imported" % (owner, number))
            return
        if handler == catalog.FILEIO and path.startswith("/dev/"):
            self.note(line, "%s: Lun %d: Type=fileio on a block device stays vdisk_fileio (page cache, as in IET); "
                            "vdisk_blockio is usually the better choice for a block device" % (owner, number))
        attrs, read_only = {}, False
        blocksize = 512
        for lower, (key, value) in sorted(options.items()):
            if lower == "iomode":
                mode = value.lower()
                if mode == "ro":
                    attrs["read_only"], read_only = "1", True
                elif mode == "wt":
                    attrs["write_through"] = "1"
                elif mode != "wb":
                    self.note(line, "%s: Lun %d: IOMode=%s is not ro, wb or wt; not imported" % (owner, number, value))
            elif lower == "scsiid":
                self.device_attr(line, owner, attrs, "t10_dev_id", value, handler)
            elif lower == "scsisn":
                self.device_attr(line, owner, attrs, "usn", value, handler)
            elif lower == "blocksize":
                self.device_attr(line, owner, attrs, "blocksize", value, handler)
                if "blocksize" in attrs:
                    blocksize = int(attrs["blocksize"])
            elif lower not in ("blocks", "sectors"):
                self.note(line, "%s: Lun %d: option %s has no SCST equivalent; not imported" % (owner, number, key))
        if handler == catalog.NULLIO:
            self.nullio_size(line, owner, number, options, blocksize, attrs)
        elif "blocks" in options or "sectors" in options:
            self.note(line, "%s: Lun %d: Blocks/Sectors apply to nullio only; not imported" % (owner, number))
        if number in target["luns"]:
            self.note(line, "%s: Lun %d is defined twice; the last definition is kept" % (owner, number))
        name = self.device(line, owner, handler=handler, path=path if handler != catalog.NULLIO else "",
                           attrs=attrs, base=self.bases[id(target)], lun=number)
        target["luns"][number] = {"device": name, "read_only": read_only}

    def nullio_size(self, line, owner, number, options, blocksize, attrs):
        key = "blocks" if "blocks" in options else "sectors" if "sectors" in options else None
        if key is None:
            self.note(line, "%s: Lun %d: nullio without Blocks gets SCST's default size (2.5 TiB)" % (owner, number))
            return
        count = options[key][1]
        if not re.match(r"^\d+$", count):
            self.note(line, "%s: Lun %d: %s=%s is not a number; SCST's default size is used"
                      % (owner, number, options[key][0], count))
            return
        size = int(count) * (blocksize if key == "blocks" else 512)
        mb = -(-size // MIB)
        attrs["size_mb"] = str(mb)
        if size % MIB:
            self.note(line, "%s: Lun %d: nullio size %d bytes rounded up to %d MiB (SCST's modules size nullio "
                            "devices in MiB)" % (owner, number, size, mb))


def ietd_to_config(text):
    """Convert an IET ietd.conf to ``(config, report)``."""
    return _Ietd().convert(text)


# ---------------------------------------------------------------------------
# tgt: /etc/tgt/targets.conf
# ---------------------------------------------------------------------------

_TAG = re.compile(r"^<\s*(/?)\s*([A-Za-z_-]+)\s*(.*?)\s*>$")
# LUN directives with an SCST equivalent, and those without one.
_LUN_MAPPED = ("bs-type", "write-cache", "readonly", "vendor_id", "product_id", "product_rev", "scsi_id",
               "scsi_sn", "block-size", "device-type", "removable")
_LUN_UNMAPPED = ("allow-in-use", "online", "mode_page", "sense_format", "params", "bsopts", "bsoflags", "path",
                 "lbppbe", "la_lba", "optimal_xfer_gran", "optimal_xfer_len")
# Backing-store options may carry credentials (rbd, glfs): reported by name only.
_OPAQUE = ("params", "bsopts", "bsoflags")


def _shown(key, value):
    return key if key.lower() in _OPAQUE else "%s %s" % (key, value)


class _Section(object):
    __slots__ = ("kind", "name", "line", "directives", "children")

    def __init__(self, kind, name, line):
        self.kind = kind
        self.name = name
        self.line = line
        self.directives = []     # (line, lower-case key, key, value)
        self.children = []


def _strip_comment(line):
    """Config::General: '#' starts a comment unless escaped as '\\#'."""
    out, escaped = [], False
    for char in line:
        if escaped:
            out.append(char if char == "#" else "\\" + char)
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == "#":
            break
        else:
            out.append(char)
    if escaped:
        out.append("\\")
    return "".join(out)


def _unquote(value):
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1]
    return value


class _Tgt(_Converter):

    def parse(self, text):
        root = _Section("root", "", 0)
        stack = [root]
        lines = [(n, _strip_comment(t)) for n, t in _logical_lines(text)]
        for line, content in lines:
            content = content.strip()
            if not content:
                continue
            tag = _TAG.match(content)
            if tag:
                closing, kind, name = tag.group(1), tag.group(2).lower(), _unquote(tag.group(3))
                if closing:
                    if stack[-1].kind != kind:
                        self.note(line, "</%s> does not close <%s>; ignored" % (kind, stack[-1].kind))
                        continue
                    stack.pop()
                    continue
                if kind not in ("target", "backing-store", "direct-store"):
                    self.note(line, "<%s> sections are not known; their content is not imported" % kind)
                section = _Section(kind, name, line)
                stack[-1].children.append(section)
                stack.append(section)
                continue
            match = re.match(r"^(\S+?)\s*(?:=\s*|\s+)(.*)$", content)
            key, value = (match.group(1), _unquote(match.group(2))) if match else (content, "")
            stack[-1].directives.append((line, key.lower(), key, value))
        for section in stack[1:]:
            self.note(section.line, "<%s %s> is not closed" % (section.kind, section.name))
        return root

    def convert(self, text):
        root = self.parse(text)
        self.globals(root)
        for section in root.children:
            if section.kind == "target":
                self.target_section(section)
            else:
                self.note(section.line, "<%s> outside a target; not imported" % section.kind)
        return self.result()

    def globals(self, root):
        isns = {}
        for line, lower, key, value in root.directives:
            if lower == "incomingdiscoveryuser":
                self.chap(line, "discovery", self.driver["chap"], "incoming", value.split())
            elif lower == "outgoingdiscoveryuser":
                self.chap(line, "discovery", self.driver["chap"], "outgoing", value.split())
            elif lower == "default-driver":
                if value.lower() != "iscsi":
                    self.note(line, "default-driver %s: the targets are imported for SCST's iscsi driver "
                                    "(iSER needs isert-scst)" % value)
            elif lower in ("isnsserverip", "isnsaccesscontrol", "isns", "isnsserverport"):
                isns[lower] = (line, value)
            elif lower == "include":
                self.note(line, "include %s: included files are not read; convert them separately" % value)
            else:
                self.note(line, "global directive %s has no SCST equivalent; not imported" % key)
        if "isnsserverip" in isns:
            line, server = isns["isnsserverip"]
            if isns.get("isns", (0, ""))[1].lower() != "on":
                self.note(line, "iSNSServerIP without 'iSNS On' (iSNS is off in tgt); not imported")
            else:
                control = isns.get("isnsaccesscontrol", (0, ""))[1].lower() == "on"
                self.driver["attributes"]["iSNSServer"] = server + (" AccessControl" if control else "")
            port = isns.get("isnsserverport")
            if port and port[1] != "3205":
                self.note(port[0], "iSNSServerPort %s: SCST talks to the iSNS server on its standard port; not "
                                   "imported" % port[1])

    def target_section(self, section):
        name = section.name
        owner = "target %s" % name
        if not name:
            self.note(section.line, "<target> without a name; skipped")
            return
        target = self.target(name, section.line)
        defaults, names, addresses = {}, [], []
        for line, lower, key, value in section.directives:
            if lower in ("backing-store", "direct-store"):
                continue
            if lower in ("incominguser", "outgoinguser"):
                self.chap(line, owner, target["chap"], lower[:8], value.split())
            elif lower == "initiator-name":
                names.append((line, value))
            elif lower == "initiator-address":
                addresses.append((line, value))
            elif lower == "driver":
                if value.lower() != "iscsi":
                    self.note(line, "%s: driver %s: imported for SCST's iscsi driver (iSER needs isert-scst)"
                              % (owner, value))
            elif lower == "lun":
                self.note(line, "%s: lun outside a <backing-store> or <direct-store> section has no meaning; "
                                "ignored" % owner)
            elif lower in _LUN_MAPPED:
                defaults[lower] = (line, key, value)
                if lower in ("scsi_id", "scsi_sn"):
                    self.note(line, "%s: %s at target level gives every LUN the same identifier; multipath "
                                    "initiators will take them for one disk" % (owner, key))
            elif lower in _LUN_UNMAPPED:
                self.note(line, "%s: %s (for every LUN) has no SCST equivalent; not imported" % (owner, _shown(key, value)))
            elif not self.iscsi_param(line, owner, target, key, value):
                self.note(line, "%s: directive %s has no SCST equivalent; not imported" % (owner, key))
        stores = []
        for kind in ("backing-store", "direct-store"):   # tgt numbers backing stores first
            for line, lower, _key, value in section.directives:
                if lower == kind:
                    stores.append((kind, value, line, {}))
            for child in section.children:
                if child.kind == kind:
                    stores.append((kind, child.name, child.line,
                                   dict((lo, (ln, k, val)) for ln, lo, k, val in child.directives)))
        for child in section.children:
            if child.kind not in ("backing-store", "direct-store"):
                self.note(child.line, "%s: <%s> inside a target is not known; not imported" % (owner, child.kind))
        self.luns(owner, target, name, stores, defaults)
        self.acl(section.line, owner, target, names, addresses)

    def luns(self, owner, target, name, stores, defaults):
        explicit = set()
        for _kind, _path, line, options in stores:
            if "lun" in options:
                number = options["lun"][2]
                if re.match(r"^\d+$", number) and int(number) <= LUN_MAX:
                    explicit.add(int(number))
        next_free = 1   # tgt's LUN 0 is its own controller
        for kind, path, line, options in stores:
            merged = dict(defaults)
            merged.update(options)
            number = None
            if "lun" in options:
                text = options["lun"][2]
                if re.match(r"^\d+$", text) and int(text) <= LUN_MAX:
                    number = int(text)
                else:
                    self.note(options["lun"][0], "%s: lun %s is not a number from 0 to %d; numbered "
                                                 "automatically" % (owner, text, LUN_MAX))
            if number is None:
                while next_free in explicit or next_free in target["luns"]:
                    next_free += 1
                number = next_free
                next_free += 1
            if number in target["luns"]:
                self.note(line, "%s: LUN %d is given twice; the last one is kept" % (owner, number))
            self.store(line, owner, target, name, kind, path, number, merged)

    def store(self, line, owner, target, name, kind, path, number, options):
        bs_type = options.pop("bs-type", (line, "bs-type", "rdwr"))[2].lower()
        if bs_type in ("sg", "bsg", "rbd", "glfs", "sheepdog", "ssc", "ssc2"):
            self.note(line, "%s: LUN %d (%s, bs-type %s) has no vdisk equivalent in SCST; not imported%s"
                      % (owner, number, path, bs_type,
                         " (pass SCSI devices through with the dev_* handlers by H:C:I:L)"
                         if bs_type in ("sg", "bsg") else ""))
            return
        if bs_type == "null":
            handler = catalog.NULLIO
        elif bs_type in ("rdwr", "aio", "mmap"):
            handler = catalog.BLOCKIO if path.startswith("/dev/") else catalog.FILEIO
        else:
            self.note(line, "%s: LUN %d: bs-type %s is not known; not imported" % (owner, number, bs_type))
            return
        if kind == "direct-store":
            self.note(line, "%s: LUN %d: direct-store (tgt copies the disk's identity with sg_inq) becomes a "
                            "%s device; set t10_vend_id/prod_id/usn if initiators must see the same identity"
                      % (owner, number, handler))
        if handler == catalog.NULLIO:
            self.note(line, "%s: LUN %d: a null backing store becomes vdisk_nullio with SCST's default size"
                      % (owner, number))
        attrs, read_only = {}, False
        for lower in sorted(options):
            oline, key, value = options[lower]
            if lower == "lun":
                continue
            if lower == "write-cache":
                if value.lower() == "off":
                    attrs["write_through"] = "1"
                elif value.lower() != "on":
                    self.note(oline, "%s: LUN %d: write-cache %s is not on or off; not imported" % (owner, number, value))
            elif lower == "readonly":
                if value.lower() in ("1", "yes", "on"):
                    attrs["read_only"], read_only = "1", True
                elif value.lower() not in ("0", "no", "off"):
                    self.note(oline, "%s: LUN %d: readonly %s is not 0 or 1; not imported" % (owner, number, value))
            elif lower in ("vendor_id", "product_id", "product_rev", "scsi_id", "scsi_sn", "block-size", "removable"):
                scst = {"vendor_id": "t10_vend_id", "product_id": "prod_id", "product_rev": "prod_rev_lvl",
                        "scsi_id": "t10_dev_id", "scsi_sn": "usn", "block-size": "blocksize",
                        "removable": "removable"}[lower]
                self.device_attr(oline, owner, attrs, scst, value, handler)
            elif lower == "device-type":
                if value.lower() != "disk":
                    self.note(oline, "%s: LUN %d: device-type %s is imported as a disk (SCST's vcdrom and "
                                     "pass-through handlers are separate)" % (owner, number, value))
            else:
                self.note(oline, "%s: LUN %d: %s has no SCST equivalent; not imported" % (owner, number, _shown(key, value)))
        if read_only and "write_through" in attrs:
            del attrs["write_through"]   # SCST refuses read_only together with write_through
        device = self.device(line, owner, handler=handler, path=path if handler != catalog.NULLIO else "",
                             attrs=attrs, base=target_base(name), lun=number)
        target["luns"][number] = {"device": device, "read_only": read_only}

    def acl(self, line, owner, target, names, addresses):
        real_addresses = [(ln, a) for ln, a in addresses if a.upper() != "ALL"]
        for aline, address in real_addresses:
            self.note(aline, "%s: initiator-address %s: SCST cannot admit initiators by their address; use a "
                             "firewall, or allowed_portals / per_portal_acl to limit the target's own portals"
                      % (owner, address))
        if not names:
            return
        initiators = []
        for nline, name in names:
            try:
                initiators.append(v.initiator_name("initiator", name))
            except ValidationError as exc:
                self.note(nline, "%s: initiator-name %s: %s; not imported" % (owner, name, exc.rule))
        if not initiators:
            return
        target["groups"][ACL_GROUP] = {"initiators": initiators, "luns": target["luns"], "attributes": {}}
        target["luns"] = {}
        self.note(names[0][0], "%s: the initiator-name ACL becomes initiator group %s, which holds the LUNs; "
                               "initiators not listed can still log in but see no LUNs%s"
                  % (owner, ACL_GROUP, " (the initiator-address rules are not part of it)" if real_addresses
                     else ""))


def tgt_to_config(text):
    """Convert a tgt targets.conf to ``(config, report)``."""
    return _Tgt().convert(text)
