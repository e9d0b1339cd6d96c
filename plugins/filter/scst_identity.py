# -*- coding: utf-8 -*-
# Copyright: scst.iscsi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One identity per volume on every node of an HA group.

A device that two nodes export must look like one device to the initiators:
the same T10 device id, unit serial number and NAA/EUI-64 designators
(multipath groups paths by them).  Each node derives them from the volume id
the operator gives the device (``scst_target_volumes: {DEVICE: VOLUME_ID}``),
with a hash, so every node computes the same values without talking to the
others; attributes the operator writes in the configuration win.

``scst_ha_layout`` reduces one node's configuration to what must agree across
the group (volume identities and the ALUA layout, no secret), and
``scst_ha_mismatches`` compares the nodes' layouts.
"""

from __future__ import annotations

import copy
import hashlib
import re

from ansible.errors import AnsibleFilterError

from ansible_collections.scst.iscsi.plugins.module_utils.scst import catalog
from ansible_collections.scst.iscsi.plugins.module_utils.scst.errors import ValidationError

# Changing this prefix changes every derived identity: never change it.
_DOMAIN = b"scst.iscsi volume identity v1\x00"
VOLUME_ID_MAX = 64
_VOLUME_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]*$")
# Derived for every volume; each is checked against the collection's attribute rules.
DERIVED = ("t10_dev_id", "usn", "vend_specific_id", "naa_id", "eui64_id")
# Compared across the nodes: the derived ones and the rest of what INQUIRY reports.
IDENTITY_ATTRS = DERIVED + ("t10_vend_id", "prod_id", "prod_rev_lvl", "scsi_device_name", "cluster_mode")
# Handlers whose devices have the identity attributes and take t10_dev_id at creation.
VOLUME_HANDLERS = catalog.VDISK
VOLUMES_FIELD = "scst_target_volumes"


def _fail(field, rule):
    raise AnsibleFilterError("%s: %s" % (field, rule))


def check_volume_id(field, volume_id):
    """The volume id, or an error naming ``field``: 1-64 ASCII letters, digits, '.', '_', ':', '-',
    starting with a letter or digit, and a string (YAML turns 0001 into the number 1)."""
    if not isinstance(volume_id, str):
        _fail(field, "the volume id must be a string (quote it: a YAML number loses its leading zeros), "
                     "got %s" % type(volume_id).__name__)
    if not volume_id or len(volume_id) > VOLUME_ID_MAX or not _VOLUME_ID.match(volume_id):
        _fail(field, "the volume id must be 1 to %d ASCII letters, digits, '.', '_', ':' or '-', starting "
                     "with a letter or a digit" % VOLUME_ID_MAX)
    return volume_id


def volume_identity(volume_id, field=VOLUMES_FIELD):
    """The identity attributes of a volume, the same on every node and every call.

    t10_dev_id (24 hex digits, SCST allows 25 characters), usn (16 hex digits, SCST allows 20),
    vend_specific_id (= t10_dev_id, as SCST's default), naa_id (NAA type 3, locally assigned:
    16 hex digits starting with 3; a registered NAA type 5 or 6 needs an OUI the collection does
    not own) and eui64_id (16 hex digits, the locally administered bit set, not multicast).
    """
    check_volume_id(field, volume_id)
    digest = hashlib.sha512(_DOMAIN + volume_id.encode("ascii")).hexdigest()   # 128 hex digits
    eui = (int(digest[40:56], 16) | (0x02 << 56)) & ~(0x01 << 56)
    return {
        "t10_dev_id": digest[0:24],
        "usn": digest[24:40],
        "vend_specific_id": digest[0:24],
        "naa_id": "0x3" + digest[56:71],
        "eui64_id": "0x%016x" % eui,
    }


def _mapping(field, value):
    if value is None:
        return {}
    if not isinstance(value, dict):
        _fail(field, "must be a mapping")
    return value


def _devices(config):
    """{device: (handler, spec)} of a configuration."""
    found = {}
    handlers = _mapping("scst_target_config.handlers", _mapping("scst_target_config", config).get("handlers"))
    for handler, hspec in handlers.items():
        for name, dspec in _mapping("scst_target_config.handlers.%s.devices" % handler,
                                    _mapping("scst_target_config.handlers.%s" % handler, hspec).get("devices")).items():
            found[name] = (handler, dspec if isinstance(dspec, dict) else {})
    return found


def _check_volumes(config, volumes):
    volumes = _mapping(VOLUMES_FIELD, volumes)
    devices = _devices(config)
    seen = {}
    for device, volume_id in volumes.items():
        field = "%s.%s" % (VOLUMES_FIELD, device)
        check_volume_id(field, volume_id)
        if device not in devices:
            _fail(field, "no device %s in scst_target_config (a volume id names a device of a vdisk handler)"
                  % device)
        if devices[device][0] not in VOLUME_HANDLERS:
            _fail(field, "device %s is a %s device: volume ids are for %s devices"
                  % (device, devices[device][0], ", ".join(VOLUME_HANDLERS)))
        if volume_id in seen:
            _fail(field, "volume id %s is given to two devices (%s and %s): each volume has its own id"
                  % (volume_id, seen[volume_id], device))
        seen[volume_id] = device
    return volumes, devices


def identity_config(config, volumes):
    """``config`` with the identity attributes of each volume added to its device's attributes.

    Attributes the configuration gives explicitly are kept.  The configuration is not changed.
    """
    volumes, devices = _check_volumes(config, volumes)
    if not volumes:
        return config
    result = copy.deepcopy(config)
    for device, volume_id in volumes.items():
        handler = devices[device][0]
        spec = result["handlers"][handler]["devices"][device]
        if spec is None:
            spec = result["handlers"][handler]["devices"][device] = {}
        attributes = dict(_mapping("scst_target_config.handlers.%s.devices.%s.attributes" % (handler, device),
                                   spec.get("attributes")))
        for name, value in volume_identity(volume_id, "%s.%s" % (VOLUMES_FIELD, device)).items():
            attributes.setdefault(name, value)
        spec["attributes"] = attributes
    return result


def volumes_error(config, volumes):
    """The first rule ``scst_target_volumes`` breaks, in words naming the field; empty when none."""
    try:
        _check_volumes(config, volumes)
    except AnsibleFilterError as exc:
        return exc.message
    return ""


def _canonical(name, value):
    spec = catalog.DEVICE_ATTRS.get(name)
    if isinstance(value, bool):
        value = int(value)
    if spec is None:
        return str(value).strip()
    try:
        return spec.desired(name, value)
    except ValidationError:
        return str(value)   # scst_config names the field and the rule in the preflight


def ha_layout(config, volumes):
    """What must agree across an HA group, from one node's configuration (no secret):
    ``volumes`` {device: {volume_id, handler, identity}}, ``device_groups`` (ALUA, members by name),
    ``local_targets`` {target: rel_tgt_id or None}, ``remote_targets`` {target: rel_tgt_id}."""
    effective = identity_config(config, volumes)
    volumes = _check_volumes(config, volumes)[0]
    effective_devices = _devices(effective)
    layout = {"volumes": {}, "device_groups": {}, "local_targets": {}, "remote_targets": {}}
    for device, volume_id in sorted(volumes.items()):
        handler, spec = effective_devices[device]
        attributes = _mapping("attributes", spec.get("attributes"))
        layout["volumes"][device] = {
            "volume_id": volume_id, "handler": handler,
            "identity": dict((name, _canonical(name, attributes[name]))
                             for name in IDENTITY_ATTRS if name in attributes)}
    for driver, dspec in _mapping("drivers", effective.get("drivers")).items():
        for target, tspec in _mapping("drivers.%s.targets" % driver, _mapping(driver, dspec).get("targets")).items():
            rel = _mapping("attributes", _mapping(target, tspec).get("attributes")).get("rel_tgt_id")
            layout["local_targets"][str(target)] = None if rel is None else str(rel)
    for group, gspec in _mapping("device_groups", effective.get("device_groups")).items():
        gspec = _mapping(group, gspec)
        target_groups = {}
        for tg_name, tspec in _mapping("target_groups", gspec.get("target_groups")).items():
            tspec = _mapping(tg_name, tspec)
            members = tspec.get("targets") or {}
            if isinstance(members, list):
                members = dict((name, {}) for name in members)
            for member, mspec in _mapping("targets", members).items():
                rel = _mapping(member, mspec).get("rel_tgt_id")
                if rel is not None and str(member) not in layout["local_targets"]:
                    layout["remote_targets"][str(member)] = str(rel)
            target_groups[str(tg_name)] = {
                "group_id": None if tspec.get("group_id") is None else str(tspec["group_id"]),
                "state": str(tspec.get("state", "active")),
                "preferred": bool(tspec.get("preferred", False)),
                "targets": sorted(str(m) for m in members),
            }
        layout["device_groups"][str(group)] = {
            "devices": sorted(str(d) for d in gspec.get("devices") or []),
            "target_groups": target_groups,
        }
    return layout


def _by_value(hosts, value_of):
    """{value: [hosts]} for the hosts, the value a string for the message."""
    seen = {}
    for host in hosts:
        seen.setdefault(value_of(host), []).append(host)
    return seen


def _differs(what, hosts, value_of):
    seen = _by_value(hosts, value_of)
    if len(seen) < 2:
        return []
    return ["%s differs: %s" % (what, "; ".join("%s on %s" % (value, ", ".join(on))
                                                for value, on in sorted(seen.items())))]


def ha_mismatches(layouts):
    """Every disagreement between the nodes' layouts ({host: layout}), in words naming the volume
    (or the ALUA object) and the hosts; empty when they agree.  A host whose layout is None (not
    in this run, nothing in its inventory) is left out."""
    layouts = dict((host, layout) for host, layout in sorted(layouts.items()) if layout is not None)
    hosts = sorted(layouts)
    problems = []
    for host in hosts:
        volumes = layouts[host]["volumes"]
        for group, gspec in sorted(layouts[host]["device_groups"].items()):
            missing = [d for d in gspec["devices"] if d not in volumes]
            if missing:
                problems.append("device group %s on %s: %s without a volume id in %s (a device of an HA "
                                "group needs the same identity on every node)"
                                % (group, host, ", ".join(missing), VOLUMES_FIELD))
    if len(hosts) < 2:
        return problems
    devices = sorted(set(d for host in hosts for d in layouts[host]["volumes"]))
    for device in devices:
        having = [host for host in hosts if device in layouts[host]["volumes"]]
        if len(having) < len(hosts):
            problems.append("volume %s: on %s, not on %s" % (
                device, ", ".join(having), ", ".join(h for h in hosts if h not in having)))
        volume = dict((host, layouts[host]["volumes"][device]) for host in having)
        problems += _differs("volume %s: volume_id" % device, having, lambda h: volume[h]["volume_id"])
        problems += _differs("volume %s: handler" % device, having, lambda h: volume[h]["handler"])
        for name in IDENTITY_ATTRS:
            problems += _differs("volume %s (%s): %s" % (device, volume[having[0]]["volume_id"], name), having,
                                 lambda h, n=name: volume[h]["identity"].get(n, "(SCST's default)"))
    groups = sorted(set(g for host in hosts for g in layouts[host]["device_groups"]))
    for group in groups:
        having = [host for host in hosts if group in layouts[host]["device_groups"]]
        if len(having) < len(hosts):
            problems.append("device group %s: on %s, not on %s" % (
                group, ", ".join(having), ", ".join(h for h in hosts if h not in having)))
        dgs = dict((host, layouts[host]["device_groups"][group]) for host in having)
        problems += _differs("device group %s: devices" % group, having, lambda h: " ".join(dgs[h]["devices"]))
        tgs = sorted(set(t for host in having for t in dgs[host]["target_groups"]))
        for tg_name in tgs:
            tg_having = [host for host in having if tg_name in dgs[host]["target_groups"]]
            if len(tg_having) < len(having):
                problems.append("target group %s/%s: on %s, not on %s" % (
                    group, tg_name, ", ".join(tg_having), ", ".join(h for h in having if h not in tg_having)))
            for key in ("group_id", "state", "preferred", "targets"):
                problems += _differs("target group %s/%s: %s" % (group, tg_name, key), tg_having,
                                     lambda h, k=key: str(dgs[h]["target_groups"][tg_name][k]))
    problems += _port_id_mismatches(layouts, hosts)
    return problems


def group_mismatches(hostvars, hosts):
    """``ha_mismatches`` of the HA group's ``hosts``, from ``hostvars``: the layout a host of this
    run computed (the fact ``__scst_target_ha_layout``), else the one of the configuration in its
    inventory (a host outside the run), else none (the host is left out)."""
    found = {}
    for host in hosts:
        own = hostvars[host]
        layout = own.get("__scst_target_ha_layout")
        config = own.get("scst_target_config")
        if layout is None and config is not None:
            try:
                layout = ha_layout(config, own.get("scst_target_volumes") or {})
            except AnsibleFilterError as exc:
                raise AnsibleFilterError("%s (inventory of %s)" % (exc.message, host)) from None
        found[host] = layout
    return ha_mismatches(found)


def _port_id_mismatches(layouts, hosts):
    """A remote member's rel_tgt_id must be the one its own node pins on the target, and one
    relative port id names one target in the whole group."""
    problems = []
    owners = {}
    for host in hosts:
        for target, rel in layouts[host]["local_targets"].items():
            owners.setdefault(target, []).append((host, rel))
    for host in hosts:
        for target, rel in sorted(layouts[host]["remote_targets"].items()):
            if target not in owners:
                problems.append("remote target %s (rel_tgt_id %s on %s) is a target of no host of the group"
                                % (target, rel, host))
                continue
            for owner, own_rel in owners[target]:
                if own_rel != rel:
                    problems.append("target %s: %s names it with rel_tgt_id %s, its own node %s %s" % (
                        target, host, rel, owner,
                        "does not pin rel_tgt_id (set attributes.rel_tgt_id: %s there; SCST picks one when "
                        "the target is enabled)" % rel if own_rel is None else "gives it rel_tgt_id %s" % own_rel))
    ids = {}
    for target, pinned in sorted(owners.items()):
        for owner, rel in pinned:
            if rel is not None:
                ids.setdefault(rel, set()).add(target)
    for rel, targets in sorted(ids.items()):
        if len(targets) > 1:
            problems.append("rel_tgt_id %s names %s: a relative target port id must name one target in the "
                            "HA group" % (rel, " and ".join(sorted(targets))))
    return problems


class FilterModule(object):
    """Identity of volumes exported by several nodes."""

    def filters(self):
        return {
            "scst_volume_identity": volume_identity,
            "scst_identity_config": identity_config,
            "scst_ha_layout": ha_layout,
            "scst_ha_mismatches": ha_mismatches,
            "scst_ha_group_mismatches": group_mismatches,
            "scst_volumes_error": volumes_error,
        }
