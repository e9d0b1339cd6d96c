"""Parsers for the live measurement fixtures (see fixtures/README.md)."""

import os
import re
from dataclasses import dataclass

FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures")

_LINE = re.compile(r"^(?P<path>\S.*?)  \[(?P<kind>dir|symlink|file mode=(?P<mode>\d+) \S+)\](?P<rest>.*)$")


@dataclass
class DumpEntry:
    path: str
    kind: str               # "dir", "symlink", "file"
    mode: int = 0
    content: object = None  # list of lines, link target, or None (not shown)
    help_bytes: int = -1    # mgmt files: size of the help text


def load_dump(name="live-sysfs-dump.txt"):
    entries = {}
    current = None
    with open(os.path.join(FIXTURES, name), encoding="utf-8") as fh:
        for raw in fh:
            line = raw.rstrip("\n")
            if line.startswith("#"):
                continue
            if line.startswith("    | ") or line == "    |":
                current.content.append(line[6:])
                continue
            m = _LINE.match(line)
            if not m:
                raise ValueError(f"unparsable dump line: {line!r}")
            path = m.group("path").rstrip("/")
            kind = m.group("kind").split()[0]
            rest = m.group("rest")
            entry = DumpEntry(path, kind)
            if kind == "file":
                entry.mode = int(m.group("mode"), 8)
                if rest.startswith(" = "):
                    entry.content = [rest[3:]]
                elif rest == " =":
                    entry.content = []
                else:
                    m_help = re.search(r"<help text, (\d+) bytes", rest)
                    if m_help:
                        entry.help_bytes = int(m_help.group(1))
            elif kind == "symlink":
                entry.content = rest[len(" -> "):]
            entries[path] = entry
            current = entry
    return entries


def dump_lines(text: str):
    """Content as the dump shows it: lines without trailing empty lines."""
    return text.rstrip("\n").split("\n") if text.rstrip("\n") else [""]


def load_help_texts(name="live-mgmt-help.txt"):
    """{path under /sys/kernel/scst_tgt: help text without trailing newlines}.

    The help capture does not preserve trailing empty lines; their number
    is checked against the byte counts of the sysfs dump instead.
    """
    texts = {}
    with open(os.path.join(FIXTURES, name), encoding="utf-8") as fh:
        blocks = fh.read().split("#" * 78 + "\n")
    # blocks alternate: header (paths), body (text), header, body ...
    for header, body in zip(blocks[1::2], blocks[2::2]):
        paths = [l[len("# cat /sys/kernel/scst_tgt/"):] for l in header.splitlines()
                 if l.startswith("# cat ")]
        text = body.rstrip("\n")
        for p in paths:
            texts[p] = text
    return texts
