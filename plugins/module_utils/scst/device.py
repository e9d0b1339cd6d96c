# -*- coding: utf-8 -*-
# Copyright: scst.iscsi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Plan the changes that bring one SCST device to its desired state."""

from __future__ import annotations

from functools import partial

from ansible_collections.scst.iscsi.plugins.module_utils.scst import catalog
from ansible_collections.scst.iscsi.plugins.module_utils.scst import values as v
from ansible_collections.scst.iscsi.plugins.module_utils.scst.alua import device_group_of
from ansible_collections.scst.iscsi.plugins.module_utils.scst.errors import (
    SafetyError,
    ScstError,
    ValidationError,
)
from ansible_collections.scst.iscsi.plugins.module_utils.scst.files import backing_size
from ansible_collections.scst.iscsi.plugins.module_utils.scst.live import lun_set_dir
from ansible_collections.scst.iscsi.plugins.module_utils.scst.outcome import Outcome, sessions_in_use
from ansible_collections.scst.iscsi.plugins.module_utils.scst.sysfs import join

# Core device attributes that pass-through devices have too.
_PASS_THROUGH_ATTRS = ("threads_num", "threads_pool_type", "max_tgt_dev_commands")
# The size of a fileio/blockio device follows its backing store; a wanted size
# is checked against it (size in bytes, size_mb in MiB), never written.
_SIZE_ATTRS = {"size": 0, "size_mb": 20}
_SIZE_MAX = 1 << 60


def handler_creation_parameters(live, handler):
    """The add_device parameters the handler's mgmt help advertises."""
    return live.creation_params(join("handlers", handler, "mgmt"))


class DeviceRequest(object):
    """A validated desired device.  Construction validates; nothing is read.

    ``carry``: keep attributes outside the catalog as exact strings (whole-host
    configuration) instead of refusing them.  ``restore_alua``: a re-created
    device goes back into its ALUA device group (scst_config plans device
    groups itself)."""

    def __init__(self, *, name, handler, state="present", filename=None, attributes=None,
                 recreate=False, force=False, carry=False, restore_alua=True, field_prefix=""):
        f = field_prefix
        self.handler = v.choice(f + "handler", handler, catalog.ALL_HANDLERS)
        self.pass_through = self.handler in catalog.PASS_THROUGH_HANDLERS
        self.name = (v.pass_through_name if self.pass_through else v.device_name)(f + "name", name)
        self.state = v.choice(f + "state", state, ("present", "absent"))
        self.recreate = bool(recreate)
        self.force = bool(force)
        self.restore_alua = bool(restore_alua)
        self.field_prefix = f

        def checked(attr, field):
            if self.pass_through:
                if attr not in _PASS_THROUGH_ATTRS and (attr in catalog.DEVICE_ATTRS or not carry):
                    raise ValidationError(field, "pass-through devices accept only %s"
                                          % ", ".join(_PASS_THROUGH_ATTRS))
            elif attr == "filename":
                raise ValidationError(field, "give the backing file as the filename option")
            elif attr == "size" and self.handler not in (catalog.FILEIO, catalog.BLOCKIO):
                raise ValidationError(field, "give the size of a nullio device as size_mb "
                                             "(for fileio/blockio it follows the backing store)")

        def applies(spec):
            if self.pass_through:
                return spec.name in _PASS_THROUGH_ATTRS
            return self.handler in catalog.where_of(spec)

        self.wanted_size, self.size_field = None, None
        if self.handler in (catalog.FILEIO, catalog.BLOCKIO) and attributes:
            attributes = dict(attributes)
            for attr, shift in sorted(_SIZE_ATTRS.items()):
                if attr in attributes:
                    field = "%sattributes.%s" % (f, attr)
                    if self.size_field is not None:
                        raise ValidationError(field, "give the wanted size once, as size or as size_mb")
                    self.wanted_size = v.integer(field, attributes.pop(attr), minimum=1,
                                                 maximum=_SIZE_MAX >> shift) << shift
                    self.size_field = field
        self.attributes = catalog.desired_attributes(
            catalog.DEVICE_ATTRS, attributes, kind="device", field_prefix=f, carry=carry,
            where=None if self.pass_through else self.handler, applies=applies, checked=checked)
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

    @classmethod
    def removal(cls, *, name, handler, force):
        """The deletion of a device that exists (names read from the live tree)."""
        request = cls.__new__(cls)
        request.name, request.handler, request.state = name, handler, "absent"
        request.pass_through = handler in catalog.PASS_THROUGH_HANDLERS
        request.recreate, request.force, request.restore_alua = False, bool(force), False
        request.attributes, request.filename, request.field_prefix = {}, None, ""
        request.wanted_size, request.size_field = None, None
        return request

    @property
    def carried(self):
        """Wanted attributes outside the catalog."""
        return sorted(a for a in self.attributes if a not in catalog.DEVICE_ATTRS)

    def creation_params(self, advertised=()):
        """``add_device`` parameters: the creation parameters among the wanted
        attributes (catalog ones by the catalog, others when the handler's mgmt
        help ``advertised`` them; an empty value is written after creation)."""
        names = catalog.CREATE_PARAMS.get(self.handler, ())
        params = []
        if self.filename and self.handler != catalog.VCDROM:
            params.append(("filename", self.filename))
        for attr, value in sorted(self.attributes.items()):
            if attr in catalog.DEVICE_ATTRS:
                if attr in names:
                    params.append((attr, value))
            elif attr in advertised and value != "":
                params.extend(catalog.creation_pairs("%sattributes.%s" % (self.field_prefix, attr), attr, value))
        return params

    def mgmt(self):
        return join("handlers", self.handler, "mgmt")

    def shape(self, attributes, filename=None):
        shape = {"name": self.name, "handler": self.handler, "attributes": attributes}
        if filename is not None:
            shape["filename"] = filename
        return shape


def plan_device(live, request, *, check_mode=False):
    live.sysfs.require_loaded(handler=request.handler)
    if request.pass_through:
        return _plan_pass_through(live, request)
    advertised = handler_creation_parameters(live, request.handler) if request.carried else ()
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
        _check_new_size(request)
        outcome.before = {}
        outcome.after = request.shape(dict(request.attributes), request.filename)
        _plan_create(outcome.plan, request, advertised)
        return outcome
    if handler != request.handler:
        if not request.recreate:
            raise ScstError("device %s exists with handler %s, not %s; set recreate: true to "
                            "re-create it (its LUN mappings are restored)"
                            % (request.name, handler, request.handler), device=request.name)
        _check_new_size(request)
        outcome.before = {"name": request.name, "handler": handler}
        outcome.after = request.shape(dict(request.attributes), request.filename)
        _plan_recreate(live, outcome.plan, request, advertised, old_handler=handler)
        return outcome
    return _plan_existing(live, request, outcome, advertised)


def _plan_create(plan, request, advertised):
    creation = request.creation_params(advertised)
    params = ";".join("%s=%s" % p for p in creation)
    plan.add("create_device", request.mgmt(), ("add_device %s %s" % (request.name, params)).strip(),
             "create %s device %s" % (request.handler, request.name))
    passed = set(name for name, _value in creation)
    for attr, value in sorted(request.attributes.items()):
        if attr not in passed:
            _write(plan, request, attr, value)
    if request.handler == catalog.VCDROM and request.filename:
        plan.add("device_attr", join("devices", request.name, "filename"), request.filename,
                 "insert medium into %s" % request.name)


def _write(plan, request, attr, value):
    field = "%sattributes.%s" % (request.field_prefix, attr)
    plan.add("device_attr", join("devices", request.name, attr), catalog.single_value(field, value, attr),
             "set %s of device %s" % (attr, request.name))


def _live_filename(live, name):
    attr = live.device_attr(name, "filename")
    value = attr.value.strip() if attr else ""
    return "" if value == "none" else value


def _writable(attr):
    """Catalog attributes say; one outside the catalog is written (SCST answers
    EACCES for a read-only one, which the error explains)."""
    spec = catalog.DEVICE_ATTRS.get(attr)
    return spec is None or spec.writable


def _plan_existing(live, request, outcome, advertised):
    before, differing = catalog.compare_attributes(catalog.DEVICE_ATTRS, request.attributes,
                                                   partial(live.device_attr, request.name))
    skip = catalog.refuse_missing(catalog.DEVICE_ATTRS, before, what="device %s" % request.name,
                                  field_prefix=request.field_prefix, creation=advertised)
    differing = [(attr, wanted) for attr, wanted in differing if attr not in skip]
    after = dict(request.attributes)
    immutable = ["%s (is %s, wanted %s)" % (attr, before[attr], wanted) for attr, wanted in differing
                 if not _writable(attr)]
    writes = [(attr, wanted) for attr, wanted in differing if _writable(attr)]
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
        _plan_recreate(live, outcome.plan, request, advertised, old_handler=request.handler)
        return outcome
    if _plan_resize(live, request, outcome, filename_before):
        _plan_recreate(live, outcome.plan, request, advertised, old_handler=request.handler)
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
        _write(plan, request, attr, wanted)
    return outcome


def _store_name(request):
    return "backing file" if request.handler == catalog.FILEIO else "block device"


def _check_new_size(request):
    """A device (re-)created takes the whole backing store: a wanted size must be its size."""
    if request.wanted_size is None or request.filename is None:
        return
    backing = backing_size(request.filename)
    if backing is not None and backing != request.wanted_size:
        raise ValidationError(request.size_field, "%d bytes, but the %s %s holds %d bytes; a new device takes "
                              "the size of its backing store (grow or shrink the store first)"
                              % (request.wanted_size, _store_name(request), request.filename, backing))


def _number_attr(live, name, attr):
    current = live.device_attr(name, attr)
    try:
        return int(current.value.strip()) if current is not None else None
    except ValueError:
        return None


def _plan_resize(live, request, outcome, filename_before):
    """Online resize of a fileio/blockio device whose backing store grew: one
    ``resync_size`` write makes SCST read the store's size again (initiators
    get a capacity-changed unit attention).  ``outcome.extra["size"]`` holds the
    size in bytes before and after.

    A wanted size (``size``/``size_mb``) must fit in the backing store and must
    not be below the live size: SCST does not shrink a device in place.  With
    ``recreate`` a smaller wanted size re-creates the device; returns True then.
    """
    if request.handler not in (catalog.FILEIO, catalog.BLOCKIO):
        return False
    live_size = _number_attr(live, request.name, "size")
    if live_size is None:
        return False
    outcome.extra["size"] = {"before": live_size, "after": live_size}
    if request.filename is not None and request.filename != filename_before:
        return False        # a new backing file: its size is read when it is opened
    path = filename_before if request.filename is None else request.filename
    backing = backing_size(path) if path else None
    store = _store_name(request)
    wanted = request.wanted_size
    if wanted is not None and backing is not None and wanted > backing:
        raise ValidationError(request.size_field, "%d bytes is more than the %s %s holds (%d bytes); grow the %s "
                              "first" % (wanted, store, path, backing, store))
    if wanted is not None and wanted < live_size:
        if not request.recreate:
            raise ValidationError(request.size_field, "%d bytes is less than the device's current size of %d "
                                  "bytes; SCST does not shrink a device in place (initiators would lose the "
                                  "data past the new end): shrink the %s and set recreate: true to re-create "
                                  "the device" % (wanted, live_size, store))
        _check_new_size(request)    # else the next run would re-create it again
        outcome.extra["size"]["after"] = wanted
        return True
    active = live.device_attr(request.name, "active")
    if backing is None or (active is not None and active.value.strip() != "1"):
        return False
    if backing > live_size:
        outcome.plan.add("device_attr", join("devices", request.name, "resync_size"), "1",
                         "grow device %s from %d to %d bytes (its %s grew)"
                         % (request.name, live_size, backing, store))
        outcome.extra["size"]["after"] = backing
    elif backing < live_size:
        outcome.plan.warnings.append("the %s %s of device %s (%d bytes) is smaller than the device (%d bytes); "
                                     "SCST keeps the old size until the device is re-created"
                                     % (store, path, request.name, backing, live_size))
    return False


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


def _plan_recreate(live, plan, request, advertised, *, old_handler):
    exports = live.device_exports(request.name)
    if not request.force:
        busy = sessions_in_use(live, exports)
        if busy:
            raise SafetyError("refusing to re-create device %s: initiators are logged in to LUNs "
                              "that use it (%s); set force: true to do it anyway"
                              % (request.name, "; ".join(busy)), device=request.name, sessions=busy)
    plan.add("remove_device", join("handlers", old_handler, "mgmt"), "del_device %s" % request.name,
             "delete device %s to re-create it" % request.name)
    _plan_create(plan, request, advertised)
    if request.restore_alua:
        # del_device also takes the device out of its ALUA device group
        group = device_group_of(live, request.name)
        if group:
            plan.add("dg_device", join("device_groups", group, "devices", "mgmt"), "add %s" % request.name,
                     "put re-created device %s back into device group %s" % (request.name, group))
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
    if handler == request.handler:
        catalog.refuse_missing(catalog.DEVICE_ATTRS, before_attrs, what="device %s" % request.name,
                               field_prefix=request.field_prefix)
    if request.attributes:
        outcome.before["attributes"], outcome.after["attributes"] = before_attrs, dict(request.attributes)
    for attr, wanted in differing:
        _write(outcome.plan, request, attr, wanted)
    return outcome
