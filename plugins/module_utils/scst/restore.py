# -*- coding: utf-8 -*-
# Copyright: scst.iscsi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The boot-time restore: /etc/scst.conf applied with scst_config's own engine.

``main(argv)`` is the command ``scst-iscsi-restore`` (the role installs this
tree and a launcher that calls it).  It reads the file with the collection's
parser (conf.py), plans with scst_config's planner (config.py) under the same
host lock and checks (runner.execute), and writes with the same apply code
(plan.apply_action).  It runs without Ansible: nothing it imports needs it.

Unlike a module run it keeps going when one object cannot be set up.  An
object (a device, a target, an initiator group, a LUN, an ALUA device or
target group) fails when its own planning or one of its writes fails; every
later write that configures it or needs it is then skipped, and so is the
object of that write.  What needs what:

* a device's attributes, the LUNs and the ALUA memberships of a device need the
  device: a device that is not fully set up (a missing backing file, an identity
  attribute refused) is never exported;
* everything of a target needs the target (a target whose CHAP, allowed portals
  or attributes failed gets no further writes); a group's LUNs and initiators
  need the group; a LUN's attributes need the LUN;
* enabling a target needs the target, each of its initiator groups and the ALUA
  target group it is a member of: a target whose access control is incomplete
  is never enabled (initiators could see LUNs meant for others);
* a failure of the driver itself (discovery CHAP, iSNS) does not hold its
  targets (they have their own access control); iscsi-scstd not running fails
  every write of the driver.

One line per failed object goes to stderr (the object, the write or the field,
the reason; secrets masked as everywhere), then one per skipped object naming
what it waited for.  Exit status: 0 all applied, 3 partial (some objects
failed or were skipped, the rest applied), 1 nothing could be done (the file
unreadable or refused, SCST not loaded, the lock held), 2 bad command line.
"""

from __future__ import annotations

import argparse
import contextlib
import sys

from ansible_collections.scst.iscsi.plugins.module_utils.common.errors import ModuleError
from ansible_collections.scst.iscsi.plugins.module_utils.scst.chap import ChapRequest
from ansible_collections.scst.iscsi.plugins.module_utils.scst.conf import parse_scst_conf
from ansible_collections.scst.iscsi.plugins.module_utils.scst.config import (
    ConfigRequest,
    DriverPlanItem,
    MissingDevice,
    plan_config,
)
from ansible_collections.scst.iscsi.plugins.module_utils.scst.device import DeviceRequest
from ansible_collections.scst.iscsi.plugins.module_utils.scst.driver import DriverRequest
from ansible_collections.scst.iscsi.plugins.module_utils.scst.errors import DaemonNotRunningError, ScstError
from ansible_collections.scst.iscsi.plugins.module_utils.scst.group import GroupRequest
from ansible_collections.scst.iscsi.plugins.module_utils.scst.lun import LunSetRequest
from ansible_collections.scst.iscsi.plugins.module_utils.scst.plan import apply_action
from ansible_collections.scst.iscsi.plugins.module_utils.scst.root import HandlerRequest
from ansible_collections.scst.iscsi.plugins.module_utils.scst.runner import execute
from ansible_collections.scst.iscsi.plugins.module_utils.scst.sysfs import DEFAULT_ROOT
from ansible_collections.scst.iscsi.plugins.module_utils.scst.target import TargetRequest

PROG = "scst-iscsi-restore"
DEFAULT_CONFIG = "/etc/scst.conf"
EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_PARTIAL = 3

SCST = ("scst",)
ALUA = ("alua",)


# -- objects: what a write configures and what it needs -----------------------

def _lun_key(driver, target, group, number):
    return ("lun", driver, target, group, number)


def _lun_objects(action, driver, target, group, rest, needs):
    """``rest``: the path below a LUN set (``mgmt`` or ``N/ATTR``)."""
    words = action.data.split()
    if rest[0] == "mgmt":
        if words and words[0] in ("add", "replace") and len(words) > 2:
            return _lun_key(driver, target, group, words[2]), needs + (("device", words[1]),)
        number = words[1] if len(words) > 1 else "?"
        return _lun_key(driver, target, group, number), needs
    lun = _lun_key(driver, target, group, rest[0])
    return lun, needs + (lun,)


def _target_objects(action, parts):
    """Writes below targets/DRIVER."""
    driver = parts[1]
    daemon = ("daemon", driver)
    words = action.data.split()
    arg = words[1] if len(words) > 1 else ""
    if len(parts) == 3:
        if parts[2] == "mgmt" and words and words[0] in ("add_target", "del_target"):
            return ("target", driver, arg), (daemon,)
        if parts[2] == "mgmt" and words and words[0] in ("add_target_attribute", "del_target_attribute"):
            target = ("target", driver, arg)
            return target, (daemon, target)
        return ("driver", driver), (daemon,)
    name = parts[2]
    target = ("target", driver, name)
    rest = parts[3:]
    if rest[0] == "luns":
        return _lun_objects(action, driver, name, None, rest[1:], (daemon, target))
    if rest[0] == "ini_groups" and len(rest) > 1:
        if rest[1] == "mgmt":
            return ("group", driver, name, arg), (daemon, target)
        group = ("group", driver, name, rest[1])
        if len(rest) > 2 and rest[2] == "luns":
            return _lun_objects(action, driver, name, rest[1], rest[3:], (daemon, target, group))
        return group, (daemon, target, group)
    return target, (daemon, target)


def _alua_objects(action, parts):
    """Writes below device_groups."""
    words = action.data.split()
    arg = words[1] if len(words) > 1 else ""
    if len(parts) == 2:
        if parts[1] == "mgmt":
            return ("device_group", arg), ()
        return ALUA, ()
    group = ("device_group", parts[1])
    if parts[2] == "devices":
        return group, (group, ("device", arg))
    if parts[2] == "target_groups" and len(parts) > 3:
        if parts[3] == "mgmt":
            return ("target_group", parts[1], arg), (group,)
        tg = ("target_group", parts[1], parts[3])
        if len(parts) == 5 and parts[4] == "mgmt":
            # a member by name: a target of this host (or of another node, never failed here)
            return tg, (group, tg, ("target_name", arg))
        return tg, (group, tg)
    return group, (group,)


def action_objects(action):
    """``(owner, needs)`` of a planned write: the object it creates or configures,
    and the objects that must not have failed for it to be written.  Objects
    are tuples: ``("device", name)``, ``("target", driver, name)``, ``("group",
    driver, target, name)``, ``("lun", driver, target, group or None, number)``,
    ``("device_group", name)``, ``("target_group", group, name)``, ``("driver",
    name)``, ``("handler", name)``, ``("daemon", driver)``, SCST's root."""
    parts = action.path.split("/")
    words = action.data.split()
    if parts[0] == "devices" and len(parts) > 2:
        device = ("device", parts[1])
        return device, (device,)
    if parts[0] == "handlers" and len(parts) > 2:
        if parts[2] == "mgmt" and words and words[0] in ("add_device", "del_device") and len(words) > 1:
            return ("device", words[1]), ()
        return ("handler", parts[1]), ()
    if parts[0] == "targets" and len(parts) > 2:
        return _target_objects(action, parts)
    if parts[0] == "device_groups" and len(parts) > 1:
        return _alua_objects(action, parts)
    return SCST, ()


def describe(key):
    """An object in words, for the operator."""
    kind = key[0]
    if kind == "lun":
        _kind, driver, target, group, number = key
        return "LUN %s of %s/%s%s" % (number, driver, target, " group " + group if group else "")
    if kind == "target":
        return "target %s/%s" % (key[1], key[2])
    if kind == "group":
        return "initiator group %s of %s/%s" % (key[3], key[1], key[2])
    if kind == "target_group":
        return "ALUA target group %s of device group %s" % (key[2], key[1])
    if kind == "device_group":
        return "ALUA device group %s" % key[1]
    if kind == "daemon":
        return "the %s target daemon" % key[1]
    if kind == "target_name":
        return "target %s" % key[1]
    if key == SCST:
        return "SCST's global attributes"
    if key == ALUA:
        return "ALUA's attributes"
    return "%s %s" % (kind.replace("_", " "), key[1])


def request_objects(sub_request, alua):
    """The objects whose planning failed, from the request handed to ``ConfigRequest.on_error``."""
    if isinstance(sub_request, (DeviceRequest, MissingDevice)):
        return [("device", sub_request.name)]
    if isinstance(sub_request, TargetRequest):
        return [("target", sub_request.driver, sub_request.name)]
    if isinstance(sub_request, GroupRequest):
        return [("group", sub_request.driver, sub_request.target, sub_request.name)]
    if isinstance(sub_request, LunSetRequest):
        return [_lun_key(sub_request.driver, sub_request.target, sub_request.group, str(lun.number))
                for lun in sub_request.luns]
    if isinstance(sub_request, ChapRequest):
        if sub_request.target:
            return [("target", sub_request.driver, sub_request.target)]
        return [("driver", sub_request.driver)]
    if isinstance(sub_request, DriverRequest):
        return [("driver", sub_request.driver)]
    if isinstance(sub_request, DriverPlanItem):
        driver = sub_request.driver.driver
        return [("daemon", driver)] + [("target", driver, t.target.name) for t in sub_request.targets]
    if isinstance(sub_request, HandlerRequest):
        return [("handler", sub_request.handler)]
    if sub_request is alua:
        return [("target_group", g.name, tg.name) for g in alua.groups for tg in g.target_groups] or [ALUA]
    return [SCST]


# -- the run ------------------------------------------------------------------

class Restore(object):
    """What failed and what was skipped; the keep-going apply."""

    def __init__(self, request, *, log):
        self.request = request
        self.log = log
        self.failed = {}       # object -> reason (first failure)
        self.skipped = {}      # object -> the failed object it waited for
        self.writes = 0
        # ALUA members by target name: a failed target group holds them
        self.member_of = {}
        for group in request.alua.groups:
            for tg in group.target_groups:
                for member in tg.targets:
                    self.member_of.setdefault(member.name, []).append(("target_group", group.name, tg.name))

    def _broken(self, key):
        return key in self.failed or key in self.skipped

    def _mark_failed(self, key, reason):
        if self._broken(key):
            return
        self.failed[key] = reason
        self.log("failed: %s: %s" % (describe(key), reason))
        if key[0] == "target":
            self.failed.setdefault(("target_name", key[2]), reason)

    def _mark_skipped(self, key, blocker):
        if self._broken(key):
            return
        self.skipped[key] = blocker
        if key[0] == "target":
            self.skipped.setdefault(("target_name", key[2]), blocker)

    def planning_failed(self, sub_request, exc):
        for key in request_objects(sub_request, self.request.alua):
            self._mark_failed(key, "cannot be planned: %s" % exc)

    def _blocker(self, action, owner, needs):
        for need in needs:
            if self._broken(need):
                return need
        if action.phase == "enable_target" and owner[0] == "target":
            _kind, driver, name = owner
            for key in list(self.failed) + list(self.skipped):
                if key[0] == "group" and key[1:3] == (driver, name):
                    return key
            for tg in self.member_of.get(name, ()):
                if self._broken(tg) or self._broken(("device_group", tg[1])):
                    return tg if self._broken(tg) else ("device_group", tg[1])
        return None

    def apply(self, sysfs, plan):
        """``execute``'s apply: every write whose objects are sound, in plan order."""
        for action in plan.actions:
            owner, needs = action_objects(action)
            blocker = self._blocker(action, owner, needs)
            if blocker is not None:
                self._mark_skipped(owner, blocker)
                continue
            try:
                apply_action(sysfs, action)
                self.writes += 1
            except DaemonNotRunningError as exc:
                self._mark_failed(("daemon", owner[1]) if len(owner) > 1 else owner, str(exc))
                self._mark_failed(owner, str(exc))
            except ScstError as exc:
                self._mark_failed(owner, str(exc))

    def report_skipped(self):
        for key, blocker in sorted(self.skipped.items(), key=lambda item: _sort_key(item[0])):
            if key[0] == "target_name":
                continue
            why = "failed" if blocker in self.failed else "was skipped"
            self.log("skipped: %s: it needs %s, which %s" % (describe(key), describe(blocker), why))

    @property
    def complete(self):
        return not self.failed and not self.skipped


def _sort_key(key):
    return tuple(str(part) for part in key)


def _parser():
    parser = argparse.ArgumentParser(
        prog=PROG, description="Apply an SCST configuration file (scst.conf) to the running SCST with the "
                               "scst.iscsi collection's engine, keeping going past objects that fail.")
    parser.add_argument("--config", default=DEFAULT_CONFIG, metavar="PATH",
                        help="the configuration file (default: %(default)s)")
    parser.add_argument("--sysfs-root", default=DEFAULT_ROOT, metavar="PATH",
                        help="SCST's sysfs tree (default: %(default)s)")
    parser.add_argument("--check", action="store_true", help="print the plan and change nothing")
    return parser


def _path_option(parser, option, value, *, absolute):
    """A path the command opens: text without NUL or line breaks (each failure is
    one log line), absolute where the default is."""
    if not value or any(c in value for c in "\x00\n\r") or (absolute and not value.startswith("/")):
        parser.error("%s: must be %s path without NUL or line breaks (got %r)"
                     % (option, "an absolute" if absolute else "a", value))
    return value


def _read_config(path):
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except (OSError, ValueError) as exc:
        raise ScstError("cannot read %s: %s" % (path, getattr(exc, "strerror", None) or exc)) from None
    config, _notes = parse_scst_conf(text)
    return config


def _print_plan(plan, out):
    for step in plan:
        out.write("%s: %s <- %s\n" % (step["what"], step["path"], step["write"]))


def main(argv=None, *, out=None, err=None):
    """The command line; returns the exit status."""
    out = out or sys.stdout
    err = err or sys.stderr

    def log(text):
        err.write("%s: %s\n" % (PROG, text))
        err.flush()

    parser = _parser()
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):  # --help, usage errors
            args = parser.parse_args(argv)
            _path_option(parser, "--config", args.config, absolute=False)
            _path_option(parser, "--sysfs-root", args.sysfs_root, absolute=True)
    except SystemExit as exc:
        return EXIT_OK if exc.code in (0, None) else EXIT_USAGE
    try:
        request = ConfigRequest(_read_config(args.config))
    except ModuleError as exc:
        log("%s: nothing applied: %s" % (args.config, exc))
        return EXIT_FAILED
    restore = Restore(request, log=log)
    request.on_error = restore.planning_failed
    params = {"sysfs_root": args.sysfs_root, "force": False}
    try:
        result = execute(params, lambda live: plan_config(live, request, check_mode=args.check),
                         check_mode=args.check, diff=False, warn=lambda text: log("warning: " + text),
                         apply=restore.apply)
    except ModuleError as exc:
        log("nothing applied: %s" % exc)
        return EXIT_FAILED
    restore.report_skipped()
    if args.check:
        _print_plan(result["plan"], out)
        out.write("%d write(s) planned from %s\n" % (len(result["plan"]), args.config))
    else:
        out.write("%d write(s) made from %s; %d object(s) failed, %d skipped\n"
                  % (restore.writes, args.config, len([k for k in restore.failed if k[0] != "target_name"]),
                     len([k for k in restore.skipped if k[0] != "target_name"])))
    out.flush()
    return EXIT_OK if restore.complete else EXIT_PARTIAL
