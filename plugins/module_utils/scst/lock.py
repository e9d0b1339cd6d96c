# -*- coding: utf-8 -*-
# Copyright: scst.iscsi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One exclusive lock per SCST tree, held while planning and applying, so
that two runs at once (two playbooks, an ad-hoc command beside a play) are
serialised instead of interleaving their management writes."""

from __future__ import annotations

import errno
import fcntl
import hashlib
import os
import tempfile
import time

from ansible_collections.scst.iscsi.plugins.module_utils.scst.errors import LockTimeoutError
from ansible_collections.scst.iscsi.plugins.module_utils.scst.sysfs import DEFAULT_ROOT


def lock_path(root):
    directory = "/run/lock" if os.path.isdir("/run/lock") else tempfile.gettempdir()
    if os.path.realpath(root) == DEFAULT_ROOT:
        return os.path.join(directory, "scst-iscsi.lock")
    digest = hashlib.sha1(os.path.realpath(root).encode("utf-8")).hexdigest()[:12]
    return os.path.join(directory, "scst-iscsi-%s.lock" % digest)


class HostLock(object):
    def __init__(self, root, *, timeout=120.0, path=None):
        self.path = path or lock_path(root)
        self.timeout = timeout
        self._fd = None

    def __enter__(self):
        self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return self
            except OSError as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES):
                    raise
            if time.monotonic() > deadline:
                os.close(self._fd)
                self._fd = None
                raise LockTimeoutError("another scst.iscsi run holds %s for more than %ss"
                                       % (self.path, self.timeout), lock=self.path)
            time.sleep(0.05)

    def __exit__(self, *exc_info):
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None
