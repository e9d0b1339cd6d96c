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
  - Returns the running SCST configuration shaped like C(/etc/scst.conf) - devices by handler,
    target drivers with their targets, LUNs, initiator groups, CHAP users and sessions.
  - Reports configuration only - the attributes SCST marks as set (C([key])) among those the
    collection manages - not counters or defaults.
  - CHAP secrets are never returned; each is replaced by C(********).
author:
  - scst.iscsi maintainers (!UNKNOWN)
extends_documentation_fragment:
  - scst.iscsi.scst
  - scst.iscsi.scst.info_attributes
options:
  sessions:
    description:
      - Include the names of logged-in sessions per target.
    type: bool
    default: true
"""

EXAMPLES = r"""
- name: Read the SCST configuration
  scst.iscsi.scst_info:
  register: scst

- name: Show the LUNs of one target
  ansible.builtin.debug:
    var: scst.scst.drivers.iscsi.targets['iqn.2026-11.com.example:storage.tgt1'].luns
"""

RETURN = r"""
scst:
  description: The running configuration.
  returned: success
  type: dict
  contains:
    version:
      description: SCST version.
      type: str
      sample: 3.11.0-pre
    handlers:
      description: Devices by handler, with their backing file and the attributes that are set.
      type: dict
      sample: {"vdisk_fileio": {"devices": {"disk1": {"filename": "/srv/disk1.img", "attributes": {"nv_cache": "1"}}}}}
    drivers:
      description:
        - Target drivers (copy_manager left out) with their targets. Each target has C(enabled),
          C(attributes), C(luns), C(groups) (C(initiators), C(luns), C(attributes)),
          and for iSCSI C(allowed_portals) and C(chap) (C(incoming)/C(outgoing) lists of
          C(username) and a masked C(password)), and C(sessions).
        - The iSCSI driver also has C(daemon_running), C(enabled), C(attributes) and discovery C(chap).
      type: dict
    loaded_handlers:
      description: Device handlers loaded in the kernel.
      type: list
      elements: str
      sample: [vcdrom, vdisk_blockio, vdisk_fileio, vdisk_nullio]
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.scst.iscsi.plugins.module_utils.scst.errors import ScstError
from ansible_collections.scst.iscsi.plugins.module_utils.scst.info import read_configuration
from ansible_collections.scst.iscsi.plugins.module_utils.scst.live import LiveTree
from ansible_collections.scst.iscsi.plugins.module_utils.scst.runner import common_argument_spec, open_sysfs


def main():
    argument_spec = common_argument_spec()
    argument_spec.update(sessions=dict(type="bool", default=True))
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    try:
        sysfs = open_sysfs(module.params)
        sysfs.require_loaded()
        config = read_configuration(LiveTree(sysfs), sessions=module.params["sessions"])
    except ScstError as exc:
        module.fail_json(msg=str(exc), **exc.details)
    module.exit_json(changed=False, scst=config)


if __name__ == "__main__":
    main()
