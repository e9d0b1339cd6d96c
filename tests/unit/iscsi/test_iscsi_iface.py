# Copyright: scst.iscsi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""scst.iscsi.iscsi_iface through the module's main(), and iface-aware look-ups of the
other initiator modules (discovery and login per iface, iscsi_info per record)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from iscsi_unit_support import ISCSIADM, NO_RECORDS, NO_SESSIONS, TARGET, FakeIscsiadm, fixture_text

from ansible_collections.scst.iscsi.plugins.module_utils.common.errors import ValidationError
from ansible_collections.scst.iscsi.plugins.module_utils.iscsi.initiator import IfaceRequest, Initiator
from ansible_collections.scst.iscsi.plugins.module_utils.iscsi.iscsiadm import Iscsiadm
from ansible_collections.scst.iscsi.plugins.module_utils.iscsi.model import (
    parse_iface_list,
    parse_node_tree,
    parse_session_tree,
    validate_iface,
    validate_netdev,
)
from ansible_collections.scst.iscsi.plugins.modules import iscsi_discovery, iscsi_iface, iscsi_info, iscsi_node

IFACE = ("-m", "iface", "-I", "path0")
SESSIONS_P1 = ("-m", "session", "-P", "1")
NODES_P1 = ("-m", "node", "-P", "1")
NO_IFACE = "iscsiadm: Could not read iface path0\n"
PATH0_ETH1 = fixture_text("iface_record_path0.txt")


@pytest.fixture
def net_root(tmp_path, monkeypatch):
    """A /sys/class/net look-alike with eth1 and eth2."""
    root = tmp_path / "net"
    for name in ("eth1", "eth2"):
        (root / name).mkdir(parents=True)
    monkeypatch.setattr(iscsi_iface, "NET_ROOT", str(root))
    return root


def present(**extra):
    base = {"name": "path0", "netdev": "eth1"}
    base.update(extra)
    return base


# -- creating and updating ----------------------------------------------------
def test_new_iface_is_created_and_bound_and_check_mode_predicts_it(run_module, iscsiadm_fake, net_root):
    iscsiadm_fake.on(*IFACE, "-o", "show", rc=6, err=NO_IFACE)
    iscsiadm_fake.on(*IFACE, "-o", "new", out="New interface path0 added\n")
    iscsiadm_fake.on(*IFACE, "-o", "update", "-n", "iface.net_ifacename", "-v", "eth1",
                     out="path0 updated.\n")
    checked, failed = run_module(iscsi_iface, present(), check_mode=True, diff=True)
    assert not failed, checked
    assert iscsiadm_fake.writes() == []
    applied, failed = run_module(iscsi_iface, present(), diff=True)
    assert not failed, applied
    assert iscsiadm_fake.writes() == [
        IFACE + ("-o", "new"),
        IFACE + ("-o", "update", "-n", "iface.net_ifacename", "-v", "eth1"),
    ]
    assert applied["changed"] is True
    assert applied["iface"] == {"name": "path0", "transport": "tcp", "netdev": "eth1"}
    assert applied["diff"]["before"]["iface"] is None
    assert applied["diff"]["after"]["iface"] == applied["iface"]
    for key in ("changed", "iface", "actions", "diff", "node_records_removed"):
        assert checked[key] == applied[key], key


def test_bound_iface_is_left_alone(run_module, iscsiadm_fake, net_root):
    iscsiadm_fake.on(*IFACE, "-o", "show", out=PATH0_ETH1)
    for check_mode in (True, False):
        result, failed = run_module(iscsi_iface, present(), check_mode=check_mode, diff=True)
        assert not failed, result
        assert result["changed"] is False
        assert result["actions"] == []
        assert result["diff"]["before"] == result["diff"]["after"]
    assert iscsiadm_fake.writes() == []


def test_rebinding_warns_about_sessions_still_on_the_old_nic(run_module, iscsiadm_fake, net_root):
    iscsiadm_fake.on(*IFACE, "-o", "show", out=PATH0_ETH1)
    iscsiadm_fake.on(*IFACE, "-o", "update", "-n", "iface.net_ifacename", "-v", "eth2")
    iscsiadm_fake.on(*SESSIONS_P1, out=fixture_text("session_p1_ifaces.txt"))
    result, failed = run_module(iscsi_iface, present(netdev="eth2"), diff=True)
    assert not failed, result
    assert iscsiadm_fake.writes() == [IFACE + ("-o", "update", "-n", "iface.net_ifacename", "-v", "eth2")]
    assert result["diff"]["before"]["iface"]["netdev"] == "eth1"
    assert result["diff"]["after"]["iface"]["netdev"] == "eth2"
    assert any("sid 1" in warning and "log in again" in warning for warning in result["warnings"])


def test_missing_netdev_is_refused_before_iscsiadm_runs(run_module, iscsiadm_fake, net_root):
    result, failed = run_module(iscsi_iface, present(netdev="eth9"))
    assert failed
    assert result["msg"].startswith("netdev: 'eth9' is not a network interface of this host")
    assert result["field"] == "netdev"
    assert result["changed"] is False
    assert iscsiadm_fake.calls == []


def test_present_needs_netdev(run_module, iscsiadm_fake, net_root):
    result, failed = run_module(iscsi_iface, {"name": "path0"})
    assert failed
    assert result["msg"].startswith("netdev: is required with state=present")
    assert iscsiadm_fake.calls == []


@pytest.mark.parametrize("name", ["default", "iser"])
def test_builtin_ifaces_are_refused(run_module, iscsiadm_fake, net_root, name):
    for state in ("present", "absent"):
        result, failed = run_module(iscsi_iface, present(name=name, state=state))
        assert failed
        assert result["msg"].startswith("name: {0!r} is built into open-iscsi".format(name))
    assert iscsiadm_fake.calls == []


# -- deleting -----------------------------------------------------------------
def test_delete_is_refused_while_a_session_uses_the_iface(run_module, iscsiadm_fake, net_root):
    iscsiadm_fake.on(*IFACE, "-o", "show", out=PATH0_ETH1)
    iscsiadm_fake.on(*SESSIONS_P1, out=fixture_text("session_p1_ifaces.txt"))
    result, failed = run_module(iscsi_iface, {"name": "path0", "state": "absent"})
    assert failed
    assert result["msg"].startswith("state: absent deletes iface path0, but sessions use it: "
                                    "{0} at 192.168.77.10:3260 (sid 1); log out first".format(TARGET))
    assert "sid 2" not in result["msg"]  # the session through path1 is not in the way
    assert iscsiadm_fake.writes() == []


def test_delete_lists_the_node_records_that_go_with_the_iface(run_module, iscsiadm_fake, net_root):
    iscsiadm_fake.on(*IFACE, "-o", "show", out=PATH0_ETH1)
    iscsiadm_fake.on(*SESSIONS_P1, rc=21, err=NO_SESSIONS)
    iscsiadm_fake.on(*NODES_P1, out=fixture_text("node_p1_ifaces.txt"))
    iscsiadm_fake.on(*IFACE, "-o", "delete", out="path0 unbound and deleted.\n")
    checked, failed = run_module(iscsi_iface, {"name": "path0", "state": "absent"}, check_mode=True, diff=True)
    assert not failed, checked
    assert iscsiadm_fake.writes() == []
    result, failed = run_module(iscsi_iface, {"name": "path0", "state": "absent"}, diff=True)
    assert not failed, result
    assert iscsiadm_fake.writes() == [IFACE + ("-o", "delete")]
    assert result["changed"] is True
    assert result["iface"] is None
    assert result["node_records_removed"] == ["192.168.77.10:3260 " + TARGET]
    assert result["diff"]["before"]["node_records"] == result["node_records_removed"]
    assert result["diff"]["after"] == {"iface": None, "node_records": []}
    assert checked["node_records_removed"] == result["node_records_removed"]
    assert checked["actions"] == result["actions"]


def test_absent_iface_stays_absent(run_module, iscsiadm_fake, net_root):
    iscsiadm_fake.on(*IFACE, "-o", "show", rc=6, err=NO_IFACE)
    result, failed = run_module(iscsi_iface, {"name": "path0", "state": "absent"})
    assert not failed, result
    assert result["changed"] is False
    assert iscsiadm_fake.calls == [IFACE + ("-o", "show")]


# -- names: every option that reaches iscsiadm or a path ---------------------------
HOSTILE = st.one_of(
    st.sampled_from(["", ".", "..", "a/b", "../etc", "a b", "a\nb", "a\x00b", "\u200bx", "a\tb", "x" * 65]),
    st.text(min_size=1, max_size=80).filter(lambda text: any(
        char in text for char in ("/", "\x00", "\n", " ", "\t")) or len(text.encode("utf-8")) > 64),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=HOSTILE)
def test_hostile_iface_names_never_reach_iscsiadm(tmp_path, name):
    fake = FakeIscsiadm()
    initiator = Initiator(iscsiadm=Iscsiadm(run_command=fake, binary=ISCSIADM), net_root=str(tmp_path))
    with pytest.raises(ValidationError) as caught:
        initiator.plan_iface(IfaceRequest(name=name, netdev="eth1"))
    assert caught.value.field == "name"
    assert fake.calls == []


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(netdev=st.one_of(HOSTILE, st.sampled_from(["eth1:0", "x" * 16, "..", "eth/1"])))
def test_hostile_netdevs_never_reach_iscsiadm_or_sysfs(tmp_path, netdev):
    fake = FakeIscsiadm()
    # A directory of every hostile name that can be one: only the rule can refuse it.
    try:
        (tmp_path / netdev).mkdir(parents=True, exist_ok=True)
    except (OSError, ValueError):
        pass
    initiator = Initiator(iscsiadm=Iscsiadm(run_command=fake, binary=ISCSIADM), net_root=str(tmp_path))
    with pytest.raises(ValidationError) as caught:
        initiator.plan_iface(IfaceRequest(name="path0", netdev=netdev))
    assert caught.value.field == "netdev"
    assert fake.calls == []


@pytest.mark.parametrize("name", ["path0", "p", "x" * 64, "san-a.1_b", "pfad\u00e4"])
def test_good_iface_names(name):
    assert validate_iface(name) == name


@pytest.mark.parametrize("netdev", ["eth1", "enp0s31f6", "x" * 15, "bond0.100", "br-san"])
def test_good_netdevs(netdev):
    assert validate_netdev(netdev) == netdev


@pytest.mark.parametrize("option, value", [("iface", "a/b"), ("iface", "x" * 65), ("iface", "..")])
def test_discovery_iface_is_validated(run_module, iscsiadm_fake, option, value):
    result, failed = run_module(iscsi_discovery, {"portal": "192.168.77.10", option: value})
    assert failed
    assert result["msg"].startswith("iface: ")
    assert iscsiadm_fake.calls == []


# -- parsers ------------------------------------------------------------------
def test_parse_iface_list():
    text = ("default tcp,<empty>,<empty>,<empty>,<empty>\n"
            "iser iser,<empty>,<empty>,<empty>,<empty>\n"
            "path0 tcp,<empty>,<empty>,eth1,<empty>\n"
            "a line of another shape\n")
    ifaces = parse_iface_list(text)
    assert [(iface.name, iface.transport, iface.netdev) for iface in ifaces] == [
        ("default", "tcp", ""), ("iser", "iser", ""), ("path0", "tcp", "eth1")]


def test_parse_node_tree_keeps_one_entry_per_iface_record():
    nodes = parse_node_tree(fixture_text("node_p1_ifaces.txt"))
    assert [(node.target, str(node.portal), node.iface) for node in nodes] == [
        (TARGET, "192.168.77.10:3260", "path0"),
        (TARGET, "192.168.77.10:3260", "path1"),
        (TARGET, "192.168.78.10:3260", "path1"),
        ("iqn.2026-11.test.lab:tgt2", "192.168.77.10:3260", "default"),
    ]


def test_parse_session_p1_reads_the_iface_of_each_session():
    sessions = parse_session_tree(fixture_text("session_p1_ifaces.txt"))
    assert [(session.sid, str(session.portal), session.iface) for session in sessions] == [
        (1, "192.168.77.10:3260", "path0"), (2, "192.168.78.10:3260", "path1")]


# -- discovery and login per iface ------------------------------------------------
DISC = ("-m", "discoverydb", "-t", "sendtargets", "-p", "192.168.77.10:3260")


def test_discovery_through_an_iface_counts_the_records_of_that_iface(run_module, iscsiadm_fake):
    # path0 has a record for 192.168.77.10 already; path1's records do not count for path0.
    before = ("Target: {0}\n\tPortal: 192.168.77.10:3260,1\n\t\tIface Name: path0\n"
              "\tPortal: 192.168.78.10:3260,1\n\t\tIface Name: path1\n").format(TARGET)
    after = before + "\tPortal: 192.168.78.10:3260,1\n\t\tIface Name: path0\n"
    found = "192.168.77.10:3260,1 {0}\n192.168.78.10:3260,1 {0}\n".format(TARGET)
    iscsiadm_fake.on(*DISC, "-o", "show", "-S", out=fixture_text("discovery_record_st.txt"))
    iscsiadm_fake.on(*DISC, "-I", "path0", "--discover", "-o", "nonpersistent", out=found)
    iscsiadm_fake.on(*NODES_P1, out=before)
    iscsiadm_fake.on(*DISC, "-o", "show", out=fixture_text("discovery_record_st.txt"))
    checked, failed = run_module(iscsi_discovery, {"portal": "192.168.77.10", "iface": "path0"}, check_mode=True)
    assert not failed, checked
    assert iscsiadm_fake.writes() == []
    assert [(node["portal"], node["iface"]) for node in checked["added"]] == [("192.168.78.10:3260", "path0")]

    iscsiadm_fake.answers[NODES_P1] = [(0, before, ""), (0, after, "")]
    iscsiadm_fake.on(*DISC, "-I", "path0", "--discover", "-o", "new", out=found)
    result, failed = run_module(iscsi_discovery, {"portal": "192.168.77.10", "iface": "path0"})
    assert not failed, result
    assert iscsiadm_fake.writes() == [DISC + ("-I", "path0", "--discover", "-o", "new")]
    assert result["changed"] is True
    assert [(node["portal"], node["iface"]) for node in result["added"]] == [("192.168.78.10:3260", "path0")]
    assert checked["added"] == result["added"]


def test_login_through_an_iface_ignores_the_session_of_another_iface(run_module, iscsiadm_fake):
    node = ("-m", "node", "-T", TARGET, "-p", "192.168.77.10:3260", "-I", "path1")
    iscsiadm_fake.on(*node, "-o", "show", "-S", out=fixture_text("node_record_new.txt"))
    iscsiadm_fake.on(*node, "-o", "show", out=fixture_text("node_record_new.txt"))
    # sid 1 is target at 192.168.77.10 through path0: not the session of path1
    iscsiadm_fake.on(*SESSIONS_P1, out=fixture_text("session_p1_ifaces.txt"))
    iscsiadm_fake.on(*node, "--login", out="Login to [iface: path1, ...] successful.\n")
    result, failed = run_module(iscsi_node, {"target": TARGET, "portal": "192.168.77.10", "iface": "path1",
                                             "login": True, "chap_secret_check": "none"})
    assert not failed, result
    assert iscsiadm_fake.writes() == [node + ("--login",)]
    assert ("-m", "session") not in iscsiadm_fake.calls


def test_logout_through_an_iface_finds_the_session_of_that_iface(run_module, iscsiadm_fake):
    node = ("-m", "node", "-T", TARGET, "-p", "192.168.77.10:3260", "-I", "path0")
    iscsiadm_fake.on(*node, "-o", "show", "-S", out=fixture_text("node_record_new.txt"))
    iscsiadm_fake.on(*node, "-o", "show", out=fixture_text("node_record_new.txt"))
    iscsiadm_fake.on(*SESSIONS_P1, out=fixture_text("session_p1_ifaces.txt"))
    iscsiadm_fake.on(*node, "--logout", out="Logout of [sid: 1, ...] successful.\n")
    result, failed = run_module(iscsi_node, {"target": TARGET, "portal": "192.168.77.10", "iface": "path0",
                                             "login": False}, check_mode=True)
    assert not failed, result
    assert result["changed"] is True
    assert result["actions"] == ["log out of target {0} at portal 192.168.77.10:3260 through iface path0 "
                                 "(sid 1)".format(TARGET)]


def test_info_lists_each_record_once_with_its_own_login_state(run_module, iscsiadm_fake):
    flat = "192.168.77.10:3260,1 {0}\n192.168.77.10:3260,1 {0}\n".format(TARGET)
    records = fixture_text("node_record_new.txt")
    path0 = records.replace("iface.iscsi_ifacename = default", "iface.iscsi_ifacename = path0")
    path1 = records.replace("iface.iscsi_ifacename = default", "iface.iscsi_ifacename = path1")
    assert path0 != records
    session = fixture_text("session_p1_ifaces.txt").split("\tCurrent Portal: 192.168.78.10")[0]
    iscsiadm_fake.on("-m", "session", "-P", "3", out=session)
    iscsiadm_fake.on("-m", "node", out=flat)
    iscsiadm_fake.on("-m", "node", "-T", TARGET, "-p", "192.168.77.10:3260", "-o", "show", out=path0 + path1)
    iscsiadm_fake.on("--version", out="iscsiadm version 2.1.8\n")
    iscsiadm_fake.on("-m", "discoverydb", rc=21, err=NO_RECORDS)
    result, failed = run_module(iscsi_info, {})
    assert not failed, result
    assert [(node["iface"], node["logged_in"]) for node in result["nodes"]] == [("path0", True), ("path1", False)]


def test_discovery_absent_sees_a_logged_in_record_among_the_records_of_several_ifaces(run_module, iscsiadm_fake):
    record = fixture_text("node_record_new.txt")
    two_records = record.replace("= default", "= path0", 1) + record.replace("= default", "= path1", 1)
    iscsiadm_fake.on(*DISC, "-o", "show", "-S", out=fixture_text("discovery_record_st.txt"))
    iscsiadm_fake.on("-m", "session", out="tcp: [1] 192.168.77.10:3260,1 {0} (non-flash)\n".format(TARGET))
    iscsiadm_fake.on("-m", "node", "-T", TARGET, "-p", "192.168.77.10:3260", "-o", "show", out=two_records)
    result, failed = run_module(iscsi_discovery, {"portal": "192.168.77.10", "state": "absent"})
    assert failed
    assert result["msg"].startswith("state: absent deletes the discovery record")
    assert "logged in: {0} at 192.168.77.10:3260".format(TARGET) in result["msg"]
    assert iscsiadm_fake.writes() == []


def test_node_record_of_an_iface_still_to_create_is_absent():
    """Check mode before the role creates an iface: the record reads as absent.

    Real iscsiadm fails ``-m node -I NAME -o show`` with exit 3 ("Could not
    read iface info") when the iface does not exist; the lookup then asks for
    the iface and, finding none, answers "no record" instead of failing.
    """
    calls = []

    def run(argv):
        calls.append(argv)
        if argv[1:3] == ["-m", "iface"]:
            return 6, "", "iscsiadm: Could not read iface path0 (6)\n"
        return 3, "", "iscsiadm: Could not read iface info for path0.\n"

    initiator = Initiator(iscsiadm=Iscsiadm(run_command=run))
    assert initiator.node_record(target=TARGET, portal="192.168.77.10", iface="path0") is None
    assert calls[-1][1:3] == ["-m", "iface"]
