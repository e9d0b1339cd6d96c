"""info.read_configuration: normal form, the static-attribute rule without
needless reads, robustness (EAGAIN), and Sysfs.scan on a real directory."""

from __future__ import annotations

import os
import pathlib

import pytest

from scst_emulator import InProcessBackend, ScstEmulator
from test_persist_oracle import PORT, T1, rich_host

from ansible_collections.scst.iscsi.plugins.module_utils.scst.conf import normalise_config
from ansible_collections.scst.iscsi.plugins.module_utils.scst.info import read_configuration
from ansible_collections.scst.iscsi.plugins.module_utils.scst.live import LiveTree
from ansible_collections.scst.iscsi.plugins.module_utils.scst.sysfs import OsBackend, Sysfs


class RecordingBackend(InProcessBackend):
    def __init__(self, emulator):
        super().__init__(emulator)
        self.read_paths = []

    def read(self, rel):
        self.read_paths.append(rel)
        return super().read(rel)


def _read(emu, **kwargs):
    return read_configuration(LiveTree(Sysfs(InProcessBackend(emu), **kwargs)), mask=False)


def test_the_result_is_in_normal_form():
    config = _read(rich_host())
    assert normalise_config(config) == config
    assert list(config) == ["attributes", "handlers", "drivers", "device_groups"]


def test_static_files_that_cannot_be_configuration_are_not_even_read():
    emu = rich_host()
    backend = RecordingBackend(emu)
    read_configuration(LiveTree(Sysfs(backend)))
    target = "targets/iscsi/%s/" % T1
    # I/O counters (each read is a kernel work on a real SCST), tid, sg_tablesize: static, not creation parameters
    assert not [p for p in backend.read_paths if p.startswith(target) and p.endswith(("_count", "_kb", "tid"))]
    assert target + "sg_tablesize" not in backend.read_paths
    # the backing-store size of fileio/blockio devices is not configuration: not read
    assert "devices/disk1/size" not in backend.read_paths and "devices/blk1/size" not in backend.read_paths
    assert "devices/disk1/type" not in backend.read_paths and "version" not in backend.read_paths
    # hw_target is static but always read; a creation-parameter list is read once per mgmt file
    assert "targets/qla2x00t/%s/hw_target" % PORT in backend.read_paths
    mgmt = [p for p in backend.read_paths if p.endswith("/mgmt")]
    assert len(mgmt) == len(set(mgmt))
    assert len([p for p in mgmt if p.endswith("luns/mgmt")]) == 1


def test_a_static_key_attribute_is_kept_only_as_a_creation_parameter():
    emu = ScstEmulator()
    emu.write("handlers/vdisk_nullio/mgmt", "add_device n1 blocksize=4096;rotational=0;size_mb=8\n")
    emu.write("devices/n1/size_mb", "16\n")
    attrs = _read(emu)["handlers"]["vdisk_nullio"]["devices"]["n1"]["attributes"]
    # blocksize and rotational are read-only creation parameters; size_mb is never [key]
    assert attrs == {"blocksize": "4096", "rotational": "0", "size_mb": "16"}


def test_reading_survives_eagain_on_work_based_reads():
    expected = _read(rich_host())
    emu = rich_host()
    emu.set_chaos(True)          # 3 of 4 work-based reads (vdisk filename ...) answer EAGAIN
    assert _read(emu, sleep=lambda seconds: None) == expected


def test_os_backend_scan_reports_kinds_and_modes(tmp_path):
    (tmp_path / "rw").write_text("1\n[key]\n")
    (tmp_path / "ro").write_text("0\n")
    (tmp_path / "wo").write_text("")
    os.chmod(tmp_path / "rw", 0o644)
    os.chmod(tmp_path / "ro", 0o444)
    os.chmod(tmp_path / "wo", 0o200)
    (tmp_path / "sub").mkdir()
    os.symlink("sub", tmp_path / "link")
    sysfs = Sysfs(OsBackend(str(tmp_path)))
    assert sysfs.scan("") == {"link": ("link", 0), "ro": ("file", 0o444), "rw": ("file", 0o644),
                              "sub": ("dir", 0), "wo": ("file", 0o200)}
    assert sysfs.scan("missing") == {} and sysfs.scan("rw") == {}


FUSE_WRITES = [
    ("setup_id", "0x2a"),
    ("handlers/vdisk_fileio/mgmt", "add_device disk1 filename=/srv/disk1.img;nv_cache=1;blocksize=4096"),
    ("devices/disk1/prod_id", "Disk One"),
    ("handlers/vdisk_nullio/mgmt", "add_device null1 size_mb=64"),
    ("targets/iscsi/mgmt", "add_target " + T1),
    ("targets/iscsi/mgmt", "add_target_attribute %s IncomingUser host1 host1-secret-123" % T1),
    ("targets/iscsi/%s/luns/mgmt" % T1, "add disk1 0"),
    ("targets/iscsi/%s/luns/mgmt" % T1, "add null1 1 read_only=1"),
    ("targets/iscsi/%s/enabled" % T1, "1"),
    ("device_groups/mgmt", "create dg1"),
    ("device_groups/dg1/devices/mgmt", "add disk1"),
    ("device_groups/dg1/target_groups/mgmt", "create tg1"),
    ("device_groups/dg1/target_groups/tg1/group_id", "3"),
    ("device_groups/dg1/target_groups/tg1/mgmt", "add " + T1),
    ("device_groups/dg1/target_groups/tg1/mgmt", "add remote1"),
    ("device_groups/dg1/target_groups/tg1/remote1/rel_tgt_id", "9"),
]


def test_reading_through_a_real_mount_equals_reading_in_process(tmp_path):
    """OsBackend (os.scandir modes and links over the kernel VFS) and the in-process backend read the same."""
    import subprocess  # pylint: disable=import-outside-toplevel
    import sys  # pylint: disable=import-outside-toplevel
    import ctypes.util  # pylint: disable=import-outside-toplevel
    if not os.path.exists("/dev/fuse") or ctypes.util.find_library("fuse") is None:
        pytest.skip("no FUSE on this machine (/dev/fuse or libfuse2 missing)")
    emu = ScstEmulator()
    for path, data in FUSE_WRITES:
        emu.write(path, data + "\n")
    expected = read_configuration(LiveTree(Sysfs(InProcessBackend(emu))), mask=False)
    mnt = tmp_path / "scst_tgt"
    mnt.mkdir()
    env = dict(os.environ, PYTHONPATH=str(pathlib.Path(__file__).parents[2] / "emulator"))
    subprocess.run([sys.executable, "-m", "scst_emulator", "mount", str(mnt), "--scsi-device", "2:0:0:0:5"],
                   env=env, check=True, timeout=60)
    try:
        for path, data in FUSE_WRITES:
            fd = os.open(str(mnt / path), os.O_WRONLY)
            try:
                os.write(fd, (data + "\n").encode())
            finally:
                os.close(fd)
        assert read_configuration(LiveTree(Sysfs(OsBackend(str(mnt)))), mask=False) == expected
        assert expected["device_groups"]["dg1"]["target_groups"]["tg1"]["targets"] == {
            T1: {}, "remote1": {"rel_tgt_id": 9}}
    finally:
        subprocess.run([sys.executable, "-m", "scst_emulator", "umount", str(mnt)], env=env, check=False,
                       timeout=60)
