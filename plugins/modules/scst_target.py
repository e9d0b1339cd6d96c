#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: scst.iscsi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: scst_target
short_description: Manage SCST targets (iSCSI targets and their parameters)
version_added: 0.1.0
description:
  - Creates, changes, enables, disables and deletes one SCST target through C(/sys/kernel/scst_tgt).
  - For iSCSI, target parameters and allowed portals are held by C(iscsi-scstd); the module fails
    with a clear message when the daemon is not running.
  - A new target is created disabled. Enable it with O(enabled=true) once its LUNs and initiator
    groups are in place, because initiators bind to a LUN set at login.
  - Deleting a target with logged-in initiators is refused unless O(force=true), which disables
    the target, closes the sessions and then deletes it.
  - CHAP accounts are managed with M(scst.iscsi.scst_chap).
author:
  - scst.iscsi maintainers (!UNKNOWN)
extends_documentation_fragment:
  - scst.iscsi.scst
  - scst.iscsi.scst.attributes
options:
  name:
    description:
      - Target name, at most 255 bytes, without blanks, control characters, C(;), C(=), C(/),
        C("), C({) or C(}) (SCST splits commands at blanks, C(;) and C(=); scst.conf cannot hold
        quotes or braces). Not C(.), C(..) or the name of a file of the driver's directory
        (C(mgmt), C(enabled), C(version), C(IncomingUser), ...).
      - For iSCSI an RFC 3720 name is expected - C(iqn.YYYY-MM.reversed.domain[:identifier]) in
        lower case, or C(eui.) / C(naa.) form. Another name SCST accepts (for example C(target1),
        common in existing scst.conf files), or one longer than 223 bytes, is used with a warning.
      - iSCSI target names are compared case-insensitively.
    type: str
    required: true
  driver:
    description:
      - Target driver (the directory under C(targets/)).
    type: str
    default: iscsi
  state:
    description:
      - V(present) creates or updates the target; V(absent) deletes it with its LUNs and groups.
    type: str
    choices: [present, absent]
    default: present
  enabled:
    description:
      - Whether the target accepts logins. When not set, the current state is kept
        (a new target stays disabled).
    type: bool
  attributes:
    description:
      - Target attributes by their SCST names. Core attributes C(rel_tgt_id), C(comment),
        C(addr_method), C(io_grouping_type), C(cpu_mask), C(forward_src), C(forward_dst),
        C(aen_disabled); iSCSI parameters C(QueuedCommands), C(RspTimeout), C(NopInInterval),
        C(NopInTimeout), C(MaxSessions), C(InitialR2T), C(ImmediateData),
        C(MaxRecvDataSegmentLength), C(MaxXmitDataSegmentLength), C(MaxBurstLength),
        C(FirstBurstLength), C(MaxOutstandingR2T), C(HeaderDigest), C(DataDigest),
        C(RDMAExtensions), C(per_portal_acl), C(redirect), C(alias).
      - Values are checked against iscsi-scstd's ranges before anything is written. Digest lists
        are normalised (C(CRC32C,None) is C(None,CRC32C)); C(Yes)/C(No) parameters take booleans.
      - Only the attributes listed are managed.
    type: dict
  allowed_portals:
    description:
      - iSCSI portal address patterns (C(*) and C(?), a leading C(!) negates) on which the target
        is visible and accepts logins. When given, the list is exact; when not set, portals are
        left alone. An empty list removes every restriction.
    type: list
    elements: str
  force:
    description:
      - Allow deleting a target while initiators are logged in (their sessions are closed).
    type: bool
    default: false
seealso:
  - module: scst.iscsi.scst_lun
  - module: scst.iscsi.scst_group
  - module: scst.iscsi.scst_chap
"""

EXAMPLES = r"""
- name: An iSCSI target with header digests, reachable only on the storage network
  scst.iscsi.scst_target:
    name: iqn.2026-11.com.example:storage.tgt1
    attributes:
      HeaderDigest: CRC32C,None
      QueuedCommands: 64
      alias: tgt1
    allowed_portals:
      - 192.168.77.10

- name: Enable the target once its LUNs are mapped
  scst.iscsi.scst_target:
    name: iqn.2026-11.com.example:storage.tgt1
    enabled: true

- name: Delete a target even if initiators are still logged in
  scst.iscsi.scst_target:
    name: iqn.2026-11.com.example:storage.old
    state: absent
    force: true
"""

RETURN = r"""
plan:
  description: The management writes made, or in check mode that would be made, in order.
  returned: always
  type: list
  elements: dict
  contains:
    path:
      description: File written, relative to the sysfs root.
      type: str
      sample: targets/iscsi/mgmt
    write:
      description: What was written.
      type: str
      sample: add_target iqn.2026-11.com.example:storage.tgt1
    what:
      description: The change in words.
      type: str
      sample: create iscsi target iqn.2026-11.com.example:storage.tgt1
diff:
  description: The target before and after (managed attributes only), in diff mode.
  returned: when diff mode is on
  type: dict
"""

from ansible_collections.scst.iscsi.plugins.module_utils.scst.runner import run_planning_module
from ansible_collections.scst.iscsi.plugins.module_utils.scst.target import TargetRequest, plan_target


OPTIONS = dict(
    name=dict(type="str", required=True),
    driver=dict(type="str", default="iscsi"),
    state=dict(type="str", choices=["present", "absent"], default="present"),
    enabled=dict(type="bool"),
    attributes=dict(type="dict"),
    allowed_portals=dict(type="list", elements="str"),
    force=dict(type="bool", default=False),
)


def main():
    run_planning_module(OPTIONS, TargetRequest, plan_target)


if __name__ == "__main__":
    main()
