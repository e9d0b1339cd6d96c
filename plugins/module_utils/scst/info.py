# -*- coding: utf-8 -*-
# Copyright: scst.iscsi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The running SCST configuration as plain data, shaped like /etc/scst.conf.

Only configuration is reported: attributes SCST marks ``[key]`` (non-default,
the ones scstadmin would save) among those this collection manages.  CHAP
secrets are always replaced by a mask.
"""

from __future__ import annotations

import json
from functools import partial

try:
    import yaml
except ImportError:  # JSON is valid YAML: the output stays usable without PyYAML
    yaml = None

from ansible_collections.scst.iscsi.plugins.module_utils.scst import catalog
from ansible_collections.scst.iscsi.plugins.module_utils.scst.live import COPY_MANAGER
from ansible_collections.scst.iscsi.plugins.module_utils.scst.plan import MASK


def _key_attrs(read, names, table):
    found = {}
    for name in names:
        spec = table.get(name)
        attr = read(name)
        if spec is None or attr is None or not attr.key:
            continue
        found[name] = spec.live(attr) if spec.compare == "value" else "1"
    return found


def read_devices(live):
    handlers = {}
    for handler in live.sysfs.subdirs("handlers"):
        devices = {}
        for name in live.device_names(handler):
            entry = {}
            if handler in catalog.VIRTUAL_HANDLERS:
                names = [a for a, s in catalog.DEVICE_ATTRS.items() if handler in s.where]
                entry["attributes"] = _key_attrs(partial(live.device_attr, name), names,
                                                 catalog.DEVICE_ATTRS)
                if handler == catalog.NULLIO:
                    # size_mb is never [key]; size is, when not the default
                    size = live.device_attr(name, "size")
                    if size is not None and size.key:
                        entry["attributes"]["size_mb"] = str(int(size.value.strip()) >> 20)
                else:
                    attr = live.device_attr(name, "filename")
                    value = attr.value.strip() if attr else ""
                    if value and value != "none":
                        entry["filename"] = value
            devices[name] = entry
        if devices:
            handlers[handler] = {"devices": devices}
    return handlers


def _chap(live, driver, target=None, mask=True):
    chap = {}
    for account in live.chap_accounts(driver, target):
        chap.setdefault(account.direction, []).append(
            {"username": account.user, "password": MASK if mask else account.secret})
    for accounts in chap.values():
        accounts.sort(key=lambda a: a["username"])
    return chap


def _luns(live, driver, target, group=None):
    return dict((n, {"device": lun.device, "read_only": lun.read_only})
                for n, lun in sorted(live.luns(driver, target, group).items()))


def read_targets(live, driver, *, mask=True):
    targets = {}
    for name in live.target_names(driver):
        names = [a for a, s in catalog.TARGET_ATTRS.items() if catalog.target_attr_applies(s, driver)]
        entry = {"attributes": _key_attrs(partial(live.target_attr, driver, name), names,
                                          catalog.TARGET_ATTRS)}
        enabled = live.target_attr(driver, name, "enabled")
        if enabled is not None:
            entry["enabled"] = enabled.value.strip() == "1"
        if driver == "iscsi":
            entry["allowed_portals"] = live.allowed_portals(driver, name)
            entry["chap"] = _chap(live, driver, name, mask)
        entry["luns"] = _luns(live, driver, name)
        groups = {}
        for group in live.group_names(driver, name):
            gnames = [a for a, s in catalog.GROUP_ATTRS.items() if catalog.target_attr_applies(s, driver)]
            groups[group] = {
                "initiators": sorted(live.initiators(driver, name, group)),
                "luns": _luns(live, driver, name, group),
                "attributes": _key_attrs(partial(live.group_attr, driver, name, group), gnames,
                                         catalog.GROUP_ATTRS),
            }
        entry["groups"] = groups
        targets[name] = entry
    return targets


def config_drivers(live):
    """Drivers that hold configuration: not copy_manager, not iSCSI without its daemon."""
    return [d for d in live.sysfs.subdirs("targets")
            if d != COPY_MANAGER and (d != "iscsi" or live.daemon_open())]


def read_drivers(live, *, mask=True):
    drivers = {}
    for driver in config_drivers(live):
        entry = {}
        if driver == "iscsi":
            enabled = live.driver_attr(driver, "enabled")
            entry["enabled"] = enabled is not None and enabled.value.strip() == "1"
            names = [a for a, s in catalog.DRIVER_ATTRS.items() if s.where == driver]
            entry["attributes"] = _key_attrs(partial(live.driver_attr, driver), names,
                                             catalog.DRIVER_ATTRS)
            entry["chap"] = _chap(live, driver, mask=mask)
        entry["targets"] = read_targets(live, driver, mask=mask)
        drivers[driver] = entry
    return drivers


def read_configuration(live, *, mask=True):
    """The configuration in the shape scst_config takes.  ``mask=False`` only
    for writing /etc/scst.conf: it is never returned to the controller."""
    return {"handlers": read_devices(live), "drivers": read_drivers(live, mask=mask)}


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
