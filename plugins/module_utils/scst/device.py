# -*- coding: utf-8 -*-
# Copyright: scst.iscsi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Plan the changes that bring one SCST device to its desired state."""

from __future__ import annotations

from functools import partial

from ansible_collections.scst.iscsi.plugins.module_utils.scst import catalog
from ansible_collections.scst.iscsi.plugins.module_utils.scst import values as v
from ansible_collections.scst.iscsi.plugins.module_utils.scst.errors import (
    SafetyError,
    ScstError,
    ValidationError,
)
from ansible_collections.scst.iscsi.plugins.module_utils.scst.live import lun_set_dir
from ansible_collections.scst.iscsi.plugins.module_utils.scst.outcome import Outcome, sessions_in_use
from ansible_collections.scst.iscsi.plugins.module_utils.scst.sysfs import join

# Core device attributes that pass-through devices have too.
_PASS_THROUGH_ATTRS = ("threads_num", "threads_pool_type", "max_tgt_dev_commands")


class DeviceRequest(object):
    """A validated desired device.  Construction validates; nothing is read."""

    def __init__(self, *, name, handler, state="present", filename=None, attributes=None,
                 recreate=False, force=False, field_prefix=""):
        f = field_prefix
        self.handler = v.choice(f + "handler", handler, catalog.ALL_HANDLERS)
        self.pass_through = self.handler in catalog.PASS_THROUGH_HANDLERS
        self.name = (v.pass_through_name if self.pass_through else v.device_name)(f + "name", name)
        self.state = v.choice(f + "state", state, ("present", "absent"))
        self.recreate = bool(recreate)
        self.force = bool(force)
        self.attributes = {}
        for attr, value in sorted((attributes or {}).items()):
            field = "%sattributes.%s" % (f, attr)
            if self.pass_through:
                if attr not in _PASS_THROUGH_ATTRS:
                    raise ValidationError(field, "pass-through devices accept only %s"
                                          % ", ".join(_PASS_THROUGH_ATTRS))
                spec = catalog.DEVICE_ATTRS[attr]
            else:
                if attr == "filename":
                    raise ValidationError(field, "give the backing file as the filename option")
                if attr == "size":
                    raise ValidationError(field, "give the size of a nullio device as size_mb "
                                                 "(for fileio/blockio it follows the backing store)")
                spec = catalog.spec_for(catalog.DEVICE_ATTRS, "device", attr, field, where=self.handler)
            self.attributes[attr] = spec.desired(field, value)
        self.filename = None
        if filename is not None:
            if self.handler in (catalog.FILEIO, catalog.BLOCKIO):
                self.filename = v.absolute_path(f + "filename", filename)
            elif self.handler == catalog.VCDROM:
                # an empty filename ejects the medium
                self.filename = "" if filename == "" else v.absolute_path(f + "filename", filename)
            else:
                raise ValidationError(f + "filename", "only vdisk_fileio, vdisk_blockio and vcdrom "
                                      "devices have a backing file")
        if (self.state == "present" and self.handler in (catalog.FILEIO, catalog.BLOCKIO)
                and self.filename is None):
            raise ValidationError(f + "filename", "is required for %s devices" % self.handler)
        if self.attributes.get("read_only") == "1" and self.handler == catalog.FILEIO and (
                self.attributes.get("write_through") == "1" or self.attributes.get("nv_cache") == "1"):
            raise ValidationError(f + "attributes.read_only",
                                  "cannot be combined with write_through or nv_cache on vdisk_fileio")
        if self.attributes.get("o_direct") == "1" and self.attributes.get("async") != "1":
            raise ValidationError(f + "attributes.o_direct", "needs async: 1 as well (SCST rule)")

    def creation_params(self):
        """``add_device`` parameters: the creation parameters among the wanted attributes."""
        names = catalog.CREATE_PARAMS.get(self.handler, ())
        params = []
        if self.filename and self.handler != catalog.VCDROM:
            params.append(("filename", self.filename))
        params.extend((a, val) for a, val in sorted(self.attributes.items()) if a in names)
        return params

    def mgmt(self):
        return join("handlers", self.handler, "mgmt")

    def shape(self, attributes, filename=None):
        shape = {"name": self.name, "handler": self.handler, "attributes": attributes}
        if filename is not None:
            shape["filename"] = filename
        return shape


def plan_device(live, request):
    live.sysfs.require_loaded(handler=request.handler)
    if request.pass_through:
        return _plan_pass_through(live, request)
    exists = live.device_exists(request.name)
    handler = live.device_handler(request.name) if exists else None
    outcome = Outcome()
    if request.state == "absent":
        if exists:
            outcome.before = {"name": request.name, "handler": handler}
            outcome.after = {}
            _refuse_if_in_use(live, request, "delete")
            outcome.plan.add("remove_device", join("handlers", handler or request.handler, "mgmt"),
                             "del_device %s" % request.name, "delete device %s" % request.name)
        return outcome
    if not exists:
        outcome.before = {}
        outcome.after = request.shape(dict(request.attributes), request.filename)
        _plan_create(outcome.plan, request)
        return outcome
    if handler != request.handler:
        if not request.recreate:
            raise ScstError("device %s exists with handler %s, not %s; set recreate: true to "
                            "re-create it (its LUN mappings are restored)"
                            % (request.name, handler, request.handler), device=request.name)
        outcome.before = {"name": request.name, "handler": handler}
        outcome.after = request.shape(dict(request.attributes), request.filename)
        _plan_recreate(live, outcome.plan, request, old_handler=handler)
        return outcome
    return _plan_existing(live, request, outcome)


def _plan_create(plan, request):
    params = ";".join("%s=%s" % p for p in request.creation_params())
    plan.add("create_device", request.mgmt(), ("add_device %s %s" % (request.name, params)).strip(),
             "create %s device %s" % (request.handler, request.name))
    create_names = catalog.CREATE_PARAMS.get(request.handler, ())
    for attr, value in sorted(request.attributes.items()):
        if attr not in create_names:
            plan.add("device_attr", join("devices", request.name, attr), value,
                     "set %s of device %s" % (attr, request.name))
    if request.handler == catalog.VCDROM and request.filename:
        plan.add("device_attr", join("devices", request.name, "filename"), request.filename,
                 "insert medium into %s" % request.name)


def _live_filename(live, name):
    attr = live.device_attr(name, "filename")
    value = attr.value.strip() if attr else ""
    return "" if value == "none" else value


def _plan_existing(live, request, outcome):
    before, differing = catalog.compare_attributes(catalog.DEVICE_ATTRS, request.attributes,
                                                   partial(live.device_attr, request.name))
    after = dict(request.attributes)
    immutable = ["%s (is %s, wanted %s)" % (attr, before[attr], wanted) for attr, wanted in differing
                 if not catalog.DEVICE_ATTRS[attr].writable]
    writes = [(attr, wanted) for attr, wanted in differing if catalog.DEVICE_ATTRS[attr].writable]
    filename_before = None
    if request.filename is not None:
        filename_before = _live_filename(live, request.name)
    outcome.before = request.shape(before, filename_before)
    outcome.after = request.shape(after, request.filename)
    if immutable:
        if not request.recreate:
            raise ScstError("device %s differs in creation-time attributes: %s. These change only "
                            "by re-creating the device, which drops and then restores its LUN "
                            "mappings; set recreate: true to allow it"
                            % (request.name, "; ".join(immutable)), device=request.name)
        _plan_recreate(live, outcome.plan, request, old_handler=request.handler)
        return outcome
    plan = outcome.plan
    if request.filename is not None and filename_before != request.filename:
        if request.handler == catalog.VCDROM:
            plan.add("device_attr", join("devices", request.name, "filename"), request.filename,
                     "change medium of %s" % request.name)
        else:
            _refuse_if_in_use(live, request, "change the backing file of")
            _plan_filename_swap(live, plan, request, writes)
            writes = [(a, val) for a, val in writes if a != "active"]
    for attr, wanted in writes:
        plan.add("device_attr", join("devices", request.name, attr), wanted,
                 "set %s of device %s" % (attr, request.name))
    return outcome


def _plan_filename_swap(live, plan, request, writes):
    """fileio/blockio accept a new filename only while the device is inactive."""
    active_attr = live.device_attr(request.name, "active")
    active_now = active_attr is not None and active_attr.value.strip() == "1"
    keep = "1" if active_now else "0"
    wanted_active = dict(writes).get("active", request.attributes.get("active", keep))
    path = join("devices", request.name)
    if active_now:
        plan.add("device_attr", join(path, "active"), "0", "deactivate %s to change its backing "
                 "file" % request.name)
    plan.add("device_attr", join(path, "filename"), request.filename,
             "change backing file of %s" % request.name)
    if wanted_active == "1":
        plan.add("device_attr", join(path, "active"), "1", "reactivate %s" % request.name)


def _refuse_if_in_use(live, request, verb):
    if request.force:
        return
    busy = sessions_in_use(live, live.device_exports(request.name))
    if busy:
        raise SafetyError("refusing to %s device %s: initiators are logged in to LUNs that use it "
                          "(%s); set force: true to do it anyway" % (verb, request.name, "; ".join(busy)),
                          device=request.name, sessions=busy)


def _plan_recreate(live, plan, request, *, old_handler):
    exports = live.device_exports(request.name)
    if not request.force:
        busy = sessions_in_use(live, exports)
        if busy:
            raise SafetyError("refusing to re-create device %s: initiators are logged in to LUNs "
                              "that use it (%s); set force: true to do it anyway"
                              % (request.name, "; ".join(busy)), device=request.name, sessions=busy)
    plan.add("remove_device", join("handlers", old_handler, "mgmt"), "del_device %s" % request.name,
             "delete device %s to re-create it" % request.name)
    _plan_create(plan, request)
    # A LUN reads read_only 1 when it was added read-only *or* its device is
    # read-only; only the former is a property of the mapping to restore.
    old_ro = live.device_attr(request.name, "read_only")
    device_was_ro = old_ro is not None and old_ro.value.strip() == "1"
    for driver, target, group, lun in exports:
        mapping = live.lun(driver, target, group, lun)
        lun_ro = mapping is not None and mapping.read_only and not device_was_ro
        params = " read_only=1" if lun_ro else ""
        plan.add("restore_lun", join(lun_set_dir(driver, target, group), "mgmt"),
                 "add %s %d%s" % (request.name, lun, params),
                 "restore LUN %d of %s/%s%s" % (lun, driver, target, "/" + group if group else ""))


def _plan_pass_through(live, request):
    outcome = Outcome()
    if not live.device_exists(request.name):
        if request.state == "absent":
            return outcome
        raise ScstError("no local SCSI device %s in SCST's device list (lsscsi shows what exists)"
                        % request.name, device=request.name)
    handler = live.device_handler(request.name)
    outcome.before = {"name": request.name, "handler": handler}
    if request.state == "absent":
        outcome.after = {"name": request.name, "handler": None}
        if handler == request.handler:
            outcome.plan.add("remove_device", request.mgmt(), "del_device %s" % request.name,
                             "unassign %s from %s" % (request.name, request.handler))
        return outcome
    outcome.after = {"name": request.name, "handler": request.handler}
    if handler != request.handler:
        outcome.plan.add("create_device", request.mgmt(), "add_device %s" % request.name,
                         "assign %s to %s" % (request.name, request.handler))
    before_attrs, differing = catalog.compare_attributes(
        catalog.DEVICE_ATTRS, request.attributes, partial(live.device_attr, request.name))
    if request.attributes:
        outcome.before["attributes"], outcome.after["attributes"] = before_attrs, dict(request.attributes)
    for attr, wanted in differing:
        outcome.plan.add("device_attr", join("devices", request.name, attr), wanted,
                         "set %s of device %s" % (attr, request.name))
    return outcome
