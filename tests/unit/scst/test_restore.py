# Copyright: scst.iscsi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""scst-iscsi-restore (module_utils/scst/restore.py): scst.conf applied with
scst_config's engine, keeping going past objects that fail.

In-process against the emulator: a whole file comes back as scst_config makes
it; one broken device among several leaves everything that does not need it
applied, logs one line, and exits 3; a failed CHAP account keeps its target
disabled. In a subprocess with only the role's copy of module_utils on the path
(-I -S: no Ansible importable) against the emulator mounted over FUSE: the same
partial restore. Through ansible-playbook: the role installs it idempotently.
"""

from __future__ import annotations

import copy
import ctypes.util
import errno
import io
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings, strategies as st

from ansible_collections.scst.iscsi.plugins.module_utils.scst import restore
from ansible_collections.scst.iscsi.plugins.module_utils.scst import sysfs as sysfs_mod
from ansible_collections.scst.iscsi.plugins.module_utils.scst.conf import render_scst_conf
from ansible_collections.scst.iscsi.plugins.module_utils.scst.config import ConfigRequest, plan_config
from ansible_collections.scst.iscsi.plugins.module_utils.scst.info import read_configuration
from ansible_collections.scst.iscsi.plugins.module_utils.scst.live import LiveTree
from ansible_collections.scst.iscsi.plugins.module_utils.scst.plan import apply_plan
from ansible_collections.scst.iscsi.plugins.module_utils.scst.sysfs import OsBackend, Sysfs
from scst_emulator import InProcessBackend, ScstEmulator
from scst_unit_support import ansible_environment

REPO = Path(__file__).resolve().parents[3]
EMULATOR_DIR = REPO / "tests" / "emulator"
ROLE = REPO / "roles" / "scst_target"
LAUNCHER = ROLE / "files" / "scst-iscsi-restore"
PLAYBOOKS = Path(__file__).resolve().parent / "playbooks"
T1 = "iqn.2026-11.com.example:storage.t1"
T2 = "iqn.2026-11.com.example:storage.t2"
HOST1 = "iqn.2026-11.com.example:host1"
SECRET = "restore-secret-12"
DISKS = ("disk1", "disk2", "disk3", "disk4")

CONFIG = {
    "handlers": {
        "vdisk_fileio": {"devices": dict((name, {"filename": "/srv/scst/%s.img" % name}) for name in DISKS)},
        "vdisk_nullio": {"devices": {"null1": {"attributes": {"size_mb": "64"}}}},
    },
    "drivers": {"iscsi": {"enabled": True, "targets": {
        T1: {"enabled": True, "chap": {"incoming": [{"username": "hosts", "password": SECRET}]},
             "luns": {0: {"device": "disk1"}, 1: {"device": "disk2"}},
             "groups": {"g1": {"initiators": [HOST1], "luns": {0: {"device": "disk2"}, 1: {"device": "null1"}}}}},
        T2: {"enabled": True, "luns": {0: {"device": "disk3"}, 1: {"device": "disk4"}, 2: {"device": "null1"}}},
    }}},
}


def without_devices(config, broken):
    """``config`` without the devices ``broken`` and the LUNs that use them: what a
    keep-going restore must leave when those devices cannot be created."""
    config = copy.deepcopy(config)
    for handler in config["handlers"].values():
        for name in broken:
            handler["devices"].pop(name, None)
    for target in config["drivers"]["iscsi"]["targets"].values():
        for lun_set in [target["luns"]] + [g["luns"] for g in target.get("groups", {}).values()]:
            for number in [n for n, lun in lun_set.items() if lun["device"] in broken]:
                del lun_set[number]
    return config


def state_of(backend):
    return read_configuration(LiveTree(Sysfs(backend)), mask=False)


def made_by_scst_config(config):
    """The host scst_config's engine makes from ``config`` on an empty SCST."""
    backend = InProcessBackend(ScstEmulator())
    sysfs = Sysfs(backend)
    apply_plan(sysfs, plan_config(LiveTree(sysfs), ConfigRequest(config)).plan)
    return state_of(backend)


class Host:
    """The in-process emulator behind the restore's sysfs root, and its command line."""

    def __init__(self, tmp_path, monkeypatch, emu=None):
        self.emu = emu or ScstEmulator()
        self.backend = InProcessBackend(self.emu)
        self.root = str(tmp_path / "scst_tgt")
        self.config = tmp_path / "scst.conf"
        monkeypatch.setattr(sysfs_mod, "OsBackend", lambda root: self.backend)
        monkeypatch.setattr(sysfs_mod.time, "sleep", lambda s: None)

    def restore(self, config=None, *extra):
        if config is not None:
            self.config.write_text(render_scst_conf(config))
        out, err = io.StringIO(), io.StringIO()
        self.emu.reset_counters()
        status = restore.main(["--config", str(self.config), "--sysfs-root", self.root] + list(extra),
                              out=out, err=err)
        return status, out.getvalue(), err.getvalue()

    def state(self):
        return state_of(self.backend)


@pytest.fixture
def host(tmp_path, monkeypatch):
    return Host(tmp_path, monkeypatch)


def test_a_whole_file_comes_back_as_scst_config_makes_it_then_nothing_to_do(host):
    status, out, err = host.restore(CONFIG)
    assert (status, err) == (restore.EXIT_OK, "")
    assert host.state() == made_by_scst_config(CONFIG)
    assert "0 object(s) failed, 0 skipped" in out
    status, out, err = host.restore()
    assert (status, err) == (restore.EXIT_OK, "")
    assert host.emu.counters()["writes"] == 0
    assert out.startswith("0 write(s) made")


def test_check_prints_the_plan_and_writes_nothing(host):
    status, out, err = host.restore(CONFIG, "--check")
    assert (status, err) == (restore.EXIT_OK, "")
    assert host.emu.counters()["writes"] == 0
    assert host.state()["handlers"] == {}
    lines = out.splitlines()
    assert lines[-1] == "%d write(s) planned from %s" % (len(lines) - 1, host.config)
    assert "create vdisk_fileio device disk2: handlers/vdisk_fileio/mgmt <- add_device disk2 " \
           "filename=/srv/scst/disk2.img" in lines
    assert SECRET not in out and "IncomingUser hosts ********" in out


def test_one_broken_device_the_rest_is_applied_one_line_and_exit_partial(host):
    host.emu.set_missing_file("/srv/scst/disk2.img")
    status, out, err = host.restore(CONFIG)
    assert status == restore.EXIT_PARTIAL == 3
    assert host.state() == made_by_scst_config(without_devices(CONFIG, {"disk2"}))
    failed = [line for line in err.splitlines() if ": failed: " in line]
    assert failed == [line for line in err.splitlines() if "disk2.img" in line]
    assert len(failed) == 1
    assert re.match(r"^scst-iscsi-restore: failed: device disk2: create vdisk_fileio device disk2: SCST refused "
                    r"'add_device disk2 filename=/srv/scst/disk2.img' written to handlers/vdisk_fileio/mgmt: "
                    r"ENOENT .*missing backing file", failed[0]), failed[0]
    skipped = sorted(line for line in err.splitlines() if ": skipped: " in line)
    assert skipped == [
        "scst-iscsi-restore: skipped: LUN 0 of iscsi/%s group g1: it needs device disk2, which failed" % T1,
        "scst-iscsi-restore: skipped: LUN 1 of iscsi/%s: it needs device disk2, which failed" % T1,
    ]
    assert "1 object(s) failed, 2 skipped" in out
    # the targets are enabled: a missing LUN holds nothing else back
    assert all(t["enabled"] for t in host.state()["drivers"]["iscsi"]["targets"].values())
    assert SECRET not in out + err


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(broken=st.sets(st.sampled_from(DISKS)))
def test_any_set_of_broken_devices_leaves_exactly_the_rest(tmp_path, monkeypatch, broken):
    emu = ScstEmulator()
    for name in broken:
        emu.set_missing_file("/srv/scst/%s.img" % name)
    with monkeypatch.context() as patch:
        host = Host(tmp_path, patch, emu)
        status, _out, err = host.restore(CONFIG)
        state = host.state()
    assert status == (restore.EXIT_PARTIAL if broken else restore.EXIT_OK)
    assert state == made_by_scst_config(without_devices(CONFIG, broken))
    assert sorted(re.findall(r": failed: device (\w+):", err)) == sorted(broken)


def refuse(backend, monkeypatch, pattern, code=errno.EINVAL):
    """Writes whose data match ``pattern`` fail with ``code`` (as SCST would)."""
    write = backend.write

    def refusing(rel, data):
        if re.search(pattern, data):
            raise OSError(code, os.strerror(code), rel)
        return write(rel, data)
    monkeypatch.setattr(backend, "write", refusing)


def test_a_target_whose_chap_failed_is_never_enabled_and_the_secret_stays_hidden(host, monkeypatch):
    refuse(host.backend, monkeypatch, r"IncomingUser hosts")
    status, out, err = host.restore(CONFIG)
    assert status == restore.EXIT_PARTIAL
    targets = host.state()["drivers"]["iscsi"]["targets"]
    assert targets[T1]["enabled"] is False and targets[T2]["enabled"] is True
    assert targets[T2]["luns"] and host.state()["handlers"]["vdisk_fileio"]["devices"].keys() == set(DISKS)
    assert "failed: target iscsi/%s: add incoming CHAP user hosts" % T1 in err
    assert "IncomingUser hosts ********" in err
    assert "skipped: target iscsi/%s: it needs target iscsi/%s, which failed" % (T1, T1) not in err
    assert SECRET not in out + err


def test_a_target_whose_initiator_group_failed_is_not_enabled(host, monkeypatch):
    refuse(host.backend, monkeypatch, r"^add %s" % re.escape(HOST1))
    status, _out, err = host.restore(CONFIG)
    assert status == restore.EXIT_PARTIAL
    targets = host.state()["drivers"]["iscsi"]["targets"]
    assert targets[T1]["enabled"] is False and targets[T2]["enabled"] is True
    assert "skipped: target iscsi/%s: it needs initiator group g1 of iscsi/%s, which failed" % (T1, T1) in err


def test_iscsi_scstd_down_fails_the_iscsi_part_once_and_the_devices_are_restored(host, monkeypatch):
    refuse(host.backend, monkeypatch, r"^add_target %s" % re.escape(T1), errno.EPERM)
    status, _out, err = host.restore(CONFIG)
    assert status == restore.EXIT_PARTIAL
    state = host.state()
    assert state["drivers"]["iscsi"]["targets"] == {}
    assert sorted(state["handlers"]["vdisk_fileio"]["devices"]) == list(DISKS)
    failed = [line for line in err.splitlines() if ": failed: " in line]
    assert [line.split(": ")[2] for line in failed] == ["the iscsi target daemon", "target iscsi/%s" % T1], err
    assert "iscsi-scstd is not running" in failed[0]
    assert "skipped: target iscsi/%s: it needs the iscsi target daemon, which failed" % T2 in err


def test_iscsi_scstd_down_before_the_restore_fails_every_target_not_the_devices(host):
    host.emu.stop_daemon()
    status, _out, err = host.restore(CONFIG)
    assert status == restore.EXIT_PARTIAL
    assert sorted(host.state()["handlers"]["vdisk_fileio"]["devices"]) == list(DISKS)
    assert "failed: the iscsi target daemon: cannot be planned: iscsi-scstd is not running" in err
    assert "failed: target iscsi/%s: cannot be planned: iscsi-scstd is not running" % T2 in err


def test_an_object_that_cannot_be_planned_is_reported_and_the_rest_applied(host):
    # disk4 exists under another handler: scst_config refuses to re-create it without recreate
    host.backend.write("handlers/vdisk_nullio/mgmt", "add_device disk4")
    status, _out, err = host.restore(CONFIG)
    assert status == restore.EXIT_PARTIAL
    assert "failed: device disk4: cannot be planned: device disk4 exists with handler vdisk_nullio" in err
    assert "skipped: LUN 1 of iscsi/%s: it needs device disk4, which failed" % T2 in err
    luns = host.state()["drivers"]["iscsi"]["targets"][T2]["luns"]
    assert sorted(luns) == [0, 2]


def test_a_lun_of_a_device_that_is_nowhere_is_skipped(host):
    config = copy.deepcopy(CONFIG)
    config["drivers"]["iscsi"]["targets"][T2]["luns"][3] = {"device": "nowhere"}
    status, _out, err = host.restore(config)
    assert status == restore.EXIT_PARTIAL
    assert ("failed: device nowhere: cannot be planned: config.drivers.iscsi.targets.%s.luns.3.device: device "
            "nowhere is neither declared under handlers nor present on the host" % T2) in err
    assert "skipped: LUN 3 of iscsi/%s: it needs device nowhere, which failed" % T2 in err
    assert host.state() == made_by_scst_config(CONFIG)


def test_an_alua_target_group_that_failed_holds_its_member_target(host, monkeypatch):
    config = copy.deepcopy(CONFIG)
    config["device_groups"] = {"dg1": {"devices": ["disk3"], "target_groups": {
        "local": {"group_id": 1, "state": "standby", "targets": {T2: {}}}}}}
    refuse(host.backend, monkeypatch, r"^standby$")
    status, _out, err = host.restore(config)
    assert status == restore.EXIT_PARTIAL
    targets = host.state()["drivers"]["iscsi"]["targets"]
    assert targets[T2]["enabled"] is False and targets[T1]["enabled"] is True
    assert "skipped: target iscsi/%s: it needs ALUA target group local of device group dg1, which failed" % T2 in err


@pytest.mark.parametrize("text, message", [
    (None, "cannot read"),
    ("HANDLER vdisk_fileio {\n", "nothing applied"),
    ("TARGET_DRIVER iscsi {\n TARGET t {\n GROUP a {\n INITIATOR i\n }\n GROUP b {\n INITIATOR i\n }\n }\n}\n",
     "initiator i is also in group a"),
])
def test_a_file_that_cannot_be_read_as_a_whole_changes_nothing(host, text, message):
    if text is not None:
        host.config.write_text(text)
    status, out, err = host.restore()
    assert status == restore.EXIT_FAILED
    assert message in err and str(host.config) in err and out == ""
    assert host.emu.counters()["writes"] == 0


def test_scst_not_loaded_and_a_bad_command_line(tmp_path):
    config = tmp_path / "scst.conf"
    config.write_text(render_scst_conf(CONFIG))
    err = io.StringIO()
    status = restore.main(["--config", str(config), "--sysfs-root", str(tmp_path / "none")], out=io.StringIO(),
                          err=err)
    assert status == restore.EXIT_FAILED and "SCST is not loaded" in err.getvalue()
    assert restore.main(["--no-such-option"], out=io.StringIO(), err=io.StringIO()) == restore.EXIT_USAGE


HOSTILE = st.one_of(
    st.sampled_from(["", "\x00", "/etc/scst.conf\x00x", "a\nb", "/x\r", "relative/scst_tgt", "..", "/" + "a" * 5000]),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=64).filter(
        lambda t: not t.startswith("-") and any(c in t for c in "\x00\n\r")))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(option=st.sampled_from(["--config", "--sysfs-root"]), value=HOSTILE)
def test_hostile_paths_are_refused_naming_the_option_never_raised(tmp_path, option, value):
    """Against the real file backend: a well-formed path that leads nowhere is 'cannot read' or
    'SCST is not loaded'; anything else is refused before a file is opened."""
    config = tmp_path / "scst.conf"
    config.write_text(render_scst_conf(CONFIG))
    argv = {"--config": str(config), "--sysfs-root": str(tmp_path / "scst_tgt")}
    argv[option] = value
    out, err = io.StringIO(), io.StringIO()
    status = restore.main([arg for pair in argv.items() for arg in pair], out=out, err=err)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["scst.conf"]
    if status == restore.EXIT_USAGE:
        assert "%s: must be" % option in err.getvalue()
    else:
        assert status == restore.EXIT_FAILED and value and not any(c in value for c in "\x00\n\r")
        assert option == "--config" or value.startswith("/")
        assert ("cannot read" if option == "--config" else "SCST is not loaded") in err.getvalue()


# -- without Ansible, as the role installs it ---------------------------------

def role_vars():
    return yaml.safe_load((ROLE / "vars" / "main.yml").read_text())


def install_like_the_role(prefix):
    """PREFIX/lib/scst-iscsi with the module_utils trees the role copies (*.py only), and
    PREFIX/sbin/scst-iscsi-restore."""
    utils = prefix / "lib" / "scst-iscsi" / "ansible_collections" / "scst" / "iscsi" / "plugins" / "module_utils"
    for tree in role_vars()["__scst_target_restore_trees"]:
        (utils / tree).mkdir(parents=True)
        for source in (REPO / "plugins" / "module_utils" / tree).glob("*.py"):
            shutil.copy(source, utils / tree / source.name)
    (prefix / "sbin").mkdir()
    shutil.copy(LAUNCHER, prefix / "sbin" / "scst-iscsi-restore")
    return prefix / "sbin" / "scst-iscsi-restore"


# The launcher runs the host's /usr/bin/python3 with -I -S.
HOST_PYTHON = "/usr/bin/python3"
no_host_python = pytest.mark.skipif(not os.access(HOST_PYTHON, os.X_OK),
                                    reason="this machine has no %s for the launcher to run" % HOST_PYTHON)


def isolated(*argv, **kwargs):
    """The launcher, or ``python3 -I -S`` (neither PYTHONPATH nor site-packages, where Ansible is)
    with ``argv``, with no environment but PATH."""
    command = list(argv) if argv[0].endswith("scst-iscsi-restore") else [HOST_PYTHON, "-I", "-S"] + list(argv)
    return subprocess.run(command, capture_output=True, text=True, timeout=300, check=False,
                          env={"PATH": os.environ.get("PATH", "")}, **kwargs)


@no_host_python
def test_the_isolated_interpreter_cannot_import_ansible_and_the_restore_needs_none(tmp_path):
    launcher = install_like_the_role(tmp_path / "prefix")
    assert "No module named 'ansible'" in isolated("-c", "import ansible").stderr
    library = tmp_path / "prefix" / "lib" / "scst-iscsi"
    probe = ("import sys; sys.path.insert(0, %r)\n"
             "from ansible_collections.scst.iscsi.plugins.module_utils.scst import restore\n"
             "status = restore.main(['--config', '/nonexistent/scst.conf'])\n"
             "print(sorted(m for m in sys.modules if m == 'ansible' or m.startswith('ansible.')), status)\n"
             % str(library))
    done = isolated("-c", probe)
    assert done.stdout.strip() == "[] 1", done.stderr
    done = isolated(str(launcher), "--help")
    assert done.returncode == 0 and "--sysfs-root" in done.stdout, done.stderr


def _fuse_unavailable_reason():
    if not os.path.exists("/dev/fuse"):
        return "/dev/fuse does not exist (no FUSE in this kernel/container)"
    if ctypes.util.find_library("fuse") is None:
        return "libfuse2 (libfuse.so.2) is not installed"
    return None


@no_host_python
@pytest.mark.skipif(_fuse_unavailable_reason() is not None, reason=_fuse_unavailable_reason() or "")
def test_the_installed_command_restores_the_emulator_over_fuse_keeping_going(tmp_path):
    launcher = install_like_the_role(tmp_path / "prefix")
    root = tmp_path / "scst_tgt"
    root.mkdir()
    control = str(tmp_path / "ctl.sock")
    env = dict(os.environ, PYTHONPATH=str(EMULATOR_DIR))
    emulator = [sys.executable, "-m", "scst_emulator"]
    subprocess.run(emulator + ["mount", str(root), "--control", control], env=env, check=True,
                   capture_output=True, timeout=60)
    try:
        subprocess.run(emulator + ["ctl", control, "missing-file", "/srv/scst/disk2.img", "on"], env=env,
                       check=True, capture_output=True, timeout=60)
        config = tmp_path / "scst.conf"
        config.write_text(render_scst_conf(CONFIG))
        done = isolated(str(launcher), "--config", str(config), "--sysfs-root", str(root))
        state = state_of(OsBackend(str(root)))
        again = isolated(str(launcher), "--config", str(config), "--sysfs-root", str(root))
    finally:
        subprocess.run(emulator + ["umount", str(root)], env=env, check=False, capture_output=True, timeout=60)
    assert done.returncode == 3, done.stdout + done.stderr
    assert state == made_by_scst_config(without_devices(CONFIG, {"disk2"}))
    assert "failed: device disk2:" in done.stderr and "ENOENT" in done.stderr
    assert SECRET not in done.stdout + done.stderr
    # the broken device is tried again, nothing else is written
    assert again.returncode == 3 and again.stdout.startswith("0 write(s) made"), again.stdout + again.stderr


# -- the role installs it ------------------------------------------------------

def ansible_playbook():
    beside = Path(sys.executable).parent / "ansible-playbook"
    return str(beside) if beside.exists() else shutil.which("ansible-playbook")


def run_role(tmp_path, prefix, *, check=False):
    env = ansible_environment(tmp_path)
    env.pop("ANSIBLE_CONFIG", None)
    extra = tmp_path / "vars.json"
    # an existing directory for preflight's "SCST is loaded": nothing else of SCST is read
    (tmp_path / "sysfs").mkdir(exist_ok=True)
    extra.write_text(json.dumps({"scst_target_restore_prefix": str(prefix),
                                 "scst_target_sysfs_root": str(tmp_path / "sysfs")}))
    argv = [ansible_playbook(), "-i", "localhost,", "-e", "@" + str(extra), "--tags",
            "scst_target_preflight,scst_target_restore", str(PLAYBOOKS / "role_restore.yml")]
    if check:
        argv.append("--check")
    done = subprocess.run(argv, cwd=str(tmp_path), env=env, capture_output=True, text=True, timeout=300,
                          check=False)
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-6000:]
    assert "is not a directory" not in output, output[-6000:]
    return int(re.search(r"localhost\s*:\s*ok=\d+\s+changed=(\d+)", output).group(1))


@pytest.mark.skipif(ansible_playbook() is None, reason="ansible-playbook is not installed beside this Python")
@pytest.mark.skipif(os.geteuid() != 0, reason="the role installs files owned by root: run as root")
@no_host_python
def test_the_role_installs_the_command_idempotently_and_removes_old_files(tmp_path):
    prefix = tmp_path / "usr-local"
    assert run_role(tmp_path, prefix, check=True) > 0
    assert not (prefix / "sbin" / "scst-iscsi-restore").exists()
    assert run_role(tmp_path, prefix) > 0
    assert run_role(tmp_path, prefix) == 0
    utils = prefix / "lib" / "scst-iscsi" / "ansible_collections" / "scst" / "iscsi" / "plugins" / "module_utils"
    installed = sorted(str(p.relative_to(utils)) for p in utils.rglob("*.py"))
    expected = sorted("%s/%s" % (tree, p.name) for tree in role_vars()["__scst_target_restore_trees"]
                      for p in (REPO / "plugins" / "module_utils" / tree).glob("*.py"))
    assert installed == expected and "scst/restore.py" in installed
    assert not list(utils.rglob("__pycache__"))
    # a file of an older version goes; check mode says so and leaves it
    (utils / "scst" / "gone.py").write_text("# a file an older version had\n")
    assert run_role(tmp_path, prefix, check=True) == 1
    assert (utils / "scst" / "gone.py").exists()
    assert run_role(tmp_path, prefix) == 1
    assert not (utils / "scst" / "gone.py").exists()
    done = isolated(str(prefix / "sbin" / "scst-iscsi-restore"), "--help")
    assert done.returncode == 0 and "--check" in done.stdout, done.stderr
