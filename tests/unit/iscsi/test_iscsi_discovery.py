# Copyright: scst.iscsi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Decisions of scst.iscsi.iscsi_discovery, run through the module's main()."""

from __future__ import annotations

import pytest

from iscsi_unit_support import (
    DISCOVERY_OUT,
    NODE_LIST,
    NO_RECORDS,
    NO_SESSIONS,
    PORTAL,
    SESSION_ONE,
    TARGET,
    assert_no_secret,
    fixture_text,
)

from ansible_collections.scst.iscsi.plugins.modules import iscsi_discovery

DISC = ("-m", "discoverydb", "-t", "sendtargets", "-p", PORTAL)
SECRET = "disc-secret-12"  # the secret in discovery_record_st_chap.txt
ONLY_LAB_PORTAL = "192.168.77.10:3260,1 iqn.2026-11.test.lab:tgt1\n"
NOT_FOUND = "iscsiadm: Discovery record [192.168.77.10,3260] not found.\n"


def args(**extra):
    base = {"portal": "192.168.77.10"}
    base.update(extra)
    return base


def test_first_discovery_with_chap_creates_record_and_adds_only_new_nodes(run_module, iscsiadm_fake):
    iscsiadm_fake.on(*DISC, "-o", "show", "-S", rc=6, err=NOT_FOUND)
    iscsiadm_fake.on("-m", "node", out=ONLY_LAB_PORTAL)
    iscsiadm_fake.on("-m", "node", out=NODE_LIST)
    iscsiadm_fake.on(*DISC, "-o", "new", out="New discovery record for [192.168.77.10,3260] added.\n")
    iscsiadm_fake.on(*DISC, "-o", "update", "-n", "discovery.sendtargets.auth.authmethod", "-v", "CHAP")
    iscsiadm_fake.on(*DISC, "-o", "update", "-n", "discovery.sendtargets.auth.username", "-v", "discovery")
    iscsiadm_fake.on(*DISC, "-o", "update", "-n", "discovery.sendtargets.auth.password", "-v", SECRET)
    iscsiadm_fake.on(*DISC, "--discover", "-o", "new", out=DISCOVERY_OUT)
    iscsiadm_fake.on(*DISC, "-o", "show", out=fixture_text("discovery_record_st_chap_masked.txt"))
    result, failed = run_module(iscsi_discovery, args(chap_username="discovery", chap_password=SECRET), diff=True)
    assert not failed, result
    assert result["changed"] is True
    assert iscsiadm_fake.writes() == [
        DISC + ("-o", "new"),
        DISC + ("-o", "update", "-n", "discovery.sendtargets.auth.authmethod", "-v", "CHAP"),
        DISC + ("-o", "update", "-n", "discovery.sendtargets.auth.username", "-v", "discovery"),
        DISC + ("-o", "update", "-n", "discovery.sendtargets.auth.password", "-v", SECRET),
        DISC + ("--discover", "-o", "new"),
    ]
    assert [node["portal"] for node in result["targets"]] == ["192.168.77.10:3260", "10.0.2.15:3260"]
    assert [(node["target"], node["portal"]) for node in result["added"]] == [(TARGET, "10.0.2.15:3260")]
    assert result["record"]["discovery.sendtargets.auth.password"] == "********"
    assert result["diff"]["after"]["node_records_added"] == ["10.0.2.15:3260 " + TARGET]
    assert_no_secret(result, SECRET)


def test_rediscovery_keeps_existing_node_records(run_module, iscsiadm_fake):
    """The known fault: a bare discovery rewrites node.startup and CHAP from iscsid.conf.

    The module must discover with ``-o new`` through discoverydb (which keeps
    the stored discovery CHAP too), and must not touch the node records.
    """
    iscsiadm_fake.on(*DISC, "-o", "show", "-S", out=fixture_text("discovery_record_st.txt"))
    iscsiadm_fake.on("-m", "node", out=NODE_LIST)
    iscsiadm_fake.on(*DISC, "--discover", "-o", "new", out=DISCOVERY_OUT)
    iscsiadm_fake.on(*DISC, "-o", "show", out=fixture_text("discovery_record_st.txt"))
    result, failed = run_module(iscsi_discovery, args())
    assert not failed, result
    assert result["changed"] is False
    assert result["added"] == [] and result["removed"] == []
    discover_calls = [call for call in iscsiadm_fake.calls if "--discover" in call]
    assert discover_calls == [DISC + ("--discover", "-o", "new")]
    assert not any(call[:2] == ("-m", "discovery") for call in iscsiadm_fake.calls)
    assert not any(call[:2] == ("-m", "node") and len(call) > 2 for call in iscsiadm_fake.calls)


def test_unchanged_discovery_chap_is_not_rewritten(run_module, iscsiadm_fake):
    iscsiadm_fake.on(*DISC, "-o", "show", "-S", out=fixture_text("discovery_record_st_chap.txt"))
    iscsiadm_fake.on("-m", "node", out=NODE_LIST)
    iscsiadm_fake.on(*DISC, "--discover", "-o", "new", out=DISCOVERY_OUT)
    iscsiadm_fake.on(*DISC, "-o", "show", out=fixture_text("discovery_record_st_chap_masked.txt"))
    result, failed = run_module(iscsi_discovery, args(chap_username="discovery", chap_password=SECRET))
    assert not failed, result
    assert result["changed"] is False
    assert iscsiadm_fake.writes() == [DISC + ("--discover", "-o", "new")]
    assert_no_secret(result, SECRET)


def test_changed_discovery_secret_is_detected(run_module, iscsiadm_fake):
    iscsiadm_fake.on(*DISC, "-o", "show", "-S", out=fixture_text("discovery_record_st_chap.txt"))
    iscsiadm_fake.on("-m", "node", out=NODE_LIST)
    iscsiadm_fake.on(*DISC, "-o", "update", "-n", "discovery.sendtargets.auth.password", "-v", "rotated-secret-1")
    iscsiadm_fake.on(*DISC, "--discover", "-o", "new", out=DISCOVERY_OUT)
    iscsiadm_fake.on(*DISC, "-o", "show", out=fixture_text("discovery_record_st_chap_masked.txt"))
    result, failed = run_module(iscsi_discovery, args(chap_username="discovery", chap_password="rotated-secret-1"),
                                diff=True)
    assert not failed, result
    assert result["changed"] is True
    assert result["diff"]["after"]["record"]["discovery.sendtargets.auth.password"] == "******** (changed)"
    assert_no_secret(result, SECRET, "rotated-secret-1")


def test_check_mode_asks_the_portal_without_writing(run_module, iscsiadm_fake):
    iscsiadm_fake.on(*DISC, "-o", "show", "-S", out=fixture_text("discovery_record_st.txt"))
    iscsiadm_fake.on(*DISC, "--discover", "-o", "nonpersistent", out=DISCOVERY_OUT)
    iscsiadm_fake.on("-m", "node", out=ONLY_LAB_PORTAL)
    iscsiadm_fake.on(*DISC, "-o", "show", out=fixture_text("discovery_record_st.txt"))
    result, failed = run_module(iscsi_discovery, args(), check_mode=True)
    assert not failed, result
    assert iscsiadm_fake.writes() == []
    assert result["changed"] is True
    assert [node["portal"] for node in result["added"]] == ["10.0.2.15:3260"]


def test_check_mode_with_a_new_record_does_not_ask_the_portal(run_module, iscsiadm_fake):
    iscsiadm_fake.on(*DISC, "-o", "show", "-S", rc=6, err=NOT_FOUND)
    iscsiadm_fake.on(*DISC, "-o", "show", rc=6, err=NOT_FOUND)
    result, failed = run_module(iscsi_discovery, args(chap_username="discovery", chap_password=SECRET),
                                check_mode=True)
    assert not failed, result
    assert iscsiadm_fake.writes() == []
    assert result["changed"] is True and result["targets"] is None
    assert result["record"]["discovery.sendtargets.auth.password"] == "******** (changed)"
    assert any("not asked" in warning for warning in result["warnings"])
    assert_no_secret(result, SECRET)


def test_discovery_auth_failure_is_clear_and_secret_free(run_module, iscsiadm_fake):
    iscsiadm_fake.on(*DISC, "-o", "show", "-S", out=fixture_text("discovery_record_st_chap.txt"))
    iscsiadm_fake.on("-m", "node", rc=21, err=NO_RECORDS)
    iscsiadm_fake.on(*DISC, "--discover", "-o", "new", rc=24,
                     err="iscsiadm: Login failed to authenticate with target\n"
                         "iscsiadm: discovery login to 192.168.77.10 rejected: initiator failed authorization\n"
                         "iscsiadm: Could not perform SendTargets discovery: iSCSI login failed due to "
                         "authorization failure\n")
    result, failed = run_module(iscsi_discovery, args(chap_username="discovery", chap_password=SECRET))
    assert failed
    assert result["msg"].startswith("sendtargets discovery at portal 192.168.77.10:3260 was refused by the "
                                    "target: CHAP authorization failure")
    assert_no_secret(result, SECRET)


def test_prune_deletes_records_the_portal_no_longer_returns(run_module, iscsiadm_fake):
    iscsiadm_fake.on(*DISC, "-o", "show", "-S", out=fixture_text("discovery_record_st.txt"))
    iscsiadm_fake.on("-m", "node", out=NODE_LIST)
    iscsiadm_fake.on("-m", "node", out=ONLY_LAB_PORTAL)
    iscsiadm_fake.on(*DISC, "--discover", "-o", "new", "-o", "delete", out=ONLY_LAB_PORTAL)
    iscsiadm_fake.on(*DISC, "-o", "show", out=fixture_text("discovery_record_st.txt"))
    result, failed = run_module(iscsi_discovery, args(prune=True))
    assert not failed, result
    assert result["changed"] is True
    assert [node["portal"] for node in result["removed"]] == ["10.0.2.15:3260"]


def test_absent_refuses_while_a_node_found_through_it_is_logged_in(run_module, iscsiadm_fake):
    iscsiadm_fake.on(*DISC, "-o", "show", "-S", out=fixture_text("discovery_record_st.txt"))
    iscsiadm_fake.on("-m", "session", out=SESSION_ONE)
    iscsiadm_fake.on("-m", "node", "-T", TARGET, "-p", PORTAL, "-o", "show",
                     out=fixture_text("node_record_chap_masked.txt"))
    result, failed = run_module(iscsi_discovery, args(state="absent"))
    assert failed
    assert "logged in: {0} at {1}".format(TARGET, PORTAL) in result["msg"]
    assert iscsiadm_fake.writes() == []


def test_absent_deletes_the_record(run_module, iscsiadm_fake):
    iscsiadm_fake.on(*DISC, "-o", "show", "-S", out=fixture_text("discovery_record_st.txt"))
    iscsiadm_fake.on("-m", "session", rc=21, err=NO_SESSIONS)
    iscsiadm_fake.on("-m", "node", out=NODE_LIST)
    iscsiadm_fake.on("-m", "node", rc=21, err=NO_RECORDS)
    iscsiadm_fake.on(*DISC, "-o", "delete")
    result, failed = run_module(iscsi_discovery, args(state="absent"))
    assert not failed, result
    assert iscsiadm_fake.writes() == [DISC + ("-o", "delete")]
    assert len(result["removed"]) == 2 and result["record"] is None


def test_isns_uses_its_own_port(run_module, iscsiadm_fake):
    isns = ("-m", "discoverydb", "-t", "isns", "-p", "192.168.77.5:3205")
    iscsiadm_fake.on(*isns, "-o", "show", "-S", rc=6, err="iscsiadm: Discovery record [192.168.77.5,3205] not found.\n")
    iscsiadm_fake.on("-m", "node", rc=21, err=NO_RECORDS)
    iscsiadm_fake.on("-m", "node", out=ONLY_LAB_PORTAL)
    iscsiadm_fake.on(*isns, "-o", "new", out="New discovery record for [192.168.77.5,3205] added.\n")
    iscsiadm_fake.on(*isns, "--discover", "-o", "new", out=ONLY_LAB_PORTAL)
    iscsiadm_fake.on(*isns, "-o", "show", out="# BEGIN RECORD 2.1.8\ndiscovery.startup = manual\n"
                                              "discovery.type = isns\n# END RECORD\n")
    result, failed = run_module(iscsi_discovery, {"portal": "192.168.77.5", "type": "isns"})
    assert not failed, result
    assert result["portal"] == "192.168.77.5:3205"
    assert result["record"] == {}


@pytest.mark.parametrize("extra, fragment", [
    ({"type": "isns", "chap_username": "u", "chap_password": "secret-secret"}, "no CHAP for iSNS"),
    ({"prune": True, "discover": False}, "prune: needs discover=true"),
    ({"chap_username": "discovery"}, "chap_password: is required"),
    ({"portal": "192.168.77.10:3260", "port": 3205}, "names port 3260 but port is 3205"),
])
def test_bad_requests_fail_before_anything_runs(run_module, iscsiadm_fake, extra, fragment):
    result, failed = run_module(iscsi_discovery, args(**extra))
    assert failed
    assert fragment in result["msg"]
    assert iscsiadm_fake.calls == []
    assert_no_secret(result, "secret-secret")


AUTH_REFUSED = ("iscsiadm: Login failed to authenticate with target\n"
                "iscsiadm: Could not perform SendTargets discovery: iSCSI login failed due to authorization failure\n")


def test_a_refused_discovery_after_a_new_record_reports_the_change(run_module, iscsiadm_fake):
    """The record and its CHAP settings stay when the portal then refuses the discovery: the failed
    run changed the host, and says so (a run that wrote nothing does not)."""
    iscsiadm_fake.on(*DISC, "-o", "show", "-S", rc=6, err=NOT_FOUND)
    iscsiadm_fake.on("-m", "node", rc=21, err=NO_RECORDS)
    iscsiadm_fake.on(*DISC, "-o", "new", out="New discovery record for [192.168.77.10,3260] added.\n")
    iscsiadm_fake.on(*DISC, "-o", "update", "-n", "discovery.sendtargets.auth.authmethod", "-v", "CHAP")
    iscsiadm_fake.on(*DISC, "-o", "update", "-n", "discovery.sendtargets.auth.username", "-v", "discovery")
    iscsiadm_fake.on(*DISC, "-o", "update", "-n", "discovery.sendtargets.auth.password", "-v", SECRET)
    iscsiadm_fake.on(*DISC, "--discover", "-o", "new", rc=24, err=AUTH_REFUSED)
    result, failed = run_module(iscsi_discovery, args(chap_username="discovery", chap_password=SECRET))
    assert failed and result["changed"] is True, result
    assert iscsiadm_fake.writes()[0] == DISC + ("-o", "new")
    assert_no_secret(result, SECRET)

    iscsiadm_fake.calls.clear()
    iscsiadm_fake.answers.clear()
    iscsiadm_fake.on(*DISC, "-o", "show", "-S", out=fixture_text("discovery_record_st_chap.txt"))
    iscsiadm_fake.on("-m", "node", rc=21, err=NO_RECORDS)
    iscsiadm_fake.on(*DISC, "--discover", "-o", "new", rc=24, err=AUTH_REFUSED)
    result, failed = run_module(iscsi_discovery, args(chap_username="discovery", chap_password=SECRET))
    assert failed and result["changed"] is False, result
