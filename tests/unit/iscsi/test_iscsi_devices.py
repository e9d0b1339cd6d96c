# Copyright: scst.iscsi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Decisions of scst.iscsi.iscsi_devices: bounded waits, by-path names, rescan changed-ness."""

from __future__ import annotations

import functools

import pytest

from iscsi_unit_support import NO_SESSIONS, TARGET, fixture_text

from ansible_collections.scst.iscsi.plugins.module_utils.iscsi import devices as devices_utils
from ansible_collections.scst.iscsi.plugins.modules import iscsi_devices

SESSION_SID3 = "tcp: [3] 192.168.77.10:3260,1 iqn.2026-11.test.lab:tgt1 (non-flash)\n"
TREE = ("-m", "session", "-P", "3")
LINK = "ip-192.168.77.10:3260-iscsi-iqn.2026-11.test.lab:tgt1-lun-{0}"


class FakeClock:
    """Time that moves only when the code sleeps."""

    def __init__(self):
        self.now = 1000.0
        self.slept = []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        assert seconds > 0
        self.slept.append(seconds)
        self.now += seconds


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
def three_disks(dev_tree):
    for lun, name in enumerate(("sda", "sdb", "sdc")):
        dev_tree.add(name, LINK.format(lun))
    return dev_tree


def test_waits_until_luns_appear_then_returns_both_names(run_module, iscsiadm_fake, clock, three_disks):
    iscsiadm_fake.on("-m", "session", out=SESSION_SID3)
    iscsiadm_fake.on(*TREE, out=fixture_text("session_p3_no_luns_yet.txt"))
    iscsiadm_fake.on(*TREE, out=fixture_text("session_p3_partial.txt"))
    iscsiadm_fake.on(*TREE, out=fixture_text("session_p3_three_luns.txt"))
    result, failed = run_module(iscsi_devices, {"target": TARGET, "portal": "192.168.77.10", "wait_timeout": 30})
    assert not failed, result
    assert result["changed"] is False
    assert [(d["lun"], d["name"], d["path"]) for d in result["devices"]] == [
        (0, "sda", three_disks.root + "/sda"), (1, "sdb", three_disks.root + "/sdb"),
        (2, "sdc", three_disks.root + "/sdc")]
    assert result["devices"][0]["by_path"] == [three_disks.root + "/disk/by-path/" + LINK.format(0)]
    assert result["devices"][0]["sid"] == 3 and result["devices"][0]["portal"] == "192.168.77.10:3260"
    assert len(clock.slept) == 2
    assert iscsiadm_fake.writes() == []


def test_wait_is_bounded_and_says_what_is_missing(run_module, iscsiadm_fake, clock, dev_tree):
    dev_tree.add("sda", LINK.format(0))
    dev_tree.add("sdb")  # node exists, udev has not made the link yet
    iscsiadm_fake.on("-m", "session", out=SESSION_SID3)
    iscsiadm_fake.on(*TREE, out=fixture_text("session_p3_three_luns.txt"))
    result, failed = run_module(iscsi_devices, {"target": TARGET, "wait_timeout": 5})
    assert failed
    assert result["msg"].startswith("devices did not appear within 5 s: iqn.2026-11.test.lab:tgt1 at "
                                    "192.168.77.10:3260 (sid 3): ")
    assert "LUN 1 (sdb): no /dev/disk/by-path link" in result["msg"]
    assert "LUN 2 (sdc): no /dev node" in result["msg"]
    assert sum(clock.slept) <= 5


def test_requested_luns_are_waited_for(run_module, iscsiadm_fake, clock, three_disks):
    iscsiadm_fake.on("-m", "session", out=SESSION_SID3)
    iscsiadm_fake.on(*TREE, out=fixture_text("session_p3_three_luns.txt"))
    result, failed = run_module(iscsi_devices, {"target": TARGET, "luns": [0, 3], "wait_timeout": 2})
    assert failed
    assert "LUN 3: not reported by the target" in result["msg"]


def test_units_that_are_not_disks_do_not_hold_up_the_wait(run_module, iscsiadm_fake, clock, dev_tree):
    dev_tree.add("sda", LINK.format(0))
    dev_tree.scsi_type("6:0:0:0", 0)
    dev_tree.scsi_type("6:0:0:1", 13)  # enclosure services
    dev_tree.scsi_type("6:0:0:2", 12)  # storage array controller
    iscsiadm_fake.on("-m", "session", out=SESSION_SID3)
    iscsiadm_fake.on(*TREE, out=fixture_text("session_p3_partial.txt"))
    result, failed = run_module(iscsi_devices, {"target": TARGET})
    assert not failed, result
    assert [(d["lun"], d["name"], d["scsi_type"]) for d in result["devices"]] == [
        (0, "sda", 0), (1, None, 13), (2, None, 12)]
    assert clock.slept == []


def test_zero_luns_allowed_with_min_devices_0(run_module, iscsiadm_fake, clock, dev_tree):
    iscsiadm_fake.on("-m", "session", out=SESSION_SID3)
    iscsiadm_fake.on(*TREE, out=fixture_text("session_p3_no_luns_yet.txt"))
    result, failed = run_module(iscsi_devices, {"target": TARGET, "min_devices": 0})
    assert not failed, result
    assert result["devices"] == [] and clock.slept == []


def test_rescan_is_changed_only_when_new_disks_appear(run_module, iscsiadm_fake, clock, three_disks):
    iscsiadm_fake.on("-m", "session", out=SESSION_SID3)
    iscsiadm_fake.on(*TREE, out=fixture_text("session_p3_partial.txt"))
    iscsiadm_fake.on(*TREE, out=fixture_text("session_p3_three_luns.txt"))
    iscsiadm_fake.on("-m", "session", "-r", "3", "--rescan",
                     out="Rescanning session [sid: 3, target: iqn.2026-11.test.lab:tgt1, portal: 192.168.77.10,3260]\n")
    result, failed = run_module(iscsi_devices, {"target": TARGET, "rescan": True}, diff=True)
    assert not failed, result
    assert result["changed"] is True
    assert [d["name"] for d in result["new_devices"]] == ["sdb", "sdc"]
    assert iscsiadm_fake.writes() == [("-m", "session", "-r", "3", "--rescan")]
    assert len(result["diff"]["after"]["devices"]) == 3 and len(result["diff"]["before"]["devices"]) == 1


def test_rescan_without_new_disks_is_not_a_change(run_module, iscsiadm_fake, clock, three_disks):
    iscsiadm_fake.on("-m", "session", out=SESSION_SID3)
    iscsiadm_fake.on(*TREE, out=fixture_text("session_p3_three_luns.txt"))
    iscsiadm_fake.on("-m", "session", "-r", "3", "--rescan", out="Rescanning session [sid: 3, ...]\n")
    result, failed = run_module(iscsi_devices, {"target": TARGET, "rescan": True})
    assert not failed, result
    assert result["changed"] is False and result["new_devices"] == []


def test_rescan_does_not_run_in_check_mode(run_module, iscsiadm_fake, clock, three_disks):
    iscsiadm_fake.on("-m", "session", out=SESSION_SID3)
    iscsiadm_fake.on(*TREE, out=fixture_text("session_p3_three_luns.txt"))
    result, failed = run_module(iscsi_devices, {"target": TARGET, "rescan": True}, check_mode=True)
    assert not failed, result
    assert iscsiadm_fake.writes() == []
    assert result["changed"] is False
    assert any("not rescanned" in warning for warning in result["warnings"])


def test_no_session_for_the_target_is_an_error(run_module, iscsiadm_fake, clock):
    iscsiadm_fake.on("-m", "session", rc=21, err=NO_SESSIONS)
    result, failed = run_module(iscsi_devices, {"target": TARGET, "portal": "192.168.77.10"})
    assert failed
    assert result["msg"].startswith("no session to target {0} at portal 192.168.77.10:3260".format(TARGET))


def test_no_sessions_and_no_filter_is_empty(run_module, iscsiadm_fake, clock):
    iscsiadm_fake.on("-m", "session", rc=21, err=NO_SESSIONS)
    result, failed = run_module(iscsi_devices, {})
    assert not failed, result
    assert result == dict(result, changed=False, devices=[], sessions=0)


def test_only_sessions_of_the_selected_portal(run_module, iscsiadm_fake, clock, dev_tree):
    dev_tree.add("sdd", "ip-192.168.78.10:3260-iscsi-iqn.2026-11.test.lab:tgt2-lun-0")
    dev_tree.add("sde", "ip-192.168.78.10:3260-iscsi-iqn.2026-11.test.lab:tgt2-lun-1")
    iscsiadm_fake.on("-m", "session", out="tcp: [1] 192.168.77.10:3260,1 iqn.2026-11.test.lab:tgt1 (non-flash)\n"
                                          "tcp: [5] 192.168.78.10:3260,2 iqn.2026-11.test.lab:tgt2 (non-flash)\n")
    iscsiadm_fake.on(*TREE, out=fixture_text("session_p3_multi.txt"))
    result, failed = run_module(iscsi_devices, {"portal": "192.168.78.10"})
    assert not failed, result
    assert [(d["sid"], d["name"]) for d in result["devices"]] == [(5, "sdd"), (5, "sde")]
