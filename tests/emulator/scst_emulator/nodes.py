"""The three kinds of sysfs entries and small helpers to declare them.

The tree is never stored: directories carry a function that lists their
current children, computed from the state on every lookup.  That keeps the
tree trivially consistent with the state machine after any command.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Optional

RW, RO, WO, SECRET = 0o644, 0o444, 0o200, 0o600


@dataclass
class Attr:
    """A sysfs attribute file.

    ``work``: the store runs as an SCST "sysfs work" (may be answered with
    EAGAIN and updates ``last_sysfs_mgmt_res``).  ``precheck`` runs
    synchronously before the work is queued (its errors do not touch
    ``last_sysfs_mgmt_res``).  ``daemon``: the file is served by iscsi-scstd,
    so it fails with EPERM while the daemon is disconnected.
    """

    mode: int
    show: Optional[Callable[[], str]] = None
    store: Optional[Callable[[str], None]] = None
    work: bool = False
    precheck: Optional[Callable[[str], None]] = None
    daemon: bool = False


@dataclass
class Dir:
    entries: Callable[[], dict]


@dataclass
class Link:
    target: str


def keyed(value, key: bool) -> str:
    """Standard attribute rendering: value line plus ``[key]`` line if key."""
    return f"{value}\n" + ("[key]\n" if key else "")


def ro(show: Callable[[], str], **kw) -> Attr:
    return Attr(RO, show=show, **kw)


def rw(show: Callable[[], str], store: Callable[[str], None], **kw) -> Attr:
    return Attr(RW, show=show, store=store, **kw)


def wo(store: Callable[[str], None], **kw) -> Attr:
    return Attr(WO, store=store, **kw)


def const(text: str) -> Attr:
    return Attr(RO, show=lambda: text)


def static_dir(entries: dict) -> Dir:
    return Dir(lambda: entries)
