"""Bad requests: each fails naming the field and the rule, and writes nothing.

The emulator starts with a realistic configuration so a careless module would
have something to damage; after each bad request the write log must be empty.
"""

from __future__ import annotations

import pytest

from scst_unit_support import TGT

GOOD_PW = "a-good-secret-99"

CASES = [
    # (module, args, expected text in msg)
    ("scst_device", {"name": "bad name", "handler": "vdisk_nullio"}, "name: must not contain whitespace"),
    ("scst_device", {"name": "x;del_device disk1", "handler": "vdisk_nullio"}, "name: must not contain whitespace, ';'"),
    ("scst_device", {"name": "a=b", "handler": "vdisk_nullio"}, "name: must not contain"),
    ("scst_device", {"name": "line\nbreak", "handler": "vdisk_nullio"}, "name: must not contain"),
    ("scst_device", {"name": "d" * 65, "handler": "vdisk_nullio"}, "name: device name is longer than 64 bytes"),
    ("scst_device", {"name": "has.dot", "handler": "vdisk_nullio"}, "name: a virtual device name must not contain '/' or '.'"),
    ("scst_device", {"name": "", "handler": "vdisk_nullio"}, "name: must not be empty"),
    # found by the property test: a device named like a file of the handler's directory
    ("scst_device", {"name": "trace_level", "handler": "vdisk_blockio", "filename": "/dev/sdx"},
     "name: must not be mgmt, type, trace_level"),
    ("scst_device", {"name": "mgmt", "handler": "vdisk_nullio"}, "name: must not be mgmt, type, trace_level"),
    ("scst_device", {"name": "d9", "handler": "vdisk_fileio"}, "filename: is required for vdisk_fileio"),
    ("scst_device", {"name": "d9", "handler": "vdisk_fileio", "filename": "relative.img"}, "filename: must be an absolute path"),
    ("scst_device", {"name": "d9", "handler": "vdisk_fileio", "filename": "/srv/a b.img"}, "filename: must not contain whitespace"),
    ("scst_device", {"name": "d9", "handler": "vdisk_nullio", "filename": "/srv/x.img"}, "filename: only vdisk_fileio, vdisk_blockio and vcdrom"),
    ("scst_device", {"name": "d9", "handler": "vdisk_nullio", "attributes": {"blocksize": 1000}}, "attributes.blocksize: must be a power of two"),
    ("scst_device", {"name": "d9", "handler": "vdisk_nullio", "attributes": {"blocksize": 256}}, "attributes.blocksize: must be between 512"),
    ("scst_device",
     {"name": "d9", "handler": "vdisk_nullio", "attributes": {"nv_cache": 1}},
     "attributes.nv_cache: nv_cache is not a managed device attribute for vdisk_nullio"),
    ("scst_device", {"name": "d9", "handler": "vdisk_nullio", "attributes": {"read_only": 2}}, "attributes.read_only: must be a boolean"),
    ("scst_device",
     {"name": "d9", "handler": "vdisk_nullio", "attributes": {"size_mb": "010"}},
     "attributes.size_mb: must be a plain decimal integer"),
    ("scst_device",
     {"name": "d9", "handler": "vdisk_fileio", "filename": "/srv/x", "attributes": {"read_only": 1, "nv_cache": 1}},
     "attributes.read_only: cannot be combined with write_through or nv_cache"),
    ("scst_device",
     {"name": "d9", "handler": "vdisk_fileio", "filename": "/srv/x", "attributes": {"o_direct": 1}},
     "attributes.o_direct: needs async: 1"),
    ("scst_device",
     {"name": "d9", "handler": "vdisk_fileio", "filename": "/srv/x", "attributes": {"t10_vend_id": "TOO-LONG-VENDOR"}},
     "attributes.t10_vend_id: must be at most 8 bytes"),
    ("scst_device",
     {"name": "d9", "handler": "vdisk_fileio", "filename": "/srv/x", "attributes": {"naa_id": "0x1234"}},
     "attributes.naa_id: must be 16 or 32 hex digits"),
    ("scst_device",
     {"name": "d9", "handler": "vcdrom", "attributes": {"size": 4096}},
     "attributes.size: give the size of a nullio device as size_mb"),
    ("scst_device",
     {"name": "d9", "handler": "vdisk_fileio", "filename": "/srv/x", "attributes": {"size": 4096, "size_mb": 1}},
     "attributes.size_mb: give the wanted size once, as size or as size_mb"),
    ("scst_device", {"name": "2:0:0", "handler": "dev_disk"}, "name: a pass-through device is named H:C:I:L"),
    ("scst_target", {"name": "iqn.2026-11.com.example:has space"}, "name: must not contain whitespace"),
    ("scst_target", {"name": "iqn.2026-11.com.example:" + "a" * 260}, "name: target name is longer than 255 bytes"),
    ("scst_target", {"name": "iqn.2026-11.com.example:slash/x"}, "name: must not contain '/'"),
    ("scst_target", {"name": TGT, "attributes": {"QueuedCommands": 0}}, "attributes.QueuedCommands: must be between 1 and 2048"),
    ("scst_target", {"name": TGT, "attributes": {"HeaderDigest": "CRC32C, MD5"}}, "attributes.HeaderDigest: must be None, CRC32C or both"),
    ("scst_target",
     {"name": TGT, "attributes": {"IncomingUser": "joe " + GOOD_PW}},
     "attributes.IncomingUser: CHAP accounts are managed with scst_chap"),
    ("scst_target", {"name": TGT, "attributes": {"bogus": 1}}, "attributes.bogus: bogus is not a managed iscsi target attribute"),
    ("scst_target", {"name": TGT, "attributes": {"rel_tgt_id": 70000}}, "attributes.rel_tgt_id: must be between 1 and 65535"),
    ("scst_target", {"name": TGT, "attributes": {"alias": "two\nlines"}}, "attributes.alias: must be a single line"),
    ("scst_target", {"name": TGT, "allowed_portals": ["10.0.0.1", "10.0.0.1"]}, "allowed_portals: lists a portal twice"),
    ("scst_target", {"name": TGT, "allowed_portals": ["10.0.0.1 10.0.0.2"]}, "allowed_portals[0]: must not contain whitespace"),
    ("scst_lun", {"target": TGT, "lun": 16384, "device": "disk1"}, "lun: must be an integer from 0 to 16383"),
    ("scst_lun", {"target": TGT, "lun": -1, "device": "disk1"}, "lun: must be an integer from 0 to 16383"),
    ("scst_lun", {"target": TGT, "lun": 1}, "device: is required when state is present"),
    ("scst_lun", {"target": TGT, "lun": 1, "device": "disk1;del 0"}, "device: must not contain whitespace, ';'"),
    ("scst_lun", {"target": TGT, "lun": 1, "device": "nosuchdev"}, "device nosuchdev (LUN 1 of iscsi/" + TGT + ") does not exist"),
    ("scst_lun",
     {"target": "iqn.2026-11.com.example:nosuch", "lun": 1, "device": "disk1"},
     "target iqn.2026-11.com.example:nosuch of driver iscsi does not exist"),
    ("scst_lun",
     {"target": TGT, "group": "nosuchgroup", "lun": 1, "device": "disk1"},
     "initiator group nosuchgroup of target " + TGT + " does not exist"),
    ("scst_group", {"target": TGT, "name": "g 1"}, "name: must not contain whitespace"),
    ("scst_group", {"target": TGT, "name": "mgmt"}, "name: must not be mgmt"),
    ("scst_group",
     {"target": TGT, "name": "g1", "initiators": ["iqn.2026-11.com.example:a", "iqn.2026-11.com.example:a"]},
     "initiators: lists an initiator twice"),
    ("scst_group", {"target": TGT, "name": "g1", "initiators": ["iqn.x;add *"]}, "initiators[0]: must not contain whitespace, ';'"),
    ("scst_group", {"target": TGT, "name": "g1", "luns": [{"lun": 0, "device": "disk1"}, {"lun": 0, "device": "disk1"}]}, "LUN 0 is listed twice"),
    ("scst_group",
     {"target": TGT, "name": "g1", "attributes": {"black_hole": 1}},
     "attributes.black_hole: black_hole is not a managed group attribute"),
    ("scst_chap", {"target": TGT, "username": "joe", "password": "tiny-pw"}, "password: must be at least 12 characters"),
    ("scst_chap", {"target": TGT, "username": "joe", "password": "has=equals-sign"}, "password: must not contain whitespace, '='"),
    ("scst_chap", {"target": TGT, "username": "joe", "password": "has a blank12"}, "password: must not contain whitespace"),
    ("scst_chap", {"target": TGT, "username": "joe"}, "password: is required"),
    ("scst_chap", {"target": TGT, "username": "jo e", "password": GOOD_PW}, "username: must not contain whitespace"),
    ("scst_chap",
     {"target": "iqn.2026-11.com.example:nosuch", "username": "joe", "password": GOOD_PW},
     "target iqn.2026-11.com.example:nosuch does not exist"),
    ("scst_driver", {"attributes": {"IncomingUser": "x y"}}, "attributes.IncomingUser: discovery CHAP accounts are managed with scst_chap"),
    ("scst_driver", {"attributes": {"link_local": "maybe"}}, "attributes.link_local: must be a boolean"),
    ("scst_driver", {"attributes": {"nope": 1}}, "attributes.nope: nope is not a managed iscsi driver attribute"),
]


MISSING_REFERENCES = [m for _mod, _args, m in CASES if m.endswith("does not exist")]


@pytest.fixture
def configured(run):
    """A target with LUNs, a group and CHAP: things a bad request must not touch."""
    for name in ("disk1", "disk2"):
        run("scst_device", {"name": name, "handler": "vdisk_fileio", "filename": "/srv/%s.img" % name})
    run("scst_target", {"name": TGT, "enabled": True})
    run("scst_lun", {"target": TGT, "lun": 0, "device": "disk1"})
    run("scst_group", {"target": TGT, "name": "hosts", "luns": [{"lun": 0, "device": "disk2"}]})
    run("scst_chap", {"target": TGT, "username": "host1", "password": GOOD_PW})
    return run


def test_there_are_at_least_30_cases():
    assert len(CASES) >= 30


@pytest.mark.parametrize("module,args,message", CASES,
                         ids=["%02d-%s" % (i, c[0]) for i, c in enumerate(CASES)])
def test_bad_input(configured, module, args, message):
    before = configured.emu.dump()
    for check in (True, False):
        result = configured(module, args, check=check)
        assert configured.writes == []
        if check and message in MISSING_REFERENCES:
            # an earlier task of the same run may create it: check mode warns
            assert any(message in w for w in result["warnings"]), result
            continue
        assert result["failed"] is True, result
        assert message in result["msg"], result["msg"]
        assert result.get("changed", False) is False
    assert configured.emu.dump() == before
    # the rejected secret never comes back in the error
    for secret in ("tiny-pw", "has=equals-sign", "has a blank12"):
        if args.get("password") == secret:
            assert secret not in repr(result)


# ---------------------------------------------------------------------------
# Hostile names through every name-bearing option of every SCST module
# ---------------------------------------------------------------------------

SPLIT = "must not contain whitespace, ';', '=' or control characters"
INVISIBLE = "must not contain invisible formatting characters"
CONF = "scst.conf has no way to write them"
SLASH = "must not contain '/'"
DOTS = "must not be '.' or '..'"
VIRTUAL = "a virtual device name must not contain '/' or '.'"
HANDLER_FILE = "must not be mgmt, type, trace_level"
DRIVER_FILE = "must not be the name of a file of the target driver's sysfs directory"

EVERY = ("device", "target", "group", "initiator", "driver", "user", "portal")
PATHS = ("target", "group", "initiator", "driver")      # names that are one sysfs path component
# (value, rule, kinds of option that refuse it with that rule)
HOSTILE_NAMES = [
    ("", "must not be empty", EVERY),
    ("a b", SPLIT, EVERY), ("a\tb", SPLIT, EVERY), ("a\nb", SPLIT, EVERY), ("a\rb", SPLIT, EVERY),
    ("a;b", SPLIT, EVERY), ("a=b", SPLIT, EVERY), ("a\x00b", SPLIT, EVERY), ("a\x1bb", SPLIT, EVERY),
    ("a\x7fb", SPLIT, EVERY), ("a\x85b", SPLIT, EVERY), ("a\u00a0b", SPLIT, EVERY),
    ("a\u2028b", SPLIT, EVERY), ("a\u3000b", SPLIT, EVERY), ("trailing\n", SPLIT, EVERY),
    ("a\u200bb", INVISIBLE, EVERY), ("\ufeffa", INVISIBLE, EVERY), ("a\u202eb", INVISIBLE, EVERY),
    ('a"b', CONF, EVERY), ("a{b", CONF, EVERY), ("a}b", CONF, EVERY),
    ("a/b", SLASH, PATHS), ("../x", SLASH, PATHS), (".", DOTS, PATHS), ("..", DOTS, PATHS),
    ("a/b", VIRTUAL, ("device",)), ("../x", VIRTUAL, ("device",)), (".", VIRTUAL, ("device",)),
    ("..", VIRTUAL, ("device",)),
    ("x" * 256, "is longer than 255 bytes", EVERY[1:]), ("\u00e9" * 128, "is longer than 255 bytes", EVERY[1:]),
    ("x" * 65, "device name is longer than 64 bytes", ("device",)),
    ("\u00e9" * 33, "device name is longer than 64 bytes", ("device",)),
    ("mgmt", HANDLER_FILE, ("device",)), ("type", HANDLER_FILE, ("device",)),
    ("trace_level", HANDLER_FILE, ("device",)),
    ("mgmt", "must not be mgmt", ("group", "initiator")),
    ("mgmt", DRIVER_FILE, ("target",)), ("enabled", DRIVER_FILE, ("target",)),
    ("open_state", DRIVER_FILE, ("target",)), ("IncomingUser", DRIVER_FILE, ("target",)),
    ("IncomingUser7", DRIVER_FILE, ("target",)), ("OutgoingUser", DRIVER_FILE, ("target",)),
]


def _config_target(spec):
    return {"config": {"drivers": {"iscsi": {"targets": {TGT: spec}}}}}


CFG_T = "config.drivers.iscsi.targets.%s." % TGT
# (module, kind, args for a name, the field the error must name)
NAME_OPTIONS = [
    ("scst_device", "device", lambda n: ({"name": n, "handler": "vdisk_nullio"}, "name")),
    ("scst_target", "target", lambda n: ({"name": n}, "name")),
    ("scst_target", "driver", lambda n: ({"name": TGT, "driver": n}, "driver")),
    ("scst_target", "portal", lambda n: ({"name": TGT, "allowed_portals": [n]}, "allowed_portals[0]")),
    ("scst_lun", "target", lambda n: ({"target": n, "lun": 5, "device": "disk1"}, "target")),
    ("scst_lun", "driver", lambda n: ({"target": TGT, "driver": n, "lun": 5, "device": "disk1"}, "driver")),
    ("scst_lun", "group", lambda n: ({"target": TGT, "group": n, "lun": 5, "device": "disk1"}, "group")),
    ("scst_lun", "device", lambda n: ({"target": TGT, "lun": 5, "device": n}, "device")),
    ("scst_group", "group", lambda n: ({"target": TGT, "name": n}, "name")),
    ("scst_group", "target", lambda n: ({"target": n, "name": "g2"}, "target")),
    ("scst_group", "driver", lambda n: ({"target": TGT, "driver": n, "name": "g2"}, "driver")),
    ("scst_group", "initiator", lambda n: ({"target": TGT, "name": "hosts", "initiators": [n]}, "initiators[0]")),
    ("scst_group", "device",
     lambda n: ({"target": TGT, "name": "hosts", "luns": [{"lun": 3, "device": n}]}, "luns[0].device")),
    ("scst_chap", "target", lambda n: ({"target": n, "username": "u2", "password": GOOD_PW}, "target")),
    ("scst_chap", "user", lambda n: ({"target": TGT, "username": n, "password": GOOD_PW}, "username")),
    ("scst_chap", "user", lambda n: ({"username": n, "password": GOOD_PW}, "username")),
    ("scst_driver", "driver", lambda n: ({"driver": n}, "driver")),
    ("scst_config", "device", lambda n: ({"config": {"handlers": {"vdisk_nullio": {"devices": {n: {}}}}}},
                                         "config.handlers.vdisk_nullio.devices.%s.name" % n)),
    ("scst_config", "driver", lambda n: ({"config": {"drivers": {n: {}}}}, "config.drivers.%s.driver" % n)),
    ("scst_config", "target", lambda n: ({"config": {"drivers": {"iscsi": {"targets": {n: {}}}}}},
                                         "config.drivers.iscsi.targets.%s.name" % n)),
    ("scst_config", "portal", lambda n: (_config_target({"allowed_portals": [n]}), CFG_T + "allowed_portals[0]")),
    ("scst_config", "group", lambda n: (_config_target({"groups": {n: {}}}), CFG_T + "groups.%s.name" % n)),
    ("scst_config", "initiator",
     lambda n: (_config_target({"groups": {"hosts": {"initiators": [n]}}}), CFG_T + "groups.hosts.initiators[0]")),
    ("scst_config", "device", lambda n: (_config_target({"luns": {7: {"device": n}}}), CFG_T + "luns.7.device")),
    ("scst_config", "user", lambda n: (_config_target({"chap": {"incoming": [{"username": n, "password": GOOD_PW}]}}),
                                       CFG_T + "chap.incoming[0].username")),
]


def test_every_rule_is_tried_on_every_kind_of_name():
    kinds = set(kind for _m, kind, _b in NAME_OPTIONS)
    assert kinds == set(EVERY)
    for kind in EVERY:
        assert sum(1 for _v, _r, kinds in HOSTILE_NAMES if kind in kinds) >= 20, kind


@pytest.mark.parametrize("module,kind,build", NAME_OPTIONS,
                         ids=["%02d-%s-%s" % (i, o[0], o[1]) for i, o in enumerate(NAME_OPTIONS)])
def test_hostile_name_is_refused_naming_field_and_rule(configured, module, kind, build):
    """Each hostile name fails before any write, with ``<field>: <rule>``, in check mode and for real."""
    before = configured.emu.dump()
    wrong = []
    for value, rule, kinds in HOSTILE_NAMES:
        if kind not in kinds:
            continue
        args, field = build(value)
        for check in (True, False):
            result = configured(module, args, check=check)
            if configured.writes:
                wrong.append((value, "wrote", configured.writes))
            elif not result["failed"]:
                wrong.append((value, "accepted"))
            elif not (result["msg"].startswith(field + ": ") and rule in result["msg"]):
                wrong.append((value, result["msg"]))
    assert wrong == []
    assert configured.emu.dump() == before


# Names SCST accepts that are not RFC 3720 iSCSI names: used, with a warning.
WARNED_NAMES = [
    ("scst_target", {"name": "target1"}, "name: 'target1' is not an iSCSI name in RFC 3720 form"),
    ("scst_target", {"name": "IQN.2026-11.COM.EXAMPLE:UPPER"}, "is not an iSCSI name in RFC 3720 form"),
    ("scst_target", {"name": "iqn.2026-11.com.example:" + "a" * 210}, "longer than the 223 bytes RFC 3720 allows"),
    ("scst_target", {"name": "tgt#1\\x"}, "is not an iSCSI name in RFC 3720 form"),
    ("scst_group", {"target": TGT, "name": "g2", "initiators": ["host1"]},
     "initiators[0]: 'host1' is not an iSCSI initiator name in RFC 3720 form"),
    ("scst_group", {"target": TGT, "name": "g2", "initiators": ["iqn.2026-11.com.example:h#10.0.0.1", "host2#10.0.0.1"]},
     "initiators[1]: 'host2' is not an iSCSI initiator name"),
    ("scst_config", {"config": {"drivers": {"iscsi": {"targets": {"target1": {}}}}}},
     "config.drivers.iscsi.targets.target1.name: 'target1' is not an iSCSI name"),
]


@pytest.mark.parametrize("module,args,warning", WARNED_NAMES,
                         ids=["%02d-%s" % (i, c[0]) for i, c in enumerate(WARNED_NAMES)])
def test_valid_non_rfc_name_is_used_with_a_warning(configured, module, args, warning):
    args = dict(args, persist=False) if module == "scst_config" else args
    predicted = configured(module, args, check=True)
    assert not predicted["failed"], predicted
    assert any(warning in w for w in predicted["warnings"]), predicted["warnings"]
    result = configured(module, args)
    assert not result["failed"], result
    assert result["changed"] is True
    assert any(warning in w for w in result["warnings"]), result["warnings"]
    assert [w[0] for w in configured.writes] == [a["path"] for a in predicted["plan"]]


def test_patterns_and_rfc_names_get_no_warning(configured):
    result = configured("scst_group", {"target": TGT, "name": "g2", "initiators": [
        "iqn.2026-11.com.example:h1", "iqn.2026-11.com.example:*", "!host?", "*", "eui.02004567A425678D"]})
    assert not result["failed"], result
    assert result["warnings"] == []
    result = configured("scst_target", {"name": "iqn.2026-11.com.example:t2"})
    assert not result["failed"] and result["warnings"] == [], result


# ---------------------------------------------------------------------------
# Numbers: what the user wrote, never what Ansible's int conversion made of it
# ---------------------------------------------------------------------------

# Ansible's int conversion would turn "010" into 10 (SCST: octal 8), "1e3" into 1000,
# " 1" and "+1" into 1, "1_0" into 10 and "\u0661" (Arabic-Indic one) into 1.
HOSTILE_NUMBERS = ["010", "0x10", "0o10", "1e3", "1.5", 1.5, 2.0, True, False, "+1", " 1", "1 ", "1\n",
                   "-0", "\u0661", "1_0", "", "ten"]
NUMBER_OPTIONS = [
    ("scst_lun", lambda x: ({"target": TGT, "lun": x, "device": "disk1"}, "lun")),
    ("scst_group", lambda x: ({"target": TGT, "name": "hosts", "luns": [{"lun": x, "device": "disk1"}]},
                              "luns[0].lun")),
    ("scst_device", lambda x: ({"name": "d9", "handler": "vdisk_nullio", "attributes": {"size_mb": x}},
                               "attributes.size_mb")),
    ("scst_device", lambda x: ({"name": "d9", "handler": "vdisk_nullio", "attributes": {"blocksize": x}},
                               "attributes.blocksize")),
    ("scst_target", lambda x: ({"name": TGT, "attributes": {"QueuedCommands": x}}, "attributes.QueuedCommands")),
    ("scst_target", lambda x: ({"name": TGT, "attributes": {"rel_tgt_id": x}}, "attributes.rel_tgt_id")),
    ("scst_group", lambda x: ({"target": TGT, "name": "hosts", "attributes": {"io_grouping_type": x}},
                              "attributes.io_grouping_type")),
    # a LUN number is a mapping key in scst_config: JSON makes every key a string
    ("scst_config", lambda x: (_config_target({"luns": {str(x): {"device": "disk1"}}}),
                               CFG_T + "luns.%s.lun" % x)),
    ("scst_config", lambda x: (_config_target({"attributes": {"QueuedCommands": x}}),
                               CFG_T + "attributes.QueuedCommands")),
]
NUMBER_EXCEPTIONS = {
    # io_grouping_type is a number or one of the words auto, this_group_only, never
    ("attributes.io_grouping_type", "ten"),
}


@pytest.mark.parametrize("module,build", NUMBER_OPTIONS,
                         ids=["%02d-%s" % (i, o[0]) for i, o in enumerate(NUMBER_OPTIONS)])
def test_hostile_number_is_refused_naming_the_option(configured, module, build):
    before = configured.emu.dump()
    wrong = []
    for value in HOSTILE_NUMBERS:
        args, field = build(value)
        if (field, value) in NUMBER_EXCEPTIONS or (module == "scst_config" and isinstance(value, bool)
                                                   and field.endswith(".lun")):
            continue
        for check in (True, False):
            result = configured(module, args, check=check)
            if configured.writes:
                wrong.append((value, "wrote", configured.writes))
            elif not result["failed"]:
                wrong.append((value, "accepted", result.get("plan")))
            elif not (result["msg"].startswith(field + ": ") and "must be" in result["msg"]):
                wrong.append((value, result["msg"]))
    assert wrong == []
    assert configured.emu.dump() == before


@pytest.mark.parametrize("value", [12, "12"])
def test_plain_decimal_lun_is_accepted_as_given(configured, value):
    result = configured("scst_lun", {"target": TGT, "lun": value, "device": "disk2"})
    assert not result["failed"], result
    assert configured.writes == [("targets/iscsi/%s/luns/mgmt" % TGT, "add disk2 12")]
