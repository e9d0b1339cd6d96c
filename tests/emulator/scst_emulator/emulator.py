"""The emulator object: state machine + path based I/O + fault switches.

:class:`ScstEmulator` owns the state (``model.State``), resolves sysfs paths
in the computed tree, applies the generic I/O rules of spec 1.1 (modes,
EACCES, one write = one command) and the sysfs-work protocol of 1.4
(EAGAIN, ``last_sysfs_mgmt_res``).  Test code drives the fault switches
(EAGAIN injection, iscsi-scstd down, sessions, missing backing files) and
inspects counters and the write log.

All public methods take one re-entrant lock, so the FUSE server may call
them from several threads.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Optional

from .config import EmulatorConfig
from .errors import (EACCES, EAGAIN, EINVAL, EISDIR, ELOOP, ENOENT, ENOTDIR, EPERM,
                     ScstError, fail)
from .lexer import Cursor
from .model import Device, State, Target
from .nodes import Attr, Dir, Link
from .ops_alua import AluaOps
from .ops_devices import DeviceOps
from .ops_iscsi import ISCSI, IscsiOps
from .ops_targets import LOCAL_DRIVER, TargetOps
from .tree import root_dir

MAX_SYMLINK_HOPS = 40
PAGE_SIZE = 4096


@dataclass
class PendingWork:
    path: str
    store: object
    data: str


class ScstEmulator(DeviceOps, TargetOps, IscsiOps, AluaOps):
    """An in-memory SCST whose sysfs tree is computed from its state.

    ``config`` describes the emulated machine (see :class:`EmulatorConfig`);
    keyword arguments override its fields, e.g.
    ``ScstEmulator(daemon_running=False, with_scst_local=True)``.
    """

    def __init__(self, config: Optional[EmulatorConfig] = None, **overrides):
        self.config = config or EmulatorConfig()
        for key, value in overrides.items():
            if not hasattr(self.config, key):
                raise TypeError(f"unknown emulator option {key!r}")
            setattr(self.config, key, value)
        self.lock = threading.RLock()
        self.handlers = self.config.handlers()
        self.state = State()
        self.state.globals.threads = self.config.scst_threads
        self._eagain_left = 0
        self._eagain_polls = 1
        self._chaos = False
        self._chaos_reads = 0
        self._pending: list = []
        self._polls_left = 0
        self.reset_counters()
        self._boot()

    def _boot(self) -> None:
        """What loading the modules creates: SCSI devices, copy manager,
        scst_local's default target, the iSCSI daemon attributes."""
        for spec in self.config.scsi_devices:
            self.add_scsi_device(spec.hctl, spec.scsi_type, spec.handler, spec.sysfs_link)
        self.create_copy_manager()
        self.targets_of(ISCSI)
        if self.config.with_scst_local:
            self.targets_of(LOCAL_DRIVER)
            if self.config.scst_local_default_target:
                self.local_add_target("scst_local_tgt", Cursor("session_name=scst_local_host"))
        for driver, ports in self.config.hw_targets.items():
            for port in ports:
                self.targets_of(driver)[port] = Target(driver=driver, name=port)
        if not self.config.daemon_running:
            self.state.iscsi.running = False
            self.state.iscsi.attrs = False

    # ================================================================ I/O ==

    def _root(self) -> Dir:
        return root_dir(self)

    def _resolve(self, rel: str, follow: bool = True):
        """Walk ``rel`` from the root, following symlinks like the VFS.

        Intermediate symlinks are always followed; the last component only
        with ``follow``.  Links leaving the emulated tree give ENOENT.
        """
        pending = [p for p in rel.split("/") if p not in ("", ".")]
        stack = [self._root()]
        hops = 0
        while pending:
            name = pending.pop(0)
            if name == "..":
                if len(stack) == 1:
                    fail(ENOENT, "outside of the emulated tree")
                stack.pop()
                continue
            cur = stack[-1]
            if not isinstance(cur, Dir):
                fail(ENOTDIR, rel)
            node = cur.child(name)
            if node is None:
                fail(ENOENT, rel)
            if isinstance(node, Link) and (pending or follow):
                hops += 1
                if hops > MAX_SYMLINK_HOPS:
                    fail(ELOOP, rel)
                pending = [p for p in node.target.split("/") if p not in ("", ".")] + pending
                continue
            stack.append(node)
        return stack[-1]

    def node(self, rel: str, follow: bool = True):
        """The node at ``rel`` (raises ScstError)."""
        with self.lock:
            return self._resolve(rel, follow)

    def read(self, rel: str) -> str:
        with self.lock:
            node = self._resolve(rel)
            if isinstance(node, Dir):
                fail(EISDIR, rel)
            if not node.mode & 0o444 or node.show is None:
                fail(EACCES, rel)
            self.reads += 1
            if node.daemon:
                self.iscsi_require_daemon()
            if self._chaos and node.work_read:
                self._chaos_reads += 1
                if self._chaos_reads % 4 != 0:
                    fail(EAGAIN, "read-only sysfs work still running")
            text = node.show()
            # sysfs show buffers are one page; longer output is cut to 4095 bytes
            raw = text.encode("utf-8", "surrogateescape")
            if len(raw) >= PAGE_SIZE:
                text = raw[:PAGE_SIZE - 1].decode("utf-8", "surrogateescape")
            return text

    def write(self, rel: str, data: str) -> int:
        """One write(2) of ``data``; returns the bytes consumed or raises ScstError.

        Like kernfs, a store sees at most one page: longer writes are cut to
        PAGE_SIZE bytes and reported as a short write.
        """
        raw = data.encode("utf-8", "surrogateescape")
        if len(raw) > PAGE_SIZE:
            data = raw[:PAGE_SIZE].decode("utf-8", "surrogateescape")
        with self.lock:
            try:
                node = self._resolve(rel)
                if isinstance(node, Dir):
                    fail(EISDIR, rel)
                if not node.mode & 0o222 or node.store is None:
                    fail(EACCES, rel)
            except ScstError as exc:
                self._log_write(rel, data, exc.errno)
                raise
            try:
                self._dispatch_write(rel, node, data)
            except ScstError as exc:
                self._log_write(rel, data, exc.errno)
                raise
            self._log_write(rel, data, 0)
            return min(len(raw), PAGE_SIZE)

    def _dispatch_write(self, rel: str, node: Attr, data: str) -> None:
        if data == "":
            return                         # zero-length writes are no-ops
        if node.daemon:
            self.iscsi_require_daemon()
        if not node.work:
            node.store(data)
            return
        if node.precheck is not None:
            node.precheck(data)
        # FIFO: a queued (EAGAIN'd) work runs before any later command.
        self.complete_pending()
        if self._eagain_left > 0 or self._chaos:
            self._eagain_left = max(0, self._eagain_left - 1)
            self._pending.append(PendingWork(rel, node.store, data))
            self._polls_left = self._eagain_polls
            fail(EAGAIN, "sysfs work still running")
        self._run_work(node.store, data, raise_error=True)

    def _run_work(self, store, data: str, raise_error: bool) -> None:
        g = self.state.globals
        try:
            store(data)
        except ScstError as exc:
            g.last_res = -exc.errno
            if raise_error:
                raise
        else:
            g.last_res = 0

    def show_last_res(self) -> str:
        """``last_sysfs_mgmt_res``: EAGAIN while works are pending."""
        if self._pending:
            if self._polls_left > 0:
                self._polls_left -= 1
                fail(EAGAIN, "sysfs work still running")
            self.complete_pending()
        return f"{self.state.globals.last_res}\n"

    def listdir(self, rel: str) -> list:
        with self.lock:
            node = self._resolve(rel)
            if not isinstance(node, Dir):
                fail(ENOTDIR, rel)
            return sorted(node.entries())

    def scan(self, rel: str) -> dict:
        """Entries of a directory with their kind and mode, without following
        symlinks: ``{name: ("dir" | "link" | "file", mode)}``."""
        with self.lock:
            node = self._resolve(rel)
            if not isinstance(node, Dir):
                fail(ENOTDIR, rel)
            out = {}
            for name, child in node.entries().items():
                if isinstance(child, Link):
                    out[name] = ("link", 0)
                elif isinstance(child, Dir):
                    out[name] = ("dir", 0)
                else:
                    out[name] = ("file", child.mode)
            return out

    def readlink(self, rel: str) -> str:
        with self.lock:
            node = self._resolve(rel, follow=False)
            if not isinstance(node, Link):
                fail(EINVAL, rel)
            return node.target

    def is_dir(self, rel: str) -> bool:
        with self.lock:
            try:
                return isinstance(self._resolve(rel), Dir)
            except ScstError:
                return False

    def exists(self, rel: str) -> bool:
        with self.lock:
            try:
                self._resolve(rel, follow=False)
                return True
            except ScstError:
                return False

    # ====================================================== fault switches ==

    def inject_eagain(self, count: int = 1, polls: int = 1) -> None:
        """The next ``count`` work-based writes answer EAGAIN.

        Each such work is queued and completes when ``last_sysfs_mgmt_res``
        has been read ``polls`` times (those reads fail with EAGAIN) and is
        read once more, when another write arrives (works run in FIFO
        order), or when :meth:`complete_pending` is called.
        """
        with self.lock:
            self._eagain_left = count
            self._eagain_polls = polls

    def set_chaos(self, enabled: bool = True, polls: int = 1) -> None:
        """CONFIG_SCST_DEBUG_SYSFS_EAGAIN: every work-based write answers
        EAGAIN (completing as with :meth:`inject_eagain`) and 3 of 4
        work-based reads (vdisk filename, I/O counters, ...) fail with EAGAIN."""
        with self.lock:
            self._chaos = enabled
            self._eagain_polls = polls
            self._chaos_reads = 0

    def complete_pending(self) -> None:
        """Run every queued work now (as if the kernel thread caught up)."""
        with self.lock:
            while self._pending:
                work = self._pending.pop(0)
                self._run_work(work.store, work.data, raise_error=False)
            self._polls_left = 0

    @property
    def pending_works(self) -> int:
        return len(self._pending)

    def set_missing_file(self, path: str, missing: bool = True) -> None:
        with self.lock:
            self.config.backing.mark_missing(path, missing)

    def add_backing(self, path: str, size: Optional[int] = None, kind: Optional[str] = None) -> None:
        """Register a backing path (kind 'file', 'block' or 'dir') and its size."""
        with self.lock:
            self.config.backing.add(path, size, kind)

    def set_thin_provisioning_supported(self, supported: bool) -> None:
        with self.lock:
            self.config.backing.discard_supported = supported

    def stop_daemon(self, cleanup: bool = True) -> None:
        with self.lock:
            self.daemon_stop(cleanup)

    def start_daemon(self) -> None:
        with self.lock:
            self.daemon_start()

    def add_scsi_device(self, hctl: str, scsi_type: int, handler: Optional[str] = None,
                        sysfs_link: Optional[str] = None) -> None:
        """A local SCSI device appears (hot-plug); shows up as devices/H:C:I:L."""
        with self.lock:
            h, c, i, l = hctl.split(":")
            link = sysfs_link or (f"../../../../devices/platform/host{h}/target{h}:{c}:{i}/"
                                  f"{hctl}/scsi_device/{hctl}")
            if handler is not None and handler not in self.handlers:
                raise ValueError(f"unknown handler {handler}")
            self.state.devices[hctl] = Device(name=hctl, handler=handler, scsi_type=scsi_type,
                                              virtual=False, scsi_link=link)

    def add_session(self, driver: str, target: str, initiator: str,
                    ip: str = "192.0.2.20", target_ip: str = "192.0.2.10") -> str:
        """An initiator logs in; returns the session directory name."""
        with self.lock:
            tgt = self.find_target(driver, target)
            if tgt is None:
                raise ScstError(ENOENT, f"no target {driver}/{target}")
            match_name = initiator
            if driver == ISCSI:
                match_name = self.iscsi_session_name(tgt, initiator, target_ip)
            sid = self.state.iscsi.next_sid
            self.state.iscsi.next_sid += 1
            sess = self._open_session(tgt, match_name, ip=ip, target_ip=target_ip,
                                      sid=(sid << 40) | 0x3d0200)
            return sess.name

    def del_session(self, driver: str, target: str, session: str) -> None:
        with self.lock:
            tgt = self.find_target(driver, target)
            if tgt is None or session not in tgt.sessions:
                raise ScstError(ENOENT, f"no session {session}")
            if tgt.sessions[session].permanent:
                raise ScstError(EPERM, "built-in session")
            del tgt.sessions[session]

    def close_session(self, tgt, sess) -> None:
        """``force_close`` of a session: it disappears."""
        tgt.sessions.pop(sess.name, None)

    # ============================================================ counters ==

    def reset_counters(self) -> None:
        with getattr(self, "lock", threading.RLock()):
            self.reads = 0
            self.writes = 0
            self.write_errors = 0
            self.write_log: list = []

    def _log_write(self, rel: str, data: str, err: int) -> None:
        self.writes += 1
        if err:
            self.write_errors += 1
        self.write_log.append((rel, data, err))

    def counters(self) -> dict:
        with self.lock:
            return {"reads": self.reads, "writes": self.writes,
                    "write_errors": self.write_errors, "pending_works": len(self._pending)}

    def dump(self) -> dict:
        """The whole state as JSON-compatible data (see statefile.py)."""
        from .statefile import state_to_json
        with self.lock:
            return state_to_json(self.state)
