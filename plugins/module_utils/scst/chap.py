# -*- coding: utf-8 -*-
# Copyright: scst.iscsi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Plan iSCSI CHAP accounts: incoming (initiators authenticating to us) and
outgoing (mutual CHAP), per target or at the driver for discovery sessions.

Secrets live only in iscsi-scstd and in 0600 sysfs files.  They travel in
``Action.data`` and nowhere else: every shown form is masked.
"""

from __future__ import annotations

from ansible_collections.scst.iscsi.plugins.module_utils.scst import values as v
from ansible_collections.scst.iscsi.plugins.module_utils.scst.live import target_dir
from ansible_collections.scst.iscsi.plugins.module_utils.scst.outcome import Outcome, require_reference
from ansible_collections.scst.iscsi.plugins.module_utils.scst.plan import MASK
from ansible_collections.scst.iscsi.plugins.module_utils.scst.sysfs import join
from ansible_collections.scst.iscsi.plugins.module_utils.scst.target import require_driver

ATTR = {"incoming": "IncomingUser", "outgoing": "OutgoingUser"}


class ChapRequest(object):
    """One CHAP account.  ``others``: 'keep' the other accounts of that
    direction, or 'remove' them."""

    def __init__(self, *, username, password=None, direction="incoming", target=None, driver="iscsi",
                 state="present", others="keep", field_prefix=""):
        f = field_prefix
        self.others = v.choice(f + "others", others, ("keep", "remove"))
        self.driver = v.choice(f + "driver", driver, ("iscsi",))
        self.target = None if target is None else v.target_name(f + "target", target)
        self.direction = v.choice(f + "direction", direction, ("incoming", "outgoing"))
        self.state = v.choice(f + "state", state, ("present", "absent"))
        self.username = v.chap_user(f + "username", username)
        self.password = None
        if self.state == "present":
            self.password = v.chap_secret(f + "password", password)

    @classmethod
    def removal(cls, *, username, direction, target=None):
        """The removal of an account that exists (names read from the live tree)."""
        request = cls.__new__(cls)
        request.driver, request.target, request.direction = "iscsi", target, direction
        request.state, request.others, request.username, request.password = "absent", "keep", username, None
        return request

    @property
    def scope(self):
        return "target %s" % self.target if self.target else "discovery"


def _shape(direction, user, secret_state):
    return {"direction": direction, "username": user, "password": secret_state}


def plan_chap(live, request, *, check_mode=False):
    require_driver(live, request.driver)
    outcome = Outcome()
    if request.target:
        require_reference(outcome, live.known_target(request.driver, request.target),
                          "target %s does not exist" % request.target, check_mode=check_mode)
        present = live.target_exists(request.driver, request.target)
    else:
        present = True
    accounts = [a for a in (live.chap_accounts(request.driver, request.target) if present else [])
                if a.direction == request.direction]
    mine = [a for a in accounts if a.user == request.username]
    mgmt = join("targets", request.driver, "mgmt")
    base = target_dir(request.driver, request.target) if request.target else join("targets", request.driver)
    attr = ATTR[request.direction]
    scope = request.scope
    add_verb = "add_target_attribute %s" % request.target if request.target else "add_attribute"
    del_verb = "del_target_attribute %s" % request.target if request.target else "del_attribute"
    phase = "chap" if request.target else "driver_attr"
    outcome.before = _shape(request.direction, mine[0].user, MASK) if mine else {}
    removals = []
    if request.state == "absent":
        removals = mine
        outcome.after = {}
    else:
        if mine:
            if mine[0].secret != request.password:
                # Writing "user secret" to the account's own file replaces it in
                # place; adding the same user again would fail with EINVAL.
                outcome.plan.add(phase, join(base, mine[0].file), "%s %s" % (request.username, request.password),
                                 "change the %s CHAP secret of %s for %s" % (request.direction, request.username, scope),
                                 secrets=(request.password,))
                outcome.after = _shape(request.direction, request.username, MASK + " (changed)")
            else:
                outcome.after = dict(outcome.before)
        else:
            if request.direction == "outgoing":
                # one outgoing account only: a second add fails with EEXIST
                removals = accounts
            outcome.plan.add(phase, mgmt, "%s %s %s %s" % (add_verb, attr, request.username, request.password),
                             "add %s CHAP user %s for %s" % (request.direction, request.username, scope),
                             secrets=(request.password,))
            outcome.after = _shape(request.direction, request.username, MASK)
        if request.others == "remove":
            removals = [a for a in accounts if a.user != request.username]
    for account in removals:
        outcome.plan.add("remove_dynamic_attr", mgmt, "%s %s %s" % (del_verb, attr, account.user),
                         "remove %s CHAP user %s of %s" % (request.direction, account.user, scope))
    outcome.extra["other_users"] = sorted(a.user for a in accounts if a.user != request.username)
    return outcome
