# -*- coding: utf-8 -*-
# Copyright: scst.iscsi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Saving the running configuration to /etc/scst.conf, so that scst.service
restores it at boot.

The file holds what ``scstadmin -write_config`` would write (see
``info.read_configuration``): SCST global attributes, every handler, device,
driver (copy_manager aside), target, LUN and group attribute that is set,
and the ALUA device groups -- also what the collection does not manage, so
nothing is lost at the next boot.  It holds CHAP secrets: it is written
atomically with mode 0600, and only when its bytes would change."""

from __future__ import annotations

from ansible_collections.scst.iscsi.plugins.module_utils.scst.conf import render_scst_conf
from ansible_collections.scst.iscsi.plugins.module_utils.scst.files import differs, write_private
from ansible_collections.scst.iscsi.plugins.module_utils.scst.info import read_configuration

DEFAULT_CONFIG_FILE = "/etc/scst.conf"


def running_config_text(live):
    return render_scst_conf(read_configuration(live, mask=False))


def persist(live, path, *, check_mode, pending_changes):
    """Save the running configuration to ``path`` if that changes the file.

    In check mode with changes still to be made, the new text cannot be known
    without making them, so a pending change counts as a file update.
    Returns whether the file was (or would be) written.
    """
    text = running_config_text(live)
    changed = differs(path, text)
    if check_mode:
        return changed or pending_changes
    if changed:
        write_private(path, text)
    return changed


def persist_after(params, check_mode):
    """``run_planner``'s ``make_after`` for the modules with the options
    ``persist`` and ``config_file``: once the plan is applied, still under the
    host lock, the running configuration is saved (or, in check mode, whether
    it would be).  Returns ``after(live, outcome) -> (result fields, changed)``."""
    def save(live, outcome):
        if not params["persist"]:
            return {"persisted": False}, False
        written = persist(live, params["config_file"], check_mode=check_mode,
                          pending_changes=bool(outcome.plan))
        return {"persisted": written, "config_file": params["config_file"]}, written
    return save
