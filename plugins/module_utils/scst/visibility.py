# -*- coding: utf-8 -*-
# Copyright: scst.iscsi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Safe mode for what logged-in initiators see.

A session sees the LUN set of the first initiator group (in creation order) of
its target whose initiator names or patterns match it, else the target's own
LUN set; SCST re-evaluates that after every change of the groups (SYSFS-SPEC
4.6).  So besides deleting or replacing a LUN, adding an initiator name or
pattern to a group, moving it between groups, removing it, creating or
deleting a group, or deleting a device can change the LUNs a session sees.

``refuse_hidden_lun_changes`` replays a plan's writes on a model of the
targets it touches and refuses the plan (unless forced) when any logged-in
session would lose a LUN it sees, or see another device or another read-only
flag behind a LUN number.  New LUNs appearing are not refused: adding storage
to a running host is what it asked for.

Writes that never change what a session sees are not modelled: ALUA (device
groups, their devices, target groups and members: a device taken out of a
device group stays exported), attributes of LUNs, groups, targets and devices,
CHAP accounts and portals.  Deleting a virtual device takes its LUNs away;
unassigning a pass-through device from its handler leaves them (SYSFS-SPEC
4.2, 5.1).  A device the plan re-creates shows the read-only flag of its
creation parameters.
"""

from __future__ import annotations

from ansible_collections.scst.iscsi.plugins.module_utils.scst.catalog import VIRTUAL_HANDLERS
from ansible_collections.scst.iscsi.plugins.module_utils.scst.errors import SafetyError
from ansible_collections.scst.iscsi.plugins.module_utils.scst.live import target_dir
from ansible_collections.scst.iscsi.plugins.module_utils.scst.sysfs import join


def initiator_matches(pattern, name):
    """SCST's initiator name matching: ``*`` any run, ``?`` one character,
    case-insensitive; the first ``!`` negates the match of the rest of the
    pattern from where it stands (later ones are literal)."""
    pattern, name = pattern.lower(), name.lower()
    memo = {}

    def match(pi, si, negation_left):
        key = (pi, si, negation_left)
        if key in memo:
            return memo[key]
        if pi == len(pattern):
            found = si == len(name)
        elif pattern[pi] == "!" and negation_left:
            found = not match(pi + 1, si, False)
        elif pattern[pi] == "*":
            found = any(match(pi + 1, k, negation_left) for k in range(si, len(name) + 1))
        else:
            found = si < len(name) and pattern[pi] in ("?", name[si]) and match(pi + 1, si + 1, negation_left)
        memo[key] = found
        return found

    return match(0, 0, True)


class _Group(object):
    __slots__ = ("name", "patterns", "luns", "new", "matched_before")

    def __init__(self, name, patterns, luns, new):
        self.name = name
        self.patterns = list(patterns)
        self.luns = dict(luns)
        self.new = new
        self.matched_before = set()

    def matches(self, initiator):
        return any(initiator_matches(p, initiator) for p in self.patterns)


class _Session(object):
    __slots__ = ("name", "initiator", "bound", "sees")

    def __init__(self, name, initiator, bound, sees):
        self.name = name
        self.initiator = initiator
        self.bound = bound      # group name, or None for the target's own LUN set
        self.sees = sees        # {lun: (device, read_only)}


class _Target(object):
    """Groups (in no known order, new ones last), the target's LUN set, sessions."""

    def __init__(self, live, driver, name):
        self.driver = driver
        self.name = name
        self.gone = False
        self.trapped = []       # (session, group): bound to the group when it is deleted
        self.luns = _lun_set(live, driver, name, None)
        self.groups = [_Group(g, live.initiators(driver, name, g), _lun_set(live, driver, name, g), False)
                       for g in live.group_names(driver, name)]
        self.sessions = []
        base = join(target_dir(driver, name), "sessions")
        for session in live.sessions(driver, name):
            attr = live.sysfs.read_attr(join(base, session, "initiator_name"))
            initiator = attr.value.strip() if attr is not None and attr.value.strip() else session
            link = (live.sysfs.readlink(join(base, session, "luns")) or "").rstrip("/").split("/")
            bound = link[-2] if len(link) >= 3 and link[-3] == "ini_groups" else None
            sees = dict(self.group(bound).luns) if bound and self.group(bound) else dict(self.luns)
            self.sessions.append(_Session(session, initiator, bound, sees))
            for group in self.groups:
                if group.matches(initiator):
                    group.matched_before.add(session)

    def group(self, name):
        for group in self.groups:
            if group.name == name:
                return group
        return None

    def lun_set(self, group):
        if group is None:
            return self.luns
        found = self.group(group)
        return found.luns if found is not None else {}

    def candidates(self, session):
        """Groups the session may be bound to after the plan: creation order is
        not visible in sysfs, so every group that might come first counts."""
        existing = [g for g in self.groups if not g.new and g.matches(session.initiator)]
        bound = self.group(session.bound) if session.bound else None
        if bound is not None and bound in existing:
            # the bound group came first among those that matched before
            return [bound] + [g for g in existing if g is not bound and session.name not in g.matched_before]
        if existing:
            return existing
        new = [g for g in self.groups if g.new and g.matches(session.initiator)]
        return new[:1] or [None]


def _lun_set(live, driver, target, group):
    return dict((n, (lun.device, lun.read_only)) for n, lun in live.luns(driver, target, group).items())


def _affected(live, actions):
    """(driver, target) pairs whose groups, LUNs or sessions the actions touch."""
    found = set()
    for action in actions:
        parts = action.path.split("/")
        words = action.data.split()
        if parts[0] == "targets" and len(parts) >= 4:
            found.add((parts[1], parts[2]))
        elif parts[0] == "targets" and len(parts) == 3 and words[:1] == ["del_target"] and len(words) > 1:
            found.add((parts[1], words[1]))
        elif _deletes_device(parts, words):
            if live.device_exists(words[1]):
                found.update((d, t) for d, t, _g, _n in live.device_exports(words[1]))
    return sorted(found)


def _deletes_device(parts, words):
    """A del_device that takes the device's LUNs away: virtual handlers only (SYSFS-SPEC 5.1)."""
    return (len(parts) == 3 and parts[0] == "handlers" and parts[1] in VIRTUAL_HANDLERS and parts[2] == "mgmt"
            and words[:1] == ["del_device"] and len(words) > 1)


def _created_read_only(words):
    """The read-only flag an ``add_device NAME k=v;...`` gives the device."""
    params = "".join(words[2:]).split(";")
    return any(p.strip().lower().startswith("read_only=") and p.split("=", 1)[1].strip() not in ("", "0")
               for p in params)


def _device_read_only(live, device, cache):
    if device not in cache:
        attr = live.device_attr(device, "read_only") if live.device_exists(device) else None
        cache[device] = attr is not None and attr.value.strip() == "1"
    return cache[device]


def _replay(live, targets, actions):
    """Apply the writes to the model, in plan order."""
    by_key = dict(((t.driver, t.name), t) for t in targets)
    read_only = {}
    for action in actions:
        parts = action.path.split("/")
        words = action.data.split()
        if not words:
            continue
        verb = words[0].lower()
        if parts[0] == "handlers" and verb == "add_device" and len(words) > 1:
            read_only[words[1]] = _created_read_only(words)
            continue
        if _deletes_device(parts, words):
            for target in targets:
                for luns in [target.luns] + [g.luns for g in target.groups]:
                    for number in [n for n, (dev, _ro) in luns.items() if dev == words[1]]:
                        del luns[number]
            continue
        if parts[0] != "targets" or len(parts) < 3:
            continue
        if len(parts) == 3:
            if verb == "del_target" and len(words) > 1 and (parts[1], words[1]) in by_key:
                by_key[(parts[1], words[1])].gone = True
            continue
        target = by_key.get((parts[1], parts[2]))
        if target is None:
            continue
        rest = parts[3:]
        if rest == ["ini_groups", "mgmt"]:
            if verb == "del" and len(words) > 1:
                # earlier writes of the plan may have bound sessions to it since planning
                target.trapped.extend((s, words[1]) for s in target.sessions
                                      if any(g is not None and g.name == words[1] for g in target.candidates(s)))
            _group_command(target, verb, words)
        elif len(rest) == 4 and rest[0] == "ini_groups" and rest[2:] == ["initiators", "mgmt"]:
            _initiator_command(target, target.group(rest[1]), verb, words)
        elif rest == ["luns", "mgmt"] or (len(rest) == 4 and rest[0] == "ini_groups" and rest[2:] == ["luns", "mgmt"]):
            luns = target.lun_set(rest[1] if rest[0] == "ini_groups" else None)
            _lun_command(live, luns, verb, words, read_only)
        elif len(rest) == 3 and rest[0] == "sessions" and rest[2] == "force_close":
            target.sessions = [s for s in target.sessions if s.name != rest[1]]


def _group_command(target, verb, words):
    if verb == "create" and len(words) > 1 and target.group(words[1]) is None:
        target.groups.append(_Group(words[1], [], {}, True))
    elif verb == "del" and len(words) > 1:
        target.groups = [g for g in target.groups if g.name != words[1]]


def _initiator_command(target, group, verb, words):
    if group is None:
        return
    if verb == "clear":
        group.patterns = []
    elif verb == "add" and len(words) > 1:
        group.patterns.append(words[1])
    elif verb == "del" and len(words) > 1:
        group.patterns = [p for p in group.patterns if p != words[1]]
    elif verb == "move" and len(words) > 2:
        group.patterns = [p for p in group.patterns if p != words[1]]
        dest = target.group(words[2])
        if dest is not None:
            dest.patterns.append(words[1])


def _lun_command(live, luns, verb, words, read_only):
    if verb == "clear":
        luns.clear()
    elif verb == "del" and len(words) > 1 and words[1].isdigit():
        luns.pop(int(words[1]), None)
    elif verb in ("add", "replace", "replace_no_ua") and len(words) > 2 and words[2].isdigit():
        params = " ".join(words[3:]).replace(" ", "")
        flagged = any(p.lower().startswith("read_only=") and p.split("=", 1)[1] not in ("", "0")
                      for p in params.split(";"))
        luns[int(words[2])] = (words[1], flagged or _device_read_only(live, words[1], read_only))


def _describe(number, before, after):
    device = before[0]
    if after is None:
        return "LUN %d (%s) would disappear" % (number, device)
    if after[0] != device:
        return "LUN %d would show %s instead of %s" % (number, after[0], device)
    return "LUN %d (%s) would become %s" % (number, device, "read-only" if after[1] else "writable")


def _model(live, plan):
    """The touched targets that have sessions, with the plan replayed on them."""
    actions = plan.actions
    targets = []
    for driver, name in _affected(live, actions):
        if live.target_exists(driver, name) and live.sessions(driver, name):
            targets.append(_Target(live, driver, name))
    if targets:
        _replay(live, targets, actions)
    return targets


def _lun_changes(targets):
    found = []
    for target in targets:
        if target.gone:
            continue  # deleting a target with sessions is refused by its own planner
        for session in target.sessions:
            changes = []
            for group in target.candidates(session):
                sees = target.luns if group is None else group.luns
                for number in sorted(session.sees):
                    change = _describe(number, session.sees[number], sees.get(number))
                    if sees.get(number) != session.sees[number] and change not in changes:
                        changes.append(change)
            if changes:
                found.append("session %s of %s/%s: %s" % (session.name, target.driver, target.name,
                                                          "; ".join(changes)))
    return found


def hidden_lun_changes(live, plan):
    """Sentences naming each logged-in session whose visible LUNs the plan would take away or change."""
    return _lun_changes(_model(live, plan))


def refuse_hidden_lun_changes(live, plan, *, force):
    """Raise SafetyError unless ``force`` when the plan changes what a logged-in session sees.

    Also a group the plan deletes after earlier writes of the same plan bound
    a session to it (SCST refuses that with EBUSY): without force that is
    refused here, before any write; with force the session is closed first.
    """
    if not plan:
        return
    targets = _model(live, plan)
    trapped = [(t, s, g) for t in targets for s, g in t.trapped]
    if force:
        for target, session, group in trapped:
            plan.add("close_sessions", join(target_dir(target.driver, target.name), "sessions", session.name,
                                            "force_close"), "1",
                     "close session %s of %s (it would be bound to group %s when that is deleted)"
                     % (session.name, target.name, group))
        return
    changes = _lun_changes(targets) + [
        "session %s of %s/%s would be bound to group %s when the plan deletes it (SCST refuses that)"
        % (s.name, t.driver, t.name, g) for t, s, g in trapped]
    if changes:
        raise SafetyError("refusing to change the LUNs that logged-in initiators see (set force: true to do it "
                          "anyway):\n- " + "\n- ".join(changes), sessions=changes)
