"""Injected faults: each gives a clear error, and a re-run after the fault
clears converges to the desired state."""

from __future__ import annotations

from scst_unit_support import INI, TGT

DISK = {"name": "disk1", "handler": "vdisk_fileio", "filename": "/srv/disk1.img"}


def test_eagain_with_delayed_success_is_waited_for(run):
    run.emu.inject_eagain(count=3, polls=4)
    result = run("scst_device", DISK)
    assert not result["failed"], result
    assert result["changed"] is True
    assert run.emu.pending_works == 0
    assert run("scst_device", DISK)["changed"] is False


def test_eagain_whose_delayed_result_is_an_error_reports_that_error(run):
    run.emu.set_missing_file("/srv/disk1.img")
    run.emu.inject_eagain(count=1, polls=2)
    result = run("scst_device", DISK)
    assert result["failed"] is True
    assert "ENOENT" in result["msg"] and "add_device disk1" in result["msg"]
    assert "missing backing file" in result["msg"]
    run.emu.set_missing_file("/srv/disk1.img", missing=False)
    assert run("scst_device", DISK)["changed"] is True
    assert run("scst_device", DISK)["changed"] is False


def test_eagain_that_never_finishes_times_out_with_a_message(run):
    run.emu.inject_eagain(count=1, polls=10 ** 9)
    result = run("scst_device", dict(DISK, mgmt_timeout=0.3))
    assert result["failed"] is True
    assert "still running after 0.3s" in result["msg"]
    run.emu.complete_pending()
    assert run("scst_device", DISK)["changed"] is False


def test_missing_backing_file(run):
    run.emu.set_missing_file("/srv/disk1.img")
    result = run("scst_device", DISK)
    assert result["failed"] is True
    assert "ENOENT" in result["msg"] and "handlers/vdisk_fileio/mgmt" in result["msg"]
    assert run("scst_info")["scst"]["handlers"] == {}
    run.emu.set_missing_file("/srv/disk1.img", missing=False)
    assert run("scst_device", DISK)["changed"] is True


def test_daemon_down_is_reported_before_any_write(run):
    run.emu.stop_daemon()
    result = run("scst_target", {"name": TGT})
    assert result["failed"] is True
    assert "iscsi-scstd is not running" in result["msg"]
    assert run.writes == []
    run.emu.start_daemon()
    assert run("scst_target", {"name": TGT})["changed"] is True
    assert run("scst_target", {"name": TGT})["changed"] is False


def test_daemon_dies_mid_plan_then_rerun_converges(run, monkeypatch):
    run("scst_target", {"name": TGT})
    real_write = run.backend.write
    calls = []

    def dying_write(rel, data):
        calls.append(rel)
        if len(calls) == 2:
            run.emu.stop_daemon(cleanup=False)
        return real_write(rel, data)

    monkeypatch.setattr(run.backend, "write", dying_write)
    args = {"name": TGT, "attributes": {"QueuedCommands": 64, "NopInInterval": 10, "alias": "a1"}}
    result = run("scst_target", args)
    assert result["failed"] is True
    assert "iscsi-scstd is not running" in result["msg"]
    assert len(result["applied"]) == 1 and "re-run to converge" in result["msg"]
    monkeypatch.setattr(run.backend, "write", real_write)
    run.emu.start_daemon()
    assert run("scst_target", args)["failed"] is False
    assert run("scst_target", args)["changed"] is False


def _busy_target(run):
    run("scst_device", DISK)
    run("scst_target", {"name": TGT, "enabled": True})
    run("scst_lun", {"target": TGT, "lun": 0, "device": "disk1"})
    run("scst_group", {"target": TGT, "name": "hosts", "initiators": [INI],
                       "luns": [{"lun": 0, "device": "disk1"}]})
    return run.emu.add_session("iscsi", TGT, INI)


def test_sessions_present_refuse_destructive_changes_unless_forced(run):
    session = _busy_target(run)
    refused = [
        ("scst_target", {"name": TGT, "state": "absent"}, "refusing to delete target"),
        ("scst_group", {"target": TGT, "name": "hosts", "state": "absent"}, "refusing to delete initiator group hosts"),
        ("scst_lun", {"target": TGT, "group": "hosts", "lun": 0, "state": "absent"}, "refusing to delete LUN 0"),
        ("scst_device", dict(DISK, state="absent"), "refusing to delete device disk1"),
        ("scst_device", dict(DISK, attributes={"nv_cache": 1}, recreate=True), "refusing to re-create device disk1"),
        ("scst_device", dict(DISK, filename="/srv/other.img"), "refusing to change the backing file"),
    ]
    for module, args, message in refused:
        result = run(module, args)
        assert result["failed"] is True, (module, result)
        assert message in result["msg"] and session in result["msg"], result["msg"]
        assert "force: true" in result["msg"]
        assert run.writes == []
    # the target's default LUN set has no session bound: changing it is allowed
    assert run("scst_lun", {"target": TGT, "lun": 0, "state": "absent"})["changed"] is True
    forced = run("scst_target", {"name": TGT, "state": "absent", "force": True})
    assert not forced["failed"], forced
    assert [a["write"] for a in forced["plan"]] == ["0", "1", "del_target " + TGT]
    assert TGT not in run("scst_info")["scst"]["drivers"]["iscsi"]["targets"]
    assert run("scst_target", {"name": TGT, "state": "absent"})["changed"] is False


def test_recreate_restores_lun_mappings(run):
    _busy_target(run)
    run.emu.del_session("iscsi", TGT, INI)
    run("scst_lun", {"target": TGT, "lun": 5, "device": "disk1", "read_only": True})
    result = run("scst_device", dict(DISK, attributes={"blocksize": 4096}))
    assert result["failed"] and "set recreate: true" in result["msg"] and "blocksize" in result["msg"]
    result = run("scst_device", dict(DISK, attributes={"blocksize": 4096}, recreate=True))
    assert not result["failed"], result
    target = run("scst_info")["scst"]["drivers"]["iscsi"]["targets"][TGT]
    assert target["luns"] == {0: {"device": "disk1", "read_only": False, "attributes": {}},
                              5: {"device": "disk1", "read_only": True, "attributes": {}}}
    assert target["groups"]["hosts"]["luns"] == {0: {"device": "disk1", "read_only": False, "attributes": {}}}
    assert run("scst_device", dict(DISK, attributes={"blocksize": 4096}))["changed"] is False
