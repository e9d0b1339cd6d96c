#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: scst.iscsi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: scst_driver
short_description: Manage SCST target driver settings (iSCSI enabled, iSNS, portals)
version_added: 0.1.0
description:
  - Sets the driver-level switch and attributes of an SCST target driver.
  - For iSCSI, C(targets/iscsi/enabled) must be on or iscsi-scstd accepts no connection at all,
    not even discovery. It is independent of each target's own C(enabled).
  - Discovery CHAP accounts are managed with M(scst.iscsi.scst_chap) without a target.
author:
  - scst.iscsi maintainers (!UNKNOWN)
extends_documentation_fragment:
  - scst.iscsi.scst
  - scst.iscsi.scst.attributes
options:
  driver:
    description:
      - Target driver, a directory under C(targets/) - no C(/), blanks, C(;) or C(=), not C(.) or C(..).
    type: str
    default: iscsi
  enabled:
    description:
      - Whether the driver accepts connections. When not set, left as it is.
    type: bool
  attributes:
    description:
      - Driver attributes. For iSCSI C(iSNSServer) (C(<server> [AccessControl [No]]), empty to
        disable), C(isns_entity_name), C(link_local) and C(internal_portal) (numeric IPv4 or IPv6
        addresses separated by blanks, empty to clear).
    type: dict
seealso:
  - module: scst.iscsi.scst_chap
"""

EXAMPLES = r"""
- name: Accept iSCSI connections
  scst.iscsi.scst_driver:
    enabled: true

- name: Register with an iSNS server
  scst.iscsi.scst_driver:
    attributes:
      iSNSServer: 192.168.77.1 AccessControl
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
      sample: targets/iscsi/enabled
    write:
      description: What was written.
      type: str
      sample: "1"
    what:
      description: The change in words.
      type: str
      sample: enable driver iscsi
diff:
  description: The driver settings before and after, in diff mode.
  returned: when diff mode is on
  type: dict
"""

from ansible_collections.scst.iscsi.plugins.module_utils.scst.driver import DriverRequest, plan_driver
from ansible_collections.scst.iscsi.plugins.module_utils.scst.runner import run_planning_module


OPTIONS = dict(
    driver=dict(type="str", default="iscsi"),
    enabled=dict(type="bool"),
    attributes=dict(type="dict"),
)


def main():
    run_planning_module(OPTIONS, DriverRequest, plan_driver)


if __name__ == "__main__":
    main()
