# -*- coding: utf-8 -*-
# Copyright: scst.iscsi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The whole configuration after a plan, predicted from the one before it.

``predict_configuration(before, plan)`` replays the plan's management writes
on a configuration in the normal form ``info.read_configuration`` returns
(secrets masked) and gives what reading the host back after the plan would
give: unmentioned objects stay, deleted devices take their LUNs and device
group memberships with them, deleted targets their memberships of target
groups, and an attribute shows only when SCST marks it ``[key]`` (SYSFS-SPEC
2, 3.1-3.9, 4.8.6: mostly "differs from the default", some "once written",
some "when not empty", some never).

Every write form the planners emit is replayed: root, handler, device,
driver, target, LUN and group attributes (catalog ones and others carried as
exact strings), the handler, driver, LUN, group and initiator mgmt commands,
CHAP accounts and allowed portals, closing sessions (an scst_local target's
sessions are its ``session_name``), and ALUA: device groups, their devices
and attributes, target groups, their group_id, state, preferred, attributes,
members and the rel_tgt_id of remote members.

scst_config's diff uses it in check mode and in real runs alike, so check mode
shows exactly the diff the real run shows.  What the replay cannot know is left
as SCST would most likely do it: a target enabled for the first time gets the
smallest unused ``rel_tgt_id`` (SCST takes the next one of a rotating counter,
the same on a host where no target was deleted); an attribute outside the
catalog whose default is not known shows once written with a value that is not
empty; SCST's ``threads`` shows once written (its default is the number of
CPUs).
"""

from __future__ import annotations

import copy

from ansible_collections.scst.iscsi.plugins.module_utils.scst import catalog
from ansible_collections.scst.iscsi.plugins.module_utils.scst.conf import normalise_config
from ansible_collections.scst.iscsi.plugins.module_utils.scst.errors import ValidationError
from ansible_collections.scst.iscsi.plugins.module_utils.scst.live import chap_file, portal_file
from ansible_collections.scst.iscsi.plugins.module_utils.scst.plan import MASK
from ansible_collections.scst.iscsi.plugins.module_utils.scst.target import TARGET_DEFAULTS

SCST_LOCAL = "scst_local"
NULLIO_DEFAULT_MB = 2748779069440 >> 20
_DEVICE_DEFAULTS = {
    "blocksize": "512", "read_only": "0", "write_through": "0", "nv_cache": "0", "o_direct": "0",
    "removable": "0", "rotational": "1", "tst": "1", "active": "1", "dummy": "0", "read_zero": "0",
    "async": "0", "expl_alua": "0", "lb_per_pb_exp": "1", "numa_node_id": "-1",
    "max_tgt_dev_commands": "64", "threads_pool_type": "per_initiator", "size_mb": str(NULLIO_DEFAULT_MB),
}
_ROOT_DEFAULTS = {"setup_id": "0x0", "max_tasklet_cmd": "10", "poll_us": "0", "force_global_sgv_pool": "0"}
_GROUP_DEFAULTS = {"addr_method": "PERIPHERAL", "io_grouping_type": "auto", "per_sess_dedicated_tgt_threads": "0"}
_DRIVER_DEFAULTS = {"link_local": "1"}
# Attributes outside the catalog whose [key] rule SYSFS-SPEC states ("differs from the default")
_CARRIED_DEFAULTS = {"cluster_mode": "0", "dif_static_app_tag": "0xffff", "scsi_transport_version": "0x0",
                     "phys_transport_version": "0x0"}
# [key] as soon as written (even with the default value)
_ONCE_WRITTEN = ("opt_trans_len", "t10_vend_id", "vend_specific_id", "prod_id", "prod_rev_lvl", "t10_dev_id", "usn")
# [key] when not empty
_NOT_EMPTY = ("scsi_device_name", "eui64_id", "naa_id", "inq_vend_specific", "comment", "iSNSServer",
              "internal_portal", "cpu_mask", "alias", "redirect", "cluster_name", "pr_file_name")
# never [key]: never configuration, whatever is written
_NEVER = ("isns_entity_name", "measure_latency", "async_lun_replace", "black_hole")
_CHAP = {"IncomingUser": "incoming", "OutgoingUser": "outgoing"}


def _device_default(handler, attr):
    if attr == "threads_num":
        if handler not in catalog.VIRTUAL_HANDLERS:
            return None
        return "8" if handler in (catalog.FILEIO, catalog.VCDROM) else "1"
    if attr == "bind_alua_state":
        return "1" if handler == catalog.BLOCKIO else "0"
    if attr in _DEVICE_DEFAULTS and (handler in catalog.VIRTUAL_HANDLERS or attr == "max_tgt_dev_commands"):
        return _DEVICE_DEFAULTS[attr]
    return _CARRIED_DEFAULTS.get(attr)


def _target_default(attr):
    if attr == "rel_tgt_id":
        return "0"
    return TARGET_DEFAULTS.get(attr, _CARRIED_DEFAULTS.get(attr))


def _is_key(attr, value, default):
    if attr in _NEVER:
        return False
    if attr in _ONCE_WRITTEN:
        return True
    if attr in _NOT_EMPTY or default is None:
        return value != ""
    return value != default


def _set_attr(attrs, attr, value, default=None, table=None):
    """``attr`` of ``attrs`` after ``value`` is written: shown when SCST marks it [key].
    A catalog attribute (in ``table``) shows in the catalog's normal form."""
    if not isinstance(value, list):
        value = value.strip()       # SCST shows the first line, stripped
        spec = (table or {}).get(attr)
        if spec is not None:
            try:
                value = spec.desired(attr, value)
            except ValidationError:
                pass
    if _is_key(attr, value, default):
        attrs[attr] = value
    else:
        attrs.pop(attr, None)


def _params(text):
    """``k=v;k=v`` creation parameters as [(name, value)] in order (values never hold ';' or blanks)."""
    found = []
    for item in text.split(";"):
        key, sep, value = item.strip().partition("=")
        if sep and key.strip():
            found.append((key.strip(), value.strip()))
    return found


def _grouped(pairs):
    """{name: value, or a list of values when the parameter is given more than once}."""
    values = {}
    for name, value in pairs:
        values.setdefault(name, []).append(value)
    return dict((n, vals[0] if len(vals) == 1 else vals) for n, vals in values.items())


def _empty_target(driver):
    target = {"attributes": {}, "allowed_portals": [], "chap": {"incoming": [], "outgoing": []},
              "luns": {}, "groups": {}}
    if driver != SCST_LOCAL:
        target["enabled"] = False       # scst_local targets have no enabled switch
    return target


class _Replay(object):
    def __init__(self, config):
        self.config = config
        config.setdefault("attributes", {})
        config.setdefault("handlers", {})
        config.setdefault("drivers", {})
        config.setdefault("device_groups", {})
        # LUNs added by the plan: their own read_only flag (a LUN of a read-only device reads read-only)
        self.own_read_only = {}
        # target group members that are local targets: (dg, tg, name) -> driver
        self.local_members = {}
        for dg, dspec in config["device_groups"].items():
            for tg, tspec in dspec.get("target_groups", {}).items():
                for name, member in tspec.get("targets", {}).items():
                    driver = self.driver_of(name)
                    if driver is not None and not member.get("rel_tgt_id"):
                        self.local_members[(dg, tg, name)] = driver

    # -- lookups -----------------------------------------------------------------
    def device(self, name):
        for handler, spec in self.config["handlers"].items():
            if name in spec.get("devices", {}):
                return handler, spec["devices"][name]
        return None, None

    def device_read_only(self, name):
        _handler, entry = self.device(name)
        return bool(entry) and entry.get("attributes", {}).get("read_only") == "1"

    def driver_of(self, target):
        for driver, spec in sorted(self.config["drivers"].items()):
            if target in spec.get("targets", {}):
                return driver
        return None

    def driver_entry(self, driver):
        return self.config["drivers"].setdefault(driver, {"attributes": {}, "chap": {}, "targets": {}})

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
        if len(parts) == 1:
            _set_attr(self.config["attributes"], parts[0], data, _ROOT_DEFAULTS.get(parts[0]),
                      catalog.ROOT_ATTRS)
        elif parts[0] == "handlers" and len(parts) == 3:
            if parts[2] == "mgmt":
                self.handler_command(parts[1], data)
            else:
                spec = self.config["handlers"].setdefault(parts[1], {"attributes": {}, "devices": {}})
                _set_attr(spec.setdefault("attributes", {}), parts[2], data)
        elif parts[0] == "devices" and len(parts) == 3:
            self.device_attr(parts[1], parts[2], data)
        elif parts[0] == "targets" and len(parts) >= 3:
            self.target_write(parts[1], parts[2:], data)
        elif parts[0] == "device_groups" and len(parts) >= 2:
            self.alua_write(parts[1:], data)

    def handler_command(self, handler, data):
        words = data.split(None, 2)
        if len(words) < 2:
            return
        verb, name = words[0].lower(), words[1]
        if verb == "add_device":
            if handler not in catalog.VIRTUAL_HANDLERS:
                # pass-through: the local SCSI device is assigned (moved from another handler)
                old, entry = self.device(name)
                if old is not None and old != handler:
                    del self.config["handlers"][old]["devices"][name]
                spec = self.config["handlers"].setdefault(handler, {"attributes": {}, "devices": {}})
                spec.setdefault("devices", {})[name] = entry if old == handler else {"attributes": {}}
                return
            entry = {"attributes": {}}
            params = _grouped(_params(words[2] if len(words) > 2 else ""))
            for attr, value in sorted(params.items()):
                if attr == "filename":
                    entry["filename"] = value
                elif attr == "thin_provisioned":
                    entry["attributes"][attr] = "1"   # [key] when given at creation, whatever the value
                elif isinstance(value, list):
                    entry["attributes"][attr] = value
                else:
                    _set_attr(entry["attributes"], attr, value, _device_default(handler, attr),
                              catalog.DEVICE_ATTRS)
            spec = self.config["handlers"].setdefault(handler, {"attributes": {}, "devices": {}})
            spec.setdefault("devices", {})[name] = entry
        elif verb == "del_device":
            devices = self.config["handlers"].get(handler, {}).get("devices", {})
            devices.pop(name, None)
            if handler in catalog.VIRTUAL_HANDLERS:
                # a pass-through device stays in SCST (unassigned): its LUNs stay (SYSFS-SPEC 4.2)
                for luns in self.lun_sets():
                    for number in [n for n, lun in luns.items() if lun["device"] == name]:
                        del luns[number]
                for group in self.config["device_groups"].values():
                    if name in group.get("devices", []):
                        group["devices"].remove(name)

    def device_attr(self, name, attr, value):
        handler, entry = self.device(name)
        if entry is None:
            return
        if attr in ("resync_size", "sync"):
            return      # commands, not configuration (the size follows the backing store)
        if attr == "filename":
            if value.strip():
                entry["filename"] = value.strip()
            else:
                entry.pop("filename", None)   # vcdrom: the medium is ejected
            return
        _set_attr(entry.setdefault("attributes", {}), attr, value, _device_default(handler, attr),
                  catalog.DEVICE_ATTRS)

    # -- target drivers and targets ---------------------------------------------------------
    def target_write(self, driver, rest, data):
        if rest == ["mgmt"]:
            self.driver_command(driver, data)
            return
        entry = self.config["drivers"].get(driver)
        if len(rest) == 1:
            attr = rest[0]
            if chap_file(attr) or portal_file(attr):
                return      # a CHAP secret changed in place: the account stays (masked)
            entry = self.driver_entry(driver)
            if attr == "enabled":
                entry["enabled"] = data.strip() == "1"
            else:
                _set_attr(entry.setdefault("attributes", {}), attr, data, _DRIVER_DEFAULTS.get(attr),
                          catalog.DRIVER_ATTRS)
        elif entry is not None:
            target = self.target(driver, rest[0])
            if target is not None:
                self.target_path(driver, rest[0], target, rest[1:], data)

    def driver_command(self, driver, data):
        words = data.split(None, 2)
        if len(words) < 2:
            return
        verb, name = words[0].lower(), words[1]
        entry = self.driver_entry(driver)
        if verb == "add_target":
            target = _empty_target(driver)
            params = _grouped(_params(words[2] if len(words) > 2 else ""))
            for attr, value in sorted(params.items()):
                if isinstance(value, list) or (driver == SCST_LOCAL and attr == "session_name"):
                    target["attributes"][attr] = value     # scst_local: its sessions
                else:
                    _set_attr(target["attributes"], attr, value, _target_default(attr), catalog.TARGET_ATTRS)
            entry.setdefault("targets", {})[name] = target
        elif verb == "del_target":
            entry.get("targets", {}).pop(name, None)
            for key in [k for k, drv in self.local_members.items() if k[2] == name and drv == driver]:
                del self.local_members[key]
                dg, tg, _name = key
                group = self.config["device_groups"].get(dg, {}).get("target_groups", {}).get(tg)
                if group is not None:
                    group.get("targets", {}).pop(name, None)
        elif verb in ("add_session", "del_session") and len(words) > 2:
            target = self.target(driver, name)
            if target is not None:
                self.session(target, words[2].strip(), add=verb == "add_session")
        elif verb in ("add_attribute", "del_attribute"):
            self.dynamic(entry, verb.startswith("add"), data.split()[1:])
        elif verb in ("add_target_attribute", "del_target_attribute"):
            target = self.target(driver, name)
            if target is not None:
                self.dynamic(target, verb.startswith("add"), data.split()[2:])

    @staticmethod
    def session(target, name, *, add):
        """scst_local: the target's sessions read back as its session_name attribute."""
        attrs = target.setdefault("attributes", {})
        current = attrs.get("session_name", [])
        names = set([current] if isinstance(current, str) else current)
        if add:
            names.add(name)
        else:
            names.discard(name)
        if names:
            attrs["session_name"] = sorted(names)[0] if len(names) == 1 else sorted(names)
        else:
            attrs.pop("session_name", None)

    @staticmethod
    def dynamic(owner, add, words):
        """CHAP accounts and allowed portals: ``NAME value...``."""
        if len(words) < 2:
            return
        name = words[0]
        if name in _CHAP:
            direction = _CHAP[name]
            chap = owner.setdefault("chap", {})
            accounts = [a for a in chap.get(direction, []) if a["username"] != words[1]]
            if add:
                accounts.append({"username": words[1], "password": MASK})
            chap[direction] = sorted(accounts, key=lambda a: a["username"])
        elif name == "allowed_portal":
            portals = set(owner.get("allowed_portals", []))
            if add:
                portals.add(words[1])
            else:
                portals.discard(words[1])
            owner["allowed_portals"] = sorted(portals)

    def target_path(self, driver, name, target, rest, data):
        if rest == ["enabled"]:
            target["enabled"] = data.strip() == "1"
            if target["enabled"] and "rel_tgt_id" not in target.get("attributes", {}):
                target.setdefault("attributes", {})["rel_tgt_id"] = str(self.unused_rel_tgt_id())
        elif len(rest) == 1:
            if not (chap_file(rest[0]) or portal_file(rest[0])):
                _set_attr(target.setdefault("attributes", {}), rest[0], data, _target_default(rest[0]),
                          catalog.TARGET_ATTRS)
        elif len(rest) == 3 and rest[0] == "sessions" and rest[2] == "force_close":
            if driver == SCST_LOCAL:
                self.session(target, rest[1], add=False)
        elif rest[0] == "luns":
            self.lun_path(target.setdefault("luns", {}), (driver, name, None), rest[1:], data)
        elif rest == ["ini_groups", "mgmt"]:
            words = data.split()
            groups = target.setdefault("groups", {})
            if len(words) > 1 and words[0].lower() in ("create", "add"):
                groups.setdefault(words[1], {"initiators": [], "luns": {}, "attributes": {}})
            elif len(words) > 1 and words[0].lower() == "del":
                groups.pop(words[1], None)
        elif len(rest) >= 3 and rest[0] == "ini_groups":
            group = target.get("groups", {}).get(rest[1])
            if group is not None:
                self.group_path(driver, name, target, group, rest[1], rest[2:], data)

    def unused_rel_tgt_id(self):
        used = set()
        for driver in self.config["drivers"].values():
            for target in driver.get("targets", {}).values():
                used.add(target.get("attributes", {}).get("rel_tgt_id"))
        number = 1
        while str(number) in used:
            number += 1
        return number

    def group_path(self, driver, target_name, target, group, name, rest, data):
        words = data.split()
        if rest[0] == "luns":
            self.lun_path(group.setdefault("luns", {}), (driver, target_name, name), rest[1:], data)
        elif rest == ["initiators", "mgmt"] and words:
            names = group.setdefault("initiators", [])
            verb = words[0].lower()
            if verb == "clear":
                del names[:]
            elif verb == "add" and len(words) > 1 and words[1] not in names:
                names.append(words[1])
            elif verb in ("del", "move") and len(words) > 1 and words[1] in names:
                names.remove(words[1])
                dest = target.get("groups", {}).get(words[2]) if verb == "move" and len(words) > 2 else None
                if dest is not None and words[1] not in dest.setdefault("initiators", []):
                    dest["initiators"].append(words[1])
        elif len(rest) == 1:
            _set_attr(group.setdefault("attributes", {}), rest[0], data, _GROUP_DEFAULTS.get(rest[0]),
                      catalog.GROUP_ATTRS)

    def lun_path(self, luns, where, rest, data):
        if rest == ["mgmt"]:
            self.lun_command(luns, where, data)
        elif len(rest) == 2 and rest[0].isdigit() and int(rest[0]) in luns:
            _set_attr(luns[int(rest[0])].setdefault("attributes", {}), rest[1], data)

    def lun_command(self, luns, where, data):
        words = data.split()
        if not words:
            return
        verb = words[0].lower()
        if verb == "clear":
            luns.clear()
        elif verb == "del" and len(words) > 1 and words[1].isdigit():
            luns.pop(int(words[1]), None)
        elif verb in ("add", "replace", "replace_no_ua") and len(words) > 2 and words[2].isdigit():
            params = dict((k.lower(), val) for k, val in _params("".join(words[3:])))
            number = int(words[2])
            self.own_read_only[where + (number,)] = params.get("read_only", "0") not in ("", "0")
            luns[number] = {"device": words[1], "read_only": False, "attributes": {}}

    # -- ALUA ----------------------------------------------------------------------------------
    def alua_write(self, rest, data):
        groups = self.config["device_groups"]
        words = data.split()
        verb = words[0].lower() if words else ""
        if rest == ["mgmt"]:
            if verb in ("create", "add") and len(words) > 1:
                groups.setdefault(words[1], {"devices": [], "attributes": {}, "target_groups": {}})
            elif verb == "del" and len(words) > 1:
                groups.pop(words[1], None)
                for key in [k for k in self.local_members if k[0] == words[1]]:
                    del self.local_members[key]
            return
        if len(rest) == 1:
            alua = self.config.setdefault("alua_attributes", {})
            _set_attr(alua, rest[0], data)
            return
        group = groups.get(rest[0])
        if group is None:
            return
        if rest[1:] == ["devices", "mgmt"]:
            devices = group.setdefault("devices", [])
            if verb == "add" and len(words) > 1 and words[1] not in devices:
                devices.append(words[1])
                devices.sort()
            elif verb == "del" and len(words) > 1 and words[1] in devices:
                devices.remove(words[1])
        elif len(rest) == 2:
            _set_attr(group.setdefault("attributes", {}), rest[1], data)
        elif rest[1] == "target_groups" and len(rest) >= 3:
            self.target_group_write(rest[0], group.setdefault("target_groups", {}), rest[2:], data)

    def target_group_write(self, dg, groups, rest, data):
        words = data.split()
        verb = words[0].lower() if words else ""
        if rest == ["mgmt"]:
            if verb in ("create", "add") and len(words) > 1:
                groups.setdefault(words[1], {"state": "active", "preferred": False, "attributes": {},
                                             "targets": {}})
            elif verb == "del" and len(words) > 1:
                groups.pop(words[1], None)
                for key in [k for k in self.local_members if k[:2] == (dg, words[1])]:
                    del self.local_members[key]
            return
        group = groups.get(rest[0])
        if group is None:
            return
        members = group.setdefault("targets", {})
        if rest[1:] == ["mgmt"]:
            if verb == "add" and len(words) > 1:
                members[words[1]] = {}
                driver = self.driver_of(words[1])   # a name that is no target here is a remote one
                if driver is not None:
                    self.local_members[(dg, rest[0], words[1])] = driver
            elif verb == "del" and len(words) > 1:
                members.pop(words[1], None)
                self.local_members.pop((dg, rest[0], words[1]), None)
        elif len(rest) == 2:
            attr, value = rest[1], data.strip()
            if attr == "group_id":
                if value.isdigit() and int(value):
                    group["group_id"] = int(value)
            elif attr == "state":
                group["state"] = value
            elif attr == "preferred":
                group["preferred"] = value == "1"
            else:
                _set_attr(group.setdefault("attributes", {}), attr, data)
        elif len(rest) == 3 and rest[2] == "rel_tgt_id" and rest[1] in members:
            value = data.strip()
            if value.isdigit() and int(value):
                members[rest[1]] = {"rel_tgt_id": int(value)}

    # -- the result ------------------------------------------------------------------------------
    def finish(self):
        """A LUN reads read-only when it was added read-only or its device is read-only."""
        for driver, dspec in self.config["drivers"].items():
            for target, tspec in dspec.get("targets", {}).items():
                sets = [(None, tspec.get("luns", {}))] + [(g, gspec.get("luns", {}))
                                                          for g, gspec in tspec.get("groups", {}).items()]
                for group, luns in sets:
                    for number, lun in luns.items():
                        own = self.own_read_only.get((driver, target, group, number))
                        if own is not None:
                            lun["read_only"] = own or self.device_read_only(lun["device"])
        return normalise_config(self.config)


def predict_configuration(before, plan):
    """``before`` (read_configuration's normal form, masked) with the writes of ``plan`` applied,
    in the same normal form."""
    replay = _Replay(copy.deepcopy(before))
    for action in plan.actions:
        replay.apply(action.path, action.data)
    return replay.finish()
