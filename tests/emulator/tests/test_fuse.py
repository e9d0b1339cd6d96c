"""FUSE round trip: the CLI mounts the emulator, the kernel VFS talks to it.

Skipped (with the reason shown) only when the machine cannot do FUSE at all:
no /dev/fuse or no libfuse2.  A missing fusepy package is a setup error and
fails the test instead of hiding it.
"""

import ctypes.util
import importlib
import errno
import json
import os
import subprocess
import sys
import threading

import pytest

EMULATOR_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _fuse_unavailable_reason():
    if not os.path.exists("/dev/fuse"):
        return "/dev/fuse does not exist (no FUSE support in this kernel/container)"
    if ctypes.util.find_library("fuse") is None:
        return "libfuse2 (libfuse.so.2) is not installed; apt-get install libfuse2"
    return None


_REASON = _fuse_unavailable_reason()
pytestmark = pytest.mark.skipif(_REASON is not None, reason=_REASON or "")


def _run(*args, check=True):
    env = dict(os.environ, PYTHONPATH=EMULATOR_DIR)
    proc = subprocess.run([sys.executable, "-m", "scst_emulator", *args], env=env,
                          capture_output=True, text=True, timeout=60, check=False)
    if check and proc.returncode != 0:
        raise AssertionError(f"{args}: rc={proc.returncode} {proc.stderr}")
    return proc


def _is_mounted(path):
    with open("/proc/self/mounts") as fh:
        return any(line.split()[1] == os.path.realpath(path) for line in fh)


@pytest.fixture
def mounted(tmp_path):
    importlib.import_module("fuse")   # fusepy must be installed: a failure here is real
    mnt = tmp_path / "scst_tgt"
    mnt.mkdir()
    sock = str(tmp_path / "ctl.sock")
    _run("mount", str(mnt), "--control", sock, "--scsi-device", "2:0:0:0:5")
    assert _is_mounted(mnt)

    def ctl(*args):
        out = _run("ctl", sock, *args).stdout
        return json.loads(out) if out.strip().startswith(("{", "[")) else out.strip()
    try:
        yield str(mnt), ctl
    finally:
        _run("umount", str(mnt), check=False)
    assert not _is_mounted(mnt)


def _write(path, data):
    fd = os.open(path, os.O_WRONLY)
    try:
        return os.write(fd, data.encode())
    finally:
        os.close(fd)


def _read(path):
    fd = os.open(path, os.O_RDONLY)
    try:
        return os.read(fd, 65536).decode()
    finally:
        os.close(fd)


def _errno_of(fn, *args):
    try:
        fn(*args)
        return 0
    except OSError as exc:
        return exc.errno


def test_round_trip(mounted):
    mnt, ctl = mounted
    assert {"targets", "devices", "handlers", "last_sysfs_mgmt_res"} <= set(os.listdir(mnt))
    mgmt = f"{mnt}/handlers/vdisk_fileio/mgmt"
    assert _errno_of(_write, mgmt, "bogus\n") == errno.EINVAL
    cmd = "add_device disk1 filename=/srv/disk1.img; nv_cache=1\n"
    assert _write(mgmt, cmd) == len(cmd)
    with open(f"{mnt}/devices/disk1/filename") as fh:
        assert fh.read() == "/srv/disk1.img\n[key]\n\n"
    st = os.stat(f"{mnt}/devices/disk1/filename")
    assert st.st_size == 4096 and oct(st.st_mode & 0o7777) == "0o644"
    assert oct(os.stat(f"{mnt}/devices/disk1/type").st_mode & 0o7777) == "0o444"
    assert os.path.islink(f"{mnt}/devices/disk1/exported/export0")
    assert os.readlink(f"{mnt}/devices/disk1/exported/export0") == \
        "../../../targets/copy_manager/copy_manager_tgt/luns/0"
    assert os.path.realpath(f"{mnt}/handlers/vdisk_fileio/disk1") == f"{mnt}/devices/disk1"
    with open(f"{mnt}/handlers/vdisk_fileio/disk1/nv_cache") as fh:
        assert fh.read() == "1\n[key]\n"
    # modes are enforced for root too
    assert _errno_of(os.open, f"{mnt}/version", os.O_WRONLY) == errno.EACCES
    assert _errno_of(os.open, f"{mnt}/devices/disk1/sync", os.O_RDONLY) == errno.EACCES
    assert _errno_of(os.open, f"{mnt}/newfile", os.O_WRONLY | os.O_CREAT) == errno.EACCES
    # shell redirection surfaces the errno as well (bash names it; dash says "I/O error")
    sh = subprocess.run(["bash", "-c", f"echo bad > '{mgmt}'"], capture_output=True, text=True, check=False)
    assert sh.returncode != 0 and "Invalid argument" in sh.stderr
    assert ctl("writes")[-1] == ["handlers/vdisk_fileio/mgmt", "bad\n", errno.EINVAL]


def test_help_text_read_in_small_chunks(mounted):
    mnt = mounted[0]
    fd = os.open(f"{mnt}/targets/iscsi/mgmt", os.O_RDONLY)
    chunks = []
    while True:
        chunk = os.read(fd, 7)
        if not chunk:
            break
        chunks.append(chunk)
    os.close(fd)
    text = b"".join(chunks).decode()
    assert len(text) == 592 and text.endswith("allowed_portal\n\n")


def test_fault_switches_over_control_socket(mounted):
    mnt, ctl = mounted
    _write(f"{mnt}/targets/iscsi/mgmt", "add_target iqn.x:t\n")
    assert ctl("add-session", "iscsi", "iqn.x:t", "iqn.i:h") == "iqn.i:h"
    assert os.listdir(f"{mnt}/targets/iscsi/iqn.x:t/sessions") == ["iqn.i:h"]
    assert _errno_of(_write, f"{mnt}/targets/iscsi/mgmt", "del_target iqn.x:t\n") == errno.EBUSY
    ctl("del-session", "iscsi", "iqn.x:t", "iqn.i:h")
    ctl("eagain", "1", "1")
    assert _errno_of(_write, f"{mnt}/targets/iscsi/mgmt", "del_target iqn.x:t\n") == errno.EAGAIN
    res = f"{mnt}/last_sysfs_mgmt_res"
    # os.read: Python's buffered read() turns EAGAIN into None instead of raising
    assert _errno_of(_read, res) == errno.EAGAIN
    assert _read(res) == "0\n"
    assert not os.path.exists(f"{mnt}/targets/iscsi/iqn.x:t")
    ctl("missing-file", "/srv/gone.img")
    assert _errno_of(_write, f"{mnt}/handlers/vdisk_fileio/mgmt",
                     "add_device d filename=/srv/gone.img\n") == errno.ENOENT
    ctl("daemon-stop")
    assert not os.path.exists(f"{mnt}/targets/iscsi/enabled")
    assert _errno_of(_write, f"{mnt}/targets/iscsi/mgmt", "add_target iqn.x:u\n") == errno.EPERM
    ctl("daemon-start")
    assert open(f"{mnt}/targets/iscsi/enabled").read() == "0\n\n"
    counters = ctl("counters")
    assert counters["writes"] >= 5 and counters["write_errors"] >= 4
    dump = ctl("dump")
    assert dump["__type__"] == "State" and "iqn.x:u" not in json.dumps(dump)


def test_concurrent_writers(mounted):
    mnt = mounted[0]
    mgmt = f"{mnt}/handlers/vdisk_nullio/mgmt"
    errors = []

    def worker(n):
        try:
            for i in range(10):
                _write(mgmt, f"add_device n{n}_{i}\n")
        except OSError as exc:
            errors.append(exc)
    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    luns = [n for n in os.listdir(f"{mnt}/targets/copy_manager/copy_manager_tgt/luns")
            if n != "mgmt"]
    assert len(luns) == 80 and len(os.listdir(f"{mnt}/devices")) == 81


def test_state_file_and_startup_options(tmp_path):
    importlib.import_module("fuse")
    mnt = tmp_path / "m"
    mnt.mkdir()
    state = str(tmp_path / "state.json")
    _run("mount", str(mnt), "--state-file", state, "--daemon-down",
         "--scsi-device", "5:0:0:1:1", "--no-passthrough")
    try:
        assert os.listdir(f"{mnt}/devices") == ["5:0:0:1"]
        assert open(f"{mnt}/devices/5:0:0:1/type").read().startswith("1 - Sequential-access")
        assert not os.path.exists(f"{mnt}/targets/iscsi/enabled")
        assert not os.path.exists(f"{mnt}/handlers/dev_tape")
        _write(f"{mnt}/handlers/vdisk_nullio/mgmt", "add_device keep1\n")
    finally:
        _run("umount", str(mnt))
    _run("mount", str(mnt), "--state-file", state)
    try:
        assert sorted(os.listdir(f"{mnt}/devices")) == ["5:0:0:1", "keep1"]
        assert sorted(os.listdir(f"{mnt}/targets/copy_manager/copy_manager_tgt/luns")) == \
            ["0", "mgmt"]
    finally:
        _run("umount", str(mnt))
