"""IET ietd.conf and tgt targets.conf converted to SCST's configuration shape.

The two fixture files are realistic: CHAP in both directions, discovery
CHAP, several LUNs of every kind, ACLs, parameters SCST does not have.  Every
parameter without an SCST equivalent must show up in the report with its line
number, and no secret may ever show up there.  A file with a line that cannot
be read completely is refused as a whole, naming each such line and why.
"""

from __future__ import annotations

import pathlib

import pytest
from hypothesis import given, settings, strategies as st

from ansible_collections.scst.iscsi.plugins.module_utils.scst import values
from ansible_collections.scst.iscsi.plugins.module_utils.scst.conf import (
    ConfError,
    normalise_config,
    parse_scst_conf,
    render_scst_conf,
)
from ansible_collections.scst.iscsi.plugins.module_utils.scst.config import ConfigRequest
from ansible_collections.scst.iscsi.plugins.module_utils.scst.errors import ValidationError
from ansible_collections.scst.iscsi.plugins.module_utils.scst.migrate import (
    device_name,
    ietd_to_config,
    target_base,
    tgt_to_config,
)

FIXTURES = pathlib.Path(__file__).parent / "fixtures"
DB = "iqn.2001-04.com.example:storage.disk2.sys1.xyz"
BACKUP = "iqn.2001-04.com.example:storage.backup"
SCRATCH = "iqn.2001-04.com.example:storage.scratch"
WEB = "iqn.2008-09.com.example:server.web"
ARCHIVE = "iqn.2008-09.com.example:server.archive"
NULL = "iqn.2008-09.com.example:server.null"


def _secrets(config):
    found = []
    for driver in config["drivers"].values():
        for chap in [driver["chap"]] + [t["chap"] for t in driver["targets"].values()]:
            found.extend(a["password"] for d in ("incoming", "outgoing") for a in chap[d])
    return found


def _assert_no_secret(config, report):
    secrets = _secrets(config)
    assert secrets, "the fixture has CHAP secrets"
    text = "\n".join(report)
    for secret in secrets:
        assert secret not in text


def _all_device_names(config):
    return [name for h in config["handlers"].values() for name in h["devices"]]


@pytest.fixture(name="ietd")
def fixture_ietd():
    return ietd_to_config((FIXTURES / "ietd.conf").read_text())


@pytest.fixture(name="tgt")
def fixture_tgt():
    return tgt_to_config((FIXTURES / "targets.conf").read_text())


# --- IET ------------------------------------------------------------------------

def test_ietd_devices(ietd):
    config, _report = ietd
    assert config["handlers"] == {
        "vdisk_blockio": {"attributes": {}, "devices": {
            "storage_disk2_sys1_xyz_lun0": {"filename": "/dev/vg0/db-data",
                                            "attributes": {"t10_dev_id": "db-data-0001", "usn": "DB0001"}}}},
        "vdisk_fileio": {"attributes": {}, "devices": {
            "storage_backup_lun0": {"filename": "/dev/sdc", "attributes": {}},
            "storage_backup_lun3": {"filename": "/srv/iet/odd.img", "attributes": {}},
            "storage_disk2_sys1_xyz_lun1": {"filename": "/srv/iet/db-log.img", "attributes": {"write_through": "1"}},
            "storage_disk2_sys1_xyz_lun2": {"filename": "/srv/iet/db-archive.img",
                                            "attributes": {"blocksize": "4096", "read_only": "1"}},
            "storage_scratch_lun0": {"filename": "/srv/iet/scratch.img", "attributes": {}}}},
        "vdisk_nullio": {"attributes": {}, "devices": {
            "storage_backup_lun2": {"attributes": {"blocksize": "512", "size_mb": "1024"}},
            "storage_scratch_lun1": {"attributes": {"size_mb": "1"}}}},
    }


def test_ietd_targets_chap_and_parameters(ietd):
    config, _report = ietd
    iscsi = config["drivers"]["iscsi"]
    assert iscsi["enabled"] is True
    assert iscsi["attributes"] == {"iSNSServer": "192.168.77.1 AccessControl"}
    assert iscsi["chap"] == {"incoming": [{"username": "discovery", "password": "disc0very-Secret"}],
                             "outgoing": [{"username": "ietserver", "password": "server-Secret-42"}]}
    db = iscsi["targets"][DB]
    assert db["enabled"] is True
    assert db["attributes"] == {
        "alias": "Database", "HeaderDigest": "None,CRC32C", "DataDigest": "None", "MaxSessions": "0",
        "InitialR2T": "Yes", "ImmediateData": "No", "MaxRecvDataSegmentLength": "262144",
        "MaxXmitDataSegmentLength": "262144", "MaxBurstLength": "262144", "FirstBurstLength": "65536",
        "MaxOutstandingR2T": "8", "QueuedCommands": "32", "NopInInterval": "15"}
    assert db["chap"] == {"incoming": [{"username": "dbhost1", "password": "dbhost1-Secret-01"},
                                       {"username": "dbhost2", "password": "tooShort7"}],
                          "outgoing": [{"username": "storage1", "password": "storage1-Secret-9"}]}
    assert db["luns"] == {0: {"device": "storage_disk2_sys1_xyz_lun0", "read_only": False, "attributes": {}},
                          1: {"device": "storage_disk2_sys1_xyz_lun1", "read_only": False, "attributes": {}},
                          2: {"device": "storage_disk2_sys1_xyz_lun2", "read_only": True, "attributes": {}}}
    # the same file behind two LUNs is one SCST device exported twice
    assert iscsi["targets"][BACKUP]["luns"][1] == {"device": "storage_disk2_sys1_xyz_lun1", "read_only": False, "attributes": {}}
    assert sorted(iscsi["targets"]) == [BACKUP, DB, SCRATCH]


def test_ietd_report_names_every_unsupported_line(ietd):
    _config, report = ietd
    assert report == [
        "line 12: target %s: the secret of incoming CHAP user dbhost2 must be at least 12 characters "
        "(iscsi-scstd rejects shorter secrets); imported as it is, change it before applying" % DB,
    ] + [
        "line %d: target %s: %s is not a setting SCST offers (iscsi-scstd uses its own value); not imported"
        % (line, DB, param) for line, param in (
            (20, "MaxConnections 1"), (28, "DefaultTime2Wait 2"), (29, "DefaultTime2Retain 20"),
            (31, "DataPDUInOrder Yes"), (32, "DataSequenceInOrder Yes"), (33, "ErrorRecoveryLevel 0"),
            (34, "Wthreads 8"))
    ] + [
        "line 36: target %s: NOPInterval 15 imported as SCST's NopInInterval" % DB,
        "line 37: target %s: NOPTimeout 0 is not valid for SCST (must be between 2 and 65535); not imported" % DB,
        "line 41: target %s: Lun 0: Type=fileio on a block device stays vdisk_fileio (page cache, as in IET); "
        "vdisk_blockio is usually the better choice for a block device" % BACKUP,
        "line 42: target %s: LUN 1 uses the same backing store as device storage_disk2_sys1_xyz_lun1; both LUNs "
        "export that one SCST device" % BACKUP,
        "line 48: target %s: Lun 0 has no Type (IET used fileio); /srv/iet/scratch.img becomes vdisk_fileio"
        % SCRATCH,
        "line 49: target %s: Lun 1: nullio size 512000 bytes rounded up to 1 MiB (SCST's modules size nullio "
        "devices in MiB)" % SCRATCH,
        "line 50: target %s: MaxOutstandingR2T 0 is not valid for SCST (must be between 1 and 65535); not "
        "imported" % SCRATCH,
        "IET keeps access rules in /etc/iet/initiators.allow and /etc/iet/targets.allow, which were not read: "
        "express initiator rules as initiator groups (groups with initiators and LUNs) and address rules as "
        "allowed_portals of the targets",
    ]


def test_ietd_secrets_never_in_report(ietd):
    _assert_no_secret(*ietd)


def test_ietd_result_is_usable(ietd):
    """It renders to scst.conf and reads back unchanged; once the one bad secret
    is fixed, scst_config's validation accepts it."""
    config, _report = ietd
    assert parse_scst_conf(render_scst_conf(config))[0] == config
    with pytest.raises(ValidationError, match="must be at least 12 characters"):
        ConfigRequest(config)
    config["drivers"]["iscsi"]["targets"][DB]["chap"]["incoming"][1]["password"] = "now-long-enough"
    ConfigRequest(config)


@pytest.mark.parametrize("options, handler, attributes, read_only, note", [
    ("Path=/srv/a.img,Type=fileio", "vdisk_fileio", {}, False, None),
    ("Path=/srv/a.img,Type=fileio,IOMode=wb", "vdisk_fileio", {}, False, None),
    ("Path=/srv/a.img,Type=fileio,IOMode=wt", "vdisk_fileio", {"write_through": "1"}, False, None),
    ("Path=/srv/a.img,Type=fileio,IOMode=ro", "vdisk_fileio", {"read_only": "1"}, True, None),
    ("Path=/dev/sdb,Type=blockio,IOMode=RO", "vdisk_blockio", {"read_only": "1"}, True, None),
    ("type=BLOCKIO, path=/dev/sdb", "vdisk_blockio", {}, False, None),
    ("Path=/dev/sdb", "vdisk_blockio", {}, False, "Lun 0 has no Type (IET used fileio); /dev/sdb becomes vdisk_blockio"),
    ("Path=/srv/a.img,Type=fileio,ScsiSN=" + "S" * 21, "vdisk_fileio", {}, False,
     "usn " + "S" * 21 + " is not valid for SCST (must be at most 20 bytes)"),
    ("Path=/srv/a.img,Type=fileio,BlockSize=1000", "vdisk_fileio", {}, False,
     "blocksize 1000 is not valid for SCST (must be a power of two"),
    ("Blocks=1024,BlockSize=4096,Type=nullio", "vdisk_nullio", {"blocksize": "4096", "size_mb": "4"}, False, None),
    ("Sectors=4096,Type=nullio", "vdisk_nullio", {"size_mb": "2"}, False, None),
    ("Type=nullio", "vdisk_nullio", {}, False, "nullio without Blocks gets SCST's default size"),
    ("Path=/srv/a.img,Type=fileio,Blocks=10", "vdisk_fileio", {}, False, "Blocks/Sectors apply to nullio only"),
])
def test_ietd_lun_mapping(options, handler, attributes, read_only, note):
    config, report = ietd_to_config("Target iqn.2026-11.com.example:t\n\tLun 0 %s\n" % options)
    devices = config["handlers"][handler]["devices"]
    assert list(devices) == ["t_lun0"]
    assert devices["t_lun0"]["attributes"] == attributes
    assert config["drivers"]["iscsi"]["targets"]["iqn.2026-11.com.example:t"]["luns"] == {
        0: {"device": "t_lun0", "read_only": read_only, "attributes": {}}}
    notes = [line for line in report if "access rules" not in line]
    if note is None:
        assert notes == []
    else:
        assert len(notes) == 1 and note in notes[0] and notes[0].startswith("line 2: ")


def test_ietd_chap_rules():
    text = ("Target iqn.2026-11.com.example:t\n"
            "\tOutgoingUser first first-secret-123\n"
            "\tOutgoingUser second second-secret-45\n"
            "\tIncomingUser joe joe-secret-0001\n"
            "\tIncomingUser joe joe-secret-0002\n"
            "\tincominguser eq with=equals-sign\n")
    config, report = ietd_to_config(text)
    target = config["drivers"]["iscsi"]["targets"]["iqn.2026-11.com.example:t"]
    assert target["chap"]["outgoing"] == [{"username": "second", "password": "second-secret-45"}]
    assert target["chap"]["incoming"] == [{"username": "eq", "password": "with=equals-sign"},
                                          {"username": "joe", "password": "joe-secret-0002"}]
    assert config["drivers"]["iscsi"]["chap"] == {"incoming": [], "outgoing": []}
    assert report[:3] == [
        "line 3: target iqn.2026-11.com.example:t: a second outgoing CHAP user (second); iSCSI allows one, the last "
        "one is kept",
        "line 5: target iqn.2026-11.com.example:t: incoming CHAP user joe is given twice; the last secret is kept",
        "line 6: target iqn.2026-11.com.example:t: the secret of incoming CHAP user eq must not contain whitespace, "
        "'=' or ';' (iscsi-scstd would silently cut the secret there); imported as it is, change it before applying",
    ]
    _assert_no_secret(config, report)


def test_ietd_target_defined_twice_is_merged():
    text = ("Target iqn.2026-11.com.example:t\n\tLun 0 Path=/srv/x,Type=fileio\n"
            "Target iqn.2026-11.com.example:t\n\tLun 1 Path=/srv/y,Type=fileio\n")
    config, report = ietd_to_config(text)
    assert report[0] == "line 3: target iqn.2026-11.com.example:t is defined twice; the definitions are merged"
    assert sorted(config["handlers"]["vdisk_fileio"]["devices"]) == ["t_lun0", "t_lun1"]


def test_ietd_uppercase_target_name_is_reported():
    _config, report = ietd_to_config("Target IQN.2026-11.COM.EXAMPLE:T\n")
    # SCST takes it; the modules apply it with a warning, and the report says so
    assert report[0] == ("line 1: target IQN.2026-11.COM.EXAMPLE:T: is not an iSCSI name in RFC 3720 form "
                         "(iqn.YYYY-MM.reversed.domain[:id] in lower case, eui.<16 hex> or naa.<16|32 hex>); "
                         "SCST accepts it, but initiators may not (the modules apply it with this warning)")


# --- tgt --------------------------------------------------------------------------

def test_tgt_devices(tgt):
    config, _report = tgt
    assert config["handlers"] == {
        "vdisk_blockio": {"attributes": {}, "devices": {
            "server_archive_lun3": {"filename": "/dev/sdd",
                                    "attributes": {"read_only": "1", "t10_dev_id": "archive-disk-1"}},
            "server_web_lun1": {"filename": "/dev/vg_web/content", "attributes": {}},
            "server_web_lun5": {"filename": "/dev/vg_web/logs",
                                "attributes": {"prod_id": "WebLogs", "usn": "WEBLOGS01", "t10_vend_id": "EXAMPLE",
                                               "write_through": "1"}}}},
        "vdisk_fileio": {"attributes": {}, "devices": {
            "server_archive_lun1": {"filename": "/srv/tgt/archive.img", "attributes": {"read_only": "1"}},
            "server_web_lun2": {"filename": "/srv/tgt/web-cache.img", "attributes": {}}}},
        "vdisk_nullio": {"attributes": {}, "devices": {"server_null_lun0": {"attributes": {}}}},
    }


def test_tgt_targets_acl_and_chap(tgt):
    config, _report = tgt
    iscsi = config["drivers"]["iscsi"]
    assert iscsi["chap"] == {"incoming": [{"username": "discover", "password": "discover-Secret1"}],
                             "outgoing": [{"username": "tgtserver", "password": "tgtserver-Secret"}]}
    assert iscsi["attributes"] == {"iSNSServer": "192.168.77.1 AccessControl"}
    web = iscsi["targets"][WEB]
    # initiator-name ACL: the LUNs move into a group of the named initiators
    assert web["luns"] == {}
    assert web["groups"] == {"allowed": {
        "initiators": ["iqn.2008-09.com.example:web1", "iqn.2008-09.com.example:web2"],
        "luns": {1: {"device": "server_web_lun1", "read_only": False, "attributes": {}},
                 2: {"device": "server_web_lun2", "read_only": False, "attributes": {}},
                 5: {"device": "server_web_lun5", "read_only": False, "attributes": {}}},
        "attributes": {}}}
    assert web["attributes"] == {"MaxRecvDataSegmentLength": "262144", "HeaderDigest": "CRC32C"}
    assert web["chap"] == {"incoming": [{"username": "webuser", "password": "web-Secret-2024"}],
                           "outgoing": [{"username": "webtarget", "password": "webtarget-Secret"}]}
    archive = iscsi["targets"][ARCHIVE]
    # backing stores are numbered before direct stores, from 1 (tgt's LUN 0 is its controller)
    assert archive["luns"] == {1: {"device": "server_archive_lun1", "read_only": True, "attributes": {}},
                               3: {"device": "server_archive_lun3", "read_only": True, "attributes": {}}}
    assert archive["chap"]["incoming"] == [{"username": "archive", "password": "archive-Secret#1"}]
    assert iscsi["targets"][NULL]["luns"] == {0: {"device": "server_null_lun0", "read_only": False, "attributes": {}}}


def test_tgt_report(tgt):
    _config, report = tgt
    assert report == [
        "line 8: include /etc/tgt/conf.d/*.conf: included files are not read; convert them separately",
        "line 9: global directive ignore-errors has no SCST equivalent; not imported",
        "line 24: target %s: the initiator-name ACL becomes initiator group allowed, which holds the LUNs; "
        "initiators not listed can still log in but see no LUNs (the initiator-address rules are not part of it)"
        % WEB,
        "line 26: target %s: initiator-address 192.168.77.0/24: SCST cannot admit initiators by their address; "
        "use a firewall, or allowed_portals / per_portal_acl to limit the target's own portals" % WEB,
        "line 29: target %s: MaxConnections 2 is not a setting SCST offers (iscsi-scstd uses its own value); not "
        "imported" % WEB,
        "line 30: target %s: directive controller_tid has no SCST equivalent; not imported" % WEB,
        "line 36: target %s: LUN 3: direct-store (tgt copies the disk's identity with sg_inq) becomes a "
        "vdisk_blockio device; set t10_vend_id/prod_id/usn if initiators must see the same identity" % ARCHIVE,
        "line 40: target %s: LUN 2 (/dev/sg3, bs-type sg) has no vdisk equivalent in SCST; not imported (pass "
        "SCSI devices through with the dev_* handlers by H:C:I:L)" % ARCHIVE,
        "line 45: target %s: allow-in-use yes (for every LUN) has no SCST equivalent; not imported" % ARCHIVE,
        "line 49: target %s: LUN 0: a null backing store becomes vdisk_nullio with SCST's default size" % NULL,
        "line 53: target %s: mode_page 8:0:18:0x10:0:0xff:0xff:0:0:0xff:0xff:0xff:0xff:0x80:0x14:0:0:0:0:0:0 (for "
        "every LUN) has no SCST equivalent; not imported" % NULL,
        "group allowed of target %s has no LUN 0; the LUN numbers are kept so that initiators find their disks "
        "at the same addresses, but some initiators only scan LUNs when there is a LUN 0" % WEB,
        "target %s has no LUN 0; the LUN numbers are kept so that initiators find their disks at the same "
        "addresses, but some initiators only scan LUNs when there is a LUN 0" % ARCHIVE,
    ]


def test_tgt_secrets_never_in_report(tgt):
    _assert_no_secret(*tgt)


def test_tgt_result_is_usable(tgt):
    config, _report = tgt
    assert parse_scst_conf(render_scst_conf(config))[0] == config
    ConfigRequest(config)


def test_tgt_unescaped_hash_cuts_a_secret_and_the_report_says_so_without_it():
    text = "<target iqn.2026-11.com.example:t>\n\tincominguser joe abc#defghijklmnop\n</target>\n"
    config, report = tgt_to_config(text)
    assert config["drivers"]["iscsi"]["targets"]["iqn.2026-11.com.example:t"]["chap"]["incoming"] == [
        {"username": "joe", "password": "abc"}]
    assert report == ["line 2: target iqn.2026-11.com.example:t: the secret of incoming CHAP user joe must be at "
                      "least 12 characters (iscsi-scstd rejects shorter secrets); imported as it is, change it "
                      "before applying"]
    assert "defghijklmnop" not in report[0]


def test_tgt_numbering_skips_explicit_luns_and_reports_collisions():
    text = """<target iqn.2026-11.com.example:t>
    backing-store /srv/a.img
    <backing-store /srv/b.img>
        lun 1
    </backing-store>
    backing-store /srv/c.img
    direct-store /dev/sdx
    <backing-store /srv/d.img>
        lun 2
    </backing-store>
    <backing-store /srv/e.img>
    </backing-store>
</target>
"""
    config, _report = tgt_to_config(text)
    luns = config["drivers"]["iscsi"]["targets"]["iqn.2026-11.com.example:t"]["luns"]
    assert dict((n, l["device"]) for n, l in luns.items()) == {
        1: "t_lun1", 2: "t_lun2", 3: "t_lun3", 4: "t_lun4", 5: "t_lun5", 6: "t_lun6"}
    devices = config["handlers"]["vdisk_fileio"]["devices"]
    assert dict((n, d["filename"]) for n, d in devices.items()) == {
        "t_lun1": "/srv/b.img", "t_lun2": "/srv/d.img", "t_lun3": "/srv/a.img", "t_lun4": "/srv/c.img",
        "t_lun5": "/srv/e.img"}
    assert config["handlers"]["vdisk_blockio"]["devices"] == {"t_lun6": {"filename": "/dev/sdx", "attributes": {}}}


def test_tgt_address_only_acl_keeps_the_default_lun_set():
    text = ("<target iqn.2026-11.com.example:t>\n\tbacking-store /srv/a.img\n\tinitiator-address ALL\n"
            "\tinitiator-address 10.0.0.5\n</target>\n")
    config, report = tgt_to_config(text)
    target = config["drivers"]["iscsi"]["targets"]["iqn.2026-11.com.example:t"]
    assert target["groups"] == {} and list(target["luns"]) == [1]
    assert [line for line in report if "initiator-address" in line] == [
        "line 4: target iqn.2026-11.com.example:t: initiator-address 10.0.0.5: SCST cannot admit initiators by "
        "their address; use a firewall, or allowed_portals / per_portal_acl to limit the target's own portals"]


@pytest.mark.parametrize("directive, attributes, note", [
    ("write-cache on", {}, None),
    ("write-cache off", {"write_through": "1"}, None),
    ("readonly 1", {"read_only": "1"}, None),
    ("vendor_id TOOLONGVENDOR", {}, "t10_vend_id TOOLONGVENDOR is not valid for SCST (must be at most 8 bytes)"),
    ("block-size 4096", {"blocksize": "4096"}, None),
    ("device-type cd", {}, "device-type cd is imported as a disk"),
    ("bs-type aio", {}, None),
    ("bs-type rbd", None, "bs-type rbd) has no vdisk equivalent in SCST; not imported"),
    ("sense_format 1", {}, "sense_format 1 has no SCST equivalent"),
    ("bsopts conf=/etc/ceph/ceph.conf;key=AQBsecretkey", {}, "LUN 1: bsopts has no SCST equivalent; not imported"),
])
def test_tgt_lun_directives(directive, attributes, note):
    text = "<target iqn.2026-11.com.example:t>\n\t<backing-store /srv/a.img>\n\t\t%s\n\t</backing-store>\n</target>\n" % (
        directive)
    config, report = tgt_to_config(text)
    notes = [line for line in report if "no LUN 0" not in line]
    if attributes is None:
        assert config["handlers"] == {}
    else:
        assert config["handlers"]["vdisk_fileio"]["devices"]["t_lun1"]["attributes"] == attributes
    if note is None:
        assert notes == []
    else:
        assert len(notes) == 1 and note in notes[0]
    assert "AQBsecretkey" not in "\n".join(report)


IET_T = "Target iqn.2026-11.com.example:t\n"
TGT_T = "<target iqn.2026-11.com.example:t>\n"


@pytest.mark.parametrize("convert, text, errors", [
    (ietd_to_config, "IncomingUser lonely\n" + IET_T,
     ["line 1: discovery: an incoming CHAP account needs exactly a user name and a secret (1 word(s) given)"]),
    (ietd_to_config, IET_T + "\tOutgoingUser a b c-secret-123456\n",
     ["line 2: target iqn.2026-11.com.example:t: an outgoing CHAP account needs exactly a user name and a secret "
      "(3 word(s) given)"]),
    (ietd_to_config, "Bogus 1\n" + IET_T + "\tFancyOption yes\nTarget\n\tLun 0 Path=/srv/x,Type=fileio\n",
     ["line 1: Bogus is not an IET global parameter (IncomingUser, OutgoingUser, iSNSServer, iSNSAccessControl)",
      "line 3: target iqn.2026-11.com.example:t: FancyOption is not an IET target parameter",
      "line 4: Target needs exactly one name (0 given)"]),
    (ietd_to_config, "MaxConnections 1\niSNSAccessControl yes\n",
     ["line 1: MaxConnections is a target parameter; IET reads it only inside a Target stanza",
      "line 2: iSNSAccessControl is Yes or No (case-sensitive), not 'yes'"]),
    (ietd_to_config, IET_T + "\tLun 16384 Path=/srv/a,Type=fileio\n",
     ["line 2: target iqn.2026-11.com.example:t: Lun 16384 is not a LUN number from 0 to 16383"]),
    (ietd_to_config, IET_T + "\tLun x Path=/srv/a,Type=fileio\n",
     ["line 2: target iqn.2026-11.com.example:t: Lun x is not a LUN number from 0 to 16383"]),
    (ietd_to_config, IET_T + "\tLun 0 Type=fileio\n", ["line 2: target iqn.2026-11.com.example:t: Lun 0 has no Path"]),
    (ietd_to_config, IET_T + "\tLun 0 Path=/srv/a,Type=memio\n",
     ["line 2: target iqn.2026-11.com.example:t: Lun 0: Type=memio is not fileio, blockio or nullio"]),
    (ietd_to_config, IET_T + "\tLun 0 Path=/srv/a,Type=fileio,IOMode=xx\n",
     ["line 2: target iqn.2026-11.com.example:t: Lun 0: IOMode=xx is not ro, wb or wt"]),
    (ietd_to_config, IET_T + "\tLun 3 Path=/srv/a,Type=fileio,Cache=none,readonly\n",
     ["line 2: target iqn.2026-11.com.example:t: Lun 3: 'readonly' is not an option=value pair",
      "line 2: target iqn.2026-11.com.example:t: Lun 3: Cache is not an IET Lun option (Path, Type, ScsiId, ScsiSN, "
      "IOMode, BlockSize, Blocks, Sectors)"]),
    (ietd_to_config, IET_T + "\tLun 1 Blocks=lots,Type=nullio\n",
     ["line 2: target iqn.2026-11.com.example:t: Lun 1: Blocks=lots is not a number"]),
    (ietd_to_config, IET_T + "\tHeaderDigest MD5\n\tQueuedCommands many\n",
     ["line 2: target iqn.2026-11.com.example:t: HeaderDigest 'MD5' is not a valid value (must be None, CRC32C or "
      "both (comma separated))",
      "line 3: target iqn.2026-11.com.example:t: QueuedCommands 'many' is not a valid value (must be a plain "
      "decimal integer (no sign, blanks, leading zeros, exponent or hex: SCST reads 010 as octal 8 and 0x10 "
      "as 16))"]),
    (tgt_to_config, TGT_T + "\t<weird x>\n\t</weird>\n</target>\n<target iqn.2026-11.com.example:u>\n",
     ["line 2: <weird> is not a tgt section (target, backing-store, direct-store)",
      "line 5: <target iqn.2026-11.com.example:u> is not closed"]),
    (tgt_to_config, "</target>\n<backing-store /srv/a>\n</backing-store>\n" + TGT_T + "\t<target x>\n\t</target>\n"
     "</target>\n<target>\n</target>\n",
     ["line 1: </target> does not close any open section",
      "line 2: <backing-store> cannot be inside nothing: it belongs in a <target>",
      "line 5: <target> cannot be inside <target>",
      "line 8: <target> without a name"]),
    (tgt_to_config, "bogus-global 1\n" + TGT_T + "\tbogus-directive 2\n\tlun 3\n\t<backing-store /srv/a>\n"
     "\t\tlun 99999\n\t</backing-store>\n\t<backing-store /srv/b>\n\t\twrite-cache maybe\n\t\treadonly perhaps\n"
     "\t\tbs-type floppy\n\t\tbogus-lun-option x\n\t</backing-store>\n\t<backing-store /srv/c\n</target>\n",
     ["line 1: bogus-global is not a tgt global directive",
      "line 3: target iqn.2026-11.com.example:t: bogus-directive is not a tgt target directive",
      "line 4: target iqn.2026-11.com.example:t: lun belongs inside a <backing-store> or <direct-store> section",
      "line 6: target iqn.2026-11.com.example:t: lun 99999 is not a number from 0 to 16383",
      "line 8: target iqn.2026-11.com.example:t: LUN 1: bs-type floppy is not a tgt backing-store type",
      "line 14: a section tag that cannot be read (<kind name> or </kind> on a line of its own)"]),
    (tgt_to_config, TGT_T + "\t<backing-store /srv/b>\n\t\twrite-cache maybe\n\t\treadonly perhaps\n"
     "\t\tbogus-lun-option x\n\t</backing-store>\n\tincominguser joe\n</target>\n",
     ["line 3: target iqn.2026-11.com.example:t: LUN 1: write-cache maybe is not on or off",
      "line 4: target iqn.2026-11.com.example:t: LUN 1: readonly perhaps is not 0 or 1",
      "line 5: target iqn.2026-11.com.example:t: LUN 1: bogus-lun-option is not a tgt backing-store directive",
      "line 7: target iqn.2026-11.com.example:t: an incoming CHAP account needs exactly a user name and a secret "
      "(1 word(s) given)"]),
])
def test_a_file_that_cannot_be_read_completely_is_refused(convert, text, errors):
    with pytest.raises(ConfError) as refused:
        convert(text)
    message = str(refused.value)
    assert "cannot be read completely, so nothing was converted" in message
    assert refused.value.details["errors"] == errors
    assert message.endswith("\n".join(errors))


def test_refusals_never_show_a_secret():
    text = ("IncomingUser joe hidden-secret-001 extra\n" + IET_T + "\tIncomingUserr joe hidden-secret-002\n")
    with pytest.raises(ConfError) as refused:
        ietd_to_config(text)
    assert "hidden-secret" not in str(refused.value) and "IncomingUserr" in str(refused.value)
    text = TGT_T + "\tincominguserr joe hidden-secret-003\n\tincominguser joe hidden-secret-004 x\n</target>\n"
    with pytest.raises(ConfError) as refused:
        tgt_to_config(text)
    assert "hidden-secret" not in str(refused.value) and "incominguserr" in str(refused.value)


# --- device names ------------------------------------------------------------------

@pytest.mark.parametrize("target, base", [
    ("iqn.2001-04.com.example:storage.disk2.sys1.xyz", "storage.disk2.sys1.xyz"),
    ("iqn.2026-11.com.example:tgt1", "tgt1"),
    ("eui.0123456789abcdef", "0123456789abcdef"),
    ("naa.6001405abcdef0123456789abcdef01", "6001405abcdef0123456789abcdef01"),
    ("plainname", "plainname"),
    ("iqn.2026-11.com.example:", "example"),
])
def test_target_base(target, base):
    assert target_base(target) == base


def test_device_names_are_stable_unique_and_short():
    taken = set()
    first = device_name("storage.disk2 sys1/xyz", 0, taken)
    assert first == "storage_disk2_sys1_xyz_lun0"
    taken.add(first)
    assert device_name("storage.disk2 sys1/xyz", 0, taken) == "storage_disk2_sys1_xyz_lun0_2"
    long_name = device_name("x" * 200, 16383, set())
    assert len(long_name) == 64 and long_name.endswith("_lun16383")
    assert device_name("...", 3, set()) == "dev_lun3"


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(max_size=80), min_size=1, max_size=8), st.integers(0, 16383))
def test_device_names_are_always_valid(bases, lun):
    taken = set()
    for base in bases:
        name = device_name(base, lun, taken)
        assert name not in taken
        assert values.device_name("name", name) == name
        assert len(name.encode()) <= 64 and not set("/. \t") & set(name)
        taken.add(name)
    # same input, same names
    again = set()
    for base in bases:
        again.add(device_name(base, lun, again))
    assert again == taken


def test_converted_configs_are_in_normal_form(ietd, tgt):
    for config, _report in (ietd, tgt):
        assert normalise_config(config) == config
