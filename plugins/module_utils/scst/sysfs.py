# -*- coding: utf-8 -*-
# Copyright: scst.iscsi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The only place where the collection touches SCST's sysfs tree.

``OsBackend`` does plain file I/O below a root directory (the kernel's
/sys/kernel/scst_tgt, or an emulator mount in tests).  ``Sysfs`` adds SCST's
protocol on top: ``[key]`` parsing on reads, and on writes the EAGAIN /
``last_sysfs_mgmt_res`` dance (SCST returns EAGAIN when a queued management
operation is still running; the result must then be polled).

Every management write of every module goes through ``Sysfs.write``.
"""

from __future__ import annotations

import errno
import os
import time

from ansible_collections.scst.iscsi.plugins.module_utils.scst.errors import (
    DaemonNotRunningError,
    NotLoadedError,
    SysfsReadError,
    SysfsWriteError,
)

DEFAULT_ROOT = "/sys/kernel/scst_tgt"
KEY_MARK = "[key]"
RESULT_FILE = "last_sysfs_mgmt_res"


class OsBackend(object):
    """Real file I/O below ``root``.  Paths are relative, '/'-separated."""

    def __init__(self, root):
        self.root = root

    def _abs(self, rel):
        return os.path.join(self.root, rel) if rel else self.root

    def read(self, rel):
        # Plain os.read: a buffered file object turns an EAGAIN from sysfs into
        # an empty result (None) instead of raising it.
        fd = os.open(self._abs(rel), os.O_RDONLY)
        try:
            chunks = []
            while True:
                chunk = os.read(fd, 65536)
                if not chunk:
                    break
                chunks.append(chunk)
            return b"".join(chunks).decode("utf-8", "replace")
        finally:
            os.close(fd)

    def write(self, rel, data):
        # One write(2) on an unbuffered descriptor is one SCST command, and its
        # errno is the command's result.  Buffered I/O would report at close().
        fd = os.open(self._abs(rel), os.O_WRONLY)
        try:
            os.write(fd, data.encode("utf-8"))
        finally:
            os.close(fd)

    def listdir(self, rel):
        return os.listdir(self._abs(rel))

    def scan(self, rel):
        """``{name: (kind, mode)}`` of a directory's entries, kind ``dir``, ``link`` or ``file``;
        ``mode`` is the permission bits of a file (0 for the others)."""
        found = {}
        with os.scandir(self._abs(rel)) as entries:
            for entry in entries:
                if entry.is_symlink():
                    found[entry.name] = ("link", 0)
                elif entry.is_dir(follow_symlinks=False):
                    found[entry.name] = ("dir", 0)
                else:
                    found[entry.name] = ("file", entry.stat(follow_symlinks=False).st_mode & 0o7777)
        return found

    def readlink(self, rel):
        return os.readlink(self._abs(rel))

    def is_dir(self, rel):
        return os.path.isdir(self._abs(rel))

    def exists(self, rel):
        return os.path.lexists(self._abs(rel))


class Attr(object):
    """A parsed attribute file: first line is the value, ``[key]`` on a later line."""

    __slots__ = ("value", "key")

    def __init__(self, value, key):
        self.value = value
        self.key = key

    @classmethod
    def parse(cls, text):
        lines = text.split("\n")
        return cls(lines[0], KEY_MARK in lines[1:])

    def __repr__(self):
        return "Attr(%r, key=%r)" % (self.value, self.key)


def join(*parts):
    return "/".join(p for p in parts if p)


class Sysfs(object):
    """SCST's sysfs with its read/write protocol.

    ``sleep`` and ``clock`` are injectable so tests of the EAGAIN path do not wait.
    ``reads``/``writes`` count file operations (the benchmark reports them).
    """

    def __init__(self, backend, *, mgmt_timeout=300.0, sleep=time.sleep, clock=time.monotonic):
        self.backend = backend
        self.mgmt_timeout = mgmt_timeout
        self._sleep = sleep
        self._clock = clock
        self.reads = 0
        self.writes = 0

    @classmethod
    def at(cls, root=DEFAULT_ROOT, **kwargs):
        return cls(OsBackend(root), **kwargs)

    # -- reading -----------------------------------------------------------
    def exists(self, rel):
        self.reads += 1
        return self.backend.exists(rel)

    def listdir(self, rel):
        self.reads += 1
        try:
            return sorted(self.backend.listdir(rel))
        except OSError as exc:
            if exc.errno in (errno.ENOENT, errno.ENOTDIR):
                return []
            raise SysfsReadError(path=rel, code=exc.errno)

    def scan(self, rel):
        """``{name: (kind, mode)}`` of the entries of ``rel`` (kind ``dir``, ``link`` or ``file``, mode
        the permission bits of a file), in one call; ``{}`` when ``rel`` does not exist."""
        self.reads += 1
        try:
            return dict(sorted(self.backend.scan(rel).items()))
        except OSError as exc:
            if exc.errno in (errno.ENOENT, errno.ENOTDIR):
                return {}
            raise SysfsReadError(path=rel, code=exc.errno)

    def subdirs(self, rel):
        """Entries of ``rel`` that are directories (objects), sorted."""
        return [name for name in self.listdir(rel) if self.backend.is_dir(join(rel, name))]

    def readlink_name(self, rel):
        """Basename of a symlink target, or None when the link does not exist."""
        self.reads += 1
        try:
            return self.backend.readlink(rel).rstrip("/").rsplit("/", 1)[-1]
        except OSError:
            return None

    def readlink(self, rel):
        self.reads += 1
        try:
            return self.backend.readlink(rel)
        except OSError:
            return None

    def read_text(self, rel):
        """Whole content; retries EAGAIN (work-based reads such as vdisk filename)."""
        deadline = None
        delay = 0.01
        while True:
            self.reads += 1
            try:
                return self.backend.read(rel)
            except OSError as exc:
                if exc.errno == errno.EPERM and rel.startswith("targets/iscsi"):
                    raise DaemonNotRunningError(
                        "iscsi-scstd is not running: SCST answered EPERM reading %s. "
                        "Start it (systemctl start scst) before managing iSCSI." % rel, path=rel)
                if exc.errno != errno.EAGAIN:
                    raise SysfsReadError(path=rel, code=exc.errno)
            deadline = deadline or self._clock() + self.mgmt_timeout
            if self._clock() > deadline:
                raise SysfsReadError(path=rel, code=errno.EAGAIN)
            self._sleep(delay)
            delay = min(delay * 2, 1.0)

    def read_attr(self, rel):
        """``Attr`` of a file, or None when the file does not exist."""
        try:
            return Attr.parse(self.read_text(rel))
        except SysfsReadError as exc:
            if exc.code == errno.ENOENT:
                return None
            raise

    # -- writing -------------------------------------------------------------
    def write(self, rel, data, *, shown=None, what=None):
        """Write one command or value; return when SCST has finished it.

        ``shown`` is the text used in error messages (the caller masks secrets).
        A zero-length write is a no-op for the kernel, so an empty value is
        written as a lone newline (that is how SCST clears string attributes).
        """
        shown = data if shown is None else shown
        payload = data if data else "\n"
        self.writes += 1
        try:
            self.backend.write(rel, payload)
            return
        except OSError as exc:
            if exc.errno != errno.EAGAIN:
                self._raise_write_error(rel, shown, exc.errno, what)
        code = self._wait_for_result(rel, shown, what)
        if code:
            self._raise_write_error(rel, shown, code, what)

    def _wait_for_result(self, rel, shown, what):
        """EAGAIN: the work is queued and still runs.  Poll its global result."""
        deadline = self._clock() + self.mgmt_timeout
        delay = 0.01
        while True:
            self._sleep(delay)
            delay = min(delay * 2, 1.0)
            self.reads += 1
            try:
                text = self.backend.read(RESULT_FILE)
            except OSError as exc:
                if exc.errno != errno.EAGAIN:
                    raise SysfsReadError(path=RESULT_FILE, code=exc.errno)
                if self._clock() > deadline:
                    raise SysfsWriteError(path=rel, command=shown, code=errno.ETIMEDOUT, what=(
                        (what + ": " if what else "") + "still running after %ss" % self.mgmt_timeout))
                continue
            try:
                return -int(text.split("\n")[0].strip())
            except ValueError:
                raise SysfsReadError(path=RESULT_FILE, code=errno.EINVAL)

    def _raise_write_error(self, rel, shown, code, what):
        if code == errno.EPERM and rel.startswith("targets/iscsi"):
            raise DaemonNotRunningError(
                "iscsi-scstd is not running: SCST answered EPERM to %r written to %s. "
                "Start it (systemctl start scst) and re-run." % (shown, rel), path=rel, command=shown)
        raise SysfsWriteError(path=rel, command=shown, code=code, what=what)

    # -- presence ------------------------------------------------------------
    def require_loaded(self, *, handler=None, driver=None):
        if not self.backend.is_dir(""):
            raise NotLoadedError("SCST is not loaded: %s does not exist (modprobe scst)"
                                 % getattr(self.backend, "root", "the sysfs root"))
        if handler and not self.exists(join("handlers", handler)):
            raise NotLoadedError("device handler %s is not loaded (modprobe %s)"
                                 % (handler, handler_module(handler)))
        if driver and not self.exists(join("targets", driver)):
            raise NotLoadedError("target driver %s is not loaded (modprobe %s)"
                                 % (driver, driver_module(driver)))


def handler_module(handler):
    if handler.startswith("vdisk") or handler == "vcdrom":
        return "scst_vdisk"
    if handler.startswith("dev_"):
        return "scst_" + handler[4:].replace("_perf", "")
    return handler


def driver_module(driver):
    return {"iscsi": "iscsi-scst", "qla2x00t": "qla2x00tgt"}.get(driver, driver)
