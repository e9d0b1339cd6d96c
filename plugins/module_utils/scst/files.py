# -*- coding: utf-8 -*-
# Copyright: scst.iscsi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Files that hold CHAP secrets (/etc/scst.conf, imported variables): read
them, and write them atomically with mode 0600 so a secret is never readable
by others, not even for a moment.  And the size of a device's backing store."""

from __future__ import annotations

import errno
import fcntl
import os
import re
import stat
import tempfile

from ansible_collections.scst.iscsi.plugins.module_utils.scst.errors import ScstError

PRIVATE_MODE = 0o600


def backing_size(path):
    """Bytes of a regular file or block device on this host, or None when there
    is no such file here or it cannot be opened (only reads, never creates)."""
    try:
        info = os.stat(path)
        if stat.S_ISREG(info.st_mode):
            return info.st_size
        if not stat.S_ISBLK(info.st_mode):
            return None
        handle = os.open(path, os.O_RDONLY)
        try:
            return os.lseek(handle, 0, os.SEEK_END)
        finally:
            os.close(handle)
    except OSError:
        return None


def current_file(path):
    """(text, mode) of an existing file, or (None, None)."""
    try:
        with open(path, "rb") as handle:
            return handle.read().decode("utf-8", "replace"), stat.S_IMODE(os.fstat(handle.fileno()).st_mode)
    except FileNotFoundError:
        return None, None
    except OSError as exc:
        raise ScstError("cannot read %s: %s" % (path, exc.strerror), path=path)


def differs(path, text):
    """Whether writing ``text`` would change the file's bytes or mode."""
    current, mode = current_file(path)
    return current != text or mode != PRIVATE_MODE


def _temp_pattern(prefix):
    # tempfile.mkstemp: the prefix, then 8 characters of [a-z0-9_]
    return re.compile("^%s[a-z0-9_]{8}$" % re.escape(prefix))


def remove_stale_temporaries(directory, prefix):
    """Remove temporary files an earlier save left behind when it was killed
    between mkstemp and rename (they may hold CHAP secrets).

    Only regular files (never a symlink or a directory) named exactly like our
    own temporaries and owned by us are removed, and only when no live save
    holds the lock ``write_private`` takes on the file it is writing.
    """
    pattern = _temp_pattern(prefix)
    try:
        names = os.listdir(directory)
    except OSError:
        return
    for name in names:
        if pattern.match(name):
            _remove_if_stale(os.path.join(directory, name))


def _remove_if_stale(path):
    try:
        before = os.lstat(path)
        if not stat.S_ISREG(before.st_mode) or before.st_uid != os.geteuid():
            return
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return
    try:
        if os.fstat(fd).st_ino != before.st_ino:
            return
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return  # a save in progress
        if os.lstat(path).st_ino == before.st_ino:
            os.unlink(path)
    except OSError:
        return
    finally:
        os.close(fd)


def _private_temporary(directory, prefix):
    """(fd, path) of a new 0600 temporary file, locked so that a concurrent
    save's clean-up leaves it alone."""
    for _attempt in range(5):
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=prefix)
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            if os.stat(tmp).st_ino == os.fstat(fd).st_ino:
                return fd, tmp
        except FileNotFoundError:
            pass
        os.close(fd)  # removed by a concurrent clean-up before we locked it: take another
    raise OSError(errno.EAGAIN, "temporary files keep disappearing")


def write_private(path, text):
    """A temporary file in the same directory, created 0600, flushed, renamed over ``path``.

    Stale temporaries of earlier, killed saves are removed first.  On any
    failure (a full disk...) the temporary is removed and ``path`` is unchanged.
    """
    directory = os.path.dirname(os.path.abspath(path))
    prefix = ".%s." % os.path.basename(path)
    remove_stale_temporaries(directory, prefix)
    try:
        fd, tmp = _private_temporary(directory, prefix)
    except OSError as exc:
        raise ScstError("cannot write %s: %s (the file is unchanged)" % (path, exc.strerror), path=path)
    try:
        with os.fdopen(fd, "wb") as handle:
            os.fchmod(handle.fileno(), PRIVATE_MODE)
            handle.write(text.encode("utf-8"))
            handle.flush()
            os.fsync(handle.fileno())
            os.rename(tmp, path)
    except OSError as exc:
        if os.path.lexists(tmp):
            os.unlink(tmp)
        raise ScstError("cannot write %s: %s (the file is unchanged)" % (path, exc.strerror), path=path)
    dir_fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
