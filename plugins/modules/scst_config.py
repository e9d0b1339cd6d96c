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
      - The desired configuration.
      - C(handlers) - per handler (C(vdisk_fileio), C(vdisk_blockio), C(vdisk_nullio), C(vcdrom),
        C(dev_disk), ...) a C(devices) mapping of device name to C(filename) and C(attributes)
        (as for M(scst.iscsi.scst_device)).
      - C(drivers) - per target driver (normally C(iscsi)) C(enabled), C(attributes), discovery
        C(chap) (C(incoming) and C(outgoing) lists of C(username)/C(password)) and C(targets);
        per target C(enabled), C(attributes), C(allowed_portals), C(chap), C(luns) (a mapping of
        LUN number to C(device) and C(read_only)) and C(groups) (per group C(initiators),
        C(luns), C(attributes)).
      - A C(chap) key that is present makes its lists exact for that target or for discovery
        (other users are removed); without it, accounts are left alone unless O(purge=true).
    type: dict
    required: true
  purge:
    description:
      - Remove what the configuration does not mention - devices, targets of the drivers it
        lists, LUNs, groups, initiators and CHAP accounts of the targets it lists.
    type: bool
    default: false
  force:
    description:
      - Allow deletions and re-creations that affect logged-in initiators (their sessions are
        closed where SCST requires it), and changes of the LUNs they see (an initiator added to or
        moved between groups, a LUN deleted or replaced).
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
"""

from ansible_collections.scst.iscsi.plugins.module_utils.scst.config import ConfigRequest, plan_config
from ansible_collections.scst.iscsi.plugins.module_utils.scst.errors import ScstError
from ansible_collections.scst.iscsi.plugins.module_utils.scst.info import read_configuration
from ansible_collections.scst.iscsi.plugins.module_utils.scst.persist import persist
from ansible_collections.scst.iscsi.plugins.module_utils.scst.predict import predict_configuration
from ansible_collections.scst.iscsi.plugins.module_utils.scst.runner import run_planner, scst_module


OPTIONS = dict(
    config=dict(type="dict", required=True),
    purge=dict(type="bool", default=False),
    force=dict(type="bool", default=False),
    recreate=dict(type="bool", default=False),
    persist=dict(type="bool", default=True),
    config_file=dict(type="path", default="/etc/scst.conf"),
)


def make_planner(p, check_mode):
    request = ConfigRequest(p["config"], purge=p["purge"], force=p["force"], recreate=p["recreate"])

    return lambda live: plan_config(live, request, check_mode=check_mode)


def make_after(p, check_mode):
    """Persistence, still under the host lock, once the plan is applied."""
    def save(live, outcome):
        if not p["persist"]:
            return {"persisted": False}, False
        written = persist(live, p["config_file"], check_mode=check_mode,
                          pending_changes=bool(outcome.plan))
        return {"persisted": written, "config_file": p["config_file"]}, written
    return save


def main():
    module = scst_module(OPTIONS)
    try:
        # the diff: the whole configuration read before, and after that the
        # plan replayed on it (the same in check mode and in a real run)
        result = run_planner(module, make_planner, make_after=make_after, describe=read_configuration,
                             predict=predict_configuration)
    except ScstError as exc:
        module.fail_json(msg=str(exc), **exc.details)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
