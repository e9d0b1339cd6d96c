#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: scst.iscsi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: scst_config
short_description: Converge a whole SCST host to one declared configuration and persist it
version_added: 0.1.0
description:
  - Takes the complete desired SCST configuration of a host - devices by handler, target drivers
    with their attributes and discovery CHAP, targets with attributes, CHAP, allowed portals,
    LUNs, and initiator groups with their initiators and LUNs - in a shape that mirrors
    C(/etc/scst.conf), and converges the host to it in one ordered plan.
  - The shape is the one M(scst.iscsi.scst_info) returns, so a running host can be read into
    variables and applied elsewhere.
  - Objects the configuration does not mention are left alone, unless O(purge=true).
  - Safe mode - deleting or re-creating anything that logged-in initiators use is refused unless
    O(force=true); the error lists every object in the way with its sessions, and nothing is
    written.
  - Online resize - a vdisk_fileio or vdisk_blockio device whose backing file or block device has
    grown is told so with one C(resync_size) write and takes the new size while in use (RV(resized)).
    The size of these devices follows the backing store and is not part of the configuration.
  - After a change, and whenever the file differs from the running configuration, the running
    configuration is written to O(config_file) (atomically, mode C(0600), in the grammar
    C(scstadmin) reads) so that C(scst.service) restores it at boot.
author:
  - scst.iscsi maintainers (!UNKNOWN)
extends_documentation_fragment:
  - scst.iscsi.scst
  - scst.iscsi.scst.attributes
options:
  config:
    description:
      - The desired configuration. Its shape is checked once, before anything is read or written; a
        bad value fails naming the field and the rule (never a secret).
      - C(attributes) - SCST's global attributes (C(setup_id), C(threads), C(cluster_name), ...).
        C(setup_id) is written before devices are created (it seeds their default identifiers).
      - C(handlers) - per handler (C(vdisk_fileio), C(vdisk_blockio), C(vdisk_nullio), C(vcdrom),
        C(dev_disk), ...) its C(attributes) and a C(devices) mapping of device name to C(filename)
        and C(attributes).
      - C(drivers) - per target driver (C(iscsi), C(scst_local), hardware drivers such as
        C(qla2x00t); never C(copy_manager)) C(enabled), C(attributes), discovery C(chap) (iSCSI -
        C(incoming) and C(outgoing) lists of C(username)/C(password)) and C(targets); per target
        C(enabled), C(attributes), C(allowed_portals) (iSCSI), C(chap) (iSCSI), C(luns) (a mapping
        of LUN number to C(device), C(read_only) and C(attributes)) and C(groups) (per group
        C(initiators), C(luns), C(attributes)). C(hw_target=true) marks a hardware target - it
        is configured, never created or deleted.
      - C(device_groups) - ALUA. Per device group its C(devices), C(attributes) and
        C(target_groups); per target group C(group_id) (1 to 65535), C(state) (C(active),
        C(nonoptimized), C(standby), C(unavailable), C(offline), C(transitioning)), C(preferred),
        C(attributes) and C(targets) - a target of this host by name (C({})), a target of another
        node with its C(rel_tgt_id). C(alua_attributes) - attributes of C(device_groups) itself
        (SCST has none today).
      - Attributes the module knows (those of M(scst.iscsi.scst_device), M(scst.iscsi.scst_target),
        ...) are checked and normalised; any other attribute is carried as the exact string SCST
        shows and compared as such. A device or target attribute that the handler or driver lists
        as a creation parameter is given when the object is created, others are written after.
      - A C(chap) or C(allowed_portals) key that is present makes its list exact for that target
        or for discovery (other entries are removed); without it, they are left alone unless
        O(purge=true).
    type: dict
    required: true
  validate_only:
    description:
      - Only check O(config) and return its normal form (secrets masked) in RV(config); the host
        is not read (SCST need not be loaded) and nothing is written.
      - The role M(scst.iscsi.scst_target) uses it as its preflight check.
    type: bool
    default: false
  purge:
    description:
      - Remove what the configuration does not mention - devices, targets of the drivers it
        lists (hardware targets and C(copy_manager) excepted), LUNs, groups, initiators and CHAP
        accounts of the targets it lists, ALUA device groups, their devices and target groups,
        and the targets of its target groups.
      - With purge, every device a LUN or a device group names must be declared under
        C(handlers) (purge would delete it); such a configuration is refused before any write.
    type: bool
    default: false
  force:
    description:
      - Allow deletions and re-creations that affect logged-in initiators (their sessions are
        closed where SCST requires it), changes of the LUNs they see (an initiator added to or
        moved between groups, a LUN deleted or replaced), and the deletion of an ALUA device group or
        target group whose devices or targets they use. An ALUA state change never needs it.
    type: bool
    default: false
  recreate:
    description:
      - Allow re-creating devices whose creation-time attributes differ (their LUNs are restored).
    type: bool
    default: false
  persist:
    description:
      - Write the running configuration to O(config_file) when it differs from the file.
    type: bool
    default: true
  config_file:
    description:
      - Where the running configuration is saved. C(scst.service) reads C(/etc/scst.conf).
    type: path
    default: /etc/scst.conf
seealso:
  - module: scst.iscsi.scst_info
  - module: scst.iscsi.scst_import
"""

EXAMPLES = r"""
- name: A target with one LUN per host, CHAP and discovery CHAP
  scst.iscsi.scst_config:
    config:
      handlers:
        vdisk_blockio:
          devices:
            db1: {filename: /dev/vg0/db1}
        vdisk_fileio:
          devices:
            web1: {filename: /srv/scst/web1.img, attributes: {nv_cache: 1}}
      drivers:
        iscsi:
          enabled: true
          chap:
            incoming: [{username: discovery, password: "{{ vault_discovery_secret }}"}]
          targets:
            iqn.2026-11.com.example:storage.tgt1:
              enabled: true
              allowed_portals: [192.168.77.10]
              chap:
                incoming: [{username: hosts, password: "{{ vault_hosts_secret }}"}]
              groups:
                db1:
                  initiators: [iqn.2026-11.com.example:db1]
                  luns: {0: {device: db1}}
                web1:
                  initiators: [iqn.2026-11.com.example:web1]
                  luns: {0: {device: web1}}

- name: Make the host exactly this configuration, removing everything else
  scst.iscsi.scst_config:
    config: "{{ scst_config }}"
    purge: true

- name: ALUA - this node's target is active and preferred, the peer's standby
  scst.iscsi.scst_config:
    config:
      attributes: {setup_id: "0x1"}
      handlers:
        vdisk_blockio:
          devices:
            db1: {filename: /dev/drbd0}
      drivers:
        iscsi:
          targets:
            iqn.2026-11.com.example:node1.db: {enabled: true, attributes: {rel_tgt_id: 1}, luns: {0: {device: db1}}}
      device_groups:
        db:
          devices: [db1]
          target_groups:
            local: {group_id: 1, state: active, preferred: true,
                    targets: {"iqn.2026-11.com.example:node1.db": {}}}
            peer: {group_id: 2, state: standby,
                   targets: {"iqn.2026-11.com.example:node2.db": {rel_tgt_id: 2}}}

- name: Check a configuration without touching the host (no SCST needed)
  scst.iscsi.scst_config:
    config: "{{ scst_config }}"
    validate_only: true
  register: checked
"""

RETURN = r"""
plan:
  description: Every management write made, or in check mode that would be made, in order; secrets masked.
  returned: always
  type: list
  elements: dict
  contains:
    path:
      description: File written, relative to the sysfs root.
      type: str
      sample: handlers/vdisk_blockio/mgmt
    write:
      description: What was written.
      type: str
      sample: add_device db1 filename=/dev/vg0/db1
    what:
      description: The change in words.
      type: str
      sample: create vdisk_blockio device db1
resized:
  description:
    - Devices whose backing store grew and that SCST was told to take the new size (online resize),
      by name, with the size in bytes before and after.
  returned: when a device was (or in check mode would be) resized
  type: dict
  sample: {disk1: {before: 107374182400, after: 214748364800}}
persisted:
  description: Whether O(config_file) was (or in check mode would be) rewritten.
  returned: always
  type: bool
config_file:
  description: The file the configuration is saved to.
  returned: when O(persist=true)
  type: str
  sample: /etc/scst.conf
diff:
  description:
    - The whole configuration before and after (secrets masked), in diff mode, in the shape of
      M(scst.iscsi.scst_info). The after is the plan replayed on the before, so check mode shows
      exactly the diff of the real run.
  returned: when diff mode is on
  type: dict
config:
  description: The normal form of O(config) (secrets masked), as M(scst.iscsi.scst_info) returns a host.
  returned: when O(validate_only=true)
  type: dict
"""

from ansible_collections.scst.iscsi.plugins.module_utils.common.masking import mask_secrets
from ansible_collections.scst.iscsi.plugins.module_utils.scst.config import ConfigRequest, plan_config
from ansible_collections.scst.iscsi.plugins.module_utils.scst.info import read_configuration
from ansible_collections.scst.iscsi.plugins.module_utils.scst.persist import persist_after
from ansible_collections.scst.iscsi.plugins.module_utils.scst.predict import predict_configuration
from ansible_collections.scst.iscsi.plugins.module_utils.scst.runner import run_planner, scst_module


OPTIONS = dict(
    config=dict(type="dict", required=True),
    validate_only=dict(type="bool", default=False),
    purge=dict(type="bool", default=False),
    force=dict(type="bool", default=False),
    recreate=dict(type="bool", default=False),
    persist=dict(type="bool", default=True),
    config_file=dict(type="path", default="/etc/scst.conf"),
)


def make_planner(p, check_mode):
    request = ConfigRequest(p["config"], purge=p["purge"], force=p["force"], recreate=p["recreate"])

    return lambda live: plan_config(live, request, check_mode=check_mode)


def validate(p):
    """validate_only: the checks of a run, without the host."""
    request = ConfigRequest(p["config"], purge=p["purge"], force=p["force"], recreate=p["recreate"])
    return dict(changed=False, plan=[], persisted=False, config=mask_secrets(request.normal))


def run(module):
    if module.params["validate_only"]:
        return validate(module.params)
    # the diff: the whole configuration read before, and after that the
    # plan replayed on it (the same in check mode and in a real run)
    return run_planner(module, make_planner, make_after=persist_after, describe=read_configuration,
                       predict=predict_configuration)


def main():
    module = scst_module(OPTIONS)
    module.exit_with(lambda: run(module))


if __name__ == "__main__":
    main()
