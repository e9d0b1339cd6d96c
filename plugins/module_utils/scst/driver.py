# -*- coding: utf-8 -*-
# Copyright: scst.iscsi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Plan target-driver settings: the iSCSI driver switch and its attributes."""

from __future__ import annotations

from functools import partial

from ansible_collections.scst.iscsi.plugins.module_utils.scst import catalog
from ansible_collections.scst.iscsi.plugins.module_utils.scst import values as v
from ansible_collections.scst.iscsi.plugins.module_utils.scst.errors import ValidationError
from ansible_collections.scst.iscsi.plugins.module_utils.scst.outcome import Outcome
from ansible_collections.scst.iscsi.plugins.module_utils.scst.sysfs import join
from ansible_collections.scst.iscsi.plugins.module_utils.scst.target import require_driver


class DriverRequest(object):
    """A target driver's switch and attributes.  ``carry``: keep attributes
    outside the catalog as exact strings (whole-host configuration)."""

    def __init__(self, *, driver="iscsi", enabled=None, attributes=None, carry=False, field_prefix=""):
        f = field_prefix
        self.driver = v.driver_name(f + "driver", driver)
        if self.driver == "copy_manager":
            raise ValidationError(f + "driver", "copy_manager is SCST's own: its target and LUNs are "
                                                "automatic and never configured")
        self.enabled = None if enabled is None else bool(v.boolean(f + "enabled", enabled))
        self.field_prefix = f

        def checked(attr, field):
            if str(attr).startswith(("IncomingUser", "OutgoingUser")):
                raise ValidationError(field, "discovery CHAP accounts are managed with scst_chap "
                                             "without a target")

        self.attributes = catalog.desired_attributes(
            catalog.DRIVER_ATTRS, attributes, kind="driver", field_prefix=f, carry=carry,
            what="%s driver" % self.driver, applies=lambda spec: spec.where == self.driver, checked=checked)


def plan_driver(live, request, *, check_mode=False):
    require_driver(live, request.driver)
    outcome = Outcome()
    before, after = {"driver": request.driver}, {"driver": request.driver}
    before_attrs, differing = catalog.compare_attributes(
        catalog.DRIVER_ATTRS, request.attributes, partial(live.driver_attr, request.driver))
    catalog.refuse_missing(catalog.DRIVER_ATTRS, before_attrs, what="driver %s" % request.driver,
                           field_prefix=request.field_prefix)
    if request.attributes:
        before["attributes"], after["attributes"] = before_attrs, dict(request.attributes)
    for attr, wanted in differing:
        outcome.plan.add("driver_attr", join("targets", request.driver, attr), wanted,
                         "set %s of driver %s" % (attr, request.driver))
    if request.enabled is not None:
        current = live.driver_attr(request.driver, "enabled")
        if current is None:
            raise ValidationError(request.field_prefix + "enabled",
                                  "driver %s has no enabled switch" % request.driver)
        before["enabled"] = current.value.strip() == "1"
        after["enabled"] = request.enabled
        if before["enabled"] != request.enabled:
            outcome.plan.add("enable_driver", join("targets", request.driver, "enabled"),
                             "1" if request.enabled else "0",
                             "%s driver %s" % ("enable" if request.enabled else "disable", request.driver))
    outcome.before, outcome.after = before, after
    return outcome
