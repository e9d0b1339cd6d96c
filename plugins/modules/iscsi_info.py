#!/usr/bin/python
# Copyright: scst.iscsi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: iscsi_info
short_description: Report the open-iscsi initiator, its discovery and node records, sessions and disks
version_added: 0.1.0
description:
  - Returns the initiator name and alias, the iscsiadm version, discovery records, node records (with
    C(node.startup) and CHAP user names), sessions and the disks of each session with their C(/dev) and
    C(/dev/disk/by-path) names.
  - CHAP secrets are never returned; records say only whether a secret is set.
  - Changes nothing.
author:
  - scst.iscsi contributors (@scst-iscsi)
extends_documentation_fragment:
  - scst.iscsi.iscsi
  - scst.iscsi.iscsi.attributes_info
options:
  node_settings:
    description:
      - Also return every setting of each node record (secrets masked as C(********)). One iscsiadm call per
        record is made either way.
    type: bool
    default: false
seealso:
  - module: scst.iscsi.iscsi_node
  - module: scst.iscsi.iscsi_devices
"""

EXAMPLES = r"""
- name: Read the initiator state
  scst.iscsi.iscsi_info:
  register: iscsi

- name: Show the initiator name to put in the target's ACL
  ansible.builtin.debug:
    msg: "{{ iscsi.initiator.name }}"

- name: Fail when a node would not log in at boot
  ansible.builtin.assert:
    that: iscsi.nodes | rejectattr('startup', 'equalto', 'automatic') | list | length == 0
"""

RETURN = r"""
initiator:
  description: Contents of /etc/iscsi/initiatorname.iscsi.
  returned: always
  type: dict
  contains:
    name:
      description: InitiatorName; null when the file or the line is missing.
      type: str
      sample: iqn.2026-11.test.lab:initiator
    alias:
      description: InitiatorAlias; null when not set.
      type: str
      sample: initiator
version:
  description: Version of iscsiadm.
  returned: always
  type: str
  sample: 2.1.8
discovery:
  description: Discovery records.
  returned: always
  type: list
  elements: dict
  contains:
    portal:
      description: Address and port.
      type: str
      sample: 192.168.77.10:3260
    address:
      description: Address.
      type: str
    port:
      description: Port.
      type: int
    type:
      description: Discovery method.
      type: str
      sample: sendtargets
nodes:
  description: Node records, one per target and portal (and iface).
  returned: always
  type: list
  elements: dict
  contains:
    target:
      description: iSCSI name of the target.
      type: str
      sample: iqn.2026-11.test.lab:tgt1
    portal:
      description: Address and port.
      type: str
      sample: 192.168.77.10:3260
    address:
      description: Address of the portal.
      type: str
    port:
      description: Port of the portal.
      type: int
    tpgt:
      description: Target portal group tag.
      type: int
    iface:
      description: open-iscsi iface of the record.
      type: str
      sample: default
    startup:
      description: C(node.startup).
      type: str
      sample: automatic
    authmethod:
      description: C(node.session.auth.authmethod), V(None) or V(CHAP).
      type: str
      sample: CHAP
    chap_username:
      description: CHAP user name; empty when none.
      type: str
    chap_password_set:
      description: Whether a CHAP secret is stored.
      type: bool
    chap_username_in:
      description: Mutual CHAP user name; empty when none.
      type: str
    chap_password_in_set:
      description: Whether a mutual CHAP secret is stored.
      type: bool
    discovery_address:
      description: Portal the record was discovered through; empty for static records.
      type: str
    logged_in:
      description: Whether a session to this target at this portal through this record's iface exists.
      type: bool
    settings:
      description: Every setting of the record, secrets masked. Only with O(node_settings).
      type: dict
sessions:
  description: Sessions and their logical units.
  returned: always
  type: list
  elements: dict
  contains:
    sid:
      description: Session id.
      type: int
    target:
      description: iSCSI name of the target.
      type: str
    portal:
      description: Portal (persistent address and port).
      type: str
    iface:
      description: open-iscsi iface.
      type: str
    session_state:
      description: iSCSI session state, for example C(LOGGED_IN).
      type: str
    connection_state:
      description: iSCSI connection state, for example C(LOGGED IN).
      type: str
    host:
      description: SCSI host number of the session.
      type: int
    devices:
      description: Logical units, with the same fields as the C(devices) returned by M(scst.iscsi.iscsi_devices).
      type: list
      elements: dict
"""

from ansible_collections.scst.iscsi.plugins.module_utils.common.module import CollectionModule

from ansible_collections.scst.iscsi.plugins.module_utils.iscsi.devices import DeviceResolver
from ansible_collections.scst.iscsi.plugins.module_utils.iscsi.initiator import Initiator
from ansible_collections.scst.iscsi.plugins.module_utils.iscsi.iscsiadm import module_iscsiadm
from ansible_collections.scst.iscsi.plugins.module_utils.iscsi.model import mask_settings


def argument_spec():
    return dict(
        node_settings=dict(type="bool", default=False),
    )


def gather(*, initiator: Initiator, resolver: DeviceResolver, node_settings: bool) -> dict:
    iscsiadm = initiator.iscsiadm
    sessions = resolver.resolve(iscsiadm.session_tree())
    # Per iface: two ifaces give two records (and sessions) for one target and portal.
    logged_in = {session.key() + (session.iface,) for session in sessions}
    nodes = []
    seen = set()
    for ref in iscsiadm.list_nodes():
        # The flat list has a line per record, so a target portal with several ifaces comes
        # several times; show_node answers all of its records at once.
        if ref.key() in seen:
            continue
        seen.add(ref.key())
        for record in iscsiadm.show_node(target=ref.target, portal=ref.portal):
            record = mask_settings(record)
            node = ref.dump()
            node.update(
                iface=record.get("iface.iscsi_ifacename"),
                startup=record.get("node.startup"),
                authmethod=record.get("node.session.auth.authmethod"),
                chap_username=record.get("node.session.auth.username", ""),
                chap_password_set=bool(record.get("node.session.auth.password")),
                chap_username_in=record.get("node.session.auth.username_in", ""),
                chap_password_in_set=bool(record.get("node.session.auth.password_in")),
                discovery_address=record.get("node.discovery_address", ""),
                logged_in=ref.key() + (record.get("iface.iscsi_ifacename"),) in logged_in,
            )
            if node_settings:
                node["settings"] = record
            nodes.append(node)
    return dict(
        initiator=initiator.identity(),
        version=iscsiadm.version(),
        discovery=iscsiadm.list_discovery(),
        nodes=nodes,
        sessions=[session.dump() for session in sessions],
    )


def main():
    module = CollectionModule(argument_spec=argument_spec(), supports_check_mode=True)
    initiator = Initiator(iscsiadm=module_iscsiadm(module))
    module.exit_with(lambda: dict(gather(initiator=initiator, resolver=DeviceResolver(),
                                         node_settings=module.params["node_settings"]), changed=False))


if __name__ == "__main__":
    main()
