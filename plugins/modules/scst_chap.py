#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: scst.iscsi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: scst_chap
short_description: Manage iSCSI CHAP accounts of SCST targets and of discovery
version_added: 0.1.0
description:
  - Adds, changes and removes one CHAP account of an iSCSI target, or of the iSCSI driver for
    discovery sessions when O(target) is not set.
  - V(incoming) accounts are the credentials initiators must present (one-way CHAP; a target
    may have several). The V(outgoing) account is what the target presents back to the initiator
    (mutual CHAP); there is at most one per target and one for discovery, so adding a new user
    replaces the old one.
  - A changed secret is detected by reading the account and written in place.
  - The secret never appears in the plan, the diff, errors or any return value.
author:
  - scst.iscsi maintainers (!UNKNOWN)
extends_documentation_fragment:
  - scst.iscsi.scst
  - scst.iscsi.scst.attributes
options:
  target:
    description:
      - iSCSI target name (the name rules of M(scst.iscsi.scst_target)). When not set, the account
        is for discovery sessions.
    type: str
  driver:
    description:
      - Target driver. Only C(iscsi) has CHAP.
    type: str
    choices: [iscsi]
    default: iscsi
  direction:
    description:
      - V(incoming) for initiator authentication, V(outgoing) for mutual CHAP.
    type: str
    choices: [incoming, outgoing]
    default: incoming
  username:
    description:
      - CHAP user name, at most 255 bytes, without blanks, control characters, C(;), C(=), C("),
        C({) or C(}).
    type: str
    required: true
  password:
    description:
      - CHAP secret, 12 to 255 bytes without blanks, control characters, C(;), C(=), C("), C({) or
        C(}) (iscsi-scstd rejects shorter secrets and would silently cut a secret at C(=); scst.conf
        cannot hold quotes or braces). Required when O(state=present). Never shown in errors.
    type: str
  state:
    description:
      - V(present) adds the account or updates its secret; V(absent) removes it.
    type: str
    choices: [present, absent]
    default: present
  others:
    description:
      - What to do with other accounts of the same direction and scope. V(keep) leaves them;
        V(remove) makes this account the only one.
    type: str
    choices: [keep, remove]
    default: keep
notes:
  - iscsi-scstd keeps CHAP accounts in memory only. Persist the configuration to survive a restart.
seealso:
  - module: scst.iscsi.scst_target
"""

EXAMPLES = r"""
- name: One-way CHAP for a target
  scst.iscsi.scst_chap:
    target: iqn.2026-11.com.example:storage.tgt1
    username: host1
    password: "{{ vault_chap_host1 }}"

- name: Mutual CHAP (the target authenticates itself to initiators)
  scst.iscsi.scst_chap:
    target: iqn.2026-11.com.example:storage.tgt1
    direction: outgoing
    username: tgt1
    password: "{{ vault_chap_tgt1 }}"

- name: Discovery CHAP, and no other discovery accounts
  scst.iscsi.scst_chap:
    username: discovery
    password: "{{ vault_chap_discovery }}"
    others: remove

- name: Remove an account
  scst.iscsi.scst_chap:
    target: iqn.2026-11.com.example:storage.tgt1
    username: oldhost
    state: absent
"""

RETURN = r"""
plan:
  description: The management writes made, or in check mode that would be made; secrets masked.
  returned: always
  type: list
  elements: dict
  contains:
    path:
      description: File written, relative to the sysfs root.
      type: str
      sample: targets/iscsi/mgmt
    write:
      description: What was written, with the secret replaced by C(********).
      type: str
      sample: add_target_attribute iqn.2026-11.com.example:storage.tgt1 IncomingUser host1 ********
    what:
      description: The change in words.
      type: str
      sample: add incoming CHAP user host1 for target iqn.2026-11.com.example:storage.tgt1
other_users:
  description: User names of the other accounts of the same direction and scope (before changes).
  returned: success
  type: list
  elements: str
  sample: [host2]
diff:
  description: The account before and after, the secret masked, in diff mode.
  returned: when diff mode is on
  type: dict
"""

from ansible_collections.scst.iscsi.plugins.module_utils.scst.chap import ChapRequest, plan_chap
from ansible_collections.scst.iscsi.plugins.module_utils.scst.runner import run_planning_module


OPTIONS = dict(
    target=dict(type="str"),
    driver=dict(type="str", choices=["iscsi"], default="iscsi"),
    direction=dict(type="str", choices=["incoming", "outgoing"], default="incoming"),
    username=dict(type="str", required=True),
    password=dict(type="str", no_log=True),
    state=dict(type="str", choices=["present", "absent"], default="present"),
    others=dict(type="str", choices=["keep", "remove"], default="keep"),
)


def main():
    run_planning_module(OPTIONS, ChapRequest, plan_chap)


if __name__ == "__main__":
    main()
