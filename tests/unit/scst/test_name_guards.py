"""Laws of names, for any generated hostile name through every name option of the SCST modules:

* either the module fails before any write with ``<field>: <rule>``,
* or the name is used, and then every sysfs write stays inside the object's own directory or
  is the management file of its parent, the name is exactly one lexem of every management
  command, check mode predicts the writes, the name reads back (scst_info) and it survives
  scst.conf (the file scst_config persists parses back to the running configuration).
"""

from __future__ import annotations

import pathlib
import posixpath
import tempfile

from hypothesis import HealthCheck, example, find, given, settings, strategies as st

from scst_emulator import ScstEmulator
from scst_emulator.lexer import Cursor
from scst_unit_support import TGT, Runner, planned

from ansible_collections.scst.iscsi.plugins.module_utils.scst import values
from ansible_collections.scst.iscsi.plugins.module_utils.scst.conf import normalise_config, parse_scst_conf
from ansible_collections.scst.iscsi.plugins.module_utils.scst.errors import ValidationError

SECRET = "a-good-secret-99"
# Characters that split commands, end lines, cannot be written in scst.conf, are path
# separators, escapes or patterns, look like nothing, or take several UTF-8 bytes.
CHARS = list("aZ9.-:_#!*?/\\ \t\n\r\x00\x1b\x7f\x85\u00a0\u2028\u200b\ufeff\u00e9\u20ac\U0001f600\"{};=[]$'`%@,+~")
RESERVED_LIKE = [".", "..", "/", "../x", "a/..", "mgmt", "type", "trace_level", "enabled", "version", "open_state",
                 "IncomingUser", "IncomingUser12", "OutgoingUser", "luns", "ini_groups", "sessions", "initiators",
                 "devices", "handler", "exported", "0:0:0:0", "#", "\\#", "a#b", "\\", "[key]", "-", "*", "!x"]
HOSTILE = st.one_of(
    st.text(max_size=24),                                     # any Unicode but lone surrogates
    st.text(st.sampled_from(CHARS), max_size=14),
    st.sampled_from(RESERVED_LIKE),
    st.text(st.sampled_from("a\u00e9\U0001f600#\\"), min_size=20, max_size=140),   # long in bytes
)
# Tried every run, whatever the generator draws.
EXAMPLES = [".", "..", "a/b", "{", '"', "}", "mgmt", "enabled", "a#b", "\\#", "x\\", "\u00e9" * 40,
            "h\U0001f600st", "\u200b", "a\u00a0b"]


def with_examples(test):
    for name in EXAMPLES:
        test = example(name=name)(test)
    return test


PROFILE = settings(max_examples=120, deadline=None,
                   suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


class _Patch(object):
    def __init__(self):
        self._undo = []

    def setattr(self, obj, name, value):
        self._undo.append((obj, name, getattr(obj, name)))
        setattr(obj, name, value)

    def undo(self):
        for obj, name, value in reversed(self._undo):
            setattr(obj, name, value)


def _host():
    """A fresh emulated host with one device, one target and one group; returns (run, patch, tmp)."""
    patch = _Patch()
    tmp = pathlib.Path(tempfile.mkdtemp())
    run = Runner(ScstEmulator(), patch, tmp)
    for module, args in (("scst_device", {"name": "disk1", "handler": "vdisk_nullio"}),
                         ("scst_target", {"name": TGT}),
                         ("scst_group", {"target": TGT, "name": "hosts"})):
        assert not run(module, args)["failed"]
    return run, patch, tmp


def _lexems(command):
    cursor, words = Cursor(command), []
    while True:
        word = cursor.lexem()
        if not word:
            return words
        words.append(word)


def _assert_one_component(path, depth):
    """``path`` has exactly ``depth`` components, none of them '', '.' or '..'."""
    parts = path.split("/")
    assert posixpath.normpath(path) == path, path
    assert len(parts) == depth and not set(parts) & {"", ".", ".."}, path


def _check(kind, build, name, allowed):
    """Run the module on a fresh host; ``allowed(name, path, data)`` judges each write.

    ``build(name, tmp)`` gives the module, its arguments and the field its errors and
    warnings must start with (``config.`` for a prefix of scst_config's fields).
    """
    run, patch, tmp = _host()
    try:
        module, args, field = build(name, tmp)
        prefix = field if field.endswith(".") else field + ": "
        predicted = run(module, args, check=True)
        if predicted["failed"]:
            assert run.writes == []
            assert predicted["msg"].startswith(prefix), (name, predicted["msg"])
            real = run(module, args)
            assert real["failed"] and real["msg"] == predicted["msg"] and run.writes == []
            if kind:
                _assert_validator_refuses(kind, name)
            return None
        real = run(module, args)
        assert not real["failed"], (name, real)
        assert planned(real) == planned(predicted)
        assert [w[0] for w in run.writes] == [w[0] for w in planned(real)]     # planned() masks secrets
        for path, data in run.writes:
            assert allowed(name, path, data), (name, path, data)
        for warning in real["warnings"]:
            assert warning.startswith(prefix), warning
        info = run("scst_info")["scst"]
        _assert_round_trip(info)
        return info
    finally:
        patch.undo()


def _assert_validator_refuses(kind, name):
    """The module's refusal is the rule table's, not an accident further down."""
    validate = {"device": values.device_name, "target": values.target_name, "group": values.group_name,
                "initiator": values.initiator_name, "user": values.chap_user,
                "portal": values.portal_pattern}[kind]
    try:
        validate("x", name)
    except ValidationError:
        return
    raise AssertionError("the module refused %r, the validator did not" % (name,))


def _assert_round_trip(info):
    """What scst.conf would hold reads back as the running configuration."""
    from ansible_collections.scst.iscsi.plugins.module_utils.scst.conf import render_scst_conf

    text = render_scst_conf(info, mask_secrets=True)
    parsed, report = parse_scst_conf(text)
    assert report == [], report
    assert parsed == normalise_config(info)


# -- the options ---------------------------------------------------------------------------------

@PROFILE
@given(name=HOSTILE)
@with_examples
def test_device_name(name):
    def allowed(n, path, data):
        if path == "handlers/vdisk_nullio/mgmt":
            return _lexems(data) == ["add_device", n]
        _assert_one_component(path, 3)
        return path.split("/")[:2] == ["devices", n]

    info = _check("device", lambda n, _t: ("scst_device", {"name": n, "handler": "vdisk_nullio"}, "name"),
                  name, allowed)
    if info is not None:
        assert name in info["handlers"]["vdisk_nullio"]["devices"]


@PROFILE
@given(name=HOSTILE)
@with_examples
def test_target_name(name):
    def allowed(n, path, data):
        if path == "targets/iscsi/mgmt":
            return _lexems(data) == ["add_target", n]
        _assert_one_component(path, 4)
        return path.split("/")[:3] == ["targets", "iscsi", n]

    info = _check("target", lambda n, _t: ("scst_target", {"name": n, "enabled": True}, "name"), name, allowed)
    if info is not None:
        assert info["drivers"]["iscsi"]["targets"][name]["enabled"] is True


@PROFILE
@given(name=HOSTILE)
@with_examples
def test_group_name(name):
    def allowed(n, path, data):
        base = "targets/iscsi/%s/ini_groups" % TGT
        if path == base + "/mgmt":
            return _lexems(data) == ["create", n]
        if path == "%s/%s/luns/mgmt" % (base, n):
            return _lexems(data) == ["add", "disk1", "0"]
        return False

    def build(n, _tmp):
        return "scst_group", {"target": TGT, "name": n, "luns": [{"lun": 0, "device": "disk1"}]}, "name"

    info = _check("group", build, name, allowed)
    if info is not None:
        assert info["drivers"]["iscsi"]["targets"][TGT]["groups"][name]["luns"][0]["device"] == "disk1"


@PROFILE
@given(name=HOSTILE)
@with_examples
def test_initiator_name(name):
    def allowed(n, path, data):
        return (path == "targets/iscsi/%s/ini_groups/hosts/initiators/mgmt" % TGT
                and _lexems(data) == ["add", n])

    def build(n, _tmp):
        return "scst_group", {"target": TGT, "name": "hosts", "initiators": [n]}, "initiators[0]"

    info = _check("initiator", build, name, allowed)
    if info is not None:
        assert info["drivers"]["iscsi"]["targets"][TGT]["groups"]["hosts"]["initiators"] == [name]


@PROFILE
@given(name=HOSTILE)
@with_examples
def test_chap_user_name(name):
    def allowed(n, path, data):
        return path == "targets/iscsi/mgmt" and _lexems(data) == [
            "add_target_attribute", TGT, "IncomingUser", n, SECRET]

    def build(n, _tmp):
        return "scst_chap", {"target": TGT, "username": n, "password": SECRET}, "username"

    info = _check("user", build, name, allowed)
    if info is not None:
        users = [a["username"] for a in info["drivers"]["iscsi"]["targets"][TGT]["chap"]["incoming"]]
        assert users == [name]


@PROFILE
@given(name=HOSTILE)
@with_examples
def test_allowed_portal(name):
    def allowed(n, path, data):
        return path == "targets/iscsi/mgmt" and _lexems(data) == ["add_target_attribute", TGT, "allowed_portal", n]

    def build(n, _tmp):
        return "scst_target", {"name": TGT, "allowed_portals": [n]}, "allowed_portals[0]"

    info = _check("portal", build, name, allowed)
    if info is not None:
        assert info["drivers"]["iscsi"]["targets"][TGT]["allowed_portals"] == [name]


@PROFILE
@given(device=HOSTILE, target=HOSTILE)
@example(device="{", target="t")
@example(device="d#1\\", target="t#1\\")
@example(device="d", target="..")
def test_names_in_a_whole_host_configuration_are_persisted_and_read_back(device, target):
    """scst_config: names as mapping keys; the file it writes parses back to the running configuration."""
    def build(_n, tmp):
        config = {"handlers": {"vdisk_nullio": {"devices": {device: {}}}},
                  "drivers": {"iscsi": {"targets": {target: {"luns": {0: {"device": device}}}}}}}
        return "scst_config", {"config": config, "config_file": str(tmp / "scst.conf")}, "config."

    def allowed(_n, path, data):
        if path == "handlers/vdisk_nullio/mgmt":
            return _lexems(data) == ["add_device", device]
        if path == "targets/iscsi/mgmt":
            return _lexems(data) == ["add_target", target]
        return path == "targets/iscsi/%s/luns/mgmt" % target and _lexems(data) == ["add", device, "0"]

    holder = {}

    def build_and_remember(n, t):
        holder["file"] = t / "scst.conf"
        return build(n, t)

    info = _check(None, build_and_remember, device, allowed)
    if info is None:
        return
    assert info["drivers"]["iscsi"]["targets"][target]["luns"][0]["device"] == device
    parsed, report = parse_scst_conf(holder["file"].read_text())
    assert report == []
    assert parsed["handlers"]["vdisk_nullio"]["devices"][device] == {"attributes": {}}
    assert parsed["drivers"]["iscsi"]["targets"][target]["luns"][0]["device"] == device


def _accepted(name):
    try:
        values.target_name("x", name)
    except ValidationError:
        return False
    return True


def test_the_strategy_yields_accepted_and_refused_names():
    """Guard against a vacuous property: the generator reaches both outcomes."""
    assert _accepted(find(HOSTILE, _accepted))
    assert not _accepted(find(HOSTILE, lambda name: not _accepted(name)))
    assert _accepted(find(HOSTILE, lambda name: _accepted(name) and len(name.encode("utf-8")) > 200))
    assert _accepted(find(HOSTILE, lambda name: _accepted(name) and "#" in name and "\\" in name))


PATH_NAMES = [
    (values.device_name, lambda n: "devices/%s" % n, 2),
    (values.driver_name, lambda n: "targets/%s" % n, 2),
    (values.target_name, lambda n: "targets/iscsi/%s" % n, 3),
    (values.group_name, lambda n: "targets/iscsi/t/ini_groups/%s" % n, 5),
    (values.initiator_name, lambda n: "targets/iscsi/t/ini_groups/g/initiators/%s" % n, 7),
    (values.device_group_name, lambda n: "device_groups/%s" % n, 2),
    (values.target_group_name, lambda n: "device_groups/dg/target_groups/%s" % n, 4),
    (values.target_group_member, lambda n: "device_groups/dg/target_groups/tg/%s" % n, 5),
]


@settings(max_examples=300, deadline=None)
@given(name=HOSTILE, which=st.integers(0, len(PATH_NAMES) - 1))
@example(name="..", which=1)
@example(name="mgmt", which=5)
@example(name="state", which=7)
def test_every_accepted_name_is_one_path_component_that_is_no_file_of_its_parent(name, which):
    """For every validator of a name that becomes a sysfs file or directory (including the ALUA
    ones): an accepted name is one component, not '.'/'..', not the parent's mgmt file."""
    validate, path_of, depth = PATH_NAMES[which]
    try:
        text = validate("f", name)
    except ValidationError as exc:
        assert exc.field == "f" and exc.rule
        return
    _assert_one_component(path_of(text), depth)
    if validate is not values.driver_name:      # targets/ holds only driver directories
        assert text != "mgmt"
    if validate is values.target_group_member:
        assert text not in ("group_id", "preferred", "state")
