#!/usr/bin/python
# Copyright: scst.iscsi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: iscsi_discovery
short_description: Discover iSCSI targets (SendTargets or iSNS) without resetting existing node records
version_added: 0.1.0
description:
  - Keeps an open-iscsi discovery record for a portal (with discovery CHAP for SendTargets) and runs
    discovery through it.
  - Discovery adds node records only for target portals that have none yet (C(iscsiadm -m discoverydb
    --discover -o new)). Existing records keep C(node.startup), CHAP and every other setting; a plain
    C(iscsiadm -m discovery) would rewrite them from iscsid.conf.
  - Reports C(changed) only when the discovery record was created or changed, or node records were added
    or deleted.
  - In check mode the portal is asked with C(-o nonpersistent), which changes nothing, to predict the new
    records; that is skipped when the discovery record does not exist yet or its CHAP settings are about
    to change.
author:
  - scst.iscsi contributors (@scst-iscsi)
extends_documentation_fragment:
  - scst.iscsi.iscsi
  - scst.iscsi.iscsi.chap
  - scst.iscsi.iscsi.attributes
options:
  portal:
    description:
      - Address of the discovery portal (SendTargets) or iSNS server. May carry the port.
      - A host name the resolver would read as a number (C(127.1), C(010.0.0.1) - octal, C(0x0a.0.0.1)) is
        refused; write IPv4 addresses as four decimal numbers without leading zeros.
    type: str
    required: true
  port:
    description:
      - TCP port. Defaults to the port in O(portal), else 3260 for V(sendtargets) and 3205 for V(isns).
      - A number, or a string of plain decimal digits; C("010"), C("+1"), C("1e3"), fractions and booleans
        are refused.
    type: raw
  type:
    description:
      - Discovery method.
      - The C(chap_*) options (discovery CHAP) apply to V(sendtargets) only; open-iscsi has no iSNS authentication.
    type: str
    choices: [sendtargets, isns]
    default: sendtargets
  state:
    description:
      - V(present) keeps the discovery record (with the CHAP settings given) and, with O(discover), discovers.
      - V(absent) deletes the discovery record. open-iscsi deletes the node records found through it too,
        so the module refuses while one of them is logged in.
    type: str
    choices: [present, absent]
    default: present
  discover:
    description:
      - Run the discovery. V(false) only manages the discovery record.
    type: bool
    default: true
  prune:
    description:
      - Also delete node records found earlier through this portal that it no longer returns. Records with a
        session are kept (iscsiadm refuses to delete them).
    type: bool
    default: false
  iface:
    description:
      - Discover through this open-iscsi iface (see M(scst.iscsi.iscsi_iface)); the records it adds are
        bound to this iface only, and RV(added) counts the records of this iface.
      - Without it, open-iscsi binds new records to every tcp iface it has (or to C(default) when it has none).
      - The discovery record itself is shared by all ifaces.
      - At most 64 bytes, without blanks, control characters or C(/), not C(.) or C(..).
    type: str
seealso:
  - module: scst.iscsi.iscsi_node
  - module: scst.iscsi.iscsi_info
"""

EXAMPLES = r"""
- name: Discover the targets of a portal
  scst.iscsi.iscsi_discovery:
    portal: 192.168.77.10
  register: found

- name: Discover with discovery CHAP (one-way)
  scst.iscsi.iscsi_discovery:
    portal: 192.168.77.10
    chap_username: discovery
    chap_password: "{{ vault_discovery_secret }}"

- name: Ask an iSNS server
  scst.iscsi.iscsi_discovery:
    portal: 192.168.77.5
    type: isns

- name: Re-discover and forget target portals the portal no longer reports
  scst.iscsi.iscsi_discovery:
    portal: 192.168.77.10
    prune: true

- name: Discover through the iface bound to the second storage NIC
  scst.iscsi.iscsi_discovery:
    portal: 192.168.77.10
    iface: path1

- name: Remove the discovery record (and the node records found through it)
  scst.iscsi.iscsi_discovery:
    portal: 192.168.77.10
    state: absent
"""

RETURN = r"""
portal:
  description: The discovery portal (address and port).
  returned: always
  type: str
  sample: 192.168.77.10:3260
type:
  description: Discovery method.
  returned: always
  type: str
  sample: sendtargets
targets:
  description:
    - Target portals the discovery reported. Null when no discovery ran, and in check mode when the
      portal could not be asked (see the module description).
  returned: always
  type: list
  elements: dict
  contains:
    target:
      description: iSCSI name of the target.
      type: str
      sample: iqn.2026-11.test.lab:tgt1
    portal:
      description: Address and port of the target portal.
      type: str
      sample: 192.168.77.10:3260
    address:
      description: Address of the target portal.
      type: str
      sample: 192.168.77.10
    port:
      description: Port of the target portal.
      type: int
      sample: 3260
    tpgt:
      description: Target portal group tag.
      type: int
      sample: 1
    iface:
      description: The iface the record is bound to; only in RV(added) and RV(removed) with O(iface).
      type: str
      sample: path0
added:
  description: Node records the discovery created (would create, in check mode). Same elements as RV(targets).
  returned: always
  type: list
  elements: dict
removed:
  description: Node records deleted by O(prune) or O(state=absent). Same elements as RV(targets).
  returned: always
  type: list
  elements: dict
record:
  description: CHAP settings of the discovery record after the task, secrets masked. Null when absent.
  returned: always
  type: dict
  sample:
    discovery.sendtargets.auth.authmethod: CHAP
    discovery.sendtargets.auth.username: discovery
    discovery.sendtargets.auth.password: "********"
actions:
  description: What the task did (or would do in check mode), in order. Secrets never appear.
  returned: always
  type: list
  elements: str
"""

import functools

from ansible_collections.scst.iscsi.plugins.module_utils.common.module import CollectionModule
from ansible_collections.scst.iscsi.plugins.module_utils.iscsi.initiator import Chap, DiscoveryRequest, Initiator
from ansible_collections.scst.iscsi.plugins.module_utils.iscsi.iscsiadm import module_iscsiadm
from ansible_collections.scst.iscsi.plugins.module_utils.iscsi.model import (
    DEFAULT_ISCSI_PORT,
    DEFAULT_ISNS_PORT,
    Portal,
    mask_settings,
)


def argument_spec():
    return dict(
        portal=dict(type="str", required=True),
        port=dict(type="raw"),
        type=dict(type="str", choices=["sendtargets", "isns"], default="sendtargets"),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        discover=dict(type="bool", default=True),
        prune=dict(type="bool", default=False),
        iface=dict(type="str"),
        chap_username=dict(type="str"),
        chap_password=dict(type="str", no_log=True),
        chap_username_in=dict(type="str"),
        chap_password_in=dict(type="str", no_log=True),
        chap_secret_check=dict(type="str", choices=["scst", "none"], default="scst"),
    )


def build_request(params: dict) -> DiscoveryRequest:
    default_port = DEFAULT_ISNS_PORT if params["type"] == "isns" else DEFAULT_ISCSI_PORT
    return DiscoveryRequest(
        portal=Portal.from_user(params["portal"], params["port"], default_port=default_port),
        kind=params["type"],
        state=params["state"],
        chap=Chap(username=params["chap_username"], password=params["chap_password"],
                  username_in=params["chap_username_in"], password_in=params["chap_password_in"],
                  check=params["chap_secret_check"]),
        discover=params["discover"] and params["state"] == "present",
        prune=params["prune"],
        iface=params["iface"],
    )


def predict(initiator: Initiator, request: DiscoveryRequest, plan) -> tuple:
    """Check mode: ``(targets, added, removed)`` as the portal answers a discovery that changes
    nothing; unknown (None, nothing added or removed) when it cannot be asked yet."""
    if request.discover:
        preview = initiator.preview_discovery(request, plan)
        if preview is not None:
            return preview
        plan.warnings.append("check mode: the discovery record is new or its CHAP settings change, so "
                             "the portal was not asked which targets it would report")
    return None, [], []


def apply(initiator: Initiator, request: DiscoveryRequest, plan) -> tuple:
    """A real run: ``(targets, added, removed)``, the node records compared around the discovery."""
    before = {node.key(): node for node in initiator.node_refs(iface=request.iface)}
    outcome = initiator.apply(plan)
    after = {node.key(): node for node in initiator.node_refs(iface=request.iface)}
    return (outcome.get("found"), [node for key, node in after.items() if key not in before],
            [node for key, node in before.items() if key not in after])


def report(initiator: Initiator, request: DiscoveryRequest, plan, effect, *, check_mode: bool) -> dict:
    targets, added, removed = effect
    record = None
    if request.state == "present":
        current = initiator.discovery_record(kind=request.kind, portal=request.portal)
        if current is not None or check_mode:
            record = {name: value for name, value in mask_settings(current or {}).items()
                      if name.startswith("discovery.sendtargets.auth.")}
            if check_mode:
                record.update(plan.after.get("record") or {})
    return dict(
        portal=str(request.portal),
        type=request.kind,
        targets=[node.dump() for node in targets] if targets is not None else None,
        added=[node.dump() for node in added],
        removed=[node.dump() for node in removed],
        record=record,
        actions=plan.descriptions(),
    )


def changed(plan, result: dict) -> bool:
    """The record changed, or node records were added or deleted."""
    return plan.changed or bool(result["added"]) or bool(result["removed"])


def diff(plan, result: dict) -> dict:
    """The plan's diff with the node records added and deleted."""
    shown = plan.diff()
    shown["before"] = dict(shown["before"], node_records_added=[], node_records_removed=[])
    shown["after"] = dict(shown["after"],
                          node_records_added=["{0} {1}".format(node["portal"], node["target"])
                                              for node in result["added"]],
                          node_records_removed=["{0} {1}".format(node["portal"], node["target"])
                                                for node in result["removed"]])
    return shown


def main():
    module = CollectionModule(argument_spec=argument_spec(), supports_check_mode=True)
    initiator = Initiator(iscsiadm=module_iscsiadm(module))
    module.run_plan(build_request, initiator.plan_discovery,
                    predict=functools.partial(predict, initiator), apply=functools.partial(apply, initiator),
                    report=functools.partial(report, initiator, check_mode=module.check_mode),
                    changed=changed, diff=diff)


if __name__ == "__main__":
    main()
