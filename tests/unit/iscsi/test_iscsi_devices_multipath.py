# Copyright: scst.iscsi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""scst.iscsi.iscsi_devices with dm-multipath: the map of each disk, its paths named by session,
the WWID, and the bounded wait for min_paths running paths."""

from __future__ import annotations

import functools

import pytest

from multipath_unit_support import (
    SESSIONS_TWO_PATHS,
    TARGET,
    TWO_PATHS,
    WWID_DATA,
    WWID_LOGS,
    SysBlock,
    session_tree,
)

from ansible_collections.scst.iscsi.plugins.module_utils.iscsi import devices as devices_utils
from ansible_collections.scst.iscsi.plugins.modules import iscsi_devices

TREE = ("-m", "session", "-P", "3")
LINKS = {"sda": "ip-192.168.77.10:3260-iscsi-{0}-lun-0", "sdb": "ip-192.168.77.10:3260-iscsi-{0}-lun-1",
         "sdc": "ip-192.168.78.10:3260-iscsi-{0}-lun-0", "sdd": "ip-192.168.78.10:3260-iscsi-{0}-lun-1"}


class FakeClock:
    def __init__(self):
        self.now = 1000.0
        self.slept = []
        self.changes = []  # what happens on the host during each sleep, in order

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.slept.append(seconds)
        self.now += seconds
        if self.changes:
            self.changes.pop(0)()


@pytest.fixture
def clock(monkeypatch, dev_tree):
    fake = FakeClock()
    monkeypatch.setattr(iscsi_devices, "DeviceResolver",
                        functools.partial(devices_utils.DeviceResolver, dev_root=dev_tree.root,
                                          sys_root=dev_tree.sys_root))
    monkeypatch.setattr(iscsi_devices, "DeviceWaiter",
                        functools.partial(devices_utils.DeviceWaiter, clock=fake, sleep=fake.sleep))
    return fake


@pytest.fixture
def two_paths(dev_tree, iscsiadm_fake):
    """Four disks (two LUNs over two paths) with by-path links; maps are added by each test."""
    for name, link in LINKS.items():
        dev_tree.add(name, link.format(TARGET))
    block = SysBlock(dev_tree.sys_root)
    for name, wwid in (("sda", "eui.613863313635372D"), ("sdc", "eui.613863313635372D"),
                       ("sdb", "eui.6238666462643332"), ("sdd", "eui.6238666462643332")):
        block.disk(name, size=1024 ** 3, kernel_wwid=wwid)
    iscsiadm_fake.on("-m", "session", out=SESSIONS_TWO_PATHS)
    return block


def test_each_disk_reports_its_map_and_every_path_by_session(run_module, iscsiadm_fake, clock, two_paths):
    two_paths.map("dm-0", name="data0", wwid=WWID_DATA, paths=["sda", "sdc"])
    two_paths.set_state("sdc", "transport-offline")
    iscsiadm_fake.on(*TREE, out=session_tree(TWO_PATHS))
    result, failed = run_module(iscsi_devices, {"target": TARGET, "portal": "192.168.77.10"})
    assert not failed, result
    lun0, lun1 = result["devices"]
    assert (lun0["name"], lun0["wwid"]) == ("sda", WWID_DATA)
    assert lun0["multipath"] == {
        "name": "data0", "dm": "dm-0", "mapper": "/dev/mapper/data0", "size_bytes": 1024 ** 3,
        "paths": [{"device": "sda", "state": "running", "target": TARGET, "portal": "192.168.77.10:3260",
                   "iface": "path0"},
                  {"device": "sdc", "state": "transport-offline", "target": TARGET, "portal": "192.168.78.10:3260",
                   "iface": "path1"}]}
    # no map holds LUN 1: the WWID comes from the kernel's reading, in multipath's form
    assert (lun1["name"], lun1["wwid"], lun1["multipath"]) == ("sdb", WWID_LOGS, None)
    # today's keys are all still there
    assert {"target", "portal", "sid", "lun", "hctl", "name", "path", "by_path", "state",
            "scsi_type"} <= set(lun0)


def test_min_paths_waits_for_the_map_and_its_paths(run_module, iscsiadm_fake, clock, two_paths):
    two_paths.set_state("sdd", "blocked")
    iscsiadm_fake.on(*TREE, out=session_tree(TWO_PATHS))
    # multipathd makes the maps during the first sleep; the blocked path comes back during the second
    clock.changes = [
        lambda: (two_paths.map("dm-0", name="data0", wwid=WWID_DATA, paths=["sda", "sdc"]),
                 two_paths.map("dm-1", name=WWID_LOGS, wwid=WWID_LOGS, paths=["sdb", "sdd"])),
        lambda: two_paths.set_state("sdd", "running"),
    ]
    result, failed = run_module(iscsi_devices, {"target": TARGET, "min_paths": 2, "wait_timeout": 30})
    assert not failed, result
    assert len(clock.slept) == 2 and clock.changes == []
    assert [(d["name"], d["multipath"]["name"]) for d in result["devices"]] == [
        ("sda", "data0"), ("sdb", WWID_LOGS), ("sdc", "data0"), ("sdd", WWID_LOGS)]
    assert all(path["state"] == "running" for d in result["devices"] for path in d["multipath"]["paths"])


def test_min_paths_timeout_lists_each_lun_with_its_paths(run_module, iscsiadm_fake, clock, two_paths):
    two_paths.map("dm-0", name="data0", wwid=WWID_DATA, paths=["sda", "sdc"])
    two_paths.set_state("sdc", "offline")
    iscsiadm_fake.on(*TREE, out=session_tree(TWO_PATHS))
    result, failed = run_module(iscsi_devices, {"target": TARGET, "portal": "192.168.77.10", "min_paths": 2,
                                                "wait_timeout": 5})
    assert failed
    assert result["msg"] == (
        "devices did not appear within 5 s: iqn.2026-11.test.lab:tgt1 at 192.168.77.10:3260 (sid 3): "
        "LUN 0 (sda): 1 of 2 paths running (map data0: sda running, sdc offline), "
        "LUN 1 (sdb): 1 of 2 paths running (no multipath map: sdb running)")
    assert sum(clock.slept) <= 5


def test_min_paths_one_is_met_by_a_disk_without_a_map(run_module, iscsiadm_fake, clock, two_paths):
    iscsiadm_fake.on(*TREE, out=session_tree(TWO_PATHS))
    result, failed = run_module(iscsi_devices, {"target": TARGET, "min_paths": 1})
    assert not failed, result
    assert clock.slept == [] and [d["multipath"] for d in result["devices"]] == [None] * 4


def test_min_paths_is_checked_even_without_a_wait(run_module, iscsiadm_fake, clock, two_paths):
    iscsiadm_fake.on(*TREE, out=session_tree(TWO_PATHS))
    result, failed = run_module(iscsi_devices, {"target": TARGET, "min_paths": 2, "wait_timeout": 0})
    assert failed and "0 s" in result["msg"] and "1 of 2 paths running" in result["msg"]


def test_negative_min_paths_is_refused(run_module, iscsiadm_fake, clock):
    result, failed = run_module(iscsi_devices, {"target": TARGET, "min_paths": -1})
    assert failed and result["msg"].startswith("min_paths: must not be negative")
    assert iscsiadm_fake.calls == []


@pytest.mark.parametrize("kernel, expected", [
    ("naa.6001405C1E5D0A4B4F2B8E9A0C1D2E3F", "36001405c1e5d0a4b4f2b8e9a0c1d2e3f"),
    ("eui.613863313635372D", "2613863313635372d"),
    ("t10.SCST_BIO a8c1657-blk1   ", "1SCST_BIO_a8c1657-blk1"),
    ("iqn.2026-11.test.lab:tgt1,t,0x1", None),
    ("naa.60/01", None),
])
def test_kernel_wwid_in_multipath_form(kernel, expected):
    from ansible_collections.scst.iscsi.plugins.module_utils.iscsi.multipath import multipath_wwid
    assert multipath_wwid(kernel) == expected
