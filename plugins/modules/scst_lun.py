#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: scst.iscsi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: scst_lun
short_description: Map SCST devices to LUN numbers of a target or an initiator group
version_added: 0.1.0
description:
  - Adds, replaces or deletes one LUN in a target's default LUN set (seen by initiators that are
    in no group) or in an initiator group's LUN set.
  - A LUN that exists with another device or another read-only flag is changed with SCST's
    atomic C(replace), which gives initiators one unit attention instead of a LUN that disappears.
  - Replacing or deleting a LUN while initiators are logged in to its LUN set is refused unless
    O(force=true).
author:
  - scst.iscsi maintainers (!UNKNOWN)
extends_documentation_fragment:
  - scst.iscsi.scst
  - scst.iscsi.scst.attributes
options:
  target:
    description:
      - Target name (the name rules of M(scst.iscsi.scst_target)).
    type: str
    required: true
  driver:
    description:
      - Target driver.
    type: str
    default: iscsi
  group:
    description:
      - Initiator group whose LUN set is managed. When not set, the target's default LUN set.
      - The name rules of M(scst.iscsi.scst_group).
    type: str
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
    description:
      - SCST device mapped at this LUN. Required when O(state=present).
      - The name rules of M(scst.iscsi.scst_device).
    type: str
  read_only:
    description:
      - Export the LUN read-only. A LUN of a read-only device is always read-only.
    type: bool
    default: false
  state:
    description:
      - V(present) maps the device; V(absent) removes the LUN.
    type: str
    choices: [present, absent]
    default: present
  force:
    description:
      - Allow replacing or deleting the LUN while initiators are logged in to its LUN set.
    type: bool
    default: false
notes:
  - In check mode a target, group or device that does not exist yet gives a warning (an earlier
    task may be about to create it); in a real run it is an error.
seealso:
  - module: scst.iscsi.scst_device
  - module: scst.iscsi.scst_group
"""

EXAMPLES = r"""
- name: Map disk1 as LUN 0 of the target
  scst.iscsi.scst_lun:
    target: iqn.2026-11.com.example:storage.tgt1
    lun: 0
    device: disk1

- name: Map a device read-only in the group of one host
  scst.iscsi.scst_lun:
    target: iqn.2026-11.com.example:storage.tgt1
    group: host1
    lun: 1
    device: archive
    read_only: true

- name: Remove LUN 3
  scst.iscsi.scst_lun:
    target: iqn.2026-11.com.example:storage.tgt1
    lun: 3
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
      sample: targets/iscsi/iqn.2026-11.com.example:storage.tgt1/luns/mgmt
    write:
      description: What was written.
      type: str
      sample: add disk1 0
    what:
      description: The change in words.
      type: str
      sample: map disk1 as LUN 0 of iscsi/iqn.2026-11.com.example:storage.tgt1
diff:
  description: The LUN before and after, in diff mode.
  returned: when diff mode is on
  type: dict
"""

from ansible_collections.scst.iscsi.plugins.module_utils.scst.lun import LunRequest, plan_lun
from ansible_collections.scst.iscsi.plugins.module_utils.scst.runner import run_planning_module


OPTIONS = dict(
    target=dict(type="str", required=True),
    driver=dict(type="str", default="iscsi"),
    group=dict(type="str"),
    lun=dict(type="raw", required=True),
    device=dict(type="str"),
    read_only=dict(type="bool", default=False),
    state=dict(type="str", choices=["present", "absent"], default="present"),
    force=dict(type="bool", default=False),
)


def main():
    run_planning_module(OPTIONS, LunRequest, plan_lun)


if __name__ == "__main__":
    main()
