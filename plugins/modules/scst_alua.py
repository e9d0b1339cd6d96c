#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: scst.iscsi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: scst_alua
short_description: Switch the ALUA state of one SCST target group on this node
version_added: 0.1.0
description:
  - Sets the ALUA access state, and optionally the preferred flag, of one target group of an
    existing ALUA device group, for failover runbooks and setups without a cluster manager. The
    node giving up the volumes goes to V(unavailable) or V(standby), the node taking them over
    goes to V(active).
  - Each attribute that differs is one write to SCST; initiators see the new state at their next
    command (SCST reports an ALUA state change as a unit attention). A state change is not
    destructive, so it needs no force, also while initiators are logged in.
  - The device group and the target group must exist (M(scst.iscsi.scst_config) declares them).
    Their devices and targets are left as they are.
author:
  - scst.iscsi maintainers (!UNKNOWN)
extends_documentation_fragment:
  - scst.iscsi.scst
  - scst.iscsi.scst.attributes
options:
  device_group:
    description:
      - The ALUA device group, a directory of C(device_groups/) (the name rules of device groups in
        M(scst.iscsi.scst_config)).
    type: str
    required: true
  target_group:
    description:
      - The target group of O(device_group) whose state is set.
    type: str
    required: true
  state:
    description:
      - The ALUA access state the target group reports to initiators.
    type: str
    required: true
    choices: [active, nonoptimized, standby, unavailable, offline, transitioning]
  preferred:
    description:
      - Set or clear the preferred flag of the target group. When not set, the flag is left as it is.
    type: bool
  persist:
    description:
      - Save the running configuration to O(config_file) afterwards when that changes the file, as
        M(scst.iscsi.scst_config) does, so that the state survives a reboot of the node. In check
        mode a pending state change counts as a file update.
    type: bool
    default: false
  config_file:
    description:
      - Where the running configuration is saved with O(persist=true). C(scst.service) reads
        C(/etc/scst.conf).
    type: path
    default: /etc/scst.conf
notes:
  - In check mode a device group or target group that does not exist yet gives a warning (an
    earlier task may be about to create it) and the plan assumes a new group (V(active), not
    preferred); in a real run it is an error naming the option.
  - To keep the state across a reboot, set O(persist=true) (or save the configuration afterwards with
    M(scst.iscsi.scst_config)). playbooks/ha-switch.yml in the collection is a whole switch of an HA pair.
seealso:
  - module: scst.iscsi.scst_config
  - module: scst.iscsi.scst_info
"""

EXAMPLES = r"""
- name: Make this node's target group the active path
  scst.iscsi.scst_alua:
    device_group: vols
    target_group: node_a
    state: active
    preferred: true

# A failover runbook, run from the control node: node A gives up the volumes,
# then node B takes them over. The device group vols exists on both nodes, with a
# target group of its own (node_a, node_b) and the other node's targets as a
# remote target group, so each node announces both states.
- name: Node A stops serving I/O
  scst.iscsi.scst_alua:
    device_group: vols
    target_group: node_a
    state: unavailable
  delegate_to: san-a.example.com

- name: Node A announces node B as the active path, and saves /etc/scst.conf
  scst.iscsi.scst_alua:
    device_group: vols
    target_group: node_b
    state: active
    persist: true
  delegate_to: san-a.example.com

- name: Node B serves I/O
  scst.iscsi.scst_alua:
    device_group: vols
    target_group: node_b
    state: active
  delegate_to: san-b.example.com

- name: Node B announces node A as unavailable, and saves /etc/scst.conf
  scst.iscsi.scst_alua:
    device_group: vols
    target_group: node_a
    state: unavailable
    persist: true
  delegate_to: san-b.example.com
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
      sample: device_groups/vols/target_groups/node_a/state
    write:
      description: What was written.
      type: str
      sample: unavailable
    what:
      description: The change in words.
      type: str
      sample: set the ALUA state of target group node_a of device group vols to unavailable
state_before:
  description: The ALUA state of the target group before the run.
  returned: success
  type: str
  sample: active
state_after:
  description: The ALUA state after the run (in check mode, the state a real run would set).
  returned: success
  type: str
  sample: unavailable
preferred_before:
  description: The preferred flag before the run.
  returned: success
  type: bool
  sample: true
preferred_after:
  description: The preferred flag after the run.
  returned: success
  type: bool
  sample: false
persisted:
  description: Whether O(config_file) was (in check mode, would be) written.
  returned: always
  type: bool
  sample: true
config_file:
  description: The file saved to.
  returned: when O(persist=true)
  type: str
  sample: /etc/scst.conf
diff:
  description: The target group's state and preferred flag before and after, in diff mode.
  returned: when diff mode is on
  type: dict
"""

from ansible_collections.scst.iscsi.plugins.module_utils.scst.alua import AluaStateRequest, plan_alua_state
from ansible_collections.scst.iscsi.plugins.module_utils.scst.catalog import ALUA_STATES
from ansible_collections.scst.iscsi.plugins.module_utils.scst.persist import persist_after
from ansible_collections.scst.iscsi.plugins.module_utils.scst.runner import run_planning_module


OPTIONS = dict(
    device_group=dict(type="str", required=True),
    target_group=dict(type="str", required=True),
    state=dict(type="str", required=True, choices=list(ALUA_STATES)),
    preferred=dict(type="bool"),
    persist=dict(type="bool", default=False),
    config_file=dict(type="path", default="/etc/scst.conf"),
)


def main():
    run_planning_module(OPTIONS, AluaStateRequest, plan_alua_state, make_after=persist_after,
                        run_options=("persist", "config_file"))


if __name__ == "__main__":
    main()
