"""scst_config as a module: check/real/idempotent, persistence to scst.conf,
and the round trip vars -> apply -> scst.conf -> parse -> the same vars."""

from __future__ import annotations

import copy
import os
import stat

from scst_unit_support import planned
from test_config import SAN, T1

from ansible_collections.scst.iscsi.plugins.module_utils.scst.conf import normalise_config, parse_scst_conf


def _args(tmp_path, config=None, **extra):
    args = {"config": copy.deepcopy(config or SAN), "config_file": str(tmp_path / "scst.conf")}
    args.update(extra)
    return args


def test_four_runs_and_persistence(run, tmp_path):
    conf = tmp_path / "scst.conf"
    check = run("scst_config", _args(tmp_path), check=True)
    assert not check["failed"], check
    assert check["changed"] and check["persisted"] and run.writes == [] and not conf.exists()
    real = run("scst_config", _args(tmp_path))
    assert planned(real) == planned(check) and real["persisted"] is True
    assert stat.S_IMODE(os.stat(conf).st_mode) == 0o600
    text = conf.read_text()
    assert "hosts-secret-123" in text  # the file must restore CHAP at boot
    inode, mtime = os.stat(conf).st_ino, os.stat(conf).st_mtime_ns
    again = run("scst_config", _args(tmp_path))
    assert again["changed"] is False and again["persisted"] is False and run.writes == []
    assert (os.stat(conf).st_ino, os.stat(conf).st_mtime_ns) == (inode, mtime)  # not rewritten
    assert run("scst_config", _args(tmp_path), check=True)["changed"] is False
    # no secret in any result, plan or diff
    for result in (check, real, again):
        for secret in ("hosts-secret-123", "mutual-secret-123", "discovery-secret-1"):
            assert secret not in repr({k: v for k, v in result.items() if k != "_writes"})


def test_file_drift_is_repaired_and_same_state_gives_same_bytes(run, tmp_path):
    run("scst_config", _args(tmp_path))
    conf = tmp_path / "scst.conf"
    original = conf.read_bytes()
    conf.write_text("# edited by hand\n")
    os.chmod(conf, 0o644)
    repaired = run("scst_config", _args(tmp_path))
    assert repaired["changed"] is True and repaired["plan"] == [] and repaired["persisted"] is True
    assert conf.read_bytes() == original
    assert stat.S_IMODE(os.stat(conf).st_mode) == 0o600


def test_round_trip_vars_apply_conf_parse(run, tmp_path):
    run("scst_config", _args(tmp_path))
    parsed, report = parse_scst_conf((tmp_path / "scst.conf").read_text())
    assert report == []
    assert parsed == normalise_config(SAN)
    # and the parsed variables applied to a fresh host give the same file
    other = tmp_path / "other"
    other.mkdir()
    run.emu.__init__()
    run("scst_config", _args(other, parsed))
    assert (other / "scst.conf").read_bytes() == (tmp_path / "scst.conf").read_bytes()


def test_persist_false_writes_no_file(run, tmp_path):
    result = run("scst_config", _args(tmp_path, persist=False))
    assert result["changed"] and result["persisted"] is False
    assert not (tmp_path / "scst.conf").exists()


def test_diff_masks_secrets(run, tmp_path):
    result = run("scst_config", _args(tmp_path), check=True, diff=True)
    after = result["diff"]["after"]["drivers"]["iscsi"]["targets"][T1]["chap"]["incoming"]
    assert after == [{"username": "hosts", "password": "********"}]
    result = run("scst_config", _args(tmp_path), diff=True)
    live_after = result["diff"]["after"]["drivers"]["iscsi"]["targets"][T1]
    assert live_after["chap"]["outgoing"] == [{"username": "tgt1", "password": "********"}]
    assert result["diff"]["before"] == {"attributes": {}, "handlers": {}, "device_groups": {}, "drivers": {
        "iscsi": {"enabled": False, "attributes": {}, "chap": {"incoming": [], "outgoing": []}, "targets": {}}}}


def test_failure_in_safe_mode_writes_no_file(run, tmp_path):
    run("scst_config", _args(tmp_path))
    run.emu.add_session("iscsi", T1, "iqn.2026-11.com.example:host1")
    before = (tmp_path / "scst.conf").read_bytes()
    smaller = copy.deepcopy(SAN)
    del smaller["drivers"]["iscsi"]["targets"][T1]
    result = run("scst_config", _args(tmp_path, smaller, purge=True))
    assert result["failed"] and "refusing the configuration" in result["msg"]
    assert "delete target " + T1 in result["msg"] and run.writes == []
    assert (tmp_path / "scst.conf").read_bytes() == before


def test_validate_only_touches_nothing_and_returns_the_normal_form(run, tmp_path):
    result = run("scst_config", _args(tmp_path, validate_only=True))
    assert not result["failed"] and result["changed"] is False and result["plan"] == []
    assert run.emu.reads == 0 and run.writes == [] and not (tmp_path / "scst.conf").exists()
    assert result["config"]["handlers"] == normalise_config(SAN)["handlers"]
    assert result["config"]["drivers"]["iscsi"]["targets"][T1]["chap"] == {
        "incoming": [{"username": "hosts", "password": "********"}],
        "outgoing": [{"username": "tgt1", "password": "********"}]}
    assert "hosts-secret-123" not in repr(result)


def test_validate_only_names_the_field_and_the_rule_never_the_secret(run, tmp_path):
    bad = copy.deepcopy(SAN)
    bad["drivers"]["iscsi"]["targets"][T1]["chap"]["incoming"].insert(0, {"username": "zed", "password": "short-pw"})
    result = run("scst_config", _args(tmp_path, bad, validate_only=True))
    assert result["failed"] and run.emu.reads == 0 and run.writes == []
    # the index is the account's place in the configuration as given (the normal form sorts them)
    assert result["field"] == "drivers.iscsi.targets.%s.chap.incoming[0].password" % T1
    assert "must be at least 12 characters" in result["msg"] and result["rule"] in result["msg"]
    assert "short-pw" not in repr(result)
    bad = copy.deepcopy(SAN)
    bad["drivers"]["iscsi"]["targets"][T1]["luns"] = {0: {"device": "lun0", "bogus": 1}}
    result = run("scst_config", _args(tmp_path, bad, validate_only=True))
    assert result["failed"] and result["field"].startswith("drivers.iscsi.targets.%s.luns.0" % T1)
