#!/usr/bin/python
# Copyright: scst.iscsi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: iscsi_devices
short_description: Wait for the disks of iSCSI sessions, rescan sessions, and return the device names
version_added: 0.1.0
description:
  - Waits, for a bounded time, until the disks (LUNs) of the selected sessions have a C(/dev/sdX) node and a
    C(/dev/disk/by-path) link, running C(udevadm settle) between looks, and returns both names per LUN.
  - With O(rescan), rescans the sessions first (C(iscsiadm -m session -r SID --rescan)) and reports
    C(changed) only when new disks appeared. In check mode no rescan runs.
  - For each disk held by a dm-multipath map, returns the map (name, C(/dev/mapper) node, size and paths with
    their state and session) and the map's WWID; O(min_paths) waits until each LUN has that many paths
    running.
  - Reads only, unless O(rescan) is set.
author:
  - scst.iscsi contributors (@scst-iscsi)
extends_documentation_fragment:
  - scst.iscsi.iscsi
  - scst.iscsi.iscsi.attributes
options:
  target:
    description:
      - Only sessions to this target. Without O(target) and O(portal), every session.
      - The name rules of M(scst.iscsi.iscsi_node) apply; a name not in RFC 3720 form gets a warning.
      - When O(target) or O(portal) is given and no session matches, the module fails.
    type: str
  portal:
    description:
      - Only sessions to this portal (address, may carry the port).
    type: str
  port:
    description:
      - Port of O(portal). Defaults to the port in O(portal), else 3260.
      - A number, or a string of plain decimal digits; C("010"), C("+1"), C("1e3"), fractions and booleans
        are refused.
    type: raw
  wait_timeout:
    description:
      - Seconds to wait for the disks. V(0) looks once and does not wait.
      - When the time runs out the module fails and lists, per session, what is missing.
    type: int
    default: 30
  min_devices:
    description:
      - Wait until each selected session has at least this many disks ready. Set V(0) for targets that may
        export no LUN.
    type: int
    default: 1
  luns:
    description:
      - Wait until each selected session has a ready disk for each of these LUN numbers.
    type: list
    elements: int
  rescan:
    description:
      - Rescan the selected sessions for new LUNs before waiting. C(changed) is true only when new disks
        appeared.
    type: bool
    default: false
  min_paths:
    description:
      - Wait until each disk of the selected sessions has at least this many paths in SCSI state C(running)
        (C(/sys/block/sdX/device/state)), counting the paths of the dm-multipath map that holds it; a disk no
        map holds is one path. V(2) or more therefore also waits for multipathd to make the map.
      - When the time runs out the module fails and lists each LUN with its paths and their states.
      - V(0) does not wait for paths.
    type: int
    default: 0
notes:
  - A disk is ready when iscsiadm reports it attached, its C(/dev) node exists and a C(/dev/disk/by-path)
    link points at it. A logical unit that the scan listed but that has no block device yet holds up the
    wait, unless sysfs says it is of a type that never gets one (an enclosure or array controller, for
    example); those are returned with a null name.
seealso:
  - module: scst.iscsi.iscsi_node
  - module: scst.iscsi.iscsi_info
"""

EXAMPLES = r"""
- name: Wait up to 60 s for the three LUNs of a fresh session
  scst.iscsi.iscsi_devices:
    target: iqn.2026-11.test.lab:tgt1
    portal: 192.168.77.10
    luns: [0, 1, 2]
    wait_timeout: 60
  register: lab

- name: Make a file system on LUN 1, by its stable path
  community.general.filesystem:
    dev: "{{ (lab.devices | selectattr('lun', 'equalto', 1) | first).by_path[0] }}"
    fstype: ext4

- name: Pick up LUNs added on the target since login
  scst.iscsi.iscsi_devices:
    target: iqn.2026-11.test.lab:tgt1
    rescan: true
  register: rescanned

- name: Show what the rescan found
  ansible.builtin.debug:
    var: rescanned.new_devices
"""

RETURN = r"""
devices:
  description: Disks and other logical units of the selected sessions, one entry per session and LUN.
  returned: always
  type: list
  elements: dict
  contains:
    target:
      description: iSCSI name of the target.
      type: str
      sample: iqn.2026-11.test.lab:tgt1
    portal:
      description: Portal of the session.
      type: str
      sample: 192.168.77.10:3260
    sid:
      description: Session id.
      type: int
      sample: 3
    lun:
      description: LUN number.
      type: int
      sample: 0
    hctl:
      description: SCSI address host:channel:id:lun.
      type: str
      sample: "6:0:0:0"
    name:
      description: Kernel name of the disk; null for a logical unit without a block device.
      type: str
      sample: sda
    path:
      description: Device node of the disk.
      type: str
      sample: /dev/sda
    by_path:
      description: C(/dev/disk/by-path) links of the disk.
      type: list
      elements: str
      sample:
        - /dev/disk/by-path/ip-192.168.77.10:3260-iscsi-iqn.2026-11.test.lab:tgt1-lun-0
    state:
      description: SCSI device state.
      type: str
      sample: running
    scsi_type:
      description: SCSI peripheral device type from sysfs (0 is a disk); null when sysfs does not tell.
      type: int
      sample: 0
    wwid:
      description:
        - WWID of the LUN as multipath names it - the map's when a map holds the disk, else made from the
          identifier the kernel read (C(/sys/block/sdX/device/wwid)); null when there is none.
        - Use it in O(scst.iscsi.iscsi_multipath#module:wwids) and O(scst.iscsi.iscsi_multipath#module:aliases).
      type: str
      sample: 2613863313635372d
    multipath:
      description: The dm-multipath map that holds the disk; null when none does.
      type: dict
      contains:
        name:
          description: Map name (alias, or WWID).
          type: str
          sample: data0
        dm:
          description: Kernel name of the map.
          type: str
          sample: dm-0
        mapper:
          description: Device node of the map; use it rather than a path's C(/dev/sdX).
          type: str
          sample: /dev/mapper/data0
        size_bytes:
          description: Size of the map.
          type: int
          sample: 2147483648
        paths:
          description: Every path of the map, from any session.
          type: list
          elements: dict
          contains:
            device:
              description: Kernel name of the path.
              type: str
              sample: sdd
            state:
              description: SCSI device state (C(running), C(offline), C(blocked), C(transport-offline)).
              type: str
              sample: running
            target:
              description: Target of the path's session; null when the path is not an iSCSI session's.
              type: str
            portal:
              description: Portal of the path's session.
              type: str
            iface:
              description: open-iscsi iface of the path's session.
              type: str
new_devices:
  description: With O(rescan), the disks that appeared during this task. Same elements as RV(devices).
  returned: always
  type: list
  elements: dict
sessions:
  description: Number of sessions selected.
  returned: always
  type: int
  sample: 1
"""

from ansible_collections.scst.iscsi.plugins.module_utils.common.module import CollectionModule

from ansible_collections.scst.iscsi.plugins.module_utils.common.errors import ValidationError
from ansible_collections.scst.iscsi.plugins.module_utils.iscsi.devices import (
    DeviceResolver,
    DeviceWaiter,
    multipath_entry,
)
from ansible_collections.scst.iscsi.plugins.module_utils.iscsi.iscsiadm import C_LOCALE, Iscsiadm, module_iscsiadm
from ansible_collections.scst.iscsi.plugins.module_utils.iscsi.model import SessionSelection


def argument_spec():
    return dict(
        target=dict(type="str"),
        portal=dict(type="str"),
        port=dict(type="raw"),
        wait_timeout=dict(type="int", default=30),
        min_devices=dict(type="int", default=1),
        luns=dict(type="list", elements="int"),
        rescan=dict(type="bool", default=False),
        min_paths=dict(type="int", default=0),
    )


def flatten(snapshot, resolver) -> list:
    devices = []
    for session in snapshot.sessions:
        for device in session.devices:
            entry = dict(target=session.target, portal=str(session.portal), sid=session.sid)
            entry.update(device.dump())
            entry["wwid"], entry["multipath"] = multipath_entry(snapshot, resolver, device.name)
            devices.append(entry)
    return devices


def run(*, iscsiadm: Iscsiadm, waiter: DeviceWaiter, params: dict, check_mode: bool) -> tuple:
    """Returns ``(changed, result, notes)``."""
    notes = []
    select = SessionSelection.from_options(params, warnings=notes)
    for option in ("wait_timeout", "min_devices", "min_paths"):
        if params[option] < 0:
            raise ValidationError(option, "must not be negative", params[option])
    sessions = select.require(iscsiadm.list_sessions())
    if not sessions:
        return False, dict(devices=[], new_devices=[], sessions=0), notes

    before = flatten(waiter.snapshot(select), waiter.resolver) if params["rescan"] else []
    if params["rescan"]:
        if check_mode:
            notes.append("check mode: sessions were not rescanned")
        else:
            for session in sessions:
                iscsiadm.rescan_session(sid=session.sid)
    if params["wait_timeout"] > 0 or params["min_paths"] > 0:
        current = waiter.wait(select=select, timeout=params["wait_timeout"],
                              min_devices=params["min_devices"], luns=params["luns"],
                              min_paths=params["min_paths"])
    else:
        current = waiter.snapshot(select)
    devices = flatten(current, waiter.resolver)
    known = {(device["sid"], device["hctl"], device["name"]) for device in before}
    new_devices = [device for device in devices if params["rescan"] and device["name"]
                   and (device["sid"], device["hctl"], device["name"]) not in known]
    result = dict(devices=devices, new_devices=new_devices, sessions=len(current.sessions))
    if params["rescan"]:
        result["diff"] = {"before": {"devices": describe(before)}, "after": {"devices": describe(devices)}}
    return bool(new_devices), result, notes


def describe(devices: list) -> list:
    return ["{0} {1} lun {2}: {3}".format(device["portal"], device["target"], device["lun"], device["name"])
            for device in devices if device["name"]]


def main():
    module = CollectionModule(argument_spec=argument_spec(), supports_check_mode=True)
    iscsiadm = module_iscsiadm(module)
    udevadm = module.get_bin_path("udevadm")

    def settle(timeout):
        if udevadm:
            module.run_command([udevadm, "settle", "--timeout={0}".format(int(timeout))],
                               environ_update=dict(C_LOCALE))

    waiter = DeviceWaiter(iscsiadm=iscsiadm, resolver=DeviceResolver(), settle=settle)

    def wait():
        changed, result, notes = run(iscsiadm=iscsiadm, waiter=waiter, params=module.params,
                                     check_mode=module.check_mode)
        for note in notes:
            module.warn(note)
        diff = result.pop("diff", None)
        if module._diff and diff is not None:
            result["diff"] = diff
        return dict(result, changed=changed)

    module.exit_with(wait)


if __name__ == "__main__":
    main()
