# Copyright: scst.iscsi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""scst.iscsi.iscsi_info: what it reports, and that no secret is in it."""

from __future__ import annotations

import functools

from iscsi_unit_support import NODE_LIST, NO_RECORDS, NO_SESSIONS, TARGET, assert_no_secret, fixture_text

from ansible_collections.scst.iscsi.plugins.module_utils.iscsi import devices as devices_utils
from ansible_collections.scst.iscsi.plugins.module_utils.iscsi import initiator as initiator_utils
from ansible_collections.scst.iscsi.plugins.modules import iscsi_info


def setup(monkeypatch, tmp_path, dev_tree, text="InitiatorName=iqn.2026-11.test.lab:initiator\n"):
    name_file = tmp_path / "initiatorname.iscsi"
    name_file.write_text(text)
    monkeypatch.setattr(iscsi_info, "Initiator", functools.partial(initiator_utils.Initiator,
                                                                   initiator_file=str(name_file)))
    monkeypatch.setattr(iscsi_info, "DeviceResolver", functools.partial(
        devices_utils.DeviceResolver, dev_root=dev_tree.root, sys_root=dev_tree.sys_root))


def test_reports_initiator_nodes_sessions_devices_without_secrets(
        run_module, iscsiadm_fake, monkeypatch, tmp_path, dev_tree):
    setup(monkeypatch, tmp_path, dev_tree)
    dev_tree.add("sda", "ip-192.168.77.10:3260-iscsi-iqn.2026-11.test.lab:tgt1-lun-0")
    iscsiadm_fake.on("-m", "session", "-P", "3", out=fixture_text("session_p3_three_luns.txt"))
    iscsiadm_fake.on("-m", "node", out=NODE_LIST)
    iscsiadm_fake.on("-m", "node", "-T", TARGET, "-p", "192.168.77.10:3260", "-o", "show",
                     out=fixture_text("node_record_chap_masked.txt"))
    iscsiadm_fake.on("-m", "node", "-T", TARGET, "-p", "10.0.2.15:3260", "-o", "show",
                     out=fixture_text("node_record_new.txt"))
    iscsiadm_fake.on("--version", out="iscsiadm version 2.1.8\n")
    iscsiadm_fake.on("-m", "discoverydb", out="192.168.77.10:3260 via sendtargets\n")
    result, failed = run_module(iscsi_info, {"node_settings": True})
    assert not failed, result
    assert result["changed"] is False
    assert iscsiadm_fake.writes() == []
    assert result["initiator"] == {"name": "iqn.2026-11.test.lab:initiator", "alias": None}
    assert result["version"] == "2.1.8"
    assert result["discovery"][0]["type"] == "sendtargets"
    nodes = {node["portal"]: node for node in result["nodes"]}
    lab = nodes["192.168.77.10:3260"]
    assert (lab["startup"], lab["authmethod"], lab["chap_username"], lab["chap_password_set"],
            lab["chap_password_in_set"], lab["logged_in"]) == ("automatic", "CHAP", "labuser", True, False, True)
    assert lab["settings"]["node.session.auth.password"] == "********"
    other = nodes["10.0.2.15:3260"]
    assert (other["startup"], other["chap_password_set"], other["logged_in"]) == ("manual", False, False)
    assert result["sessions"][0]["devices"][0]["by_path"] == [
        dev_tree.root + "/disk/by-path/ip-192.168.77.10:3260-iscsi-iqn.2026-11.test.lab:tgt1-lun-0"]
    assert all("-S" not in call for call in iscsiadm_fake.calls)
    assert_no_secret(result, "secret12chars")


def test_empty_initiator(run_module, iscsiadm_fake, monkeypatch, tmp_path, dev_tree):
    setup(monkeypatch, tmp_path, dev_tree, text="GenerateName=yes\n")
    iscsiadm_fake.on("-m", "session", "-P", "3", rc=21, err=NO_SESSIONS)
    iscsiadm_fake.on("-m", "node", rc=21, err=NO_RECORDS)
    iscsiadm_fake.on("--version", out="iscsiadm version 2.1.8\n")
    iscsiadm_fake.on("-m", "discoverydb", rc=21, err=NO_RECORDS)
    result, failed = run_module(iscsi_info, {})
    assert not failed, result
    assert result["initiator"]["name"] is None
    assert result["nodes"] == [] and result["sessions"] == [] and result["discovery"] == []
