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
    def __init__(self, *, driver="iscsi", enabled=None, attributes=None, field_prefix=""):
        f = field_prefix
        self.driver = v.driver_name(f + "driver", driver)
        self.enabled = None if enabled is None else bool(v.boolean(f + "enabled", enabled))
        self.attributes = {}
        for attr, value in sorted((attributes or {}).items()):
            field = "%sattributes.%s" % (f, attr)
            if attr.startswith(("IncomingUser", "OutgoingUser")):
                raise ValidationError(field, "discovery CHAP accounts are managed with scst_chap "
                                             "without a target")
            spec = catalog.DRIVER_ATTRS.get(attr)
            if spec is None or spec.where != self.driver:
                raise ValidationError(field, "%s is not a managed %s driver attribute; allowed: %s" % (
                    attr, self.driver, ", ".join(sorted(n for n, s in catalog.DRIVER_ATTRS.items()
                                                        if s.where == self.driver)) or "none"))
            self.attributes[attr] = spec.desired(field, value)


def plan_driver(live, request):
    require_driver(live, request.driver)
    outcome = Outcome()
    before, after = {"driver": request.driver}, {"driver": request.driver}
    before_attrs, differing = catalog.compare_attributes(
        catalog.DRIVER_ATTRS, request.attributes, partial(live.driver_attr, request.driver))
    if request.attributes:
        before["attributes"], after["attributes"] = before_attrs, dict(request.attributes)
    for attr, wanted in differing:
        outcome.plan.add("driver_attr", join("targets", request.driver, attr), wanted,
                         "set %s of driver %s" % (attr, request.driver))
    if request.enabled is not None:
        current = live.driver_attr(request.driver, "enabled")
        if current is None:
            raise ValidationError("enabled", "driver %s has no enabled switch" % request.driver)
        before["enabled"] = current.value.strip() == "1"
        after["enabled"] = request.enabled
        if before["enabled"] != request.enabled:
            outcome.plan.add("enable_driver", join("targets", request.driver, "enabled"),
                             "1" if request.enabled else "0",
                             "%s driver %s" % ("enable" if request.enabled else "disable", request.driver))
    outcome.before, outcome.after = before, after
    return outcome
