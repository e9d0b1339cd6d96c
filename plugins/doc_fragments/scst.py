# -*- coding: utf-8 -*-
# Copyright: scst.iscsi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment(object):

    # Options every SCST module takes.
    DOCUMENTATION = r"""
options:
  sysfs_root:
    description:
      - Where SCST's sysfs tree is mounted.
      - When not set, the environment variable E(SCST_SYSFS_ROOT) of the managed host is used,
        and when that is not set either, C(/sys/kernel/scst_tgt).
      - Tests point this at an emulated tree; a host with sysfs mounted elsewhere can do the same.
    type: path
  mgmt_timeout:
    description:
      - Seconds to wait for one SCST management command that SCST reports as still running
        (C(EAGAIN)) before giving up. SCST's own scstadmin waits 300 seconds.
      - SCST goes on with a command after its writer gave up, so a run first waits, as long at most,
        for a command an earlier run left running, before it reads or writes anything.
    type: float
    default: 300.0
  lock_timeout:
    description:
      - Seconds to wait for the host lock. Every SCST module holds one exclusive lock per sysfs
        tree while it reads, plans and writes, so that two runs at the same time are serialised.
    type: float
    default: 120.0
notes:
  - The module reads only the part of the SCST tree it needs, decides by reading (SCST reports
    most "not found" cases as C(EINVAL)), and writes one management command per C(write(2)).
  - Nothing is written when a request is invalid; the error names the option and the rule.
  - Changes are not saved to C(/etc/scst.conf) by this module.
requirements:
  - SCST loaded on the managed host (C(scst), the handler modules used, and for iSCSI
    C(iscsi-scst) with C(iscsi-scstd) running).
"""

    # Attributes shared by the modules that change things.
    ATTRIBUTES = r"""
attributes:
  check_mode:
    description: Can run in check mode and return the exact writes it would make in RV(plan).
    support: full
  diff_mode:
    description: Returns the object before and after (CHAP secrets masked) in diff mode.
    support: full
  idempotent:
    description: Running it twice with the same options changes nothing the second time.
    support: full
"""

    # Attributes of read-only modules.
    INFO_ATTRIBUTES = r"""
attributes:
  check_mode:
    description: Reads only, so it runs the same in check mode.
    support: full
  diff_mode:
    description: Makes no changes, so there is no diff.
    support: none
  idempotent:
    description: Reads only.
    support: full
"""
