# Copyright: scst.iscsi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Online resize on the initiator: rescan sessions so the kernel reads the new capacity of
each LUN, then grow the multipath maps whose paths all grew.

A LUN here is a unit: a multipath map with all its paths, or a disk that no map holds.
Check mode rescans nothing: it reads each path's capacity with SCSI READ CAPACITY
(``sg_readcap``, sg3-utils), which the target answers with the size the kernel would read,
and predicts from that. A LUN that got smaller is an error in both: a target never shrinks
a LUN in use, so an initiator that sees one has the wrong device or a broken target.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ansible_collections.scst.iscsi.plugins.module_utils.iscsi.multipath import MultipathError, validate_map_name

_READCAP = re.compile(r"0x([0-9a-fA-F]+)\s+0x([0-9a-fA-F]+)")


class ReadCapacity:
    """``sg_readcap --brief --readonly /dev/sdX``: two hex numbers, blocks and block size.
    Opened read-only, so closing it sends udev no change event."""

    def __init__(self, *, run_command, binary: str = "sg_readcap", dev_root: str = "/dev"):
        self._run_command = run_command
        self.binary = binary
        self.dev_root = dev_root
        self.calls = []

    def size_bytes(self, device: str) -> int:
        argv = [self.binary, "--brief", "--readonly", "{0}/{1}".format(self.dev_root, device)]
        self.calls.append(argv)
        rc, stdout, stderr = self._run_command(argv)
        match = _READCAP.fullmatch((stdout or "").strip())
        if rc != 0 or not match or int(match.group(1), 16) == 0 or int(match.group(2), 16) == 0:
            said = " / ".join(line.strip() for line in ((stdout or "") + (stderr or "")).splitlines() if line.strip())
            raise MultipathError("READ CAPACITY of {0} failed (sg_readcap exit {1}){2}".format(
                device, rc, ": " + said if said else ""), device=device, command=argv)
        return int(match.group(1), 16) * int(match.group(2), 16)


@dataclass
class Unit:
    """One LUN as the initiator uses it."""

    paths: list  # sdX names
    map: object = None  # MultipathMap or None
    wwid: str | None = None
    size_before: int | None = None
    size_after: int | None = None
    path_sizes: dict | None = None  # sdX -> bytes after the rescan (or as READ CAPACITY says)

    @property
    def device(self) -> str:
        return self.map.dm if self.map is not None else self.paths[0]

    def dump(self) -> dict:
        return {"device": self.device, "name": self.map.name if self.map is not None else None,
                "wwid": self.wwid, "mapper": self.map.mapper if self.map is not None else None,
                "paths": list(self.paths), "size_before": self.size_before, "size_after": self.size_after}

    def describe(self) -> str:
        if self.map is not None:
            return "map {0} ({1}, paths {2})".format(self.map.name, self.map.dm, ", ".join(self.paths))
        return "disk {0}".format(self.paths[0])


def units_of(disks: list, sysfs) -> list:
    """The units that hold the disks ``disks`` (sdX of the selected sessions), in order."""
    maps = sysfs.maps()
    units = []
    seen = set()
    for disk in disks:
        found = next((each for each in maps if disk in each.paths), None)
        key = found.dm if found is not None else disk
        if key in seen:
            continue
        seen.add(key)
        if found is not None:
            units.append(Unit(paths=list(found.paths), map=found, wwid=found.wwid, size_before=found.size_bytes))
        else:
            units.append(Unit(paths=[disk], wwid=sysfs.kernel_wwid(disk), size_before=sysfs.size_bytes(disk)))
    return units


def judge(units: list) -> list:
    """Fill ``size_after`` from ``path_sizes``; return the problems (shrunk, paths disagree)."""
    problems = []
    for unit in units:
        sizes = sorted(set(unit.path_sizes.values()))
        if len(sizes) != 1:
            problems.append("{0}: the paths report different sizes ({1}); not resized".format(
                unit.describe(), ", ".join("{0} {1}".format(path, unit.path_sizes[path]) for path in unit.paths)))
            unit.size_after = unit.size_before
            continue
        unit.size_after = sizes[0]
        if unit.size_before is not None and unit.size_after < unit.size_before:
            problems.append("{0} is smaller than before ({1} bytes, was {2}): a target never shrinks a LUN in use; "
                            "check the target's device before using this one".format(
                                unit.describe(), unit.size_after, unit.size_before))
    return problems


def rescan_and_resize(*, iscsiadm, sysfs, multipathd, readcap, selected_sids: list, disks: list,
                      sid_of_disk: dict, check_mode: bool) -> list:
    """Rescan (or, in check mode, read the capacities) and grow the maps; return the units.

    The sessions of every path of a map that a selected disk belongs to are rescanned as well:
    a map is resized only when all its paths agree."""
    units = units_of(disks, sysfs)
    sids = list(selected_sids)
    for unit in units:
        for path in unit.paths:
            sid = sid_of_disk.get(path)
            if sid is not None and sid not in sids:
                sids.append(sid)
    if check_mode:
        if readcap is None:
            raise MultipathError("check mode reads each path's capacity with sg_readcap: install sg3-utils")
        for unit in units:
            unit.path_sizes = {path: readcap.size_bytes(path) for path in unit.paths}
    else:
        for sid in sids:
            iscsiadm.rescan_session(sid=sid)
        for unit in units:
            unit.path_sizes = {path: sysfs.size_bytes(path) for path in unit.paths}
    problems = judge(units)
    if problems:
        raise MultipathError("{0}{1}".format("check mode: " if check_mode else "after the rescan: ",
                                             "; ".join(problems)),
                             devices=[unit.dump() for unit in units])
    for unit in units:
        if unit.map is None or unit.size_after == unit.size_before:
            continue
        if multipathd is None:
            raise MultipathError("{0} needs a resize but multipathd is not installed".format(unit.describe()),
                                 devices=[each.dump() for each in units])
        validate_map_name(unit.map.name)
        if not check_mode:
            multipathd.resize(unit.map.name)
            unit.size_after = next((each.size_bytes for each in sysfs.maps() if each.dm == unit.map.dm), None)
            if unit.size_after != unit.path_sizes[unit.paths[0]]:
                raise MultipathError("multipathd resize map {0} answered ok but the map is {1} bytes, not {2}".format(
                    unit.map.name, unit.size_after, unit.path_sizes[unit.paths[0]]),
                    devices=[each.dump() for each in units])
    return units
