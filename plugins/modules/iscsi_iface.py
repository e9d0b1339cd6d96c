#!/usr/bin/python
# Copyright: scst.iscsi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: iscsi_iface
short_description: Manage an open-iscsi iface that binds sessions to one network interface
version_added: 0.1.0
description:
  - Keeps an open-iscsi iface (a file of C(/etc/iscsi/ifaces)) bound by name to a network interface
    (C(iface.net_ifacename)), so that the sessions logged in through it use that link only. Two ifaces on
    two NICs give two independent paths to the same target, for dm-multipath.
  - Creates the iface (C(iscsiadm -m iface -I NAME -o new)), sets its transport and network interface
    (C(-o update)) when they differ, or deletes it (C(-o delete)).
  - Deleting an iface also deletes the node records bound to it (open-iscsi does that), so the module
    refuses to delete an iface while a session uses it, and lists the records that go with it in the
    diff and in RV(node_records_removed).
  - Node records are bound to an iface by discovering through it (M(scst.iscsi.iscsi_discovery) with
    C(iface)) or by creating them with M(scst.iscsi.iscsi_node) with C(iface) and C(create=true).
author:
  - scst.iscsi contributors (@scst-iscsi)
extends_documentation_fragment:
  - scst.iscsi.iscsi
  - scst.iscsi.iscsi.attributes
options:
  name:
    description:
      - Name of the iface (the file C(/etc/iscsi/ifaces/NAME)).
      - At most 64 bytes, without blanks, control characters or C(/), not C(.) or C(..).
      - V(default) and V(iser) are built into open-iscsi and cannot be managed.
    type: str
    required: true
  netdev:
    description:
      - Network interface the iface is bound to (C(iface.net_ifacename)), for example C(eth1).
      - Must exist on the host (C(/sys/class/net/NETDEV)); a Linux interface name of at most 15 bytes,
        without blanks, C(/) or C(:).
      - Required with O(state=present).
    type: str
  transport:
    description:
      - Transport of the iface (C(iface.transport_name)). V(tcp) is software iSCSI over TCP.
    type: str
    choices: [tcp, iser]
    default: tcp
  state:
    description:
      - V(present) creates the iface or brings its transport and network interface in line.
        Sessions already logged in through it keep their old binding until they log in again.
      - V(absent) deletes the iface and the node records bound to it; refused while a session uses it.
    type: str
    choices: [present, absent]
    default: present
seealso:
  - module: scst.iscsi.iscsi_discovery
  - module: scst.iscsi.iscsi_node
"""

EXAMPLES = r"""
- name: One iface per storage NIC
  scst.iscsi.iscsi_iface:
    name: "{{ item.name }}"
    netdev: "{{ item.netdev }}"
  loop:
    - {name: path0, netdev: eth1}
    - {name: path1, netdev: eth2}

- name: Discover through each iface, so that each target portal gets a record per path
  scst.iscsi.iscsi_discovery:
    portal: 192.168.77.10
    iface: path0

- name: Log in through one iface
  scst.iscsi.iscsi_node:
    target: iqn.2026-11.test.lab:tgt1
    portal: 192.168.77.10
    iface: path0
    login: true

- name: Remove an iface (log its sessions out first)
  scst.iscsi.iscsi_iface:
    name: path1
    state: absent
"""

RETURN = r"""
iface:
  description: The iface after the task (predicted in check mode); null when it is absent.
  returned: always
  type: dict
  contains:
    name:
      description: Name of the iface.
      type: str
      sample: path0
    transport:
      description: C(iface.transport_name).
      type: str
      sample: tcp
    netdev:
      description: C(iface.net_ifacename), the network interface it is bound to.
      type: str
      sample: eth1
node_records_removed:
  description: Node records deleted with the iface (would be, in check mode), as C(portal target).
  returned: always
  type: list
  elements: str
  sample: ["192.168.77.10:3260 iqn.2026-11.test.lab:tgt1"]
actions:
  description: What the task did (or would do in check mode), in order.
  returned: always
  type: list
  elements: str
"""

from ansible_collections.scst.iscsi.plugins.module_utils.common.module import CollectionModule
from ansible_collections.scst.iscsi.plugins.module_utils.iscsi.initiator import IfaceRequest, Initiator
from ansible_collections.scst.iscsi.plugins.module_utils.iscsi.iscsiadm import module_iscsiadm
from ansible_collections.scst.iscsi.plugins.module_utils.iscsi.model import NET_ROOT


def argument_spec():
    return dict(
        name=dict(type="str", required=True),
        netdev=dict(type="str"),
        transport=dict(type="str", choices=["tcp", "iser"], default="tcp"),
        state=dict(type="str", choices=["present", "absent"], default="present"),
    )


def build_request(params: dict) -> IfaceRequest:
    return IfaceRequest(name=params["name"], netdev=params["netdev"], transport=params["transport"],
                        state=params["state"])


def report(_request, plan, _effect) -> dict:
    """The result of a planned (check mode) or applied run: both are the plan's after."""
    return dict(
        iface=plan.after["iface"],
        node_records_removed=[record for record in plan.before["node_records"]
                              if record not in plan.after["node_records"]],
        actions=plan.descriptions(),
    )


def main():
    module = CollectionModule(argument_spec=argument_spec(), supports_check_mode=True)
    initiator = Initiator(iscsiadm=module_iscsiadm(module), net_root=NET_ROOT)
    module.run_plan(build_request, initiator.plan_iface, apply=lambda _request, plan: initiator.apply(plan),
                    report=report)


if __name__ == "__main__":
    main()
