# Copyright: scst.iscsi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""scst.iscsi.iscsi_rescan: rescan, resize the maps whose paths grew, report sizes; check mode
predicts from READ CAPACITY without rescanning; a shrunk LUN is an error."""

from __future__ import annotations

import functools

import pytest

from iscsi_unit_support import NO_SESSIONS
from multipath_unit_support import GIB, TARGET, TWO_PATHS, WWID_DATA, FakeCommands, SysBlock, route_commands, session_tree

from ansible_collections.scst.iscsi.plugins.module_utils.iscsi import multipath as multipath_utils
from ansible_collections.scst.iscsi.plugins.modules import iscsi_rescan

TREE = ("-m", "session", "-P", "3")
RESCANNED = "Rescanning session [sid: {0}, target: iqn.2026-11.test.lab:tgt1, portal: 192.168.77.10,3260]\n"


@pytest.fixture
def commands(monkeypatch, run_module, iscsiadm_fake):
    return route_commands(monkeypatch, iscsiadm_fake, FakeCommands())


@pytest.fixture
def host(monkeypatch, tmp_path, iscsiadm_fake):
    """LUN 0 is map data0 over sda and sdc; LUN 1 (sdb, sdd) has no map. All 1 GiB."""
    block = SysBlock(str(tmp_path / "sys"))
    monkeypatch.setattr(iscsi_rescan, "MultipathSysfs",
                        functools.partial(multipath_utils.MultipathSysfs, sys_root=str(tmp_path / "sys")))
    for name in ("sda", "sdb", "sdc", "sdd"):
        block.disk(name, size=GIB, kernel_wwid="eui.613863313635372d" if name in ("sda", "sdc") else None)
    block.map("dm-0", name="data0", wwid=WWID_DATA, paths=["sda", "sdc"], size=GIB)
    iscsiadm_fake.on(*TREE, out=session_tree(TWO_PATHS))
    return block


def grow(block, *names, size=2 * GIB):
    def effect():
        for name in names:
            block.set_size(name, size)
    return effect


def readcap(size, block_size=512):
    return "0x{0:x} 0x{1:x}\n".format(size // block_size, block_size)


def test_rescan_grows_the_map_whose_paths_grew(run_module, iscsiadm_fake, commands, host):
    # The target grew LUN 0: each session's rescan makes the kernel read the new size of its path.
    iscsiadm_fake.on("-m", "session", "-r", "3", "--rescan", out=RESCANNED.format(3))
    iscsiadm_fake.on("-m", "session", "-r", "4", "--rescan", out=RESCANNED.format(4))
    commands.on("multipathd", "resize", "map", "data0", out="ok\n", effect=grow(host, "dm-0"))
    commands.after_iscsiadm("-m", "session", "-r", "3", "--rescan", effect=grow(host, "sda", "sdb"))
    commands.after_iscsiadm("-m", "session", "-r", "4", "--rescan", effect=grow(host, "sdc", "sdd"))
    result, failed = run_module(iscsi_rescan, {"target": TARGET, "portal": "192.168.77.10"})
    assert not failed, result
    assert result["changed"] is True
    # the session of the map's other path (sid 4) is rescanned too
    assert iscsiadm_fake.writes() == [("-m", "session", "-r", "3", "--rescan"), ("-m", "session", "-r", "4", "--rescan")]
    assert commands.calls == [("multipathd", "resize", "map", "data0")]
    assert result["devices"] == [
        {"device": "dm-0", "name": "data0", "wwid": WWID_DATA, "mapper": "/dev/mapper/data0", "paths": ["sda", "sdc"],
         "size_before": GIB, "size_after": 2 * GIB},
        {"device": "sdb", "name": None, "wwid": None, "mapper": None, "paths": ["sdb"],
         "size_before": GIB, "size_after": 2 * GIB}]
    assert result["sessions"] == [3, 4]


def test_nothing_grew_nothing_changed(run_module, iscsiadm_fake, commands, host):
    iscsiadm_fake.on("-m", "session", "-r", "3", "--rescan", out=RESCANNED.format(3))
    iscsiadm_fake.on("-m", "session", "-r", "4", "--rescan", out=RESCANNED.format(4))
    result, failed = run_module(iscsi_rescan, {"target": TARGET})
    assert not failed, result
    assert result["changed"] is False and commands.calls == []
    assert result["diff"]["before"] == result["diff"]["after"]


def test_check_mode_reads_capacity_and_predicts_the_real_run(run_module, iscsiadm_fake, commands, host):
    for name, size in (("sda", 2 * GIB), ("sdb", GIB), ("sdc", 2 * GIB), ("sdd", GIB)):
        commands.on("sg_readcap", "--brief", "--readonly", "/dev/" + name, out=readcap(size, 4096))
    predicted, failed = run_module(iscsi_rescan, {"target": TARGET}, check_mode=True)
    assert not failed, predicted
    assert iscsiadm_fake.writes() == [] and all(call[0] == "sg_readcap" for call in commands.calls)
    # the same host, for real: the rescans make the kernel read the sizes READ CAPACITY gave
    iscsiadm_fake.on("-m", "session", "-r", "3", "--rescan", out=RESCANNED.format(3))
    iscsiadm_fake.on("-m", "session", "-r", "4", "--rescan", out=RESCANNED.format(4))
    commands.after_iscsiadm("-m", "session", "-r", "3", "--rescan", effect=grow(host, "sda"))
    commands.after_iscsiadm("-m", "session", "-r", "4", "--rescan", effect=grow(host, "sdc"))
    commands.on("multipathd", "resize", "map", "data0", out="ok\n", effect=grow(host, "dm-0"))
    done, failed = run_module(iscsi_rescan, {"target": TARGET})
    assert not failed, done
    for key in ("changed", "devices", "sessions", "diff"):
        assert predicted[key] == done[key], key
    assert predicted["changed"] is True


def test_check_mode_without_sg_readcap_says_what_to_install(run_module, monkeypatch, iscsiadm_fake, host):
    route_commands(monkeypatch, iscsiadm_fake, FakeCommands(), binaries=("multipathd",))
    result, failed = run_module(iscsi_rescan, {}, check_mode=True)
    assert failed and "install sg3-utils" in result["msg"]
    assert iscsiadm_fake.writes() == []


def test_a_failed_read_capacity_names_the_device(run_module, iscsiadm_fake, commands, host):
    commands.on("sg_readcap", "--brief", "--readonly", "/dev/sda", rc=15, out="0x0 0x0\n",
                err="sg_readcap: error opening file: /dev/sda: No such device or address\n")
    result, failed = run_module(iscsi_rescan, {"target": TARGET}, check_mode=True)
    assert failed and result["msg"].startswith("READ CAPACITY of sda failed (sg_readcap exit 15)")


def test_a_lun_smaller_after_the_rescan_is_an_error(run_module, iscsiadm_fake, commands, host):
    iscsiadm_fake.on("-m", "session", "-r", "3", "--rescan", out=RESCANNED.format(3))
    iscsiadm_fake.on("-m", "session", "-r", "4", "--rescan", out=RESCANNED.format(4))
    commands.after_iscsiadm("-m", "session", "-r", "3", "--rescan", effect=grow(host, "sdb", size=GIB // 2))
    commands.after_iscsiadm("-m", "session", "-r", "4", "--rescan", effect=grow(host, "sda", "sdc"))
    result, failed = run_module(iscsi_rescan, {"target": TARGET})
    assert failed
    assert result["msg"] == ("after the rescan: disk sdb is smaller than before (536870912 bytes, was 1073741824): "
                             "a target never shrinks a LUN in use; check the target's device before using this one")
    assert commands.calls == []


def test_a_shrink_is_predicted_in_check_mode(run_module, iscsiadm_fake, commands, host):
    for name, size in (("sda", GIB), ("sdb", GIB // 2), ("sdc", GIB), ("sdd", GIB // 2)):
        commands.on("sg_readcap", "--brief", "--readonly", "/dev/" + name, out=readcap(size))
    result, failed = run_module(iscsi_rescan, {"target": TARGET}, check_mode=True)
    assert failed and result["msg"].startswith("check mode: disk sdb is smaller than before")


def test_paths_that_disagree_are_not_resized(run_module, iscsiadm_fake, commands, host):
    iscsiadm_fake.on("-m", "session", "-r", "3", "--rescan", out=RESCANNED.format(3))
    iscsiadm_fake.on("-m", "session", "-r", "4", "--rescan", out=RESCANNED.format(4))
    host.set_size("sda", 2 * GIB)
    result, failed = run_module(iscsi_rescan, {"target": TARGET})
    assert failed
    assert result["msg"] == ("after the rescan: map data0 (dm-0, paths sda, sdc): the paths report different sizes "
                             "(sda 2147483648, sdc 1073741824); not resized")
    assert commands.calls == []


def test_no_session_for_the_target_is_an_error(run_module, iscsiadm_fake, commands):
    iscsiadm_fake.on(*TREE, rc=21, err=NO_SESSIONS)
    result, failed = run_module(iscsi_rescan, {"target": TARGET})
    assert failed and result["msg"].startswith("no session to target " + TARGET)


def test_a_map_name_multipathd_would_split_is_refused(run_module, iscsiadm_fake, commands, host, tmp_path):
    (tmp_path / "sys" / "block" / "dm-0" / "dm" / "name").write_text("data 0\n")
    iscsiadm_fake.on("-m", "session", "-r", "3", "--rescan", out=RESCANNED.format(3))
    iscsiadm_fake.on("-m", "session", "-r", "4", "--rescan", out=RESCANNED.format(4))
    host.set_size("sda", 2 * GIB)
    host.set_size("sdc", 2 * GIB)
    result, failed = run_module(iscsi_rescan, {"target": TARGET})
    assert failed and result["msg"] == "map name 'data 0' cannot be passed to multipathd safely"
    assert commands.calls == []


def test_a_map_name_multipathd_would_split_is_refused_in_check_mode_too(run_module, iscsiadm_fake, commands, host,
                                                                        tmp_path):
    (tmp_path / "sys" / "block" / "dm-0" / "dm" / "name").write_text("data 0\n")
    for name, size in (("sda", 2 * GIB), ("sdb", GIB), ("sdc", 2 * GIB), ("sdd", GIB)):
        commands.on("sg_readcap", "--brief", "--readonly", "/dev/" + name, out=readcap(size))
    result, failed = run_module(iscsi_rescan, {"target": TARGET}, check_mode=True)
    assert failed and result["msg"] == "map name 'data 0' cannot be passed to multipathd safely"
