"""The volume identity filters (scst.iscsi.scst_identity):

* the derivation is a function of the volume id only: the same on every call and in another
  interpreter (a second node), and two volume ids never share an identifier;
* every derived value is one the collection's attribute rules (SCST's) accept, as it is;
* a bad volume id, whatever it holds, is refused with an error naming the field and the rule;
* the cross-node comparison names the volume (or ALUA object) and the hosts of each mismatch.
"""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys

import pytest
from hypothesis import example, given, settings, strategies as st

from ansible.errors import AnsibleFilterError

from ansible_collections.scst.iscsi.plugins.filter import scst_identity as ident
from ansible_collections.scst.iscsi.plugins.module_utils.scst import catalog
from ansible_collections.scst.iscsi.plugins.module_utils.scst.conf import normalise_config

VALID_ID = st.from_regex(r"\A[A-Za-z0-9][A-Za-z0-9._:-]{0,63}\Z")
HOSTILE_CHARS = list("a9.-:_ /\\\t\n\r\x00\x7f\u00e9\u2028\U0001f600;=\"'{}")
HOSTILE = st.one_of(st.text(max_size=80), st.text(st.sampled_from(HOSTILE_CHARS), max_size=80))
BAD_IDS = ["", ".", "..", "../x", "a/b", "a b", "a\nb", "a\x00b", "-a", ".a", "_a", ":a", "a" * 65, "\u00e9t\u00e9",
           "a;b", "a=b", "\U0001f600"]

# Computed once by hand from the specification of the derivation: a change of the derivation
# changes every identity of every deployed volume, which this pin makes visible.
PINNED = {"t10_dev_id": "75bb41cc3b3c61ae296082d1", "usn": "890331ce9c654b19",
          "vend_specific_id": "75bb41cc3b3c61ae296082d1", "naa_id": "0x38572ade0e201f61",
          "eui64_id": "0x424b8927f5164851"}


def config(volumes=("data0", "data1"), handler="vdisk_blockio", **attrs):
    devices = dict((name, {"filename": "/dev/vg/%s" % name, "attributes": dict(attrs.get(name, {}))})
                   for name in volumes)
    return {"handlers": {handler: {"devices": devices}}}


def test_pinned_identity():
    assert ident.volume_identity("db-data") == PINNED


def test_another_interpreter_derives_the_same():
    """A second node is another process (another hash seed): the same identity."""
    code = ("import json; from ansible_collections.scst.iscsi.plugins.filter.scst_identity import volume_identity;"
            "print(json.dumps(volume_identity('db-data')))")
    env = dict(os.environ, PYTHONHASHSEED="12345")
    out = subprocess.run([sys.executable, "-c", code], env=env, check=True, capture_output=True, text=True)
    assert json.loads(out.stdout) == PINNED


@settings(max_examples=300, deadline=None)
@given(VALID_ID)
@example("a")
@example("Z" * 64)
def test_derived_values_are_valid_and_stable(volume_id):
    first = ident.volume_identity(volume_id)
    assert ident.volume_identity(volume_id) == first
    assert set(first) == set(ident.DERIVED)
    for name, value in first.items():
        # as SCST stores and shows it: the normalised form is the value itself
        assert catalog.DEVICE_ATTRS[name].desired(name, value) == value, name
    assert first["naa_id"].startswith("0x3") and len(first["naa_id"]) == 18
    assert int(first["eui64_id"], 16) >> 56 & 0x03 == 0x02   # locally administered, unicast
    assert len(first["t10_dev_id"]) <= 25 and len(first["usn"]) <= 20


@settings(max_examples=300, deadline=None)
@given(VALID_ID, VALID_ID)
@example("vol1", "vol2")
@example("a", "A")
def test_different_ids_never_share_an_identifier(one, other):
    if one == other:
        return
    first, second = ident.volume_identity(one), ident.volume_identity(other)
    for name in ident.DERIVED:
        assert first[name] != second[name], name


@pytest.mark.parametrize("bad", BAD_IDS + [7, 1.5, True, None, ["a"], {"a": 1}])
def test_bad_volume_id_names_the_field(bad):
    with pytest.raises(AnsibleFilterError) as info:
        ident.identity_config(config(volumes=("data0",)), {"data0": bad})
    assert str(info.value).startswith("scst_target_volumes.data0: the volume id must be")


@settings(max_examples=400, deadline=None)
@given(HOSTILE)
def test_hostile_volume_id_is_refused_or_valid(volume_id):
    try:
        identity = ident.volume_identity(volume_id, "scst_target_volumes.x")
    except AnsibleFilterError as exc:
        assert str(exc).startswith("scst_target_volumes.x: the volume id must be")
        assert "\n" not in str(exc) and "\x00" not in str(exc)
        return
    assert ident._VOLUME_ID.match(volume_id) and len(volume_id) <= ident.VOLUME_ID_MAX
    for name, value in identity.items():
        assert catalog.DEVICE_ATTRS[name].desired(name, value) == value


def test_identity_config_adds_attributes_and_keeps_explicit_ones():
    given_config = config(data0={"rotational": 0, "usn": "OPERATOR1"})
    before = copy.deepcopy(given_config)
    result = ident.identity_config(given_config, {"data0": "vol-0", "data1": "vol-1"})
    assert given_config == before   # the input is not changed
    attrs = result["handlers"]["vdisk_blockio"]["devices"]["data0"]["attributes"]
    derived = ident.volume_identity("vol-0")
    assert attrs["usn"] == "OPERATOR1" and attrs["rotational"] == 0
    assert attrs["t10_dev_id"] == derived["t10_dev_id"] and attrs["naa_id"] == derived["naa_id"]
    assert result["handlers"]["vdisk_blockio"]["devices"]["data1"]["attributes"]["usn"] == \
        ident.volume_identity("vol-1")["usn"]
    # what scst_config takes
    normal = normalise_config(result)
    assert normal["handlers"]["vdisk_blockio"]["devices"]["data1"]["attributes"]["eui64_id"] == \
        ident.volume_identity("vol-1")["eui64_id"]
    # no volumes: the configuration as it is
    assert ident.identity_config(given_config, {}) is given_config


@pytest.mark.parametrize("volumes, cfg, message", [
    ({"ghost": "v1"}, config(), "scst_target_volumes.ghost: no device ghost in scst_target_config"),
    ({"data0": "v1", "data1": "v1"}, config(),
     "scst_target_volumes.data1: volume id v1 is given to two devices (data0 and data1)"),
    ({"0:0:0:1": "v1"}, {"handlers": {"dev_disk": {"devices": {"0:0:0:1": {}}}}},
     "scst_target_volumes.0:0:0:1: device 0:0:0:1 is a dev_disk device"),
    (["data0"], config(), "scst_target_volumes: must be a mapping"),
])
def test_bad_volumes_name_the_field(volumes, cfg, message):
    with pytest.raises(AnsibleFilterError) as info:
        ident.identity_config(cfg, volumes)
    assert str(info.value).startswith(message)


# -- the HA group ---------------------------------------------------------------------------

def node(local, peer, local_rel, peer_rel, *, volumes=None, state_a="active", attrs=None, pin=True):
    """An HA node's configuration: one device group with both volumes, target group A (group_id 1)
    and B (group_id 2), the local target a member by name, the peer's a remote member."""
    cfg = config(**(attrs or {}))
    cfg["drivers"] = {"iscsi": {"targets": {local: {"attributes": {"rel_tgt_id": local_rel} if pin else {}}}}}
    members = {local: {}, peer: {"rel_tgt_id": peer_rel}}
    cfg["device_groups"] = {"dg0": {"devices": ["data0", "data1"], "target_groups": {
        "tg_a": {"group_id": 1, "state": state_a, "targets": {"iqn.x:a": members["iqn.x:a"]}},
        "tg_b": {"group_id": 2, "state": "standby", "targets": {"iqn.x:b": members["iqn.x:b"]}},
    }}}
    return ident.ha_layout(cfg, volumes if volumes is not None else {"data0": "vol-0", "data1": "vol-1"})


def pair(**b_changes):
    return {"node-a": node("iqn.x:a", "iqn.x:b", 1, 2),
            "node-b": node("iqn.x:b", "iqn.x:a", 2, 1, **b_changes)}


def test_agreeing_pair_has_no_mismatch():
    layouts = pair()
    assert ident.ha_mismatches(layouts) == []
    assert json.loads(json.dumps(layouts)) == layouts   # plain data, as a fact of the host


def test_layout_holds_no_secret():
    cfg = config()
    cfg["drivers"] = {"iscsi": {"chap": {"incoming": [{"username": "u", "password": "Secret-Secret-1"}]},
                                "targets": {"iqn.x:a": {"chap": {"incoming": [
                                    {"username": "h", "password": "Secret-Secret-2"}]}}}}}
    assert "Secret-Secret" not in json.dumps(ident.ha_layout(cfg, {"data0": "v0"}))


@pytest.mark.parametrize("b_changes, expected", [
    ({"volumes": {"data0": "vol-0", "data1": "vol-X"}},
     "volume data1: volume_id differs: vol-1 on node-a; vol-X on node-b"),
    ({"volumes": {"data0": "vol-0", "data1": "vol-X"}},
     "volume data1 (vol-1): usn differs: "),
    ({"attrs": {"data0": {"naa_id": "0x3000000000000001"}}},
     "volume data0 (vol-0): naa_id differs: 0x3000000000000001 on node-b; 0x3"),
    ({"volumes": {"data0": "vol-0"}}, "volume data1: on node-a, not on node-b"),
    ({"volumes": {"data0": "vol-0"}}, "device group dg0 on node-b: data1 without a volume id"),
    ({"state_a": "standby"}, "target group dg0/tg_a: state differs: active on node-a; standby on node-b"),
    ({"pin": False}, "target iqn.x:b: node-a names it with rel_tgt_id 2, its own node node-b does not pin"),
])
def test_mismatch_names_the_volume_and_the_hosts(b_changes, expected):
    problems = ident.ha_mismatches(pair(**b_changes))
    assert any(p.startswith(expected) for p in problems), problems


def test_wrong_remote_port_id_and_shared_port_ids():
    layouts = {"node-a": node("iqn.x:a", "iqn.x:b", 1, 3), "node-b": node("iqn.x:b", "iqn.x:a", 2, 1)}
    assert "target iqn.x:b: node-a names it with rel_tgt_id 3, its own node node-b gives it rel_tgt_id 2" in \
        ident.ha_mismatches(layouts)
    layouts = {"node-a": node("iqn.x:a", "iqn.x:b", 1, 1), "node-b": node("iqn.x:b", "iqn.x:a", 1, 1)}
    assert any(p.startswith("rel_tgt_id 1 names iqn.x:a and iqn.x:b") for p in ident.ha_mismatches(layouts))


def test_host_without_layout_is_left_out():
    layouts = pair()
    layouts["node-c"] = None
    assert ident.ha_mismatches(layouts) == []


def test_group_hosts_outside_the_run_are_compared_from_their_inventory():
    """The fact of a host of the run, else its inventory's configuration, else left out."""
    cfg_b = config()
    hostvars = {
        "node-a": {"__scst_target_ha_layout": ident.ha_layout(config(), {"data0": "vol-0"})},
        "node-b": {"scst_target_config": cfg_b, "scst_target_volumes": {"data0": "vol-9"}},
        "node-c": {},
    }
    problems = ident.group_mismatches(hostvars, ["node-a", "node-b", "node-c"])
    assert problems[0] == "volume data0: volume_id differs: vol-0 on node-a; vol-9 on node-b"
    hostvars["node-b"]["scst_target_volumes"] = {"data0": "vol-0"}
    assert ident.group_mismatches(hostvars, ["node-a", "node-b", "node-c"]) == []
    hostvars["node-b"]["scst_target_volumes"] = {"data0": "a b"}
    with pytest.raises(AnsibleFilterError) as info:
        ident.group_mismatches(hostvars, ["node-a", "node-b"])
    assert str(info.value).startswith("scst_target_volumes.data0: the volume id must be")
    assert str(info.value).endswith("(inventory of node-b)")


def test_volumes_error_is_a_message():
    assert ident.volumes_error(config(), {"data0": "vol-0"}) == ""
    assert ident.volumes_error(config(), {"data0": 1}).startswith("scst_target_volumes.data0: the volume id must be")


def test_filters_are_registered():
    assert set(ident.FilterModule().filters()) == {
        "scst_volume_identity", "scst_identity_config", "scst_ha_layout", "scst_ha_mismatches",
        "scst_ha_group_mismatches", "scst_volumes_error"}
