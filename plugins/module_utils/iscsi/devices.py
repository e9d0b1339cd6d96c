# Copyright: scst.iscsi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Block devices of iSCSI sessions: resolve names and links, wait for them (bounded)."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field

from ansible_collections.scst.iscsi.plugins.module_utils.iscsi.errors import DeviceTimeoutError
from ansible_collections.scst.iscsi.plugins.module_utils.iscsi.multipath import MultipathSysfs


# SCSI peripheral device types that get a block device: disk, optical memory, RBC.
BLOCK_DEVICE_TYPES = frozenset((0, 7, 14))


class DeviceResolver:
    """Fill in /dev paths, /dev/disk/by-path links and SCSI types of the devices of sessions."""

    def __init__(self, *, dev_root: str = "/dev", sys_root: str = "/sys"):
        self.dev_root = dev_root
        self.sys_root = sys_root
        self.multipath = MultipathSysfs(sys_root=sys_root)

    def scsi_type(self, hctl: str):
        """The peripheral device type from sysfs, or None while the device is being added."""
        try:
            with open(os.path.join(self.sys_root, "bus", "scsi", "devices", hctl, "type")) as handle:
                return int(handle.read().strip())
        except (OSError, ValueError):
            return None

    def by_path_links(self) -> dict:
        """Map a kernel name (``sda``) to the sorted by-path links that point at it."""
        directory = os.path.join(self.dev_root, "disk", "by-path")
        links = {}
        try:
            entries = sorted(os.listdir(directory))
        except OSError:
            return links
        for entry in entries:
            link = os.path.join(directory, entry)
            try:
                target = os.readlink(link)
            except OSError:
                continue
            name = os.path.basename(os.path.normpath(os.path.join(directory, target)))
            links.setdefault(name, []).append(link)
        return links

    def resolve(self, sessions: list) -> list:
        links = self.by_path_links()
        for session in sessions:
            for device in session.devices:
                device.scsi_type = self.scsi_type(device.hctl)
                if not device.name:
                    continue
                path = os.path.join(self.dev_root, device.name)
                device.path = path if os.path.exists(path) else None
                # Prefer the iSCSI link of this LUN; other links (partitions excluded) follow.
                device.by_path = [link for link in links.get(device.name, []) if "-iscsi-" in link]
        return sessions


def device_ready(device) -> bool:
    return bool(device.name and device.path and device.by_path)


def missing_for(session, *, min_devices: int, luns) -> list:
    """Describe what a session still lacks; an empty list means it is ready."""
    missing = []
    ready = [device for device in session.devices if device_ready(device)]
    for device in session.devices:
        if device.name and not device_ready(device):
            what = "no /dev node" if not device.path else "no /dev/disk/by-path link"
            missing.append("LUN {0} ({1}): {2}".format(device.lun, device.name, what))
        elif not device.name and (device.scsi_type is None or device.scsi_type in BLOCK_DEVICE_TYPES):
            # Listed by the scan, block device not attached yet. Units of other
            # types (enclosures, controllers) never get one and are not waited for.
            missing.append("LUN {0}: no disk attached yet".format(device.lun))
    for lun in luns or ():
        if not any(device.lun == lun for device in ready):
            if not any(device.lun == lun for device in session.devices):
                missing.append("LUN {0}: not reported by the target".format(lun))
            elif not any(device.lun == lun and device.name for device in session.devices):
                if not any("LUN {0}:".format(lun) in line for line in missing):
                    missing.append("LUN {0}: no disk attached".format(lun))
    if len(ready) < min_devices:
        missing.append("{0} of at least {1} disk(s) ready".format(len(ready), min_devices))
    return missing


@dataclass
class Snapshot:
    """One look at the initiator: the selected sessions (resolved), every session (to name
    the session of each path of a map), and the multipath maps."""

    sessions: list
    all_sessions: list = field(default_factory=list)
    maps: list = field(default_factory=list)

    def map_of(self, name):
        """The multipath map that holds the disk ``name`` (sdX), or None."""
        for found in self.maps:
            if name in found.paths:
                return found
        return None

    def session_of(self, name):
        for session in self.all_sessions:
            if any(device.name == name for device in session.devices):
                return session
        return None


def multipath_entry(snapshot: Snapshot, resolver: DeviceResolver, name) -> tuple:
    """``(wwid, multipath)`` of a disk, as iscsi_devices returns them: the map's WWID and
    block when a map holds the disk; otherwise the WWID the kernel read and None."""
    if not name:
        return None, None
    found = snapshot.map_of(name)
    if found is None:
        return resolver.multipath.kernel_wwid(name), None
    paths = []
    for path in found.paths:
        session = snapshot.session_of(path)
        paths.append({"device": path, "state": resolver.multipath.path_state(path),
                      "target": session.target if session else None,
                      "portal": str(session.portal) if session else None,
                      "iface": session.iface if session else None})
    return found.wwid, {"name": found.name, "dm": found.dm, "mapper": found.mapper,
                        "size_bytes": found.size_bytes, "paths": paths}


def running_paths(snapshot: Snapshot, resolver: DeviceResolver, device) -> tuple:
    """``(count, detail)``: the paths of the disk's map in SCSI state running; a disk that no
    map holds is its own single path."""
    found = snapshot.map_of(device.name)
    names = found.paths if found is not None else [device.name]
    states = [(name, resolver.multipath.path_state(name)) for name in names]
    count = sum(1 for _name, state in states if state == "running")
    where = "map {0}".format(found.name) if found is not None else "no multipath map"
    detail = "{0}: {1}".format(where, ", ".join("{0} {1}".format(name, state or "gone") for name, state in states))
    return count, detail


def missing_paths(session, snapshot: Snapshot, resolver: DeviceResolver, *, min_paths: int) -> list:
    missing = []
    for device in session.devices:
        if not device.name:
            continue
        count, detail = running_paths(snapshot, resolver, device)
        if count < min_paths:
            missing.append("LUN {0} ({1}): {2} of {3} paths running ({4})".format(
                device.lun, device.name, count, min_paths, detail))
    return missing


class DeviceWaiter:
    """Poll sessions until their disks have device nodes and by-path links, or time runs out.

    ``settle(timeout)`` waits for the udev queue (``udevadm settle``); ``clock``
    and ``sleep`` are injectable so tests do not wait.
    """

    def __init__(self, *, iscsiadm, resolver: DeviceResolver, settle=None,
                 clock=time.monotonic, sleep=time.sleep, interval: float = 0.5):
        self.iscsiadm = iscsiadm
        self.resolver = resolver
        self.settle = settle
        self.clock = clock
        self.sleep = sleep
        self.interval = interval

    def snapshot(self, select) -> Snapshot:
        every = self.resolver.resolve(self.iscsiadm.session_tree())
        return Snapshot(sessions=[session for session in every if select(session)], all_sessions=every,
                        maps=self.resolver.multipath.maps())

    def wait(self, *, select, timeout: float, min_devices: int = 1, luns=None, min_paths: int = 0) -> Snapshot:
        """Return a snapshot once every selected session is ready (and every LUN has
        ``min_paths`` running paths); raise DeviceTimeoutError."""
        deadline = self.clock() + max(timeout, 0)
        while True:
            remaining = deadline - self.clock()
            if self.settle is not None:
                self.settle(max(1, int(remaining)) if remaining > 0 else 1)
            snapshot = self.snapshot(select)
            missing = {}
            for session in snapshot.sessions:
                lacks = missing_for(session, min_devices=min_devices, luns=luns)
                if min_paths > 0:
                    lacks += missing_paths(session, snapshot, self.resolver, min_paths=min_paths)
                if lacks:
                    missing["{0} at {1} (sid {2})".format(session.target, session.portal, session.sid)] = lacks
            if not missing:
                return snapshot
            if self.clock() >= deadline:
                detail = "; ".join("{0}: {1}".format(name, ", ".join(lacks)) for name, lacks in missing.items())
                raise DeviceTimeoutError(
                    "devices did not appear within {0} s: {1}".format(timeout, detail),
                    missing=missing, sessions=[session.dump() for session in snapshot.sessions])
            self.sleep(min(self.interval, max(deadline - self.clock(), 0)) or self.interval)
