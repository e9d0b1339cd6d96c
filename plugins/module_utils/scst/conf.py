# -*- coding: utf-8 -*-
# Copyright: scst.iscsi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""/etc/scst.conf, written and read the way scstadmin really reads it.

The configuration shape is the one ``info.read_configuration`` returns and
``scst_config`` takes: devices by handler, target drivers with their targets,
LUNs (integer keys), initiator groups and CHAP accounts, attribute values as
the strings SCST shows.

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
``V`` replaces the earlier entry.  There is no escape for ``"``, ``{``, ``}``
or a line break: values holding them cannot be written.
"""

from __future__ import annotations

import copy
import re

from ansible_collections.scst.iscsi.plugins.module_utils.scst import catalog
from ansible_collections.scst.iscsi.plugins.module_utils.scst.errors import ScstError
from ansible_collections.scst.iscsi.plugins.module_utils.scst.plan import MASK

MIB = 1 << 20
LUN_MAX = 16383
HEADER = "# SCST configuration written by the scst.iscsi Ansible collection (read by scstadmin -config)."

_DIRECTIONS = (("incoming", "IncomingUser"), ("outgoing", "OutgoingUser"))
_ATTR_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.:-]*$")
_BLANKS = " \t\r\f\v"
_UNWRITABLE = {'"': "a double quote", "\n": "a line break", "\r": "a carriage return",
               "{": "a '{'", "}": "a '}'"}
_COMMENT = re.compile(r"[^\\]#.*")
_ESCAPE = re.compile(r"\\(.)")
_DEPRECATED = re.compile(r"^\s*\[\s*(HANDLER|GROUP|ASSIGNMENT)\b")
_MULTI = re.compile(r"^(IncomingUser|OutgoingUser|allowed_portal)\d*$")

# Names that are structure, not attributes, at each level of the file.
_RESERVED = {
    "device": ("filename", "DEVICE"),
    "driver": ("enabled", "TARGET", "IncomingUser", "OutgoingUser"),
    "target": ("enabled", "LUN", "GROUP", "HW_TARGET", "IncomingUser", "OutgoingUser", "allowed_portal"),
    "group": ("LUN", "INITIATOR"),
}
# Information that read_configuration or scst_info return next to the configuration.
_RUNTIME_KEYS = {"top": ("version", "loaded_handlers", "runtime"), "driver": ("daemon_running",),
                 "target": ("sessions",)}


class ConfError(ScstError):
    """A configuration that cannot be written to, or read from, scst.conf.

    Messages name the object and attribute; they never carry a CHAP secret.
    """


# ---------------------------------------------------------------------------
# The normal form
# ---------------------------------------------------------------------------

def _mapping(where, value):
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ConfError("%s must be a mapping" % where)
    return value


def _only(where, value, allowed, ignored=()):
    unknown = sorted(str(k) for k in value if k not in allowed and k not in ignored)
    if unknown:
        raise ConfError("%s: unknown key %s (allowed: %s)" % (where, unknown[0], ", ".join(allowed)))


def _text(where, value):
    if isinstance(value, bool):
        return "1" if value else "0"
    if value is None:
        return ""
    if isinstance(value, (int, str)):
        return str(value)
    raise ConfError("%s must be a string" % where)


def _name(where, value):
    text = _text(where, value)
    if not text:
        raise ConfError("%s: a name must not be empty" % where)
    return text


def _flag(where, value):
    if isinstance(value, bool):
        return value
    text = _text(where, value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    raise ConfError("%s must be a boolean" % where)


def _attributes(where, value, level):
    attrs = {}
    for key, val in _mapping(where, value).items():
        key = _text(where, key)
        if not _ATTR_NAME.match(key):
            raise ConfError("%s: %r is not an attribute name scst.conf can hold" % (where, key))
        if key in _RESERVED[level] or (level in ("driver", "target") and _MULTI.match(key)):
            raise ConfError("%s.%s: %s is not an attribute here; use the %s key" % (
                where, key, key, _STRUCTURE_KEY.get(key, key)))
        attrs[key] = _text("%s.%s" % (where, key), val)
    return attrs


_STRUCTURE_KEY = {"IncomingUser": "chap", "OutgoingUser": "chap", "allowed_portal": "allowed_portals",
                  "LUN": "luns", "GROUP": "groups", "TARGET": "targets", "INITIATOR": "initiators",
                  "DEVICE": "devices", "HW_TARGET": "(none: hardware targets are not managed)"}


def _decimal(where, value):
    text = _text(where, value).strip()
    if not re.match(r"^(0|[1-9][0-9]*)$", text):
        raise ConfError("%s must be a whole decimal number" % where)
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
                raise ConfError("%s: size and size_mb disagree" % where)
            del attrs["size"]
            attrs["size_mb"] = mb
        else:
            if "size_mb" in attrs:
                raise ConfError("%s: size (not a whole number of MiB) and size_mb given together" % where)
            attrs["size"] = str(size)
    if "size_mb" in attrs:
        attrs["size_mb"] = str(_decimal(where + ".attributes.size_mb", attrs["size_mb"]))
    return attrs


def _chap(where, value):
    chap = _mapping(where, value)
    _only(where, chap, ("incoming", "outgoing"))
    result = {}
    for direction, _word in _DIRECTIONS:
        accounts = chap.get(direction) or []
        if not isinstance(accounts, list):
            raise ConfError("%s.%s must be a list of {username, password}" % (where, direction))
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
        raise ConfError("%s must be a list" % where)
    return sorted(set(_name("%s[%d]" % (where, i), item) for i, item in enumerate(value)))


def lun_number(where, value):
    """A LUN key as an integer (YAML and JSON may have turned it into a string)."""
    if isinstance(value, bool):
        raise ConfError("%s: a LUN number must be an integer" % where)
    number = value if isinstance(value, int) else _decimal(where, value)
    if not 0 <= number <= LUN_MAX:
        raise ConfError("%s: a LUN number must be between 0 and %d" % (where, LUN_MAX))
    return number


def _luns(where, value):
    luns = {}
    for key, spec in _mapping(where, value).items():
        number = lun_number("%s.%s" % (where, key), key)
        sub = "%s.%s" % (where, number)
        if number in luns:
            raise ConfError("%s is given twice" % sub)
        if isinstance(spec, str):
            spec = {"device": spec}
        spec = _mapping(sub, spec)
        _only(sub, spec, ("device", "read_only"))
        luns[number] = {"device": _name(sub + ".device", spec.get("device")),
                        "read_only": _flag(sub + ".read_only", spec.get("read_only", False))}
    return dict(sorted(luns.items()))


def _target(where, value):
    spec = _mapping(where, value)
    _only(where, spec, ("enabled", "attributes", "allowed_portals", "chap", "luns", "groups"),
          _RUNTIME_KEYS["target"])
    target = {}
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


def normalise_config(config):
    """The canonical form of a configuration: what ``parse_scst_conf`` returns.

    Keys and value types are checked (``ConfError`` names the place); values
    become strings, LUN keys integers, ``read_only``/``enabled`` booleans, lists
    are sorted and de-duplicated, empty handlers and empty drivers disappear.
    ``enabled`` is kept only where it is given (scst.conf may omit it).
    Runtime information that ``scst_info`` returns beside the configuration
    (version, sessions, daemon state) is dropped.  The ``size`` of a device
    other than vdisk_nullio is dropped: it is the size of the backing store,
    not configuration.  A nullio ``size`` in bytes becomes ``size_mb`` when it
    is a whole number of MiB.
    """
    config = _mapping("configuration", config)
    _only("configuration", config, ("handlers", "drivers"), _RUNTIME_KEYS["top"])
    handlers = {}
    for handler, hspec in _mapping("handlers", config.get("handlers")).items():
        where = "handlers.%s" % handler
        hspec = _mapping(where, hspec)
        _only(where, hspec, ("devices",))
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
        if devices:
            handlers[_name(where, handler)] = {"devices": dict(sorted(devices.items()))}
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
    return {"handlers": dict(sorted(handlers.items())), "drivers": dict(sorted(drivers.items()))}


def mask_secrets(config):
    """A copy of ``config`` with every CHAP password replaced by ``********``."""
    if isinstance(config, dict):
        return dict((k, MASK if k == "password" and isinstance(v, str) and v else mask_secrets(v))
                    for k, v in config.items())
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
            raise ConfError("%s: the value contains %s, which scst.conf cannot hold (scstadmin has no "
                            "escape for it)" % (where, words))
    text = value.replace("\\", "\\\\").replace("#", "\\#")
    if text == "" or any(c.isspace() for c in text):
        return '"%s"' % text
    return text


def _secret_token(where, username, password, *, masked):
    """``"user secret"``; errors name the user, never the secret."""
    if not username or any(c.isspace() for c in username) or any(c in username for c in _UNWRITABLE):
        raise ConfError("%s: user name %r must be one word without quotes, braces or line breaks "
                        "(the file holds \"user secret\")" % (where, username))
    if not password:
        raise ConfError("%s: the secret of user %s is empty" % (where, username))
    if password == MASK and not masked:
        raise ConfError("%s: the secret of user %s is masked (%s); the real secret is needed to write "
                        "scst.conf" % (where, username, MASK))
    if any(c.isspace() for c in password):
        raise ConfError("%s: the secret of user %s contains a blank (the file holds \"user secret\")"
                        % (where, username))
    for char, words in _UNWRITABLE.items():
        if char in password:
            raise ConfError("%s: the secret of user %s contains %s, which scst.conf cannot hold"
                            % (where, username, words))
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
        sub = "%s: attribute %s" % (where, key)
        lines.append(_token(sub, key) + ("" if shown == "" else " " + shown))
    return lines


def _pairs(where, attrs):
    return [(k, v, _token("%s: attribute %s" % (where, k), v) if v != "" else "") for k, v in attrs.items()]


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
        header = _line("%s: LUN %d" % (where, number), "LUN", str(number), lun["device"])
        items.append(_Block(header, [(["read_only 1"], False)]) if lun["read_only"] else header)
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
        pairs.append(("enabled", "1" if target["enabled"] else "0", "1" if target["enabled"] else "0"))
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
        (_attr_lines(where, pairs), False),
        (_lun_items(where, target["luns"]), False),
        (groups, True),
    ])


def render_scst_conf(config, *, mask_secrets=False):  # pylint: disable=redefined-outer-name
    """The /etc/scst.conf text of ``config``, byte for byte the same for the same state.

    ``mask_secrets=True`` writes ``********`` for every CHAP secret (for showing
    the file in a diff); otherwise a masked secret in ``config`` is an error.
    Raises ``ConfError`` naming the object and attribute of a value the file
    cannot hold.
    """
    conf = normalise_config(config)
    blocks = []
    for handler, hspec in conf["handlers"].items():
        where = "handler %s" % handler
        devices = [_device_block("device %s" % name, handler, name, device)
                   for name, device in hspec["devices"].items()]
        blocks.append(_Block(_line(where, "HANDLER", handler), [(devices, True)]))
    for driver, dspec in conf["drivers"].items():
        where = "target driver %s" % driver
        pairs = _pairs(where, dspec["attributes"])
        if "enabled" in dspec:
            pairs.append(("enabled", "1" if dspec["enabled"] else "0", "1" if dspec["enabled"] else "0"))
        pairs.extend(_chap_pairs(where, dspec["chap"], mask_secrets))
        targets = [_target_block("target %s" % name, name, target, mask_secrets)
                   for name, target in dspec["targets"].items()]
        blocks.append(_Block(_line(where, "TARGET_DRIVER", driver),
                             [(_attr_lines(where, pairs), False), (targets, True)]))
    out = [HEADER, "", ""]
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
            raise ConfError("line %d: this is the deprecated pre-sysfs scst.conf format ([HANDLER ...], "
                            "[GROUP ...], [ASSIGNMENT ...]); scstadmin converts it, this collection does "
                            "not: convert the file with scstadmin first" % (len(lines) + 1))
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
    def __init__(self):
        self.report = []

    def note(self, line, message):
        self.report.append((line, "line %d: %s" % (line, message)))

    def lines(self):
        """The report in file order (stable for notes about the same line)."""
        return [text for _line, text in sorted(self.report, key=lambda note: note[0])]

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
                            self.note(number, "'{' without a header on the same line: scstadmin discards "
                                              "this whole section (put '{' at the end of the header line)")
                        discarded += 1
                        stack.append(_Node(number))
                    else:
                        stack.append(node)
                elif char == "}":
                    if "".join(acc).strip():
                        self.note(number, "text before '}' on the same line is lost (scstadmin ignores it); "
                                          "put '}' on a line of its own")
                    acc = []
                    if len(stack) == 1:
                        self.note(number, "'}' without an open section: ignored")
                    else:
                        stack.pop()
                        discarded = max(0, discarded - 1)
                else:
                    acc.append(char)
            if not discarded:
                self.entry(stack[-1], "".join(acc), number)
        if len(stack) > 1:
            self.note(len(lines), "%d section(s) not closed with '}' at the end of the file" % (len(stack) - 1))
        return root

    def entry(self, parent, text, number):
        tokens, unterminated = _tokens(text)
        if not tokens:
            return None
        if unterminated:
            self.note(number, "a double quote is not closed: the value is read up to the next blank")
        if len(tokens) > 3:
            self.note(number, "%s: only the first three tokens of a line are used; %d more ignored "
                              "(quote values that contain blanks)" % (tokens[0], len(tokens) - 3))
            tokens = tokens[:3]
        node = parent
        for token in tokens[:-1]:
            node = node.child(token, number)
        last = tokens[-1]
        previous = node.items.get(last)
        if previous is not None and previous.items:
            shown = tokens[:1] if _MULTI.match(tokens[0]) else tokens   # never a CHAP value
            self.note(number, "%s repeats line %d: scstadmin keeps only this later entry"
                      % (" ".join(shown), previous.line))
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
        self.devices = {}
        self.lun_devices = []   # checked at the end: HANDLER sections may follow the targets

    def names(self, what, kind, branch):
        """(name, node) of ``KIND name`` entries, skipping empty names."""
        for name, node in branch.items.items():
            if name:
                yield name, node
            else:
                self.note(node.line, "%s: %s without a name; not imported" % (what, kind))

    def single(self, what, key, node):
        values = _values(node)
        if len(values) > 1:
            self.note(values[-1][1].line, "%s: %s is given %d times with different values; the last one "
                                          "is used" % (what, key, len(values)))
        value, vnode = values[-1]
        if vnode.items:
            self.note(vnode.line, "%s: %s has more than one value or a section; only its first value is "
                                  "used" % (what, key))
        return value

    def attributes(self, what, key, node, attrs, table, where, level):
        if not _ATTR_NAME.match(key) or key in _RESERVED[level] or (
                level in ("driver", "target") and _MULTI.match(key)):
            self.note(node.line, "%s: %s is not valid at this place of the file; not imported" % (what, key))
            return
        if key not in table or where not in _where(table[key]):
            self.note(node.line, "%s: %s is not an attribute this collection manages here; kept, "
                                 "check it before applying" % (what, key))
        attrs[key] = self.single(what, key, node)

    # -- devices --------------------------------------------------------------

    def handler(self, name, node):
        devices = {}
        for key, branch in node.items.items():
            if key != "DEVICE":
                self.note(branch.line, "handler %s: handler attribute %s is not part of the configuration "
                                       "shape; not imported" % (name, key))
                continue
            for dname, dnode in self.names("handler %s" % name, "DEVICE", branch):
                if "/" in dname:
                    self.note(dnode.line, "device %s: a device name must not contain '/' (scstadmin "
                                          "refuses it)" % dname)
                if dname in self.devices:
                    self.note(dnode.line, "device %s is also defined under handler %s" % (dname, self.devices[dname]))
                self.devices[dname] = name
                devices[dname] = self.device(name, dname, dnode)
        return devices

    def device(self, handler, name, node):
        what = "device %s" % name
        device = {"attributes": {}}
        attrs = device["attributes"]
        for key, branch in node.items.items():
            if key == "filename":
                device["filename"] = self.single(what, key, branch)
                if not device["filename"]:
                    del device["filename"]
                continue
            if key in ("size", "size_mb"):
                self.size(handler, what, key, branch, attrs)
                continue
            self.attributes(what, key, branch, attrs, catalog.DEVICE_ATTRS, handler, "device")
        return device

    def size(self, handler, what, key, node, attrs):
        value = self.single(what, key, node)
        if handler != catalog.NULLIO:
            self.note(node.line, "%s: %s %s not imported: the size of a %s device is that of its backing "
                                 "store (scstadmin writes it because SCST marks it as set)"
                      % (what, key, value, handler))
            return
        if not re.match(r"^(0|[1-9][0-9]*)$", value):
            self.note(node.line, "%s: %s %r is not a whole number; kept as written" % (what, key, value))
            attrs[key] = value
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
                self.enabled(what, branch, driver)
            elif key == "TARGET":
                for tname, tnode in self.names(what, "TARGET", branch):
                    driver["targets"][tname] = self.target(name, tname, tnode)
            elif _MULTI.match(key) and not key.startswith("allowed_portal"):
                self.chap(what, key, branch, driver["chap"])
            else:
                self.attributes(what, key, branch, driver["attributes"], catalog.DRIVER_ATTRS, name,
                                "driver")
        if "enabled" not in driver:
            self.note(node.line, "%s has no 'enabled' line: scstadmin leaves it as it is (disabled after a "
                                 "boot)" % what)
        return driver

    def enabled(self, what, node, entry):
        value = self.single(what, "enabled", node)
        if value in ("0", "1"):
            entry["enabled"] = value == "1"
        else:
            self.note(node.line, "%s: enabled %r is neither 0 nor 1; not imported" % (what, value))

    def chap(self, what, key, node, chap):
        direction = "incoming" if key.startswith("IncomingUser") else "outgoing"
        for value, vnode in _values(node):
            words = value.split()
            if vnode.items:
                self.note(vnode.line, "%s: %s is written unquoted; scstadmin rejects it (write it as "
                                      "%s \"user secret\"); not imported" % (what, key, key))
                continue
            if len(words) != 2:
                self.note(vnode.line, "%s: %s needs exactly a user name and a secret; not imported"
                          % (what, key))
                continue
            users = [a["username"] for a in chap[direction]]
            if words[0] in users:
                self.note(vnode.line, "%s: CHAP user %s is given twice for %s; iscsi-scstd refuses the "
                                      "second one" % (what, words[0], direction))
            chap[direction].append({"username": words[0], "password": words[1]})
        if direction == "outgoing" and len(chap["outgoing"]) > 1:
            self.note(node.line, "%s: more than one OutgoingUser; iSCSI allows only one" % what)

    def target(self, driver, name, node):
        what = "target %s" % name
        target = {"attributes": {}, "allowed_portals": [], "chap": {"incoming": [], "outgoing": []},
                  "luns": {}, "groups": {}}
        for key, branch in node.items.items():
            if key == "enabled":
                self.enabled(what, branch, target)
            elif key == "LUN":
                target["luns"] = self.luns(what, branch)
            elif key == "GROUP":
                for gname, gnode in self.names(what, "GROUP", branch):
                    target["groups"][gname] = self.group(what, gname, gnode)
            elif key == "HW_TARGET":
                self.note(branch.line, "%s: HW_TARGET (a hardware target) is not part of the configuration "
                                       "shape; not imported" % what)
            elif _MULTI.match(key):
                if key.startswith("allowed_portal"):
                    target["allowed_portals"].extend(n for n, _node in self.names(what, key, branch))
                else:
                    self.chap(what, key, branch, target["chap"])
            else:
                self.attributes(what, key, branch, target["attributes"], catalog.TARGET_ATTRS,
                                _scope(catalog.TARGET_ATTRS, key, driver), "target")
        if "enabled" not in target:
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
            if number is None or number > LUN_MAX:
                self.note(nnode.line, "%s: LUN %r is not a number from 0 to %d; not imported"
                          % (what, number_text, LUN_MAX))
                continue
            if number_text != str(number):
                self.note(nnode.line, "%s: LUN %s is read by SCST as %d (numbers are read in base 0: "
                                      "a leading 0 means octal)" % (what, number_text, number))
            if not nnode.items:
                self.note(nnode.line, "%s: LUN %s names no device; not imported" % (what, number_text))
                continue
            if len(nnode.items) > 1 or number in luns:
                self.note(nnode.line, "%s: LUN %d is mapped to more than one device; scstadmin refuses "
                                      "this (the last one is kept)" % (what, number))
            for device, dnode in self.names("%s LUN %d" % (what, number), "device", nnode):
                luns[number] = {"device": device, "read_only": False}
                for key, branch in dnode.items.items():
                    if key == "read_only":
                        value = self.single("%s LUN %d" % (what, number), key, branch)
                        luns[number]["read_only"] = value == "1"
                        if value not in ("0", "1"):
                            self.note(branch.line, "%s: LUN %d: read_only %r is neither 0 nor 1; read as 0"
                                      % (what, number, value))
                    else:
                        self.note(branch.line, "%s: LUN %d: attribute %s is not part of the configuration "
                                               "shape; not imported" % (what, number, key))
                self.lun_devices.append((dnode.line, what, number, device))
        return dict(sorted(luns.items()))

    def group(self, what, name, node):
        sub = "%s group %s" % (what, name)
        group = {"initiators": [], "luns": {}, "attributes": {}}
        for key, branch in node.items.items():
            if key == "LUN":
                group["luns"] = self.luns(sub, branch)
            elif key == "INITIATOR":
                group["initiators"] = sorted(n for n, _node in self.names(sub, "INITIATOR", branch))
            else:
                self.attributes(sub, key, branch, group["attributes"], catalog.GROUP_ATTRS,
                                _scope(catalog.GROUP_ATTRS, key, self.driver_name), "group")
        return group

    driver_name = None

    def run(self, root):
        config = {"handlers": {}, "drivers": {}}
        for key, branch in root.items.items():
            if key == "HANDLER":
                for name, node in self.names("top level", "HANDLER", branch):
                    config["handlers"][name] = {"devices": self.handler(name, node)}
            elif key == "TARGET_DRIVER":
                for name, node in self.names("top level", "TARGET_DRIVER", branch):
                    self.driver_name = name
                    config["drivers"][name] = self.driver(name, node)
            elif key in ("DEVICE_GROUP", "ALUA"):
                self.note(branch.line, "%s: ALUA configuration is not part of the configuration shape; not "
                                       "imported" % key)
            else:
                self.note(branch.line, "SCST root attribute %s is not part of the configuration shape; not "
                                       "imported" % key)
        for line, what, number, device in self.lun_devices:
            if device in self.devices or re.match(r"^\d+:\d+:\d+:\d+$", device):
                continue
            self.note(line, "%s: LUN %d uses device %s, which no HANDLER section defines (scstadmin drops "
                            "such a LUN unless the device exists)" % (what, number, device))
        return config


def _where(spec):
    return spec.where if isinstance(spec.where, tuple) else (spec.where,)


def _scope(table, key, driver):
    """Where a target/group attribute lives: SCST core or the target driver."""
    return "core" if key in table and table[key].where == "core" else driver


def _kernel_number(text):
    """A number as the kernel's kstrtoul(..., 0) reads it, or None."""
    if re.match(r"^0[xX][0-9a-fA-F]+$", text):
        return int(text, 16)
    if re.match(r"^0[0-7]+$", text):
        return int(text, 8)
    if re.match(r"^(0|[1-9][0-9]*)$", text):
        return int(text)
    return None


def parse_scst_conf(text):
    """Read scst.conf text as scstadmin does: ``(config, report)``.

    ``config`` is in normal form (see ``normalise_config``); ``report`` lists,
    as ``line N: ...`` sentences, everything that was not imported or that
    scstadmin would treat differently from what the author probably meant.
    The report never holds a CHAP secret.  Raises ``ConfError`` for the
    deprecated pre-sysfs format.
    """
    reader = _Reader()
    root = reader.tree(_lexical(text))
    config = _Interpreter(reader).run(root)
    return normalise_config(config), reader.lines()
