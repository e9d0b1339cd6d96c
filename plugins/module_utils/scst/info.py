# -*- coding: utf-8 -*-
# Copyright: scst.iscsi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The running SCST configuration as plain data, shaped like /etc/scst.conf.

Only configuration is reported, and all of it: what ``scstadmin
-write_config`` saves (SYSFS-SPEC 6.3) at every level -- SCST root
attributes, handlers, devices, target drivers (all but copy_manager),
targets, LUNs, initiator groups and ALUA device groups.  An attribute is
configuration when SCST marks it ``[key]`` (set, not the default) and it is
writable or a creation parameter of its handler/driver.  Attributes the
collection knows (catalog.py) are normalised as the catalog compares them;
any other is the first line of its file, as SCST shows it.  Documented
exceptions: the size of a fileio/blockio/vcdrom device is that of its
backing store and is not reported; a vdisk_nullio size is reported (as
``size_mb`` when it is a whole number of MiB).  CHAP secrets are replaced by
a mask unless ``mask=False``.
"""

from __future__ import annotations

import json

try:
    import yaml
except ImportError:  # JSON is valid YAML: the output stays usable without PyYAML
    yaml = None

from ansible_collections.scst.iscsi.plugins.module_utils.scst import catalog
from ansible_collections.scst.iscsi.plugins.module_utils.scst.conf import normalise_config
from ansible_collections.scst.iscsi.plugins.module_utils.scst.live import (
    COPY_MANAGER,
    chap_file,
    device_dir,
    lun_set_dir,
    portal_file,
    target_dir,
)
from ansible_collections.scst.iscsi.plugins.module_utils.scst.plan import MASK
from ansible_collections.scst.iscsi.plugins.module_utils.scst.sysfs import join

# Attributes scstadmin always treats as non-static, whatever their mode.
_DYNAMIC = {"device": ("cpu_mask", "filename", "threads_num", "threads_pool_type"),
            "target": ("enabled", "cpu_mask"), "group": ("cpu_mask",)}
# The size of these devices is that of their backing store: not configuration.
_BACKED = ("size", "size_mb")
SCST_LOCAL = "scst_local"


def _value(attr):
    return attr.value.strip()


def _normalised(attrs, table, applies):
    """Attribute texts: catalog attributes as the catalog compares them, others exact."""
    found = {}
    for name, attr in attrs.items():
        spec = table.get(name)
        found[name] = spec.live(attr) if spec is not None and applies(spec) else _value(attr)
    return found


def _creation(live, mgmt, cache_key=None):
    return lambda: live.creation_params(mgmt, cache_key=cache_key)


def read_root_attributes(live, entries=None):
    """SCST root (global) attributes: setup_id, threads, cluster_name ... when set."""
    entries = live.sysfs.scan("") if entries is None else entries
    return dict((name, _value(attr)) for name, attr in live.config_attrs("", entries).items())


# -- devices ------------------------------------------------------------------

def read_device(live, handler, name, creation):
    """One device: ``{filename?, attributes}``."""
    base = device_dir(name)
    entries = live.sysfs.scan(base)
    if handler != catalog.NULLIO:
        entries = dict((n, e) for n, e in entries.items() if n not in _BACKED)
    attrs = live.config_attrs(base, entries, creation=creation, dynamic=_DYNAMIC["device"])
    device = {}
    filename = attrs.pop("filename", None)
    if filename is not None and _value(filename) not in ("", "none"):
        device["filename"] = _value(filename)
    device["attributes"] = _normalised(attrs, catalog.DEVICE_ATTRS, lambda spec: handler in spec.where)
    return device


def read_devices(live):
    handlers = {}
    for handler in live.sysfs.subdirs("handlers"):
        base = join("handlers", handler)
        entries = live.sysfs.scan(base)
        creation = _creation(live, join(base, "mgmt"))
        devices = dict((name, read_device(live, handler, name, creation))
                       for name, (kind, _mode) in entries.items() if kind == "link")
        attributes = dict((n, _value(a)) for n, a in live.config_attrs(base, entries).items())
        if devices or attributes:
            handlers[handler] = {"attributes": attributes, "devices": devices}
    return handlers


# -- targets ------------------------------------------------------------------

def _chap(accounts):
    chap = {"incoming": [], "outgoing": []}
    for direction, user, secret in accounts:
        chap[direction].append({"username": user, "password": secret})
    for entries in chap.values():
        entries.sort(key=lambda a: a["username"])
    return chap


def _dynamic_files(entries):
    """CHAP account and allowed_portal files: read whether or not SCST marks them."""
    return tuple(name for name in entries if chap_file(name) or portal_file(name))


def _split_dynamic(attrs, mask):
    """Take CHAP account and allowed_portal files out of ``attrs``: (accounts, portals)."""
    accounts, portals = [], []
    for name in list(attrs):
        direction = chap_file(name)
        if direction is None and not portal_file(name):
            continue
        text = _value(attrs.pop(name))
        if not text:
            continue
        if direction is None:
            portals.append(text)
        else:
            user, _sep, secret = text.partition(" ")
            accounts.append((direction, user, MASK if mask else secret.strip()))
    return accounts, sorted(portals)


def _lun_sets_params(live, driver, target, group):
    # The luns/mgmt help is the same for every LUN set (SCST core): read it once.
    return _creation(live, join(lun_set_dir(driver, target, group), "mgmt"), cache_key="luns/mgmt")


def read_luns(live, driver, target, group=None):
    base = lun_set_dir(driver, target, group)
    creation = _lun_sets_params(live, driver, target, group)
    luns = {}
    for entry, (kind, _mode) in live.sysfs.scan(base).items():
        if kind != "dir" or not entry.isdigit():
            continue
        lun_base = join(base, entry)
        entries = live.sysfs.scan(lun_base)
        attrs = live.config_attrs(lun_base, entries, creation=creation)
        read_only = attrs.pop("read_only", None)
        luns[int(entry)] = {"device": live.sysfs.readlink_name(join(lun_base, "device")),
                            "read_only": read_only is not None and _value(read_only) == "1",
                            "attributes": dict((n, _value(a)) for n, a in attrs.items())}
    return dict(sorted(luns.items()))


def read_group(live, driver, target, group):
    base = join(target_dir(driver, target), "ini_groups", group)
    attrs = live.config_attrs(base, live.sysfs.scan(base), dynamic=_DYNAMIC["group"])
    return {
        "initiators": sorted(live.initiators(driver, target, group)),
        "luns": read_luns(live, driver, target, group),
        "attributes": _normalised(attrs, catalog.GROUP_ATTRS,
                                  lambda spec: catalog.target_attr_applies(spec, driver)),
    }


def read_target(live, driver, name, creation, *, mask=True):
    base = target_dir(driver, name)
    entries = live.sysfs.scan(base)
    attrs = live.config_attrs(base, entries, creation=creation, dynamic=_DYNAMIC["target"],
                              always=("enabled", "hw_target") + _dynamic_files(entries))
    entry = {}
    hw_target = attrs.pop("hw_target", None)
    if hw_target is not None and _value(hw_target) == "1":
        entry["hw_target"] = True
    enabled = attrs.pop("enabled", None)
    if enabled is not None:
        entry["enabled"] = _value(enabled) == "1"
    accounts, portals = _split_dynamic(attrs, mask)
    entry["attributes"] = _normalised(attrs, catalog.TARGET_ATTRS,
                                      lambda spec: catalog.target_attr_applies(spec, driver))
    if driver == SCST_LOCAL:
        # scstadmin saves each session of an scst_local target as a session_name
        # (a creation parameter of add_target): without it the local SCSI host is gone after a boot.
        sessions = live.sessions(driver, name)
        if sessions:
            entry["attributes"]["session_name"] = sessions[0] if len(sessions) == 1 else sessions
    entry["allowed_portals"] = portals
    entry["chap"] = _chap(accounts)
    entry["luns"] = read_luns(live, driver, name)
    entry["groups"] = dict((group, read_group(live, driver, name, group))
                           for group in live.group_names(driver, name))
    return entry


def config_drivers(live):
    """Drivers that hold configuration: not copy_manager, not iSCSI without its daemon."""
    return [d for d in live.sysfs.subdirs("targets")
            if d != COPY_MANAGER and (d != "iscsi" or live.daemon_open())]


def read_driver(live, driver, *, mask=True):
    base = join("targets", driver)
    entries = live.sysfs.scan(base)
    attrs = live.config_attrs(base, entries, always=("enabled",) + _dynamic_files(entries))
    entry = {}
    enabled = attrs.pop("enabled", None)
    if enabled is not None:
        entry["enabled"] = _value(enabled) == "1"
    accounts, _portals = _split_dynamic(attrs, mask)
    entry["attributes"] = _normalised(attrs, catalog.DRIVER_ATTRS, lambda spec: spec.where == driver)
    entry["chap"] = _chap(accounts)
    creation = _creation(live, join(base, "mgmt"))
    entry["targets"] = dict((name, read_target(live, driver, name, creation, mask=mask))
                            for name, (kind, _mode) in entries.items() if kind == "dir")
    return entry


def read_drivers(live, *, mask=True):
    return dict((driver, read_driver(live, driver, mask=mask)) for driver in config_drivers(live))


# -- ALUA ---------------------------------------------------------------------

def _number(attr):
    text = _value(attr) if attr is not None else ""
    return int(text) if text.isdigit() else 0


def read_target_group(live, base):
    entries = live.sysfs.scan(base)
    attrs = live.config_attrs(base, entries, always=("group_id", "state", "preferred"))
    group = {}
    group_id = _number(attrs.pop("group_id", None))
    if group_id:
        group["group_id"] = group_id
    state = attrs.pop("state", None)
    group["state"] = _value(state) if state is not None else "active"
    preferred = attrs.pop("preferred", None)
    group["preferred"] = preferred is not None and _value(preferred) == "1"
    group["attributes"] = dict((n, _value(a)) for n, a in attrs.items())
    targets = {}
    for name, (kind, _mode) in entries.items():
        if kind == "link":
            targets[name] = {}     # a local target: its rel_tgt_id is the target's own attribute
        elif kind == "dir":
            rel_tgt_id = _number(live.sysfs.read_attr(join(base, name, "rel_tgt_id")))
            targets[name] = {"rel_tgt_id": rel_tgt_id} if rel_tgt_id else {}
    group["targets"] = targets
    return group


def read_device_groups(live):
    """(device_groups, ALUA attributes) from device_groups/."""
    entries = live.sysfs.scan("device_groups")
    alua = dict((n, _value(a)) for n, a in live.config_attrs("device_groups", entries).items())
    groups = {}
    for name, (kind, _mode) in entries.items():
        if kind != "dir":
            continue
        base = join("device_groups", name)
        attrs = live.config_attrs(base, live.sysfs.scan(base))
        devices = [d for d, (k, _m) in live.sysfs.scan(join(base, "devices")).items() if k != "file"]
        tg_base = join(base, "target_groups")
        target_groups = dict((tg, read_target_group(live, join(tg_base, tg)))
                             for tg, (k, _m) in live.sysfs.scan(tg_base).items() if k == "dir")
        groups[name] = {"devices": sorted(devices), "attributes": dict((n, _value(a)) for n, a in attrs.items()),
                        "target_groups": target_groups}
    return groups, alua


def read_configuration(live, *, mask=True):
    """The configuration in the shape scst_config takes, in normal form
    (``conf.normalise_config``).  ``mask=False`` only for writing
    /etc/scst.conf: it is never returned to the controller."""
    device_groups, alua = read_device_groups(live)
    return normalise_config({
        "attributes": read_root_attributes(live),
        "handlers": read_devices(live),
        "drivers": read_drivers(live, mask=mask),
        "device_groups": device_groups,
        "alua_attributes": alua,
    })


def read_runtime(live):
    """What is running but is not configuration: version, handlers, daemon, sessions."""
    version = live.sysfs.read_attr("version")
    sessions = {}
    for driver in config_drivers(live):
        for target in live.target_names(driver):
            names = live.sessions(driver, target)
            if names:
                sessions.setdefault(driver, {})[target] = names
    return {
        "version": version.value.replace("SCST version:", "").strip() if version else None,
        "loaded_handlers": live.sysfs.subdirs("handlers"),
        "iscsi_daemon_running": live.daemon_open() if live.driver_exists("iscsi") else None,
        "sessions": sessions,
    }


def to_yaml(data):
    if yaml is None:
        return json.dumps(data, indent=2, sort_keys=True) + "\n"
    return yaml.safe_dump(data, default_flow_style=False, sort_keys=True)
