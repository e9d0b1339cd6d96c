#!/usr/bin/python
# Copyright: scst.iscsi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: iscsi_rescan
short_description: Pick up LUNs that grew on the target - rescan iSCSI sessions and resize multipath maps
version_added: 0.2.0
description:
  - Rescans the sessions of a target (or every session) with C(iscsiadm -m session -r SID --rescan), so the
    kernel reads the new capacity of each disk, then runs C(multipathd resize map NAME) for each multipath
    map whose paths all grew.
  - The sessions of the other paths of those maps are rescanned too, since a map is resized only when all its
    paths agree on the new size.
  - Returns each LUN (a map, or a disk no map holds) with its size before and after; C(changed) when a size
    changed.
  - In check mode nothing is rescanned - the capacity of each path is read with SCSI READ CAPACITY
    (C(sg_readcap) of sg3-utils) and the sizes and C(changed) are predicted from it.
  - A LUN smaller than before, or a map whose paths report different sizes, is an error (in check mode too)
    and no map is resized - a target never shrinks a LUN in use, so an initiator that sees one has the wrong
    device or a broken target.
author:
  - scst.iscsi contributors (@scst-iscsi)
extends_documentation_fragment:
  - scst.iscsi.iscsi
  - scst.iscsi.iscsi.attributes
options:
  target:
    description:
      - Only sessions to this target. Without O(target) and O(portal), every session.
      - When O(target) or O(portal) is given and no session matches, the module fails.
    type: str
  portal:
    description:
      - Only sessions to this portal (address, may carry the port).
    type: str
  port:
    description:
      - Port of O(portal). Defaults to the port in O(portal), else 3260. A number, or plain decimal digits.
    type: raw
notes:
  - New LUNs a rescan finds are not reported here; M(scst.iscsi.iscsi_devices) with O(scst.iscsi.iscsi_devices#module:rescan)
    waits for and returns them.
  - Check mode needs C(sg_readcap) (package sg3-utils); it opens each path read-only.
  - Grow the file system on the map (or the disk) afterwards, for example with C(resize2fs).
seealso:
  - module: scst.iscsi.iscsi_devices
  - module: scst.iscsi.iscsi_multipath
"""

EXAMPLES = r"""
- name: Pick up the new size of the LUNs of a target
  scst.iscsi.iscsi_rescan:
    target: iqn.2026-11.test.lab:tgt1
  register: rescan

- name: Grow the ext4 file system of each LUN that grew
  ansible.builtin.command: resize2fs {{ item.mapper or '/dev/' ~ item.device }}
  loop: "{{ rescan.devices }}"
  when: item.size_after > item.size_before
  changed_when: true
"""

RETURN = r"""
devices:
  description: Each LUN of the selected sessions - a multipath map, or a disk that no map holds.
  returned: always
  type: list
  elements: dict
  contains:
    device:
      description: Kernel name - C(dm-N) for a map, C(sdX) for a disk.
      type: str
      sample: dm-0
    name:
      description: Map name; null for a disk.
      type: str
      sample: data0
    wwid:
      description: WWID of the LUN; null when the kernel has none.
      type: str
      sample: 2613863313635372d
    mapper:
      description: Device node of the map; null for a disk.
      type: str
      sample: /dev/mapper/data0
    paths:
      description: Kernel names of the paths.
      type: list
      elements: str
      sample: [sda, sdc]
    size_before:
      description: Size in bytes before the rescan.
      type: int
      sample: 1073741824
    size_after:
      description: Size in bytes after the rescan and resize (in check mode, as predicted).
      type: int
      sample: 2147483648
sessions:
  description: Session ids rescanned (in check mode, that would be rescanned).
  returned: always
  type: list
  elements: int
  sample: [3, 4]
"""

from ansible_collections.scst.iscsi.plugins.module_utils.common.module import CollectionModule

from ansible_collections.scst.iscsi.plugins.module_utils.iscsi.iscsiadm import (
    Iscsiadm,
    ansible_run_command,
    module_iscsiadm,
)
from ansible_collections.scst.iscsi.plugins.module_utils.iscsi.model import SessionSelection
from ansible_collections.scst.iscsi.plugins.module_utils.iscsi.multipath import Multipathd, MultipathSysfs
from ansible_collections.scst.iscsi.plugins.module_utils.iscsi.rescan import ReadCapacity, rescan_and_resize


def argument_spec():
    return dict(
        target=dict(type="str"),
        portal=dict(type="str"),
        port=dict(type="raw"),
    )


def run(*, iscsiadm: Iscsiadm, sysfs, multipathd, readcap, params: dict, check_mode: bool) -> tuple:
    """Returns ``(changed, result, notes)``."""
    notes = []
    select = SessionSelection.from_options(params, warnings=notes)
    tree = iscsiadm.session_tree()
    selected = select.require(tree)
    sid_of_disk = {device.name: session.sid for session in tree for device in session.devices if device.name}
    disks = [device.name for session in selected for device in session.devices if device.name]
    units = rescan_and_resize(iscsiadm=iscsiadm, sysfs=sysfs, multipathd=multipathd, readcap=readcap,
                              selected_sids=[session.sid for session in selected], disks=disks,
                              sid_of_disk=sid_of_disk, check_mode=check_mode)
    sids = sorted({session.sid for session in selected} |
                  {sid_of_disk[path] for unit in units for path in unit.paths if path in sid_of_disk})
    devices = [unit.dump() for unit in units]
    changed = any(unit.size_after != unit.size_before for unit in units)
    result = dict(devices=devices, sessions=sids, diff=dict(
        before={"sizes": {unit.device: unit.size_before for unit in units}},
        after={"sizes": {unit.device: unit.size_after for unit in units}}))
    return changed, result, notes


def main():
    module = CollectionModule(argument_spec=argument_spec(), supports_check_mode=True)
    iscsiadm = module_iscsiadm(module)
    run_command = ansible_run_command(module)
    multipathd_bin = module.get_bin_path("multipathd")
    readcap_bin = module.get_bin_path("sg_readcap")

    def rescan():
        changed, result, notes = run(
            iscsiadm=iscsiadm, sysfs=MultipathSysfs(),
            multipathd=Multipathd(run_command=run_command, binary=multipathd_bin) if multipathd_bin else None,
            readcap=ReadCapacity(run_command=run_command, binary=readcap_bin) if readcap_bin else None,
            params=module.params, check_mode=module.check_mode)
        for note in notes:
            module.warn(note)
        return dict(result, changed=changed)

    module.exit_with(rescan)


if __name__ == "__main__":
    main()
