"""Laws that hold for any valid desired state:

* applying it, then applying it again, writes nothing the second time;
* reading the host back gives the desired state;
* check mode predicts exactly the writes a real run makes.
"""

from __future__ import annotations

import pathlib
import tempfile

from hypothesis import HealthCheck, given, settings, strategies as st

from scst_unit_support import Runner, planned
from scst_emulator import ScstEmulator
from ansible_collections.scst.iscsi.plugins.module_utils.scst.values import GROUPS_FILES, HANDLER_FILES

# Names of sysfs files beside the devices and groups are refused (test_bad_inputs):
# the property run found that a device named trace_level was created but hidden.
NAMES = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789_-", min_size=1, max_size=12).filter(
    lambda name: name not in HANDLER_FILES + GROUPS_FILES)
# '@' appears nowhere else in the output, so a leaked secret cannot hide
SECRETS = st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_!",
                  min_size=10, max_size=40).map(lambda s: "@" + s + "@")
IQN_SUFFIX = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789.-", min_size=1, max_size=20)

DEVICE_ATTRS = {
    "vdisk_fileio": st.fixed_dictionaries({}, optional={
        "blocksize": st.sampled_from([512, 1024, 2048, 4096]), "nv_cache": st.booleans(),
        "rotational": st.booleans(), "prod_id": NAMES, "t10_vend_id": st.text("ABCXYZ", min_size=1, max_size=8),
        "threads_num": st.integers(1, 16)}),
    "vdisk_nullio": st.fixed_dictionaries({"size_mb": st.integers(1, 1 << 20)}, optional={
        "dummy": st.booleans(), "read_only": st.booleans(), "blocksize": st.sampled_from([512, 4096]),
        "read_zero": st.booleans()}),
    "vdisk_blockio": st.fixed_dictionaries({}, optional={
        "write_through": st.booleans(), "removable": st.booleans(), "usn": NAMES}),
}


@st.composite
def desired_states(draw):
    device_names = draw(st.lists(NAMES, min_size=1, max_size=6, unique=True))
    devices = []
    for name in device_names:
        handler = draw(st.sampled_from(sorted(DEVICE_ATTRS)))
        dev = {"name": name, "handler": handler, "attributes": draw(DEVICE_ATTRS[handler])}
        if handler != "vdisk_nullio":
            dev["filename"] = ("/dev/" if handler == "vdisk_blockio" else "/srv/") + name
        devices.append(dev)
    targets = []
    for suffix in draw(st.lists(IQN_SUFFIX, min_size=1, max_size=3, unique=True)):
        name = "iqn.2026-11.com.example:" + suffix
        luns = draw(st.dictionaries(st.integers(0, 16383), st.sampled_from(device_names), max_size=4))
        groups = {}
        for group in draw(st.lists(NAMES, max_size=2, unique=True)):
            groups[group] = {
                "initiators": sorted(set("iqn.2026-11.com.example:%s-%s" % (group, i)
                                         for i in draw(st.lists(NAMES, max_size=3, unique=True)))),
                "luns": draw(st.dictionaries(st.integers(0, 255), st.sampled_from(device_names), max_size=3)),
            }
        targets.append({
            "name": name,
            "attributes": draw(st.fixed_dictionaries({}, optional={
                "QueuedCommands": st.integers(1, 2048), "HeaderDigest": st.sampled_from(
                    ["None", "CRC32C", "CRC32C,None"]), "ImmediateData": st.booleans(),
                "alias": NAMES, "NopInInterval": st.integers(0, 65535)})),
            "enabled": draw(st.booleans()),
            "luns": luns,
            "groups": groups,
            "chap_in": draw(st.dictionaries(NAMES, SECRETS, max_size=2)),
            "chap_out": draw(st.one_of(st.none(), st.tuples(NAMES, SECRETS))),
        })
    return devices, targets


def module_calls(devices, targets):
    """The desired state as the sequence of module calls a playbook would make."""
    for dev in devices:
        yield "scst_device", dev
    for tgt in targets:
        yield "scst_target", {"name": tgt["name"], "attributes": tgt["attributes"]}
        for lun, device in sorted(tgt["luns"].items()):
            yield "scst_lun", {"target": tgt["name"], "lun": lun, "device": device}
        for group, spec in sorted(tgt["groups"].items()):
            yield "scst_group", {"target": tgt["name"], "name": group, "initiators": spec["initiators"],
                                 "luns": [{"lun": n, "device": d} for n, d in sorted(spec["luns"].items())]}
        for user, secret in sorted(tgt["chap_in"].items()):
            yield "scst_chap", {"target": tgt["name"], "username": user, "password": secret}
        if tgt["chap_out"]:
            yield "scst_chap", {"target": tgt["name"], "direction": "outgoing",
                                "username": tgt["chap_out"][0], "password": tgt["chap_out"][1]}
        yield "scst_target", {"name": tgt["name"], "enabled": tgt["enabled"]}


class _Patch(object):
    def __init__(self):
        self._undo = []

    def setattr(self, obj, name, value):
        self._undo.append((obj, name, getattr(obj, name)))
        setattr(obj, name, value)

    def undo(self):
        for obj, name, value in reversed(self._undo):
            setattr(obj, name, value)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(desired_states())
def test_apply_twice_read_back_and_check_mode_prediction(state):
    devices, targets = state
    patch = _Patch()
    try:
        run = Runner(ScstEmulator(), patch, pathlib.Path(tempfile.mkdtemp()))
        calls = list(module_calls(devices, targets))
        for module, args in calls:
            predicted = run(module, args, check=True)
            assert not predicted["failed"], predicted
            assert run.writes == []
            real = run(module, args)
            assert not real["failed"], real
            assert planned(real) == planned(predicted)
            assert [w[0] for w in run.writes] == [w[0] for w in planned(real)]
        for module, args in calls:
            again = run(module, args)
            assert again["changed"] is False, (module, args, again["plan"])
            assert run.writes == []
        _assert_read_back(run("scst_info")["scst"], devices, targets)
    finally:
        patch.undo()


def _assert_read_back(info, devices, targets):
    handlers = info["handlers"]
    for dev in devices:
        live = handlers[dev["handler"]]["devices"][dev["name"]]
        if "filename" in dev:
            assert live["filename"] == dev["filename"]
        for attr, value in dev["attributes"].items():
            want = str(int(value)) if isinstance(value, (bool, int)) else str(value)
            if attr == "size_mb":
                continue  # never [key] in SCST; checked by idempotence above
            # scst_info reports what SCST marks as set; a value equal to the
            # default is marked only when it was written (at creation, where
            # every requested attribute is written)
            if want == _default(dev, attr):
                assert live["attributes"].get(attr, want) == want, (attr, live)
            else:
                assert live["attributes"].get(attr) == want, (dev, live)
    live_targets = info["drivers"]["iscsi"]["targets"]
    assert sorted(live_targets) == sorted(t["name"] for t in targets)
    for tgt in targets:
        live = live_targets[tgt["name"]]
        assert live["enabled"] == tgt["enabled"]
        assert {n: l["device"] for n, l in live["luns"].items()} == tgt["luns"]
        assert sorted(live["groups"]) == sorted(tgt["groups"])
        for group, spec in tgt["groups"].items():
            assert live["groups"][group]["initiators"] == spec["initiators"]
            assert {n: l["device"] for n, l in live["groups"][group]["luns"].items()} == spec["luns"]
        assert sorted(a["username"] for a in live["chap"].get("incoming", [])) == sorted(tgt["chap_in"])
        out = live["chap"].get("outgoing", [])
        assert [a["username"] for a in out] == ([tgt["chap_out"][0]] if tgt["chap_out"] else [])
        for secret in list(tgt["chap_in"].values()) + ([tgt["chap_out"][1]] if tgt["chap_out"] else []):
            assert secret not in repr(info)


def _default(dev, attr):
    if attr in ("prod_id",):
        return dev["name"][:16]
    if attr in ("usn", "t10_vend_id"):
        return None  # never written equal to a default in these tests
    if attr == "threads_num":
        return "8" if dev["handler"] == "vdisk_fileio" else "1"
    return {"blocksize": "512", "rotational": "1"}.get(attr, "0")
