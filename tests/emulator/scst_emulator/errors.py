"""Error type used inside the emulator.

Every kernel code path ends in "return -errno"; inside the emulator that is an
exception carrying the errno, so that a deeply nested validation step can abort
a command exactly where the kernel would, without threading return codes
through every helper.
"""

import errno as _errno
import os


class ScstError(Exception):
    """A failing sysfs operation: ``errno`` is what write(2)/read(2) reports."""

    def __init__(self, err: int, message: str = ""):
        super().__init__(err, message or os.strerror(err))
        self.errno = err
        self.message = message

    def to_oserror(self, path: str = "") -> OSError:
        return OSError(self.errno, os.strerror(self.errno), path)


def fail(err: int, message: str = ""):
    """Raise :class:`ScstError` (reads better at call sites than ``raise``)."""
    raise ScstError(err, message)


# The errno names used throughout, so modules import them from one place.
EINVAL = _errno.EINVAL
EEXIST = _errno.EEXIST
ENOENT = _errno.ENOENT
EBUSY = _errno.EBUSY
EPERM = _errno.EPERM
EAGAIN = _errno.EAGAIN
EACCES = _errno.EACCES
EISDIR = _errno.EISDIR
ENOTDIR = _errno.ENOTDIR
ERANGE = _errno.ERANGE
EBADSLT = _errno.EBADSLT
EFAULT = _errno.EFAULT
ENOTBLK = _errno.ENOTBLK
ELOOP = _errno.ELOOP
EIO = _errno.EIO
EROFS = _errno.EROFS
EOVERFLOW = _errno.EOVERFLOW
