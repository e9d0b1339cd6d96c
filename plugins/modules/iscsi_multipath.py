#!/usr/bin/python
# Copyright: scst.iscsi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: iscsi_multipath
short_description: Write the dm-multipath configuration for SCST targets and return the multipath maps
version_added: 0.2.0
description:
  - Writes one file of the multipath-tools configuration directory (O(path)) with a C(devices) entry for
    SCST's disks, an optional allow-list of WWIDs and optional aliases, atomically, and runs
    C(multipathd reconfigure) when the file changed.
  - The device entry matches SCST's vdisk handlers (vendor C(SCST_FIO) or C(SCST_BIO), any product) and sets
    C(path_grouping_policy group_by_prio), C(prio alua), C(hardware_handler "1 alua"), C(path_checker tur),
    C(failback immediate) and O(no_path_retry). These are the settings multipath-tools' own table gives
    Linux's LIO target.
  - Every alias and WWID is checked before anything is written - a WWID or alias listed twice, an alias that
    is another map's WWID, characters device-mapper or the file cannot hold - and the error names the
    option.
  - Returns the multipath maps the kernel has (from sysfs).
author:
  - scst.iscsi contributors (@scst-iscsi)
extends_documentation_fragment:
  - scst.iscsi.iscsi.attributes
options:
  path:
    description:
      - The file the module owns. It must end in C(.conf) - multipath-tools reads only those.
      - multipath-tools 0.9 reads C(/etc/multipath.conf) when it exists, then every C(*.conf) file of
        C(/etc/multipath/conf.d) in name order; the directory is built in (the C(config_dir) option is
        ignored since 0.9.0). Device entries of later files win over earlier ones and over
        C(/etc/multipath.conf).
    type: path
    default: /etc/multipath/conf.d/scst-iscsi.conf
  state:
    description:
      - V(absent) removes the file (and reconfigures multipathd when it was there).
    type: str
    choices: [present, absent]
    default: present
  no_path_retry:
    description:
      - What dm-multipath does when every path of a map is down - a number of path checker intervals
        (C(polling_interval), 5 s by default) to queue I/O before failing it, V(queue) to queue until a
        path returns, V(fail) to fail at once.
      - A number, or a string of plain decimal digits.
    type: raw
    default: 12
  wwids:
    description:
      - An allow-list - when not empty only these WWIDs become maps (C(blacklist) of every WWID, and these
        in C(blacklist_exceptions)). This applies to every multipath device of the host, not only SCST's.
      - "A WWID as C(multipath -ll) or the C(wwid) of M(scst.iscsi.iscsi_devices) shows it, for example
        C(36001405c1e5d0a4b4f2b8e9a0c1d2e3f) - ASCII letters, digits and C(_ . : , + = @ -), at most 127 bytes."
    type: list
    elements: str
    default: []
  aliases:
    description:
      - Names of maps - C(/dev/mapper/ALIAS) instead of C(/dev/mapper/WWID).
      - "An alias starts with a letter or digit and holds ASCII letters, digits and C(_ . : + = @ -), at most
        127 bytes; each WWID and each alias at most once; with O(wwids), every WWID here must be in it."
    type: list
    elements: dict
    default: []
    suboptions:
      wwid:
        description: WWID of the map.
        type: str
        required: true
      alias:
        description: Name of the map.
        type: str
        required: true
  find_multipaths:
    description:
      - Writes C(find_multipaths) into the C(defaults) section, for every device of the host. Not written
        when not given.
      - The built-in default of multipath-tools 0.9 is V(strict) - a new LUN becomes a map only once its WWID is
        in C(/etc/multipath/wwids) - so SCST LUNs need V(yes) (a map as soon as two paths have the same
        WWID), V(smart) or V(greedy) to become maps by themselves.
    type: str
    choices: [strict, "no", "yes", greedy, smart]
  reconfigure:
    description:
      - Run C(multipathd reconfigure) when the file changed. multipathd applies it in the background, a moment
        after the module returns.
    type: bool
    default: true
notes:
  - Needs multipath-tools (C(multipathd)) to take effect; without it the file is written and a warning says so.
  - I(hardware_handler) and I(prio) fall back on their own for a LUN whose target does not report ALUA
    (TPGS=0) - multipath-tools then uses no handler and the C(const) prioritizer.
seealso:
  - module: scst.iscsi.iscsi_devices
  - module: scst.iscsi.iscsi_rescan
"""

EXAMPLES = r"""
- name: dm-multipath for SCST LUNs, maps made as soon as two paths agree
  scst.iscsi.iscsi_multipath:
    find_multipaths: "yes"
    no_path_retry: 12

- name: Only two LUNs become maps, with names
  scst.iscsi.iscsi_multipath:
    find_multipaths: greedy
    wwids:
      - 2613863313635372d
      - 26238666462643332
    aliases:
      - {wwid: 2613863313635372d, alias: data0}
      - {wwid: 26238666462643332, alias: logs0}
  register: multipath

- name: Show the maps
  ansible.builtin.debug:
    msg: "{{ multipath.maps | map(attribute='mapper') }}"
"""

RETURN = r"""
path:
  description: The file.
  returned: always
  type: str
  sample: /etc/multipath/conf.d/scst-iscsi.conf
content:
  description: The file's text after the run (null when absent); in check mode, what it would be.
  returned: always
  type: str
actions:
  description: What the run did (in check mode, would do), in order.
  returned: always
  type: list
  elements: str
  sample: ["write /etc/multipath/conf.d/scst-iscsi.conf", "multipathd reconfigure"]
maps:
  description: The multipath maps of the host when the module returns, from sysfs.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: Map name (alias, or WWID).
      type: str
      sample: data0
    wwid:
      description: WWID of the LUN.
      type: str
      sample: 2613863313635372d
    dm:
      description: Kernel name of the map.
      type: str
      sample: dm-0
    mapper:
      description: Device node of the map.
      type: str
      sample: /dev/mapper/data0
    size_bytes:
      description: Size of the map.
      type: int
      sample: 2147483648
    paths:
      description: Kernel names of the path devices.
      type: list
      elements: str
      sample: [sda, sdd]
"""

from ansible_collections.scst.iscsi.plugins.module_utils.common.module import CollectionModule

from ansible_collections.scst.iscsi.plugins.module_utils.iscsi.iscsiadm import ansible_run_command
from ansible_collections.scst.iscsi.plugins.module_utils.iscsi.multipath import (
    Multipathd,
    MultipathSysfs,
    apply_config,
    check_request,
    module_options,
    plan_config,
)


def make_plan(request: dict):
    plan = plan_config(path=request["path"], state=request["state"], config=request["config"])
    if not request["reconfigure"]:
        plan.steps = [step for step in plan.steps if step.action != "reconfigure"]
    return plan


def diff(plan, result: dict) -> dict:
    """The file before and after, in every mode."""
    return dict(before=plan.before["content"] or "", after=plan.after["content"] or "",
                before_header=result["path"], after_header=result["path"])


def main():
    module = CollectionModule(argument_spec=module_options(), supports_check_mode=True)
    binary = module.get_bin_path("multipathd")
    multipathd = Multipathd(binary=binary, run_command=ansible_run_command(module)) if binary else None
    sysfs = MultipathSysfs()

    def apply(request, plan):
        plan.warnings.extend(apply_config(plan, path=request["path"], text=plan.after["content"],
                                          multipathd=multipathd))

    def report(request, plan, _effect):
        return dict(path=request["path"], content=plan.after["content"], actions=plan.descriptions(),
                    maps=[found.dump() for found in sysfs.maps()])

    module.run_plan(check_request, make_plan, apply=apply, report=report, diff=diff, always_diff=True)


if __name__ == "__main__":
    main()
