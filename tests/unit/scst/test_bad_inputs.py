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
     {"name": "d9", "handler": "vdisk_fileio", "filename": "/srv/x", "attributes": {"size": 4096}},
     "attributes.size: give the size of a nullio device as size_mb"),
    ("scst_device", {"name": "2:0:0", "handler": "dev_disk"}, "name: a pass-through device is named H:C:I:L"),
    ("scst_target", {"name": "iqn.2026-11.com.example:has space"}, "name: must not contain whitespace"),
    ("scst_target", {"name": "not-an-iqn"}, "name: must be an iSCSI name"),
    ("scst_target", {"name": "IQN.2026-11.COM.EXAMPLE:UPPER"}, "name: must be an iSCSI name"),
    ("scst_target", {"name": "iqn.2026-11.com.example:" + "a" * 260}, "name: target name is longer than 223 bytes"),
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
