# -*- coding: utf-8 -*-
# Copyright: scst.iscsi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The rules of scst.iscsi.iscsi_multipath for checks made before the module runs.

A role's preflight asks this filter instead of repeating the module's rules for WWIDs,
aliases, no_path_retry and find_multipaths: a change of a rule in module_utils changes
the preflight with it.
"""

from __future__ import annotations

from collections.abc import Mapping

from ansible.errors import AnsibleFilterError

from ansible_collections.scst.iscsi.plugins.module_utils.common.errors import ValidationError
from ansible_collections.scst.iscsi.plugins.module_utils.iscsi.multipath import options_error


def multipath_error(options, prefix=""):
    """The first rule ``options`` (of iscsi_multipath) break, as the module would fail with it,
    the option's name behind ``prefix``; empty when none."""
    if not isinstance(options, Mapping):
        raise AnsibleFilterError("iscsi_multipath_error: the input must be a mapping of iscsi_multipath options, "
                                 "got %s" % type(options).__name__)
    error = options_error(dict(options))
    if error is None:
        return ""
    if isinstance(error, ValidationError):
        return "%s%s" % (prefix, error)
    # Ansible's own argument checks name the option inside their message.
    return "%s*: %s" % (prefix, error) if prefix else str(error)


class FilterModule(object):
    """The rules of iscsi_multipath."""

    def filters(self):
        return {
            "iscsi_multipath_error": multipath_error,
        }
