"""Adoption: a running host, read with scst_info and applied with scst_config
purge: true, is left exactly as it is (zero writes, changed false).

Hosts are generated straight into the emulator with SCST's own management
commands (not through the collection): devices of several handlers with
attributes inside and outside the catalog, iSCSI and scst_local targets with
LUNs, groups, CHAP accounts and portals, ALUA device groups with local and
remote targets, root attributes and logged-in sessions.  scst_info masks the
CHAP secrets; the test knows them and puts them back, as an operator would
from a vault.  Also: every scst.conf fixture applied to an empty emulator,
read back and applied again with purge writes nothing.
"""

from __future__ import annotations

import pathlib
import tempfile

import pytest
import yaml
from hypothesis import HealthCheck, given, settings, strategies as st

from scst_emulator import ScstEmulator
from scst_emulator.config import PASSTHROUGH_TYPES
from scst_emulator.model import ScsiDeviceSpec
from scst_unit_support import Runner, planned

from ansible_collections.scst.iscsi.plugins.module_utils.scst.conf import parse_scst_conf
from ansible_collections.scst.iscsi.plugins.module_utils.scst.errors import ScstError
from ansible_collections.scst.iscsi.plugins.module_utils.scst.plan import MASK
from ansible_collections.scst.iscsi.plugins.module_utils.scst.values import GROUPS_FILES, HANDLER_FILES

FIXTURES = pathlib.Path(__file__).parent / "fixtures"
IQN = "iqn.2026-11.com.example:"
NAMES = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789_-", min_size=1, max_size=8).filter(
    lambda name: name not in HANDLER_FILES + GROUPS_FILES)
# '@' appears nowhere else in the output, so a leaked secret cannot hide
SECRETS = st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_!",
                  min_size=10, max_size=30).map(lambda s: "@" + s + "@")
HEX = "0123456789abcdef"


class Host(object):
    """A host under construction: management writes, sessions and the secrets."""

    def __init__(self, with_scst_local, ports, copy_manager):
        self.with_scst_local = with_scst_local
        self.ports = ports
        # without the copy manager's LUNs a vdisk is not "exported" and takes a pr_file_name
        self.copy_manager = copy_manager
        self.writes = []
        self.sessions = []
        self.secrets = {}
        self.targets = {}    # name -> driver

    def w(self, path, data):
        self.writes.append((path, data))

    def build(self):
        emu = ScstEmulator(with_scst_local=self.with_scst_local, auto_cm_assignment=self.copy_manager,
                           hw_targets={"qla2x00t": self.ports} if self.ports else {})
        for path, data in self.writes:
            emu.write(path, data)
        for driver, target, initiator in self.sessions:
            emu.add_session(driver, target, initiator)
        return emu


def _devices(draw, host):
    names = draw(st.lists(NAMES, min_size=1, max_size=6, unique=True))
    devices = {}
    for name in names:
        handler = draw(st.sampled_from(["vdisk_nullio", "vdisk_fileio", "vdisk_blockio", "vcdrom"]))
        params = {}
        blocksize = 512
        if handler != "vcdrom":
            blocksize = draw(st.sampled_from([512, 4096]))
            if blocksize != 512 or draw(st.booleans()):
                params["blocksize"] = blocksize
            for flag in ("rotational", "removable"):
                if draw(st.booleans()):
                    params[flag] = int(flag == "removable")
            if draw(st.booleans()):
                params["t10_dev_id"] = "id-" + name
            if draw(st.booleans()):
                params["cluster_mode"] = 1       # outside the catalog
        elif draw(st.booleans()):
            params["tst"] = 0
        if handler == "vdisk_nullio":
            params["size_mb"] = draw(st.integers(1, 4096))
            for flag in ("dummy", "read_only"):
                if draw(st.booleans()):
                    params[flag] = 1
        elif handler in ("vdisk_fileio", "vdisk_blockio"):
            params["filename"] = ("/srv/%s.img" if handler == "vdisk_fileio" else "/dev/%s") % name
            cache = draw(st.sampled_from(["", "nv_cache", "write_through", "read_only"]))
            if cache:
                params[cache] = 1
            if draw(st.booleans()):
                params["thin_provisioned"] = 1
            if handler == "vdisk_fileio" and draw(st.booleans()):
                params["async"] = 1
                if draw(st.booleans()):
                    params["o_direct"] = 1
            if handler == "vdisk_blockio" and draw(st.booleans()):
                params["bind_alua_state"] = 0
        command = "add_device %s %s" % (name, ";".join("%s=%s" % p for p in sorted(params.items())))
        host.w("handlers/%s/mgmt" % handler, command.strip())
        base = "devices/" + name
        if handler == "vcdrom" and draw(st.booleans()):
            host.w(base + "/filename", "/srv/%s.iso" % name)
        written = draw(st.fixed_dictionaries({}, optional={
            "t10_vend_id": st.text("ABCXYZ", min_size=1, max_size=8),
            "prod_id": NAMES, "prod_rev_lvl": st.text("0123", min_size=1, max_size=4), "usn": NAMES,
            "threads_num": st.integers(1, 4).map(str), "threads_pool_type": st.just("shared"),
            "max_tgt_dev_commands": st.integers(1, 128).map(str),
            "eui64_id": st.text(HEX, min_size=16, max_size=16).map(lambda h: "0x" + h),
            "naa_id": st.text(HEX, min_size=15, max_size=15).map(lambda h: "0x5" + h),
            "scsi_device_name": NAMES, "inq_vend_specific": NAMES,
        }))
        if handler != "vcdrom":
            written.update(draw(st.fixed_dictionaries({}, optional={
                "opt_trans_len": st.integers(1, 64).map(lambda k: str(k * blocksize)),
                "numa_node_id": st.just("0")})))
        if handler in ("vdisk_fileio", "vdisk_blockio"):
            written.update(draw(st.fixed_dictionaries({}, optional={
                "expl_alua": st.just("1"), "lb_per_pb_exp": st.just("0")})))
        if handler == "vdisk_nullio":
            written.update(draw(st.fixed_dictionaries({}, optional={"read_zero": st.just("1")})))
        if not host.copy_manager and "cluster_mode" not in params and draw(st.booleans()):
            written["pr_file_name"] = "/var/lib/scst/pr/other-" + name     # outside the catalog
        for attr, value in sorted(written.items()):
            host.w("%s/%s" % (base, attr), value)
        devices[name] = handler
    if draw(st.booleans()):
        # the host's CD-ROM (2:0:0:0, SCSI type 5) assigned to its pass-through handler
        host.w("handlers/dev_cdrom/mgmt", "add_device 2:0:0:0")
        if draw(st.booleans()):
            host.w("devices/2:0:0:0/max_tgt_dev_commands", str(draw(st.integers(1, 63))))
        devices["2:0:0:0"] = "dev_cdrom"
    return devices


def _access(draw, path, host, *, group):
    attrs = draw(st.fixed_dictionaries({}, optional={
        "addr_method": st.sampled_from(["FLAT", "LUN"]), "io_grouping_type": st.sampled_from(["never", "3"]),
        "cpu_mask": st.just("1")}))
    if group and draw(st.booleans()):
        attrs["per_sess_dedicated_tgt_threads"] = "1"
    for attr, value in sorted(attrs.items()):
        host.w("%s/%s" % (path, attr), value)


def _luns(draw, path, devices, host):
    for number, device in sorted(draw(st.dictionaries(st.integers(0, 300), st.sampled_from(sorted(devices)),
                                                      max_size=3)).items()):
        host.w(path + "/mgmt", "add %s %d%s" % (device, number, " read_only=1" if draw(st.booleans()) else ""))


def _chap(draw, host, key, command):
    for index, user in enumerate(draw(st.lists(NAMES, max_size=2, unique=True))):
        secret = draw(SECRETS)
        host.secrets[key + ("incoming", user)] = secret
        host.w("targets/iscsi/mgmt", "%s IncomingUser %s %s" % (command, user, secret))
    if draw(st.booleans()):
        user, secret = draw(NAMES), draw(SECRETS)
        host.secrets[key + ("outgoing", user)] = secret
        host.w("targets/iscsi/mgmt", "%s OutgoingUser %s %s" % (command, user, secret))


def _iscsi(draw, devices, host):
    if draw(st.booleans()):
        host.w("targets/iscsi/enabled", "1")
    driver_attrs = draw(st.fixed_dictionaries({}, optional={
        "link_local": st.just("0"), "isns_entity_name": NAMES}))
    for attr, value in sorted(driver_attrs.items()):
        host.w("targets/iscsi/" + attr, value)
    _chap(draw, host, ("iscsi", None), "add_attribute")
    suffixes = draw(st.lists(st.text("abcdefghijklmnopqrstuvwxyz0123456789.-", min_size=1, max_size=10),
                             max_size=3, unique=True))
    for index, suffix in enumerate(suffixes):
        name = IQN + suffix
        host.targets[name] = "iscsi"
        path = "targets/iscsi/" + name
        host.w("targets/iscsi/mgmt", "add_target " + name)
        # enabling without an id would make SCST pick one that may clash with a later target's
        has_id = draw(st.booleans())
        if has_id:
            host.w(path + "/rel_tgt_id", str(index + 1))
        attrs = draw(st.fixed_dictionaries({}, optional={
            "QueuedCommands": st.integers(1, 2048).map(str), "HeaderDigest": st.just("None,CRC32C"),
            "ImmediateData": st.just("No"), "comment": st.just("rack 4, shelf 2"), "alias": NAMES,
            "forward_src": st.just("1"), "aen_disabled": st.just("1"), "MaxSessions": st.integers(1, 9).map(str)}))
        for attr, value in sorted(attrs.items()):
            host.w("%s/%s" % (path, attr), value)
        _access(draw, path, host, group=False)
        for portal in draw(st.lists(st.sampled_from(["10.0.0.1", "192.168.77.*", "!10.9.9.9"]), max_size=2,
                                    unique=True)):
            host.w("targets/iscsi/mgmt", "add_target_attribute %s allowed_portal %s" % (name, portal))
        _chap(draw, host, ("iscsi", name), "add_target_attribute " + name)
        _luns(draw, path + "/luns", devices, host)
        taken = set()
        for group in draw(st.lists(NAMES, max_size=2, unique=True)):
            gpath = "%s/ini_groups/%s" % (path, group)
            host.w(path + "/ini_groups/mgmt", "create " + group)
            for initiator in draw(st.lists(NAMES, max_size=2, unique=True)):
                initiator = "%s%s-%s" % (IQN, group, initiator)
                if initiator not in taken:
                    taken.add(initiator)
                    host.w(gpath + "/initiators/mgmt", "add " + initiator)
            _luns(draw, gpath + "/luns", devices, host)
            _access(draw, gpath, host, group=True)
        if has_id and draw(st.booleans()):
            host.w(path + "/enabled", "1")
        for initiator in draw(st.lists(st.sampled_from(sorted(taken) + [IQN + "guest"]), max_size=2, unique=True)):
            host.sessions.append(("iscsi", name, initiator))


def _scst_local(draw, devices, host):
    host.targets["scst_local_tgt"] = "scst_local"
    for name in draw(st.lists(NAMES.map(lambda n: "loc-" + n), max_size=2, unique=True)):
        host.targets[name] = "scst_local"
        sessions = draw(st.lists(NAMES, max_size=2, unique=True))
        host.w("targets/scst_local/mgmt", ("add_target %s %s" % (
            name, ";".join("session_name=" + s for s in sessions))).strip())
        if draw(st.booleans()):
            host.w("targets/scst_local/%s/scsi_transport_version" % name, "0x%x" % draw(st.integers(1, 0xffff)))
        _luns(draw, "targets/scst_local/%s/luns" % name, devices, host)


def _hardware(draw, devices, host):
    """Ports of a hardware driver: configured, never created."""
    for index, port in enumerate(host.ports):
        host.targets[port] = "qla2x00t"
        path = "targets/qla2x00t/" + port
        if draw(st.booleans()):
            host.w(path + "/rel_tgt_id", str(10 + index))
            if draw(st.booleans()):
                host.w(path + "/enabled", "1")
        _luns(draw, path + "/luns", devices, host)
        _access(draw, path, host, group=False)


def _alua(draw, devices, host):
    free = sorted(devices)
    members = sorted(host.targets)
    for dg in draw(st.lists(NAMES, max_size=2, unique=True)):
        host.w("device_groups/mgmt", "create " + dg)
        for device in draw(st.lists(st.sampled_from(free), max_size=2, unique=True)) if free else []:
            free.remove(device)
            host.w("device_groups/%s/devices/mgmt" % dg, "add " + device)
        used_ids, used_rel, in_dg = set(), set(), set()
        for tg in draw(st.lists(NAMES, max_size=2, unique=True)):
            path = "device_groups/%s/target_groups/%s" % (dg, tg)
            host.w("device_groups/%s/target_groups/mgmt" % dg, "create " + tg)
            group_id = draw(st.integers(0, 9))
            if group_id and group_id not in used_ids:
                used_ids.add(group_id)
                host.w(path + "/group_id", str(group_id))
            state = draw(st.sampled_from(["active", "nonoptimized", "standby", "unavailable", "offline",
                                          "transitioning"]))
            if state != "active" or draw(st.booleans()):
                host.w(path + "/state", state)
            if draw(st.booleans()):
                host.w(path + "/preferred", "1")
            for target in draw(st.lists(st.sampled_from(members), max_size=2, unique=True)) if members else []:
                if target not in in_dg:
                    in_dg.add(target)
                    host.w(path + "/mgmt", "add " + target)
            for remote in draw(st.lists(NAMES, max_size=2, unique=True)):
                remote = IQN + "remote-" + remote
                if remote not in in_dg:
                    in_dg.add(remote)
                    host.w(path + "/mgmt", "add " + remote)
                    # unique within the device group and unlike this host's ids (< 12): SCST
                    # reports them side by side, a clash is refused (test_apply_extended)
                    rel = draw(st.integers(0, 65535).filter(lambda i: i == 0 or i > 11 and i not in used_rel))
                    if rel:
                        used_rel.add(rel)
                        host.w("%s/%s/rel_tgt_id" % (path, remote), str(rel))


@st.composite
def hosts(draw):
    host = Host(with_scst_local=draw(st.booleans()), copy_manager=draw(st.booleans()), ports=draw(st.lists(
        st.sampled_from(["50:01:43:80:12:34:56:78", "50:01:43:80:12:34:56:79"]), max_size=2, unique=True)))
    root = draw(st.fixed_dictionaries({}, optional={
        "setup_id": st.integers(1, 0xFFFFFFFF).map(hex), "threads": st.integers(3, 8).map(str),
        "max_tasklet_cmd": st.integers(0, 99).map(str), "poll_us": st.integers(1, 99).map(str),
        "force_global_sgv_pool": st.just("1"), "cluster_name": NAMES}))
    for attr, value in sorted(root.items()):
        host.w(attr, value)
    devices = _devices(draw, host)
    _iscsi(draw, devices, host)
    if host.with_scst_local:
        _scst_local(draw, devices, host)
    _hardware(draw, devices, host)
    _alua(draw, devices, host)
    return host


def _unmask(config, secrets):
    """The masked secrets replaced by the real ones (an operator's vault)."""
    for driver, dspec in config.get("drivers", {}).items():
        places = [(None, dspec.get("chap", {}))]
        places += [(name, tspec.get("chap", {})) for name, tspec in dspec.get("targets", {}).items()]
        for target, chap in places:
            for direction, accounts in chap.items():
                for account in accounts:
                    assert account["password"] == MASK
                    account["password"] = secrets[(driver, target, direction, account["username"])]
    return config


class _Patch(object):
    def __init__(self):
        self._undo = []

    def setattr(self, obj, name, value):
        self._undo.append((obj, name, getattr(obj, name)))
        setattr(obj, name, value)

    def undo(self):
        for obj, name, value in reversed(self._undo):
            setattr(obj, name, value)


def _adopt(emu, secrets):
    """scst_info as_yaml -> the variables (secrets put back) -> scst_config purge: true."""
    patch = _Patch()
    try:
        run = Runner(emu, patch, pathlib.Path(tempfile.mkdtemp()))
        info = run("scst_info", {"as_yaml": True})
        assert not info["failed"], info
        for secret in secrets.values():
            assert secret not in repr(info)
        variables = _unmask(yaml.safe_load(info["scst_yaml"])["scst_config"], secrets)
        before = emu.dump()
        for check in (True, False):
            applied = run("scst_config", {"config": variables, "purge": True, "persist": False}, check=check)
            assert not applied["failed"], applied["msg"]
            assert applied["changed"] is False and planned(applied) == [], planned(applied)
            assert run.writes == []
        assert emu.dump() == before
    finally:
        patch.undo()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(hosts())
def test_a_running_host_is_adopted_without_a_write(host):
    emu = host.build()
    _adopt(emu, host.secrets)


def _fixtures():
    found = []
    for path in sorted(FIXTURES.glob("*.conf")):
        try:
            found.append((path.name, parse_scst_conf(path.read_text())[0]))
        except ScstError:
            continue  # another program's configuration (ietd.conf, targets.conf): scst_import reads those
    return found


FIXTURE_CONFIGS = _fixtures()


def test_there_are_scst_conf_fixtures():
    assert len(FIXTURE_CONFIGS) >= 3, [name for name, _config in FIXTURE_CONFIGS]


def _emulator_for(config):
    """An empty SCST on a host with the SCSI devices the configuration assigns to pass-through
    handlers and the hardware ports it configures."""
    scsi = [ScsiDeviceSpec(name, PASSTHROUGH_TYPES[handler])
            for handler, hspec in config["handlers"].items() if handler in PASSTHROUGH_TYPES
            for name in hspec["devices"]]
    ports = dict((driver, [t for t, tspec in dspec["targets"].items() if tspec.get("hw_target")])
                 for driver, dspec in config["drivers"].items())
    # the copy manager's LUNs make every vdisk "exported", and SCST then refuses pr_file_name (SYSFS-SPEC 5.7)
    pr_file = any("pr_file_name" in d["attributes"] for h in config["handlers"].values() for d in h["devices"].values())
    return ScstEmulator(scsi_devices=scsi, with_scst_local="scst_local" in config["drivers"],
                        scst_local_default_target=False, hw_targets=dict((d, p) for d, p in ports.items() if p),
                        auto_cm_assignment=not pr_file)


@pytest.mark.parametrize("name,config", FIXTURE_CONFIGS, ids=[name for name, _config in FIXTURE_CONFIGS])
def test_every_scst_conf_fixture_applies_and_is_adopted(name, config):
    emu = _emulator_for(config)
    patch = _Patch()
    try:
        run = Runner(emu, patch, pathlib.Path(tempfile.mkdtemp()))
        applied = run("scst_config", {"config": config, "purge": True, "persist": False})
        assert not applied["failed"], applied["msg"]
        assert applied["changed"] is True
    finally:
        patch.undo()
    secrets = {}
    for driver, dspec in config["drivers"].items():
        places = [(None, dspec.get("chap", {}))]
        places += [(tname, tspec.get("chap", {})) for tname, tspec in dspec["targets"].items()]
        for target, chap in places:
            for direction, accounts in chap.items():
                for account in accounts:
                    secrets[(driver, target, direction, account["username"])] = account["password"]
    _adopt(emu, secrets)
