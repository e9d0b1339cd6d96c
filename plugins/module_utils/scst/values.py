# -*- coding: utf-8 -*-
# Copyright: scst.iscsi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Validation and normalisation of names and values, by SCST's real rules.

Everything here runs before the first write: a request that fails raises
``ValidationError`` naming the field and the rule, and nothing is written.
"""

from __future__ import annotations

import re
import unicodedata

from ansible_collections.scst.iscsi.plugins.module_utils.scst.errors import ValidationError

LUN_MAX = 16383             # SCST refuses a LUN above 16383 (EINVAL)
DEVICE_NAME_MAX = 64        # vdisk add_device refuses longer names (EINVAL)
# A name that becomes a sysfs file or directory name (VFS NAME_MAX); iscsi-scstd
# also cuts target names at 255 bytes, silently.
NAME_MAX = 255
ISCSI_NAME_MAX = 223        # RFC 3720 3.2.6.1: longer iSCSI names are warned about, not refused
CHAP_SECRET_MIN = 12        # iscsi-scstd refuses shorter secrets (bytes, as strlen counts them)
CHAP_SECRET_MAX = 255       # only the first 255 bytes are used by iscsi-scstd and open-iscsi
CHAP_USER_MAX = 255

# The rule table of names (every name-bearing option of every module goes
# through clean_token and, when the name becomes a sysfs file or directory,
# _path_component).  A name is refused only when it is unsafe or cannot
# round-trip through SCST, sysfs and scst.conf:
#   empty;
#   whitespace (any Unicode blank), ';', '=' or control characters: the mgmt
#     lexer splits on blanks and '=', parameter lists on ';', commands on line
#     breaks;
#   invisible formatting characters (Unicode Cf such as U+200B or U+FEFF):
#     two different names would look the same in every listing;
#   lone surrogates: they have no UTF-8 form;
#   '"', '{', '}': scst.conf has no escape for them, so the configuration
#     could not be persisted ('#' and '\' are escaped, so they are accepted);
#   '/', '.' and '..' where the name is a path component (sysfs would rename
#     or resolve it);
#   names of the files beside it in its sysfs directory (RESERVED_* below);
#   more bytes (UTF-8) than SCST keeps: devices 64, everything else 255.
# An iSCSI target or initiator name that is not in RFC 3720 form (iqn., eui.,
# naa.) or is longer than 223 bytes is accepted with a warning: SCST takes it,
# and short names such as "target1" are common in existing scst.conf files.
_SPLIT_CHARS = ";="
_CONF_CHARS = '"{}'
_PASS_THROUGH = re.compile(r"[0-9]+:[0-9]+:[0-9]+:[0-9]+")
_IQN = re.compile(r"iqn\.[0-9]{4}-(0[1-9]|1[0-2])\.[a-z0-9]([a-z0-9-]*[a-z0-9])?"
                  r"(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*(:[^\s]*)?")
_EUI = re.compile(r"eui\.[0-9A-Fa-f]{16}")
_NAA = re.compile(r"naa\.([0-9A-Fa-f]{16}|[0-9A-Fa-f]{32})")
_DECIMAL = re.compile(r"0|-?[1-9][0-9]*")        # ASCII digits; used with fullmatch
_UNSIGNED = re.compile(r"0|[1-9][0-9]*")

TRUE_WORDS = ("1", "true", "yes", "on", "y")
FALSE_WORDS = ("0", "false", "no", "off", "n")

# Files of a handler's sysfs directory (handlers/<handler>/): a device's link
# there would collide with them, and the device would be hidden or refused.
# device_groups/<dg>/devices/ holds a mgmt file beside its device links too.
HANDLER_FILES = ("mgmt", "type", "trace_level")
# The one file of a target's ini_groups/ directory.
GROUPS_FILES = ("mgmt",)
# The one file of a group's initiators/ directory (each initiator is a file there).
INITIATORS_FILES = ("mgmt",)
# Files of a target driver's directory (targets/<driver>/) beside its targets:
# core and daemon-made attributes of iscsi, copy_manager and scst_local.
DRIVER_FILES = ("mgmt", "trace_level", "dif_capabilities", "version", "open_state", "enabled",
                "iSNSServer", "isns_entity_name", "link_local", "internal_portal",
                "allow_not_connected_copy")
_DRIVER_FILE = re.compile(r"(IncomingUser|OutgoingUser)[0-9]*")
# ALUA: device_groups/ and <dg>/target_groups/ hold a mgmt file beside their
# groups; a target group's directory holds these files beside its targets.
DEVICE_GROUPS_FILES = ("mgmt",)
TARGET_GROUPS_FILES = ("mgmt",)
TARGET_GROUP_FILES = ("mgmt", "group_id", "preferred", "state")


def _text(field, value):
    if value is None:
        raise ValidationError(field, "is required")
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise ValidationError(field, "must be a string", value)
    return str(value)


def _check_characters(field, text, value, *, conf=True):
    for char in text:
        category = unicodedata.category(char)
        if char in _SPLIT_CHARS or char.isspace() or category in ("Cc", "Zs", "Zl", "Zp"):
            raise ValidationError(field, "must not contain whitespace, ';', '=' or control characters "
                                         "(they would split the SCST command)", value)
    for char in text:
        category = unicodedata.category(char)
        if category == "Cs":
            raise ValidationError(field, "must be valid Unicode text (a lone surrogate has no UTF-8 form)",
                                  value)
        if category == "Cf":
            raise ValidationError(field, "must not contain invisible formatting characters such as U+%04X "
                                         "(two different names would look the same)" % ord(char), value)
    if conf:
        _refuse_unsaveable(field, text, value)


def _refuse_unsaveable(field, text, value):
    """Characters scst.conf has no escape for: refused before any write, since
    the save after the writes would fail."""
    if any(char in _CONF_CHARS for char in text):
        raise ValidationError(field, "must not contain '\"', '{' or '}' (scst.conf has no way to write "
                                     "them, so the configuration could not be saved)", value)


def clean_token(field, value, *, max_len=NAME_MAX, what="name"):
    """A value that travels as one lexem of a management command and as one
    token of scst.conf: the character rules of the table above."""
    text = _text(field, value)
    if not text:
        raise ValidationError(field, "must not be empty")
    _check_characters(field, text, value)
    if len(text.encode("utf-8")) > max_len:
        raise ValidationError(field, "%s is longer than %d bytes" % (what, max_len), value)
    return text


def _path_component(field, text, value, *, reserved=(), where=""):
    """A name that becomes one sysfs file or directory name in ``where``."""
    if "/" in text:
        raise ValidationError(field, "must not contain '/' (the name becomes a sysfs file or directory "
                                     "name)", value)
    if text in (".", ".."):
        raise ValidationError(field, "must not be '.' or '..' (the name becomes a sysfs directory entry)",
                              value)
    if text in reserved:
        raise ValidationError(field, "must not be %s: a file of %s has that name"
                              % (", ".join(reserved), where), value)
    return text


def _warn(warnings, field, text, message):
    if warnings is not None:
        warnings.append("%s: %r %s" % (field, text, message))


def is_iscsi_name(text):
    """True for an RFC 3720 iSCSI name: iqn. (lower case), eui. or naa. form."""
    return bool(_IQN.fullmatch(text) or _EUI.fullmatch(text) or _NAA.fullmatch(text))


def _iscsi_name_warnings(field, text, warnings, *, what):
    if not is_iscsi_name(text):
        _warn(warnings, field, text, "is not an iSCSI %s in RFC 3720 form (iqn.YYYY-MM.reversed.domain[:id] "
                                     "in lower case, eui.<16 hex> or naa.<16|32 hex>); SCST accepts it, "
                                     "but initiators may not" % what)
    if len(text.encode("utf-8")) > ISCSI_NAME_MAX:
        _warn(warnings, field, text, "is longer than the %d bytes RFC 3720 allows for an iSCSI name; SCST "
                                     "accepts it, but initiators may not" % ISCSI_NAME_MAX)


def device_name(field, value):
    text = clean_token(field, value, max_len=DEVICE_NAME_MAX, what="device name")
    if _PASS_THROUGH.fullmatch(text):
        return text
    if "/" in text or "." in text:
        raise ValidationError(field, "a virtual device name must not contain '/' or '.'", value)
    if text in HANDLER_FILES:
        raise ValidationError(field, "must not be %s: a file of the handler's sysfs directory has that name"
                              % ", ".join(HANDLER_FILES), value)
    return text


def pass_through_name(field, value):
    text = _text(field, value)
    if not _PASS_THROUGH.fullmatch(text):
        raise ValidationError(field, "a pass-through device is named H:C:I:L (four numbers)", value)
    return text


def handler_name(field, value):
    """A device handler: a directory of handlers/."""
    return _path_component(field, clean_token(field, value, what="handler name"), value)


def driver_name(field, value):
    """A target driver: a directory of targets/."""
    text = clean_token(field, value, what="driver name")
    if text == "copy_manager":
        raise ValidationError(field, "copy_manager is SCST's own: its target and LUNs are automatic and "
                                     "never configured")
    return _path_component(field, text, value)


def target_name(field, value, *, driver="iscsi", warnings=None):
    """A target: a directory of targets/<driver>/.

    ``warnings`` (a list) receives the warning for an iSCSI target name that
    is not in RFC 3720 form or is longer than 223 bytes.
    """
    text = clean_token(field, value, what="target name")
    _path_component(field, text, value)
    if text in DRIVER_FILES or _DRIVER_FILE.fullmatch(text):
        raise ValidationError(field, "must not be the name of a file of the target driver's sysfs directory "
                                     "(%s, IncomingUser[N], OutgoingUser)" % ", ".join(DRIVER_FILES), value)
    if driver == "iscsi":
        _iscsi_name_warnings(field, text, warnings, what="name")
    return text


def group_name(field, value):
    """An initiator group: a directory of <target>/ini_groups/."""
    text = clean_token(field, value, what="group name")
    return _path_component(field, text, value, reserved=GROUPS_FILES,
                           where="ini_groups/ (its management file)")


def initiator_name(field, value, *, driver="iscsi", warnings=None):
    """An initiator name or a pattern (``*``, ``?``, a leading ``!``): a file
    of <group>/initiators/.  With iSCSI per_portal_acl a name is
    ``<iqn>#<portal>``; a name that is no pattern and whose part before '#' is
    not an RFC 3720 iSCSI name gets a warning."""
    text = clean_token(field, value, what="initiator name")
    _path_component(field, text, value, reserved=INITIATORS_FILES, where="initiators/ (its management file)")
    if driver == "iscsi" and not any(char in text for char in "*?!"):
        _iscsi_name_warnings(field, text.split("#", 1)[0], warnings, what="initiator name")
    return text


def device_group_name(field, value):
    """An ALUA device group: a directory of device_groups/."""
    text = clean_token(field, value, what="device group name")
    return _path_component(field, text, value, reserved=DEVICE_GROUPS_FILES,
                           where="device_groups/ (its management file)")


def target_group_name(field, value):
    """An ALUA target group: a directory of device_groups/<dg>/target_groups/."""
    text = clean_token(field, value, what="target group name")
    return _path_component(field, text, value, reserved=TARGET_GROUPS_FILES,
                           where="target_groups/ (its management file)")


def target_group_member(field, value):
    """A target in an ALUA target group: a link or directory beside the
    group's own files (group_id, preferred, state, mgmt)."""
    text = clean_token(field, value, what="target name")
    return _path_component(field, text, value, reserved=TARGET_GROUP_FILES,
                           where="a target group's directory")


def _number(field, value, *, pattern, rule, text_rule):
    """An int from what the user wrote, refusing every form SCST's kstrto*
    (base 0) or Ansible's int conversion would read differently."""
    if isinstance(value, bool):
        raise ValidationError(field, "%s, not a boolean" % rule, value)
    if isinstance(value, float):
        raise ValidationError(field, "%s, not a floating point number" % rule, value)
    if isinstance(value, str):
        if not pattern.fullmatch(value):
            raise ValidationError(field, text_rule, value)
        return int(value)
    if not isinstance(value, int):
        raise ValidationError(field, rule, value)
    return value


_PLAIN = ("no sign, blanks, leading zeros, exponent or hex: SCST reads 010 as octal 8 "
          "and 0x10 as 16")


def lun_number(field, value):
    rule = "must be an integer from 0 to %d" % LUN_MAX
    number = _number(field, value, pattern=_UNSIGNED, rule=rule,
                     text_rule="must be a plain decimal number from 0 to %d (%s)" % (LUN_MAX, _PLAIN))
    if not 0 <= number <= LUN_MAX:
        raise ValidationError(field, rule, value)
    return number


def integer(field, value, *, minimum=None, maximum=None):
    """A number as SCST should receive it: plain decimal, never octal by accident."""
    number = _number(field, value, pattern=_DECIMAL, rule="must be an integer",
                     text_rule="must be a plain decimal integer (%s)" % _PLAIN)
    if minimum is not None and number < minimum or maximum is not None and number > maximum:
        if maximum is None:
            raise ValidationError(field, "must be at least %s" % minimum, value)
        if minimum is None:
            raise ValidationError(field, "must be at most %s" % maximum, value)
        raise ValidationError(field, "must be between %s and %s" % (minimum, maximum), value)
    return number


def boolean(field, value):
    """0/1 as SCST stores it.  SCST keeps only the lowest bit, so 2 would be 0."""
    if isinstance(value, bool):
        return 1 if value else 0
    if isinstance(value, int) and value in (0, 1):
        return value
    if isinstance(value, str) and value.strip().lower() in TRUE_WORDS + FALSE_WORDS:
        return 1 if value.strip().lower() in TRUE_WORDS else 0
    raise ValidationError(field, "must be a boolean (true/false, yes/no or 0/1)", value)


def yes_no(field, value):
    """iSCSI Yes/No parameters: the daemon accepts exactly 'Yes' or 'No'."""
    return "Yes" if boolean(field, value) else "No"


def digest_list(field, value):
    """HeaderDigest/DataDigest: normalised the way iscsi-scstd reads them back."""
    items = value if isinstance(value, list) else str(_text(field, value)).split(",")
    seen = set()
    for item in items:
        word = str(item).strip().lower()
        if word == "none":
            seen.add("None")
        elif word == "crc32c":
            seen.add("CRC32C")
        else:
            raise ValidationError(field, "must be None, CRC32C or both (comma separated)", value)
    return ",".join(w for w in ("None", "CRC32C") if w in seen)


def chap_user(field, value):
    return clean_token(field, value, max_len=CHAP_USER_MAX, what="CHAP user name")


def chap_secret(field, value):
    """A CHAP secret as an SCST target takes it.  Never echoed back in an
    error, only the rule it breaks."""
    if not isinstance(value, str) or not value:
        raise ValidationError(field, "is required and must be a string")
    for char in value:
        category = unicodedata.category(char)
        if char in _SPLIT_CHARS or char.isspace() or category in ("Zs", "Zl", "Zp"):
            raise ValidationError(field, "must not contain whitespace, '=' or ';' (iscsi-scstd would "
                                         "silently cut the secret there)")
        if category == "Cc":
            raise ValidationError(field, "must not contain control characters (the mgmt command and "
                                         "scst.conf end at a line break)")
        if category == "Cs":
            raise ValidationError(field, "must be valid Unicode text (a lone surrogate has no UTF-8 form)")
    if any(char in _CONF_CHARS for char in value):
        raise ValidationError(field, "must not contain '\"', '{' or '}' (scst.conf has no way to write "
                                     "them, so the configuration could not be saved)")
    size = len(value.encode("utf-8"))
    if size < CHAP_SECRET_MIN:
        raise ValidationError(field, "must be at least %d characters (iscsi-scstd rejects shorter "
                                     "secrets)" % CHAP_SECRET_MIN)
    if size > CHAP_SECRET_MAX:
        raise ValidationError(field, "must be at most %d bytes (iscsi-scstd and open-iscsi use no more)"
                              % CHAP_SECRET_MAX)
    return value


def absolute_path(field, value):
    text = clean_token(field, value, max_len=4000, what="path")
    if not text.startswith("/"):
        raise ValidationError(field, "must be an absolute path", value)
    return text


def free_text(field, value, *, max_len):
    """Single-line text written to an attribute file (not a mgmt command)."""
    text = _text(field, value)
    if "\n" in text or "\r" in text or "\x00" in text:
        raise ValidationError(field, "must be a single line", value)
    _refuse_unsaveable(field, text, value)
    if len(text.encode("utf-8")) > max_len:
        raise ValidationError(field, "must be at most %d bytes" % max_len, value)
    return text


def choice(field, value, choices):
    text = _text(field, value)
    if text not in choices:
        raise ValidationError(field, "must be one of %s" % ", ".join(choices), value)
    return text


def portal_pattern(field, value):
    """allowed_portal: an address pattern with * and ?, optionally negated with !."""
    return clean_token(field, value, what="portal pattern")
