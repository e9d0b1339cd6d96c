# Copyright: scst.iscsi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The helper behind the role's udev rule: ID_PATH in, /dev/iscsi/<target>/lun<N> name out."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from iscsi_unit_support import COLLECTION_ROOT

HELPER = COLLECTION_ROOT / "roles" / "iscsi_initiator" / "files" / "iscsi-link-name"
SH = shutil.which("sh")


def link_name(id_path):
    done = subprocess.run([SH, str(HELPER), id_path], capture_output=True, text=True, check=False)
    return done.returncode, done.stdout


@pytest.mark.skipif(SH is None, reason="no POSIX shell to run the udev helper with")
@pytest.mark.parametrize("id_path, expected", [
    # as udev's path_id names the lab's LUNs (see /dev/disk/by-path in the lab log)
    ("ip-192.168.77.10:3260-iscsi-iqn.2026-11.test.lab:tgt1-lun-0", "iscsi/iqn.2026-11.test.lab:tgt1/lun0\n"),
    ("ip-192.168.77.10:3260-iscsi-iqn.2026-11.test.lab:tgt1-lun-2", "iscsi/iqn.2026-11.test.lab:tgt1/lun2\n"),
    # "-iscsi-" and "-lun-" inside the target name
    ("ip-fd00:77::10:3260-iscsi-iqn.2026-11.x:my-iscsi-lun-box-lun-12", "iscsi/iqn.2026-11.x:my-iscsi-lun-box/lun12\n"),
    # LUNs above 255 are printed in hex by path_id
    ("ip-10.0.0.1:3260-iscsi-eui.02004567A425678D-lun-0x0001000000000000",
     "iscsi/eui.02004567A425678D/lun0x0001000000000000\n"),
])
def test_link_names(id_path, expected):
    assert link_name(id_path) == (0, expected)


@pytest.mark.skipif(SH is None, reason="no POSIX shell to run the udev helper with")
@pytest.mark.parametrize("id_path", [
    "pci-0000:00:1f.2-ata-1",
    "ip-10.0.0.1:3260-iscsi--lun-0",
    "ip-10.0.0.1:3260-iscsi-../../etc-lun-0",
    "ip-10.0.0.1:3260-iscsi-iqn.2026-11.x:t-lun-0;rm",
    "",
])
def test_other_paths_get_no_link(id_path):
    assert link_name(id_path) == (1, "")
