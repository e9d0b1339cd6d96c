# -*- coding: utf-8 -*-
# Copyright: scst.iscsi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Exceptions of the SCST object model.

Every failure the modules report is a ``ModuleError`` (common/errors.py): a
bad request a ``ValidationError``, anything else one of these.  A module's
``main()`` is the only place that turns them into ``fail_json``.  None of them ever carries a CHAP
secret: commands are stored in their masked form.
"""

from __future__ import annotations

import errno as _errno
import os

# One error hierarchy for both halves: ValidationError is the collection's, re-exported here.
from ansible_collections.scst.iscsi.plugins.module_utils.common.errors import (  # noqa: F401 pylint: disable=unused-import
    ModuleError,
    ValidationError,
)


class ScstError(ModuleError):
    """A failure of the SCST half that is not a bad request (ValidationError)."""


class NotLoadedError(ScstError):
    """SCST (or a handler / target driver) is not present in sysfs."""


class DaemonNotRunningError(ScstError):
    """iscsi-scstd is down: SCST answers every iSCSI request with EPERM."""


class SafetyError(ScstError):
    """A destructive change was refused because objects are in use."""


class LockTimeoutError(ScstError):
    """Another run holds the host lock for longer than we wait."""


# What an operator should look at for a failed management write, by errno.
_HINTS = {
    _errno.EINVAL: "SCST rejected the command as invalid or an object it names does not exist; "
                   "the kernel log (dmesg) has the exact reason",
    _errno.EEXIST: "the object already exists (for devices: possibly under another handler; "
                   "for iSCSI targets: names are compared case-insensitively)",
    _errno.ENOENT: "not found: a missing backing file, iSCSI target or CHAP user",
    _errno.EBUSY: "the object is in use (active sessions, a locked medium) or SCST could not "
                  "suspend activity in time",
    _errno.EPERM: "not permitted: for iSCSI, iscsi-scstd is not running "
                  "(systemctl start scst); otherwise cluster_mode forbids it",
    _errno.EBADSLT: "rel_tgt_id is already used by another enabled target",
    _errno.EACCES: "the attribute is read-only (creation-time only) or write-only",
    _errno.ENOTBLK: "vdisk_blockio needs a block device as filename",
    _errno.EFAULT: "the target driver refused to register the target (duplicate name?)",
    _errno.EROFS: "the backing store is read-only",
}


def errno_name(code):
    return _errno.errorcode.get(code, "E%d" % code)


class SysfsWriteError(ScstError):
    """A management write failed.  ``command`` is already masked."""

    def __init__(self, *, path, command, code, what=None):
        hint = _HINTS.get(code, os.strerror(code))
        prefix = "%s: " % what if what else ""
        message = "%sSCST refused %r written to %s: %s (%s): %s" % (
            prefix, command, path, errno_name(code), os.strerror(code), hint)
        super().__init__(message, path=path, command=command, errno=errno_name(code))
        self.path = path
        self.command = command
        self.code = code


class SysfsReadError(ScstError):
    def __init__(self, *, path, code):
        super().__init__("cannot read %s: %s (%s)" % (path, errno_name(code), os.strerror(code)),
                         path=path, errno=errno_name(code))
        self.path = path
        self.code = code
