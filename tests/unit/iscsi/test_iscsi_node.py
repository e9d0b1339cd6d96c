# Copyright: scst.iscsi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Decisions of scst.iscsi.iscsi_node, run through the module's main()."""

from __future__ import annotations

import pytest

from iscsi_unit_support import (
    LOGIN_AUTH_FAILED_ERR,
    LOGIN_AUTH_FAILED_OUT,
    LOGIN_EXISTS_ERR,
    LOGIN_OK,
    LOGOUT_OK,
    NO_MATCHING_SESSIONS,
    NO_RECORDS,
    NO_SESSIONS,
    OTHER_PORTAL,
    PORTAL,
    SESSION_ONE,
    SESSIONS_TWO_PORTALS,
    TARGET,
    assert_no_secret,
    fixture_text,
    record_with,
)

from ansible_collections.scst.iscsi.plugins.modules import iscsi_node

NODE = ("-m", "node", "-T", TARGET, "-p", PORTAL)
OLD_SECRET = "secret12chars"  # what the lab record holds (node_record_chap.txt)
NEW_SECRET = "n3w-secret-14c"


def given(fake, *, record=None, masked=None, sessions=(NO_SESSIONS,)):
    """Queue the reads a node task makes: record with -S, sessions (in order), record without -S."""
    if record is None:
        fake.on(*NODE, "-o", "show", "-S", rc=21, err=NO_RECORDS)
    else:
        fake.on(*NODE, "-o", "show", "-S", out=record)
    for answer in sessions:
        if answer == NO_SESSIONS:
            fake.on("-m", "session", rc=21, err=NO_SESSIONS)
        else:
            fake.on("-m", "session", out=answer)
    if masked is not None:
        fake.on(*NODE, "-o", "show", out=masked)
    elif record is None:
        fake.on(*NODE, "-o", "show", rc=21, err=NO_RECORDS)


def args(**extra):
    base = {"target": TARGET, "portal": "192.168.77.10"}
    base.update(extra)
    return base


def test_login_when_there_is_no_session(run_module, iscsiadm_fake):
    given(iscsiadm_fake, record=fixture_text("node_record_chap.txt"),
          masked=fixture_text("node_record_chap_masked.txt"), sessions=(NO_SESSIONS, SESSION_ONE))
    iscsiadm_fake.on(*NODE, "--login", out=LOGIN_OK)
    result, failed = run_module(iscsi_node, args(login=True))
    assert not failed, result
    assert result["changed"] is True
    assert iscsiadm_fake.writes() == [NODE + ("--login",)]
    assert result["logged_in"] is True and result["sid"] == 1
    assert result["actions"] == ["log in to target {0} at portal {1}".format(TARGET, PORTAL)]
    assert result["record"]["node.session.auth.password"] == "********"
    assert_no_secret(result, OLD_SECRET)


def test_no_change_when_logged_in_and_settings_match(run_module, iscsiadm_fake):
    given(iscsiadm_fake, record=fixture_text("node_record_chap.txt"),
          masked=fixture_text("node_record_chap_masked.txt"), sessions=(SESSION_ONE,))
    result, failed = run_module(iscsi_node, args(login=True, startup="automatic", chap_username="labuser",
                                                 chap_password=OLD_SECRET), diff=True)
    assert not failed, result
    assert result["changed"] is False
    assert iscsiadm_fake.writes() == []
    assert result["diff"]["before"] == result["diff"]["after"]
    assert_no_secret(result, OLD_SECRET)


def test_session_already_exists_exit_15_is_success(run_module, iscsiadm_fake):
    # The session list was empty when read, then another login won the race.
    given(iscsiadm_fake, record=fixture_text("node_record_chap.txt"),
          masked=fixture_text("node_record_chap_masked.txt"), sessions=(NO_SESSIONS, SESSION_ONE))
    iscsiadm_fake.on(*NODE, "--login", rc=15, err=LOGIN_EXISTS_ERR)
    result, failed = run_module(iscsi_node, args(login=True))
    assert not failed, result
    assert result["changed"] is False
    assert result["logged_in"] is True


def test_auth_failure_names_target_and_portal_and_hides_secrets(run_module, iscsiadm_fake):
    given(iscsiadm_fake, record=fixture_text("node_record_chap.txt"), sessions=(NO_SESSIONS,))
    iscsiadm_fake.on(*NODE, "-o", "update", "-n", "node.session.auth.password", "-v", "wrongpassword1")
    iscsiadm_fake.on(*NODE, "--login", rc=24, out=LOGIN_AUTH_FAILED_OUT, err=LOGIN_AUTH_FAILED_ERR)
    result, failed = run_module(iscsi_node, args(login=True, chap_username="labuser",
                                                 chap_password="wrongpassword1"))
    assert failed
    assert result["msg"].startswith("login to target {0} at portal {1} was refused by the target: "
                                    "CHAP authorization failure".format(TARGET, PORTAL))
    assert "iscsiadm exit 24, ISCSI_ERR_LOGIN_AUTH_FAILED" in result["msg"]
    assert result["rc"] == 24
    # the new secret reached the node record before the login failed: a change
    assert result["changed"] is True
    assert_no_secret(result, "wrongpassword1", OLD_SECRET)


def test_changed_secret_on_logged_in_node_is_detected_and_written(run_module, iscsiadm_fake):
    given(iscsiadm_fake, record=fixture_text("node_record_chap.txt"),
          masked=fixture_text("node_record_chap_masked.txt"), sessions=(SESSION_ONE,))
    iscsiadm_fake.on(*NODE, "-o", "update", "-n", "node.session.auth.password", "-v", NEW_SECRET)
    result, failed = run_module(iscsi_node, args(login=True, chap_username="labuser", chap_password=NEW_SECRET),
                                diff=True)
    assert not failed, result
    assert result["changed"] is True
    assert iscsiadm_fake.writes() == [NODE + ("-o", "update", "-n", "node.session.auth.password", "-v", NEW_SECRET)]
    assert result["diff"]["before"]["record"]["node.session.auth.password"] == "********"
    assert result["diff"]["after"]["record"]["node.session.auth.password"] == "******** (changed)"
    assert result["actions"] == ["set node.session.auth.password = ******** (changed) on target {0} at portal {1}"
                                 .format(TARGET, PORTAL)]
    assert any("next login" in warning for warning in result["warnings"])
    assert_no_secret(result, NEW_SECRET, OLD_SECRET)


def test_changed_secret_with_relogin_logs_out_and_in_on_this_portal(run_module, iscsiadm_fake):
    given(iscsiadm_fake, record=fixture_text("node_record_chap.txt"),
          masked=fixture_text("node_record_chap_masked.txt"), sessions=(SESSION_ONE, SESSION_ONE))
    iscsiadm_fake.on(*NODE, "-o", "update", "-n", "node.session.auth.password", "-v", NEW_SECRET)
    iscsiadm_fake.on(*NODE, "--logout", out=LOGOUT_OK)
    iscsiadm_fake.on(*NODE, "--login", out=LOGIN_OK)
    result, failed = run_module(iscsi_node, args(login=True, relogin=True, chap_username="labuser",
                                                 chap_password=NEW_SECRET))
    assert not failed, result
    assert iscsiadm_fake.writes() == [
        NODE + ("-o", "update", "-n", "node.session.auth.password", "-v", NEW_SECRET),
        NODE + ("--logout",),
        NODE + ("--login",),
    ]
    assert_no_secret(result, NEW_SECRET, OLD_SECRET)


def test_check_mode_reads_only_and_predicts(run_module, iscsiadm_fake):
    given(iscsiadm_fake, record=fixture_text("node_record_new.txt"),
          masked=record_with("node_record_new.txt"), sessions=(NO_SESSIONS, NO_SESSIONS))
    result, failed = run_module(iscsi_node, args(login=True, startup="automatic", chap_username="labuser",
                                                 chap_password=NEW_SECRET), check_mode=True, diff=True)
    assert not failed, result
    assert result["changed"] is True
    assert iscsiadm_fake.writes() == []
    assert result["logged_in"] is True and result["sid"] is None
    assert result["record"]["node.startup"] == "automatic"
    assert result["record"]["node.session.auth.authmethod"] == "CHAP"
    assert result["record"]["node.session.auth.password"] == "******** (changed)"
    assert result["diff"]["before"]["logged_in"] is False
    assert [action.split(" on target")[0] for action in result["actions"]] == [
        "set node.startup = automatic",
        "set node.session.auth.authmethod = CHAP",
        "set node.session.auth.username = labuser",
        "set node.session.auth.password = ******** (changed)",
        "log in to target {0} at portal {1}".format(TARGET, PORTAL),
    ]
    assert_no_secret(result, NEW_SECRET)


def test_logout_touches_only_the_given_portal(run_module, iscsiadm_fake):
    given(iscsiadm_fake, record=fixture_text("node_record_chap.txt"),
          masked=fixture_text("node_record_chap_masked.txt"),
          sessions=(SESSIONS_TWO_PORTALS, "tcp: [2] 10.0.2.15:3260,1 iqn.2026-11.test.lab:tgt1 (non-flash)\n"))
    iscsiadm_fake.on(*NODE, "--logout", out=LOGOUT_OK)
    result, failed = run_module(iscsi_node, args(login=False))
    assert not failed, result
    assert iscsiadm_fake.writes() == [NODE + ("--logout",)]
    assert not any(OTHER_PORTAL in call for call in iscsiadm_fake.calls)
    assert result["logged_in"] is False and result["changed"] is True


def test_logout_when_session_vanished_is_not_a_change(run_module, iscsiadm_fake):
    given(iscsiadm_fake, record=fixture_text("node_record_chap.txt"),
          masked=fixture_text("node_record_chap_masked.txt"), sessions=(SESSION_ONE, NO_SESSIONS))
    iscsiadm_fake.on(*NODE, "--logout", rc=21, err=NO_MATCHING_SESSIONS)
    result, failed = run_module(iscsi_node, args(login=False))
    assert not failed, result
    assert result["changed"] is False


def test_absent_logs_out_then_deletes(run_module, iscsiadm_fake):
    given(iscsiadm_fake, record=fixture_text("node_record_chap.txt"), sessions=(SESSION_ONE, NO_SESSIONS))
    iscsiadm_fake.on(*NODE, "-o", "show", rc=21, err=NO_RECORDS)
    iscsiadm_fake.on(*NODE, "--logout", out=LOGOUT_OK)
    iscsiadm_fake.on(*NODE, "-o", "delete")
    result, failed = run_module(iscsi_node, args(state="absent"), diff=True)
    assert not failed, result
    assert iscsiadm_fake.writes() == [NODE + ("--logout",), NODE + ("-o", "delete")]
    assert result["record"] is None and result["logged_in"] is False
    assert result["diff"]["after"] == {"record": None, "logged_in": False}
    assert_no_secret(result, OLD_SECRET)


def test_absent_is_idempotent(run_module, iscsiadm_fake):
    given(iscsiadm_fake, record=None, sessions=(NO_SESSIONS, NO_SESSIONS))
    result, failed = run_module(iscsi_node, args(state="absent"))
    assert not failed, result
    assert result["changed"] is False and iscsiadm_fake.writes() == []


def test_missing_record_points_at_discovery(run_module, iscsiadm_fake):
    given(iscsiadm_fake, record=None)
    result, failed = run_module(iscsi_node, args(login=True))
    assert failed
    assert "no node record for target {0} at portal {1}".format(TARGET, PORTAL) in result["msg"]
    assert "iscsi_discovery" in result["msg"] and "create=true" in result["msg"]
    assert iscsiadm_fake.writes() == []


def test_create_adds_a_static_record_then_applies(run_module, iscsiadm_fake):
    iscsiadm_fake.on(*NODE, "-o", "show", "-S", rc=21, err=NO_RECORDS)
    iscsiadm_fake.on("-m", "session", rc=21, err=NO_SESSIONS)
    iscsiadm_fake.on("-m", "session", out=SESSION_ONE)
    iscsiadm_fake.on(*NODE, "-o", "new",
                     out="New iSCSI node [tcp:[hw=,ip=,net_if=,iscsi_if=default] "
                         "192.168.77.10,3260,-1 iqn.2026-11.test.lab:tgt1] added\n")
    iscsiadm_fake.on(*NODE, "-o", "update", "-n", "node.startup", "-v", "automatic")
    iscsiadm_fake.on(*NODE, "--login", out=LOGIN_OK)
    iscsiadm_fake.on(*NODE, "-o", "show", out=fixture_text("node_record_chap_masked.txt"))
    result, failed = run_module(iscsi_node, args(create=True, startup="automatic", login=True))
    assert not failed, result
    assert iscsiadm_fake.writes() == [
        NODE + ("-o", "new"),
        NODE + ("-o", "update", "-n", "node.startup", "-v", "automatic"),
        NODE + ("--login",),
    ]


def test_startup_change_on_logged_in_node_needs_no_relogin(run_module, iscsiadm_fake):
    given(iscsiadm_fake, record=record_with(node__startup="manual"),
          masked=fixture_text("node_record_chap_masked.txt"), sessions=(SESSION_ONE,))
    iscsiadm_fake.on(*NODE, "-o", "update", "-n", "node.startup", "-v", "automatic")
    result, failed = run_module(iscsi_node, args(login=True, relogin=True, startup="automatic"))
    assert not failed, result
    assert iscsiadm_fake.writes() == [NODE + ("-o", "update", "-n", "node.startup", "-v", "automatic")]
    assert not any("next login" in warning for warning in result["warnings"])


def test_chap_switched_off_clears_names_and_secrets(run_module, iscsiadm_fake):
    given(iscsiadm_fake, record=fixture_text("node_record_chap.txt"),
          masked=fixture_text("node_record_new.txt"), sessions=(NO_SESSIONS,))
    iscsiadm_fake.on(*NODE, "-o", "update", "-n", "node.session.auth.authmethod", "-v", "None")
    iscsiadm_fake.on(*NODE, "-o", "update", "-n", "node.session.auth.username", "-v", "")
    iscsiadm_fake.on(*NODE, "-o", "update", "-n", "node.session.auth.password", "-v", "")
    result, failed = run_module(iscsi_node, args(chap_username=""))
    assert not failed, result
    assert [call[-3:] for call in iscsiadm_fake.writes()] == [
        ("node.session.auth.authmethod", "-v", "None"),
        ("node.session.auth.username", "-v", ""),
        ("node.session.auth.password", "-v", ""),
    ]
    assert_no_secret(result, OLD_SECRET)


def test_mutual_chap_sets_the_in_pair(run_module, iscsiadm_fake):
    given(iscsiadm_fake, record=fixture_text("node_record_chap.txt"),
          masked=fixture_text("node_record_chap_masked.txt"), sessions=(NO_SESSIONS,))
    iscsiadm_fake.on(*NODE, "-o", "update", "-n", "node.session.auth.username_in", "-v", "labtarget")
    iscsiadm_fake.on(*NODE, "-o", "update", "-n", "node.session.auth.password_in", "-v", "target-secret-16")
    result, failed = run_module(iscsi_node, args(chap_username="labuser", chap_password=OLD_SECRET,
                                                 chap_username_in="labtarget", chap_password_in="target-secret-16"))
    assert not failed, result
    assert len(iscsiadm_fake.writes()) == 2
    assert_no_secret(result, OLD_SECRET, "target-secret-16")


def test_any_node_setting_booleans_and_numbers(run_module, iscsiadm_fake):
    given(iscsiadm_fake, record=fixture_text("node_record_chap.txt"),
          masked=fixture_text("node_record_chap_masked.txt"), sessions=(NO_SESSIONS,))
    iscsiadm_fake.on(*NODE, "-o", "update", "-n", "node.session.timeo.replacement_timeout", "-v", "5")
    iscsiadm_fake.on(*NODE, "-o", "update", "-n", "node.session.iscsi.InitialR2T", "-v", "Yes")
    result, failed = run_module(iscsi_node, args(settings={
        "node.session.timeo.replacement_timeout": 5,
        "node.session.iscsi.InitialR2T": True,
        "node.session.iscsi.ImmediateData": True,       # already Yes: no write
        "node.conn[0].timeo.login_timeout": 15,         # already 15: no write
    }))
    assert not failed, result
    assert [call[-3:] for call in iscsiadm_fake.writes()] == [
        ("node.session.timeo.replacement_timeout", "-v", "5"),
        ("node.session.iscsi.InitialR2T", "-v", "Yes"),
    ]


@pytest.mark.parametrize("extra, fragment", [
    ({"target": "foo/../bar"}, "target: 'foo/../bar' must not contain '/'"),
    ({"target": "iqn.2026-11.test.lab:a b"}, "target: 'iqn.2026-11.test.lab:a b' must not contain whitespace"),
    ({"iface": "../default"}, "iface: '../default' must not contain '/'"),
    ({"iface": "x" * 65}, "iface: '" + "x" * 65 + "' is longer than 64 bytes"),
    ({"port": "010"}, "port: must be a TCP port"),
    ({"portal": "010.0.0.1"}, "portal: '010.0.0.1' is read as a number"),
    ({"chap_username": "u", "chap_password": "short-pw"}, "chap_password: must be at least 12 characters"),
    ({"chap_username": "u", "chap_password": "has=equals-in-it"}, "chap_password: must not contain whitespace, '='"),
    ({"chap_username": "u", "chap_password": "line\nbreak-secret"}, "chap_password: must not contain control"),
    ({"chap_username": "u", "chap_password": " lead-blank-secret"}, "chap_password: must not begin or end"),
    ({"chap_username": "u", "chap_password": "p" * 256}, "chap_password: is longer than 255 bytes"),
    ({"chap_username": "u u", "chap_password": "p" * 12}, "chap_username: must not contain whitespace"),
    ({"chap_username": "u", "chap_password": "p" * 12, "chap_username_in": "t", "chap_password_in": "in-short"},
     "chap_password_in: must be at least 12 characters"),
    ({"chap_secret_check": "none", "chap_username": "u", "chap_password": "cr\rsecret"},
     "chap_password: must not contain control"),
    ({"settings": {"node.session.timeo.replacement_timeout": "5\nnode.startup = automatic"}},
     "must not contain control characters or line breaks"),
    ({"portal": "192.168.77.10:3260", "port": 3261}, "names port 3260 but port is 3261"),
    ({"chap_password": "only-a-secret1"}, "chap_username: is required"),
    ({"chap_username": "labuser"}, "chap_password: is required"),
    ({"chap_username": "u", "chap_password": "p" * 12, "chap_username_in": "t"}, "both chap_username_in and"),
    ({"chap_username": "u", "chap_password": "p" * 12, "chap_username_in": "t", "chap_password_in": "p" * 12},
     "must differ"),
    ({"settings": {"node.session.auth.password": "x"}}, "chap_password"),
    ({"settings": {"node.conn[0].address": "1.2.3.4"}}, "identifies the record"),
    ({"settings": {"iface.mtu": 9000}}, "not a node.* setting"),
    ({"settings": {"node.startup": "manual"}, "startup": "automatic"}, "conflicts with startup=automatic"),
    ({"settings": {"node.session.auth.username": "x"}, "chap_username": "u", "chap_password": "p" * 12},
     "conflicts with the chap_"),
    ({"state": "absent", "login": True}, "login: cannot be true with state=absent"),
])
def test_bad_requests_fail_before_anything_runs(run_module, iscsiadm_fake, extra, fragment):
    result, failed = run_module(iscsi_node, args(**extra))
    assert failed
    assert fragment in result["msg"]
    assert iscsiadm_fake.calls == []
    assert_no_secret(result, "only-a-secret1", "p" * 12, "short-pw", "has=equals-in-it", "line\nbreak-secret",
                     "lead-blank-secret", "in-short", "cr\rsecret")


def test_several_iface_records_need_iface(run_module, iscsiadm_fake):
    two = fixture_text("node_record_chap.txt") + record_with(iface__iscsi_ifacename="eth1")
    iscsiadm_fake.on(*NODE, "-o", "show", "-S", out=two)
    result, failed = run_module(iscsi_node, args(login=True))
    assert failed
    assert "has 2 records (ifaces default, eth1)" in result["msg"]
    assert_no_secret(result, OLD_SECRET)
