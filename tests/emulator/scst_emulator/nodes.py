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
    EAGAIN and updates ``last_sysfs_mgmt_res``).  ``work_read``: the show
    is a read-only work (only matters in chaos mode).  ``precheck`` runs
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
    work_read: bool = False     # the show runs as a (read-only) sysfs work


@dataclass
class Dir:
    """A directory: ``entries()`` lists all children; ``get(name)``, when
    given, builds just one child (big collections: devices, LUNs, sessions)."""

    entries: Callable[[], dict]
    get: Optional[Callable[[str], object]] = None

    def child(self, name: str):
        if self.get is not None:
            return self.get(name)
        return self.entries().get(name)


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


def factory_dir(factories: Callable[[], dict]) -> Dir:
    """Children given as {name: zero-argument function building the node}."""
    def entries():
        return {name: make() for name, make in factories().items()}

    def get(name):
        make = factories().get(name)
        return make() if make is not None else None
    return Dir(entries, get)


def composite_dir(static: Callable[[], dict], names: Callable[[], list],
                  make: Callable[[str], object]) -> Dir:
    """Fixed files (``static``) plus one child per name of a collection.

    ``make(name)`` returns the child or None for names not in the
    collection, so a lookup builds only the requested child.
    """
    def entries():
        out = dict(static())
        for name in names():
            if name not in out:
                node = make(name)
                if node is not None:
                    out[name] = node
        return out

    def get(name):
        node = static().get(name)
        return node if node is not None else make(name)
    return Dir(entries, get)
