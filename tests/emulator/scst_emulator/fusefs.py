"""FUSE filesystem serving an :class:`ScstEmulator` (needs fusepy + libfuse2).

Behaviour that clients of the real sysfs rely on and that is reproduced here:

* reads return the real content whatever ``st_size`` says (files report
  4096 bytes like sysfs; the mount uses ``direct_io`` so the kernel does not
  trust st_size or cache pages);
* the content is generated once per open file at offset 0, so a reader that
  needs several read(2) calls sees one consistent snapshot (seq_file);
* one write(2) is one command and its errno reaches the writer;
* opening a file in a direction its mode does not allow fails with EACCES,
  even for root (kernfs semantics);
* symlinks are real symlinks with the kernel's relative targets.
"""

from __future__ import annotations

import errno
import os
import stat
import threading
import time

from fuse import FUSE, FuseOSError, Operations

from .errors import ScstError
from .nodes import Attr, Dir, Link

SYSFS_FILE_SIZE = 4096


class ScstFuse(Operations):
    use_ns = True     # utimens gets nanoseconds (silences a fusepy warning)

    def __init__(self, emulator, after_write=None):
        self.emu = emulator
        self.after_write = after_write
        self._handles: dict = {}
        self._fh_lock = threading.Lock()
        self._next_fh = 1
        self._uid, self._gid = os.getuid(), os.getgid()
        self._time = time.time_ns()

    # ---------------------------------------------------------- helpers --

    @staticmethod
    def _rel(path: str) -> str:
        return path.strip("/")

    def _node(self, path: str, follow: bool):
        try:
            return self.emu.node(self._rel(path), follow)
        except ScstError as exc:
            raise FuseOSError(exc.errno) from None

    def _stat(self, node) -> dict:
        st = {"st_uid": self._uid, "st_gid": self._gid, "st_atime": self._time,
              "st_mtime": self._time, "st_ctime": self._time, "st_nlink": 1}
        if isinstance(node, Dir):
            st.update(st_mode=stat.S_IFDIR | 0o755, st_nlink=2, st_size=0)
        elif isinstance(node, Link):
            st.update(st_mode=stat.S_IFLNK | 0o777, st_size=len(node.target))
        else:
            st.update(st_mode=stat.S_IFREG | node.mode, st_size=SYSFS_FILE_SIZE)
        return st

    # -------------------------------------------------------- metadata --

    def getattr(self, path, fh=None):
        return self._stat(self._node(path, follow=False))

    def readdir(self, path, fh):
        try:
            return [".", ".."] + self.emu.listdir(self._rel(path))
        except ScstError as exc:
            raise FuseOSError(exc.errno) from None

    def readlink(self, path):
        try:
            return self.emu.readlink(self._rel(path))
        except ScstError as exc:
            raise FuseOSError(exc.errno) from None

    def access(self, path, amode):
        self._node(path, follow=True)
        return 0

    def statfs(self, path):
        return {"f_bsize": 4096, "f_frsize": 4096, "f_blocks": 0, "f_bfree": 0,
                "f_bavail": 0, "f_files": 0, "f_ffree": 0, "f_namemax": 255}

    # --------------------------------------------------------- file I/O --

    def open(self, path, flags):
        node = self._node(path, follow=True)
        if isinstance(node, Dir):
            raise FuseOSError(errno.EISDIR)
        accmode = flags & os.O_ACCMODE
        wants_read = accmode in (os.O_RDONLY, os.O_RDWR)
        wants_write = accmode in (os.O_WRONLY, os.O_RDWR)
        if (wants_read and not (node.mode & 0o444 and node.show)) or \
                (wants_write and not (node.mode & 0o222 and node.store)):
            raise FuseOSError(errno.EACCES)
        with self._fh_lock:
            fh = self._next_fh
            self._next_fh += 1
            self._handles[fh] = {"rel": self._rel(path), "buf": None}
        return fh

    def read(self, path, size, offset, fh):
        handle = self._handles.get(fh) or {"rel": self._rel(path), "buf": None}
        if offset == 0 or handle["buf"] is None:
            try:
                text = self.emu.read(handle["rel"])
            except ScstError as exc:
                raise FuseOSError(exc.errno) from None
            handle["buf"] = text.encode("utf-8", "surrogateescape")
        return handle["buf"][offset:offset + size]

    def write(self, path, data, offset, fh):
        rel = self._handles.get(fh, {}).get("rel", self._rel(path))
        try:
            count = self.emu.write(rel, data.decode("utf-8", "surrogateescape"))
        except ScstError as exc:
            raise FuseOSError(exc.errno) from None
        if self.after_write is not None:
            self.after_write()
        return count

    def truncate(self, path, length, fh=None):
        # ``echo x > file`` opens with O_TRUNC; sysfs ignores the truncation.
        node = self._node(path, follow=True)
        if not isinstance(node, Attr) or not node.mode & 0o222:
            raise FuseOSError(errno.EACCES)
        return 0

    def release(self, path, fh):
        with self._fh_lock:
            self._handles.pop(fh, None)
        return 0

    def flush(self, path, fh):
        return 0

    def fsync(self, path, datasync, fh):
        return 0

    def utimens(self, path, times=None):
        self._node(path, follow=True)
        return 0

    # -------------------------------------------- things sysfs refuses --

    def create(self, path, mode, fi=None):
        raise FuseOSError(errno.EACCES)

    def mknod(self, path, mode, dev):
        raise FuseOSError(errno.EACCES)

    def mkdir(self, path, mode):
        raise FuseOSError(errno.EPERM)

    def rmdir(self, path):
        raise FuseOSError(errno.EPERM)

    def unlink(self, path):
        raise FuseOSError(errno.EPERM)

    def rename(self, old, new):
        raise FuseOSError(errno.EPERM)

    def symlink(self, target, source):
        raise FuseOSError(errno.EPERM)

    def link(self, target, source):
        raise FuseOSError(errno.EPERM)

    def chmod(self, path, mode):
        raise FuseOSError(errno.EPERM)

    def chown(self, path, uid, gid):
        raise FuseOSError(errno.EPERM)


def serve(emulator, mountpoint: str, foreground: bool = True, after_write=None,
          allow_other: bool = False) -> None:
    """Mount and serve until unmounted (blocks when ``foreground``)."""
    options = dict(foreground=foreground, nothreads=False, direct_io=True,
                   attr_timeout=0, entry_timeout=0, negative_timeout=0,
                   fsname="scst_emulator", subtype="scst_emulator")
    if allow_other:
        options["allow_other"] = True
    FUSE(ScstFuse(emulator, after_write), mountpoint, **options)
