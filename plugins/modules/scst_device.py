#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: scst.iscsi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: scst_device
short_description: Manage SCST devices (vdisk_fileio, vdisk_blockio, vdisk_nullio, vcdrom, pass-through)
version_added: 0.1.0
description:
  - Creates, changes and deletes one SCST device through C(/sys/kernel/scst_tgt).
  - Virtual devices are created with C(add_device) on their handler; pass-through devices
    (C(dev_disk), C(dev_tape), ...) are existing local SCSI devices named C(H:C:I:L) that are
    assigned to a pass-through handler.
  - Attributes SCST accepts only at creation (for example C(blocksize), C(read_only),
    C(nv_cache) in O(attributes)) can change only by re-creating the device. That is done only when
    O(recreate=true); the device's LUN mappings are read first and restored afterwards.
  - Changing the backing file of a fileio or blockio device deactivates it for a moment; like
    deletion and re-creation, it is refused while initiators are logged in to a LUN of the device,
    unless O(force=true).
  - Online resize. The size of a fileio or blockio device is that of its backing store. When the
    file or block device has grown (C(truncate), C(lvextend)), the module tells SCST with one write
    of the device's C(resync_size) and the device takes the new size while in use (initiators get
    a capacity-changed unit attention); no force is needed. A device is never shrunk in place.
author:
  - scst.iscsi maintainers (!UNKNOWN)
extends_documentation_fragment:
  - scst.iscsi.scst
  - scst.iscsi.scst.attributes
options:
  name:
    description:
      - Device name. Virtual devices have at most 64 bytes and no C(/), C(.), blanks, control
        characters, C(;), C(=), C("), C({) or C(}), and are not named C(mgmt), C(type) or
        C(trace_level) (files of the handler's directory).
      - For pass-through handlers, the SCSI address C(H:C:I:L) as shown by C(lsscsi).
    type: str
    required: true
  handler:
    description:
      - The SCST device handler.
    type: str
    required: true
    choices: [vdisk_fileio, vdisk_blockio, vdisk_nullio, vcdrom, dev_disk, dev_disk_perf, dev_cdrom,
              dev_changer, dev_modisk, dev_modisk_perf, dev_processor, dev_raid, dev_tape, dev_tape_perf]
  state:
    description:
      - V(present) creates or updates the device; V(absent) deletes it (SCST then drops every
        LUN that maps it) or, for pass-through devices, unassigns it from the handler.
    type: str
    choices: [present, absent]
    default: present
  filename:
    description:
      - Backing file or block device (absolute path). Required for V(vdisk_fileio) and
        V(vdisk_blockio) when O(state=present).
      - For V(vcdrom), the medium image; an empty string ejects the medium.
    type: str
  attributes:
    description:
      - Device attributes, by their SCST names, for example C(blocksize), C(read_only),
        C(nv_cache), C(write_through), C(o_direct), C(thin_provisioned), C(rotational),
        C(removable), C(tst), C(dummy) (creation-time only), and C(active), C(async),
        C(bind_alua_state), C(t10_dev_id), C(t10_vend_id), C(prod_id), C(prod_rev_lvl),
        C(usn), C(naa_id), C(eui64_id), C(vend_specific_id), C(inq_vend_specific),
        C(scsi_device_name), C(numa_node_id), C(opt_trans_len), C(expl_alua), C(lb_per_pb_exp),
        C(read_zero), C(size_mb) (nullio), C(threads_num), C(threads_pool_type),
        C(max_tgt_dev_commands) (writable).
      - Booleans may be given as true/false or 0/1. Numbers are written in decimal.
      - Only the attributes listed here are managed; others keep their current value.
      - Each handler accepts only the attributes it has; others fail with the list of allowed names.
      - For V(vdisk_fileio) and V(vdisk_blockio), C(size) (bytes) or C(size_mb) (MiB) is the wanted
        size, checked and never written. It must fit in the backing store (grow the file or the
        logical volume first) and must not be below the device's current size, unless
        O(recreate=true), which re-creates the device at the size of its (shrunk) backing store.
    type: dict
  recreate:
    description:
      - Allow deleting and re-creating the device when a creation-time attribute or the handler
        differs. The device's LUN mappings are restored.
    type: bool
    default: false
  force:
    description:
      - Allow deletion, re-creation or a backing-file change while initiators are logged in to LUNs
        of the device. Their I/O fails until the device is back.
    type: bool
    default: false
seealso:
  - module: scst.iscsi.scst_lun
  - module: scst.iscsi.scst_info
"""

EXAMPLES = r"""
- name: A file-backed disk with a 4096-byte block size
  scst.iscsi.scst_device:
    name: disk1
    handler: vdisk_fileio
    filename: /srv/scst/disk1.img
    attributes:
      blocksize: 4096
      nv_cache: true

- name: A block device exported with write-through caching and a product id
  scst.iscsi.scst_device:
    name: db01
    handler: vdisk_blockio
    filename: /dev/vg0/db01
    attributes:
      write_through: true
      prod_id: DB01

- name: A 1 GiB null device as LUN 0 placeholder
  scst.iscsi.scst_device:
    name: lun0placeholder
    handler: vdisk_nullio
    attributes:
      size_mb: 1024
      dummy: true

- name: Change the block size, re-creating the device and restoring its LUNs
  scst.iscsi.scst_device:
    name: disk1
    handler: vdisk_fileio
    filename: /srv/scst/disk1.img
    attributes:
      blocksize: 512
    recreate: true

- name: Grow a file-backed disk in use after the file was extended to 200 GiB
  scst.iscsi.scst_device:
    name: disk1
    handler: vdisk_fileio
    filename: /srv/scst/disk1.img
    attributes:
      size_mb: 204800

- name: Export a local tape drive through pass-through
  scst.iscsi.scst_device:
    name: "3:0:0:0"
    handler: dev_tape

- name: Delete a device (refused while initiators use it)
  scst.iscsi.scst_device:
    name: olddisk
    handler: vdisk_fileio
    state: absent
"""

RETURN = r"""
plan:
  description:
    - The management writes made, or in check mode the writes that would be made, in order.
  returned: always
  type: list
  elements: dict
  contains:
    path:
      description: File written, relative to the sysfs root.
      type: str
      sample: handlers/vdisk_fileio/mgmt
    write:
      description: What was written.
      type: str
      sample: add_device disk1 filename=/srv/scst/disk1.img;blocksize=4096
    what:
      description: The change in words.
      type: str
      sample: create vdisk_fileio device disk1
size:
  description:
    - The size of a vdisk_fileio or vdisk_blockio device that exists, in bytes, before and after the
      run (in check mode, after the writes a real run would make).
  returned: when the device is a fileio or blockio device that exists
  type: dict
  contains:
    before:
      description: Size in bytes before the run.
      type: int
      sample: 107374182400
    after:
      description: Size in bytes after the run.
      type: int
      sample: 214748364800
diff:
  description: The device before and after (managed attributes only), in diff mode.
  returned: when diff mode is on
  type: dict
"""

from ansible_collections.scst.iscsi.plugins.module_utils.scst.device import DeviceRequest, plan_device
from ansible_collections.scst.iscsi.plugins.module_utils.scst.runner import run_planning_module


OPTIONS = dict(
    name=dict(type="str", required=True),
    handler=dict(type="str", required=True, choices=[
        "vdisk_fileio", "vdisk_blockio", "vdisk_nullio", "vcdrom", "dev_disk", "dev_disk_perf",
        "dev_cdrom", "dev_changer", "dev_modisk", "dev_modisk_perf", "dev_processor", "dev_raid",
        "dev_tape", "dev_tape_perf"]),
    state=dict(type="str", choices=["present", "absent"], default="present"),
    filename=dict(type="str"),
    attributes=dict(type="dict"),
    recreate=dict(type="bool", default=False),
    force=dict(type="bool", default=False),
)


def main():
    run_planning_module(OPTIONS, DeviceRequest, plan_device)


if __name__ == "__main__":
    main()
