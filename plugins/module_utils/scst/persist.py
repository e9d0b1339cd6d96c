# -*- coding: utf-8 -*-
# Copyright: scst.iscsi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Saving the running configuration to /etc/scst.conf, so that scst.service
restores it at boot.  The file holds CHAP secrets: it is written atomically
with mode 0600, and only when its bytes would change."""

from __future__ import annotations

import os
import stat
import tempfile

from ansible_collections.scst.iscsi.plugins.module_utils.scst.conf import render_scst_conf
from ansible_collections.scst.iscsi.plugins.module_utils.scst.errors import ScstError
from ansible_collections.scst.iscsi.plugins.module_utils.scst.info import read_configuration

DEFAULT_CONFIG_FILE = "/etc/scst.conf"
MODE = 0o600


def running_config_text(live):
    return render_scst_conf(read_configuration(live, mask=False))


def _current(path):
    try:
        with open(path, "rb") as handle:
            return handle.read().decode("utf-8", "replace"), stat.S_IMODE(os.stat(path).st_mode)
    except FileNotFoundError:
        return None, None


def file_differs(path, text):
    current, mode = _current(path)
    return current != text or mode != MODE


def write_atomically(path, text):
    directory = os.path.dirname(os.path.abspath(path))
    try:
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=".%s." % os.path.basename(path))
    except OSError as exc:
        raise ScstError("cannot write %s: %s" % (path, exc.strerror), path=path)
    try:
        os.fchmod(fd, MODE)
        os.write(fd, text.encode("utf-8"))
        os.fsync(fd)
        os.close(fd)
        fd = None
        os.rename(tmp, path)
    except OSError as exc:
        if fd is not None:
            os.close(fd)
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise ScstError("cannot write %s: %s" % (path, exc.strerror), path=path)
    dir_fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def persist(live, path, *, check_mode, pending_changes):
    """Save the running configuration to ``path`` if that changes the file.

    In check mode with changes still to be made, the new text cannot be known
    without making them, so a pending change counts as a file update.
    Returns whether the file was (or would be) written.
    """
    text = running_config_text(live)
    differs = file_differs(path, text)
    if check_mode:
        return differs or pending_changes
    if differs:
        write_atomically(path, text)
    return differs
