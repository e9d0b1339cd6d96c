"""Targets, LUN sets, initiator groups, initiators and sessions."""

import pytest

from emu_helpers import err_of
from scst_emulator import ScstEmulator
from scst_emulator.ops_targets import wildcard_match

T = "targets/iscsi/t1"


@pytest.fixture
def tgt(emu):
    emu.write("handlers/vdisk_nullio/mgmt", "add_device n1\n")
    emu.write("handlers/vdisk_nullio/mgmt", "add_device n2\n")
    emu.write("targets/iscsi/mgmt", "add_target t1\n")
    return emu


@pytest.mark.parametrize("pattern,name,match", [
    ("iqn.x:*", "IQN.X:host1", True),
    ("iqn.x:host?", "iqn.x:host1", True),
    ("iqn.x:host?", "iqn.x:host12", False),
    ("!iqn.x:*", "iqn.x:host1", False),
    ("!iqn.x:*", "iqn.y:host1", True),
    ("iqn.x:!host1", "iqn.x:host2", True),
    ("iqn.x:!host1", "iqn.x:host1", False),
    ("iqn.x:!a!b", "iqn.x:a!b", False),          # later '!' are literals
    ("*", "anything", True),
])
def test_wildcard_match(pattern, name, match):
    assert wildcard_match(pattern, name) is match


def test_lun_rules(tgt):
    luns = f"{T}/luns/mgmt"
    assert err_of(tgt, luns, "add n1 010\n") == "OK"
    assert tgt.listdir(f"{T}/luns") == ["8", "mgmt"]                 # octal
    assert err_of(tgt, luns, "add n1 0x10\n") == "OK"
    assert err_of(tgt, luns, "add n1 16384\n") == "EINVAL"
    assert err_of(tgt, luns, "add n1 16383\n") == "OK"
    assert err_of(tgt, luns, "add n1 1;read_only=1\n") == "EINVAL"    # LUN must be separated
    assert err_of(tgt, luns, "add n1 1 bogus=1\n") == "EINVAL"
    assert err_of(tgt, luns, "add n1 1 read_only\n") == "EINVAL"
    assert err_of(tgt, luns, "add n1 1 READ_ONLY=5\n") == "OK"
    assert tgt.read(f"{T}/luns/1/read_only") == "1\n[key]\n"
    assert tgt.read(f"{T}/luns/8/read_only") == "0\n"
    assert tgt.node(f"{T}/luns/8/read_only").mode == 0o444
    assert err_of(tgt, luns, "del 8 9\n") == "EINVAL"
    assert err_of(tgt, luns, "del 99\n") == "EINVAL"
    assert err_of(tgt, luns, "replace n2 1\n") == "OK"
    assert tgt.readlink(f"{T}/luns/1/device") == "../../../../../devices/n2"
    assert tgt.read(f"{T}/luns/1/read_only") == "0\n"
    assert err_of(tgt, luns, "replace_no_ua n2 2 read_only=1\n") == "OK"  # adds
    assert err_of(tgt, luns, "clear x\n") == "EINVAL"
    assert err_of(tgt, luns, "CLEAR\n") == "OK"
    assert tgt.listdir(f"{T}/luns") == ["mgmt"]
    assert err_of(tgt, luns, "frob n1 1\n") == "EINVAL"


def test_copy_manager_refuses_groups_and_read_only(tgt):
    cm = "targets/copy_manager/copy_manager_tgt"
    assert err_of(tgt, f"{cm}/ini_groups/mgmt", "create g\n") == "EINVAL"
    assert err_of(tgt, f"{cm}/luns/mgmt", "add n1 100 read_only=1\n") == "EINVAL"
    assert not tgt.exists(f"{cm}/enabled")
    assert not tgt.exists("targets/copy_manager/mgmt")


def test_groups_and_initiators(tgt):
    ig = f"{T}/ini_groups"
    assert err_of(tgt, f"{ig}/mgmt", "create\n") == "EINVAL"
    assert err_of(tgt, f"{ig}/mgmt", "create g1 ignored extra\n") == "OK"
    assert err_of(tgt, f"{ig}/mgmt", "create g1\n") == "EEXIST"
    assert err_of(tgt, f"{ig}/mgmt", "create t1\n") == "OK"            # may equal target
    assert err_of(tgt, f"{ig}/mgmt", "Create G1\n") == "OK"            # case-sensitive names
    assert err_of(tgt, f"{ig}/mgmt", "del nosuch\n") == "EINVAL"
    assert err_of(tgt, f"{ig}/mgmt", "rename g1\n") == "EINVAL"
    ini = f"{ig}/g1/initiators/mgmt"
    assert err_of(tgt, ini, "add iqn.a:1\n") == "OK"
    assert err_of(tgt, ini, "add iqn.a:1\n") == "EEXIST"
    assert err_of(tgt, f"{ig}/t1/initiators/mgmt", "add iqn.a:1\n") == "OK"  # other group ok
    assert tgt.read(f"{ig}/g1/initiators/iqn.a:1") == "iqn.a:1\n"
    assert tgt.node(f"{ig}/g1/initiators/iqn.a:1").mode == 0o444
    assert err_of(tgt, ini, "move iqn.a:1 nosuch\n") == "EINVAL"
    assert err_of(tgt, ini, "move iqn.a:9 t1\n") == "EINVAL"
    assert err_of(tgt, ini, "move iqn.a:1 t1\n") == "EEXIST"
    assert err_of(tgt, ini, "move iqn.a:1 G1\n") == "OK"
    assert tgt.listdir(f"{ig}/G1/initiators") == ["iqn.a:1", "mgmt"]
    assert err_of(tgt, ini, "del iqn.a:1\n") == "EINVAL"
    assert err_of(tgt, f"{ig}/G1/initiators/mgmt", "clear\n") == "OK"
    assert tgt.listdir(f"{ig}/G1/initiators") == ["mgmt"]
    assert tgt.read(f"{ig}/g1/per_sess_dedicated_tgt_threads") == "0\n"
    assert tgt.read(f"{ig}/g1/addr_method") == "PERIPHERAL\n"


def test_sessions_bind_by_pattern_and_block_deletion(tgt):
    tgt.write(f"{T}/ini_groups/mgmt", "create hosts\n")
    tgt.write(f"{T}/ini_groups/hosts/initiators/mgmt", "add IQN.2026-01.EX:*\n")
    tgt.write(f"{T}/ini_groups/hosts/luns/mgmt", "add n2 0\n")
    tgt.write(f"{T}/luns/mgmt", "add n1 0\n")
    s1 = tgt.add_session("iscsi", "t1", "iqn.2026-01.ex:web1")
    s2 = tgt.add_session("iscsi", "t1", "iqn.2026-01.other:db")
    s3 = tgt.add_session("iscsi", "t1", "iqn.2026-01.ex:web1")
    assert (s1, s3) == ("iqn.2026-01.ex:web1", "iqn.2026-01.ex:web1_1")
    sess = f"{T}/sessions"
    assert tgt.readlink(f"{sess}/{s1}/luns") == "../../ini_groups/hosts/luns"
    assert tgt.readlink(f"{sess}/{s2}/luns") == "../../luns"
    assert tgt.read(f"{sess}/{s1}/luns/0/device/prod_id") == "n2\n"
    assert "lun0" in tgt.listdir(f"{sess}/{s1}")
    assert err_of(tgt, f"{T}/ini_groups/mgmt", "del hosts\n") == "EBUSY"
    assert err_of(tgt, "targets/iscsi/mgmt", "del_target t1\n") == "EBUSY"
    # re-evaluated after initiator changes: the group is free once nobody matches
    tgt.write(f"{T}/ini_groups/hosts/initiators/mgmt", "del IQN.2026-01.EX:*\n")
    assert tgt.readlink(f"{sess}/{s1}/luns") == "../../luns"
    assert err_of(tgt, f"{T}/ini_groups/mgmt", "del hosts\n") == "OK"
    for s in (s1, s2, s3):
        tgt.write(f"{sess}/{s}/force_close", "1\n")
    assert tgt.listdir(sess) == []
    assert err_of(tgt, "targets/iscsi/mgmt", "del_target t1\n") == "OK"


def test_forcibly_close_sessions_option():
    emu = ScstEmulator(forcibly_close_sessions=True)
    emu.write("targets/iscsi/mgmt", "add_target t1\n")
    emu.write(f"{T}/ini_groups/mgmt", "create g\n")
    emu.write(f"{T}/ini_groups/g/initiators/mgmt", "add *\n")
    emu.add_session("iscsi", "t1", "iqn.x:y")
    assert err_of(emu, f"{T}/ini_groups/mgmt", "del g\n") == "OK"
    assert emu.listdir(f"{T}/sessions") == []


def test_enable_and_rel_tgt_id(tgt):
    tgt.write("targets/iscsi/mgmt", "add_target t2\n")
    tgt.write("targets/iscsi/mgmt", "add_target t3\n")
    assert tgt.read(f"{T}/rel_tgt_id") == "0\n"
    assert err_of(tgt, f"{T}/enabled", "x\n") == "EINVAL"
    tgt.write(f"{T}/enabled", "1\n")
    assert tgt.read(f"{T}/enabled") == "1\n"
    assert tgt.read(f"{T}/rel_tgt_id") == "1\n[key]\n"
    tgt.write("targets/iscsi/t2/enabled", "1\n")
    assert tgt.read("targets/iscsi/t2/rel_tgt_id") == "2\n[key]\n"
    assert err_of(tgt, "targets/iscsi/t2/rel_tgt_id", "1\n") == "EBADSLT"
    assert err_of(tgt, "targets/iscsi/t2/rel_tgt_id", "0\n") == "EINVAL"
    assert err_of(tgt, "targets/iscsi/t2/rel_tgt_id", "65536\n") == "EINVAL"
    assert err_of(tgt, "targets/iscsi/t2/rel_tgt_id", "abc\n") == "EINVAL"
    assert err_of(tgt, "targets/iscsi/t3/rel_tgt_id", "01\n") == "OK"    # disabled: ok
    assert err_of(tgt, "targets/iscsi/t3/enabled", "1\n") == "EBADSLT"
    tgt.write(f"{T}/enabled", "0\n")
    assert tgt.read(f"{T}/rel_tgt_id") == "1\n[key]\n"                    # stays key
    assert err_of(tgt, "targets/iscsi/t3/enabled", "1\n") == "OK"


def test_target_attributes(tgt):
    assert tgt.read(f"{T}/comment") == ""
    tgt.write(f"{T}/comment", "hello world\n")
    assert tgt.read(f"{T}/comment") == "hello world\n[key]\n"
    tgt.write(f"{T}/comment", "\n")
    assert tgt.read(f"{T}/comment") == ""
    assert err_of(tgt, f"{T}/addr_method", "FLATX") == "OK"
    assert tgt.read(f"{T}/addr_method") == "FLAT\n[key]\n"
    assert err_of(tgt, f"{T}/addr_method", "lun\n") == "OK"
    assert tgt.read(f"{T}/addr_method") == "LUN\n[key]\n"
    assert err_of(tgt, f"{T}/addr_method", "F\n") == "EINVAL"          # '\n' is compared
    assert err_of(tgt, f"{T}/io_grouping_type", "never\n") == "OK"
    assert tgt.read(f"{T}/io_grouping_type") == "never\n[key]\n"
    assert err_of(tgt, f"{T}/io_grouping_type", "3\n") == "OK"
    assert tgt.read(f"{T}/io_grouping_type") == "3\n[key]\n"
    assert err_of(tgt, f"{T}/io_grouping_type", "0\n") == "EINVAL"
    assert err_of(tgt, f"{T}/black_hole", "5\n") == "EINVAL"
    assert err_of(tgt, f"{T}/black_hole", "4\n") == "OK"
    assert tgt.read(f"{T}/black_hole") == "4\n"
    assert tgt.read(f"{T}/cpu_mask") == "3\n"
    assert err_of(tgt, f"{T}/cpu_mask", "zz\n") == "EINVAL"
    tgt.write(f"{T}/cpu_mask", "1\n")
    assert tgt.read(f"{T}/cpu_mask") == "1\n[key]\n"
    assert err_of(tgt, f"{T}/forward_src", "2\n") == "EINVAL"
    tgt.write(f"{T}/forwarding", "1\n")
    assert tgt.read(f"{T}/forward_dst") == "1\n[key]\n"
    assert tgt.read(f"{T}/sg_tablesize") == "65535\n"
    assert tgt.node(f"{T}/read_cmd_count").mode == 0o444


def test_cpu_mask_format_for_many_cpus():
    emu = ScstEmulator(ncpus=40)
    emu.write("targets/iscsi/mgmt", "add_target t1\n")
    assert emu.read(f"{T}/cpu_mask") == "ff,ffffffff\n"
    emu.write(f"{T}/cpu_mask", "1,00000001\n")
    assert emu.read(f"{T}/cpu_mask") == "01,00000001\n[key]\n"


def test_scst_local():
    emu = ScstEmulator(with_scst_local=True)
    local = "targets/scst_local"
    assert emu.listdir(f"{local}/scst_local_tgt/sessions") == ["scst_local_host"]
    assert err_of(emu, f"{local}/mgmt", "add_target scst_local_tgt\n") == "EFAULT"
    assert err_of(emu, f"{local}/mgmt", "add_target t2 bogus=1\n") == "EINVAL"
    assert err_of(emu, f"{local}/mgmt", "add_target t2 session_name=s1;session_name=s2\n") == "OK"
    assert emu.listdir(f"{local}/t2/sessions") == ["s1", "s2"]
    assert not emu.exists(f"{local}/t2/enabled")
    assert err_of(emu, f"{local}/mgmt", "add_session nosuch s\n") == "EINVAL"
    assert err_of(emu, f"{local}/mgmt", "add_session t2\n") == "EINVAL"
    assert err_of(emu, f"{local}/mgmt", "del_session t2 nosuch\n") == "EINVAL"
    assert err_of(emu, f"{local}/mgmt", "whatever t2 s1\n") == "OK"
    assert err_of(emu, f"{local}/mgmt", "del_target t2\n") == "OK"    # closes sessions
    assert err_of(emu, f"{local}/mgmt", "del_target t2\n") == "ENOENT"
    assert emu.read(f"{local}/scst_local_tgt/phys_transport_version") == "0x0\n"
