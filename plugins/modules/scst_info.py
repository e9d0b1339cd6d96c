#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: scst.iscsi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: scst_info
short_description: Read the running SCST configuration as structured data
version_added: 0.1.0
description:
  - Returns the running SCST configuration shaped like C(/etc/scst.conf) - SCST global attributes,
    devices by handler, target drivers with their targets, LUNs, initiator groups, CHAP users and
    ALUA device groups.
  - Reports configuration only, and all of it - what C(scstadmin -write_config) saves - the
    attributes SCST marks as set (C([key])) at every level that are writable or creation parameters,
    not counters or defaults. Attributes the collection knows are normalised as it compares them,
    any other is reported exactly as SCST shows it.
  - The size of a C(vdisk_fileio), C(vdisk_blockio) or C(vcdrom) device is that of its backing store
    and is not reported.
  - CHAP secrets are never returned; each is replaced by C(********).
  - RV(scst) has exactly the shape the O(scst.iscsi.scst_config#module:config) option of
    M(scst.iscsi.scst_config) takes, so a running host can be turned into variables
    (O(as_yaml=true) returns it as YAML text as well).
author:
  - scst.iscsi maintainers (!UNKNOWN)
extends_documentation_fragment:
  - scst.iscsi.scst
  - scst.iscsi.scst.info_attributes
options:
  as_yaml:
    description:
      - Also return the configuration as YAML text under the key C(scst_config), ready to be
        saved as a variables file (secrets masked).
    type: bool
    default: false
"""

EXAMPLES = r"""
- name: Read the SCST configuration
  scst.iscsi.scst_info:
  register: scst

- name: Show the LUNs of one target
  ansible.builtin.debug:
    var: scst.scst.drivers.iscsi.targets['iqn.2026-11.com.example:storage.tgt1'].luns

- name: Save the running configuration as variables for scst_config
  scst.iscsi.scst_info:
    as_yaml: true
  register: running

- name: Write them on the controller
  ansible.builtin.copy:
    content: "{{ running.scst_yaml }}"
    dest: "host_vars/{{ inventory_hostname }}/scst.yml"
    mode: "0600"
  delegate_to: localhost
"""

RETURN = r"""
scst:
  description: The running configuration, in the shape M(scst.iscsi.scst_config) takes.
  returned: success
  type: dict
  contains:
    attributes:
      description: SCST global attributes that are set (C(setup_id), C(threads), C(cluster_name) ...).
      type: dict
      sample: {"setup_id": "0x2a"}
    handlers:
      description:
        - Devices by handler, with their backing file and the attributes that are set, and the
          handler's own C(attributes).
        - A value is a string, or a list of strings for an attribute with several values.
      type: dict
      sample: {"vdisk_fileio": {"attributes": {}, "devices": {"disk1": {"filename": "/srv/disk1.img",
               "attributes": {"nv_cache": "1"}}}}}
    drivers:
      description:
        - Target drivers (copy_manager left out; iSCSI only while iscsi-scstd runs) with their
          targets. Each target has C(enabled) (where the driver has it), C(hw_target) (true for a
          hardware port), C(attributes), C(luns) (C(device), C(read_only), C(attributes)), C(groups)
          (C(initiators), C(luns), C(attributes)), C(allowed_portals) and C(chap) (C(incoming)/C(outgoing)
          lists of C(username) and a masked C(password)).
        - An scst_local target reports its sessions as the C(session_name) attribute.
        - A driver has C(enabled) (where it has one), C(attributes) and discovery C(chap).
      type: dict
    device_groups:
      description:
        - ALUA device groups with their C(devices), C(attributes) and C(target_groups) (C(group_id)
          when set, C(state), C(preferred), C(attributes) and C(targets) - empty for a local target,
          C(rel_tgt_id) for a remote one).
      type: dict
      sample: {"dg1": {"devices": ["disk1"], "attributes": {}, "target_groups": {"local": {"group_id": 1,
               "state": "active", "preferred": true, "attributes": {}, "targets": {"iqn.2026-11.com.example:t1": {}}}}}}
    alua_attributes:
      description: Attributes of the ALUA configuration as a whole that are set (present only then).
      type: dict
runtime:
  description: What is running but is not configuration.
  returned: success
  type: dict
  contains:
    version:
      description: SCST version.
      type: str
      sample: 3.11.0-pre
    loaded_handlers:
      description: Device handlers loaded in the kernel.
      type: list
      elements: str
      sample: [vcdrom, vdisk_blockio, vdisk_fileio, vdisk_nullio]
    iscsi_daemon_running:
      description: Whether iscsi-scstd is connected (null when iSCSI is not loaded).
      type: bool
    sessions:
      description: Logged-in session names by driver and target.
      type: dict
      sample: {"iscsi": {"iqn.2026-11.com.example:storage.tgt1": ["iqn.2026-11.com.example:host1"]}}
scst_yaml:
  description: RV(scst) as YAML text under the key C(scst_config), secrets masked.
  returned: when O(as_yaml=true)
  type: str
"""

from ansible_collections.scst.iscsi.plugins.module_utils.common.module import CollectionModule
from ansible_collections.scst.iscsi.plugins.module_utils.scst.info import (
    read_configuration,
    read_runtime,
    to_yaml,
)
from ansible_collections.scst.iscsi.plugins.module_utils.scst.live import LiveTree
from ansible_collections.scst.iscsi.plugins.module_utils.scst.runner import common_argument_spec, open_sysfs


def read(params):
    sysfs = open_sysfs(params)
    sysfs.require_loaded()
    live = LiveTree(sysfs)
    result = dict(changed=False, scst=read_configuration(live), runtime=read_runtime(live))
    if params["as_yaml"]:
        result["scst_yaml"] = to_yaml({"scst_config": result["scst"]})
    return result


def main():
    argument_spec = common_argument_spec()
    argument_spec.update(as_yaml=dict(type="bool", default=False))
    module = CollectionModule(argument_spec=argument_spec, supports_check_mode=True)
    module.exit_with(lambda: read(module.params))


if __name__ == "__main__":
    main()
