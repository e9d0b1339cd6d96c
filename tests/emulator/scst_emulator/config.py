"""Emulator configuration: what the emulated host and build look like.

Things that are not SCST state but environment (which SCSI devices the host
has, which handler modules are loaded, how many CPUs, whether backing files
exist) are collected here so tests can describe the machine they need.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field
from typing import Optional

from .errors import ENOENT, fail
from .model import HandlerInfo, ScsiDeviceSpec
from .texts import CORE_TRACE_TOKENS, VDISK_TRACE_TOKENS

FILEIO_PARAMS = (
    "active", "async", "bind_alua_state", "blocksize", "cluster_mode",
    "dif_filename", "dif_mode", "dif_static_app_tag", "dif_type", "filename",
    "numa_node_id", "nv_cache", "o_direct", "read_only", "removable",
    "rotational", "thin_provisioned", "tst", "t10_dev_id", "write_through",
)
BLOCKIO_PARAMS = tuple(p for p in FILEIO_PARAMS if p not in ("async", "o_direct"))
NULLIO_PARAMS = (
    "blocksize", "cluster_mode", "dif_mode", "dif_static_app_tag", "dif_type",
    "dummy", "numa_node_id", "read_only", "removable", "rotational", "size",
    "size_mb", "tst", "t10_dev_id",
)
VCDROM_PARAMS = ("tst",)

VDISK_HANDLERS = {
    "vdisk_fileio": HandlerInfo("vdisk_fileio", 0, True, FILEIO_PARAMS, False, 8,
                                tuple(VDISK_TRACE_TOKENS)),
    "vdisk_blockio": HandlerInfo("vdisk_blockio", 0, True, BLOCKIO_PARAMS, True, 1,
                                 tuple(VDISK_TRACE_TOKENS)),
    "vdisk_nullio": HandlerInfo("vdisk_nullio", 0, True, NULLIO_PARAMS, True, 1,
                                tuple(VDISK_TRACE_TOKENS)),
    "vcdrom": HandlerInfo("vcdrom", 5, True, VCDROM_PARAMS, True, 8,
                          tuple(VDISK_TRACE_TOKENS)),
}

# name -> SCSI type of the in-tree pass-through handlers.
PASSTHROUGH_TYPES = {
    "dev_disk": 0, "dev_disk_perf": 0, "dev_tape": 1, "dev_tape_perf": 1,
    "dev_cdrom": 5, "dev_changer": 8, "dev_modisk": 7, "dev_modisk_perf": 7,
    "dev_processor": 3, "dev_raid": 12,
}

DEFAULT_VERSION_TEXT = (
    "SCST version: 3.11.0-pre\n"
    "SCST build date: 2026/11/21-13:31:09-UTC+00:00\n"
    "SCST build number: 9378\n"
    "SCST git commit sha1: aa5cc2dd70f9\n"
    "SCST kver: 6.1.0-56-amd64\n"
    "SCST arch type: x86_64\n"
    "SCST config: TRACING\n"
)
DEFAULT_ISCSI_VERSION_TEXT = "3.11.0-pre\nTRACING\n"


class BackingStore:
    """Decides whether a backing path exists, what it is and how big it is.

    Default policy: a path registered with :meth:`mark_missing` does not
    exist, every other absolute path exists; paths under ``/dev/`` are block
    devices, everything else regular files.  With ``check_real_fs`` the real
    filesystem is consulted instead.
    """

    def __init__(self, check_real_fs: bool = False,
                 default_file_size: int = 1 << 30,
                 default_bdev_size: int = 2 << 30):
        self.check_real_fs = check_real_fs
        self.default_file_size = default_file_size
        self.default_bdev_size = default_bdev_size
        self.missing: set = set()
        self.entries: dict = {}          # path -> (kind, size)
        self.discard_supported = True    # thin provisioning possible

    def mark_missing(self, path: str, missing: bool = True) -> None:
        if missing:
            self.missing.add(path)
        else:
            self.missing.discard(path)

    def add(self, path: str, size: Optional[int] = None, kind: Optional[str] = None) -> None:
        """Register a backing path with a size and kind ('file', 'block', 'dir')."""
        self.missing.discard(path)
        kind = kind or self._guess_kind(path)
        if size is None:
            size = self.default_bdev_size if kind == "block" else self.default_file_size
        self.entries[path] = (kind, size)

    @staticmethod
    def _guess_kind(path: str) -> str:
        return "block" if path.startswith("/dev/") else "file"

    def stat(self, path: str):
        """Return (kind, size) or raise ENOENT."""
        if path in self.missing:
            fail(ENOENT, f"opening {path} failed")
        if path in self.entries:
            return self.entries[path]
        if self.check_real_fs:
            try:
                st = os.stat(path)
            except OSError as exc:
                fail(exc.errno or ENOENT, f"opening {path} failed")
            if stat.S_ISBLK(st.st_mode):
                return "block", _block_device_size(path, self.default_bdev_size)
            if stat.S_ISDIR(st.st_mode):
                return "dir", 0
            if stat.S_ISREG(st.st_mode):
                return "file", st.st_size
            return "other", 0
        kind = self._guess_kind(path)
        size = self.default_bdev_size if kind == "block" else self.default_file_size
        return kind, size


def _block_device_size(path: str, fallback: int) -> int:
    """The size of a real block device, as SCST reads it (fallback when it cannot be opened)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return fallback
    try:
        return os.lseek(fd, 0, os.SEEK_END)
    finally:
        os.close(fd)


@dataclass
class EmulatorConfig:
    scsi_devices: list = field(default_factory=lambda: [ScsiDeviceSpec("2:0:0:0", 5)])
    passthrough_handlers: list = field(default_factory=lambda: list(PASSTHROUGH_TYPES))
    daemon_running: bool = True
    with_scst_local: bool = False
    # Hardware target ports (FC/IB): {driver: [port names]}, e.g.
    # {"qla2x00t": ["50:01:43:80:12:34:56:78"]}; each port is a target with
    # ``hw_target`` 1 and ``enabled``, created when the driver loads.
    hw_targets: dict = field(default_factory=dict)
    scst_local_default_target: bool = True
    ncpus: int = 2
    scst_threads: int = 2
    auto_cm_assignment: bool = True
    forcibly_close_sessions: bool = False
    tracing: bool = True
    version_text: str = DEFAULT_VERSION_TEXT
    iscsi_version_text: str = DEFAULT_ISCSI_VERSION_TEXT
    backing: BackingStore = field(default_factory=BackingStore)

    def handlers(self) -> dict:
        out = dict(VDISK_HANDLERS)
        for name in self.passthrough_handlers:
            out[name] = HandlerInfo(name, PASSTHROUGH_TYPES[name], False,
                                    trace_tokens=tuple(CORE_TRACE_TOKENS))
        return out


def parse_scsi_device(spec: str) -> ScsiDeviceSpec:
    """Parse the CLI form ``H:C:I:L[:TYPE[:HANDLER]]`` (TYPE defaults to 0)."""
    parts = spec.split(":")
    if len(parts) < 4:
        raise ValueError(f"bad SCSI device spec {spec!r}, want H:C:I:L[:TYPE[:HANDLER]]")
    hctl = ":".join(str(int(p)) for p in parts[:4])
    scsi_type = int(parts[4], 0) if len(parts) > 4 and parts[4] != "" else 0
    handler = parts[5] if len(parts) > 5 and parts[5] else None
    return ScsiDeviceSpec(hctl, scsi_type, handler)
