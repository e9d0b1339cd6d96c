# Copyright: scst.iscsi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One rule for multipath names: the iscsi_initiator role's preflight asks the module's own
checks (the filter scst.iscsi.iscsi_multipath_error over module_utils), so the role and
scst.iscsi.iscsi_multipath refuse the same WWIDs and aliases, with the same words.

The role side is the preflight file itself: its multipath tasks' ``vars`` and ``that`` are
evaluated with Jinja, the collection's filter and Ansible's ``match`` test, on the role's
defaults with generated names."""

from __future__ import annotations

import functools
import json
import re
import subprocess

import jinja2
import pytest
import yaml
from hypothesis import HealthCheck, given, settings, strategies as st

from iscsi_unit_support import COLLECTION_ROOT, ansible_playbook, fake_iscsiadm_environment

from ansible_collections.scst.iscsi.plugins.filter.iscsi_multipath import FilterModule
from ansible_collections.scst.iscsi.plugins.module_utils.iscsi import multipath as multipath_utils
from ansible_collections.scst.iscsi.plugins.modules import iscsi_multipath

ROLE = COLLECTION_ROOT / "roles" / "iscsi_initiator"
PREFLIGHT = ROLE / "tasks" / "preflight.yml"
PLAYBOOK = COLLECTION_ROOT / "tests" / "unit" / "iscsi" / "playbooks" / "role_sessions.yml"
PREFIX = "iscsi_initiator_multipath_"
WWID = "3600140512345678"

# The names no rule may let through (NUL, newline, '/', '..', blanks, too long, not ASCII),
# and some a rule must let through.
HOSTILE = ["", ".", "..", "a/b", "../etc", "a b", " a", "a\nb", "a\x00b", "a\tb", "x" * 128, "\u00e4",
           "a\u00e4", "-a", "_a", "a\"b", "a'b", "a{b}", "a;b", "a\\b", "a$b", "a*b", "a#b"]
FAIR = ["a", "data0", WWID, "x" * 127, "1-a.b:c+d=e@f_g"]
NAMES = st.one_of(
    st.sampled_from(HOSTILE + FAIR),
    st.text(max_size=140),
    st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_.:,+=@-]{0,130}", fullmatch=True),
    st.integers(min_value=0),  # a WWID of digits that YAML reads as a number
)


def _match(value, pattern):
    """Ansible's ``match`` test."""
    return re.match(pattern, value) is not None


def _jinja():
    env = jinja2.Environment(undefined=jinja2.StrictUndefined)
    env.filters.update({"scst.iscsi." + name: function for name, function in FilterModule().filters().items()})
    env.tests["match"] = _match
    return env


def preflight_multipath_tasks() -> list:
    tasks = yaml.safe_load(PREFLIGHT.read_text())
    found = [task for task in tasks if str(task.get("when", "")).strip() == "iscsi_initiator_multipath | bool"]
    assert found, "no multipath task in " + str(PREFLIGHT)
    return found


def role_error(variables: dict) -> str:
    """The fail_msg of the first multipath assert of the preflight that fails; empty when all hold."""
    env = _jinja()
    defaults = yaml.safe_load((ROLE / "defaults" / "main.yml").read_text())
    context = dict(defaults, iscsi_initiator_multipath=True, **variables)
    for task in preflight_multipath_tasks():
        scope = dict(context)
        for name, template in (task.get("vars") or {}).items():
            scope[name] = env.from_string(template).render(scope)
        assertion = task["ansible.builtin.assert"]
        that = assertion["that"] if isinstance(assertion["that"], list) else [assertion["that"]]
        if not all(env.compile_expression(condition)(**scope) for condition in that):
            return env.from_string(assertion["fail_msg"]).render(scope).strip()
    return ""


@pytest.fixture
def module_error(run_module, monkeypatch, tmp_path):
    """The message iscsi_multipath fails with (check mode, nothing written); empty when it succeeds."""
    monkeypatch.setattr(iscsi_multipath, "MultipathSysfs",
                        functools.partial(multipath_utils.MultipathSysfs, sys_root=str(tmp_path / "sys")))
    conf = str(tmp_path / "conf.d" / "scst-iscsi.conf")

    def error(options: dict) -> str:
        result, failed = run_module(iscsi_multipath, dict(options, path=conf), check_mode=True)
        return result["msg"] if failed else ""

    return error


def placements(name):
    """Every place a name can take in the variables: the allow-list, an alias's WWID, an alias."""
    return [
        {"wwids": [name]},
        {"wwids": [name, name]},
        {"aliases": [{"wwid": name, "alias": "data0"}]},
        {"aliases": [{"wwid": WWID, "alias": name}]},
        {"wwids": [WWID], "aliases": [{"wwid": WWID, "alias": name}]},
    ]


def assert_same_verdict(module_error, variables):
    role = role_error({PREFIX + key: value for key, value in variables.items()})
    module = module_error(variables)
    assert bool(role) == bool(module), (variables, role, module)
    if module:
        assert role == PREFIX + module, (variables, role, module)


@pytest.mark.parametrize("name", HOSTILE)
def test_the_role_and_the_module_refuse_each_hostile_name(module_error, name):
    for variables in placements(name):
        assert module_error(variables), variables
        assert_same_verdict(module_error, variables)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=NAMES, other=NAMES)
def test_the_role_and_the_module_agree_on_every_name(module_error, name, other):
    for variables in placements(name) + [{"aliases": [{"wwid": name, "alias": other}]},
                                         {"wwids": [name, other]}]:
        assert_same_verdict(module_error, variables)


def test_the_preflight_repeats_no_rule_of_the_module():
    """The multipath names are checked by the filter only, not by patterns of the role's own."""
    for task in preflight_multipath_tasks():
        text = json.dumps(task)
        if "wwids" in text or "aliases" in text:
            assert "scst.iscsi.iscsi_multipath_error" in text
            assert " match" not in text and "'match'" not in text and "search" not in text, task["name"]


@pytest.mark.skipif(ansible_playbook() is None, reason="ansible-playbook is not installed beside this Python")
def test_the_preflight_stops_a_hostile_alias_through_ansible(tmp_path):
    """The filter runs in the real preflight and stops the role with the module's words."""
    variables = tmp_path / "vars.json"
    variables.write_text(json.dumps({"iscsi_initiator_multipath": True,
                                     "iscsi_initiator_multipath_aliases": [{"wwid": WWID, "alias": "../data0"}]}))
    done = subprocess.run([ansible_playbook(), "-i", "localhost,", "-e", "@" + str(variables),
                           "--tags", "iscsi_initiator_preflight", str(PLAYBOOK)],
                          cwd=str(tmp_path), env=fake_iscsiadm_environment(tmp_path, {}), capture_output=True,
                          text=True, timeout=300, check=False)
    output = done.stdout + done.stderr
    assert done.returncode != 0, output[-4000:]
    assert "iscsi_initiator_multipath_aliases[0].alias: '../data0' must start with a letter or digit" in output, \
        output[-4000:]


@pytest.mark.parametrize("value, refused", [(15, False), ("0", False), ("15\n", True), ("-1", True), ("1.5", True)])
def test_the_replacement_timeout_is_a_whole_number_of_seconds(value, refused):
    """The one multipath variable that is the role's own (the module has no such option)."""
    message = role_error({"iscsi_initiator_multipath_replacement_timeout": value})
    assert bool(message) == refused, message
    assert not refused or message.startswith("iscsi_initiator_multipath_replacement_timeout: ")
