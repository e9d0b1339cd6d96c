#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: scst.iscsi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: scst_group
short_description: Manage SCST initiator groups (LUN masking) with their initiators and LUNs
version_added: 0.1.0
description:
  - Creates, changes and deletes one initiator group of a target. Initiators whose names match
    the group see the group's LUN set instead of the target's default LUN set.
  - An initiator that is in another group of the same target is moved here (SCST would otherwise
    keep it in both, and the older group would win at login).
  - Removing initiators or LUNs, or deleting the group, while sessions are bound to it is refused
    unless O(force=true).
  - So is any change that takes a LUN away from a logged-in initiator or shows it another device
    behind a LUN number, through any name or pattern that matches it - adding it to a group or moving
    it between groups changes the LUN set it sees. The error names each session.
author:
  - scst.iscsi maintainers (!UNKNOWN)
extends_documentation_fragment:
  - scst.iscsi.scst
  - scst.iscsi.scst.attributes
options:
  name:
    description:
      - Group name, at most 255 bytes, without blanks, control characters, C(;), C(=), C(/),
        C("), C({) or C(}) (SCST splits commands at blanks, C(;) and C(=); scst.conf cannot hold
        quotes or braces); not C(.), C(..) or C(mgmt) (the name becomes a directory beside
        C(ini_groups/mgmt)).
    type: str
    required: true
  target:
    description:
      - Target the group belongs to.
    type: str
    required: true
  driver:
    description:
      - Target driver.
    type: str
    default: iscsi
  state:
    description:
      - V(present) creates or updates the group; V(absent) deletes it.
    type: str
    choices: [present, absent]
    default: present
  initiators:
    description:
      - Initiator names or patterns (C(*), C(?), a leading C(!) negates; matched
        case-insensitively by SCST). When not set, the members are left alone.
      - The name rules of O(name) apply (each name becomes a file beside C(initiators/mgmt)).
        An iSCSI initiator name that is not a pattern and not in RFC 3720 form (C(iqn.), C(eui.),
        C(naa.); with C(per_portal_acl) the part before C(#)), or is longer than 223 bytes, is
        used with a warning.
    type: list
    elements: str
  luns:
    description:
      - The group's LUNs. When not set, the LUNs are left alone.
    type: list
    elements: dict
    suboptions:
      lun:
        description:
          - LUN number, an integer from 0 to 16383, given as a number or as a string of plain decimal
            digits. Strings SCST or Ansible would read differently are refused - C("010") (octal 8 for
            SCST), C("0x10"), C("1e3"), C("+1"), C(" 1") - and so are fractions and booleans.
          - YAML itself reads an unquoted C(010) as octal 8 and C(0x10) as 16 before the module sees
            the value; write LUN numbers without leading zeros.
        type: raw
        required: true
      device:
        description: SCST device mapped at this LUN.
        type: str
        required: true
      read_only:
        description: Export the LUN read-only.
        type: bool
        default: false
  attributes:
    description:
      - Group attributes C(addr_method), C(io_grouping_type), C(cpu_mask) and, for iSCSI,
        C(per_sess_dedicated_tgt_threads).
    type: dict
  exclusive:
    description:
      - When V(true), O(initiators) and O(luns) are the complete lists and members not listed are
        removed. When V(false), listed members are added and others kept.
    type: bool
    default: true
  force:
    description:
      - Allow removals while sessions are bound to the group (deleting the group closes them), and
        changes of the LUNs logged-in initiators see.
    type: bool
    default: false
seealso:
  - module: scst.iscsi.scst_lun
  - module: scst.iscsi.scst_target
"""

EXAMPLES = r"""
- name: Host db1 sees its two LUNs, nobody else does
  scst.iscsi.scst_group:
    target: iqn.2026-11.com.example:storage.tgt1
    name: db1
    initiators:
      - iqn.2026-11.com.example:db1
    luns:
      - lun: 0
        device: db1_data
      - lun: 1
        device: db1_logs

- name: Add every initiator of a domain to a read-only group, keeping existing members
  scst.iscsi.scst_group:
    target: iqn.2026-11.com.example:storage.tgt1
    name: readers
    initiators:
      - iqn.2026-11.com.example:reader*
    exclusive: false

- name: Delete a group
  scst.iscsi.scst_group:
    target: iqn.2026-11.com.example:storage.tgt1
    name: oldhosts
    state: absent
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
      sample: targets/iscsi/iqn.2026-11.com.example:storage.tgt1/ini_groups/mgmt
    write:
      description: What was written.
      type: str
      sample: create db1
    what:
      description: The change in words.
      type: str
      sample: create initiator group db1 of iqn.2026-11.com.example:storage.tgt1
diff:
  description: The group before and after, in diff mode.
  returned: when diff mode is on
  type: dict
"""

from ansible_collections.scst.iscsi.plugins.module_utils.scst.group import GroupRequest, plan_group
from ansible_collections.scst.iscsi.plugins.module_utils.scst.runner import run_planning_module


OPTIONS = dict(
    name=dict(type="str", required=True),
    target=dict(type="str", required=True),
    driver=dict(type="str", default="iscsi"),
    state=dict(type="str", choices=["present", "absent"], default="present"),
    initiators=dict(type="list", elements="str"),
    luns=dict(type="list", elements="dict", options=dict(
        lun=dict(type="raw", required=True),
        device=dict(type="str", required=True),
        read_only=dict(type="bool", default=False),
    )),
    attributes=dict(type="dict"),
    exclusive=dict(type="bool", default=True),
    force=dict(type="bool", default=False),
)


def main():
    run_planning_module(OPTIONS, GroupRequest, plan_group)


if __name__ == "__main__":
    main()
