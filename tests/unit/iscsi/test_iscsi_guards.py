# Copyright: scst.iscsi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Guards of the initiator modules: numbers, names and CHAP secrets are checked from what the
user wrote, through each module's main(), before iscsiadm runs at all."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from iscsi_unit_support import NO_RECORDS, NO_SESSIONS, PORTAL, assert_no_secret, fixture_text

from ansible_collections.scst.iscsi.plugins.module_utils.common.errors import ValidationError
from ansible_collections.scst.iscsi.plugins.module_utils.iscsi.initiator import Chap
from ansible_collections.scst.iscsi.plugins.module_utils.iscsi.model import Portal, validate_iscsi_name
from ansible_collections.scst.iscsi.plugins.modules import iscsi_devices, iscsi_discovery, iscsi_node

TARGET = "iqn.2026-11.test.lab:tgt1"
GOOD = "a-good-secret-99"

# Ansible's int conversion would turn "010" into 10, "1e3" into 1000, " 1" and "+1" into 1,
# "1_0" into 10 and "\u0661" (Arabic-Indic one) into 1; a raw option sees what was written.
HOSTILE_PORTS = ["010", "03260", "0x10", "1e3", "3260.0", 3260.5, 3260.0, True, False, "+3260", " 3260",
                 "3260 ", "3260\n", "-1", "\u0663\u0662\u0666\u0660", "3_260", "", "port", 0, 65536, -3260]
PORT_OPTIONS = [
    (iscsi_node, {"target": TARGET, "portal": "192.168.77.10"}),
    (iscsi_discovery, {"portal": "192.168.77.10"}),
    (iscsi_devices, {"target": TARGET, "portal": "192.168.77.10"}),
]


@pytest.mark.parametrize("module,base", PORT_OPTIONS, ids=lambda p: getattr(p, "__name__", "").rpartition(".")[2])
def test_hostile_port_is_refused_naming_the_option_before_iscsiadm_runs(run_module, iscsiadm_fake, module, base):
    wrong = []
    for value in HOSTILE_PORTS:
        for check_mode in (True, False):
            result, failed = run_module(module, dict(base, port=value), check_mode=check_mode)
            if iscsiadm_fake.calls:
                wrong.append((value, "ran", iscsiadm_fake.calls))
            elif not failed:
                wrong.append((value, "accepted"))
            elif not result["msg"].startswith("port: must be a TCP port"):
                wrong.append((value, result["msg"]))
    assert wrong == []


@pytest.mark.parametrize("value", [3261, "3261"])
def test_plain_decimal_port_is_used_as_written(value):
    assert Portal.from_user("192.168.77.10", value).port == 3261


HOSTILE_PORTALS = [
    ("010.0.0.1", "is read as a number"), ("127.1", "is read as a number"),
    ("0x0a.0.0.1", "is read as a number"), ("167772161", "is read as a number"),
    ("192.168.77.10:0x10", "plain decimal"), ("192.168.77.10:03260", "plain decimal"),
    ("192.168.77.10:+3260", "plain decimal"), ("192.168.77.10,1", "portal group tag"),
    ("[fd00::1]x", "is not [address] or [address]:port"), ("fd00::1%eth0/x", "zone"), ("a b", "is not an IP address"),
    ("../../etc", "is not an IP address"), ("host\nx", "is not an IP address"),
    ("h\u00e9st", "is not an IP address"), ("-p", "is not an IP address"),
]


@pytest.mark.parametrize("module,base", PORT_OPTIONS, ids=lambda p: getattr(p, "__name__", "").rpartition(".")[2])
def test_hostile_portal_is_refused_before_iscsiadm_runs(run_module, iscsiadm_fake, module, base):
    wrong = []
    for value, rule in HOSTILE_PORTALS:
        result, failed = run_module(module, dict(base, portal=value))
        if iscsiadm_fake.calls or not failed or not (result["msg"].startswith("portal") and rule in result["msg"]):
            wrong.append((value, failed and result["msg"], iscsiadm_fake.calls))
    assert wrong == []


# -- CHAP -------------------------------------------------------------------------------------

# (secret, the rule under chap_secret_check=scst, the rule under none or None when none accepts it)
SECRETS = [
    ("short-pw", "must be at least 12 characters", None),
    ("\u00e9" * 5, "must be at least 12 characters", None),      # 10 bytes
    ("has=equals-sign", "must not contain whitespace, '=' or ';'", None),
    ("has;semicolon1", "must not contain whitespace, '=' or ';'", None),
    ("inner blank-secret", "must not contain whitespace", None),
    ('quote"in-secret', "scst.conf has no way to write them", None),
    ("brace{in-secret", "scst.conf has no way to write them", None),
    ("nul\x00in-secret", "must not contain control characters", "must not contain control characters"),
    ("line\nbreak-secret", "must not contain control characters", "must not contain control characters"),
    ("sep\u2028-secret12", "must not contain control characters", "must not contain control characters"),
    (" lead-blank-secret", "must not begin or end with a blank", "must not begin or end with a blank"),
    ("trail-blank-secret ", "must not begin or end with a blank", "must not begin or end with a blank"),
    ("x" * 256, "is longer than 255 bytes", "is longer than 255 bytes"),
    ("\u00e9" * 128, "is longer than 255 bytes", "is longer than 255 bytes"),
]


@pytest.mark.parametrize("module,base", PORT_OPTIONS[:2], ids=["iscsi_node", "iscsi_discovery"])
@pytest.mark.parametrize("option", ["chap_password", "chap_password_in"])
@pytest.mark.parametrize("secret,scst_rule,none_rule", SECRETS)
def test_chap_secret_is_checked_before_iscsiadm_runs_and_never_shown(
        run_module, iscsiadm_fake, module, base, option, secret, scst_rule, none_rule):
    chap = {"chap_username": "user1", "chap_password": GOOD}
    if option == "chap_password_in":
        chap.update(chap_username_in="target1", chap_password_in=secret)
    else:
        chap["chap_password"] = secret
    result, failed = run_module(module, dict(base, **chap))
    assert failed and result["msg"].startswith(option + ": ") and scst_rule in result["msg"], result
    assert "chap_secret_check=none" in result["msg"] or "open-iscsi" in result["msg"]
    assert iscsiadm_fake.calls == []
    assert_no_secret(result, secret)
    if none_rule is not None:
        result, failed = run_module(module, dict(base, chap_secret_check="none", **chap))
        assert failed and result["msg"].startswith(option + ": ") and none_rule in result["msg"], result
        assert iscsiadm_fake.calls == []
        assert_no_secret(result, secret)


@pytest.mark.parametrize("secret", [s for s, _scst, none in SECRETS if none is None])
def test_chap_secret_check_none_accepts_what_other_targets_take(secret):
    Chap(username="user1", password=secret, check="none").validate(what="t")
    with pytest.raises(ValidationError, match="^chap_password: "):
        Chap(username="user1", password=secret).validate(what="t")


def test_chap_secret_of_twelve_bytes_is_what_scst_counts():
    Chap(username="user1", password="\u00e9" * 6).validate(what="t")   # 6 characters, 12 bytes


@pytest.mark.parametrize("user,rule", [
    ("a b", "must not contain whitespace"), ("a=b", "must not contain whitespace"),
    ('a"b', "scst.conf has no way"), ("x" * 256, "is longer than 255 bytes"),
])
def test_chap_username_follows_scst_rules(run_module, iscsiadm_fake, user, rule):
    result, failed = run_module(iscsi_node, {"target": TARGET, "portal": "192.168.77.10",
                                             "chap_username": user, "chap_password": GOOD})
    assert failed and result["msg"].startswith("chap_username: ") and rule in result["msg"], result
    assert iscsiadm_fake.calls == []


def test_short_secret_is_applied_with_chap_secret_check_none(run_module, iscsiadm_fake):
    node = ("-m", "node", "-T", TARGET, "-p", PORTAL)
    iscsiadm_fake.on(*node, "-o", "show", "-S", out=fixture_text("node_record_chap.txt"))
    iscsiadm_fake.on("-m", "session", rc=21, err=NO_SESSIONS)
    iscsiadm_fake.on(*node, "-o", "show", out=fixture_text("node_record_chap_masked.txt"))
    iscsiadm_fake.on(*node, "-o", "update", "-n", "node.session.auth.password", "-v", "short")
    result, failed = run_module(iscsi_node, {"target": TARGET, "portal": "192.168.77.10", "chap_username": "labuser",
                                             "chap_password": "short", "chap_secret_check": "none"})
    assert not failed, result
    assert iscsiadm_fake.writes() == [node + ("-o", "update", "-n", "node.session.auth.password", "-v", "short")]
    assert_no_secret(result, "short")


# -- names --------------------------------------------------------------------------------------

def test_non_rfc_target_name_is_used_with_a_warning(run_module, iscsiadm_fake):
    node = ("-m", "node", "-T", "target1", "-p", PORTAL)
    iscsiadm_fake.on(*node, "-o", "show", "-S", rc=21, err=NO_RECORDS)
    iscsiadm_fake.on("-m", "session", rc=21, err=NO_SESSIONS)
    iscsiadm_fake.on(*node, "-o", "show", rc=21, err=NO_RECORDS)
    result, failed = run_module(iscsi_node, {"target": "target1", "portal": "192.168.77.10", "state": "absent"})
    assert not failed, result
    assert result["changed"] is False
    assert any("target: 'target1' is not an iSCSI name in RFC 3720 form" in w for w in result["warnings"]), result


NAME_CHARS = st.sampled_from(list("aZ9.-:_#!*?/ \t\n\r\x00\x1b\x7f\x85\u00a0\u2028\u200b\ufeff\u00e9\u20ac"
                                  "\U0001f600\\\"{};="))
HOSTILE_NAMES = st.one_of(st.text(max_size=30), st.text(NAME_CHARS, max_size=12),
                          st.sampled_from([".", "..", "/", "../x", "a/b", "iqn.2026-11.test.lab:" + "x" * 240]),
                          st.text(st.sampled_from("a\u00e9\U0001f600"), min_size=50, max_size=130))


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=HOSTILE_NAMES)
def test_target_name_is_refused_or_stays_one_record_directory(name):
    """Any accepted target name is one directory of open-iscsi's node database: no '/', not '.' or '..',
    one line, at most 254 bytes; a refused one fails naming the field."""
    warnings = []
    try:
        validate_iscsi_name(name, warnings=warnings)
    except ValidationError as exc:
        assert str(exc).startswith("target: ")
        return
    assert "/" not in name and name not in (".", "..")
    assert name == name.strip() and "\n" not in name and "\x00" not in name
    assert len(name.encode("utf-8")) <= 254
    assert all(w.startswith("target: ") for w in warnings)
