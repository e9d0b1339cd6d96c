# Copyright: scst.iscsi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The udev helper's multipath mode: a map (or a partition of one) gets the link of its LUN,
/dev/iscsi/<target>/lun<N>, from the session and LUN of its paths in sysfs; and the rule
template gives maps that link only when multipath is on."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import jinja2
import pytest

from iscsi_unit_support import COLLECTION_ROOT

HELPER = COLLECTION_ROOT / "roles" / "iscsi_initiator" / "files" / "iscsi-link-name"
TEMPLATE = COLLECTION_ROOT / "roles" / "iscsi_initiator" / "templates" / "61-scst-iscsi-links.rules.j2"
SH = shutil.which("sh")
TARGET = "iqn.2026-11.test.lab:tgt1"


@pytest.fixture
def sysfs(tmp_path):
    """/sys with map dm-0 over sda (session 3, LUN 1) and sdc (session 4, LUN 1), LUN 300 on dm-3,
    a partition map dm-1 of dm-0, a map over a disk that is not iSCSI (dm-2 over vda)."""
    root = tmp_path / "sys"

    def disk(name, session, hctl):
        device = root / "devices" / "platform" / "host6" / session / "target6:0:0" / hctl
        device.mkdir(parents=True)
        (root / "block" / name).mkdir(parents=True)
        os.symlink(str(device), str(root / "block" / name / "device"))

    def slave(dm, name):
        (root / "block" / dm / "slaves").mkdir(parents=True, exist_ok=True)
        os.symlink("../../" + name, str(root / "block" / dm / "slaves" / name))

    for session, target in (("session3", TARGET), ("session4", TARGET), ("session5", "../../etc")):
        (root / "class" / "iscsi_session" / session).mkdir(parents=True)
        (root / "class" / "iscsi_session" / session / "targetname").write_text(target + "\n")
    disk("sda", "session3", "6:0:0:1")
    disk("sdc", "session4", "7:0:0:1")
    disk("sde", "session3", "6:0:0:300")
    disk("sdf", "session5", "8:0:0:0")
    (root / "block" / "vda" / "device").mkdir(parents=True)
    slave("dm-0", "sda")
    slave("dm-0", "sdc")
    slave("dm-1", "dm-0")
    slave("dm-2", "vda")
    slave("dm-3", "sde")
    slave("dm-4", "sdf")
    return root


def link_name(sys_root, *args):
    done = subprocess.run([SH, str(HELPER)] + list(args), capture_output=True, text=True, check=False,
                          env=dict(os.environ, ISCSI_LINK_SYSFS=str(sys_root)))
    return done.returncode, done.stdout


@pytest.mark.skipif(SH is None, reason="no POSIX shell to run the udev helper with")
@pytest.mark.parametrize("args, expected", [
    (("--dm", "dm-0", "mpath-2613863313635372d"), (0, "iscsi/{0}/lun1\n".format(TARGET))),
    (("--dm", "dm-1", "part2-mpath-2613863313635372d"), (0, "iscsi/{0}/lun1-part2\n".format(TARGET))),
    # LUN 300 as udev's path_id writes it (lun-0x012c000000000000)
    (("--dm", "dm-3", "mpath-x"), (0, "iscsi/{0}/lun0x012c000000000000\n".format(TARGET))),
    (("--dm", "dm-2", "mpath-x"), (1, "")),          # not an iSCSI path
    (("--dm", "dm-4", "mpath-x"), (1, "")),          # a target name that is a path
    (("--dm", "dm-0", "LVM-abc"), (1, "")),          # not a multipath map
    (("--dm", "dm-0", "partx-mpath-abc"), (1, "")),
    (("--dm", "../dm-0", "mpath-x"), (1, "")),
    (("--dm", "dm-0x", "mpath-x"), (1, "")),
    (("--dm", "dm-9", "mpath-x"), (1, "")),          # no such map
])
def test_multipath_maps_take_the_link_of_their_lun(sysfs, args, expected):
    assert link_name(sysfs, *args) == expected


def render(multipath):
    environment = jinja2.Environment(undefined=jinja2.StrictUndefined, keep_trailing_newline=True)
    environment.filters["bool"] = bool
    return environment.from_string(TEMPLATE.read_text()).render(
        ansible_managed="managed", iscsi_initiator_multipath=multipath,
        __iscsi_initiator_udev_helper="/usr/local/lib/scst-iscsi/iscsi-link-name")


def test_rule_links_maps_only_when_multipath_is_on():
    on, off = render(True), render(False)
    assert "--dm %k %E{DM_UUID}" in on and "link_priority=10" in on
    assert "--dm" not in off and "DM_UUID" not in off
    for text in (on, off):
        assert 'PROGRAM="/usr/local/lib/scst-iscsi/iscsi-link-name %E{ID_PATH}", SYMLINK+="%c"' in text
        labels = [line for line in text.splitlines() if line.startswith("LABEL=")]
        gotos = {part.split('"')[1] for part in text.split("GOTO=")[1:]}
        assert gotos <= {label.split('"')[1] for label in labels}
    assert Path(HELPER).read_text().startswith("#!/bin/sh\n")
