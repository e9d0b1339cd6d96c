"""/etc/scst.conf: the writer, the reader (scstadmin's rules), and the laws
that tie them: parse(render(c)) == normalise(c) and render(parse(render(c)))
== render(c) byte for byte.  The files scstadmin wrote on the lab target are
parsed as they are.
"""

from __future__ import annotations

import importlib.util
import pathlib
import random
import re

import pytest
from hypothesis import given, settings, strategies as st

from ansible_collections.scst.iscsi.plugins.module_utils.scst.conf import (
    HEADER,
    ConfError,
    mask_secrets,
    normalise_config,
    parse_scst_conf,
    render_scst_conf,
)
from ansible_collections.scst.iscsi.plugins.module_utils.scst.errors import ValidationError
from ansible_collections.scst.iscsi.plugins.module_utils.scst import values as v

FIXTURES = pathlib.Path(__file__).parent / "fixtures"
TGT = "iqn.2026-11.com.example:tgt1"
SECRET = "s3cret-for-host1"
SECRET2 = "s3cret-for-tgt1!"
DISCOVERY = "s3cretdisc123"


def tabs(text):
    """Source-friendly scst.conf: each leading group of four spaces is a tab."""
    return re.sub(r"(?m)^((?:    )+)", lambda m: "\t" * (len(m.group(1)) // 4), text)


def sample_config():
    return {
        "handlers": {
            "vdisk_fileio": {"devices": {"disk1": {"filename": "/srv/disk1.img",
                                                   "attributes": {"nv_cache": "1", "blocksize": "4096"}}}},
            "vdisk_nullio": {"devices": {"null1": {"attributes": {"size_mb": "1024", "dummy": "1"}}}},
            "dev_disk": {"devices": {"2:0:0:0": {}}},
        },
        "drivers": {
            "iscsi": {
                "enabled": True,
                "attributes": {"iSNSServer": "192.168.77.1 AccessControl"},
                "chap": {"incoming": [{"username": "disc", "password": DISCOVERY}], "outgoing": []},
                "targets": {
                    TGT: {
                        "enabled": True,
                        "attributes": {"rel_tgt_id": "1", "HeaderDigest": "None,CRC32C", "QueuedCommands": "64"},
                        "allowed_portals": ["192.168.77.10"],
                        "chap": {"incoming": [{"username": "host1", "password": SECRET}],
                                 "outgoing": [{"username": "tgt1", "password": SECRET2}]},
                        "luns": {0: {"device": "disk1", "read_only": False}},
                        "groups": {
                            "host1": {"initiators": ["iqn.2026-11.com.example:host1"],
                                      "luns": {0: {"device": "null1", "read_only": True}},
                                      "attributes": {}},
                        },
                    },
                },
            },
        },
    }


# The sample's scst.conf, a golden file (pep8 forbids the tabs of scstadmin's
# layout inside this source file).
SAMPLE_TEXT = (FIXTURES / "sample.conf").read_text()


def test_render_sample_exact_text():
    assert render_scst_conf(sample_config()) == SAMPLE_TEXT


def test_parse_sample_gives_the_normal_form_and_an_empty_report():
    config, report = parse_scst_conf(SAMPLE_TEXT)
    assert config == normalise_config(sample_config())
    assert report == []
    assert config["handlers"]["dev_disk"]["devices"]["2:0:0:0"] == {"attributes": {}}
    assert config["drivers"]["iscsi"]["targets"][TGT]["groups"]["host1"]["luns"] == {
        0: {"device": "null1", "read_only": True, "attributes": {}}}


def test_render_is_byte_stable_whatever_the_order_of_the_input():
    def shuffled(value, rng):
        if isinstance(value, dict):
            items = list(value.items())
            rng.shuffle(items)
            return dict((k, shuffled(v, rng)) for k, v in items)
        if isinstance(value, list):
            items = [shuffled(v, rng) for v in value]
            rng.shuffle(items)
            return items
        return value

    expected = render_scst_conf(sample_config())
    for seed in range(20):
        assert render_scst_conf(shuffled(sample_config(), random.Random(seed))) == expected


# --- the files scstadmin wrote on the lab target ----------------------------

def test_live_lab_conf_parses():
    config, report = parse_scst_conf((FIXTURES / "scst-lab.conf").read_text())
    assert config["handlers"] == {
        "vdisk_blockio": {"attributes": {},
                          "devices": {"blk1": {"filename": "/dev/vdb", "attributes": {}},
                                      "blkloop": {"filename": "/dev/loop0", "attributes": {}}}},
        "vdisk_fileio": {"attributes": {},
                         "devices": {"disk1": {"filename": "/srv/scst/disk1.img", "attributes": {"nv_cache": "1"}}}},
        "vdisk_nullio": {"attributes": {}, "devices": {"null1": {"attributes": {"size_mb": "1024"}}}},
    }
    assert config["attributes"] == {} and config["device_groups"] == {}
    iscsi = config["drivers"]["iscsi"]
    assert iscsi["enabled"] is True
    target = iscsi["targets"]["iqn.2026-11.test.lab:tgt1"]
    assert target["enabled"] is True
    assert target["attributes"] == {"rel_tgt_id": "1"}
    assert target["chap"] == {"incoming": [{"username": "labuser", "password": "secret12chars"}], "outgoing": []}
    assert target["luns"] == {0: {"device": "disk1", "read_only": False, "attributes": {}},
                              1: {"device": "blk1", "read_only": False, "attributes": {}}}
    assert target["groups"] == {"lab_hosts": {
        "initiators": ["iqn.2026-11.test.lab:*wild*", "iqn.2026-11.test.lab:initiator"],
        "luns": {0: {"device": "blk1", "read_only": False, "attributes": {}},
                 1: {"device": "disk1", "read_only": False, "attributes": {}},
                 2: {"device": "blkloop", "read_only": False, "attributes": {}}},
        "attributes": {}}}
    # the blockio sizes are reported, with their line numbers, never dropped silently
    assert report == [
        "line 7: device blk1: size 2147483648 not imported: the size of a vdisk_blockio device is that of "
        "its backing store (scstadmin writes it because SCST marks it as set)",
        "line 12: device blkloop: size 134217728 not imported: the size of a vdisk_blockio device is that "
        "of its backing store (scstadmin writes it because SCST marks it as set)",
    ]
    assert not any("secret12chars" in line for line in report)


def test_render_of_the_live_lab_conf_follows_scstadmins_layout():
    """Same bytes as scstadmin's file except: our header, no blockio size
    lines (not configuration), no blank line between two INITIATOR lines."""
    live = (FIXTURES / "scst-lab.conf").read_text()
    expected = live.replace("# Automatically generated by SCST Configurator v3.11.0-pre.", HEADER)
    expected = re.sub(r"\t\tsize (2147483648|134217728)\n", "", expected)
    expected = expected.replace("*wild*\n\n", "*wild*\n")
    config, _report = parse_scst_conf(live)
    assert render_scst_conf(config) == expected


def test_live_200_device_conf_parses():
    text = (FIXTURES / "scst-200dev.conf").read_text()
    config, report = parse_scst_conf(text)
    devices = config["handlers"]["vdisk_nullio"]["devices"]
    assert len(devices) == 200
    assert devices["null123"] == {"attributes": {"size_mb": "64"}}
    targets = config["drivers"]["iscsi"]["targets"]
    assert len(targets) == 10
    assert sum(len(t["luns"]) for t in targets.values()) == 200
    big09 = targets["iqn.2026-11.test.lab:big09"]
    assert big09["luns"][19] == {"device": "null199", "read_only": False, "attributes": {}}
    assert big09["groups"]["hosts"]["initiators"] == ["iqn.2026-11.test.lab:big-ini09"]
    assert big09["chap"]["incoming"] == [{"username": "biguser09", "password": "secret12chars"}]
    assert report == []
    again = render_scst_conf(config)
    assert parse_scst_conf(again) == (config, [])


SCST_CONF_FIXTURES = sorted(p.name for p in FIXTURES.glob("*.conf") if p.name.startswith(("scst", "sample")))


@pytest.mark.parametrize("name", SCST_CONF_FIXTURES)
def test_every_fixture_file_parses_renders_and_reparses_to_the_same_data(name):
    """scstadmin's own files (scst-lab, scst-200dev from the lab target), an ALUA/multi-driver file in
    scstadmin's layout, and our golden sample: read, written, read again -> the same data."""
    config, _report = parse_scst_conf((FIXTURES / name).read_text())
    again, report = parse_scst_conf(render_scst_conf(config))
    assert again == config and report == []


def test_alua_fixture_reads_every_part():
    config, report = parse_scst_conf((FIXTURES / "scst-alua.conf").read_text())
    assert report == []
    assert config["attributes"] == {"cluster_name": "lab", "setup_id": "0x2a", "threads": "4"}
    assert config["handlers"]["vdisk_fileio"]["devices"]["disk1"]["attributes"] == {
        "nv_cache": "1", "pr_file_name": "/var/lib/scst/pr/disk1-alt", "t10_dev_id": "disk1-id"}
    assert config["drivers"]["qla2x00t"]["targets"]["50:01:43:80:12:34:56:78"]["hw_target"] is True
    local = config["drivers"]["scst_local"]["targets"]["local1"]
    assert local["attributes"] == {"session_name": "local1_host"} and "enabled" not in local
    assert local["groups"]["ig"]["attributes"] == {"addr_method": "FLAT"}
    assert config["device_groups"]["dg1"]["target_groups"]["peer"] == {
        "group_id": 2, "state": "standby", "preferred": False, "attributes": {},
        "targets": {"50:01:43:80:aa:bb:cc:dd": {"rel_tgt_id": 2}}}


# --- writer traps -------------------------------------------------------------

def _one_device(attributes, handler="vdisk_fileio", filename="/srv/d.img"):
    device = {"attributes": attributes}
    if filename:
        device["filename"] = filename
    return {"handlers": {handler: {"devices": {"d1": device}}}}


def _body_lines(config):
    return render_scst_conf(config).split("\n")[3:]


@pytest.mark.parametrize("value, written", [
    ("plain", "prod_id plain"),
    ("two words", 'prod_id "two words"'),
    ("tab\there", 'prod_id "tab\there"'),
    (" leading", 'prod_id " leading"'),
    ("a#b", r"prod_id a\#b"),
    ("#start", r"prod_id \#start"),
    ("back\\slash", r"prod_id back\\slash"),
    ("end\\", "prod_id end\\\\"),
    ("\\#", r"prod_id \\\#"),
    ("x # y", r'prod_id "x \# y"'),
    ("", "prod_id"),
])
def test_values_are_escaped_and_quoted_and_read_back(value, written):
    config = _one_device({"prod_id": value})
    assert "\t\t" + written in _body_lines(config)
    parsed, report = parse_scst_conf(render_scst_conf(config))
    assert parsed["handlers"]["vdisk_fileio"]["devices"]["d1"]["attributes"]["prod_id"] == value
    assert report == []


@pytest.mark.parametrize("char, words", [('"', "a double quote"), ("\n", "a line break"), ("\r", "a carriage return"),
                                         ("{", "a '{'"), ("}", "a '}'")])
def test_unwritable_value_names_object_and_attribute(char, words):
    with pytest.raises(ConfError) as err:
        render_scst_conf(_one_device({"prod_id": "bad%svalue" % char}))
    assert str(err.value) == ("device d1: attribute prod_id: the value contains %s, which scst.conf cannot hold "
                              "(scstadmin has no escape for it)" % words)


@pytest.mark.parametrize("password, rule", [
    ('sec"ret-123456', "contains a double quote"),
    ("sec\nret-123456", "contains a blank"),
    ("sec}ret-123456", "contains a '}'"),
    ("two words-12345", "contains a blank"),
    ("********", "is masked"),
    ("", "is empty"),
])
def test_bad_chap_secret_error_names_user_never_the_secret(password, rule):
    config = sample_config()
    config["drivers"]["iscsi"]["targets"][TGT]["chap"]["incoming"][0]["password"] = password
    with pytest.raises(ConfError) as err:
        render_scst_conf(config)
    message = str(err.value)
    assert message.startswith("target %s: IncomingUser: " % TGT)
    assert "user host1" in message and rule in message
    if password and password != "********":
        assert password not in message
        for piece in re.split(r'[\s"}]', password):
            if len(piece) > 3:
                assert piece not in message


def test_bad_chap_user_name_is_refused():
    config = sample_config()
    config["drivers"]["iscsi"]["chap"]["incoming"][0]["username"] = "two words"
    with pytest.raises(ConfError, match=r"^drivers\.iscsi\.chap\.incoming\[0\]\.username: must not contain whitespace"):
        render_scst_conf(config)


def test_masked_rendering_for_display():
    text = render_scst_conf(sample_config(), mask_secrets=True)
    for secret in (SECRET, SECRET2, DISCOVERY):
        assert secret not in text
    assert '\t\tIncomingUser "host1 ********"' in text.split("\n")
    # an already masked configuration (what scst_info returns) renders for display too
    assert render_scst_conf(mask_secrets(sample_config()), mask_secrets=True) == text


def test_mask_secrets_leaves_the_input_alone():
    config = sample_config()
    masked = mask_secrets(config)
    assert masked["drivers"]["iscsi"]["chap"]["incoming"] == [{"username": "disc", "password": "********"}]
    assert config["drivers"]["iscsi"]["chap"]["incoming"][0]["password"] == DISCOVERY


def _tokens_of(line):
    return re.findall(r'"[^"]*"|\S+', line)


def test_layout_rules_hold_for_every_line():
    text = render_scst_conf(sample_config())
    lines = text.split("\n")
    assert lines[0] == HEADER and lines[1:3] == ["", ""] and text.endswith("}\n\n")
    depth = 0
    headers = []
    for line in lines[3:]:
        assert not line.startswith(" "), "indentation is tabs"
        body = line.strip("\t")
        assert line == "\t" * (depth - (1 if body == "}" else 0)) + body or body == ""
        if body.endswith("{"):
            assert body != "{", "'{' is always on its header line"
            headers.append((depth, body))
            depth += 1
            body = body[:-1]
        elif body == "}":
            depth -= 1
            continue
        assert len(_tokens_of(body)) <= 3
    assert depth == 0
    # no block opened twice at the same level
    assert len(headers) == len(set(headers))


def test_empty_sections_are_omitted():
    config = {"handlers": {"vdisk_fileio": {"devices": {}}},
              "drivers": {"iscsi": {"attributes": {}, "chap": {"incoming": [], "outgoing": []},
                                    "targets": {TGT: {}}},
                          "scst_local": {"targets": {}}}}
    assert _body_lines(config) == ["TARGET_DRIVER iscsi {", "\tTARGET " + TGT, "}", "", ""]


def test_empty_configuration_is_only_the_header():
    assert render_scst_conf({}) == HEADER + "\n\n\n"
    assert parse_scst_conf(HEADER + "\n\n\n") == (
        {"attributes": {}, "handlers": {}, "drivers": {}, "device_groups": {}}, [])


def test_nullio_size_is_written_in_bytes():
    config = _one_device({"size_mb": "64"}, handler="vdisk_nullio", filename=None)
    assert "\t\tsize 67108864" in _body_lines(config)
    odd = _one_device({"size": "1000448"}, handler="vdisk_nullio", filename=None)
    assert "\t\tsize 1000448" in _body_lines(odd)
    # a size in whole MiB is the same configuration as size_mb
    assert normalise_config(_one_device({"size": str(64 << 20)}, handler="vdisk_nullio", filename=None)) == \
        normalise_config(config)


def test_read_only_lun_is_a_block_over_three_lines():
    lines = _body_lines(sample_config())
    start = lines.index("\t\t\tLUN 0 null1 {")
    assert lines[start + 1:start + 3] == ["\t\t\t\tread_only 1", "\t\t\t}"]


def test_info_output_renders_its_runtime_keys_are_ignored():
    config = sample_config()
    config["version"] = "3.11.0-pre"
    config["drivers"]["iscsi"]["daemon_running"] = True
    config["drivers"]["iscsi"]["targets"][TGT]["sessions"] = ["iqn.2026-11.com.example:host1"]
    assert render_scst_conf(config) == SAMPLE_TEXT


@pytest.mark.parametrize("mutate, message", [
    (lambda c: c.update(bogus=1), "configuration: unknown key bogus"),
    (lambda c: c["drivers"]["iscsi"]["targets"][TGT]["attributes"].update(enabled="1"),
     "attributes.enabled: enabled is not an attribute here; use the enabled key"),
    (lambda c: c["drivers"]["iscsi"]["targets"][TGT]["attributes"].update(IncomingUser="a b"),
     "use the chap key"),
    (lambda c: c["drivers"]["iscsi"]["targets"][TGT]["luns"].update({"x": {"device": "d"}}),
     "luns.x.lun: must be a plain decimal number from 0 to 16383"),
    (lambda c: c["drivers"]["iscsi"]["targets"][TGT]["luns"].update({16384: {"device": "d"}}),
     "luns.16384.lun: must be an integer from 0 to 16383"),
    (lambda c: c["drivers"]["iscsi"]["targets"][TGT]["attributes"].update({"bad name": "1"}),
     "'bad name' is not an attribute name scst.conf can hold"),
    (lambda c: c["handlers"]["vdisk_nullio"]["devices"]["null1"]["attributes"].update(size_mb="1.5"),
     "size_mb: must be a whole decimal number"),
    (lambda c: c["drivers"]["iscsi"]["targets"][TGT]["luns"][0].update(read_only="maybe"),
     "luns.0.read_only: must be a boolean"),
])
def test_shape_errors_name_the_place(mutate, message):
    config = sample_config()
    mutate(config)
    with pytest.raises(ConfError) as err:
        render_scst_conf(config)
    assert message in str(err.value)


def test_normalise_accepts_string_lun_keys_and_plain_device_names():
    config = sample_config()
    target = config["drivers"]["iscsi"]["targets"][TGT]
    target["luns"] = {"0": "disk1"}
    assert normalise_config(config) == normalise_config(sample_config())


def test_blockio_size_is_not_configuration():
    config = _one_device({"size_mb": "2048", "nv_cache": "1"}, handler="vdisk_blockio", filename="/dev/vdb")
    assert normalise_config(config)["handlers"]["vdisk_blockio"]["devices"]["d1"]["attributes"] == {"nv_cache": "1"}


# --- reader: scstadmin's rules ---------------------------------------------------

def _device_attrs(body, handler="vdisk_fileio"):
    text = "HANDLER %s {\n\tDEVICE d1 {\n%s\n\t}\n}\n" % (handler, body)
    config, report = parse_scst_conf(text)
    return config["handlers"][handler]["devices"]["d1"]["attributes"], report


@pytest.mark.parametrize("line, value", [
    ("prod_id value # a comment", "value"),      # the blank before '#' goes with the comment
    ("prod_id a#b", ""),                          # ... and so does the character before it
    ("prod_id value#", "valu"),
    (r"prod_id a\#b", "a#b"),
    (r"prod_id a\\b", "a\\b"),
    (r"prod_id \q", "q"),                         # any backslash escape drops the backslash
    ('prod_id "two words"', "two words"),
])
def test_comment_escape_and_quote_rules(line, value):
    attrs, _report = _device_attrs("\t\t" + line)
    assert attrs["prod_id"] == value


def test_a_line_starting_with_hash_is_empty():
    attrs, report = _device_attrs("#\t\tprod_id hidden\n\t\tt10_vend_id V")
    assert attrs == {"t10_vend_id": "V"} and report == []


def _refused(text):
    """The ConfError parse_scst_conf raises for ``text``: (message, all problems)."""
    with pytest.raises(ConfError) as err:
        parse_scst_conf(text)
    assert isinstance(err.value, ValidationError)
    assert err.value.field.startswith("line ")
    return str(err.value), err.value.details["problems"]


def test_a_quoted_token_ends_at_its_quote_and_the_rest_is_a_second_value():
    message, _problems = _refused('HANDLER vdisk_fileio {\n\tDEVICE d1 {\n\t\tprod_id "x"y\n\t}\n}\n')
    assert message.startswith("line 3: device d1: prod_id has more than one value on a line or a section")


def test_three_tokens_only():
    message, problems = _refused('HANDLER vdisk_fileio {\n\tDEVICE d1 {\n\t\tprod_id one two three\n\t}\n}\n')
    # K V W X: scstadmin drops the fourth token and keeps W as a child of V
    assert problems == ["line 3: prod_id: only the first three tokens of a line are used, 1 more would be "
                        "ignored (quote values that contain blanks)",
                        "line 3: device d1: prod_id has more than one value on a line or a section (quote values "
                        "that contain blanks)"]
    assert message.startswith("line 3: prod_id: only the first three tokens") and "(1 more problem(s): " in message


def test_unquoted_incoming_user_is_refused_without_its_secret():
    text = "TARGET_DRIVER iscsi {\n\tenabled 1\n\tTARGET %s {\n\t\tenabled 1\n\t\tIncomingUser joe %s\n\t}\n}\n" % (
        TGT, SECRET)
    message, problems = _refused(text)
    assert problems == ["line 5: target %s: IncomingUser is written unquoted; scstadmin rejects it (write it as "
                        "IncomingUser \"user secret\")" % TGT]
    assert SECRET not in message + "\n".join(problems)


def test_brace_on_its_own_line_is_refused():
    text = "HANDLER vdisk_nullio {\n\tDEVICE null1\n\t{\n\t\tsize 67108864\n\t}\n\tDEVICE null2 {\n\t}\n}\n"
    _message, problems = _refused(text)
    assert problems == ["line 3: '{' without a header on the same line: scstadmin discards this whole section "
                        "(put '{' at the end of the header line)"]


def test_text_before_a_closing_brace_is_refused():
    text = ("TARGET_DRIVER iscsi {\n\tenabled 1\n\tTARGET %s {\n\t\tenabled 1\n"
            "\t\tLUN 0 disk1 { read_only 1 }\n\t}\n}\nHANDLER vdisk_nullio {\n\tDEVICE disk1\n}\n") % TGT
    _message, problems = _refused(text)
    assert problems == ["line 5: text before '}' on the same line is lost (scstadmin ignores it); put '}' on a "
                        "line of its own"]


def test_a_repeated_block_is_refused():
    text = ("TARGET_DRIVER iscsi {\n\tenabled 1\n\tTARGET %s {\n\t\tenabled 1\n\t\tQueuedCommands 8\n\t}\n"
            "\tTARGET %s {\n\t\tenabled 0\n\t}\n}\n") % (TGT, TGT)
    _message, problems = _refused(text)
    assert problems == ["line 7: TARGET %s repeats line 3: scstadmin would keep only this later entry and drop "
                        "the earlier one" % TGT]


def test_a_repeated_chap_block_is_refused_without_its_secret():
    text = ("TARGET_DRIVER iscsi {\n\tIncomingUser \"joe %s\" {\n\t\tx 1\n\t}\n\tIncomingUser \"joe %s\" {\n"
            "\t}\n\tenabled 1\n}\n") % (SECRET, SECRET)
    message, problems = _refused(text)
    assert "line 5: IncomingUser repeats line 2: scstadmin would keep only this later entry and drop the " \
           "earlier one" in problems
    assert SECRET not in message + "\n".join(problems)


def test_repeated_pairs_are_one_entry_and_different_values_are_several():
    text = ("TARGET_DRIVER iscsi {\n\tTARGET %s {\n\t\tallowed_portal 10.0.0.1\n\t\tallowed_portal 10.0.0.1\n"
            "\t\tallowed_portal1 10.0.0.2\n\t\tenabled 1\n\t\tGROUP g {\n\t\t\tINITIATOR a\n\t\t\tINITIATOR a\n"
            "\t\t}\n\t\tcomment one\n\t\tcomment two\n\t}\n}\n") % TGT
    config, _report = parse_scst_conf(text)
    target = config["drivers"]["iscsi"]["targets"][TGT]
    assert target["allowed_portals"] == ["10.0.0.1", "10.0.0.2"]
    assert target["groups"]["g"]["initiators"] == ["a"]
    # an attribute with several values (scstadmin's multi-valued attribute) is a sorted list
    assert target["attributes"] == {"comment": ["one", "two"]}
    assert render_scst_conf(config).count("\t\tcomment ") == 2


def test_deprecated_format_is_refused():
    with pytest.raises(ConfError, match=r"line 2: this is the deprecated pre-sysfs scst.conf format"):
        parse_scst_conf("# old\n[HANDLER vdisk]\nDEVICE disk1,/srv/disk1.img\n")


def test_sizes():
    attrs, report = _device_attrs("\t\tsize 1000448", handler="vdisk_nullio")
    assert attrs == {"size": "1000448"}
    assert report == ["line 3: device d1: size 1000448 bytes is not a whole number of MiB; kept as size (bytes)"]
    attrs, report = _device_attrs("\t\tsize_mb 64", handler="vdisk_nullio")
    assert attrs == {"size_mb": "64"}
    assert report == ["line 3: device d1: size_mb in scst.conf makes scstadmin see a difference on every re-apply; "
                      "it is written back as size in bytes"]
    _message, problems = _refused("HANDLER vdisk_nullio {\n\tDEVICE d1 {\n\t\tsize 1G\n\t}\n}\n")
    assert problems == ["line 3: device d1: size '1G' is not a whole decimal number"]


def test_lun_numbers_are_read_in_base_zero():
    text = ("HANDLER vdisk_nullio {\n\tDEVICE d1\n}\nTARGET_DRIVER iscsi {\n\tTARGET %s {\n\t\tenabled 1\n"
            "\t\tLUN 010 d1\n\t\tLUN 0x10 d1\n\t\tLUN 1 nodev\n\t}\n}\n") % TGT
    config, report = parse_scst_conf(text)
    assert sorted(config["drivers"]["iscsi"]["targets"][TGT]["luns"]) == [1, 8, 16]
    assert report == [
        "line 4: target driver iscsi has no 'enabled' line: scstadmin leaves it as it is (disabled after a boot)",
        "line 7: target %s: LUN 010 is read by SCST as 8 (numbers are read in base 0: a leading 0 means octal)" % TGT,
        "line 8: target %s: LUN 0x10 is read by SCST as 16 (numbers are read in base 0: a leading 0 means octal)" % TGT,
        "line 9: target %s: LUN 1 uses device nodev, which no HANDLER section defines (scstadmin drops such a "
        "LUN unless the device exists)" % TGT,
    ]
    _message, problems = _refused(text.replace("LUN 1 nodev", "LUN 99999 d1\n\t\tLUN 2\n\t\tLUN 3 d1\n\t\tLUN 3 d2"))
    assert problems == [
        "line 9: target %s: LUN '99999' is not a number from 0 to 16383" % TGT,
        "line 10: target %s: LUN 2 names no device" % TGT,
        "line 11: target %s: LUN 3 is mapped to more than one device; scstadmin refuses this" % TGT,
    ]


EXTENDED = tabs("""setup_id 0x1234
threads 4
HANDLER vdisk_fileio {
    hattr 7
    DEVICE d1 {
        filename /srv/d1
        pr_file_name /var/lib/scst/pr/x
        t10_vend_id ACME
    }
}
TARGET_DRIVER qla2x00t {
    TARGET 50:01:43:80:12:34:56:78 {
        HW_TARGET
        enabled 1
        rel_tgt_id 3
        LUN 0 d1 {
            read_only 1
            weird 2
        }
    }
}
ALUA {
    future_attr 1
}
DEVICE_GROUP dg1 {
    DEVICE d1
    TARGET_GROUP local {
        group_id 1
        preferred 1
        state active
        TARGET 50:01:43:80:12:34:56:78
    }
    TARGET_GROUP remote {
        group_id 2
        state standby
        TARGET 50:01:43:80:aa:bb:cc:dd {
            rel_tgt_id 4
        }
    }
}
""")


def test_the_whole_extended_shape_is_imported():
    config, report = parse_scst_conf(EXTENDED)
    wwn, remote = "50:01:43:80:12:34:56:78", "50:01:43:80:aa:bb:cc:dd"
    assert report == []
    assert config["attributes"] == {"setup_id": "0x1234", "threads": "4"}
    assert config["handlers"]["vdisk_fileio"] == {"attributes": {"hattr": "7"}, "devices": {"d1": {
        "filename": "/srv/d1", "attributes": {"pr_file_name": "/var/lib/scst/pr/x", "t10_vend_id": "ACME"}}}}
    assert config["drivers"]["qla2x00t"]["targets"][wwn] == {
        "hw_target": True, "enabled": True, "attributes": {"rel_tgt_id": "3"}, "allowed_portals": [],
        "chap": {"incoming": [], "outgoing": []}, "groups": {},
        "luns": {0: {"device": "d1", "read_only": True, "attributes": {"weird": "2"}}}}
    assert config["alua_attributes"] == {"future_attr": "1"}
    assert config["device_groups"] == {"dg1": {"devices": ["d1"], "attributes": {}, "target_groups": {
        "local": {"group_id": 1, "state": "active", "preferred": True, "attributes": {}, "targets": {wwn: {}}},
        "remote": {"group_id": 2, "state": "standby", "preferred": False, "attributes": {},
                   "targets": {remote: {"rel_tgt_id": 4}}}}}}
    text = render_scst_conf(config)
    assert parse_scst_conf(text) == (config, [])
    lines = text.split("\n")
    assert lines[2:4] == ["setup_id 0x1234", "threads 4"]
    # a remote target's block is written over three lines: text before '}' on its line would be lost
    start = lines.index("\t\tTARGET %s {" % remote)
    assert lines[start + 1:start + 3] == ["\t\t\trel_tgt_id 4", "\t\t}"]
    assert "\t\tHW_TARGET" in lines and "ALUA {" in lines


@pytest.mark.parametrize("text, problem", [
    ("DEVICE_GROUP dg {\n\tTARGET_GROUP tg {\n\t\tstate sleepy\n\t}\n}\n",
     "line 3: device group dg, target group tg: state 'sleepy' is not one of active, nonoptimized, standby, "
     "unavailable, offline, transitioning"),
    ("DEVICE_GROUP dg {\n\tTARGET_GROUP tg {\n\t\tgroup_id 70000\n\t}\n}\n",
     "line 3: device group dg, target group tg: group_id '70000' is not a number from 0 to 65535"),
    ("DEVICE_GROUP dg {\n\tTARGET_GROUP tg {\n\t\tpreferred yes\n\t}\n}\n",
     "line 3: device group dg, target group tg: preferred 'yes' is neither 0 nor 1"),
    ("DEVICE_GROUP dg {\n\tTARGET_GROUP tg {\n\t\tTARGET t {\n\t\t\tgroup_id 1\n\t\t}\n\t}\n}\n",
     "line 4: device group dg, target group tg: target t: group_id is not valid here (a target group member "
     "holds only rel_tgt_id)"),
    ("DEVICE_GROUP dg {\n\tDEVICE d1 {\n\t\tx 1\n\t}\n}\nHANDLER vdisk_nullio {\n\tDEVICE d1\n}\n",
     "line 2: device group dg: DEVICE d1 takes no value or section here"),
    ("TARGET_DRIVER scst_local {\n\tTARGET t {\n\t\tHW_TARGET 1\n\t}\n}\n",
     "line 3: target t: HW_TARGET is a marker without a value"),
    ("TARGET_DRIVER scst_local {\n\tTARGET\n}\n", "line 2: target driver scst_local: TARGET without a name"),
    ("TARGET_DRIVER iscsi {\n\tenabled 2\n}\n", "line 2: target driver iscsi: enabled '2' is neither 0 nor 1"),
    ('cluster_name "abc\n',
     "line 1: a double quote is not closed (scstadmin would read the value up to the next blank)"),
    ("TARGET_DRIVER scst_local {\n\tTARGET t {\n\t\tGROUP g {\n\t\t\tINITIATOR i {\n\t\t\t\ta 1\n\t\t\t}\n"
     "\t\t}\n\t}\n}\n", "line 4: target t group g: INITIATOR i takes no value or section here"),
    ("TARGET_DRIVER scst_local {\n\tTARGET t {\n\t\thw_target 1\n\t}\n}\n",
     "line 3: target t: hw_target is not valid at this place of the file"),
])
def test_what_scstadmin_would_drop_or_misread_is_refused_with_its_line(text, problem):
    message, problems = _refused(text)
    assert problems == [problem]
    assert message == problem


def test_target_without_enabled_is_reported():
    config, report = parse_scst_conf("TARGET_DRIVER iscsi {\n\tenabled 1\n\tTARGET %s\n}\n" % TGT)
    assert "enabled" not in config["drivers"]["iscsi"]["targets"][TGT]
    assert report == ["line 3: target %s has no 'enabled' line: scstadmin leaves it disabled at boot (and "
                      "disables it with -force)" % TGT]
    # scst_local targets have no enabled file: nothing to report
    assert parse_scst_conf("TARGET_DRIVER scst_local {\n\tTARGET t\n}\n")[1] == []


def test_crlf_and_missing_final_newline():
    config, report = parse_scst_conf(SAMPLE_TEXT.replace("\n", "\r\n").rstrip("\r\n"))
    assert (config, report) == parse_scst_conf(SAMPLE_TEXT)


def test_unclosed_and_stray_braces_are_refused():
    message, problems = _refused("}\nHANDLER vdisk_nullio {\n\tDEVICE d1 {\n")
    assert problems == ["line 1: '}' without an open section",
                        "line 4: 2 section(s) not closed with '}' at the end of the file"]
    assert message == ("line 1: '}' without an open section (1 more problem(s): line 4: 2 section(s) not "
                       "closed with '}' at the end of the file)")


def test_initiator_in_two_groups_and_duplicate_chap_user():
    text = ("TARGET_DRIVER iscsi {\n\tenabled 1\n\tIncomingUser \"joe %s\"\n\tIncomingUser \"joe %s\"\n"
            "\tTARGET %s {\n\t\tenabled 1\n\t\tGROUP a {\n\t\t\tINITIATOR ini\n\t\t}\n"
            "\t\tGROUP b {\n\t\t\tINITIATOR ini\n\t\t}\n\t}\n}\n") % (SECRET, SECRET2, TGT)
    config, report = parse_scst_conf(text)
    assert len(config["drivers"]["iscsi"]["chap"]["incoming"]) == 2
    assert report == [
        "line 4: target driver iscsi: CHAP user joe is given twice for incoming; iscsi-scstd refuses the second one",
        "line 5: target %s: initiator ini is in groups a and b; scstadmin refuses this" % TGT,
    ]
    assert SECRET not in "\n".join(report) and SECRET2 not in "\n".join(report)


# --- the laws, over generated configurations -----------------------------------

NAMES = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789_-", min_size=1, max_size=10)
# anything the file can hold: blanks, '#', backslashes, non-ASCII, control characters
VALUES = st.text(alphabet=st.characters(blacklist_characters='"\n\r{}', blacklist_categories=("Cs",)), max_size=16)
SECRETS = st.text(alphabet=st.characters(blacklist_characters='"{}', blacklist_categories=("Cs", "Zs", "Cc")),
                  min_size=4, max_size=20).filter(lambda s: not any(c.isspace() for c in s)).map(lambda s: "@@" + s)
ATTR_NAMES = st.sampled_from(["prod_id", "t10_vend_id", "usn", "blocksize", "nv_cache", "QueuedCommands",
                              "HeaderDigest", "rel_tgt_id", "alias", "iSNSServer", "io_grouping_type", "x.y:z-1",
                              "cpu_mask", "read_only", "size_mb", "setup_id", "cluster_name", "session_name",
                              "pr_file_name", "weird_attr"])
# a value, or several (a multi-valued attribute: one line per value; '' cannot be one of several)
ATTR_VALUES = st.one_of(VALUES, VALUES, st.lists(VALUES.filter(bool), min_size=2, max_size=3, unique=True))
ATTRS = st.dictionaries(ATTR_NAMES, ATTR_VALUES, max_size=4)
# names of objects: anything a token can hold (quoted and escaped by the writer)
# (every name the one rule table of values.py accepts for any ALUA object or device)


def _accepted_everywhere(name):
    try:
        for rule in (v.device_name, v.device_group_name, v.target_group_name, v.target_group_member):
            rule("name", name)
    except ValidationError:
        return False
    return True


HOSTILE_NAMES = st.one_of(NAMES, VALUES.filter(bool)).filter(_accepted_everywhere)


def _named(*rules, prefix=""):
    """NAMES (with ``prefix``) that the ``rules`` of values.py accept: not a file of the same
    directory (mgmt, type, enabled, link_local, state ...)."""
    def accepted(name):
        try:
            for rule in rules:
                rule("name", prefix + name)
        except ValidationError:
            return False
        return True
    return NAMES.filter(accepted)


CHAP = st.fixed_dictionaries({
    "incoming": st.lists(st.fixed_dictionaries({"username": NAMES, "password": SECRETS}), max_size=2),
    "outgoing": st.lists(st.fixed_dictionaries({"username": NAMES, "password": SECRETS}), max_size=1),
})


def _without(names):
    return ATTRS.map(lambda attrs: dict((k, val) for k, val in attrs.items() if k not in names))


@st.composite
def device_groups(draw, device_names, target_names):
    groups = {}
    for name in draw(st.lists(HOSTILE_NAMES, max_size=2, unique=True)):
        target_groups = {}
        for tg in draw(st.lists(HOSTILE_NAMES, max_size=2, unique=True)):
            members = {}
            for member in draw(st.lists(st.one_of(st.sampled_from(target_names or ["t"]), HOSTILE_NAMES),
                                        max_size=3, unique=True)):
                members[member] = draw(st.one_of(st.just({}), st.fixed_dictionaries(
                    {"rel_tgt_id": st.integers(0, 65535)})))
            group = {"attributes": draw(ATTRS), "targets": members}
            for key, strategy in (("group_id", st.integers(0, 65535)), ("preferred", st.booleans()),
                                  ("state", st.sampled_from(["active", "nonoptimized", "standby", "unavailable",
                                                             "offline", "transitioning"]))):
                if draw(st.booleans()):
                    group[key] = draw(strategy)
            target_groups[tg] = group
        groups[name] = {"devices": draw(st.lists(st.one_of(st.sampled_from(device_names or ["d"]), HOSTILE_NAMES),
                                                 max_size=3)),
                        "attributes": draw(ATTRS), "target_groups": target_groups}
    return groups


@st.composite
def configs(draw):
    device_names = draw(st.lists(_named(v.device_name), max_size=5, unique=True))
    handlers = {}
    for name in device_names:
        handler = draw(st.sampled_from(["vdisk_fileio", "vdisk_blockio", "vdisk_nullio", "dev_disk"]))
        attrs = draw(ATTRS)
        if handler == "vdisk_nullio":
            attrs.pop("size_mb", None)
            size = draw(st.one_of(st.none(), st.integers(1, 1 << 22).map(lambda n: n * 512)))
            if size is not None:
                attrs["size" if draw(st.booleans()) else "size_mb"] = str(size if size % (1 << 20) else size >> 20)
        device = {"attributes": attrs}
        if handler in ("vdisk_fileio", "vdisk_blockio"):
            device["filename"] = "/" + draw(VALUES.filter(lambda s: s.strip() == s))
        handlers.setdefault(handler, {"devices": {}})["devices"][name] = device
    for handler in draw(st.lists(st.sampled_from(["vdisk_fileio", "vcdrom", "dev_disk"]), max_size=2)):
        handlers.setdefault(handler, {"devices": {}})["attributes"] = draw(ATTRS)
    luns = st.dictionaries(st.integers(0, 16383),
                           st.fixed_dictionaries({"device": st.sampled_from(device_names or ["missing"]),
                                                  "read_only": st.booleans(),
                                                  "attributes": _without(("read_only",))}), max_size=3)
    drivers = {}
    target_names = []
    for driver in ["iscsi"] + draw(st.lists(st.sampled_from(["scst_local", "qla2x00t", "ib_srpt"]), max_size=2,
                                            unique=True)):
        targets = {}
        prefix = "iqn.2026-11.com.example:" if driver == "iscsi" else ""
        names = _named(v.target_name, v.target_group_member, prefix=prefix)   # ALUA members are targets too
        for suffix in draw(st.lists(names, max_size=3, unique=True)):
            target = {"attributes": draw(ATTRS),
                      "allowed_portals": draw(st.lists(NAMES, max_size=2)),
                      "chap": draw(CHAP), "luns": draw(luns),
                      "groups": draw(st.dictionaries(_named(v.group_name), st.fixed_dictionaries({
                          "initiators": st.lists(NAMES.map(lambda n: "iqn.2026-11.com.example:" + n), max_size=3),
                          "luns": luns, "attributes": ATTRS}), max_size=2))}
            enabled = draw(st.one_of(st.none(), st.booleans()))
            if enabled is not None:
                target["enabled"] = enabled
            if driver == "qla2x00t" and draw(st.booleans()):
                target["hw_target"] = True
            targets[prefix + suffix] = target
            target_names.append(prefix + suffix)
        entry = {"attributes": draw(ATTRS), "chap": draw(CHAP), "targets": targets}
        enabled = draw(st.one_of(st.none(), st.booleans()))
        if enabled is not None:
            entry["enabled"] = enabled
        drivers[driver] = entry
    config = {"attributes": draw(ATTRS), "handlers": handlers, "drivers": drivers,
              "device_groups": draw(device_groups(device_names, target_names))}
    if draw(st.booleans()):
        config["alua_attributes"] = draw(ATTRS)
    return config


def _secrets_of(config):
    found = []
    for driver in config["drivers"].values():
        for chap in [driver["chap"]] + [t["chap"] for t in driver["targets"].values()]:
            found.extend(a["password"] for d in ("incoming", "outgoing") for a in chap[d])
    return found


@settings(max_examples=300, deadline=None)
@given(configs())
def test_laws_parse_render_round_trip(config):
    text = render_scst_conf(config)
    parsed, report = parse_scst_conf(text)
    assert parsed == normalise_config(config)
    assert render_scst_conf(parsed) == text
    assert normalise_config(parsed) == parsed
    joined = "\n".join(report)
    for secret in _secrets_of(parsed):
        assert secret not in joined
    masked = render_scst_conf(config, mask_secrets=True)
    for secret in _secrets_of(parsed):
        assert secret not in masked


# --- the running configuration, saved ---------------------------------------------


def test_saving_the_emulated_lab_gives_what_scstadmin_wrote():
    """The lab configuration rebuilt in the emulator from the live mgmt writes,
    read back and rendered, is the configuration scstadmin saved on the lab."""
    spec = importlib.util.spec_from_file_location(
        "labsetup", pathlib.Path(__file__).parents[2] / "emulator" / "tests" / "labsetup.py")
    labsetup = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(labsetup)
    from scst_emulator import InProcessBackend  # pylint: disable=import-outside-toplevel
    from ansible_collections.scst.iscsi.plugins.module_utils.scst.info import read_configuration
    from ansible_collections.scst.iscsi.plugins.module_utils.scst.live import LiveTree
    from ansible_collections.scst.iscsi.plugins.module_utils.scst.sysfs import Sysfs

    live = LiveTree(Sysfs(InProcessBackend(labsetup.build_lab())))
    saved, report = parse_scst_conf(render_scst_conf(read_configuration(live, mask=False)))
    assert report == []
    assert saved == parse_scst_conf((FIXTURES / "scst-lab.conf").read_text())[0]


# --- the reader on hostile text ---------------------------------------------------

WORDS = st.sampled_from(["HANDLER", "DEVICE", "TARGET_DRIVER", "TARGET", "LUN", "GROUP", "INITIATOR", "HW_TARGET",
                         "DEVICE_GROUP", "TARGET_GROUP", "ALUA", "enabled", "read_only", "group_id", "state",
                         "preferred", "rel_tgt_id", "IncomingUser", "allowed_portal", "0", "1", "010", "x",
                         "vdisk_nullio", "iscsi", "{", "}", '"', "#", "\\", " ", "\t", "\n", "\n", "\r\n", "[HANDLER"])


@settings(max_examples=300, deadline=None)
@given(st.lists(WORDS, max_size=60).map("".join))
def test_any_text_is_read_completely_or_refused_with_a_line_number(text):
    try:
        config, report = parse_scst_conf(text)
    except ConfError as exc:
        number = int(re.match(r"^line (\d+)$", exc.field).group(1))
        assert 1 <= number <= text.count("\n") + 1
        assert str(exc).startswith(exc.field + ": ")
        return
    assert normalise_config(config) == config
    assert all(re.match(r"^line \d+: ", line) for line in report)
    # what was read is written back and read again the same
    assert parse_scst_conf(render_scst_conf(config))[0] == config


@settings(max_examples=200, deadline=None)
@given(configs(), st.data())
def test_a_damaged_file_is_refused_or_read_without_showing_a_secret(config, data):
    lines = render_scst_conf(config).split("\n")
    chap_lines = [i for i, line in enumerate(lines) if "User " in line]
    index = data.draw(st.sampled_from(chap_lines) if chap_lines and data.draw(st.booleans())
                      else st.integers(0, len(lines) - 1))
    damage = data.draw(st.sampled_from(["drop", "double", "brace", "split", "repeat"]))
    if damage == "drop":
        del lines[index]
    elif damage == "double":
        lines.insert(index, lines[index])
    elif damage == "repeat":      # the line as a block, then again: scstadmin keeps only the second
        lines[index:index + 1] = [lines[index] + " {", "x 1", "}", lines[index]]
    elif damage == "brace":
        lines[index] += " }"
    else:
        lines[index] = lines[index].replace('"', "")
    secrets = _secrets_of(normalise_config(config))
    try:
        _config, report = parse_scst_conf("\n".join(lines))
        shown = "\n".join(report)
    except ConfError as exc:
        shown = str(exc) + repr(exc.details)
    for secret in secrets:
        assert secret not in shown
