# Copyright: scst.iscsi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The initiator half on the collection's common errors, masking and plan: every refusal names an
option of the module and the rule, never a secret; secrets are masked the common way; a plan counts
what it changes the same way for both halves."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from iscsi_unit_support import PORTAL, TARGET

from ansible_collections.scst.iscsi.plugins.module_utils.common import plan as common_plan
from ansible_collections.scst.iscsi.plugins.module_utils.common.errors import ModuleError, ValidationError
from ansible_collections.scst.iscsi.plugins.module_utils.common.masking import MASK
from ansible_collections.scst.iscsi.plugins.module_utils.iscsi import errors as iscsi_errors
from ansible_collections.scst.iscsi.plugins.module_utils.iscsi.initiator import Chap, Plan
from ansible_collections.scst.iscsi.plugins.module_utils.iscsi.iscsiadm import Iscsiadm
from ansible_collections.scst.iscsi.plugins.module_utils.iscsi.model import SECRET_SETTINGS, mask_settings
from ansible_collections.scst.iscsi.plugins.modules import iscsi_devices, iscsi_discovery, iscsi_node

# Marks the generated secrets: no option name, rule or other generated value contains it, so a
# mark found in a failure is a leak (of the secret itself or of its repr) and not a coincidence.
MARK = "Qz#7"
HOSTILE = st.sampled_from(list("aZ9.-:_/ \t\n\x00\x7f\u00a0\u2028\u200b\u00e9=;\"{}[],%*"))
NAME = st.one_of(st.none(), st.text(HOSTILE, max_size=12), st.sampled_from(["", "x" * 300]))


def mostly(valid, hostile):
    """``valid`` four times in five (a strategy or a value), so that checks behind it are reached too."""
    valid = valid if isinstance(valid, st.SearchStrategy) else st.just(valid)
    return st.integers(0, 4).flatmap(lambda n: hostile if n == 0 else valid)


MARKED = st.builds(lambda a, pad, b: a + MARK + "p" * pad + b, st.text(HOSTILE, max_size=3),
                   st.sampled_from([0, 8, 300]), st.text(HOSTILE, max_size=3))
SECRET = mostly(MARKED, st.sampled_from([None, ""]))
PORT = st.one_of(st.none(), st.integers(-5, 70000), st.text(HOSTILE | st.sampled_from("0123456789"), max_size=6),
                 st.booleans(), st.floats(allow_nan=False))
PORTAL_TEXT = st.one_of(st.sampled_from(["192.168.77.10", "192.168.77.10:3260", "[fd00::1]:3261", "010.0.0.1",
                                         "192.168.77.10,1", "san.example.com", "127.1", ""]),
                        st.text(HOSTILE | st.sampled_from("0123456789"), max_size=20))


def defaults(module) -> dict:
    return {name: spec.get("default") for name, spec in module.argument_spec().items()}


def refusal_of(make) -> dict | None:
    """``make()``'s ValidationError as the module reports it, or None when it was accepted."""
    try:
        make()
    except ValidationError as exc:
        return exc.result()
    return None


def assert_names_an_option(result: dict, module) -> None:
    assert result["field"] in module.argument_spec(), result
    assert result["msg"].startswith("{0}: {1}".format(result["field"], result["rule"])), result


CHAP = dict(chap_username=mostly("user1", NAME), chap_password=SECRET, chap_username_in=mostly("target1", NAME),
            chap_password_in=SECRET, chap_secret_check=st.sampled_from(["scst", "none"]))


@settings(max_examples=400, deadline=None)
@given(params=st.fixed_dictionaries(dict(
    CHAP, target=mostly(TARGET, st.text(HOSTILE, max_size=20)), portal=mostly(PORTAL, PORTAL_TEXT),
    port=mostly(None, PORT), iface=mostly(None, st.text(HOSTILE, max_size=8)),
    state=st.sampled_from(["present", "absent"]), login=st.sampled_from([None, True, False]),
    startup=st.sampled_from([None, "automatic", "manual"]),
    settings=mostly({}, st.dictionaries(st.sampled_from(["node.startup", "iface.mtu", "node.session.auth.password",
                                                         "node.conn[0].address", "node.x\ny"]),
                                        st.text(HOSTILE, max_size=5), max_size=2)))))
def test_node_refusal_names_an_option_and_the_rule_never_a_secret(params):
    result = refusal_of(lambda: iscsi_node.build_request(dict(defaults(iscsi_node), **params)).validate())
    if result is not None:
        assert_names_an_option(result, iscsi_node)
        assert MARK not in json.dumps(result), result


@settings(max_examples=200, deadline=None)
@given(params=st.fixed_dictionaries(dict(
    CHAP, portal=mostly(PORTAL, PORTAL_TEXT), port=mostly(None, PORT), type=st.sampled_from(["sendtargets", "isns"]),
    state=st.sampled_from(["present", "absent"]), discover=st.booleans(), prune=st.booleans())))
def test_discovery_refusal_names_an_option_and_the_rule_never_a_secret(params):
    result = refusal_of(lambda: iscsi_discovery.build_request(dict(defaults(iscsi_discovery),
                                                                   **params)).validate())
    if result is not None:
        assert_names_an_option(result, iscsi_discovery)
        assert MARK not in json.dumps(result), result


@settings(max_examples=300)
@given(secret=MARKED, mutual=st.booleans(), check=st.sampled_from(["scst", "none"]))
def test_chap_secret_refusal_names_the_option_never_the_secret(secret, mutual, check):
    """Each rule (open-iscsi's, then SCST's under chap_secret_check=scst) fails naming the option."""
    other = "another-good-secret"
    chap = Chap(username="user1", password=other if mutual else secret, username_in="target1" if mutual else None,
                password_in=secret if mutual else None, check=check)
    result = refusal_of(lambda: chap.validate(what="target {0}".format(TARGET)))
    if result is not None:
        assert result["field"] == ("chap_password_in" if mutual else "chap_password"), result
        assert MARK not in json.dumps(result), result


@pytest.mark.parametrize("module,extra,field", [
    (iscsi_devices, {"port": 3260}, "port"),
    (iscsi_devices, {"wait_timeout": -1}, "wait_timeout"),
    (iscsi_devices, {"min_devices": -1}, "min_devices"),
    (iscsi_devices, {"target": "a/b"}, "target"),
    (iscsi_discovery, {"portal": PORTAL, "type": "isns", "chap_username": "u", "chap_password": "p" * 12}, "type"),
    (iscsi_discovery, {"portal": "192.168.77.10:0x10"}, "portal"),
    (iscsi_node, {"target": TARGET, "portal": PORTAL, "chap_username": "u", "chap_password": "p" * 12,
                  "chap_username_in": "t"}, "chap_password_in"),
    (iscsi_node, {"target": TARGET, "portal": PORTAL, "chap_username": "u", "chap_password": "p" * 12,
                  "chap_password_in": "q" * 12}, "chap_username_in"),
    (iscsi_node, {"target": TARGET, "portal": PORTAL, "chap_password": "p" * 12}, "chap_username"),
])
def test_module_reports_the_field_and_rule_before_iscsiadm_runs(run_module, iscsiadm_fake, module, extra, field):
    result, failed = run_module(module, extra)
    assert failed and iscsiadm_fake.calls == []
    assert result["field"] == field, result
    assert_names_an_option(result, module)
    assert "p" * 12 not in json.dumps(result) and "q" * 12 not in json.dumps(result)


def test_initiator_errors_are_module_errors_reported_with_their_details():
    exc = iscsi_errors.IscsiadmError("login failed", rc=24, command=["iscsiadm", "-v", MASK])
    assert isinstance(exc, ModuleError)
    assert exc.result() == {"msg": "login failed", "rc": 24, "command": ["iscsiadm", "-v", MASK],
                            "stdout": "", "stderr": ""}
    assert str(exc) == exc.msg == "login failed"


SETTING_NAMES = st.sampled_from(sorted(SECRET_SETTINGS) + ["node.startup", "node.session.auth.username",
                                                           "discovery.sendtargets.auth.username"])


@given(record=st.dictionaries(SETTING_NAMES, st.text(HOSTILE, max_size=20)))
def test_mask_settings_hides_every_secret_and_keeps_the_rest(record):
    masked = mask_settings(record)
    assert list(masked) == list(record)
    for name, value in record.items():
        expected = MASK if name in SECRET_SETTINGS and value else value
        assert masked[name] == expected, (name, value, masked)


# -- the plan ----------------------------------------------------------------------------------

SECRET_CHARS = "ab=\u00e9"
SECRETS = st.lists(st.text(st.sampled_from(SECRET_CHARS), min_size=1, max_size=3), max_size=4)


@settings(max_examples=500, suppress_health_check=[HealthCheck.too_slow])
@given(secrets=SECRETS, text=st.text(st.sampled_from("XYZ"), max_size=5), order=st.randoms())
def test_a_step_description_shows_no_part_of_a_secret(secrets, text, order):
    """Secrets written side by side, overlapping ("a" inside "aab") or in any order are masked
    whole: no character of one is left beside the mask, in a plan or in iscsiadm's output."""
    written = list(secrets)
    order.shuffle(written)
    step = common_plan.Step(text + "".join(written) + text, secrets=secrets)
    assert not set(step.description) & set(SECRET_CHARS), (secrets, written, step.description)
    iscsiadm = Iscsiadm(run_command=None)
    for secret in secrets:
        iscsiadm.add_secret(secret)
    assert iscsiadm.scrub(step.what) == step.description


def test_secrets_that_overlap_leave_no_fragment():
    assert common_plan.Step("x=;;;y", secrets=[";;", "=;"]).description == "x{0}y".format(MASK)


def test_plan_counts_changes_and_applied_steps():
    plan = Plan(warnings=["a warning"])
    assert not plan and not plan.changed and plan.diff() == {"before": {}, "after": {}}
    plan.add("discover", "discover targets", kind="sendtargets")
    assert len(plan) == 1 and not plan.changed  # a discovery's additions are counted by its caller
    plan.add("login", "log in to {0}".format(TARGET), target=TARGET)
    plan.add("update_node", "set node.session.auth.password = {0} (changed)".format(MASK),
             name="node.session.auth.password", value="n3w-secret-14c")
    assert plan.changed and plan.applied() == []
    assert plan.descriptions() == ["discover targets", "log in to {0}".format(TARGET),
                                   "set node.session.auth.password = ******** (changed)"]
    assert plan.warnings == ["a warning"]
    for step in plan.steps:
        step.done = True
    plan.steps[1].done = False  # the session was already there (exit 15)
    assert [step.action for step in plan.applied()] == ["update_node"]
    assert plan.changed
    plan.steps[2].done = False
    assert not plan.changed and plan.applied() == []
