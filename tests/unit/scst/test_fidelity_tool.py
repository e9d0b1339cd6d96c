"""The fidelity tool of the scst scenario (tests/vm/scst_fidelity.py).

The emulator stands in for the real SCST on the guest side: with the emulator
on both sides the differential finds nothing, and every kind of planted
difference (a value, a [key] mark, a mode, a byte, an extra or missing file, a
write's result, something left behind) is reported and fails the command.
The scst.conf comparison ignores exactly its documented exceptions.
"""

from __future__ import annotations

import copy
import ctypes.util
import errno
import importlib.util
import json
import os
import pathlib
import re
import subprocess
import sys

import pytest

from ansible_collections.scst.iscsi.plugins.module_utils.scst import conf, info
from ansible_collections.scst.iscsi.plugins.module_utils.scst.live import LiveTree
from ansible_collections.scst.iscsi.plugins.module_utils.scst.sysfs import Sysfs
from scst_emulator import InProcessBackend, ScstEmulator

ROOT = pathlib.Path(__file__).resolve().parents[3]
FIXTURES = pathlib.Path(__file__).resolve().parent / "fixtures"
EMULATOR_TESTS = ROOT / "tests" / "emulator" / "tests"
LAB_TARGET = "iqn.2026-11.org.example.lab:scst.disk1"
SECRET = "fidsecret1234"


def _load_tool():
    spec = importlib.util.spec_from_file_location("scst_fidelity", ROOT / "tests" / "vm" / "scst_fidelity.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


fid = _load_tool()


def _emulator_backing(emu):
    def make(backing, missing):
        for path, size in backing:
            emu.add_backing(path, size, "file")
        for path in missing:
            emu.set_missing_file(path)
    return make


def _lab_like_emulator():
    """An emulator in the state of the scenario's guest: the lab's device and
    target with a logged-in initiator, 4 CPUs, a release build (no tracing),
    SCST's global settings changed."""
    emu = ScstEmulator(ncpus=4, scst_threads=4, passthrough_handlers=["dev_cdrom", "dev_disk"], tracing=False)
    for path, data in (("handlers/vdisk_fileio/mgmt", "add_device disk1 filename=/srv/scst/disk1.img"),
                       ("targets/iscsi/mgmt", "add_target " + LAB_TARGET),
                       ("targets/iscsi/mgmt", "add_target_attribute %s allowed_portal 192.168.77.10" % LAB_TARGET),
                       ("targets/iscsi/%s/luns/mgmt" % LAB_TARGET, "add disk1 0"),
                       ("targets/iscsi/%s/enabled" % LAB_TARGET, "1"),
                       ("targets/iscsi/enabled", "1"),
                       ("setup_id", "0x77"),
                       ("cluster_name", "lab")):
        emu.write(path, data + "\n")
    emu.add_session("iscsi", LAB_TARGET, "iqn.2026-11.org.example.lab:initiator1", ip="192.168.77.20",
                    target_ip="192.168.77.10")
    return emu


def _guest_run(emu):
    return fid.run_sequence(fid.EmulatorTree(emu), backing_dir="/srv/scst/fidelity",
                            make_backing=_emulator_backing(emu))


@pytest.fixture(scope="module")
def runs():
    """(real, emulated): the sequence on a lab-like emulator standing in for the
    guest, and its replay on an emulator set up from the recorded baseline."""
    real = _guest_run(_lab_like_emulator())
    return real, fid.replay(real)


def _write_runs(tmp_path, real, emulated):
    paths = tmp_path / "real.json", tmp_path / "emulated.json"
    for path, data in zip(paths, (real, emulated)):
        path.write_text(json.dumps(data))
    return [str(p) for p in paths]


# -- the differential -----------------------------------------------------------

def test_emulator_on_both_sides_reports_no_difference(runs, tmp_path, capsys):
    real, emulated = runs
    problems, report = fid.compare_runs(real, emulated)
    assert problems == []
    assert fid.main(["diff", *_write_runs(tmp_path, real, emulated)]) == 0
    out = capsys.readouterr().out
    assert "differential: OK, no difference" in out
    assert re.search(r"snapshot built: \d{3} entries compared, 0 differences", out)
    assert "objects the sequence did not create" in out       # the exclusions are listed
    assert SECRET not in out


def test_the_sequence_meets_refusals_and_changes_state(runs):
    real = runs[0]
    results = [s["result"] for s in real["steps"] if "write" in s]
    assert {"EEXIST", "EINVAL", "ENOENT", "EBUSY"} <= set(results)
    assert results.count("0") > 60
    built = fid.parse_dump(real["snapshots"]["built"])
    assert built["devices/fidf1/t10_vend_id"].lines == ["FIDVEND", "[key]"]
    assert built["device_groups/fiddg/target_groups/fidtg2/state"].lines == ["standby", "[key]"]
    assert built["devices/fidf2/t10_dev_id"].lines[0] == "fid-f2-id"
    # created after setup_id 0x5eed: the default identifiers carry it
    assert built["devices/fidn2/usn"].lines[0].startswith("5eed")
    assert real["cleanup"] == []


def test_lab_objects_and_global_settings_are_aligned_not_compared(runs):
    real, emulated = runs
    aligned = dict((a["write"], a["data"]) for a in emulated["alignment"])
    assert aligned == {"setup_id": "0x77\n", "cluster_name": "lab\n", "targets/iscsi/enabled": "1\n"}
    emu, _tree, _alignment = fid.emulator_like(real)
    assert emu.config.ncpus == 4 and emu.config.tracing is False
    assert emu.config.passthrough_handlers == ["dev_cdrom", "dev_disk"]


def _plant(emulated, snapshot, edit):
    planted = copy.deepcopy(emulated)
    text = planted["snapshots"][snapshot]
    changed = edit(text)
    assert changed != text, "the planted difference did not change the dump"
    planted["snapshots"][snapshot] = changed
    return planted


def _replace_line(old, new):
    def edit(text):
        assert old in text
        return text.replace(old, new, 1)
    return edit


@pytest.mark.parametrize("snapshot, edit, expected", [
    ("built", _replace_line("devices/fidf1/t10_vend_id  [file mode=0644 rw bytes=14] =\n    | FIDVEND\n",
                            "devices/fidf1/t10_vend_id  [file mode=0644 rw bytes=14] =\n    | FIDVENX\n"),
     "devices/fidf1/t10_vend_id: real SCST 'FIDVEND\\n[key]', emulator 'FIDVENX\\n[key]'"),
    ("built", _replace_line("device_groups/fiddg/target_groups/fidtg2/state  [file mode=0644 rw bytes=14] =\n"
                            "    | standby\n    | [key]\n",
                            "device_groups/fiddg/target_groups/fidtg2/state  [file mode=0644 rw bytes=14] = "
                            "standby\n"),
     "device_groups/fiddg/target_groups/fidtg2/state: [key] set on real SCST, not set in the emulator"),
    ("changed", lambda text: text + "devices/fidf1/extra  [file mode=0644 rw bytes=2] = 1\n",
     "devices/fidf1/extra: only in the emulator"),
    ("built", _replace_line("devices/fidf1/prod_id  [file mode=0644 rw", "devices/fidf1/prod_id  [file mode=0444 ro"),
     "devices/fidf1/prod_id: mode 0644 on real SCST, 0444 in the emulator"),
    ("built", _replace_line("devices/fidn1/read_zero  [file mode=0644 rw bytes=8]",
                            "devices/fidn1/read_zero  [file mode=0644 rw bytes=9]"),
     "devices/fidn1/read_zero: 8 bytes on real SCST, 9 in the emulator"),
    ("removed", lambda text: re.sub(r"^max_tasklet_cmd .*\n", "", text, flags=re.M),
     "max_tasklet_cmd: only on real SCST"),
    ("built", _replace_line("devices/fidf1/handler  [symlink] -> ../../handlers/vdisk_fileio",
                            "devices/fidf1/handler  [symlink] -> ../../handlers/vdisk_blockio"),
     "devices/fidf1/handler: link to ../../handlers/vdisk_fileio on real SCST, to ../../handlers/vdisk_blockio"),
])
def test_a_planted_difference_is_reported_and_fails(runs, tmp_path, capsys, snapshot, edit, expected):
    real, emulated = runs
    planted = _plant(emulated, snapshot, edit)
    problems, _report = fid.compare_runs(real, planted)
    assert len(problems) == 1 and expected in problems[0], problems
    assert fid.main(["diff", *_write_runs(tmp_path, real, planted)]) == 1
    out = capsys.readouterr().out
    assert "differential: DIFFERENCE: snapshot %s: %s" % (snapshot, expected) in out
    assert "differential: FAILED, 1 differences" in out


@pytest.mark.parametrize("pattern, new", [
    # the lab's own target (its session, counters, LUNs) is not the sequence's
    (r"^targets/iscsi/%s/luns/0/read_only .*$" % re.escape(LAB_TARGET),
     "targets/iscsi/%s/luns/0/read_only  [file mode=0444 ro bytes=2] = 1" % LAB_TARGET),
    (r"^sgv/global_stats .*$", "sgv/global_stats  [file mode=0600 rw bytes=3] = 12"),
    (r"^last_sysfs_mgmt_res .*$", "last_sysfs_mgmt_res  [file mode=0444 ro bytes=4] = -16"),
    (r"^targets/iscsi/%s/tid .*$" % re.escape(LAB_TARGET), "targets/iscsi/%s/tid  [file mode=0444 ro bytes=2] = 9"
     % LAB_TARGET),
    (r"^version  .*$", "version  [file mode=0444 ro bytes=3] = 42"),
])
def test_a_change_in_an_excluded_entry_is_not_reported(runs, pattern, new):
    real, emulated = runs
    planted = copy.deepcopy(real)
    text = planted["snapshots"]["built"]
    planted["snapshots"]["built"] = re.sub(pattern, new, text, count=1, flags=re.M)
    assert planted["snapshots"]["built"] != text
    assert fid.compare_runs(planted, emulated)[0] == []


def test_a_different_write_result_is_reported_without_the_secret(runs, capsys, tmp_path):
    real, emulated = runs
    planted = copy.deepcopy(emulated)
    index = next(i for i, s in enumerate(planted["steps"])
                 if "write" in s and SECRET in s["data"])
    planted["steps"][index]["result"] = "EINVAL"
    problems, _report = fid.compare_runs(real, planted)
    assert len(problems) == 1
    assert "real SCST 0, emulator EINVAL" in problems[0] and "IncomingUser fiduser ********" in problems[0]
    assert fid.main(["diff", *_write_runs(tmp_path, real, planted)]) == 1
    assert SECRET not in capsys.readouterr().out


def test_something_left_behind_on_the_guest_is_reported(runs):
    real, emulated = runs
    planted_real = copy.deepcopy(real)
    planted_real["snapshots"]["removed"] += "devices/fidzz/  [dir]\n"
    planted_emulated = _plant(emulated, "removed", lambda text: text + "devices/fidzz/  [dir]\n")
    problems, _report = fid.compare_runs(planted_real, planted_emulated)
    assert problems == ["left behind on real SCST: devices/fidzz: only in the guest after the sequence ([dir])"]
    planted_real["cleanup"] = [{"write": "handlers/vdisk_nullio/mgmt", "data": "del_device fidzz\n", "result": "0"}]
    assert len(fid.compare_runs(planted_real, planted_emulated)[0]) == 2


def test_differential_command_replays_and_compares(runs, tmp_path, capsys):
    real = runs[0]
    path = tmp_path / "real.json"
    path.write_text(json.dumps(real))
    assert fid.main(["differential", str(path), "--out", str(tmp_path / "emu.json")]) == 0
    out = capsys.readouterr().out
    assert "emulator set up like the guest: echo '0x77' > setup_id (0)" in out
    assert json.loads((tmp_path / "emu.json").read_text())["snapshots"].keys() == real["snapshots"].keys()


def test_copy_manager_lun_numbers_are_canonical():
    entries = fid.parse_dump(
        "devices/fidx/exported/export0  [symlink] -> ../../../targets/copy_manager/copy_manager_tgt/luns/12\n"
        "targets/copy_manager/copy_manager_tgt/luns/12/  [dir]\n"
        "targets/copy_manager/copy_manager_tgt/luns/12/device  [symlink] -> ../../../../../devices/fidx\n")
    assert sorted(fid.canonical(entries)) == [
        "devices/fidx/exported/export0", "targets/copy_manager/copy_manager_tgt/luns/@fidx",
        "targets/copy_manager/copy_manager_tgt/luns/@fidx/device"]
    assert fid.canonical(entries)["devices/fidx/exported/export0"].link.endswith("/luns/@fidx")


# -- writes and dumps -------------------------------------------------------------

def test_eagain_result_comes_from_last_sysfs_mgmt_res():
    emu = ScstEmulator()
    tree = fid.EmulatorTree(emu)
    emu.inject_eagain(count=2, polls=2)
    sleeps = []
    assert fid.apply_write(tree, "handlers/vdisk_nullio/mgmt", "add_device fidq\n", sleep=sleeps.append) == ("0", True)
    assert fid.apply_write(tree, "handlers/vdisk_nullio/mgmt", "add_device fidq\n",
                           sleep=sleeps.append) == ("EEXIST", True)
    assert len(sleeps) == 4
    assert fid.apply_write(tree, "handlers/vdisk_nullio/mgmt", "add_device fidq\n") == ("EEXIST", False)


def test_eagain_that_never_ends_is_an_error():
    class Stuck(object):
        def write(self, rel, data):
            raise OSError(errno.EAGAIN, "busy", rel)

        def read(self, rel):
            raise OSError(errno.EAGAIN, "busy", rel)

    ticks = iter(range(1000))
    with pytest.raises(OSError) as failure:
        fid.apply_write(Stuck(), "x/mgmt", "cmd\n", sleep=lambda s: None, clock=lambda: next(ticks), timeout=5)
    assert failure.value.errno == errno.EAGAIN


def test_os_tree_dump_reads_back(tmp_path):
    (tmp_path / "dir").mkdir()
    files = {"plain": ("1\n", 0o644), "keyed": ("abc\n[key]\n\n", 0o644), "empty": ("", 0o644),
             "dir/wo": ("secret-ish\n", 0o200), "IncomingUser1": ("joe %s\n[key]\n" % SECRET, 0o600),
             "ro": ("x y \n", 0o444)}
    for name, (text, mode) in files.items():
        path = tmp_path / name
        path.write_text(text)
        path.chmod(mode)
    (tmp_path / "dir" / "link").symlink_to("../plain")
    text = fid.dump_tree(fid.OsTree(str(tmp_path)))
    assert SECRET not in text
    entries = fid.parse_dump(text)
    assert entries["dir"].kind == "dir"
    assert entries["dir/link"].link == "../plain"
    assert entries["dir/wo"].note == "not readable" and entries["dir/wo"].mode == 0o200
    assert (entries["plain"].lines, entries["plain"].size) == (["1"], 2)
    assert (entries["keyed"].lines, entries["keyed"].size) == (["abc", "[key]"], 11)
    assert (entries["empty"].lines, entries["empty"].size) == ([""], 0)
    assert entries["ro"].lines == ["x y "] and entries["ro"].mode == 0o444
    assert entries["IncomingUser1"].lines[0].startswith("joe <secret sha256:")


def test_live_dump_format_is_read():
    """The measurements of a real SCST parse, and against the emulator's lab the
    only difference is the host's PCI path of the pass-through device."""
    sys.path.insert(0, str(EMULATOR_TESTS))
    try:
        from labsetup import build_lab, lab_emulator  # pylint: disable=import-outside-toplevel
    finally:
        sys.path.remove(str(EMULATOR_TESTS))
    live = fid.parse_dump((EMULATOR_TESTS / "fixtures" / "live-sysfs-dump.txt").read_text())
    assert live["handlers/vdisk_fileio/mgmt"].help_bytes == 449
    assert live["devices/blk1/dump_prs"].note == "not readable"
    assert live["devices/blk1/filename"].lines == ["/dev/vdb", "[key]"]
    assert live["targets/iscsi/iqn.2026-11.test.lab:tgt1/IncomingUser"].lines[0].startswith("labuser <secret")
    emu = lab_emulator()
    emu.config.passthrough_handlers = []
    emu.handlers = emu.config.handlers()
    mine = fid.parse_dump(fid.dump_tree(fid.EmulatorTree(build_lab(emu))))
    problems = fid.compare_entries(fid.canonical(live), fid.canonical(mine), scope=fid.runtime_scope({}))
    assert len(problems) == 1 and problems[0].startswith("devices/2:0:0:0/scsi_device: link to ../../../../devices/pci")


def test_unparsable_dump_line_names_the_line():
    with pytest.raises(ValueError, match="dump line 2: not a dump entry"):
        fid.parse_dump("a  [dir]\nwhat is this\n")
    with pytest.raises(ValueError, match="dump line 1: a continuation line"):
        fid.parse_dump("    | orphan\n")


def _fuse_unavailable_reason():
    if not os.path.exists("/dev/fuse"):
        return "/dev/fuse does not exist (no FUSE in this kernel or container)"
    if ctypes.util.find_library("fuse") is None:
        return "libfuse2 (libfuse.so.2) is not installed"
    return None


@pytest.mark.skipif(_fuse_unavailable_reason() is not None, reason=_fuse_unavailable_reason() or "")
def test_guest_command_over_a_mounted_emulator_has_no_difference(tmp_path, capsys):
    """The guest's path: `run` through os calls on a mounted tree, then `differential`."""
    importlib.import_module("fuse")   # fusepy must be installed: a failure here is real
    mnt, sock = tmp_path / "scst_tgt", str(tmp_path / "ctl.sock")
    mnt.mkdir()
    env = dict(os.environ, PYTHONPATH=str(ROOT / "tests" / "emulator"))
    emulator = [sys.executable, "-m", "scst_emulator"]
    subprocess.run([*emulator, "mount", str(mnt), "--control", sock, "--check-real-fs"], env=env, check=True,
                   timeout=60, capture_output=True)
    try:
        out = tmp_path / "real.json"
        assert fid.main(["run", "--root", str(mnt), "--backing-dir", str(tmp_path / "backing"),
                         "--out", str(out)]) == 0
        assert not list((tmp_path / "backing").iterdir())          # backing files removed again
        assert fid.main(["differential", str(out)]) == 0, capsys.readouterr().out
    finally:
        subprocess.run([*emulator, "umount", str(mnt)], env=env, check=False, timeout=60, capture_output=True)


# -- scst.conf as data -------------------------------------------------------------

def _collection_conf_of_the_lab():
    """/etc/scst.conf as the collection writes it for the measured lab."""
    sys.path.insert(0, str(EMULATOR_TESTS))
    try:
        from labsetup import build_lab  # pylint: disable=import-outside-toplevel
    finally:
        sys.path.remove(str(EMULATOR_TESTS))
    live = LiveTree(Sysfs(InProcessBackend(build_lab())))
    return conf.render_scst_conf(info.read_configuration(live, mask=False))


def test_scstadmin_file_of_the_lab_equals_the_collections_but_for_the_exceptions(tmp_path, capsys):
    theirs = (FIXTURES / "scst-lab-write-config.conf").read_text()
    mine = _collection_conf_of_the_lab()
    problems, report = fid.compare_conf(mine, theirs)
    assert problems == []
    ignored = [line for line in report if line.startswith("ignored (documented exception): scstadmin: ")]
    assert len(ignored) == 3 and len(report) == 4, report
    for what in ("copy_manager", "device blk1: size 2147483648", "device blkloop: size 134217728"):
        assert sum(what in line for line in ignored) == 1, (what, ignored)
    (tmp_path / "a.conf").write_text(mine)
    (tmp_path / "b.conf").write_text(theirs)
    assert fid.main(["conf", str(tmp_path / "a.conf"), str(tmp_path / "b.conf")]) == 0
    out = capsys.readouterr().out
    assert "scst.conf as data: OK, no difference" in out
    assert "secret12chars" not in out


def _without_block(text, header):
    lines, out, depth = text.split("\n"), [], 0
    for line in lines:
        if depth == 0 and line.startswith(header):
            depth = 1
            continue
        if depth:
            depth += line.count("{") - line.count("}")
            continue
        out.append(line)
    return "\n".join(out)


ALUA = (FIXTURES / "scst-alua.conf").read_text()


@pytest.mark.parametrize("edit, expected", [
    (lambda t: _without_block(t, "DEVICE_GROUP dg1 {"), "device_groups.dg1: only in the collection file"),
    (lambda t: t.replace("\t\tstate standby\n", "\t\tstate offline\n"),
     'device_groups.dg1.target_groups.peer.state: collection file "standby", scstadmin file "offline"'),
    (lambda t: t.replace("\t\t\trel_tgt_id 2\n", "\t\t\trel_tgt_id 3\n"),
     "device_groups.dg1.target_groups.peer.targets.50:01:43:80:aa:bb:cc:dd.rel_tgt_id: collection file 2"),
    (lambda t: t.replace("setup_id 0x2a\n", ""), 'attributes.setup_id: only in the collection file: "0x2a"'),
    (lambda t: t.replace("\t\tpr_file_name /var/lib/scst/pr/disk1-alt\n", ""),
     "handlers.vdisk_fileio.devices.disk1.attributes.pr_file_name: only in the collection file"),
    (lambda t: t.replace("\t\tsize 67108864\n", "\t\tsize 134217728\n"),
     'handlers.vdisk_nullio.devices.null1.attributes.size_mb: collection file "64", scstadmin file "128"'),
])
def test_a_difference_outside_the_exceptions_is_reported(edit, expected, tmp_path, capsys):
    theirs = edit(ALUA)
    assert theirs != ALUA
    problems, _report = fid.compare_conf(ALUA, theirs)
    assert len(problems) == 1 and problems[0].startswith(expected), problems
    (tmp_path / "a.conf").write_text(ALUA)
    (tmp_path / "b.conf").write_text(theirs)
    assert fid.main(["conf", str(tmp_path / "a.conf"), str(tmp_path / "b.conf")]) == 1
    assert "scst.conf as data: FAILED, 1 differences" in capsys.readouterr().out


@pytest.mark.parametrize("edit", [
    lambda t: t.replace("# Automatically generated by SCST Configurator v3.11.0-pre.",
                        "# SCST configuration written by someone else\n# on another day"),
    lambda t: t.replace("HANDLER vdisk_fileio {\n\tDEVICE disk1 {\n",
                        "HANDLER vdisk_fileio {\n\tDEVICE disk1 {\n\t\tsize 268435456\n"),
    lambda t: t.replace("HANDLER vdisk_nullio {", "TARGET_DRIVER copy_manager {\n\tTARGET copy_manager_tgt {\n"
                                                  "\t\tLUN 0 disk1\n\t\tLUN 3 null1\n\t}\n}\n\nHANDLER vdisk_nullio {"),
], ids=["header", "fileio-size", "copy-manager-luns"])
def test_only_the_documented_exceptions_are_ignored(edit):
    theirs = edit(ALUA)
    assert theirs != ALUA
    assert fid.compare_conf(ALUA, theirs)[0] == []


def test_a_changed_chap_secret_is_reported_without_it():
    mine = (FIXTURES / "scst-lab.conf").read_text()
    theirs = mine.replace("labuser secret12chars", "labuser other12chars")
    problems, _report = fid.compare_conf(mine, theirs)
    assert len(problems) == 1 and ".chap.incoming" in problems[0]
    assert "secret12chars" not in problems[0] and "other12chars" not in problems[0]


def test_a_file_scstadmin_would_misread_is_reported():
    problems, _report = fid.compare_conf(ALUA, ALUA.replace("\tDEVICE disk1 {", "\tDEVICE disk1 {{"))
    assert len(problems) == 1 and problems[0].startswith("the scstadmin file cannot be read as scstadmin reads it")


# -- scstadmin -check_config ---------------------------------------------------------

CHECK_OK = """
Collecting current configuration: done.

-> Checking configuration file '/etc/scst.conf' for errors.
\t-> Done, 0 warnings found.

All done.
"""


@pytest.mark.parametrize("text, rc, expected", [
    (CHECK_OK, 0, []),
    (CHECK_OK, 1, ["scstadmin -check_config exited with 1"]),
    (CHECK_OK.replace("\t-> Done, 0 warnings", "\t-> WARNING: No LUN 0 defined for driver/target 'iscsi/t'.\n\n"
                      "\t-> Done, 1 warnings"),
     0, ["scstadmin -check_config: -> WARNING: No LUN 0 defined for driver/target 'iscsi/t'.",
         "scstadmin -check_config did not end with 'Done, 0 warnings found.'"]),
    (CHECK_OK.replace("\t-> Done, 0 warnings found.", "\t-> FATAL: Target 't' for driver 'qla2x00t' does not "
                      "exist.\n\t-> Done, 1 errors found."),
     0, ["scstadmin -check_config: -> FATAL: Target 't' for driver 'qla2x00t' does not exist.",
         "scstadmin -check_config: -> Done, 1 errors found.",
         "scstadmin -check_config did not end with 'Done, 0 warnings found.'"]),
    ("", 0, ["scstadmin -check_config did not end with 'Done, 0 warnings found.'"]),
], ids=["clean", "exit-status", "warning", "fatal", "no-output"])
def test_check_config_output(text, rc, expected, tmp_path):
    assert fid.check_config_output(text, rc) == expected
    (tmp_path / "out.txt").write_text(text)
    assert fid.main(["check-config", "--rc", str(rc), str(tmp_path / "out.txt")]) == (1 if expected else 0)


# -- settable non-catalog device attributes ---------------------------------------------

def test_settable_finds_only_what_real_scst_took_with_a_key(runs, capsys, tmp_path):
    real = runs[0]
    assert fid.settable_attributes(real) == {}          # the copy manager exports every device: EBUSY
    planted = copy.deepcopy(real)
    step = next(s for s in planted["steps"] if s.get("write") == "devices/fidn1/pr_file_name")
    step["result"] = "0"
    assert fid.settable_attributes(planted) == {}       # a success that does not read back is not taken
    old = re.search(r"^devices/fidn1/pr_file_name .*$", planted["snapshots"]["built"], re.M).group(0)
    planted["snapshots"]["built"] = planted["snapshots"]["built"].replace(
        old, "devices/fidn1/pr_file_name  [file mode=0644 rw bytes=33] =\n    | /var/lib/scst/pr/fidn1.alt\n"
             "    | [key]")
    assert fid.settable_attributes(planted) == {"pr_file_name": "/var/lib/scst/pr/fidn1.alt"}
    path = tmp_path / "real.json"
    path.write_text(json.dumps(planted))
    assert fid.main(["settable", str(path)]) == 0
    assert json.loads(capsys.readouterr().out) == {"pr_file_name": "/var/lib/scst/pr/fidn1.alt"}
