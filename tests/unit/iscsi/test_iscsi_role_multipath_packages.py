# Copyright: scst.iscsi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The iscsi_initiator role installs, with multipath, what scst.iscsi.iscsi_rescan needs in
check mode: sg_readcap (sg3-utils), without which the module refuses to predict sizes."""

from __future__ import annotations

import re

import pytest
import yaml

from iscsi_unit_support import COLLECTION_ROOT

from ansible_collections.scst.iscsi.plugins.module_utils.iscsi.multipath import MultipathError, MultipathSysfs
from ansible_collections.scst.iscsi.plugins.module_utils.iscsi.rescan import rescan_and_resize

TASKS = COLLECTION_ROOT / "roles" / "iscsi_initiator" / "tasks"
# The package that holds sg_readcap, by the os_family the role keys its packages on.
SG3_UTILS = {"Debian": "sg3-utils", "RedHat": "sg3_utils"}


def multipath_packages() -> dict:
    tasks = yaml.safe_load((TASKS / "main.yml").read_text())
    imported = [task for task in tasks if task.get("ansible.builtin.import_tasks") == "multipath.yml"]
    assert len(imported) == 1
    install = yaml.safe_load((TASKS / "multipath.yml").read_text())[0]
    assert install["ansible.builtin.package"]["name"] == \
        "{{ __iscsi_initiator_multipath_os[ansible_facts.os_family].packages }}"
    return {family: entry["packages"] for family, entry in imported[0]["vars"]["__iscsi_initiator_multipath_os"].items()}


def test_the_package_the_module_asks_for_is_the_one_named_here(tmp_path):
    with pytest.raises(MultipathError) as refused:
        rescan_and_resize(iscsiadm=None, sysfs=MultipathSysfs(sys_root=str(tmp_path)), multipathd=None, readcap=None,
                          selected_sids=[], disks=[], sid_of_disk={}, check_mode=True)
    assert re.search(r"install (\S+)$", str(refused.value)).group(1) == SG3_UTILS["Debian"]


@pytest.mark.parametrize("family", sorted(SG3_UTILS))
def test_multipath_installs_sg3_utils(family):
    assert SG3_UTILS[family] in multipath_packages()[family]
