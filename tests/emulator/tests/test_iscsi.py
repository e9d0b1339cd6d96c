"""iscsi-scstd owned behaviour: parameters, CHAP, portals, daemon down."""

import pytest

from emu_helpers import err_of, read_err
from scst_emulator import ScstEmulator

MGMT = "targets/iscsi/mgmt"
T = "targets/iscsi/iqn.x:t"


@pytest.fixture
def isc(emu):
    emu.write(MGMT, "add_target iqn.x:t\n")
    return emu


@pytest.mark.parametrize("param,value,shown", [
    ("HeaderDigest", "CRC32C,None", "None,CRC32C\n[key]\n\n"),
    ("HeaderDigest", "crc32c", "CRC32C\n[key]\n\n"),
    ("DataDigest", "None", "None\n"),
    ("QueuedCommands", "64", "64\n[key]\n\n"),
    ("QueuedCommands", "0x40", "64\n[key]\n\n"),
    ("QueuedCommands", "32abc", "32\n"),            # strtol without error detection
    ("MaxRecvDataSegmentLength", "512", "512\n[key]\n\n"),
    ("InitialR2T", "Yes", "Yes\n[key]\n\n"),
    ("NopInInterval", "0", "0\n[key]\n\n"),
])
def test_param_normalisation(isc, param, value, shown):
    isc.write(f"{T}/{param}", value + "\n")
    assert isc.read(f"{T}/{param}") == shown


@pytest.mark.parametrize("param,value", [
    ("HeaderDigest", "CRC32C, None"), ("HeaderDigest", "CRC32C,"), ("HeaderDigest", "md5"),
    ("QueuedCommands", "0"), ("QueuedCommands", "2049"), ("QueuedCommands", "-1"),
    ("QueuedCommands", "abc"), ("InitialR2T", "yes"), ("RspTimeout", "1"),
    ("MaxBurstLength", "1048577"),
])
def test_param_rejections(isc, param, value):
    assert err_of(isc, f"{T}/{param}", value + "\n") == "EINVAL"


def test_default_keyword_resets(isc):
    isc.write(f"{T}/MaxSessions", "5\n")
    assert isc.read(f"{T}/MaxSessions") == "5\n[key]\n\n"
    isc.write(f"{T}/MaxSessions", ":default:\n")
    assert isc.read(f"{T}/MaxSessions") == "0\n"


def test_add_target_with_parameters_and_duplicates(emu):
    assert err_of(emu, MGMT, "add_target iqn.x:t HeaderDigest=CRC32C;QueuedCommands 64;"
                             "IncomingUser joe 123456789012;Alias foo\n") == "OK"
    assert emu.read(f"{T}/HeaderDigest") == "CRC32C\n[key]\n\n"
    assert emu.read(f"{T}/QueuedCommands") == "64\n[key]\n\n"
    assert emu.read(f"{T}/IncomingUser") == "joe 123456789012\n[key]\n\n"
    assert err_of(emu, MGMT, "add_target IQN.X:T\n") == "EEXIST"      # case-insensitive
    assert err_of(emu, MGMT, "del_target IQN.X:T\n") == "ENOENT"      # kernel: case-sensitive
    assert err_of(emu, MGMT, "add_target iqn.x:u Bogus=1\n") == "EINVAL"
    assert err_of(emu, MGMT, "add_target iqn.x:u QueuedCommands=9999\n") == "EINVAL"
    assert not emu.exists("targets/iscsi/iqn.x:u")
    assert emu.read(f"{T}/tid") == "1\n"
    emu.write(MGMT, "add_target iqn.x:v\n")
    assert emu.read("targets/iscsi/iqn.x:v/tid") == "2\n"      # failed adds use no tid


def test_slash_and_long_names(emu):
    emu.write(MGMT, "add_target iqn.x:a/b\n")
    assert emu.exists("targets/iscsi/iqn.x:a!b/enabled")
    assert err_of(emu, MGMT, "del_target iqn.x:a!b\n") == "ENOENT"
    assert err_of(emu, MGMT, "del_target iqn.x:a/b\n") == "OK"


def test_chap_accounts_and_file_naming(isc):
    add = "add_target_attribute iqn.x:t"
    assert err_of(isc, MGMT, f"{add} IncomingUser joe short\n") == "EINVAL"
    assert err_of(isc, MGMT, f"{add} IncomingUser joe\n") == "EINVAL"
    assert err_of(isc, MGMT, f"{add} IncomingUser joe 123456789012\n") == "OK"
    assert err_of(isc, MGMT, f"{add} IncomingUser joe 123456789012xx\n") == "EINVAL"
    assert err_of(isc, MGMT, f"{add} IncomingUser ann 123456789012\n") == "OK"
    assert err_of(isc, MGMT, f"{add} IncomingUser bob 123456789012\n") == "OK"
    names = [n for n in isc.listdir(T) if n.startswith("IncomingUser")]
    assert names == ["IncomingUser", "IncomingUser1", "IncomingUser2"]
    assert isc.node(f"{T}/IncomingUser1").mode == 0o600
    assert isc.read(f"{T}/IncomingUser1") == "ann 123456789012\n[key]\n\n"
    assert err_of(isc, MGMT, "del_target_attribute iqn.x:t IncomingUser ann whatever\n") == "OK"
    assert err_of(isc, MGMT, "del_target_attribute iqn.x:t IncomingUser ann\n") == "ENOENT"
    assert err_of(isc, MGMT, f"{add} IncomingUser cat 123456789012\n") == "OK"
    assert isc.read(f"{T}/IncomingUser1") == "cat 123456789012\n[key]\n\n"     # reused
    assert err_of(isc, MGMT, f"{add} IncomingUser1 dan 123456789012\n") == "OK"
    assert isc.read(f"{T}/IncomingUser11") == "dan 123456789012\n[key]\n\n"
    # '=' truncates the secret; file writes replace in place without length check
    assert err_of(isc, MGMT, f"{add} IncomingUser eve 1234567890123=x\n") == "OK"
    assert isc.read(f"{T}/IncomingUser3") == "eve 1234567890123\n[key]\n\n"
    assert err_of(isc, f"{T}/IncomingUser3", "eve short\n") == "OK"
    assert err_of(isc, f"{T}/IncomingUser3", "joe short\n") == "EEXIST"
    assert err_of(isc, f"{T}/IncomingUser3", "onlyuser\n") == "EINVAL"


def test_outgoing_user_is_single(isc):
    add = "add_target_attribute iqn.x:t OutgoingUser"
    assert err_of(isc, MGMT, f"{add} out1 123456789012\n") == "OK"
    assert err_of(isc, MGMT, f"{add} out2 123456789012\n") == "EEXIST"
    assert isc.read(f"{T}/OutgoingUser") == "out1 123456789012\n[key]\n\n"


def test_attribute_command_errors(isc):
    assert err_of(isc, MGMT, "add_target_attribute iqn.x:nosuch IncomingUser u 123456789012\n") \
        == "ENOENT"
    assert err_of(isc, MGMT, "add_target_attribute IQN.X:T IncomingUser u 123456789012\n") == "OK"
    assert err_of(isc, MGMT, "add_target_attribute iqn.x:t Bogus x\n") == "EINVAL"
    assert err_of(isc, MGMT, "add_attribute allowed_portal 10.0.0.1\n") == "EINVAL"
    assert err_of(isc, MGMT, "frobnicate\n") == "EINVAL"
    pa = "add_target_attribute iqn.x:t allowed_portal"
    assert err_of(isc, MGMT, f"{pa} 10.0.0.1 10.0.0.2\n") == "EINVAL"
    assert err_of(isc, MGMT, f"{pa} 10.0.0.*\n") == "OK"
    assert err_of(isc, MGMT, f"{pa} 10.0.0.*\n") == "EINVAL"
    assert err_of(isc, MGMT, f"{pa} !10.0.0.9\n") == "OK"
    assert isc.read(f"{T}/allowed_portal1") == "!10.0.0.9\n[key]\n\n"
    assert err_of(isc, MGMT, "del_target_attribute iqn.x:t allowed_portal 1.2.3.4\n") == "EINVAL"


def test_discovery_chap_and_driver_attributes(emu):
    assert err_of(emu, MGMT, "add_attribute IncomingUser disc 123456789012\n") == "OK"
    assert emu.read("targets/iscsi/IncomingUser") == "disc 123456789012\n[key]\n\n"
    assert emu.node("targets/iscsi/IncomingUser").mode == 0o600
    assert err_of(emu, MGMT, "add_attribute OutgoingUser dout 123456789012\n") == "OK"
    assert err_of(emu, MGMT, "del_attribute IncomingUser disc\n") == "OK"
    assert not emu.exists("targets/iscsi/IncomingUser")
    d = "targets/iscsi"
    assert emu.read(f"{d}/enabled") == "0\n\n"
    assert err_of(emu, f"{d}/enabled", "2\n") == "EINVAL"
    emu.write(f"{d}/link_local", "0\n")
    assert emu.read(f"{d}/link_local") == "0\n[key]\n\n"
    emu.write(f"{d}/iSNSServer", "10.1.1.1 AccessControl\n")
    assert emu.read(f"{d}/iSNSServer") == "10.1.1.1 AccessControl\n[key]\n\n"
    emu.write(f"{d}/iSNSServer", "10.1.1.1 AccessControl No\n")
    assert emu.read(f"{d}/iSNSServer") == "10.1.1.1 \n[key]\n\n"
    emu.write(f"{d}/iSNSServer", "\n")
    assert emu.read(f"{d}/iSNSServer") == "\n\n"
    assert err_of(emu, f"{d}/internal_portal", "host.example\n") == "EINVAL"
    emu.write(f"{d}/internal_portal", "10.0.0.1 fe80::1\n")
    assert emu.read(f"{d}/internal_portal") == "10.0.0.1 fe80::1\n[key]\n\n"
    emu.write(f"{d}/isns_entity_name", "ent1 ignored\n")
    assert emu.read(f"{d}/isns_entity_name") == "ent1\n"
    assert emu.read(f"{d}/open_state") == "open\n"


def test_redirect_alias_per_portal_acl(isc):
    assert isc.read(f"{T}/alias") == "\n"
    isc.write(f"{T}/alias", "  my alias \n")
    assert isc.read(f"{T}/alias") == "my alias\n[key]\n\n"
    assert err_of(isc, f"{T}/redirect", "10.0.0.1 maybe\n") == "EINVAL"
    assert err_of(isc, f"{T}/redirect", "10.0.0.1 temp extra\n") == "EINVAL"
    isc.write(f"{T}/redirect", "10.0.0.1:3260 temp\n")
    assert isc.read(f"{T}/redirect") == "10.0.0.1 temp\n[key]\n\n"
    isc.write(f"{T}/redirect", "[fe80::1]:3261 perm\n")
    assert isc.read(f"{T}/redirect") == "[fe80::1]:3261 perm\n[key]\n\n"
    assert err_of(isc, f"{T}/per_portal_acl", "2\n") == "EINVAL"
    isc.write(f"{T}/per_portal_acl", "1\n")
    assert isc.read(f"{T}/per_portal_acl") == "1\n[key]\n\n"
    name = isc.add_session("iscsi", "iqn.x:t", "iqn.i:h", target_ip="10.0.0.1")
    assert name == "iqn.i:h#10.0.0.1"
    assert isc.read(f"{T}/sessions/{name}/initiator_name") == "iqn.i:h\n"


def test_daemon_stop_removes_targets_and_attributes(isc):
    isc.write(MGMT, "add_attribute IncomingUser disc 123456789012\n")
    isc.write("handlers/vdisk_nullio/mgmt", "add_device n1\n")
    isc.write(f"{T}/luns/mgmt", "add n1 0\n")
    isc.stop_daemon()
    assert sorted(isc.listdir("targets/iscsi")) == ["mgmt", "open_state", "trace_level", "version"]
    assert isc.read("targets/iscsi/open_state") == "closed\n"
    assert isc.listdir("devices/n1/exported") == ["export0"]            # only copy manager
    assert err_of(isc, MGMT, "add_target iqn.x:t\n") == "EPERM"
    assert int(isc.read("last_sysfs_mgmt_res")) == -1
    assert err_of(isc, MGMT, "del_target iqn.x:t\n") == "ENOENT"
    assert err_of(isc, MGMT, "add_attribute IncomingUser a 123456789012\n") == "EPERM"
    assert err_of(isc, "targets/iscsi/enabled", "1\n") == "ENOENT"
    isc.start_daemon()
    assert isc.read("targets/iscsi/enabled") == "0\n\n"
    assert not isc.exists("targets/iscsi/IncomingUser")
    assert err_of(isc, MGMT, "add_target iqn.x:t\n") == "OK"


def test_daemon_disconnected_without_cleanup_gives_eperm(isc):
    isc.stop_daemon(cleanup=False)
    assert read_err(isc, f"{T}/HeaderDigest") == "EPERM"
    assert read_err(isc, "targets/iscsi/enabled") == "EPERM"
    assert err_of(isc, f"{T}/HeaderDigest", "CRC32C\n") == "EPERM"
    assert err_of(isc, f"{T}/enabled", "1\n") == "EPERM"
    assert read_err(isc, f"{T}/tid") == "OK"                          # kernel attribute
    assert read_err(isc, f"{T}/rel_tgt_id") == "OK"
    isc.start_daemon()
    assert read_err(isc, f"{T}/HeaderDigest") == "OK"


def test_daemon_down_at_start():
    emu = ScstEmulator(daemon_running=False)
    assert not emu.exists("targets/iscsi/enabled")
    assert err_of(emu, MGMT, "add_target iqn.x:t\n") == "EPERM"
    assert err_of(emu, MGMT, "add_target\n") == "EINVAL"              # core check first
