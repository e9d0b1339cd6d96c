# Copyright: scst.iscsi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""scst.iscsi.iscsi_multipath: the file it writes, check mode and diff, idempotence, the
guards on WWIDs and aliases, multipathd reconfigure only on a change, the maps it returns."""

from __future__ import annotations

import functools
import os
import re

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from multipath_unit_support import WWID_DATA, WWID_LOGS, FakeCommands, SysBlock, route_commands

from ansible_collections.scst.iscsi.plugins.module_utils.common.errors import ValidationError
from ansible_collections.scst.iscsi.plugins.module_utils.iscsi import multipath as multipath_utils
from ansible_collections.scst.iscsi.plugins.modules import iscsi_multipath

EXPECTED_PLAIN = """\
# Managed by scst.iscsi.iscsi_multipath; changes made here are overwritten.
# SCST devices: one path group per ALUA priority, back to the best group as soon as
# it returns; I/O queued for no_path_retry checker intervals when every path is down.
defaults {
\tfind_multipaths "yes"
}
devices {
\tdevice {
\t\tvendor "SCST_FIO|SCST_BIO"
\t\tproduct ".*"
\t\tpath_grouping_policy "group_by_prio"
\t\tprio "alua"
\t\thardware_handler "1 alua"
\t\tpath_checker "tur"
\t\tfailback "immediate"
\t\tno_path_retry "12"
\t}
}
"""


@pytest.fixture
def commands(monkeypatch, run_module, iscsiadm_fake):
    return route_commands(monkeypatch, iscsiadm_fake, FakeCommands())


@pytest.fixture
def sysfs(monkeypatch, tmp_path):
    block = SysBlock(str(tmp_path / "sys"))
    monkeypatch.setattr(iscsi_multipath, "MultipathSysfs",
                        functools.partial(multipath_utils.MultipathSysfs, sys_root=str(tmp_path / "sys")))
    return block


@pytest.fixture
def conf(tmp_path):
    return str(tmp_path / "etc" / "multipath" / "conf.d" / "scst-iscsi.conf")


def test_writes_the_file_reconfigures_once_then_is_idempotent(run_module, commands, sysfs, conf):
    commands.on("multipathd", "reconfigure", out="ok\n")
    args = {"path": conf, "find_multipaths": "yes"}
    result, failed = run_module(iscsi_multipath, args, diff=True)
    assert not failed, result
    assert result["changed"] is True
    with open(conf) as handle:
        assert handle.read() == EXPECTED_PLAIN
    assert os.stat(conf).st_mode & 0o777 == 0o644
    assert commands.calls == [("multipathd", "reconfigure")]
    assert result["diff"]["before"] == "" and result["diff"]["after"] == EXPECTED_PLAIN
    assert result["actions"] == ["create the directory " + os.path.dirname(conf), "write " + conf,
                                 "multipathd reconfigure"]
    again, failed = run_module(iscsi_multipath, args, diff=True)
    assert not failed, again
    assert again["changed"] is False and again["actions"] == []
    assert again["diff"]["before"] == again["diff"]["after"] == EXPECTED_PLAIN
    assert commands.calls == [("multipathd", "reconfigure")]
    assert sorted(os.listdir(os.path.dirname(conf))) == ["scst-iscsi.conf"]  # no temporary left


def test_check_mode_predicts_the_real_run_exactly_and_touches_nothing(run_module, commands, sysfs, conf):
    commands.on("multipathd", "reconfigure", out="ok\n")
    args = {"path": conf, "no_path_retry": "queue", "wwids": [WWID_DATA],
            "aliases": [{"wwid": WWID_DATA, "alias": "data0"}]}
    predicted, failed = run_module(iscsi_multipath, args, check_mode=True, diff=True)
    assert not failed, predicted
    assert not os.path.exists(os.path.dirname(conf)) and commands.calls == []
    done, failed = run_module(iscsi_multipath, args, diff=True)
    assert not failed, done
    for key in ("changed", "diff", "actions", "content"):
        assert predicted[key] == done[key], key
    # and the same after the change: check mode now predicts no change
    idle, _failed = run_module(iscsi_multipath, args, check_mode=True, diff=True)
    assert idle["changed"] is False and idle["diff"]["before"] == idle["diff"]["after"]


def test_allow_list_and_aliases(run_module, commands, sysfs, conf):
    commands.on("multipathd", "reconfigure", out="ok\n")
    result, failed = run_module(iscsi_multipath, {
        "path": conf, "no_path_retry": 6, "wwids": [WWID_DATA, WWID_LOGS, "1SCST_BIO.a8c1657-blk1"],
        "aliases": [{"wwid": WWID_DATA, "alias": "data0"}, {"wwid": WWID_LOGS, "alias": "logs.0"}]})
    assert not failed, result
    text = result["content"]
    assert "\t\tno_path_retry \"6\"\n" in text
    assert "blacklist {\n\twwid \".*\"\n}\n" in text
    assert ("blacklist_exceptions {\n\twwid \"^2613863313635372d$\"\n\twwid \"^26238666462643332$\"\n"
            "\twwid \"^1SCST_BIO\\.a8c1657-blk1$\"\n}\n") in text
    assert ("multipaths {\n\tmultipath {\n\t\twwid \"2613863313635372d\"\n\t\talias \"data0\"\n\t}\n"
            "\tmultipath {\n\t\twwid \"26238666462643332\"\n\t\talias \"logs.0\"\n\t}\n}\n") in text
    assert "defaults" not in text


def test_an_escaped_wwid_pattern_matches_only_its_wwid():
    pattern = multipath_utils.wwid_pattern("1SCST_BIO.a8c1657+blk1")
    assert re.search(pattern, "1SCST_BIO.a8c1657+blk1")
    assert not re.search(pattern, "1SCST_BIOxa8c1657+blk1")
    assert not re.search(pattern, "1SCST_BIO.a8c1657+blk12")


def test_a_changed_file_is_replaced_and_reconfigured(run_module, commands, sysfs, conf):
    os.makedirs(os.path.dirname(conf))
    with open(conf, "w") as handle:
        handle.write("# edited by hand\n")
    commands.on("multipathd", "reconfigure", out="ok\n")
    result, failed = run_module(iscsi_multipath, {"path": conf}, diff=True)
    assert not failed, result
    assert result["changed"] is True and result["diff"]["before"] == "# edited by hand\n"
    assert result["actions"] == ["write " + conf, "multipathd reconfigure"]


def test_absent_removes_the_file_and_reconfigures(run_module, commands, sysfs, conf):
    commands.on("multipathd", "reconfigure", out="ok\n")
    run_module(iscsi_multipath, {"path": conf})
    result, failed = run_module(iscsi_multipath, {"path": conf, "state": "absent"}, diff=True)
    assert not failed, result
    assert result["changed"] is True and not os.path.exists(conf)
    assert result["diff"]["after"] == "" and result["content"] is None
    assert commands.calls == [("multipathd", "reconfigure")] * 2
    again, _failed = run_module(iscsi_multipath, {"path": conf, "state": "absent"})
    assert again["changed"] is False and len(commands.calls) == 2


def test_multipathd_failure_is_an_error_that_says_so(run_module, commands, sysfs, conf):
    commands.on("multipathd", "reconfigure", rc=1, out="fail\n")
    result, failed = run_module(iscsi_multipath, {"path": conf})
    assert failed
    assert result["msg"].startswith("multipathd reconfigure (re-reading the configuration) failed (multipathd "
                                    "exit 1): fail")


def test_without_multipathd_the_file_is_written_with_a_warning(run_module, monkeypatch, iscsiadm_fake, sysfs, conf):
    route_commands(monkeypatch, iscsiadm_fake, FakeCommands(), binaries=())
    result, failed = run_module(iscsi_multipath, {"path": conf})
    assert not failed, result
    assert result["changed"] is True and os.path.exists(conf)
    assert any("multipathd is not installed" in warning for warning in result["warnings"])


def test_returns_the_maps_from_sysfs(run_module, commands, sysfs, conf):
    sysfs.disk("sda").disk("sdc").disk("sdb")
    sysfs.map("dm-1", name="data0", wwid=WWID_DATA, paths=["sdc", "sda"], size=2 * 1024 ** 3)
    sysfs.map("dm-0", name="vg-root", wwid="LVM-abc", paths=["sdb"], uuid_prefix="")
    sysfs.map("dm-2", name="data0p1", wwid=WWID_DATA, paths=["dm-1"], uuid_prefix="part1-mpath-")
    commands.on("multipathd", "reconfigure", out="ok\n")
    result, failed = run_module(iscsi_multipath, {"path": conf})
    assert not failed, result
    assert result["maps"] == [{"name": "data0", "dm": "dm-1", "wwid": WWID_DATA, "mapper": "/dev/mapper/data0",
                               "size_bytes": 2 * 1024 ** 3, "paths": ["sda", "sdc"]}]


BAD_REQUESTS = [
    ({"wwids": [WWID_DATA, WWID_DATA]}, "wwids[1]: '2613863313635372d' is listed twice"),
    ({"aliases": [{"wwid": WWID_DATA, "alias": "a"}, {"wwid": WWID_DATA, "alias": "b"}]},
     "aliases[1].wwid: '2613863313635372d' has an alias already"),
    ({"aliases": [{"wwid": WWID_DATA, "alias": "data"}, {"wwid": WWID_LOGS, "alias": "data"}]},
     "aliases[1].alias: 'data' is used already"),
    ({"aliases": [{"wwid": WWID_DATA, "alias": WWID_LOGS}, {"wwid": WWID_LOGS, "alias": "logs"}]},
     "aliases[0].alias: '26238666462643332' is the WWID of another map"),
    ({"wwids": [WWID_DATA], "aliases": [{"wwid": WWID_LOGS, "alias": "logs"}]},
     "aliases[0].wwid: '26238666462643332' is not in wwids"),
    ({"aliases": [{"wwid": WWID_DATA, "alias": "da/ta"}]}, "aliases[0].alias: 'da/ta' must start with"),
    ({"aliases": [{"wwid": WWID_DATA, "alias": "data 0"}]}, "aliases[0].alias: 'data 0' must start with"),
    ({"aliases": [{"wwid": WWID_DATA, "alias": 'da"ta'}]}, "aliases[0].alias: 'da\"ta' must start with"),
    ({"aliases": [{"wwid": WWID_DATA, "alias": ".."}]}, "aliases[0].alias: '..' is not a name"),
    ({"aliases": [{"wwid": WWID_DATA, "alias": "-data"}]}, "aliases[0].alias: '-data' must start with"),
    ({"aliases": [{"wwid": WWID_DATA, "alias": "a" * 128}]}, "aliases[0].alias: 'aaaa"),
    ({"aliases": [{"wwid": WWID_DATA, "alias": ""}]}, "aliases[0].alias: an alias is required"),
    ({"aliases": [{"wwid": "36001405\nx", "alias": "data"}]}, "aliases[0].wwid: '36001405\\nx' must start with"),
    ({"wwids": ["3600/1405"]}, "wwids[0]: '3600/1405' must start with"),
    ({"wwids": ["x\x00y"]}, "wwids[0]: 'x\\x00y' must start with"),
    ({"wwids": ["3" * 128]}, "wwids[0]: '3333"),
    ({"wwids": ["36001405#x"]}, "wwids[0]: '36001405#x' must start with"),
    ({"no_path_retry": 0}, "no_path_retry: must be a whole number above 0"),
    ({"no_path_retry": "12 "}, "no_path_retry: must be a whole number above 0"),
    ({"no_path_retry": "012"}, "no_path_retry: must be a whole number above 0"),
    ({"no_path_retry": True}, "no_path_retry: must be a whole number above 0"),
    ({"no_path_retry": "never"}, "no_path_retry: must be a whole number above 0"),
    ({"path": "/etc/multipath/conf.d/scst-iscsi"}, "path: must name a file ending in .conf"),
    ({"path": "relative.conf"}, "path: must be an absolute path"),
]


@pytest.mark.parametrize("args, message", BAD_REQUESTS, ids=[message[:40] for _args, message in BAD_REQUESTS])
def test_bad_requests_name_the_field_and_write_nothing(run_module, commands, sysfs, conf, args, message):
    for check_mode in (False, True):
        result, failed = run_module(iscsi_multipath, dict({"path": conf}, **args), check_mode=check_mode)
        assert failed, result
        assert result["msg"].startswith(message), result["msg"]
        assert not os.path.exists(os.path.dirname(conf)) and commands.calls == []


# A valid-looking name with one hostile character inside, names around the length limit,
# and arbitrary text.
GOOD_NAME = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_.:,+=@-]{0,40}", fullmatch=True)
HOSTILE_CHAR = st.sampled_from(list("/ \t\n\x00\"'#!{}\\,\u00e9\u200b\u0661\r"))
HOSTILE = st.one_of(
    st.builds(lambda head, char, tail: head + char + tail, GOOD_NAME, HOSTILE_CHAR,
              st.text(alphabet=st.sampled_from(list("aZ09_.:,+=@-")), max_size=20)),
    st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_.:,+=@-]{120,135}", fullmatch=True),
    st.text(min_size=0, max_size=200),
    st.sampled_from(["", ".", "..", "../x", "a/b", "a b", "a\nb", "a\x00b", "a\tb", '"', "'a'", "a#b", "a!b",
                     "{", "}", "\u00e9", "\u200ba", "a" * 127, "a" * 128, "-a", "\\x41", "mpath-1"]),
)
SAFE_WWID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:,+=@-]*")
SAFE_ALIAS = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:+=@-]*")


def assert_one_quoted_value_per_line(text):
    for line in text.splitlines():
        assert line.count('"') in (0, 2), line


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(wwid=HOSTILE)
def test_every_wwid_is_refused_or_safe_in_the_file(wwid):
    """A WWID either fails naming its field, or is one plain ASCII word that fits multipath's buffer."""
    for request, field in ((multipath_utils.MultipathConfig(wwids=[wwid]), "wwids[0]"),
                           (multipath_utils.MultipathConfig(aliases=[{"wwid": wwid, "alias": "data0"}]),
                            "aliases[0].wwid")):
        try:
            config = request.validate()
        except ValidationError as exc:
            assert exc.field == field
            continue
        assert SAFE_WWID.fullmatch(wwid) and len(wwid.encode("utf-8")) <= 127
        assert_one_quoted_value_per_line(config.render())


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(alias=HOSTILE)
def test_every_alias_is_refused_or_safe_in_the_file(alias):
    """An alias either fails naming its field, or is a name device-mapper keeps as it is (no
    mangling in /dev/mapper), fits DM_NAME_LEN, and sits in one quoted value on one line."""
    request = multipath_utils.MultipathConfig(aliases=[{"wwid": WWID_DATA, "alias": alias}])
    try:
        config = request.validate()
    except ValidationError as exc:
        assert exc.field == "aliases[0].alias"
        return
    assert SAFE_ALIAS.fullmatch(alias) and len(alias.encode("utf-8")) <= 127 and alias not in (".", "..")
    text = config.render()
    assert "\t\talias \"{0}\"\n".format(alias) in text
    assert_one_quoted_value_per_line(text)


def test_a_failed_reconfigure_after_the_write_reports_the_change(run_module, commands, sysfs, conf):
    """The file stays written when multipathd then fails: the failed run changed the host."""
    commands.on("multipathd", "reconfigure", rc=1, out="fail\n")
    result, failed = run_module(iscsi_multipath, {"path": conf})
    assert failed and result["changed"] is True, result
    assert os.path.exists(conf)
