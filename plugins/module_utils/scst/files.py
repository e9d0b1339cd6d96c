# -*- coding: utf-8 -*-
# Copyright: scst.iscsi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Files that hold CHAP secrets (/etc/scst.conf, imported variables): read
them, and write them atomically with mode 0600 so a secret is never readable
by others, not even for a moment."""

from __future__ import annotations

import os
import stat
import tempfile

from ansible_collections.scst.iscsi.plugins.module_utils.scst.errors import ScstError

PRIVATE_MODE = 0o600


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


def write_private(path, text):
    """A temporary file in the same directory, created 0600, flushed, renamed over ``path``."""
    directory = os.path.dirname(os.path.abspath(path))
    try:
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=".%s." % os.path.basename(path))
    except OSError as exc:
        raise ScstError("cannot write %s: %s" % (path, exc.strerror), path=path)
    try:
        with os.fdopen(fd, "wb") as handle:
            os.fchmod(handle.fileno(), PRIVATE_MODE)
            handle.write(text.encode("utf-8"))
            handle.flush()
            os.fsync(handle.fileno())
        os.rename(tmp, path)
    except OSError as exc:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise ScstError("cannot write %s: %s" % (path, exc.strerror), path=path)
    dir_fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
