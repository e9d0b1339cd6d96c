# -*- coding: utf-8 -*-
# Copyright: scst.iscsi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Validation and normalisation of names and values, by SCST's real rules.

Everything here runs before the first write: a request that fails raises
``ValidationError`` naming the field and the rule, and nothing is written.
"""

from __future__ import annotations

import re

from ansible_collections.scst.iscsi.plugins.module_utils.scst.errors import ValidationError

LUN_MAX = 16383
DEVICE_NAME_MAX = 64
TARGET_NAME_MAX = 223       # RFC 3720 limit for iSCSI names (SCST silently cuts at 255)
CHAP_SECRET_MIN = 12
CHAP_SECRET_MAX = 255       # only the first 255 bytes are used by iscsi-scstd
CHAP_USER_MAX = 255

# Characters that would let a value end one SCST command and smuggle in another
# (the mgmt lexer splits on whitespace and '=', parameters on ';', lines on
# newlines), or that cannot be a sysfs file name.
_FORBIDDEN = re.compile(r"[\s;=\x00-\x1f\x7f]")
_PASS_THROUGH = re.compile(r"^\d+:\d+:\d+:\d+$")
_IQN = re.compile(r"^iqn\.\d{4}-(0[1-9]|1[0-2])\.[a-z0-9]([a-z0-9-]*[a-z0-9])?"
                  r"(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*(:[^\s]*)?$")
_EUI = re.compile(r"^eui\.[0-9A-Fa-f]{16}$")
_NAA = re.compile(r"^naa\.([0-9A-Fa-f]{16}|[0-9A-Fa-f]{32})$")
_DECIMAL = re.compile(r"^(0|[1-9][0-9]*)$")

TRUE_WORDS = ("1", "true", "yes", "on", "y")
FALSE_WORDS = ("0", "false", "no", "off", "n")


def _text(field, value):
    if value is None:
        raise ValidationError(field, "is required")
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise ValidationError(field, "must be a string", value)
    return str(value)


def clean_token(field, value, *, max_len=255, what="name"):
    """A value that travels as one lexem of a management command."""
    text = _text(field, value)
    if not text:
        raise ValidationError(field, "must not be empty")
    if _FORBIDDEN.search(text):
        raise ValidationError(field, "must not contain whitespace, ';', '=' or control characters "
                                     "(they would split the SCST command)", value)
    if len(text.encode("utf-8")) > max_len:
        raise ValidationError(field, "%s is longer than %d bytes" % (what, max_len), value)
    return text


# Files of a handler's sysfs directory (handlers/<handler>/): a device's link
# there would collide with them, and the device would be hidden or refused.
HANDLER_FILES = ("mgmt", "type", "trace_level")
# The one file of a target's ini_groups/ directory.
GROUPS_FILES = ("mgmt",)


def device_name(field, value):
    text = clean_token(field, value, max_len=DEVICE_NAME_MAX, what="device name")
    if _PASS_THROUGH.match(text):
        return text
    if "/" in text or "." in text:
        raise ValidationError(field, "a virtual device name must not contain '/' or '.'", value)
    if text in HANDLER_FILES:
        raise ValidationError(field, "must not be %s: a file of the handler's sysfs directory has that name"
                              % ", ".join(HANDLER_FILES), value)
    return text


def pass_through_name(field, value):
    text = _text(field, value)
    if not _PASS_THROUGH.match(text):
        raise ValidationError(field, "a pass-through device is named H:C:I:L (four numbers)", value)
    return text


def target_name(field, value, *, driver="iscsi"):
    text = clean_token(field, value, max_len=TARGET_NAME_MAX, what="target name")
    if "/" in text:
        raise ValidationError(field, "must not contain '/' (sysfs would rename it)", value)
    if driver == "iscsi" and not (_IQN.match(text) or _EUI.match(text) or _NAA.match(text)):
        raise ValidationError(field, "must be an iSCSI name: iqn.YYYY-MM.reversed.domain[:id] "
                                     "in lower case, eui.<16 hex> or naa.<16|32 hex>", value)
    return text


def group_name(field, value):
    text = clean_token(field, value, max_len=64, what="group name")
    if "/" in text:
        raise ValidationError(field, "must not contain '/'", value)
    if text in GROUPS_FILES:
        raise ValidationError(field, "must not be mgmt: the management file of ini_groups/ has that name", value)
    return text


def initiator_name(field, value):
    """An initiator name or a pattern (``*``, ``?``, a leading ``!``)."""
    text = clean_token(field, value, max_len=TARGET_NAME_MAX, what="initiator name")
    if "/" in text:
        raise ValidationError(field, "must not contain '/' (it names a sysfs file)", value)
    return text


def lun_number(field, value):
    if isinstance(value, bool):
        raise ValidationError(field, "must be an integer from 0 to %d" % LUN_MAX, value)
    if isinstance(value, str):
        if not _DECIMAL.match(value):
            raise ValidationError(field, "must be a plain decimal number from 0 to %d "
                                         "(no sign, no leading zeros: SCST reads 010 as octal 8)"
                                  % LUN_MAX, value)
        value = int(value)
    if not isinstance(value, int) or not 0 <= value <= LUN_MAX:
        raise ValidationError(field, "must be an integer from 0 to %d" % LUN_MAX, value)
    return value


def integer(field, value, *, minimum=None, maximum=None):
    """A number as SCST should receive it: plain decimal, never octal by accident."""
    if isinstance(value, bool):
        raise ValidationError(field, "must be an integer", value)
    if isinstance(value, str):
        text = value.strip()
        if not re.match(r"^-?(0|[1-9][0-9]*)$", text):
            raise ValidationError(field, "must be a plain decimal integer (no leading zeros: "
                                         "SCST reads 010 as octal)", value)
        value = int(text)
    if not isinstance(value, int):
        raise ValidationError(field, "must be an integer", value)
    if minimum is not None and value < minimum or maximum is not None and value > maximum:
        raise ValidationError(field, "must be between %s and %s" % (minimum, maximum), value)
    return value


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
    """Secrets are never echoed back in an error, only their rule."""
    if not isinstance(value, str) or not value:
        raise ValidationError(field, "is required and must be a string")
    if _FORBIDDEN.search(value):
        raise ValidationError(field, "must not contain whitespace, '=' or ';' (iscsi-scstd would "
                                     "silently cut the secret there)")
    if len(value) < CHAP_SECRET_MIN:
        raise ValidationError(field, "must be at least %d characters (iscsi-scstd rejects shorter "
                                     "secrets)" % CHAP_SECRET_MIN)
    if len(value.encode("utf-8")) > CHAP_SECRET_MAX:
        raise ValidationError(field, "must be at most %d bytes" % CHAP_SECRET_MAX)
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
    return clean_token(field, value, max_len=255, what="portal pattern")
