"""The lab configuration rebuilt in the emulator equals the live sysfs dump.

Every entry of the dump is checked: existence, kind, mode, symlink target and
content (first/second-line semantics included, so ``[key]`` marks are
compared).  Only values that depend on I/O traffic or host hardware are
skipped (see ``RUNTIME_VALUES``).
"""

import re

import pytest

from livedump import dump_lines, load_dump, load_help_texts
from labsetup import build_lab, lab_emulator
from scst_emulator.nodes import Attr, Dir, Link

# Values produced by I/O, threads or the host, not by configuration.
RUNTIME_VALUES = re.compile(
    r"(_cmd_count|_io_count_kb)$|/thread_pid$|/thread_index$|^sgv/sgv-\d/stats$"
    r"|/sessions/[^/]+/(sid|MaxOutstandingR2T|MaxXmitDataSegmentLength)$"
    r"|^devices/2:0:0:0/scsi_device$")


@pytest.fixture(scope="module")
def lab_pair():
    emu = lab_emulator()
    emu.config.passthrough_handlers = []          # the lab had none loaded
    emu.handlers = emu.config.handlers()
    return build_lab(emu), load_dump()


def _walk(emu, rel=""):
    for name in emu.listdir(rel):
        path = f"{rel}/{name}" if rel else name
        yield path
        if isinstance(emu.node(path, follow=False), Dir):
            yield from _walk(emu, path)


def test_same_set_of_entries(lab_pair):
    emu, dump = lab_pair
    assert sorted(_walk(emu)) == sorted(dump)


def test_kinds_modes_links_contents(lab_pair):
    emu, dump = lab_pair
    problems = []
    for path, ent in sorted(dump.items()):
        node = emu.node(path, follow=False)
        kind = {Dir: "dir", Link: "symlink", Attr: "file"}[type(node)]
        if kind != ent.kind:
            problems.append((path, "kind", kind, ent.kind))
            continue
        if RUNTIME_VALUES.search(path):
            continue
        if kind == "symlink" and node.target != ent.content:
            problems.append((path, "link", node.target, ent.content))
        if kind == "file":
            if node.mode != ent.mode:
                problems.append((path, "mode", oct(node.mode), oct(ent.mode)))
            if ent.content is not None:
                got = dump_lines(emu.read(path))
                if got != (ent.content or [""]):
                    problems.append((path, "content", got, ent.content))
            if ent.help_bytes >= 0 and len(emu.read(path)) != ent.help_bytes:
                problems.append((path, "help size", len(emu.read(path)), ent.help_bytes))
    assert problems == []


def test_help_texts_byte_equal(lab_pair):
    """Help texts equal the captured ones and have the dump's byte size."""
    emu, dump = lab_pair
    texts = load_help_texts()
    emu.write("device_groups/mgmt", "create helpdg\n")
    emu.write("device_groups/helpdg/target_groups/mgmt", "create helptg\n")
    full = lab_emulator()                        # all pass-through handlers loaded
    checked = 0
    for path, expected in texts.items():
        source = emu if emu.exists(path) else full
        got = source.read(path)
        assert got.rstrip("\n") == expected, path
        assert got.endswith("\n") and not got.endswith("\n\n\n"), path
        checked += 1
    assert checked == 25


def test_help_sizes_of_every_mgmt_file_in_dump(lab_pair):
    emu, dump = lab_pair
    sizes = {p: e.help_bytes for p, e in dump.items() if e.help_bytes >= 0}
    assert len(sizes) == 12
    assert {p: len(emu.read(p)) for p in sizes} == sizes


def test_key_lines_of_the_dump(lab_pair):
    """Spot checks of exact bytes, trailing empty lines included."""
    emu = lab_pair[0]
    tgt = "targets/iscsi/iqn.2026-11.test.lab:tgt1"
    assert emu.read("devices/blk1/filename") == "/dev/vdb\n[key]\n\n"
    assert emu.read("devices/disk1/size") == "268435456\n[key]\n"
    assert emu.read("devices/disk1/size_mb") == "256\n"
    assert emu.read("devices/null1/size") == "1073741824\n[key]\n"
    assert emu.read("devices/disk1/nv_cache") == "1\n[key]\n"
    assert emu.read("devices/blk1/thin_provisioned") == "1\n"
    assert emu.read(f"{tgt}/rel_tgt_id") == "1\n[key]\n"
    assert emu.read(f"{tgt}/IncomingUser") == "labuser secret12chars\n[key]\n\n"
    assert emu.read(f"{tgt}/comment") == ""
    assert emu.read("cluster_name") == ""
    assert emu.read(f"{tgt}/HeaderDigest") == "None\n"
    assert emu.read("targets/iscsi/enabled") == "1\n\n"
    assert emu.read("targets/iscsi/iSNSServer") == "\n\n"
    assert emu.read("targets/iscsi/link_local") == "1\n\n"
    assert emu.read(f"{tgt}/per_portal_acl") == "0\n\n"
    assert emu.read(f"{tgt}/redirect") == "\n"
    assert emu.read("setup_id") == "0x0\n"
    assert emu.read("last_sysfs_mgmt_res") == "0\n"
