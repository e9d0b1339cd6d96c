"""Fidelity of the project's SCST model against a real SCST (molecule scenario scst).

Three checks, each a subcommand that prints what differs and exits non-zero
when anything does:

``run`` (in the guest, standard library only)
    Applies a fixed sequence of management writes to the real
    /sys/kernel/scst_tgt - its own objects, all named with ``fid``, created,
    changed and removed again, so the lab's objects stay untouched - and dumps
    the whole tree before, during and after.  Every write's result (0 or the
    errno, after the EAGAIN/last_sysfs_mgmt_res protocol) is recorded.
    Writes one JSON file.

``differential REAL.json`` (on the controller)
    Replays the recorded writes against the project's SCST emulator
    (tests/emulator, in-process), set up like the guest (CPUs, loaded
    handlers, tracing, SCST's global settings, the sizes of the backing
    files), dumps it at the same points and compares: every write's result,
    and every file of the trees (kind, mode, byte size, value, ``[key]``
    mark, link target), except the entries listed in EXCLUSIONS.  It also
    checks that the guest's tree after the sequence equals the one before
    it (nothing left behind).

``emulate REAL.json --out EMU.json`` and ``diff REAL.json EMU.json``
    The two halves of ``differential``, to look at the replay or compare
    saved runs again.

``conf COLLECTION.conf SCSTADMIN.conf``
    The /etc/scst.conf the collection wrote and the one ``scstadmin
    -write_config`` wrote from the same running SCST, both read with the
    collection's scst.conf reader and compared as data.  Ignored, and only
    these: comments (the header), the LUNs of the copy_manager target (SCST
    assigns them by itself; scstadmin writes them) and the size of
    vdisk_fileio/vdisk_blockio devices (the backing store's size; scstadmin
    writes it because SCST marks it as set).

``check-config --rc N FILE|-``
    The output of ``scstadmin -check_config``: exit status 0, no FATAL or
    WARNING line, and the summary "Done, 0 warnings found.".

``settable REAL.json``
    Device attributes outside the collection's catalog that real SCST took
    in ``run`` (write succeeded, read back marked ``[key]``), as JSON.

Dumps use the format of the live measurements of a real SCST
(``PATH  [file mode=0644 rw] = value``, ``    | line`` for further lines,
``PATH/  [dir]``, ``PATH  [symlink] -> TARGET``); this tool adds the file's
size in bytes (``[file mode=0644 rw bytes=6]``), so that trailing empty lines
count too.  CHAP secrets never appear: a CHAP file's secret is replaced by a
hash of it.
"""

from __future__ import annotations

import argparse
import copy
import errno
import hashlib
import json
import os
import re
import stat
import sys
import time

SYSFS_ROOT = "/sys/kernel/scst_tgt"
MARKER = "fid"
POLL_SECONDS = 0.1
WORK_TIMEOUT = 180.0

# ---------------------------------------------------------------------------
# The sequence
# ---------------------------------------------------------------------------

TARGET = "iqn.2026-11.org.example.lab:fid.tgt1"
REMOTE = "iqn.2026-11.org.example.remote:fid.tgt2"
HOST = "iqn.2026-11.org.example.lab:fid.host1"
SEQUENCE_SETUP_ID = "0x5eed"
MiB = 1 << 20


def build_sequence(*, backing_dir, setup_id_before):
    """The management writes of ``run``: (backing files, missing paths, steps).

    A step is ``{"write": path, "data": text}`` or ``{"snapshot": name}``.
    Writes meant to fail say so in ``expect`` (documentation only: the
    differential compares the real result with the emulator's, whatever it
    is).  The allowed portal is a documentation address, so the target never
    shows in the lab's discovery.
    """
    f1, f1b, f2 = (os.path.join(backing_dir, name) for name in ("fidf1.img", "fidf1b.img", "fidf2.img"))
    missing = os.path.join(backing_dir, "missing.img")
    backing = [[f1, 16 * MiB], [f1b, 24 * MiB], [f2, 8 * MiB]]
    tgt = "targets/iscsi/" + TARGET
    dg = "device_groups/fiddg"
    steps = []

    def w(path, data, expect=None):
        step = {"write": path, "data": data}
        if expect:
            step["expect"] = expect
        steps.append(step)

    steps.append({"snapshot": "baseline"})
    # devices; setup_id seeds the default identifiers of the devices created after it
    w("handlers/vdisk_fileio/mgmt", "add_device fidf1 filename=%s; nv_cache=1\n" % f1)
    w("handlers/vdisk_nullio/mgmt", "add_device fidn1 size_mb=64\n")
    w("setup_id", SEQUENCE_SETUP_ID + "\n")
    w("handlers/vdisk_fileio/mgmt", "add_device fidf2 filename=%s; blocksize=4096; read_only=1; "
      "t10_dev_id=fid-f2-id\n" % f2)
    w("handlers/vdisk_nullio/mgmt", "add_device fidn2 dummy=1; removable=1; rotational=0; blocksize=4096\n")
    w("handlers/vcdrom/mgmt", "add_device fidcd\n")
    w("handlers/vdisk_fileio/mgmt", "add_device fidf1 filename=%s\n" % f1, "EEXIST")
    w("handlers/vdisk_nullio/mgmt", "add_device fidbad bogus=1\n", "EINVAL")
    w("handlers/vdisk_fileio/mgmt", "add_device fidmiss filename=%s\n" % missing, "ENOENT")
    w("handlers/vdisk_nullio/mgmt", "frobnicate fidn1\n", "EINVAL")
    # device attributes
    w("devices/fidf1/t10_vend_id", "FIDVEND\n")
    w("devices/fidf1/prod_id", "FIDPROD\n")
    w("devices/fidf1/usn", "fidusn1\n")
    w("devices/fidf1/threads_num", "3\n")
    w("devices/fidf1/threads_pool_type", "shared\n")
    w("devices/fidf1/expl_alua", "1\n")
    w("devices/fidf1/opt_trans_len", "1048576\n")
    w("devices/fidf1/eui64_id", "0x0123456789abcdef\n")
    w("devices/fidf1/naa_id", "0x5123456789abcdef\n")
    w("devices/fidf1/filename", "%s\n" % f1b, "EINVAL: only while inactive")
    w("devices/fidf1/active", "0\n")
    w("devices/fidf1/filename", "%s\n" % f1b)
    w("devices/fidf1/active", "1\n")
    w("devices/fidn1/size_mb", "32\n")
    w("devices/fidn1/read_zero", "1\n")
    w("devices/fidn1/t10_vend_id", "TOOLONGVENDOR\n", "EINVAL")
    w("devices/fidn1/scsi_device_name", "fid.scsi.name\n")
    # pr_file_name is outside the collection's catalog; SCST refuses it for an
    # exported device, and the copy manager exports every new device
    w("devices/fidn1/pr_file_name", "/var/lib/scst/pr/fidn1.alt\n", "EBUSY (inferred)")
    # an iSCSI target with CHAP, a portal, LUNs, a group
    w("targets/iscsi/mgmt", "add_target %s\n" % TARGET)
    w("targets/iscsi/mgmt", "add_target %s\n" % TARGET, "EEXIST")
    w("targets/iscsi/mgmt", "add_target_attribute %s IncomingUser fiduser fidsecret1234\n" % TARGET)
    w("targets/iscsi/mgmt", "add_target_attribute %s IncomingUser fiduser2 fidsecret5678\n" % TARGET)
    w("targets/iscsi/mgmt", "add_target_attribute %s OutgoingUser fidout fidoutsecret12\n" % TARGET)
    w("targets/iscsi/mgmt", "add_target_attribute %s IncomingUser fidshort short\n" % TARGET, "EINVAL")
    w("targets/iscsi/mgmt", "add_target_attribute %s allowed_portal 192.0.2.1\n" % TARGET)
    w(tgt + "/QueuedCommands", "64\n")
    w(tgt + "/HeaderDigest", "CRC32C,None\n")
    w(tgt + "/QueuedCommands", "4096\n", "EINVAL")
    w(tgt + "/comment", "fidelity target\n")
    w(tgt + "/io_grouping_type", "never\n")
    w(tgt + "/luns/mgmt", "add fidf1 0\n")
    w(tgt + "/luns/mgmt", "add fidn1 1 read_only=1\n")
    w(tgt + "/luns/mgmt", "add fidnone 2\n", "EINVAL")
    w(tgt + "/luns/mgmt", "add fidn2 0\n", "EEXIST")
    w(tgt + "/ini_groups/mgmt", "create fidg1\n")
    w(tgt + "/ini_groups/mgmt", "create fidg1\n", "EEXIST")
    w(tgt + "/ini_groups/fidg1/initiators/mgmt", "add %s\n" % HOST)
    w(tgt + "/ini_groups/fidg1/initiators/mgmt", "add iqn.2026-11.org.example.lab:fid.*\n")
    w(tgt + "/ini_groups/fidg1/luns/mgmt", "add fidf2 0\n")
    w(tgt + "/ini_groups/fidg1/luns/mgmt", "add fidcd 1\n")
    w(tgt + "/ini_groups/fidg1/addr_method", "FLAT\n")
    w(tgt + "/rel_tgt_id", "7\n")
    w(tgt + "/enabled", "1\n")
    # ALUA: a local and a remote target group
    w("device_groups/mgmt", "create fiddg\n")
    w(dg + "/devices/mgmt", "add fidf1\n")
    w(dg + "/devices/mgmt", "add fidn1\n")
    w(dg + "/target_groups/mgmt", "create fidtg1\n")
    w(dg + "/target_groups/fidtg1/mgmt", "add %s\n" % TARGET)
    w(dg + "/target_groups/fidtg1/group_id", "11\n")
    w(dg + "/target_groups/fidtg1/preferred", "1\n")
    w(dg + "/target_groups/mgmt", "create fidtg2\n")
    w(dg + "/target_groups/fidtg2/mgmt", "add %s\n" % REMOTE)
    w(dg + "/target_groups/fidtg2/%s/rel_tgt_id" % REMOTE, "12\n")
    w(dg + "/target_groups/fidtg2/group_id", "12\n")
    w(dg + "/target_groups/fidtg2/state", "standby\n")
    w(dg + "/target_groups/fidtg2/group_id", "0\n", "EINVAL")
    w(dg + "/target_groups/fidtg2/state", "sleeping\n", "EINVAL")
    steps.append({"snapshot": "built"})
    # changes
    w(dg + "/target_groups/fidtg1/state", "nonoptimized\n")
    w(dg + "/target_groups/fidtg1/preferred", "0\n")
    w(tgt + "/enabled", "0\n")
    w(tgt + "/luns/mgmt", "del 1\n")
    w(tgt + "/luns/mgmt", "replace fidn2 0\n")
    w("targets/iscsi/mgmt", "del_target_attribute %s OutgoingUser fidout\n" % TARGET)
    w("targets/iscsi/mgmt", "del_target_attribute %s IncomingUser fiduser\n" % TARGET)
    w(tgt + "/ini_groups/fidg1/initiators/mgmt", "del %s\n" % HOST)
    w(dg + "/devices/mgmt", "del fidn1\n")
    w("devices/fidf1/t10_dev_id", "fid-f1-new\n")
    w("devices/fidn1/t10_vend_id", "\n")
    w(tgt + "/comment", "\n")
    steps.append({"snapshot": "changed"})
    # everything removed again; setup_id as it was
    w("device_groups/mgmt", "del fiddg\n")
    w("device_groups/mgmt", "del fiddg\n", "EINVAL")
    w("targets/iscsi/mgmt", "del_target %s\n" % TARGET)
    for handler, device in (("vdisk_fileio", "fidf1"), ("vdisk_fileio", "fidf2"), ("vdisk_nullio", "fidn1"),
                            ("vdisk_nullio", "fidn2"), ("vcdrom", "fidcd")):
        w("handlers/%s/mgmt" % handler, "del_device %s\n" % device)
    w("handlers/vdisk_nullio/mgmt", "del_device fidn1\n", "EINVAL")
    w("setup_id", setup_id_before + "\n")
    steps.append({"snapshot": "removed"})
    return backing, [missing], steps


# ---------------------------------------------------------------------------
# Trees: the real sysfs (os) and the emulator, behind one small interface
# ---------------------------------------------------------------------------

class OsTree(object):
    """The real /sys/kernel/scst_tgt (or any directory), through os calls:
    one write(2) per command, reads with os.read (EAGAIN is an error, not None)."""

    def __init__(self, root):
        self.root = root

    def _path(self, rel):
        return os.path.join(self.root, rel) if rel else self.root

    def scan(self, rel):
        out = {}
        with os.scandir(self._path(rel)) as entries:
            for entry in entries:
                if entry.is_symlink():
                    out[entry.name] = ("symlink", 0)
                elif entry.is_dir(follow_symlinks=False):
                    out[entry.name] = ("dir", 0)
                else:
                    out[entry.name] = ("file", stat.S_IMODE(entry.stat(follow_symlinks=False).st_mode))
        return out

    def read(self, rel):
        fd = os.open(self._path(rel), os.O_RDONLY)
        try:
            chunks = []
            while True:
                chunk = os.read(fd, 65536)
                if not chunk:
                    break
                chunks.append(chunk)
        finally:
            os.close(fd)
        return b"".join(chunks).decode("utf-8", "surrogateescape")

    def readlink(self, rel):
        return os.readlink(self._path(rel))

    def write(self, rel, data):
        fd = os.open(self._path(rel), os.O_WRONLY)
        try:
            os.write(fd, data.encode("utf-8", "surrogateescape"))
        finally:
            os.close(fd)


class EmulatorTree(object):
    """The emulator through its in-process backend (errors are OSError with errno)."""

    def __init__(self, emulator):
        from scst_emulator import InProcessBackend  # pylint: disable=import-outside-toplevel
        self.emulator = emulator
        self.backend = InProcessBackend(emulator)

    def scan(self, rel):
        return dict((name, ("symlink" if kind == "link" else kind, mode))
                    for name, (kind, mode) in self.backend.scan(rel).items())

    def read(self, rel):
        return self.backend.read(rel)

    def readlink(self, rel):
        return self.backend.readlink(rel)

    def write(self, rel, data):
        self.backend.write(rel, data)


def _errno_name(number):
    return errno.errorcode.get(number, "E%d" % number) if number else "0"


def _read_retrying(tree, rel, *, sleep, clock, timeout):
    """A read; work-based files answer EAGAIN until their work is done."""
    deadline = clock() + timeout
    while True:
        try:
            return tree.read(rel)
        except OSError as exc:
            if exc.errno != errno.EAGAIN or clock() > deadline:
                raise
        sleep(POLL_SECONDS)


def apply_write(tree, rel, data, *, sleep=time.sleep, clock=time.monotonic, timeout=WORK_TIMEOUT):
    """One management write: ``(result, eagain)``, result ``"0"`` or the errno name.

    A write whose work is still running fails with EAGAIN; its result is then
    read from last_sysfs_mgmt_res (EAGAIN while it runs, then 0 or -errno).
    """
    try:
        tree.write(rel, data)
        return "0", False
    except OSError as exc:
        if exc.errno != errno.EAGAIN:
            return _errno_name(exc.errno), False
    text = _read_retrying(tree, "last_sysfs_mgmt_res", sleep=sleep, clock=clock, timeout=timeout)
    value = int(text.split()[0]) if text.split() else 0
    return _errno_name(-value if value < 0 else 0), True


# ---------------------------------------------------------------------------
# Dumps
# ---------------------------------------------------------------------------

_CHAP_FILE = re.compile(r"^(IncomingUser|OutgoingUser)\d*$")
_DUMP_LINE = re.compile(r"^(?P<path>\S.*?)  \[(?:(?P<dir>dir)|(?P<link>symlink)|file mode=(?P<mode>[0-7]+) \S+?"
                        r"(?: bytes=(?P<bytes>\d+))?)\](?P<rest>.*)$")


class Entry(object):
    """One entry of a dump: kind ``dir``, ``symlink`` or ``file``."""

    def __init__(self, kind, *, mode=0, lines=None, link=None, size=None, note=None, help_bytes=None):
        self.kind = kind
        self.mode = mode
        self.lines = lines            # file content: lines without trailing empty ones, or None
        self.link = link
        self.size = size              # bytes (this tool's dumps only)
        self.note = note              # "not readable", "read error: EIO" ...
        self.help_bytes = help_bytes  # live dumps show mgmt help texts by size only

    def __repr__(self):
        return "Entry(%s)" % ", ".join("%s=%r" % item for item in sorted(vars(self).items()) if item[1] is not None)


def _mask_chap(name, text):
    if not _CHAP_FILE.match(name):
        return text
    lines = text.split("\n")
    words = lines[0].split(None, 1)
    if len(words) == 2 and not words[1].startswith("<secret sha256:"):
        digest = hashlib.sha256(words[1].encode("utf-8", "surrogateescape")).hexdigest()[:12]
        lines[0] = "%s <secret sha256:%s>" % (words[0], digest)
    return "\n".join(lines)


def _content_lines(text):
    lines = text.split("\n")
    while lines and lines[-1] == "":
        lines.pop()
    return lines


def _flags(mode):
    return {(True, True): "rw", (True, False): "ro", (False, True): "w-only"}.get(
        (bool(mode & 0o400), bool(mode & 0o200)), "--")


def dump_tree(tree, *, sleep=time.sleep, clock=time.monotonic, timeout=WORK_TIMEOUT):
    """Every entry under the tree's root, one line each (and ``    |`` lines), sorted by path."""
    out = []

    def walk(rel):
        for name, (kind, mode) in sorted(tree.scan(rel).items()):
            path = "%s/%s" % (rel, name) if rel else name
            if kind == "dir":
                out.append((path, "%s/  [dir]" % path))
                walk(path)
            elif kind == "symlink":
                out.append((path, "%s  [symlink] -> %s" % (path, tree.readlink(path))))
            else:
                out.append((path, _file_line(tree, path, name, mode, sleep=sleep, clock=clock, timeout=timeout)))

    walk("")
    return "".join(text + "\n" for _path, text in sorted(out))


def _file_line(tree, path, name, mode, **retry):
    head = "%s  [file mode=%04o %s" % (path, mode, _flags(mode))
    if not mode & 0o400:
        return head + "]  <not readable>"
    try:
        text = _read_retrying(tree, path, **retry)
    except OSError as exc:
        return head + "]  <read error: %s>" % _errno_name(exc.errno)
    size = len(text.encode("utf-8", "surrogateescape"))
    lines = _content_lines(_mask_chap(name, text))
    head += " bytes=%d]" % size
    if len(lines) <= 1:
        return head + " = " + (lines[0] if lines else "")
    return head + " =" + "".join("\n    |" + (" " + line if line else "") for line in lines)


def parse_dump(text):
    """``{path: Entry}`` of a dump: this tool's, or a live dump of a real SCST."""
    entries = {}
    current = None
    for number, raw in enumerate(text.split("\n"), 1):
        if not raw.strip() or raw.startswith("#"):
            continue
        if raw.startswith("    |"):
            if current is None or current.lines is None:
                raise ValueError("dump line %d: a continuation line without a file before it" % number)
            current.lines.append(raw[6:])
            continue
        match = _DUMP_LINE.match(raw)
        if not match:
            raise ValueError("dump line %d: not a dump entry: %r" % (number, raw))
        path, rest = match.group("path").rstrip("/"), match.group("rest")
        if match.group("dir"):
            entry = Entry("dir")
        elif match.group("link"):
            if not rest.startswith(" -> "):
                raise ValueError("dump line %d: a symlink without its target" % number)
            entry = Entry("symlink", link=rest[4:])
        else:
            entry = Entry("file", mode=int(match.group("mode"), 8),
                          size=None if match.group("bytes") is None else int(match.group("bytes")))
            if rest.startswith(" = "):
                entry.lines = [rest[3:]]
            elif rest == " =":
                entry.lines = []
            else:
                help_text = re.search(r"<help text, (\d+) bytes", rest)
                if help_text:
                    entry.help_bytes = int(help_text.group(1))
                else:
                    entry.note = rest.strip().strip("<>")
        entries[path] = entry
        current = entry
    for path, entry in entries.items():
        if entry.lines:
            # a live dump shows CHAP secrets in clear; this tool never keeps them
            entry.lines = _mask_chap(path.rsplit("/", 1)[-1], "\n".join(entry.lines)).split("\n")
    return entries


# ---------------------------------------------------------------------------
# run: the sequence on a tree
# ---------------------------------------------------------------------------

def _first_line(text):
    return text.split("\n", 1)[0].strip()


def make_backing_files(backing, missing):
    """Create the sparse backing files of the sequence (and make sure the
    missing one is missing); returns the function that removes them."""
    for path, size in backing:
        os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
        with open(path, "wb") as fh:
            fh.truncate(size)
    for path in missing:
        if os.path.exists(path):
            os.unlink(path)

    def remove():
        for path, _size in backing:
            if os.path.exists(path):
                os.unlink(path)
    return remove


def run_sequence(tree, *, backing_dir, make_backing=make_backing_files, sleep=time.sleep, clock=time.monotonic,
                 timeout=WORK_TIMEOUT):
    """Apply the sequence to ``tree``; the result that ``differential`` takes.

    ``make_backing(backing, missing)`` provides the backing files (a list of
    [path, size]) and returns what removes them again.
    """
    retry = dict(sleep=sleep, clock=clock, timeout=timeout)
    setup_id_before = _first_line(tree.read("setup_id"))
    backing, missing, steps = build_sequence(backing_dir=backing_dir, setup_id_before=setup_id_before)
    remove_backing = make_backing(backing, missing)
    result = {"format": 1, "tool": "scst_fidelity", "marker": MARKER,
              "meta": {"ncpus": os.cpu_count(), "backing": backing, "missing": missing,
                       "setup_id_before": setup_id_before},
              "steps": [], "snapshots": {}, "cleanup": []}
    try:
        for step in steps:
            if "snapshot" in step:
                result["snapshots"][step["snapshot"]] = dump_tree(tree, **retry)
                result["steps"].append(dict(step))
                continue
            started = clock()
            outcome, eagain = apply_write(tree, step["write"], step["data"], **retry)
            result["steps"].append(dict(step, result=outcome, eagain=eagain,
                                        seconds=round(clock() - started, 3)))
    finally:
        result["cleanup"] = _clean_leftovers(tree, setup_id_before, **retry)
        if remove_backing is not None:
            remove_backing()
    return result


def _clean_leftovers(tree, setup_id_before, **retry):
    """Remove whatever of the sequence's objects is still there (a sequence
    that failed half-way on real SCST must not leave them to the lab)."""
    writes = []
    try:
        groups = [n for n, (k, _m) in tree.scan("device_groups").items() if k == "dir" and is_ours(n)]
        targets = [n for n, (k, _m) in tree.scan("targets/iscsi").items() if k == "dir" and is_ours(n)]
        devices = []
        for name, (kind, _mode) in tree.scan("devices").items():
            if kind == "dir" and is_ours(name):
                devices.append((os.path.basename(tree.readlink("devices/%s/handler" % name)), name))
    except OSError:
        return writes
    plan = [("device_groups/mgmt", "del %s\n" % g) for g in sorted(groups)]
    for target in sorted(targets):
        plan.append(("targets/iscsi/%s/enabled" % target, "0\n"))
        plan.append(("targets/iscsi/mgmt", "del_target %s\n" % target))
    plan.extend(("handlers/%s/mgmt" % h, "del_device %s\n" % d) for h, d in sorted(devices))
    if plan and _first_line(tree.read("setup_id")) != setup_id_before:
        plan.append(("setup_id", setup_id_before + "\n"))
    for path, data in plan:
        outcome, _eagain = apply_write(tree, path, data, **retry)
        writes.append({"write": path, "data": data, "result": outcome})
    return writes


def is_ours(name, marker=MARKER):
    """Objects of the sequence: a name that starts with the marker, or a part after ':' or '.' that does."""
    return bool(re.search(r"(^|[:.])" + re.escape(marker), name))


# ---------------------------------------------------------------------------
# The emulator set up like the guest, the sequence replayed
# ---------------------------------------------------------------------------

def _value(entries, path, default=None):
    entry = entries.get(path)
    if entry is None or not entry.lines:
        return default
    return entry.lines[0]


def _is_key(entry):
    return entry is not None and entry.lines is not None and len(entry.lines) > 1 and entry.lines[1] == "[key]"


def emulator_like(real):
    """An emulator set up as the guest was before the sequence, and the
    alignment writes made to get there (listed by ``differential``)."""
    sys.path[:0] = [p for p in _controller_paths() if p not in sys.path]
    from scst_emulator import ScstEmulator  # pylint: disable=import-outside-toplevel
    from scst_emulator.config import PASSTHROUGH_TYPES  # pylint: disable=import-outside-toplevel

    base = parse_dump(real["snapshots"]["baseline"])
    handlers = [p.split("/")[1] for p, e in base.items() if p.count("/") == 1 and p.startswith("handlers/")
                and e.kind == "dir"]
    mask = _value(base, "targets/copy_manager/copy_manager_tgt/cpu_mask", "")
    ncpus = sum(bin(int(c, 16)).count("1") for c in mask if c in "0123456789abcdefABCDEF") or \
        real["meta"].get("ncpus") or 2
    threads = _value(base, "threads")
    emu = ScstEmulator(scsi_devices=[], passthrough_handlers=[h for h in handlers if h in PASSTHROUGH_TYPES],
                       with_scst_local="targets/scst_local" in base, tracing="trace_level" in base,
                       daemon_running="targets/iscsi" in base, ncpus=ncpus,
                       scst_threads=int(threads) if threads and threads.isdigit() else ncpus)
    for path, size in real["meta"]["backing"]:
        emu.add_backing(path, size, "file")
    for path in real["meta"]["missing"]:
        emu.set_missing_file(path)
    tree = EmulatorTree(emu)
    alignment = []
    for path, entry in sorted(base.items()):
        parts = path.split("/")
        configurable = len(parts) == 1 or (
            len(parts) == 3 and parts[0] == "targets" and not _CHAP_FILE.match(parts[2]))
        if entry.kind != "file" or not configurable or not entry.mode & 0o200:
            continue
        if _is_key(entry) or (parts[-1] == "enabled" and entry.lines == ["1"]):
            data = entry.lines[0] + "\n"
            alignment.append({"write": path, "data": data, "result": apply_write(tree, path, data)[0]})
    return emu, tree, alignment


def replay(real):
    """The real run's writes replayed against an emulator set up like the guest."""
    _emu, tree, alignment = emulator_like(real)
    result = {"format": 1, "tool": "scst_fidelity", "marker": real.get("marker", MARKER), "meta": real["meta"],
              "alignment": alignment, "steps": [], "snapshots": {}, "cleanup": []}
    for step in real["steps"]:
        if "snapshot" in step:
            result["snapshots"][step["snapshot"]] = dump_tree(tree)
            result["steps"].append({"snapshot": step["snapshot"]})
        else:
            outcome, eagain = apply_write(tree, step["write"], step["data"])
            result["steps"].append({"write": step["write"], "data": step["data"], "result": outcome,
                                    "eagain": eagain})
    return result


# ---------------------------------------------------------------------------
# Comparing trees
# ---------------------------------------------------------------------------

# What the differential does not compare, and why.  Each rule: (reason, test
# of the path after canonicalisation, of its parts).
_COUNTER = re.compile(r"^(read|write|bidi|none|unknown)(_unaligned)?_(cmd_count|io_count_kb)$")
RUNTIME_EXCLUSIONS = (
    ("version texts: build date, build number, git commit, kernel release",
     lambda p, parts: p in ("version", "targets/iscsi/version")),
    ("last_sysfs_mgmt_res: the result of whichever sysfs work ran last (the dump's own reads included)",
     lambda p, parts: p == "last_sysfs_mgmt_res"),
    ("sgv/: memory-pool statistics, depend on I/O and on the number of CPUs",
     lambda p, parts: parts[0] == "sgv"),
    ("sessions/: logged-in initiators and the copy manager's internal session (thread pids, per-LUN "
     "state); runtime, not configuration",
     lambda p, parts: len(parts) > 3 and parts[0] == "targets" and parts[3] == "sessions"),
    ("I/O counters of targets (*_cmd_count, *_io_count_kb): depend on traffic",
     lambda p, parts: parts[0] == "targets" and bool(_COUNTER.match(parts[-1]))),
    ("iSCSI target tid: numbered by iscsi-scstd in creation order since it started",
     lambda p, parts: len(parts) == 4 and parts[:2] == ["targets", "iscsi"] and parts[3] == "tid"),
)


def _lab_object(path, parts, entries, marker):
    """Objects the sequence did not create (the lab's, pass-through devices of
    the host): their state comes from the lab's history; scst.conf and the
    scenario's verify check them."""
    if parts[0] == "devices" and len(parts) > 1:
        return not is_ours(parts[1], marker)
    if parts[0] == "device_groups" and len(parts) > 1 and _is_dir(entries, "device_groups/" + parts[1]):
        return not is_ours(parts[1], marker)
    if parts[0] == "handlers" and len(parts) == 3 and entries[path].kind == "symlink":
        return not is_ours(parts[2], marker)
    if parts[0] == "targets" and len(parts) > 2 and _is_dir(entries, "/".join(parts[:3])):
        if parts[2] == "copy_manager_tgt":
            # LUNs of the copy manager: compared for the sequence's devices only
            return len(parts) > 4 and parts[3] == "luns" and parts[4].startswith("@") and \
                not is_ours(parts[4][1:], marker)
        return not is_ours(parts[2], marker)
    return False


def _is_dir(entries, path):
    entry = entries.get(path)
    return entry is not None and entry.kind == "dir"


_CM_LUNS = "targets/copy_manager/copy_manager_tgt/luns/"


def canonical(entries):
    """The copy manager numbers its automatic LUNs with a counter that runs on
    since SCST was loaded (the lab's history): ``luns/N`` becomes
    ``luns/@DEVICE``, in paths and in link targets."""
    names = {}
    for path, entry in entries.items():
        if path.startswith(_CM_LUNS) and path.endswith("/device") and entry.kind == "symlink":
            names[path[len(_CM_LUNS):].split("/")[0]] = "@" + entry.link.rstrip("/").split("/")[-1]
    if not names:
        return dict(entries)

    def rename(text, sep):
        head, found, tail = text.partition("copy_manager_tgt/luns/")
        if not found:
            return text
        number, slash, rest = tail.partition(sep)
        return head + found + names.get(number, number) + slash + rest

    out = {}
    for path, entry in entries.items():
        new = copy.copy(entry)
        if entry.kind == "symlink":
            new.link = rename(entry.link, "/")
        out[rename(path, "/")] = new
    return out


def _render(entry):
    if entry.kind == "dir":
        return "[dir]"
    if entry.kind == "symlink":
        return "-> " + entry.link
    if entry.note:
        return "[%04o] <%s>" % (entry.mode, entry.note)
    if entry.lines is None:
        return "[%04o] <help text, %s bytes>" % (entry.mode, entry.help_bytes)
    return "[%04o] %s" % (entry.mode, " | ".join(entry.lines) if entry.lines else "(empty)")


def compare_entries(real, other, *, label="emulator", scope=None):
    """Differences between two ``{path: Entry}`` maps, as sentences."""
    problems = []
    for path in sorted(set(real) | set(other)):
        if scope is not None and not scope(path):
            continue
        a, b = real.get(path), other.get(path)
        if b is None:
            problems.append("%s: only on real SCST (%s)" % (path, _render(a)))
            continue
        if a is None:
            problems.append("%s: only in the %s (%s)" % (path, label, _render(b)))
            continue
        if a.kind != b.kind:
            problems.append("%s: real SCST has a %s, the %s a %s" % (path, a.kind, label, b.kind))
            continue
        if a.kind == "symlink" and a.link != b.link:
            problems.append("%s: link to %s on real SCST, to %s in the %s" % (path, a.link, b.link, label))
        if a.kind != "file":
            continue
        if a.mode != b.mode:
            problems.append("%s: mode %04o on real SCST, %04o in the %s" % (path, a.mode, b.mode, label))
        problems.extend(_compare_content(path, a, b, label))
    return problems


def _compare_content(path, a, b, label):
    if a.note != b.note:
        return ["%s: real SCST: %s, %s: %s" % (path, a.note or "readable", label, b.note or "readable")]
    if a.lines is None or b.lines is None:
        sizes = [e.help_bytes if e.lines is None else e.size for e in (a, b)]
        if None not in sizes and sizes[0] != sizes[1]:
            return ["%s: %s bytes on real SCST, %s in the %s" % (path, sizes[0], sizes[1], label)]
        return []
    if a.lines != b.lines:
        key_a, key_b = _is_key(a), _is_key(b)
        if key_a != key_b and a.lines[:1] == b.lines[:1] and a.lines[2:] == b.lines[2:]:
            return ["%s: [key] %s on real SCST, %s in the %s (value %r)"
                    % (path, "set" if key_a else "not set", "set" if key_b else "not set", label, a.lines[0])]
        return ["%s: real SCST %r, %s %r" % (path, "\n".join(a.lines), label, "\n".join(b.lines))]
    if a.size is not None and b.size is not None and a.size != b.size:
        return ["%s: %d bytes on real SCST, %d in the %s (same lines: trailing empty lines differ)"
                % (path, a.size, b.size, label)]
    return []


def differential_scope(entries_real, entries_other, marker, excluded):
    """The paths the differential compares; ``excluded`` counts the others by reason."""
    both = dict(entries_other)
    both.update(entries_real)

    def scope(path):
        parts = path.split("/")
        for reason, test in RUNTIME_EXCLUSIONS:
            if test(path, parts):
                excluded[reason] = excluded.get(reason, 0) + 1
                return False
        if _lab_object(path, parts, both, marker):
            reason = ("objects the sequence did not create (the lab's devices, targets, device groups, "
                      "pass-through devices; their copy-manager LUNs): the lab's own history")
            excluded[reason] = excluded.get(reason, 0) + 1
            return False
        return True
    return scope


def _mask_data(data):
    return re.sub(r"((?:IncomingUser|OutgoingUser)\d*\s+\S+\s+)\S+", r"\1********", data)


def compare_runs(real, emulated):
    """``(problems, report)``: the writes' results and the snapshots compared."""
    problems, report = [], []
    marker = real.get("marker", MARKER)
    real_steps, emu_steps = real["steps"], emulated["steps"]
    if len(real_steps) != len(emu_steps):
        problems.append("the runs have %d and %d steps" % (len(real_steps), len(emu_steps)))
    writes = failed = 0
    for index, (a, b) in enumerate(zip(real_steps, emu_steps), 1):
        if "snapshot" in a or "snapshot" in b:
            if a.get("snapshot") != b.get("snapshot"):
                problems.append("step %d: snapshot %s against %s" % (index, a.get("snapshot"), b.get("snapshot")))
            continue
        writes += 1
        if a["result"] != "0":
            failed += 1
        if (a["write"], a["data"]) != (b["write"], b["data"]):
            problems.append("step %d: different writes" % index)
        elif a["result"] != b["result"]:
            problems.append("step %d: echo %r > %s: real SCST %s, emulator %s%s"
                            % (index, _mask_data(a["data"]).rstrip("\n"), a["write"], a["result"], b["result"],
                               " (expected: %s)" % a["expect"] if a.get("expect") else ""))
    report.append("%d writes compared (%d of them failed on real SCST, as the emulator must too)" % (writes, failed))
    excluded = {}
    for name, text in real["snapshots"].items():
        if name not in emulated["snapshots"]:
            problems.append("snapshot %s: missing in the emulator's run" % name)
            continue
        ra = canonical(parse_dump(text))
        rb = canonical(parse_dump(emulated["snapshots"][name]))
        scope = differential_scope(ra, rb, marker, excluded)
        compared = set(p for p in set(ra) | set(rb) if scope(p))
        found = compare_entries(ra, rb, scope=compared.__contains__)
        report.append("snapshot %s: %d entries compared, %d differences" % (name, len(compared), len(found)))
        problems.extend("snapshot %s: %s" % (name, p) for p in found)
    for reason, count in sorted(excluded.items()):
        report.append("not compared (%d entries, all snapshots): %s" % (count, reason))
    if "baseline" in real["snapshots"] and "removed" in real["snapshots"]:
        before = canonical(parse_dump(real["snapshots"]["baseline"]))
        after = canonical(parse_dump(real["snapshots"]["removed"]))
        ignored = {}
        found = compare_entries(before, after, label="guest after the sequence",
                                scope=runtime_scope(ignored))
        report.append("real SCST after the sequence against before it: %d differences" % len(found))
        problems.extend("left behind on real SCST: %s" % p for p in found)
    if real.get("cleanup"):
        problems.append("the sequence left objects on real SCST, removed afterwards: %s"
                        % ", ".join("%s %s" % (c["write"], c["data"].strip()) for c in real["cleanup"]))
    return problems, report


def runtime_scope(excluded):
    def scope(path):
        parts = path.split("/")
        for reason, test in RUNTIME_EXCLUSIONS:
            if test(path, parts):
                excluded[reason] = excluded.get(reason, 0) + 1
                return False
        return True
    return scope


# ---------------------------------------------------------------------------
# scst.conf as data
# ---------------------------------------------------------------------------

def _controller_paths():
    here = os.path.dirname(os.path.abspath(__file__))
    root = os.path.dirname(os.path.dirname(here))
    return [os.path.join(root, ".collections"), os.path.join(root, "tests", "emulator")]


def _conf_module():
    sys.path[:0] = [p for p in _controller_paths() if p not in sys.path]
    from ansible_collections.scst.iscsi.plugins.module_utils.scst import conf  # pylint: disable=import-outside-toplevel
    return conf


SIZED_HANDLERS = ("vdisk_fileio", "vdisk_blockio")


def _hash_secrets(config):
    if isinstance(config, dict):
        return dict((k, "sha256:" + hashlib.sha256(v.encode()).hexdigest()[:12]
                     if k == "password" and isinstance(v, str) else _hash_secrets(v)) for k, v in config.items())
    if isinstance(config, list):
        return [_hash_secrets(item) for item in config]
    return config


def conf_as_data(text, *, label):
    """``(data, ignored, notes)``: a scst.conf read as scstadmin reads it, with the
    documented exceptions taken out (``ignored`` says what was)."""
    conf = _conf_module()
    data, notes = conf.parse_scst_conf(text)
    data = copy.deepcopy(data)
    ignored = []
    manager = data["drivers"].get("copy_manager")
    if manager is not None:
        for name, target in sorted(manager["targets"].items()):
            if target.get("luns"):
                ignored.append("%s: the %d LUNs of copy_manager/%s (automatic)" % (label, len(target["luns"]), name))
                target["luns"] = {}
            if not (target.get("attributes") or target.get("allowed_portals") or any(target["chap"].values())
                    or target.get("groups") or "enabled" in target or target.get("hw_target")):
                del manager["targets"][name]
        if not (manager["targets"] or manager["attributes"] or any(manager["chap"].values())
                or "enabled" in manager):
            del data["drivers"]["copy_manager"]
    for handler in SIZED_HANDLERS:
        for name, device in sorted(data["handlers"].get(handler, {}).get("devices", {}).items()):
            for attr in ("size", "size_mb"):
                if attr in device["attributes"]:
                    ignored.append("%s: %s of %s device %s" % (label, attr, handler, name))
                    del device["attributes"][attr]
    # what the reader itself leaves out of the data (it says so in its notes)
    ignored.extend("%s: %s" % (label, note) for note in notes
                   if "copy_manager" in note or (" size " in note and "not imported" in note))
    return _hash_secrets(data), ignored, notes


def diff_data(a, b, path="", labels=("collection", "scstadmin")):
    """Differences of two nested structures, as sentences naming the place."""
    if isinstance(a, dict) and isinstance(b, dict):
        out = []
        for key in sorted(set(a) | set(b), key=str):
            where = "%s.%s" % (path, key) if path else str(key)
            if key not in b:
                out.append("%s: only in the %s file: %s" % (where, labels[0], json.dumps(a[key], sort_keys=True)))
            elif key not in a:
                out.append("%s: only in the %s file: %s" % (where, labels[1], json.dumps(b[key], sort_keys=True)))
            else:
                out.extend(diff_data(a[key], b[key], where, labels))
        return out
    if a != b:
        return ["%s: %s file %s, %s file %s" % (path or "(top)", labels[0], json.dumps(a, sort_keys=True),
                                                labels[1], json.dumps(b, sort_keys=True))]
    return []


def compare_conf(collection_text, scstadmin_text):
    """``(problems, report)`` of the two scst.conf files."""
    conf = _conf_module()
    problems, report = [], []
    sides = []
    for label, text in (("collection", collection_text), ("scstadmin", scstadmin_text)):
        try:
            sides.append(conf_as_data(text, label=label))
        except conf.ConfError as exc:
            problems.append("the %s file cannot be read as scstadmin reads it: %s" % (label, exc))
    if problems:
        return problems, report
    (mine, ignored_a, _notes_a), (theirs, ignored_b, _notes_b) = sides
    report.extend("ignored (documented exception): %s" % item for item in ignored_a + ignored_b)
    problems.extend(diff_data(mine, theirs))
    report.append("%d differences; compared: %d root attributes, %d handlers, %d drivers, %d device groups"
                  % (len(problems), len(mine["attributes"]), len(mine["handlers"]), len(mine["drivers"]),
                     len(mine["device_groups"])))
    return problems, report


# ---------------------------------------------------------------------------
# scstadmin -check_config
# ---------------------------------------------------------------------------

def check_config_output(text, rc):
    """Problems in the output of ``scstadmin -check_config``."""
    problems = []
    if rc != 0:
        problems.append("scstadmin -check_config exited with %d" % rc)
    for line in text.splitlines():
        if "FATAL" in line or "WARNING" in line:
            problems.append("scstadmin -check_config: %s" % line.strip())
        elif re.search(r"Done, [1-9]\d* errors found", line):
            problems.append("scstadmin -check_config: %s" % line.strip())
    if not re.search(r"^\s*-> Done, 0 warnings found\.", text, re.M):
        problems.append("scstadmin -check_config did not end with 'Done, 0 warnings found.'")
    return problems


# ---------------------------------------------------------------------------
# Device attributes outside the catalog that real SCST takes
# ---------------------------------------------------------------------------

def settable_attributes(real):
    """``{attribute: value}``: device attributes outside the collection's
    catalog written successfully in the run and read back marked ``[key]``."""
    sys.path[:0] = [p for p in _controller_paths() if p not in sys.path]
    # pylint: disable-next=import-outside-toplevel
    from ansible_collections.scst.iscsi.plugins.module_utils.scst import catalog
    found = {}
    pending = []
    for step in real["steps"]:
        if "snapshot" in step:
            entries = parse_dump(real["snapshots"][step["snapshot"]])
            for path, attr, value in pending:
                if _is_key(entries.get(path)) and entries[path].lines[0] == value:
                    found[attr] = value
            pending = []
            continue
        parts = step["write"].split("/")
        if len(parts) == 3 and parts[0] == "devices" and step["result"] == "0":
            attr = parts[2]
            if attr not in catalog.DEVICE_ATTRS and attr not in catalog.NOT_ATTRIBUTES["device"] \
                    and attr not in ("active", "filename"):
                pending.append((step["write"], attr, _first_line(step["data"])))
    return found


# ---------------------------------------------------------------------------
# Command line
# ---------------------------------------------------------------------------

def _load(path):
    with open(path, encoding="utf-8") as fh:
        return json.load(fh)


def _save(path, data):
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(data, fh, indent=1, sort_keys=True)
        fh.write("\n")


def _verdict(title, problems, report):
    for line in report:
        print("%s: %s" % (title, line))
    for line in problems:
        print("%s: DIFFERENCE: %s" % (title, line))
    print("%s: %s" % (title, "FAILED, %d differences" % len(problems) if problems else "OK, no difference"))
    return 1 if problems else 0


def main(argv=None):
    parser = argparse.ArgumentParser(prog="scst_fidelity", description=__doc__.split("\n", maxsplit=1)[0])
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="apply the sequence to a real SCST (in the guest) and dump it")
    run.add_argument("--root", default=SYSFS_ROOT)
    run.add_argument("--backing-dir", default="/srv/scst/fidelity")
    run.add_argument("--out", required=True)
    emulate = sub.add_parser("emulate", help="replay a run against the emulator")
    emulate.add_argument("real")
    emulate.add_argument("--out", required=True)
    diff = sub.add_parser("diff", help="compare a real run with an emulated one")
    diff.add_argument("real")
    diff.add_argument("emulated")
    differential = sub.add_parser("differential", help="emulate and diff in one go")
    differential.add_argument("real")
    differential.add_argument("--out")
    conf = sub.add_parser("conf", help="compare two scst.conf files as data")
    conf.add_argument("collection")
    conf.add_argument("scstadmin")
    check = sub.add_parser("check-config", help="judge the output of scstadmin -check_config")
    check.add_argument("--rc", type=int, required=True)
    check.add_argument("output", help="file with the output, - for standard input")
    settable = sub.add_parser("settable", help="non-catalog device attributes real SCST took")
    settable.add_argument("real")
    args = parser.parse_args(argv)

    if args.command == "run":
        if not os.path.isfile(os.path.join(args.root, "setup_id")):
            print("run: %s is not SCST's sysfs tree (is SCST loaded?)" % args.root, file=sys.stderr)
            return 2
        result = run_sequence(OsTree(args.root), backing_dir=args.backing_dir)
        _save(args.out, result)
        failed = sum(1 for s in result["steps"] if s.get("result") not in (None, "0"))
        print("run: %d steps, %d writes failed (compared with the emulator later), %d left-over writes; %s"
              % (len(result["steps"]), failed, len(result["cleanup"]), args.out))
        return 0
    if args.command in ("emulate", "differential"):
        real = _load(args.real)
        emulated = replay(real)
        if args.out:
            _save(args.out, emulated)
        if args.command == "emulate":
            return 0
        for item in emulated["alignment"]:
            print("differential: emulator set up like the guest: echo %r > %s (%s)"
                  % (item["data"].rstrip("\n"), item["write"], item["result"]))
        return _verdict("differential", *compare_runs(real, emulated))
    if args.command == "diff":
        return _verdict("differential", *compare_runs(_load(args.real), _load(args.emulated)))
    if args.command == "conf":
        with open(args.collection, encoding="utf-8") as fh:
            mine = fh.read()
        with open(args.scstadmin, encoding="utf-8") as fh:
            theirs = fh.read()
        return _verdict("scst.conf as data", *compare_conf(mine, theirs))
    if args.command == "check-config":
        if args.output == "-":
            text = sys.stdin.read()
        else:
            with open(args.output, encoding="utf-8") as fh:
                text = fh.read()
        return _verdict("scstadmin -check_config", check_config_output(text, args.rc), [])
    if args.command == "settable":
        print(json.dumps(settable_attributes(_load(args.real)), sort_keys=True))
        return 0
    return 2  # pragma: no cover - argparse refuses unknown commands


if __name__ == "__main__":
    sys.exit(main())
