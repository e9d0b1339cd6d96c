# -*- coding: utf-8 -*-
# Copyright: scst.iscsi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Plan SCST's global attributes (files of the sysfs root such as setup_id,
threads, cluster_name) and the attributes of a device handler.

setup_id is written before devices are created: it seeds the default
t10_dev_id and usn of every vdisk created after it.
"""

from __future__ import annotations

from ansible_collections.scst.iscsi.plugins.module_utils.scst import catalog
from ansible_collections.scst.iscsi.plugins.module_utils.scst import values as v
from ansible_collections.scst.iscsi.plugins.module_utils.scst.outcome import Outcome
from ansible_collections.scst.iscsi.plugins.module_utils.scst.sysfs import join


class RootRequest(object):
    """Global attributes: catalog ones normalised, others carried as exact strings."""

    def __init__(self, *, attributes=None, field_prefix=""):
        self.field_prefix = field_prefix
        self.attributes = catalog.desired_attributes(catalog.ROOT_ATTRS, attributes, kind="root",
                                                     field_prefix=field_prefix, carry=True)


class HandlerRequest(object):
    """Attributes of a device handler (handlers/<handler>/), carried as exact strings."""

    def __init__(self, *, handler, attributes=None, field_prefix=""):
        self.handler = v.choice(field_prefix + "handler", handler, catalog.ALL_HANDLERS)
        self.field_prefix = field_prefix
        self.attributes = catalog.desired_attributes({}, attributes, kind="handler",
                                                     field_prefix=field_prefix, carry=True)


def _plan_attrs(live, outcome, table, wanted, base, *, phase, what, field_prefix):
    def read(attr):
        return live.sysfs.read_attr(join(base, attr))

    before, differing = catalog.compare_attributes(table, wanted, read)
    catalog.refuse_missing(table, before, what=what, field_prefix=field_prefix)
    for attr, value in differing:
        outcome.plan.add(phase, join(base, attr), value, "set %s of %s" % (attr, what))
    outcome.before, outcome.after = before, dict(wanted)
    return outcome


def plan_root(live, request, *, check_mode=False):
    live.sysfs.require_loaded()
    return _plan_attrs(live, Outcome(), catalog.ROOT_ATTRS, request.attributes, "", phase="root_attr",
                       what="SCST", field_prefix=request.field_prefix)


def plan_handler(live, request, *, check_mode=False):
    live.sysfs.require_loaded(handler=request.handler)
    return _plan_attrs(live, Outcome(), {}, request.attributes, join("handlers", request.handler),
                       phase="handler_attr", what="handler %s" % request.handler,
                       field_prefix=request.field_prefix)
