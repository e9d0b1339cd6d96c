"""Tokenizers and number parsers with kernel semantics (spec 1.2 and 1.3).

Clients get errno values that depend on *how* the kernel splits a command,
so these helpers reproduce the two SCST tokenizers and the ``kstrto*``
family exactly, including the odd corners (``=`` is a separator, an empty
``;`` token silently ends parameter parsing, ``010`` is octal).
"""

from .errors import EINVAL, ERANGE, fail

_WHITESPACE = " \t\n\v\f\r"


class Cursor:
    """Walks over one command buffer the way SCST's sysfs parsers do."""

    def __init__(self, text: str):
        # The kernel works on a NUL-terminated copy: anything after a NUL is
        # invisible to the parsers.
        self.text = text.split("\0", 1)[0]
        self.pos = 0

    def lexem(self) -> str:
        """Next lexem: skip whitespace and '=', read up to whitespace or '='.

        The delimiter that ends the lexem is consumed.  Returns '' at the end.
        """
        text, n = self.text, len(self.text)
        i = self.pos
        while i < n and (text[i] in _WHITESPACE or text[i] == "="):
            i += 1
        start = i
        while i < n and not (text[i] in _WHITESPACE or text[i] == "="):
            i += 1
        word = text[start:i]
        if i < n:
            i += 1
        self.pos = i
        return word

    def token(self) -> str:
        """Next token: everything up to ';' or '\\n' (delimiter consumed)."""
        text, n = self.text, len(self.text)
        i = self.pos
        start = i
        while i < n and text[i] not in ";\n":
            i += 1
        tok = text[start:i]
        if i < n:
            i += 1
        self.pos = i
        return tok

    def rest(self) -> str:
        return self.text[self.pos:]

    def params(self):
        """Yield (name, value) pairs of a '[parameters]' list.

        Stops silently at the first empty token, raises EINVAL for a missing
        value or a third lexem inside one token ("too many values").
        """
        while True:
            tok = self.token()
            if tok == "":
                return
            inner = Cursor(tok)
            name = inner.lexem()
            if name == "":
                # A token made only of blanks/'=' carries no parameter; the
                # kernel reports it as a missing parameter name.
                fail(EINVAL, "parameter name expected")
            value = inner.lexem()
            if value == "":
                fail(EINVAL, f"value for {name} missing")
            if inner.lexem() != "":
                fail(EINVAL, f"too many values for {name}")
            yield name, value


def first_line(data: str) -> str:
    """String stores in SCST cut the buffer at the first newline."""
    return data.split("\n", 1)[0]


def strip_one_newline(data: str) -> str:
    return data[:-1] if data.endswith("\n") else data


# ---------------------------------------------------------------- numbers --

def _parse_unsigned(s: str, base: int) -> int:
    """Core of kstrtoull: returns the value, raises EINVAL/ERANGE."""
    if base == 0:
        if s[:2].lower() == "0x" and len(s) > 2 and s[2] in "0123456789abcdefABCDEF":
            base, s = 16, s[2:]
        elif s.startswith("0") and len(s) > 1:
            base, s = 8, s[1:]
        else:
            base = 10
    elif base == 16 and s[:2].lower() == "0x":
        s = s[2:]
    if s == "":
        fail(EINVAL, "no digits")
    digits = "0123456789abcdef"[:base]
    value = 0
    for ch in s.lower():
        d = digits.find(ch)
        if d < 0:
            fail(EINVAL, f"bad digit {ch!r}")
        value = value * base + d
        if value >= 1 << 64:
            fail(ERANGE, "overflow")
    return value


def _strip_kstrto(s: str) -> str:
    # kstrto* tolerate exactly one trailing newline and nothing else.
    return s[:-1] if s.endswith("\n") else s


def kstrtoull(s: str, base: int = 0, bits: int = 64) -> int:
    """Unsigned parse like kstrtoul/kstrtoull/kstrtouint (a leading '+' is ok)."""
    s = _strip_kstrto(s)
    if s.startswith("+"):
        s = s[1:]
    value = _parse_unsigned(s, base)
    if value >= 1 << bits:
        fail(ERANGE, "overflow")
    return value


kstrtoul = kstrtoull


def kstrtoll(s: str, base: int = 0, bits: int = 64) -> int:
    """Signed parse like kstrtol/kstrtoll/kstrtoint."""
    s = _strip_kstrto(s)
    negative = s.startswith("-")
    if negative:
        s = s[1:]
    elif s.startswith("+"):
        s = s[1:]
    value = _parse_unsigned(s, base)
    limit = 1 << (bits - 1)
    if negative:
        if value > limit:
            fail(ERANGE, "underflow")
        return -value
    if value >= limit:
        fail(ERANGE, "overflow")
    return value


kstrtol = kstrtoll


def kstrtoint(s: str, base: int = 0) -> int:
    return kstrtoll(s, base, bits=32)


def kstrtobool(s: str) -> bool:
    """Kernel kstrtobool: looks at the first one or two characters only."""
    if not s:
        fail(EINVAL)
    c = s[0].lower()
    if c in "y1":
        return True
    if c in "n0":
        return False
    if c == "o" and len(s) > 1:
        if s[1].lower() == "n":
            return True
        if s[1].lower() == "f":
            return False
    fail(EINVAL)


def c_strtol(s: str) -> int:
    """C ``strtol(s, NULL, 0)`` without error detection (used by iscsi-scstd).

    Leading blanks and a sign are accepted, parsing stops at the first bad
    character, no digits at all yields 0.
    """
    i, n = 0, len(s)
    while i < n and s[i] in _WHITESPACE:
        i += 1
    sign = 1
    if i < n and s[i] in "+-":
        sign = -1 if s[i] == "-" else 1
        i += 1
    base = 10
    if s[i:i + 2].lower() == "0x" and i + 2 < n and s[i + 2].lower() in "0123456789abcdef":
        base, i = 16, i + 2
    elif s[i:i + 1] == "0":
        base = 8
    digits = "0123456789abcdef"[:base]
    value = 0
    while i < n and s[i].lower() in digits:
        value = value * base + digits.index(s[i].lower())
        i += 1
    value *= sign
    # strtol saturates at LONG_MIN/LONG_MAX.
    return max(min(value, (1 << 63) - 1), -(1 << 63))
