"""The InProcessBackend contract used by plugins/module_utils."""

import errno
import inspect

import pytest

from scst_emulator import InProcessBackend


def test_method_signatures_are_the_contract():
    sig = {name: list(inspect.signature(getattr(InProcessBackend, name)).parameters)
           for name in ("read", "write", "listdir", "readlink", "is_dir", "exists")}
    assert sig == {"read": ["self", "rel"], "write": ["self", "rel", "data"],
                   "listdir": ["self", "rel"], "readlink": ["self", "rel"],
                   "is_dir": ["self", "rel"], "exists": ["self", "rel"]}


def test_root_is_empty_string(sysfs):
    assert {"targets", "devices", "handlers", "device_groups", "sgv"} <= set(sysfs.listdir(""))
    assert sysfs.is_dir("")


@pytest.mark.parametrize("op,args,err", [
    ("read", ("nosuch",), errno.ENOENT),
    ("read", ("devices",), errno.EISDIR),
    ("read", ("devices/2:0:0:0/dump_prs",), errno.EACCES),
    ("write", ("version", "x"), errno.EACCES),
    ("write", ("handlers/vdisk_fileio/mgmt", "bogus"), errno.EINVAL),
    ("listdir", ("version",), errno.ENOTDIR),
    ("readlink", ("version",), errno.EINVAL),
])
def test_errors_are_oserrors_with_path(sysfs, op, args, err):
    with pytest.raises(OSError) as exc:
        getattr(sysfs, op)(*args)
    assert exc.value.errno == err
    assert exc.value.filename == args[0]


def test_write_returns_none_and_is_one_command(sysfs):
    assert sysfs.write("handlers/vdisk_nullio/mgmt", "add_device n1\n") is None
    assert sysfs.exists("devices/n1")


def test_exists_has_lexists_semantics(sysfs):
    link = "devices/2:0:0:0/scsi_device"      # points outside the tree
    assert sysfs.exists(link)
    assert not sysfs.is_dir(link)
    assert sysfs.readlink(link).endswith("/scsi_device/2:0:0:0")
    assert not sysfs.exists("devices/nosuch")


def test_paths_through_symlinks_are_followed(sysfs):
    sysfs.write("handlers/vdisk_nullio/mgmt", "add_device n1\n")
    assert sysfs.is_dir("handlers/vdisk_nullio/n1")
    assert sysfs.read("handlers/vdisk_nullio/n1/size_mb") == "2621440\n"
    assert sysfs.read("devices/n1/exported/export0/device/prod_id") == "n1\n"
    assert sysfs.read("devices/n1/handler/type").startswith("0 - ")


def test_writes_are_cut_to_one_page(emu):
    """kernfs hands a store at most PAGE_SIZE bytes (a short write)."""
    emu.write("targets/iscsi/mgmt", "add_target t\n")
    assert emu.write("targets/iscsi/t/comment", "x" * 5000) == 4096
    assert emu.read("targets/iscsi/t/comment") == "x" * 4095     # show: one page
