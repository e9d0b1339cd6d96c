# -*- coding: utf-8 -*-
# Copyright: scst.iscsi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""/etc/scst.conf, written and read the way scstadmin really reads it.

The configuration shape is the one ``info.read_configuration`` returns and
``scst_config`` takes: SCST root attributes, devices by handler, target
drivers with their targets, LUNs (integer keys), initiator groups, CHAP
accounts and ALUA device groups, attribute values as the strings SCST shows.

What scstadmin does to every line of the file, in this order (and what the
writer therefore has to respect):

1. a line starting with ``#`` is empty;
2. the first ``#`` that does not follow a backslash starts a comment, and the
   character just before it goes too (``a#b`` is empty): a literal ``#`` is
   written ``\\#``;
3. a line like ``[HANDLER ...]`` means the old pre-sysfs format;
4. every ``\\x`` becomes ``x`` (so a backslash is written ``\\\\``);

then, over the whole text: ``{`` opens a section whose header is the text
before it on the same line, ``}`` closes one and loses any text before it on
its line, a line break ends an entry.  An entry is at most three tokens (a
double-quoted string or a run of non-blanks).  ``K V`` repeated with the same
``V`` replaces the earlier entry; with different values ``K`` has several
values.  There is no escape for ``"``, ``{``, ``}`` or a line break: values
holding them cannot be written.
"""

from __future__ import annotations

import copy
import re

from ansible_collections.scst.iscsi.plugins.module_utils.scst import catalog
from ansible_collections.scst.iscsi.plugins.module_utils.scst import values as v
from ansible_collections.scst.iscsi.plugins.module_utils.scst.errors import ValidationError
from ansible_collections.scst.iscsi.plugins.module_utils.scst.plan import MASK

MIB = 1 << 20
HEADER = "# SCST configuration written by the scst.iscsi Ansible collection (read by scstadmin -config)."
ALUA_STATES = ("active", "nonoptimized", "standby", "unavailable", "offline", "transitioning")

_DIRECTIONS = (("incoming", "IncomingUser"), ("outgoing", "OutgoingUser"))
_ATTR_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.:-]*$")
_BLANKS = " \t\r\f\v"
_UNWRITABLE = {'"': "a double quote", "\n": "a line break", "\r": "a carriage return",
               "{": "a '{'", "}": "a '}'"}
_COMMENT = re.compile(r"[^\\]#.*")
_ESCAPE = re.compile(r"\\(.)")
_DEPRECATED = re.compile(r"^\s*\[\s*(HANDLER|GROUP|ASSIGNMENT)\b")
_MULTI = re.compile(r"^(IncomingUser|OutgoingUser|allowed_portal)\d*$")
_DECIMAL = re.compile(r"^(0|[1-9][0-9]*)$")

# Names that are structure, not attributes, at each level of the file.
_RESERVED = {
    "root": ("HANDLER", "TARGET_DRIVER", "DEVICE_GROUP", "ALUA"),
    "handler": ("DEVICE",),
    "device": ("filename", "DEVICE"),
    "driver": ("enabled", "TARGET", "IncomingUser", "OutgoingUser"),
    "target": ("enabled", "LUN", "GROUP", "HW_TARGET", "hw_target", "IncomingUser", "OutgoingUser",
               "allowed_portal"),
    "lun": ("read_only",),
    "group": ("LUN", "INITIATOR"),
    "alua": (),
    "device_group": ("DEVICE", "TARGET_GROUP"),
    "target_group": ("group_id", "state", "preferred", "TARGET"),
}
_STRUCTURE_KEY = {"IncomingUser": "chap", "OutgoingUser": "chap", "allowed_portal": "allowed_portals",
                  "LUN": "luns", "GROUP": "groups", "TARGET": "targets", "INITIATOR": "initiators",
                  "DEVICE": "devices", "HW_TARGET": "hw_target", "HANDLER": "handlers",
                  "TARGET_DRIVER": "drivers", "DEVICE_GROUP": "device_groups", "ALUA": "alua_attributes",
                  "TARGET_GROUP": "target_groups"}
# Information that read_configuration or scst_info return next to the configuration.
_RUNTIME_KEYS = {"top": ("version", "loaded_handlers", "runtime"), "driver": ("daemon_running",),
                 "target": ("sessions",)}


class ConfError(ValidationError):
    """A configuration that cannot be written to, or read from, scst.conf.

    ``field`` is the place (a path such as ``drivers.iscsi.targets.T.luns.x``,
    an object such as ``target T``, or ``line N`` of a file), ``rule`` what is
    wrong there.  Messages never carry a CHAP secret.
    """


# ---------------------------------------------------------------------------
# The normal form
# ---------------------------------------------------------------------------

def _mapping(where, value):
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ConfError(where, "must be a mapping")
    return value


def _only(where, value, allowed, ignored=()):
    unknown = sorted(str(k) for k in value if k not in allowed and k not in ignored)
    if unknown:
        raise ConfError(where, "unknown key %s (allowed: %s)" % (unknown[0], ", ".join(allowed)))


def _text(where, value):
    if isinstance(value, bool):
        return "1" if value else "0"
    if value is None:
        return ""
    if isinstance(value, (int, str)):
        return str(value)
    raise ConfError(where, "must be a string")


def _name(where, value):
    text = _text(where, value)
    if not text:
        raise ConfError(where, "a name must not be empty")
    return text


def _flag(where, value):
    if isinstance(value, bool):
        return value
    text = _text(where, value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    raise ConfError(where, "must be a boolean")


def _reserved(level, key):
    return key in _RESERVED[level] or (level in ("driver", "target") and bool(_MULTI.match(key)))


def _attr_value(where, value):
    """A string, or a sorted list of two or more strings (a multi-valued attribute)."""
    if isinstance(value, (list, tuple)):
        texts = sorted(set(_text("%s[%d]" % (where, i), item) for i, item in enumerate(value)))
        if not texts:
            raise ConfError(where, "a multi-valued attribute needs at least one value")
        if len(texts) > 1 and "" in texts:
            raise ConfError(where, "a multi-valued attribute cannot hold an empty value (scst.conf cannot "
                                   "write it next to other values)")
        return texts[0] if len(texts) == 1 else texts
    return _text(where, value)


def _attributes(where, value, level):
    attrs = {}
    for key, val in _mapping(where, value).items():
        key = _text(where, key)
        if not _ATTR_NAME.match(key):
            raise ConfError(where, "%r is not an attribute name scst.conf can hold" % key)
        if _reserved(level, key):
            base = _MULTI.match(key).group(1) if _MULTI.match(key) else key
            raise ConfError("%s.%s" % (where, key), "%s is not an attribute here; use the %s key"
                            % (key, _STRUCTURE_KEY.get(base, key)))
        attrs[key] = _attr_value("%s.%s" % (where, key), val)
    return dict(sorted(attrs.items()))


def _decimal(where, value, maximum=None):
    text = _text(where, value).strip()
    if not _DECIMAL.match(text):
        raise ConfError(where, "must be a whole decimal number")
    if maximum is not None and int(text) > maximum:
        raise ConfError(where, "must be a number from 0 to %d" % maximum)
    return int(text)


def _device_attributes(where, handler, value):
    attrs = _attributes(where + ".attributes", value, "device")
    if handler != catalog.NULLIO:
        # The size of a fileio/blockio/vcdrom device is that of its backing
        # store; it is not configuration (read_configuration never reports it).
        attrs.pop("size", None)
        attrs.pop("size_mb", None)
        return attrs
    if "size" in attrs:
        size = _decimal(where + ".attributes.size", attrs["size"])
        if size % MIB == 0:
            mb = str(size // MIB)
            if "size_mb" in attrs and _decimal(where + ".attributes.size_mb", attrs["size_mb"]) != size // MIB:
                raise ConfError(where, "size and size_mb disagree")
            del attrs["size"]
            attrs["size_mb"] = mb
        else:
            if "size_mb" in attrs:
                raise ConfError(where, "size (not a whole number of MiB) and size_mb given together")
            attrs["size"] = str(size)
    if "size_mb" in attrs:
        attrs["size_mb"] = str(_decimal(where + ".attributes.size_mb", attrs["size_mb"]))
    return dict(sorted(attrs.items()))


def _chap(where, value):
    chap = _mapping(where, value)
    _only(where, chap, ("incoming", "outgoing"))
    result = {}
    for direction, _word in _DIRECTIONS:
        accounts = chap.get(direction) or []
        if not isinstance(accounts, list):
            raise ConfError("%s.%s" % (where, direction), "must be a list of {username, password}")
        seen = set()
        for index, account in enumerate(accounts):
            sub = "%s.%s[%d]" % (where, direction, index)
            account = _mapping(sub, account)
            _only(sub, account, ("username", "password"))
            pair = (_name(sub + ".username", account.get("username")),
                    _text(sub + ".password", account.get("password")))
            seen.add(pair)
        result[direction] = [{"username": u, "password": p} for u, p in sorted(seen)]
    return result


def _names(where, value):
    if value is None:
        return []
    if not isinstance(value, list):
        raise ConfError(where, "must be a list")
    return sorted(set(_name("%s[%d]" % (where, i), item) for i, item in enumerate(value)))


def _lun_number(where, value):
    """A LUN key as an integer (YAML and JSON may have turned it into a string)."""
    try:
        return v.lun_number(where, value)
    except ValidationError as exc:
        raise ConfError(exc.field, exc.rule, value)


def _luns(where, value):
    luns = {}
    for key, spec in _mapping(where, value).items():
        number = _lun_number("%s.%s" % (where, key), key)
        sub = "%s.%s" % (where, number)
        if number in luns:
            raise ConfError(sub, "is given twice")
        if isinstance(spec, str):
            spec = {"device": spec}
        spec = _mapping(sub, spec)
        _only(sub, spec, ("device", "read_only", "attributes"))
        luns[number] = {"device": _name(sub + ".device", spec.get("device")),
                        "read_only": _flag(sub + ".read_only", spec.get("read_only", False)),
                        "attributes": _attributes(sub + ".attributes", spec.get("attributes"), "lun")}
    return dict(sorted(luns.items()))


def _target(where, value):
    spec = _mapping(where, value)
    _only(where, spec, ("hw_target", "enabled", "attributes", "allowed_portals", "chap", "luns", "groups"),
          _RUNTIME_KEYS["target"])
    target = {}
    if spec.get("hw_target") is not None and _flag(where + ".hw_target", spec["hw_target"]):
        target["hw_target"] = True
    if spec.get("enabled") is not None:
        target["enabled"] = _flag(where + ".enabled", spec["enabled"])
    target["attributes"] = _attributes(where + ".attributes", spec.get("attributes"), "target")
    target["allowed_portals"] = _names(where + ".allowed_portals", spec.get("allowed_portals"))
    target["chap"] = _chap(where + ".chap", spec.get("chap"))
    target["luns"] = _luns(where + ".luns", spec.get("luns"))
    groups = {}
    for gname, gspec in _mapping(where + ".groups", spec.get("groups")).items():
        sub = "%s.groups.%s" % (where, gname)
        gspec = _mapping(sub, gspec)
        _only(sub, gspec, ("initiators", "luns", "attributes"))
        groups[_name(sub, gname)] = {
            "initiators": _names(sub + ".initiators", gspec.get("initiators")),
            "luns": _luns(sub + ".luns", gspec.get("luns")),
            "attributes": _attributes(sub + ".attributes", gspec.get("attributes"), "group"),
        }
    target["groups"] = dict(sorted(groups.items()))
    return target


def _tg_members(where, value):
    """Target group members: ``{T: {}}`` (local) or ``{T: {rel_tgt_id: N}}`` (remote); a list of names
    is ``{T: {}}`` for each.  rel_tgt_id 0 means never set and is dropped."""
    if isinstance(value, list):
        value = dict((name, {}) for name in value)
    members = {}
    for name, spec in _mapping(where, value).items():
        sub = "%s.%s" % (where, name)
        spec = _mapping(sub, spec)
        _only(sub, spec, ("rel_tgt_id",))
        member = {}
        if spec.get("rel_tgt_id") is not None:
            number = _decimal(sub + ".rel_tgt_id", spec["rel_tgt_id"], 65535)
            if number:
                member["rel_tgt_id"] = number
        members[_name(sub, name)] = member
    return dict(sorted(members.items()))


def _target_group(where, value):
    spec = _mapping(where, value)
    _only(where, spec, ("group_id", "state", "preferred", "attributes", "targets"))
    group = {}
    if spec.get("group_id") is not None:
        number = _decimal(where + ".group_id", spec["group_id"], 65535)
        if number:   # 0: a target group whose id was never set
            group["group_id"] = number
    state = _text(where + ".state", spec.get("state", "active"))
    if state not in ALUA_STATES:
        raise ConfError(where + ".state", "must be one of %s" % ", ".join(ALUA_STATES), state)
    group["state"] = state
    group["preferred"] = _flag(where + ".preferred", spec.get("preferred", False))
    group["attributes"] = _attributes(where + ".attributes", spec.get("attributes"), "target_group")
    group["targets"] = _tg_members(where + ".targets", spec.get("targets"))
    return group


def _device_groups(where, value):
    groups = {}
    for name, spec in _mapping(where, value).items():
        sub = "%s.%s" % (where, name)
        spec = _mapping(sub, spec)
        _only(sub, spec, ("devices", "attributes", "target_groups"))
        target_groups = {}
        for tname, tspec in _mapping(sub + ".target_groups", spec.get("target_groups")).items():
            tsub = "%s.target_groups.%s" % (sub, tname)
            target_groups[_name(tsub, tname)] = _target_group(tsub, tspec)
        groups[_name(sub, name)] = {
            "devices": _names(sub + ".devices", spec.get("devices")),
            "attributes": _attributes(sub + ".attributes", spec.get("attributes"), "device_group"),
            "target_groups": dict(sorted(target_groups.items())),
        }
    return dict(sorted(groups.items()))


def normalise_config(config):
    """The canonical form of a configuration: what ``parse_scst_conf`` and
    ``info.read_configuration`` return.

    Keys and value types are checked (``ConfError`` names the place and the
    rule); values become strings (a multi-valued attribute a sorted list), LUN
    keys integers, ``read_only``/``enabled``/``preferred`` booleans, lists are
    sorted and de-duplicated, empty handlers and empty drivers disappear.
    ``enabled`` is kept only where it is given (scst.conf may omit it),
    ``hw_target`` only when true.  Runtime information that ``scst_info``
    returns beside the configuration (version, sessions, daemon state) is
    dropped.  The ``size`` of a device other than vdisk_nullio is dropped: it
    is the size of the backing store, not configuration.  A nullio ``size`` in
    bytes becomes ``size_mb`` when it is a whole number of MiB.  A target
    group's ``group_id`` and a remote target's ``rel_tgt_id`` of 0 (never set)
    are dropped; ``state`` defaults to active, ``preferred`` to false.
    ``attributes`` and ``device_groups`` are always present,
    ``alua_attributes`` only when not empty.
    """
    config = _mapping("configuration", config)
    _only("configuration", config, ("attributes", "handlers", "drivers", "device_groups", "alua_attributes"),
          _RUNTIME_KEYS["top"])
    handlers = {}
    for handler, hspec in _mapping("handlers", config.get("handlers")).items():
        where = "handlers.%s" % handler
        hspec = _mapping(where, hspec)
        _only(where, hspec, ("attributes", "devices"))
        devices = {}
        for name, dspec in _mapping(where + ".devices", hspec.get("devices")).items():
            sub = "%s.devices.%s" % (where, name)
            dspec = _mapping(sub, dspec)
            _only(sub, dspec, ("filename", "attributes"))
            device = {}
            filename = _text(sub + ".filename", dspec.get("filename"))
            if filename:
                device["filename"] = filename
            device["attributes"] = _device_attributes(sub, handler, dspec.get("attributes"))
            devices[_name(sub, name)] = device
        attributes = _attributes(where + ".attributes", hspec.get("attributes"), "handler")
        if devices or attributes:
            handlers[_name(where, handler)] = {"attributes": attributes, "devices": dict(sorted(devices.items()))}
    drivers = {}
    for driver, dspec in _mapping("drivers", config.get("drivers")).items():
        where = "drivers.%s" % driver
        dspec = _mapping(where, dspec)
        _only(where, dspec, ("enabled", "attributes", "chap", "targets"), _RUNTIME_KEYS["driver"])
        entry = {}
        if dspec.get("enabled") is not None:
            entry["enabled"] = _flag(where + ".enabled", dspec["enabled"])
        entry["attributes"] = _attributes(where + ".attributes", dspec.get("attributes"), "driver")
        entry["chap"] = _chap(where + ".chap", dspec.get("chap"))
        targets = {}
        for tname, tspec in _mapping(where + ".targets", dspec.get("targets")).items():
            targets[_name(where + ".targets", tname)] = _target("%s.targets.%s" % (where, tname), tspec)
        entry["targets"] = dict(sorted(targets.items()))
        if "enabled" in entry or entry["attributes"] or entry["targets"] or any(entry["chap"].values()):
            drivers[_name(where, driver)] = entry
    result = {"attributes": _attributes("attributes", config.get("attributes"), "root"),
              "handlers": dict(sorted(handlers.items())), "drivers": dict(sorted(drivers.items())),
              "device_groups": _device_groups("device_groups", config.get("device_groups"))}
    alua = _attributes("alua_attributes", config.get("alua_attributes"), "alua")
    if alua:
        result["alua_attributes"] = alua
    return result


def mask_secrets(config):
    """A copy of ``config`` with every CHAP password replaced by ``********``."""
    if isinstance(config, dict):
        return dict((k, MASK if k == "password" and isinstance(val, str) and val else mask_secrets(val))
                    for k, val in config.items())
    if isinstance(config, list):
        return [mask_secrets(item) for item in config]
    return copy.deepcopy(config)


# ---------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------

def _token(where, value):
    """One token of a scst.conf line: escaped, and quoted when it holds blanks."""
    for char, words in _UNWRITABLE.items():
        if char in value:
            raise ConfError(where, "the value contains %s, which scst.conf cannot hold (scstadmin has no "
                                   "escape for it)" % words)
    text = value.replace("\\", "\\\\").replace("#", "\\#")
    if text == "" or any(c.isspace() for c in text):
        return '"%s"' % text
    return text


def _secret_token(where, username, password, *, masked):
    """``"user secret"``; errors name the user, never the secret."""
    if not username or any(c.isspace() for c in username) or any(c in username for c in _UNWRITABLE):
        raise ConfError(where, "user name %r must be one word without quotes, braces or line breaks "
                               "(the file holds \"user secret\")" % (username,))
    if not password:
        raise ConfError(where, "the secret of user %s is empty" % username)
    if password == MASK and not masked:
        raise ConfError(where, "the secret of user %s is masked (%s); the real secret is needed to write "
                               "scst.conf" % (username, MASK))
    if any(c.isspace() for c in password):
        raise ConfError(where, "the secret of user %s contains a blank (the file holds \"user secret\")"
                        % username)
    for char, words in _UNWRITABLE.items():
        if char in password:
            raise ConfError(where, "the secret of user %s contains %s, which scst.conf cannot hold"
                            % (username, words))
    return _token(where, "%s %s" % (username, MASK if masked else password))


class _Block(object):
    """``header {`` + sections separated by blank lines + ``}``; a single line when empty."""

    def __init__(self, header, sections):
        self.header = header
        self.sections = [s for s in sections if s[0]]

    def lines(self, depth):
        pad = "\t" * depth
        if not self.sections:
            return [pad + self.header]
        out = [pad + self.header + " {"]
        for index, (items, spaced) in enumerate(self.sections):
            if index:
                out.append("")
            for number, item in enumerate(items):
                if spaced and number:
                    out.append("")
                out.extend(item.lines(depth + 1) if isinstance(item, _Block) else ["\t" * (depth + 1) + item])
        out.append(pad + "}")
        return out


def _line(where, *tokens):
    return " ".join(_token(where, t) for t in tokens)


def _attr_lines(where, pairs):
    """``key value`` lines in scstadmin's order: by name, then by value."""
    lines = []
    for key, value, shown in sorted(pairs, key=lambda p: (p[0], p[1])):
        lines.append(_token("%s: attribute %s" % (where, key), key) + ("" if shown == "" else " " + shown))
    return lines


def _pairs(where, attrs):
    """(name, value, token) of each value; a multi-valued attribute gives one pair per value."""
    pairs = []
    for key, value in attrs.items():
        for one in (value if isinstance(value, list) else [value]):
            pairs.append((key, one, _token("%s: attribute %s" % (where, key), one) if one != "" else ""))
    return pairs


def _flag_pair(name, value):
    return (name, "1" if value else "0", "1" if value else "0")


def _chap_pairs(where, chap, masked):
    pairs = []
    for direction, word in _DIRECTIONS:
        for account in chap[direction]:
            shown = _secret_token("%s: %s" % (where, word), account["username"], account["password"],
                                  masked=masked)
            pairs.append((word, account["username"] + " " + account["password"], shown))
    return pairs


def _lun_items(where, luns):
    items = []
    for number, lun in luns.items():
        sub = "%s: LUN %d" % (where, number)
        header = _line(sub, "LUN", str(number), lun["device"])
        pairs = _pairs(sub, lun["attributes"])
        if lun["read_only"]:
            pairs.append(("read_only", "1", "1"))
        items.append(_Block(header, [(_attr_lines(sub, pairs), False)]) if pairs else header)
    return items


def _device_block(where, handler, name, device):
    attrs = dict(device["attributes"])
    if handler == catalog.NULLIO and "size_mb" in attrs:
        attrs["size"] = str(int(attrs.pop("size_mb")) * MIB)   # bytes: size_mb differs on every re-apply
    lines = []
    if "filename" in device:
        lines.append(_line("%s: filename" % where, "filename", device["filename"]))
    lines.extend(_attr_lines(where, _pairs(where, attrs)))
    return _Block(_line(where, "DEVICE", name), [(lines, False)])


def _target_block(where, name, target, masked):
    pairs = _pairs(where, target["attributes"])
    if "enabled" in target:
        pairs.append(_flag_pair("enabled", target["enabled"]))
    pairs.extend(_chap_pairs(where, target["chap"], masked))
    pairs.extend(("allowed_portal", p, _token("%s: allowed_portal" % where, p)) for p in target["allowed_portals"])
    groups = []
    for gname, group in target["groups"].items():
        sub = "%s, group %s" % (where, gname)
        groups.append(_Block(_line(sub, "GROUP", gname), [
            (_lun_items(sub, group["luns"]), False),
            ([_line("%s: initiator" % sub, "INITIATOR", i) for i in group["initiators"]], False),
            (_attr_lines(sub, _pairs(sub, group["attributes"])), False),
        ]))
    return _Block(_line(where, "TARGET", name), [
        (["HW_TARGET"] if target.get("hw_target") else [], False),
        (_attr_lines(where, pairs), False),
        (_lun_items(where, target["luns"]), False),
        (groups, True),
    ])


def _device_group_block(name, group):
    where = "device group %s" % name
    target_groups = []
    for tname, tgroup in group["target_groups"].items():
        sub = "%s, target group %s" % (where, tname)
        pairs = _pairs(sub, tgroup["attributes"])
        if "group_id" in tgroup:
            pairs.append(("group_id", str(tgroup["group_id"]), str(tgroup["group_id"])))
        pairs.append(("state", tgroup["state"], _token(sub + ": state", tgroup["state"])))
        if tgroup["preferred"]:
            pairs.append(("preferred", "1", "1"))
        members = []
        for target, member in tgroup["targets"].items():
            header = _line("%s: target %s" % (sub, target), "TARGET", target)
            if "rel_tgt_id" in member:
                # a block over three lines: text before '}' on its line would be lost
                members.append(_Block(header, [(["rel_tgt_id %d" % member["rel_tgt_id"]], False)]))
            else:
                members.append(header)
        target_groups.append(_Block(_line(sub, "TARGET_GROUP", tname),
                                    [(_attr_lines(sub, pairs), False), (members, False)]))
    return _Block(_line(where, "DEVICE_GROUP", name), [
        (_attr_lines(where, _pairs(where, group["attributes"])), False),
        ([_line("%s: device" % where, "DEVICE", d) for d in group["devices"]], False),
        (target_groups, True),
    ])


def render_scst_conf(config, *, mask_secrets=False):  # pylint: disable=redefined-outer-name
    """The /etc/scst.conf text of ``config``, byte for byte the same for the same state.

    Layout of scstadmin -write_config: SCST root attributes, then HANDLER,
    TARGET_DRIVER, ALUA and DEVICE_GROUP blocks.  ``mask_secrets=True`` writes
    ``********`` for every CHAP secret (for showing the file in a diff);
    otherwise a masked secret in ``config`` is an error.  Raises ``ConfError``
    naming the object and attribute of a value the file cannot hold.
    """
    conf = normalise_config(config)
    blocks = []
    for handler, hspec in conf["handlers"].items():
        where = "handler %s" % handler
        devices = [_device_block("device %s" % name, handler, name, device)
                   for name, device in hspec["devices"].items()]
        blocks.append(_Block(_line(where, "HANDLER", handler),
                             [(_attr_lines(where, _pairs(where, hspec["attributes"])), False), (devices, True)]))
    for driver, dspec in conf["drivers"].items():
        where = "target driver %s" % driver
        pairs = _pairs(where, dspec["attributes"])
        if "enabled" in dspec:
            pairs.append(_flag_pair("enabled", dspec["enabled"]))
        pairs.extend(_chap_pairs(where, dspec["chap"], mask_secrets))
        targets = [_target_block("target %s" % name, name, target, mask_secrets)
                   for name, target in dspec["targets"].items()]
        blocks.append(_Block(_line(where, "TARGET_DRIVER", driver),
                             [(_attr_lines(where, pairs), False), (targets, True)]))
    if conf.get("alua_attributes"):
        blocks.append(_Block("ALUA", [(_attr_lines("ALUA", _pairs("ALUA", conf["alua_attributes"])), False)]))
    for name, group in conf["device_groups"].items():
        blocks.append(_device_group_block(name, group))
    out = [HEADER, ""]
    out.extend(_attr_lines("SCST", _pairs("SCST", conf["attributes"])))
    out.append("")
    for block in blocks:   # like scstadmin: a blank line after every top-level block
        out.extend(block.lines(0))
        out.append("")
    return "\n".join(out) + "\n"


# ---------------------------------------------------------------------------
# Reading
# ---------------------------------------------------------------------------

class _Node(object):
    """An entry of scstadmin's tree: ``items`` maps a token to the next level."""

    __slots__ = ("items", "line")

    def __init__(self, line):
        self.items = {}
        self.line = line

    def child(self, token, line):
        node = self.items.get(token)
        if node is None:
            node = self.items[token] = _Node(line)
        return node


def _lexical(text):
    """Steps 1-4 of scstadmin's line processing; returns the processed lines."""
    lines = []
    for raw in text.split("\n"):
        line = "" if raw.startswith("#") else _COMMENT.sub("", raw, count=1)
        if _DEPRECATED.match(line):
            raise ConfError("line %d" % (len(lines) + 1),
                            "this is the deprecated pre-sysfs scst.conf format ([HANDLER ...], [GROUP ...], "
                            "[ASSIGNMENT ...]); scstadmin converts it, this collection does not: convert the "
                            "file with scstadmin first")
        lines.append(_ESCAPE.sub(r"\1", line))
    return lines


def _tokens(text):
    tokens, pos, unterminated = [], 0, False
    while pos < len(text):
        if text[pos] in _BLANKS:
            pos += 1
            continue
        if text[pos] == '"':
            end = text.find('"', pos + 1)
            if end >= 0:
                tokens.append(text[pos + 1:end])
                pos = end + 1
                continue
            unterminated = True
        end = pos
        while end < len(text) and text[end] not in _BLANKS:
            end += 1
        tokens.append(text[pos:end])
        pos = end
    return tokens, unterminated


class _Reader(object):
    """Builds scstadmin's tree; collects notes (data imported as scstadmin reads
    it) and errors (data scstadmin would drop or misread: the file is refused)."""

    def __init__(self):
        self.report = []
        self.errors = []

    def note(self, line, message):
        self.report.append((line, "line %d: %s" % (line, message)))

    def error(self, line, message):
        self.errors.append((line, message))

    def lines(self):
        """The report in file order (stable for notes about the same line)."""
        return [text for _line, text in sorted(self.report, key=lambda note: note[0])]

    def raise_errors(self):
        if not self.errors:
            return
        problems = sorted(self.errors, key=lambda error: error[0])
        line, message = problems[0]
        rule = message
        if len(problems) > 1:
            shown = ["line %d: %s" % p for p in problems[1:6]]
            rule += " (%d more problem(s): %s%s)" % (len(problems) - 1, "; ".join(shown),
                                                     "; ..." if len(problems) > 6 else "")
        error = ConfError("line %d" % line, rule)
        error.details["problems"] = ["line %d: %s" % p for p in problems]
        raise error

    def tree(self, lines):
        root = _Node(0)
        stack = [root]
        discarded = 0   # depth of a nameless section: its content is dropped
        for number, line in enumerate(lines, 1):
            acc = []
            for char in line:
                if char == "{":
                    header = "".join(acc)
                    acc = []
                    node = self.entry(stack[-1], header, number) if not discarded else None
                    if node is None:
                        if not discarded:
                            self.error(number, "'{' without a header on the same line: scstadmin discards this "
                                               "whole section (put '{' at the end of the header line)")
                        discarded += 1
                        stack.append(_Node(number))
                    else:
                        stack.append(node)
                elif char == "}":
                    if "".join(acc).strip():
                        self.error(number, "text before '}' on the same line is lost (scstadmin ignores it); "
                                           "put '}' on a line of its own")
                    acc = []
                    if len(stack) == 1:
                        self.error(number, "'}' without an open section")
                    else:
                        stack.pop()
                        discarded = max(0, discarded - 1)
                else:
                    acc.append(char)
            if not discarded:
                self.entry(stack[-1], "".join(acc), number)
        if len(stack) > 1:
            self.error(len(lines), "%d section(s) not closed with '}' at the end of the file" % (len(stack) - 1))
        return root

    def entry(self, parent, text, number):
        tokens, unterminated = _tokens(text)
        if not tokens:
            return None
        if unterminated:
            self.error(number, "a double quote is not closed (scstadmin would read the value up to the next "
                               "blank)")
        elif any('"' in token for token in tokens):
            self.error(number, "a double quote inside a word: scstadmin reads it as part of the value, and "
                               "scst.conf has no way to write such a value back")
        if len(tokens) > 3:
            self.error(number, "%s: only the first three tokens of a line are used, %d more would be ignored "
                               "(quote values that contain blanks)" % (tokens[0], len(tokens) - 3))
            tokens = tokens[:3]
        node = parent
        for token in tokens[:-1]:
            node = node.child(token, number)
        last = tokens[-1]
        previous = node.items.get(last)
        if previous is not None and previous.items:
            shown = tokens[:1] if _MULTI.match(tokens[0]) else tokens   # never a CHAP value
            self.error(number, "%s repeats line %d: scstadmin would keep only this later entry and drop the "
                               "earlier one" % (" ".join(shown), previous.line))
        node.items[last] = _Node(number)
        return node.items[last]


def _values(node):
    """(value, node) of an attribute entry; a bare ``K`` has the value ''."""
    if not node.items:
        return [("", node)]
    return list(node.items.items())


class _Interpreter(object):
    def __init__(self, reader):
        self.note = reader.note
        self.error = reader.error
        self.devices = {}
        self.references = []   # checked at the end: HANDLER sections may follow the targets

    def names(self, what, kind, branch):
        """(name, node) of ``KIND name`` entries."""
        if not branch.items:
            self.error(branch.line, "%s: %s without a name" % (what, kind))
        for name, node in branch.items.items():
            if name:
                yield name, node
            else:
                self.error(node.line, "%s: %s with an empty name" % (what, kind))

    def leaf(self, what, kind, name, node):
        """A ``KIND name`` line that takes no section."""
        if node.items:
            self.error(node.line, "%s: %s %s takes no value or section here" % (what, kind, name))

    def single(self, what, key, node):
        values = _values(node)
        if len(values) > 1:
            self.error(values[-1][1].line, "%s: %s is given %d times with different values"
                       % (what, key, len(values)))
        value, vnode = values[-1]
        if vnode.items:
            self.error(vnode.line, "%s: %s has more than one value or a section" % (what, key))
        return value

    def flag(self, what, key, node):
        value = self.single(what, key, node)
        if value not in ("0", "1"):
            self.error(node.line, "%s: %s %r is neither 0 nor 1" % (what, key, value))
        return value == "1"

    def number(self, what, key, node, maximum):
        value = self.single(what, key, node)
        if not _DECIMAL.match(value) or int(value) > maximum:
            self.error(node.line, "%s: %s %r is not a number from 0 to %d" % (what, key, value, maximum))
            return 0
        return int(value)

    def attribute(self, what, key, node, attrs, level):
        if not _ATTR_NAME.match(key) or _reserved(level, key):
            self.error(node.line, "%s: %s is not valid at this place of the file" % (what, key))
            return
        values = _values(node)
        for _value, vnode in values:
            if vnode.items:
                self.error(vnode.line, "%s: %s has more than one value on a line or a section (quote values "
                                       "that contain blanks)" % (what, key))
        texts = sorted(set(value for value, _vnode in values))
        attrs[key] = texts[0] if len(texts) == 1 else texts

    # -- devices --------------------------------------------------------------

    def handler(self, name, node):
        handler = {"attributes": {}, "devices": {}}
        what = "handler %s" % name
        for key, branch in node.items.items():
            if key != "DEVICE":
                self.attribute(what, key, branch, handler["attributes"], "handler")
                continue
            for dname, dnode in self.names(what, "DEVICE", branch):
                if "/" in dname:
                    self.error(dnode.line, "device %s: a device name must not contain '/' (scstadmin refuses "
                                           "it)" % dname)
                if dname in self.devices:
                    self.note(dnode.line, "device %s is also defined under handler %s" % (dname, self.devices[dname]))
                self.devices[dname] = name
                handler["devices"][dname] = self.device(name, dname, dnode)
        return handler

    def device(self, handler, name, node):
        what = "device %s" % name
        device = {"attributes": {}}
        attrs = device["attributes"]
        for key, branch in node.items.items():
            if key == "filename":
                device["filename"] = self.single(what, key, branch)
                if not device["filename"]:
                    del device["filename"]
            elif key in ("size", "size_mb"):
                self.size(handler, what, key, branch, attrs)
            else:
                self.attribute(what, key, branch, attrs, "device")
        return device

    def size(self, handler, what, key, node, attrs):
        value = self.single(what, key, node)
        if handler != catalog.NULLIO:
            self.note(node.line, "%s: %s %s not imported: the size of a %s device is that of its backing "
                                 "store (scstadmin writes it because SCST marks it as set)"
                      % (what, key, value, handler))
            return
        if not _DECIMAL.match(value):
            self.error(node.line, "%s: %s %r is not a whole decimal number" % (what, key, value))
            return
        if key == "size_mb":
            self.note(node.line, "%s: size_mb in scst.conf makes scstadmin see a difference on every "
                                 "re-apply; it is written back as size in bytes" % what)
            attrs["size_mb"] = str(int(value))
        elif int(value) % MIB == 0:
            attrs["size_mb"] = str(int(value) // MIB)
        else:
            self.note(node.line, "%s: size %s bytes is not a whole number of MiB; kept as size (bytes)"
                      % (what, value))
            attrs["size"] = value

    # -- targets --------------------------------------------------------------

    def driver(self, name, node):
        what = "target driver %s" % name
        driver = {"attributes": {}, "chap": {"incoming": [], "outgoing": []}, "targets": {}}
        for key, branch in node.items.items():
            if key == "enabled":
                driver["enabled"] = self.flag(what, key, branch)
            elif key == "TARGET":
                for tname, tnode in self.names(what, "TARGET", branch):
                    driver["targets"][tname] = self.target(tname, tnode)
            elif _MULTI.match(key) and not key.startswith("allowed_portal"):
                self.chap(what, key, branch, driver["chap"])
            else:
                self.attribute(what, key, branch, driver["attributes"], "driver")
        if "enabled" not in driver and name == "iscsi":
            self.note(node.line, "%s has no 'enabled' line: scstadmin leaves it as it is (disabled after a "
                                 "boot)" % what)
        return driver

    def chap(self, what, key, node, chap):
        direction = "incoming" if key.startswith("IncomingUser") else "outgoing"
        for value, vnode in _values(node):
            words = value.split()
            if vnode.items:
                self.error(vnode.line, "%s: %s is written unquoted; scstadmin rejects it (write it as "
                                       "%s \"user secret\")" % (what, key, key))
                continue
            if len(words) != 2:
                self.error(vnode.line, "%s: %s needs exactly a user name and a secret" % (what, key))
                continue
            users = [a["username"] for a in chap[direction]]
            if words[0] in users:
                self.note(vnode.line, "%s: CHAP user %s is given twice for %s; iscsi-scstd refuses the "
                                      "second one" % (what, words[0], direction))
            chap[direction].append({"username": words[0], "password": words[1]})
        if direction == "outgoing" and len(chap["outgoing"]) > 1:
            self.note(node.line, "%s: more than one OutgoingUser; iSCSI allows only one" % what)

    def target(self, name, node):
        what = "target %s" % name
        target = {"attributes": {}, "allowed_portals": [], "chap": {"incoming": [], "outgoing": []},
                  "luns": {}, "groups": {}}
        for key, branch in node.items.items():
            if key == "enabled":
                target["enabled"] = self.flag(what, key, branch)
            elif key == "LUN":
                target["luns"] = self.luns(what, branch)
            elif key == "GROUP":
                for gname, gnode in self.names(what, "GROUP", branch):
                    target["groups"][gname] = self.group(what, gname, gnode)
            elif key == "HW_TARGET":
                if branch.items:
                    self.error(branch.line, "%s: HW_TARGET is a marker without a value" % what)
                target["hw_target"] = True
            elif _MULTI.match(key):
                if key.startswith("allowed_portal"):
                    for value, vnode in _values(branch):
                        if vnode.items or not value:
                            self.error(vnode.line, "%s: %s needs exactly one portal pattern" % (what, key))
                        else:
                            target["allowed_portals"].append(value)
                else:
                    self.chap(what, key, branch, target["chap"])
            else:
                self.attribute(what, key, branch, target["attributes"], "target")
        if "enabled" not in target and self.driver_enables:
            self.note(node.line, "%s has no 'enabled' line: scstadmin leaves it disabled at boot (and "
                                 "disables it with -force)" % what)
        seen = {}
        for gname, group in target["groups"].items():
            for initiator in group["initiators"]:
                if initiator in seen:
                    self.note(node.line, "%s: initiator %s is in groups %s and %s; scstadmin refuses this"
                              % (what, initiator, seen[initiator], gname))
                seen[initiator] = gname
        return target

    def luns(self, what, node):
        luns = {}
        for number_text, nnode in node.items.items():
            number = _kernel_number(number_text)
            if number is None or number > v.LUN_MAX:
                self.error(nnode.line, "%s: LUN %r is not a number from 0 to %d" % (what, number_text, v.LUN_MAX))
                continue
            if number_text != str(number):
                self.note(nnode.line, "%s: LUN %s is read by SCST as %d (numbers are read in base 0: "
                                      "a leading 0 means octal)" % (what, number_text, number))
            if not nnode.items:
                self.error(nnode.line, "%s: LUN %s names no device" % (what, number_text))
                continue
            if len(nnode.items) > 1 or number in luns:
                self.error(nnode.line, "%s: LUN %d is mapped to more than one device; scstadmin refuses "
                                       "this" % (what, number))
            sub = "%s LUN %d" % (what, number)
            for device, dnode in self.names(sub, "device", nnode):
                luns[number] = lun = {"device": device, "read_only": False, "attributes": {}}
                for key, branch in dnode.items.items():
                    if key == "read_only":
                        lun["read_only"] = self.flag(sub, key, branch)
                    else:
                        self.attribute(sub, key, branch, lun["attributes"], "lun")
                self.references.append((dnode.line, "%s: LUN %d uses device %s" % (what, number, device),
                                        device, "scstadmin drops such a LUN unless the device exists"))
        return dict(sorted(luns.items()))

    def group(self, what, name, node):
        sub = "%s group %s" % (what, name)
        group = {"initiators": [], "luns": {}, "attributes": {}}
        for key, branch in node.items.items():
            if key == "LUN":
                group["luns"] = self.luns(sub, branch)
            elif key == "INITIATOR":
                for initiator, inode in self.names(sub, "INITIATOR", branch):
                    self.leaf(sub, "INITIATOR", initiator, inode)
                    group["initiators"].append(initiator)
                group["initiators"].sort()
            else:
                self.attribute(sub, key, branch, group["attributes"], "group")
        return group

    # -- ALUA -----------------------------------------------------------------

    def device_group(self, name, node):
        what = "device group %s" % name
        group = {"devices": [], "attributes": {}, "target_groups": {}}
        for key, branch in node.items.items():
            if key == "DEVICE":
                for device, dnode in self.names(what, "DEVICE", branch):
                    self.leaf(what, "DEVICE", device, dnode)
                    group["devices"].append(device)
                    self.references.append((dnode.line, "%s: device %s" % (what, device), device,
                                            "scstadmin drops it from the group unless the device exists"))
            elif key == "TARGET_GROUP":
                for tname, tnode in self.names(what, "TARGET_GROUP", branch):
                    group["target_groups"][tname] = self.target_group("%s, target group %s" % (what, tname), tnode)
            else:
                self.attribute(what, key, branch, group["attributes"], "device_group")
        return group

    def target_group(self, what, node):
        group = {"state": "active", "preferred": False, "attributes": {}, "targets": {}}
        for key, branch in node.items.items():
            if key == "group_id":
                group["group_id"] = self.number(what, key, branch, 65535)
            elif key == "state":
                group["state"] = self.single(what, key, branch)
                if group["state"] not in ALUA_STATES:
                    self.error(branch.line, "%s: state %r is not one of %s"
                               % (what, group["state"], ", ".join(ALUA_STATES)))
                    group["state"] = "active"
            elif key == "preferred":
                group["preferred"] = self.flag(what, key, branch)
            elif key == "TARGET":
                for target, tnode in self.names(what, "TARGET", branch):
                    member = group["targets"][target] = {}
                    for mkey, mnode in tnode.items.items():
                        if mkey == "rel_tgt_id":
                            member["rel_tgt_id"] = self.number("%s: target %s" % (what, target), mkey, mnode, 65535)
                        else:
                            self.error(mnode.line, "%s: target %s: %s is not valid here (a target group member "
                                                   "holds only rel_tgt_id)" % (what, target, mkey))
            else:
                self.attribute(what, key, branch, group["attributes"], "target_group")
        return group

    driver_enables = True

    def run(self, root):
        config = {"attributes": {}, "handlers": {}, "drivers": {}, "device_groups": {}, "alua_attributes": {}}
        for key, branch in root.items.items():
            if key == "HANDLER":
                for name, node in self.names("top level", "HANDLER", branch):
                    config["handlers"][name] = self.handler(name, node)
            elif key == "TARGET_DRIVER":
                for name, node in self.names("top level", "TARGET_DRIVER", branch):
                    # scst_local (and copy_manager) targets have no enabled file
                    self.driver_enables = name not in ("scst_local", "copy_manager")
                    config["drivers"][name] = self.driver(name, node)
            elif key == "DEVICE_GROUP":
                for name, node in self.names("top level", "DEVICE_GROUP", branch):
                    config["device_groups"][name] = self.device_group(name, node)
            elif key == "ALUA":
                for akey, anode in branch.items.items():
                    self.attribute("ALUA", akey, anode, config["alua_attributes"], "alua")
            else:
                self.attribute("top level", key, branch, config["attributes"], "root")
        for line, what, device, consequence in self.references:
            if device in self.devices or re.match(r"^\d+:\d+:\d+:\d+$", device):
                continue
            self.note(line, "%s, which no HANDLER section defines (%s)" % (what, consequence))
        return config


def _kernel_number(text):
    """A number as the kernel's kstrtoul(..., 0) reads it, or None."""
    if re.match(r"^0[xX][0-9a-fA-F]+$", text):
        return int(text, 16)
    if re.match(r"^0[0-7]+$", text):
        return int(text, 8)
    if _DECIMAL.match(text):
        return int(text)
    return None


def parse_scst_conf(text):
    """Read scst.conf text as scstadmin does: ``(config, report)``.

    ``config`` is in normal form (see ``normalise_config``).  A file that
    cannot be read completely and as its author meant it (broken braces or
    quotes, more than three tokens on a line, a repeated block that scstadmin
    would drop, a value where none is allowed, an unquoted CHAP account, a LUN
    without a device ...) is refused: ``ConfError`` with the line number of the
    first problem and the reason (``details["problems"]`` lists all of them);
    there is no partial result.  ``report`` lists, as ``line N: ...``
    sentences, what was imported but that scstadmin treats specially (the
    backing-store size of fileio/blockio devices, octal LUN numbers, targets
    without an ``enabled`` line ...).  Neither ever holds a CHAP secret.
    """
    reader = _Reader()
    root = reader.tree(_lexical(text))
    config = _Interpreter(reader).run(root)
    reader.raise_errors()
    return normalise_config(config), reader.lines()
