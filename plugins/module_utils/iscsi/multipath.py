# Copyright: scst.iscsi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""dm-multipath on the initiator: the collection's configuration file, the maps in sysfs,
and the few multipathd commands the modules run.

multipath-tools 0.9.4 (Debian bookworm) reads /etc/multipath.conf (when it exists) and then
every ``*.conf`` file of /etc/multipath/conf.d, a directory compiled in (the ``config_dir``
option is ignored since 0.9.0); sections of later files are merged into earlier ones and
their device entries win. The collection owns one file there and nothing else.

Nothing here calls AnsibleModule: commands go through an injected ``run_command(argv) ->
(rc, stdout, stderr)``, sysfs and /dev are read below injectable roots.
"""

from __future__ import annotations

import os
import re
import tempfile
from dataclasses import dataclass, field

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.scst.iscsi.plugins.module_utils.common import plan as common_plan
from ansible_collections.scst.iscsi.plugins.module_utils.common.errors import ModuleError, ValidationError

DEFAULT_CONFIG_PATH = "/etc/multipath/conf.d/scst-iscsi.conf"
CONFIG_MODE = 0o644
DIRECTORY_MODE = 0o755

# INQUIRY vendor of SCST's vdisk handlers (vdisk_fileio, vdisk_nullio: SCST_FIO; vdisk_blockio: SCST_BIO).
SCST_VENDOR = "SCST_FIO|SCST_BIO"
SCST_PRODUCT = ".*"
FIND_MULTIPATHS_CHOICES = ("strict", "no", "yes", "greedy", "smart")
NO_PATH_RETRY_WORDS = ("queue", "fail")

# A device-mapper name is kept in char[128] (DM_NAME_LEN, with the NUL); multipath keeps a
# WWID in char[128] (WWID_SIZE). libdevmapper passes these characters through unchanged
# and mangles every other one (\xNN) in /dev/mapper names.
MAX_NAME_BYTES = 127
_ALIAS = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:+=@-]*")
# A WWID as multipath reads it from udev (ID_SERIAL): a designator type digit, then hex
# (NAA 3..., EUI-64 2...), a T10 vendor id with blanks turned into '_' (1...), or a SCSI name
# string (8iqn....,t,0x1).
_WWID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:,+=@-]*")
# Characters of a WWID that mean something in a POSIX extended regular expression.
_ERE_SPECIAL = re.compile(r"([.+])")

MPATH_UUID_PREFIX = "mpath-"
SECTOR_BYTES = 512


class MultipathError(ModuleError):
    """multipathd refused a command, a file could not be written, sizes disagree."""


# -- names -------------------------------------------------------------------
def _describe(value) -> str:
    return repr(value if len(value) <= 80 else value[:77] + "...")


def validate_alias(alias, *, field_name: str = "alias") -> str:
    """A multipath alias: the dm name and /dev/mapper/ALIAS, one word of multipath.conf."""
    if not isinstance(alias, str) or not alias:
        raise ValidationError(field_name, "an alias is required (a non-empty string)")
    if len(alias.encode("utf-8")) > MAX_NAME_BYTES:
        raise ValidationError(field_name, "{0} is longer than {1} bytes (device-mapper keeps no more)".format(
            _describe(alias), MAX_NAME_BYTES))
    if alias in (".", ".."):
        raise ValidationError(field_name, "{0!r} is not a name /dev/mapper can hold".format(alias))
    if not _ALIAS.fullmatch(alias):
        raise ValidationError(field_name, "{0} must start with a letter or digit and hold only ASCII letters, "
                                          "digits and _ . : + = @ - (no '/', blanks, quotes, control "
                                          "characters or other characters device-mapper would mangle in "
                                          "/dev/mapper)".format(_describe(alias)))
    return alias


def validate_wwid(wwid, *, field_name: str = "wwid") -> str:
    """A WWID as multipath shows it (``multipath -ll``, ``/etc/multipath/wwids`` without slashes)."""
    if not isinstance(wwid, str) or not wwid:
        raise ValidationError(field_name, "a WWID is required (a non-empty string)")
    if len(wwid.encode("utf-8")) > MAX_NAME_BYTES:
        raise ValidationError(field_name, "{0} is longer than {1} bytes (multipath keeps no more)".format(
            _describe(wwid), MAX_NAME_BYTES))
    if not _WWID.fullmatch(wwid):
        raise ValidationError(field_name, "{0} must start with a letter or digit and hold only ASCII letters, "
                                          "digits and _ . : , + = @ - (no '/', blanks, quotes or control "
                                          "characters), as multipath -ll shows a WWID".format(_describe(wwid)))
    return wwid


def wwid_pattern(wwid: str) -> str:
    """The blacklist_exceptions regular expression that matches exactly ``wwid``."""
    return "^" + _ERE_SPECIAL.sub(r"\\\1", wwid) + "$"


def validate_no_path_retry(value, *, field_name: str = "no_path_retry"):
    """A positive number of checker intervals, or ``queue`` or ``fail``."""
    rule = "must be a whole number above 0 (checker intervals), queue or fail"
    if isinstance(value, bool) or isinstance(value, float):
        raise ValidationError(field_name, rule, value)
    if isinstance(value, str):
        if value in NO_PATH_RETRY_WORDS:
            return value
        if not re.fullmatch(r"[1-9][0-9]{0,8}", value):
            raise ValidationError(field_name, rule, value)
        value = int(value)
    if not isinstance(value, int) or value < 1 or value > 999999999:
        raise ValidationError(field_name, rule, value)
    return value


# -- the configuration file ---------------------------------------------------
@dataclass
class MultipathConfig:
    """What the collection's file says. ``wwids`` empty: no allow-list."""

    no_path_retry: object = 12
    wwids: list = field(default_factory=list)
    aliases: list = field(default_factory=list)  # [{"wwid": ..., "alias": ...}]
    find_multipaths: str | None = None

    def validate(self) -> "MultipathConfig":
        """Raise ``ValidationError`` naming the option and the rule; return the normalised request."""
        retry = validate_no_path_retry(self.no_path_retry)
        if self.find_multipaths is not None and self.find_multipaths not in FIND_MULTIPATHS_CHOICES:
            raise ValidationError("find_multipaths", "must be one of " + ", ".join(FIND_MULTIPATHS_CHOICES),
                                  self.find_multipaths)
        wwids = []
        for index, wwid in enumerate(self.wwids or ()):
            validate_wwid(wwid, field_name="wwids[{0}]".format(index))
            if wwid in wwids:
                raise ValidationError("wwids[{0}]".format(index), "{0!r} is listed twice (first as wwids[{1}])".format(
                    wwid, wwids.index(wwid)))
            wwids.append(wwid)
        aliases = []
        seen_wwids = {}
        seen_aliases = {}
        for index, entry in enumerate(self.aliases or ()):
            where = "aliases[{0}]".format(index)
            if not isinstance(entry, dict):
                raise ValidationError(where, "must be a mapping {wwid: ..., alias: ...}")
            unknown = sorted(set(entry) - {"wwid", "alias"})
            if unknown:
                raise ValidationError(where, "unknown keys {0}; only wwid and alias".format(", ".join(map(str, unknown))))
            wwid = validate_wwid(entry.get("wwid"), field_name=where + ".wwid")
            alias = validate_alias(entry.get("alias"), field_name=where + ".alias")
            if wwid in seen_wwids:
                raise ValidationError(where + ".wwid", "{0!r} has an alias already (aliases[{1}]); a map has one "
                                                       "name".format(wwid, seen_wwids[wwid]))
            if alias in seen_aliases:
                raise ValidationError(where + ".alias", "{0!r} is used already (aliases[{1}]); two maps cannot "
                                                        "share a name".format(alias, seen_aliases[alias]))
            if wwids and wwid not in wwids:
                raise ValidationError(where + ".wwid", "{0!r} is not in wwids, the allow-list: it would never "
                                                       "become a map".format(wwid))
            seen_wwids[wwid] = index
            seen_aliases[alias] = index
            aliases.append({"wwid": wwid, "alias": alias})
        # A map without an alias is named after its WWID: an alias equal to another WWID
        # would give two maps one name.
        other_wwids = set(wwids) | set(seen_wwids)
        for entry, index in ((entry, index) for index, entry in enumerate(aliases)):
            if entry["alias"] in other_wwids and entry["alias"] != entry["wwid"]:
                raise ValidationError("aliases[{0}].alias".format(index), "{0!r} is the WWID of another map, which "
                                                                          "names that map".format(entry["alias"]))
        return MultipathConfig(no_path_retry=retry, wwids=wwids, aliases=aliases, find_multipaths=self.find_multipaths)

    def render(self) -> str:
        """The file's text; the same request always gives the same bytes."""
        lines = [
            "# Managed by scst.iscsi.iscsi_multipath; changes made here are overwritten.",
            "# SCST devices: one path group per ALUA priority, back to the best group as soon as",
            "# it returns; I/O queued for no_path_retry checker intervals when every path is down.",
        ]
        if self.find_multipaths is not None:
            lines += ["defaults {", "\tfind_multipaths \"{0}\"".format(self.find_multipaths), "}"]
        lines += [
            "devices {",
            "\tdevice {",
            "\t\tvendor \"{0}\"".format(SCST_VENDOR),
            "\t\tproduct \"{0}\"".format(SCST_PRODUCT),
            "\t\tpath_grouping_policy \"group_by_prio\"",
            "\t\tprio \"alua\"",
            "\t\thardware_handler \"1 alua\"",
            "\t\tpath_checker \"tur\"",
            "\t\tfailback \"immediate\"",
            "\t\tno_path_retry \"{0}\"".format(self.no_path_retry),
            "\t}",
            "}",
        ]
        if self.wwids:
            lines += ["# Allow-list: only these WWIDs become maps.", "blacklist {", "\twwid \".*\"", "}",
                      "blacklist_exceptions {"]
            lines += ["\twwid \"{0}\"".format(wwid_pattern(wwid)) for wwid in self.wwids]
            lines += ["}"]
        if self.aliases:
            lines += ["multipaths {"]
            for entry in self.aliases:
                lines += ["\tmultipath {", "\t\twwid \"{0}\"".format(entry["wwid"]),
                          "\t\talias \"{0}\"".format(entry["alias"]), "\t}"]
            lines += ["}"]
        return "\n".join(lines) + "\n"


def validate_config_path(path, *, field_name: str = "path") -> str:
    if not isinstance(path, str) or not path.startswith("/"):
        raise ValidationError(field_name, "must be an absolute path", path)
    if "\x00" in path or any(part in (".", "..") for part in path.split("/")):
        raise ValidationError(field_name, "must not contain NUL, '.' or '..' parts", path)
    if not path.endswith(".conf") or path.endswith("/.conf"):
        raise ValidationError(field_name, "must name a file ending in .conf (multipath-tools reads only *.conf "
                                          "files of its configuration directory)", path)
    return path


def module_options() -> dict:
    """The options of scst.iscsi.iscsi_multipath (its argument spec)."""
    return dict(
        path=dict(type="path", default=DEFAULT_CONFIG_PATH),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        no_path_retry=dict(type="raw", default=12),
        wwids=dict(type="list", elements="str", default=[]),
        aliases=dict(type="list", elements="dict", default=[], options=dict(
            wwid=dict(type="str", required=True),
            alias=dict(type="str", required=True),
        )),
        find_multipaths=dict(type="str", choices=list(FIND_MULTIPATHS_CHOICES)),
        reconfigure=dict(type="bool", default=True),
    )


def check_request(params: dict) -> dict:
    """The options of iscsi_multipath checked (a ``ValidationError`` names the one at fault):
    the file's path, whether it exists and what it says, whether multipathd is told."""
    return dict(path=validate_config_path(params["path"]), state=params["state"], reconfigure=params["reconfigure"],
                config=MultipathConfig(no_path_retry=params["no_path_retry"], wwids=params["wwids"],
                                       aliases=params["aliases"], find_multipaths=params["find_multipaths"]).validate())


def options_error(options: dict):
    """The first rule ``options`` of iscsi_multipath break, as the error the module fails with;
    None when none. For checks made before the module runs (a role's preflight). Ansible's
    argument spec comes first, as for the module: its conversions (a WWID YAML reads as a
    number is a string to the module) and its errors, a ``ModuleError`` whose message names
    the option; then the module's rules, a ``ValidationError``."""
    checked = ArgumentSpecValidator(module_options()).validate(dict(options))
    if checked.error_messages:
        return ModuleError(checked.error_messages[0])
    try:
        check_request(checked.validated_parameters)
    except ValidationError as exc:
        return exc
    return None


def read_text(path: str):
    """The file's text, or None when it does not exist."""
    try:
        with open(path, "rb") as handle:
            return handle.read().decode("utf-8", "replace")
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise MultipathError("cannot read {0}: {1}".format(path, exc.strerror), path=path)


def file_mode(path: str):
    try:
        return os.stat(path).st_mode & 0o7777
    except OSError:
        return None


def write_atomic(path: str, text: str, *, mode: int = CONFIG_MODE) -> None:
    """Write a temporary file beside ``path`` and rename it over ``path``: multipathd reads
    either the old file or the new one, never half of one. The temporary's name does not end
    in .conf, so multipath-tools never reads it."""
    directory = os.path.dirname(path)
    try:
        fd, tmp = tempfile.mkstemp(dir=directory, prefix="." + os.path.basename(path) + ".", suffix=".tmp")
    except OSError as exc:
        raise MultipathError("cannot write {0}: {1} (the file is unchanged)".format(path, exc.strerror), path=path)
    try:
        with os.fdopen(fd, "wb") as handle:
            os.fchmod(handle.fileno(), mode)
            handle.write(text.encode("utf-8"))
            handle.flush()
            os.fsync(handle.fileno())
        os.rename(tmp, path)
    except OSError as exc:
        if os.path.lexists(tmp):
            os.unlink(tmp)
        raise MultipathError("cannot write {0}: {1} (the file is unchanged)".format(path, exc.strerror), path=path)
    dir_fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


class Step(common_plan.Step):
    def __init__(self, action: str, what: str):
        super().__init__(what)
        self.action = action


def plan_config(*, path: str, state: str, config: MultipathConfig | None) -> common_plan.Plan:
    """Compare the file with the request. before/after are the file's text (None: no file)."""
    current = read_text(path)
    wanted = config.render() if state == "present" else None
    plan = common_plan.Plan(before={"path": path, "content": current}, after={"path": path, "content": wanted})
    if state == "present":
        if not os.path.isdir(os.path.dirname(path)):
            plan.append(Step("mkdir", "create the directory {0}".format(os.path.dirname(path))))
        if current != wanted or file_mode(path) != CONFIG_MODE:
            plan.append(Step("write", "write {0}".format(path)))
    elif current is not None:
        plan.append(Step("remove", "remove {0}".format(path)))
    if plan:
        plan.append(Step("reconfigure", "multipathd reconfigure"))
    return plan


# -- multipathd -----------------------------------------------------------------
class Multipathd:
    """The multipathd commands the modules run; ``run_command(argv)`` is injected."""

    def __init__(self, *, run_command, binary: str = "multipathd"):
        self._run_command = run_command
        self.binary = binary
        self.calls = []

    def run(self, args: list, *, action: str) -> str:
        argv = [self.binary] + list(args)
        self.calls.append(argv)
        rc, stdout, stderr = self._run_command(argv)
        # multipathd's client exits 1 when the daemon answered "fail", or could not be reached.
        if rc != 0 or (stdout or "").strip() == "fail":
            said = " / ".join(line.strip() for line in ((stdout or "") + (stderr or "")).splitlines() if line.strip())
            raise MultipathError("{0} failed (multipathd exit {1}){2}".format(
                action, rc, ": " + said if said else ""), rc=rc, command=argv, stdout=stdout, stderr=stderr)
        return stdout or ""

    def reconfigure(self) -> None:
        self.run(["reconfigure"], action="multipathd reconfigure (re-reading the configuration)")

    def resize(self, name: str) -> None:
        validate_map_name(name)
        self.run(["resize", "map", name], action="multipathd resize map {0}".format(name))


def validate_map_name(name: str) -> str:
    """A map name read back from sysfs, before it goes on multipathd's command line (which
    multipathd splits at blanks)."""
    if not _WWID.fullmatch(name or "") or len(name.encode("utf-8")) > MAX_NAME_BYTES:
        raise MultipathError("map name {0!r} cannot be passed to multipathd safely".format(name), map=name)
    return name


def apply_config(plan: common_plan.Plan, *, path: str, text: str | None, multipathd: Multipathd | None) -> list:
    """Run the steps; returns warnings (multipathd not installed)."""
    warnings = []
    for step in plan.ordered():
        if step.action == "mkdir":
            try:
                os.makedirs(os.path.dirname(path), mode=DIRECTORY_MODE, exist_ok=True)
            except OSError as exc:
                raise MultipathError("cannot create {0}: {1}".format(os.path.dirname(path), exc.strerror), path=path)
        elif step.action == "write":
            write_atomic(path, text)
        elif step.action == "remove":
            try:
                os.unlink(path)
            except FileNotFoundError:
                pass
            except OSError as exc:
                raise MultipathError("cannot remove {0}: {1}".format(path, exc.strerror), path=path)
        elif step.action == "reconfigure":
            if multipathd is None:
                warnings.append("multipathd is not installed: the configuration takes effect when it starts")
                step.done = False
                continue
            multipathd.reconfigure()
        step.done = True
    return warnings


# -- maps in sysfs -----------------------------------------------------------------
def _read(path: str):
    try:
        with open(path) as handle:
            return handle.read().strip()
    except (OSError, UnicodeDecodeError):
        return None


def _sectors(path: str):
    text = _read(path)
    return int(text) * SECTOR_BYTES if text is not None and text.isdigit() else None


@dataclass
class MultipathMap:
    """A dm-multipath map as sysfs shows it (``/sys/block/dm-N``)."""

    name: str
    dm: str
    wwid: str
    size_bytes: int | None
    paths: list  # kernel names of the path devices (sdX), sorted

    @property
    def mapper(self) -> str:
        return "/dev/mapper/" + self.name

    def dump(self) -> dict:
        return {"name": self.name, "dm": self.dm, "wwid": self.wwid, "mapper": self.mapper,
                "size_bytes": self.size_bytes, "paths": list(self.paths)}


class MultipathSysfs:
    """Reads maps and path devices below ``sys_root`` (/sys)."""

    def __init__(self, *, sys_root: str = "/sys"):
        self.sys_root = sys_root

    def block(self, *parts) -> str:
        return os.path.join(self.sys_root, "block", *parts)

    def maps(self) -> list:
        """Every multipath map (dm uuid ``mpath-<wwid>``; partitions of maps, ``partN-mpath-``, are not maps)."""
        try:
            names = sorted(os.listdir(self.block()), key=_natural)
        except OSError:
            return []
        maps = []
        for dm in names:
            if not dm.startswith("dm-"):
                continue
            uuid = _read(self.block(dm, "dm", "uuid")) or ""
            if not uuid.startswith(MPATH_UUID_PREFIX):
                continue
            try:
                slaves = sorted(os.listdir(self.block(dm, "slaves")), key=_natural)
            except OSError:
                slaves = []
            maps.append(MultipathMap(name=_read(self.block(dm, "dm", "name")) or dm, dm=dm,
                                     wwid=uuid[len(MPATH_UUID_PREFIX):], size_bytes=_sectors(self.block(dm, "size")),
                                     paths=slaves))
        return maps

    def path_state(self, device: str):
        """SCSI device state of a path (running, offline, blocked, transport-offline...)."""
        return _read(self.block(device, "device", "state"))

    def size_bytes(self, device: str):
        return _sectors(self.block(device, "size"))

    def dm_names(self) -> dict:
        """Every device-mapper device's name -> dm-N (LVM volumes and crypt devices too)."""
        names = {}
        try:
            entries = os.listdir(self.block())
        except OSError:
            return names
        for dm in entries:
            if dm.startswith("dm-"):
                name = _read(self.block(dm, "dm", "name"))
                if name:
                    names[name] = dm
        return names

    def kernel_wwid(self, device: str):
        """The WWID multipath would give a path, from the kernel's reading of VPD page 0x83
        (``naa.``, ``eui.``, ``t10.``); None when the kernel has none or the form is unknown."""
        text = _read(self.block(device, "device", "wwid"))
        return multipath_wwid(text) if text else None


_KERNEL_PREFIXES = (("naa.", "3"), ("eui.", "2"), ("t10.", "1"))


def multipath_wwid(kernel_wwid: str):
    """Turn the kernel's ``device/wwid`` into the form udev's scsi_id gives multipath: the
    designator type digit, then the identifier (hex in lower case; blanks of a T10 id as '_')."""
    for prefix, digit in _KERNEL_PREFIXES:
        if kernel_wwid.startswith(prefix):
            rest = kernel_wwid[len(prefix):]
            if digit == "1":
                rest = re.sub(r"\s+", "_", rest.strip())
            else:
                rest = rest.lower()
            candidate = digit + rest
            return candidate if _WWID.fullmatch(candidate) and len(candidate) <= MAX_NAME_BYTES else None
    return None


def _natural(name: str):
    """dm-2 before dm-10, sdb before sdaa."""
    head = name.rstrip("0123456789")
    tail = name[len(head):]
    return (len(head), head, int(tail) if tail else -1)
