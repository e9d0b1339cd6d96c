# Copyright: scst.iscsi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Parsers and the iscsiadm command layer, against recorded iscsiadm output."""

from __future__ import annotations

import pytest

from iscsi_unit_support import (
    ISCSIADM,
    LOGIN_AUTH_FAILED_ERR,
    LOGIN_AUTH_FAILED_OUT,
    NODE_LIST,
    NO_SESSIONS,
    SESSION_ONE,
    FakeIscsiadm,
    fixture_text,
)

from ansible_collections.scst.iscsi.plugins.module_utils.common.errors import ValidationError
from ansible_collections.scst.iscsi.plugins.module_utils.iscsi import errors
from ansible_collections.scst.iscsi.plugins.module_utils.iscsi.iscsiadm import Iscsiadm
from ansible_collections.scst.iscsi.plugins.module_utils.iscsi.model import (
    Portal,
    mask_settings,
    parse_discovery_list,
    parse_initiator_file,
    parse_node_list,
    parse_records,
    parse_session_list,
    parse_session_tree,
    validate_iscsi_name,
)


@pytest.mark.parametrize("text, port, expected", [
    ("192.168.77.10", None, "192.168.77.10:3260"),
    ("192.168.77.10:3261", None, "192.168.77.10:3261"),
    ("192.168.77.10", 3262, "192.168.77.10:3262"),
    ("192.168.77.10:3262", 3262, "192.168.77.10:3262"),
    ("fd00:77::10", None, "[fd00:77::10]:3260"),
    ("[fd00:77::10]:3263", None, "[fd00:77::10]:3263"),
    ("san.example.com", None, "san.example.com:3260"),
])
def test_portal_from_user(text, port, expected):
    assert str(Portal.from_user(text, port)) == expected


@pytest.mark.parametrize("text, port, fragment", [
    ("192.168.77.10:3260", 3261, "names port 3260 but port is 3261"),
    ("192.168.77.10:3260,1", None, "portal group tag"),
    ("", None, "an address is required"),
    ("192.168.77.10", 70000, "port: must be a TCP port"),
    ("bad host!", None, "is not an IP address or host name"),
    ("192.168.77.10:abc", None, "plain decimal digits"),
    ("192.168.77.10:03260", None, "plain decimal digits"),
    ("192.168.77.10:\u0663\u0662\u0666\u0660", None, "plain decimal digits"),
    ("192.168.77.10", "03260", "port: must be a TCP port"),
    ("192.168.77.10", True, "port: must be a TCP port"),
    ("192.168.77.10", 3260.0, "port: must be a TCP port"),
    ("192.168.77.10,abc", None, "portal group tag"),
    ("[fd00:77::10]junk", None, "is not .address. or .address.:port"),
    ("[fd00:77::10]:32x", None, "plain decimal digits"),
    ("fd00:77::10::1", None, "is not an IPv6 address"),
    # the resolver (inet_aton) reads these as numbers: another address than the one written
    ("010.0.0.1", None, "is read as a number"),
    ("127.1", None, "is read as a number"),
    ("0x7f.0.0.1", None, "is read as a number"),
    ("2130706433", None, "is read as a number"),
    ("300.1.1.1", None, "is read as a number"),
    ("\u0661.2.3.4", None, "is not an IP address or host name"),
    ("a" * 254, None, "is not an IP address or host name"),
    ("../x", None, "is not an IP address or host name"),
])
def test_portal_from_user_rejects(text, port, fragment):
    with pytest.raises(ValidationError, match=fragment):
        Portal.from_user(text, port)


@pytest.mark.parametrize("name, verdict", [
    ("iqn.2026-11.test.lab:tgt1", "ok"),
    ("iqn.1992-04.com.emc:cx.apm00.a0", "ok"),
    ("eui.02004567A425678D", "ok"),
    ("naa.52004567BA64678D", "ok"),
    # names SCST accepts: used, with a warning
    ("iqn.2026-13.test.lab:tgt1", "in RFC 3720 form"),
    ("foo", "in RFC 3720 form"),
    ("target#1", "in RFC 3720 form"),
    ("iqn.2026-11.test.lab:" + "x" * 210, "longer than the 223 bytes"),
    # names open-iscsi cannot keep: refused
    ("/", "must not contain '/'"),
    ("a/../../etc", "must not contain '/'"),
    ("..", "be '.' or '..'"),
    (".", "be '.' or '..'"),
    ("", "an iSCSI name is required"),
    ("iqn.2026-11.test.lab:" + "x" * 300, "longer than 254 bytes"),
    ("iqn.2026-11.test lab:tgt1", "whitespace or control"),
    ("iqn.2026-11.test.lab:tgt1\n", "whitespace or control"),
    ("iqn.2026-11.test.lab:\x00", "whitespace or control"),
    ("iqn.2026-11.test.lab:\u2028", "whitespace or control"),
    ("iqn.2026-11.test.lab:\u200b", "invisible formatting"),
])
def test_validate_iscsi_name(name, verdict):
    warnings = []
    if verdict == "ok":
        assert validate_iscsi_name(name, warnings=warnings) == name
        assert warnings == []
    elif verdict.startswith(("in RFC", "longer than the")):
        assert validate_iscsi_name(name, warnings=warnings) == name
        assert any(name in w and verdict in w for w in warnings), warnings
    else:
        with pytest.raises(ValidationError, match="^target: ") as caught:
            validate_iscsi_name(name, warnings=warnings)
        assert verdict in str(caught.value)


def test_parse_node_list_from_lab_discovery():
    nodes = parse_node_list(NODE_LIST)
    assert [(node.target, str(node.portal), node.tpgt) for node in nodes] == [
        ("iqn.2026-11.test.lab:tgt1", "10.0.2.15:3260", 1),
        ("iqn.2026-11.test.lab:tgt1", "192.168.77.10:3260", 1),
    ]


def test_parse_node_list_ipv6():
    nodes = parse_node_list("[fd00:77::10]:3260,1 iqn.2026-11.test.lab:tgt1\n")
    assert nodes[0].portal == Portal("fd00:77::10", 3260)
    assert str(nodes[0].portal) == "[fd00:77::10]:3260"


def test_parse_record_empty_and_secret():
    record = parse_records(fixture_text("node_record_chap.txt"))[0]
    assert record["node.startup"] == "automatic"
    assert record["node.session.auth.username_in"] == ""
    assert record["node.session.auth.password"] == "secret12chars"
    assert record["node.conn[0].startup"] == "manual"
    masked = parse_records(fixture_text("node_record_chap_masked.txt"))[0]
    assert masked["node.session.auth.password"] == "********"


def test_mask_settings_hides_set_secrets_only():
    record = parse_records(fixture_text("node_record_chap.txt"))[0]
    masked = mask_settings(record)
    assert masked["node.session.auth.password"] == "********"
    assert masked["node.session.auth.password_in"] == ""
    assert "secret12chars" not in repr(masked)


def test_parse_session_list():
    sessions = parse_session_list(SESSION_ONE)
    assert [(s.sid, s.target, str(s.portal), s.tpgt, s.transport) for s in sessions] == [
        (1, "iqn.2026-11.test.lab:tgt1", "192.168.77.10:3260", 1, "tcp")]


def test_parse_session_tree_lab_session():
    sessions = parse_session_tree(fixture_text("session_p3_three_luns.txt"))
    assert len(sessions) == 1
    session = sessions[0]
    assert (session.sid, session.target, str(session.portal), session.host) == (
        3, "iqn.2026-11.test.lab:tgt1", "192.168.77.10:3260", 6)
    assert session.session_state == "LOGGED_IN"
    assert session.iface == "default"
    assert [(d.hctl, d.name, d.state) for d in session.devices] == [
        ("6:0:0:0", "sda", "running"), ("6:0:0:1", "sdb", "running"), ("6:0:0:2", "sdc", "running")]


def test_parse_session_tree_carries_target_and_portal_over():
    sessions = parse_session_tree(fixture_text("session_p3_multi.txt"))
    summary = [(s.sid, s.target, str(s.portal), [d.name for d in s.devices]) for s in sessions]
    assert summary == [
        (1, "iqn.2026-11.test.lab:tgt1", "192.168.77.10:3260", ["sda"]),
        (2, "iqn.2026-11.test.lab:tgt1", "192.168.77.10:3260", ["sdb"]),
        (4, "iqn.2026-11.test.lab:tgt1", "[fd00:77::10]:3260", ["sdc"]),
        (5, "iqn.2026-11.test.lab:tgt2", "192.168.78.10:3260", ["sdd", "sde"]),
    ]


def test_parse_session_tree_partial_devices():
    session = parse_session_tree(fixture_text("session_p3_partial.txt"))[0]
    assert [(d.lun, d.name) for d in session.devices] == [(0, "sda"), (1, None), (2, None)]


def test_parse_discovery_list():
    assert parse_discovery_list("192.168.77.10:3260 via sendtargets\n192.168.77.5:3205 via isns\n") == [
        {"portal": "192.168.77.10:3260", "address": "192.168.77.10", "port": 3260, "type": "sendtargets"},
        {"portal": "192.168.77.5:3205", "address": "192.168.77.5", "port": 3205, "type": "isns"},
    ]


def test_parse_initiator_file():
    text = "## DO NOT EDIT OR REMOVE THIS FILE!\nInitiatorName=iqn.2026-11.test.lab:initiator\nInitiatorAlias=ini1\n"
    assert parse_initiator_file(text) == {"name": "iqn.2026-11.test.lab:initiator", "alias": "ini1"}


def _iscsiadm(fake):
    return Iscsiadm(run_command=fake, binary=ISCSIADM)


def test_no_objects_found_means_empty_not_error():
    fake = FakeIscsiadm().on("-m", "session", rc=21, err=NO_SESSIONS).on("-m", "node", rc=21, err="iscsiadm: No records found\n")
    adm = _iscsiadm(fake)
    assert adm.list_sessions() == []
    assert adm.list_nodes() == []


def test_login_auth_failure_is_typed_and_names_target_and_portal():
    fake = FakeIscsiadm().on("-m", "node", "-T", "iqn.2026-11.test.lab:tgt1", "-p", "192.168.77.10:3260", "--login",
                             rc=24, out=LOGIN_AUTH_FAILED_OUT, err=LOGIN_AUTH_FAILED_ERR)
    with pytest.raises(errors.LoginAuthError) as caught:
        _iscsiadm(fake).login(target="iqn.2026-11.test.lab:tgt1", portal=Portal("192.168.77.10"))
    message = str(caught.value)
    assert "login to target iqn.2026-11.test.lab:tgt1 at portal 192.168.77.10:3260" in message
    assert "CHAP authorization failure" in message
    assert "ISCSI_ERR_LOGIN_AUTH_FAILED" in message
    assert caught.value.rc == 24


@pytest.mark.parametrize("rc, cls, fragment", [
    (4, errors.PortalUnreachableError, "could not be reached"),
    (8, errors.PortalUnreachableError, "ISCSI_ERR_TRANS_TIMEOUT"),
    (20, errors.DaemonError, "iscsid is not running"),
    (19, errors.IscsiadmError, "ISCSI_ERR_FATAL_LOGIN"),
    (99, errors.IscsiadmError, "not documented"),
])
def test_exit_codes_map_to_messages(rc, cls, fragment):
    fake = FakeIscsiadm().on("-m", "node", "-T", "iqn.2026-11.test.lab:tgt1", "-p", "192.168.77.10:3260", "--login",
                             rc=rc, err="iscsiadm: something\n")
    with pytest.raises(cls, match=fragment):
        _iscsiadm(fake).login(target="iqn.2026-11.test.lab:tgt1", portal=Portal("192.168.77.10"))


def test_session_exists_is_success():
    fake = FakeIscsiadm().on("-m", "node", "-T", "iqn.2026-11.test.lab:tgt1", "-p", "192.168.77.10:3260", "--login",
                             rc=15, err="iscsiadm: default: 1 session requested, but 1 already present.\n")
    assert _iscsiadm(fake).login(target="iqn.2026-11.test.lab:tgt1", portal=Portal("192.168.77.10")) is False


def test_secret_never_in_error_command_or_output():
    args = ("-m", "node", "-T", "iqn.2026-11.test.lab:tgt1", "-p", "192.168.77.10:3260",
            "-o", "update", "-n", "node.session.auth.password", "-v", "topsecret-123")
    fake = FakeIscsiadm().on(*args, rc=6, err="iscsiadm: could not write topsecret-123\n")
    with pytest.raises(errors.IscsiadmError) as caught:
        _iscsiadm(fake).update_node(target="iqn.2026-11.test.lab:tgt1", portal=Portal("192.168.77.10"),
                                    name="node.session.auth.password", value="topsecret-123")
    result = caught.value.result()
    assert "topsecret-123" not in repr(result)
    assert result["command"][-1] == "********"
    assert "ISCSI_ERR_IDBM" in result["msg"]


def test_commands_run_with_c_locale(run_module, iscsiadm_fake):
    from ansible_collections.scst.iscsi.plugins.modules import iscsi_node

    iscsiadm_fake.on("-m", "node", "-T", "iqn.2026-11.test.lab:tgt1", "-p", "192.168.77.10:3260", "-o", "show", "-S",
                     out=fixture_text("node_record_chap.txt"))
    iscsiadm_fake.on("-m", "session", out=SESSION_ONE)
    iscsiadm_fake.on("-m", "node", "-T", "iqn.2026-11.test.lab:tgt1", "-p", "192.168.77.10:3260", "-o", "show",
                     out=fixture_text("node_record_chap_masked.txt"))
    result, failed = run_module(iscsi_node, {"target": "iqn.2026-11.test.lab:tgt1", "portal": "192.168.77.10"})
    assert not failed, result
    assert iscsiadm_fake.environ and all(env and env.get("LANG") == "C" and env.get("LC_ALL") == "C"
                                         for env in iscsiadm_fake.environ)
