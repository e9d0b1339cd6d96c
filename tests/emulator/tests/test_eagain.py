"""The sysfs-work protocol: EAGAIN on writes, polling last_sysfs_mgmt_res."""

from emu_helpers import err_of, read_err

NIO = "handlers/vdisk_nullio/mgmt"


def test_eagain_then_polls_then_result(emu):
    emu.inject_eagain(count=1, polls=2)
    assert err_of(emu, NIO, "add_device n1\n") == "EAGAIN"
    assert not emu.exists("devices/n1")                 # still queued
    assert read_err(emu, "last_sysfs_mgmt_res") == "EAGAIN"
    assert read_err(emu, "last_sysfs_mgmt_res") == "EAGAIN"
    assert emu.read("last_sysfs_mgmt_res") == "0\n"
    assert emu.exists("devices/n1")
    assert err_of(emu, NIO, "add_device n2\n") == "OK"  # injection used up


def test_failed_work_reports_negative_errno(emu):
    emu.inject_eagain(count=1, polls=0)
    assert err_of(emu, NIO, "del_device nosuch\n") == "EAGAIN"
    assert emu.read("last_sysfs_mgmt_res") == "-22\n"


def test_next_write_completes_queued_work_first(emu):
    emu.inject_eagain(count=1, polls=5)
    assert err_of(emu, NIO, "add_device n1\n") == "EAGAIN"
    assert err_of(emu, "targets/iscsi/mgmt", "add_target t\n") == "OK"
    assert emu.exists("devices/n1")
    assert emu.read("last_sysfs_mgmt_res") == "0\n"


def test_non_work_writes_are_not_affected(emu):
    emu.write("targets/iscsi/mgmt", "add_target t\n")
    emu.inject_eagain(count=1)
    assert err_of(emu, "targets/iscsi/t/comment", "hi\n") == "OK"
    assert err_of(emu, "device_groups/mgmt", "create dg\n") == "OK"   # synchronous mgmt
    assert err_of(emu, "targets/iscsi/t/HeaderDigest", "CRC32C\n") == "OK"
    assert emu.pending_works == 0
    assert err_of(emu, "targets/iscsi/t/enabled", "1\n") == "EAGAIN"   # a work
    emu.complete_pending()
    assert emu.read("targets/iscsi/t/enabled") == "1\n"


def test_precheck_errors_are_synchronous(emu):
    """Row 72 of the live table: enabled=2 fails at once, result untouched."""
    emu.write("targets/iscsi/mgmt", "add_target t\n")
    emu.inject_eagain(count=1)
    assert err_of(emu, "targets/iscsi/t/enabled", "2\n") == "EINVAL"
    assert emu.read("last_sysfs_mgmt_res") == "0\n"
    assert emu.pending_works == 0


def test_write_log_and_counters(emu):
    emu.reset_counters()
    emu.inject_eagain(count=1, polls=0)
    err_of(emu, NIO, "add_device n1\n")
    err_of(emu, NIO, "bogus\n")
    err_of(emu, "version", "x")
    emu.read("last_sysfs_mgmt_res")
    assert emu.write_log == [(NIO, "add_device n1\n", 11), (NIO, "bogus\n", 22),
                             ("version", "x", 13)]
    assert emu.counters() == {"reads": 1, "writes": 3, "write_errors": 3, "pending_works": 0}
    emu.reset_counters()
    assert emu.write_log == [] and emu.counters()["writes"] == 0


def test_chaos_mode_like_the_debug_build(emu):
    emu.set_chaos(True, polls=0)
    for name in ("n1", "n2"):
        assert err_of(emu, NIO, f"add_device {name}\n") == "EAGAIN"
        assert emu.read("last_sysfs_mgmt_res") == "0\n"
    results = [read_err(emu, "devices/n1/prod_id") for _attempt in range(4)]
    assert results == ["OK"] * 4                        # ordinary attribute
    results = [read_err(emu, "targets/copy_manager/copy_manager_tgt/read_cmd_count")
               for _attempt in range(8)]
    assert results.count("EAGAIN") == 6 and results.count("OK") == 2
    emu.set_chaos(False)
    assert err_of(emu, NIO, "add_device n3\n") == "OK"
