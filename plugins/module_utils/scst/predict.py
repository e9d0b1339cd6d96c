# -*- coding: utf-8 -*-
# Copyright: scst.iscsi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The whole configuration after a plan, predicted from the one before it.

``predict_configuration(before, plan)`` replays the plan's management writes
on a configuration in the shape ``info.read_configuration`` returns (secrets
masked) and gives what reading the host back after the plan would give:
unmentioned objects stay, deleted devices take their LUNs with them, an
attribute shows only when SCST marks it ``[key]`` (SYSFS-SPEC 3.3-3.7, 4.8.6:
mostly "differs from the default", some "once written").

scst_config's diff uses it in check mode and in real runs alike, so check mode
shows exactly the diff the real run shows.  What the replay cannot know is left
as SCST would most likely do it: a target enabled for the first time gets the
smallest unused ``rel_tgt_id`` (SCST takes the next one of a rotating counter,
the same on a host where no target was deleted).
"""

from __future__ import annotations

import copy

from ansible_collections.scst.iscsi.plugins.module_utils.scst import catalog
from ansible_collections.scst.iscsi.plugins.module_utils.scst.plan import MASK
from ansible_collections.scst.iscsi.plugins.module_utils.scst.target import TARGET_DEFAULTS

NULLIO_DEFAULT_MB = 2748779069440 >> 20
_DEVICE_DEFAULTS = {
    "blocksize": "512", "read_only": "0", "write_through": "0", "nv_cache": "0", "o_direct": "0",
    "removable": "0", "rotational": "1", "tst": "1", "active": "1", "dummy": "0", "read_zero": "0",
    "async": "0", "expl_alua": "0", "lb_per_pb_exp": "1", "numa_node_id": "-1",
    "max_tgt_dev_commands": "64", "threads_pool_type": "per_initiator", "size_mb": str(NULLIO_DEFAULT_MB),
}
# [key] as soon as written (even with the default value), or when not empty
_ONCE_WRITTEN = ("opt_trans_len", "t10_vend_id", "vend_specific_id", "prod_id", "prod_rev_lvl", "t10_dev_id", "usn")
_NOT_EMPTY = ("scsi_device_name", "eui64_id", "naa_id", "inq_vend_specific", "comment", "iSNSServer",
              "internal_portal", "cpu_mask", "alias", "redirect")
_NEVER = ("isns_entity_name",)
_GROUP_DEFAULTS = {"addr_method": "PERIPHERAL", "io_grouping_type": "auto", "per_sess_dedicated_tgt_threads": "0"}
_DRIVER_DEFAULTS = {"link_local": "1"}
_CHAP = {"IncomingUser": "incoming", "OutgoingUser": "outgoing"}


def _device_default(handler, attr):
    if attr == "threads_num":
        return "8" if handler in (catalog.FILEIO, catalog.VCDROM) else "1"
    if attr == "bind_alua_state":
        return "1" if handler == catalog.BLOCKIO else "0"
    return _DEVICE_DEFAULTS.get(attr)


def _is_key(attr, value, default):
    if attr in _NEVER:
        return False
    if attr in _ONCE_WRITTEN:
        return True
    if attr in _NOT_EMPTY:
        return value != ""
    return value != default


def _set_attr(attrs, attr, value, default):
    if _is_key(attr, value, default):
        attrs[attr] = value
    else:
        attrs.pop(attr, None)


def _params(text):
    """``k=v;k=v`` creation parameters (values never hold ';' or blanks)."""
    found = {}
    for item in text.split(";"):
        key, sep, value = item.strip().partition("=")
        if sep and key:
            found[key.lower()] = value
    return found


class _Replay(object):
    def __init__(self, config):
        self.config = config
        self.config.setdefault("handlers", {})
        self.config.setdefault("drivers", {})

    # -- lookups -----------------------------------------------------------------
    def device(self, name):
        for handler, spec in self.config["handlers"].items():
            if name in spec.get("devices", {}):
                return handler, spec["devices"][name]
        return None, None

    def device_read_only(self, name):
        _handler, entry = self.device(name)
        return bool(entry) and entry.get("attributes", {}).get("read_only") == "1"

    def target(self, driver, name):
        return self.config["drivers"].get(driver, {}).get("targets", {}).get(name)

    def lun_sets(self):
        for driver in self.config["drivers"].values():
            for target in driver.get("targets", {}).values():
                yield target.setdefault("luns", {})
                for group in target.get("groups", {}).values():
                    yield group.setdefault("luns", {})

    # -- the writes ----------------------------------------------------------------
    def apply(self, path, data):
        parts = path.split("/")
        if parts[0] == "handlers" and parts[-1] == "mgmt" and len(parts) == 3:
            self.handler_command(parts[1], data)
        elif parts[0] == "devices" and len(parts) == 3:
            self.device_attr(parts[1], parts[2], data)
        elif parts[0] == "targets" and len(parts) >= 3:
            self.target_write(parts[1], parts[2:], data)

    def handler_command(self, handler, data):
        words = data.split(None, 2)
        if len(words) < 2:
            return
        verb, name = words[0], words[1]
        if verb == "add_device":
            entry = {}
            if handler in catalog.VIRTUAL_HANDLERS:
                entry["attributes"] = {}
                for attr, value in sorted(_params(words[2] if len(words) > 2 else "").items()):
                    if attr == "filename":
                        entry["filename"] = value
                    elif attr == "thin_provisioned":
                        entry["attributes"][attr] = "1"   # [key] when given at creation, whatever the value
                    elif attr in catalog.DEVICE_ATTRS and handler in catalog.DEVICE_ATTRS[attr].where:
                        _set_attr(entry["attributes"], attr, value, _device_default(handler, attr))
            self.config["handlers"].setdefault(handler, {}).setdefault("devices", {})[name] = entry
        elif verb == "del_device":
            devices = self.config["handlers"].get(handler, {}).get("devices", {})
            devices.pop(name, None)
            if handler in catalog.VIRTUAL_HANDLERS:
                for luns in self.lun_sets():
                    for number in [n for n, lun in luns.items() if lun["device"] == name]:
                        del luns[number]

    def device_attr(self, name, attr, value):
        handler, entry = self.device(name)
        if entry is None:
            return
        if attr == "filename":
            if value:
                entry["filename"] = value
            else:
                entry.pop("filename", None)
            return
        spec = catalog.DEVICE_ATTRS.get(attr)
        if spec is not None and handler in catalog.VIRTUAL_HANDLERS:
            _set_attr(entry.setdefault("attributes", {}), attr, value, _device_default(handler, attr))

    def target_write(self, driver, rest, data):
        entry = self.config["drivers"].get(driver)
        if entry is None:
            return
        if rest == ["mgmt"]:
            self.driver_command(driver, entry, data)
        elif len(rest) == 1:
            if rest[0] == "enabled":
                entry["enabled"] = data.strip() == "1"
            elif rest[0] in catalog.DRIVER_ATTRS:
                _set_attr(entry.setdefault("attributes", {}), rest[0], data, _DRIVER_DEFAULTS.get(rest[0]))
        else:
            target = self.target(driver, rest[0])
            if target is not None:
                self.target_path(target, rest[1:], data)

    def driver_command(self, driver, entry, data):
        words = data.split()
        if not words:
            return
        verb = words[0]
        if verb == "add_target" and len(words) > 1:
            target = {"attributes": {}, "luns": {}, "groups": {}}
            if driver == "iscsi":
                target.update(enabled=False, allowed_portals=[], chap={})
            entry.setdefault("targets", {})[words[1]] = target
        elif verb == "del_target" and len(words) > 1:
            entry.get("targets", {}).pop(words[1], None)
        elif verb in ("add_attribute", "del_attribute") and len(words) > 2:
            self.dynamic(entry, verb.startswith("add"), words[1:])
        elif verb in ("add_target_attribute", "del_target_attribute") and len(words) > 3:
            target = self.target(driver, words[1])
            if target is not None:
                self.dynamic(target, verb.startswith("add"), words[2:])

    @staticmethod
    def dynamic(owner, add, words):
        """CHAP accounts and allowed portals: ``NAME value...``."""
        name = words[0]
        if name in _CHAP:
            direction = _CHAP[name]
            chap = owner.setdefault("chap", {})
            accounts = [a for a in chap.get(direction, []) if a["username"] != words[1]]
            if add:
                accounts.append({"username": words[1], "password": MASK})
            if accounts:
                chap[direction] = sorted(accounts, key=lambda a: a["username"])
            else:
                chap.pop(direction, None)
        elif name == "allowed_portal":
            portals = set(owner.get("allowed_portals", []))
            if add:
                portals.add(words[1])
            else:
                portals.discard(words[1])
            owner["allowed_portals"] = sorted(portals)

    def target_path(self, target, rest, data):
        if rest == ["enabled"]:
            target["enabled"] = data.strip() == "1"
            if target["enabled"] and "rel_tgt_id" not in target.get("attributes", {}):
                target.setdefault("attributes", {})["rel_tgt_id"] = str(self.unused_rel_tgt_id())
        elif len(rest) == 1 and rest[0] in catalog.TARGET_ATTRS:
            default = "0" if rest[0] == "rel_tgt_id" else TARGET_DEFAULTS.get(rest[0])
            _set_attr(target.setdefault("attributes", {}), rest[0], data, default)
        elif rest == ["luns", "mgmt"]:
            self.lun_command(target.setdefault("luns", {}), data)
        elif rest == ["ini_groups", "mgmt"]:
            words = data.split()
            groups = target.setdefault("groups", {})
            if len(words) > 1 and words[0] == "create":
                groups.setdefault(words[1], {"initiators": [], "luns": {}, "attributes": {}})
            elif len(words) > 1 and words[0] == "del":
                groups.pop(words[1], None)
        elif len(rest) >= 3 and rest[0] == "ini_groups":
            group = target.get("groups", {}).get(rest[1])
            if group is not None:
                self.group_path(target, group, rest[2:], data)

    def unused_rel_tgt_id(self):
        used = set()
        for driver in self.config["drivers"].values():
            for target in driver.get("targets", {}).values():
                used.add(target.get("attributes", {}).get("rel_tgt_id"))
        number = 1
        while str(number) in used:
            number += 1
        return number

    def group_path(self, target, group, rest, data):
        words = data.split()
        if rest == ["luns", "mgmt"]:
            self.lun_command(group.setdefault("luns", {}), data)
        elif rest == ["initiators", "mgmt"] and words:
            names = group.setdefault("initiators", [])
            if words[0] == "clear":
                del names[:]
            elif words[0] == "add" and len(words) > 1 and words[1] not in names:
                names.append(words[1])
            elif words[0] in ("del", "move") and len(words) > 1 and words[1] in names:
                names.remove(words[1])
                dest = target.get("groups", {}).get(words[2]) if words[0] == "move" and len(words) > 2 else None
                if dest is not None and words[1] not in dest.setdefault("initiators", []):
                    dest["initiators"].append(words[1])
                    dest["initiators"].sort()
            names.sort()
        elif len(rest) == 1 and rest[0] in catalog.GROUP_ATTRS:
            _set_attr(group.setdefault("attributes", {}), rest[0], data, _GROUP_DEFAULTS.get(rest[0]))

    def lun_command(self, luns, data):
        words = data.split()
        if not words:
            return
        if words[0] == "clear":
            luns.clear()
        elif words[0] == "del" and len(words) > 1 and words[1].isdigit():
            luns.pop(int(words[1]), None)
        elif words[0] in ("add", "replace") and len(words) > 2 and words[2].isdigit():
            flagged = _params("".join(words[3:])).get("read_only", "0") not in ("", "0")
            luns[int(words[2])] = {"device": words[1],
                                   "read_only": flagged or self.device_read_only(words[1])}


def predict_configuration(before, plan):
    """``before`` (read_configuration's shape, masked) with the writes of ``plan`` applied."""
    replay = _Replay(copy.deepcopy(before))
    for action in plan.actions:
        replay.apply(action.path, action.data)
    config = replay.config
    config["handlers"] = dict((h, spec) for h, spec in sorted(config["handlers"].items()) if spec.get("devices"))
    for driver in config["drivers"].values():
        for target in driver.get("targets", {}).values():
            target["luns"] = dict(sorted(target.get("luns", {}).items()))
            for group in target.get("groups", {}).values():
                group["luns"] = dict(sorted(group.get("luns", {}).items()))
    return config
