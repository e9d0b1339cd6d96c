# -*- coding: utf-8 -*-
# Copyright: scst.iscsi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One way to hide secrets, for both halves of the collection: what replaces a
secret wherever something is shown (plans, diffs, returned data, errors), and
the functions that find secrets in nested data."""

from __future__ import annotations

MASK = "********"
# A secret that a run changes, shown in a diff without showing either value.
MASK_CHANGED = "******** (changed)"

# Keys whose values are secrets in the collection's nested data
# (scst.conf-shaped configurations: CHAP accounts are {username, password}).
SECRET_KEYS = frozenset(("password",))


def mask_text(text, secrets):
    """``text`` with every character that belongs to an occurrence of a secret hidden.

    Each run of such characters becomes one MASK. Replacing secret after secret
    would not do: in ``=;;;`` with the secrets ``;;`` and ``=;``, masking ``;;``
    first breaks ``=;`` apart and leaves ``=`` and ``;`` beside the mask.
    """
    if not text:
        return text
    hidden = [False] * len(text)
    for secret in secrets:
        if not secret:
            continue
        start = text.find(secret)
        while start >= 0:
            hidden[start:start + len(secret)] = [True] * len(secret)
            start = text.find(secret, start + 1)
    if not any(hidden):
        return text
    shown = []
    for index, char in enumerate(text):
        if not hidden[index]:
            shown.append(char)
        elif index == 0 or not hidden[index - 1]:
            shown.append(MASK)
    return "".join(shown)


def _secret(key, value, secret_keys):
    """A value that must be hidden: a non-empty scalar under a secret key (a
    password YAML read as a number is still a password)."""
    return key in secret_keys and isinstance(value, (str, int, float)) and not isinstance(value, bool) \
        and str(value) != ""


def mask_secrets(data, secret_keys=SECRET_KEYS):
    """A copy of ``data`` with every secret (see ``_secret``) replaced by ``MASK``."""
    if isinstance(data, dict):
        return dict((key, MASK if _secret(key, value, secret_keys) else mask_secrets(value, secret_keys))
                    for key, value in data.items())
    if isinstance(data, (list, tuple)):
        return [mask_secrets(item, secret_keys) for item in data]
    return data


def find_secrets(data, secret_keys=SECRET_KEYS):
    """Every secret in ``data``, as text (for ``AnsibleModule.no_log_values``)."""
    found = set()
    if isinstance(data, dict):
        for key, value in data.items():
            if _secret(key, value, secret_keys):
                found.add(str(value))
            else:
                found |= find_secrets(value, secret_keys)
    elif isinstance(data, (list, tuple)):
        for item in data:
            found |= find_secrets(item, secret_keys)
    return found
