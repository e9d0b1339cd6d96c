# -*- coding: utf-8 -*-
# Copyright: scst.iscsi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read-only view of the running SCST configuration.

Reads lazily and only what a caller asks for; existence is always decided by
reading the tree, never from an errno (SCST reports most "not found" cases as
EINVAL).  Paths are relative to the sysfs root.
"""

from __future__ import annotations

import errno
import re

from ansible_collections.scst.iscsi.plugins.module_utils.scst.errors import SysfsReadError
from ansible_collections.scst.iscsi.plugins.module_utils.scst.sysfs import join
from ansible_collections.scst.iscsi.plugins.module_utils.scst.values import HANDLER_FILES

COPY_MANAGER = "copy_manager"
_CHAP_FILE = re.compile(r"^(IncomingUser|OutgoingUser)(\d*)$")
_PORTAL_FILE = re.compile(r"^allowed_portal(\d*)$")
_PARAMS_LINE = "The following parameters available:"
# Files that are never configuration (scstadmin skips them by name).
NOT_ATTRIBUTES = ("mgmt", "trace_level", "uevent")


def device_dir(name):
    return join("devices", name)


def target_dir(driver, target):
    return join("targets", driver, target)


def lun_set_dir(driver, target, group=None):
    if group:
        return join("targets", driver, target, "ini_groups", group, "luns")
    return join("targets", driver, target, "luns")


def chap_file(name):
    """``incoming``/``outgoing`` for a CHAP account file name (IncomingUser, OutgoingUser1 ...), else None."""
    match = _CHAP_FILE.match(name)
    if not match:
        return None
    return "incoming" if match.group(1) == "IncomingUser" else "outgoing"


def portal_file(name):
    return bool(_PORTAL_FILE.match(name))


class ChapAccount(object):
    __slots__ = ("file", "direction", "user", "secret")

    def __init__(self, file, direction, user, secret):
        self.file = file
        self.direction = direction
        self.user = user
        self.secret = secret


class Lun(object):
    __slots__ = ("number", "device", "read_only")

    def __init__(self, number, device, read_only):
        self.number = number
        self.device = device
        self.read_only = read_only


class LiveTree(object):
    def __init__(self, sysfs):
        self.sysfs = sysfs
        self._params = {}
        # Objects a whole-host plan will create before they are referenced:
        # ("device", name), ("target", driver, name), ("group", driver, target, name).
        self.declared = set()

    # -- references: what exists or is about to be created by the same plan --
    def known_device(self, name):
        return ("device", name) in self.declared or self.device_exists(name)

    def known_target(self, driver, target):
        return ("target", driver, target) in self.declared or self.target_exists(driver, target)

    def known_group(self, driver, target, group):
        return (("group", driver, target, group) in self.declared
                or self.group_exists(driver, target, group))

    # -- devices -------------------------------------------------------------
    def device_exists(self, name):
        return self.sysfs.exists(device_dir(name))

    def device_handler(self, name):
        return self.sysfs.readlink_name(join(device_dir(name), "handler"))

    def device_attr(self, name, attr):
        return self.sysfs.read_attr(join(device_dir(name), attr))

    def device_names(self, handler=None):
        if handler:
            return [n for n in self.sysfs.listdir(join("handlers", handler))
                    if n not in HANDLER_FILES]
        return self.sysfs.subdirs("devices")

    def device_exports(self, name):
        """LUNs that use this device, as (driver, target, group or None, lun); copy manager skipped."""
        base = join(device_dir(name), "exported")
        exports = []
        for link in self.sysfs.listdir(base):
            dest = self.sysfs.readlink(join(base, link)) or ""
            parts = [p for p in dest.split("/") if p and p != ".."]
            # targets/<drv>/<tgt>/luns/<n>  or  targets/<drv>/<tgt>/ini_groups/<g>/luns/<n>
            if len(parts) < 5 or parts[0] != "targets" or parts[1] == COPY_MANAGER:
                continue
            group = parts[4] if parts[3] == "ini_groups" else None
            exports.append((parts[1], parts[2], group, int(parts[-1])))
        return sorted(exports, key=lambda e: (e[0], e[1], e[2] or "", e[3]))

    # -- drivers and targets -------------------------------------------------
    def driver_exists(self, driver):
        return self.sysfs.exists(join("targets", driver))

    def driver_attr(self, driver, attr):
        return self.sysfs.read_attr(join("targets", driver, attr))

    def daemon_open(self):
        state = self.sysfs.read_attr(join("targets", "iscsi", "open_state"))
        return state is not None and state.value.strip() == "open"

    def target_names(self, driver):
        return self.sysfs.subdirs(join("targets", driver))

    def target_exists(self, driver, target):
        return self.sysfs.exists(target_dir(driver, target))

    def target_attr(self, driver, target, attr):
        return self.sysfs.read_attr(join(target_dir(driver, target), attr))

    def sessions(self, driver, target):
        return self.sysfs.subdirs(join(target_dir(driver, target), "sessions"))

    def sessions_using_lun_set(self, driver, target, group=None):
        """Sessions bound to a LUN set: the target's default set, or a group's."""
        base = join(target_dir(driver, target), "sessions")
        wanted = join("ini_groups", group, "luns") if group else None
        found = []
        for session in self.sysfs.subdirs(base):
            link = (self.sysfs.readlink(join(base, session, "luns")) or "").rstrip("/")
            in_group = "/ini_groups/" in link
            if (wanted and link.endswith(wanted)) or (not wanted and not in_group):
                found.append(session)
        return found

    def chap_accounts(self, driver, target=None):
        """CHAP accounts of a target, or of the driver (discovery) when target is None."""
        base = target_dir(driver, target) if target else join("targets", driver)
        accounts = []
        for name in self.sysfs.listdir(base):
            match = _CHAP_FILE.match(name)
            if not match:
                continue
            attr = self.sysfs.read_attr(join(base, name))
            if attr is None or not attr.value.strip():
                continue
            user, _sep, secret = attr.value.strip().partition(" ")
            direction = "incoming" if match.group(1) == "IncomingUser" else "outgoing"
            accounts.append(ChapAccount(name, direction, user, secret.strip()))
        return accounts

    def allowed_portals(self, driver, target):
        base = target_dir(driver, target)
        portals = []
        for name in self.sysfs.listdir(base):
            if _PORTAL_FILE.match(name):
                attr = self.sysfs.read_attr(join(base, name))
                if attr is not None and attr.value.strip():
                    portals.append(attr.value.strip())
        return sorted(portals)

    # -- LUNs and groups -----------------------------------------------------
    def luns(self, driver, target, group=None):
        base = lun_set_dir(driver, target, group)
        result = {}
        for entry in self.sysfs.subdirs(base):
            if not entry.isdigit():
                continue
            device = self.sysfs.readlink_name(join(base, entry, "device"))
            ro = self.sysfs.read_attr(join(base, entry, "read_only"))
            result[int(entry)] = Lun(int(entry), device, bool(ro and ro.value.strip() == "1"))
        return result

    def lun(self, driver, target, group, number):
        base = join(lun_set_dir(driver, target, group), str(number))
        if not self.sysfs.exists(base):
            return None
        device = self.sysfs.readlink_name(join(base, "device"))
        ro = self.sysfs.read_attr(join(base, "read_only"))
        return Lun(number, device, bool(ro and ro.value.strip() == "1"))

    def group_names(self, driver, target):
        return self.sysfs.subdirs(join(target_dir(driver, target), "ini_groups"))

    def group_exists(self, driver, target, group):
        return self.sysfs.exists(join(target_dir(driver, target), "ini_groups", group))

    def group_attr(self, driver, target, group, attr):
        return self.sysfs.read_attr(join(target_dir(driver, target), "ini_groups", group, attr))

    def initiators(self, driver, target, group):
        base = join(target_dir(driver, target), "ini_groups", group, "initiators")
        return [n for n in self.sysfs.listdir(base) if n != "mgmt"]

    # -- what scstadmin -write_config saves ------------------------------------
    def creation_params(self, mgmt, *, cache_key=None):
        """Names a mgmt file advertises as creation parameters ("The following
        parameters available: a, b"); read once per ``cache_key`` (default: the path)."""
        key = cache_key or mgmt
        if key not in self._params:
            try:
                text = self.sysfs.read_text(mgmt)
            except SysfsReadError as exc:
                if exc.code not in (errno.ENOENT, errno.EACCES):
                    raise
                text = ""   # no mgmt file (copy_manager, scst_user): no creation parameters
            names = set()
            for line in text.split("\n"):
                if line.startswith(_PARAMS_LINE):
                    names.update(p.strip() for p in line[len(_PARAMS_LINE):].rstrip(".").split(",") if p.strip())
            self._params[key] = frozenset(names)
        return self._params[key]

    def config_attrs(self, base, entries, *, creation=frozenset, dynamic=(), always=()):
        """The attributes of directory ``base`` that scstadmin -write_config saves
        (SYSFS-SPEC 6.3): readable files marked ``[key]`` that are writable
        (not static), named in ``dynamic`` (scstadmin's always-non-static
        names), or creation parameters (``creation()`` is called only when
        needed: it reads a mgmt help text).  ``entries`` is ``scan(base)``.
        Files named in ``always`` are returned even without ``[key]``; a
        static file is never read unless it can be saved.  Returns ``{name: Attr}``.
        """
        found = {}
        params = None
        for name, (kind, mode) in entries.items():
            if kind != "file" or name in NOT_ATTRIBUTES or not mode & 0o400:
                continue
            if not mode & 0o200 and name not in dynamic and name not in always:
                if params is None:
                    params = creation()
                if name not in params:
                    continue
            attr = self.sysfs.read_attr(join(base, name))
            if attr is not None and (attr.key or name in always):
                found[name] = attr
        return found
