# -*- coding: utf-8 -*-
# Copyright: scst.iscsi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What SCST's attributes are: where they exist, whether they can be written
after creation, and how a desired value is normalised and compared with what
sysfs shows.  Facts from SCST's sysfs documentation, one table per object kind.
"""

from __future__ import annotations

import ipaddress

from ansible_collections.scst.iscsi.plugins.module_utils.scst import values as v
from ansible_collections.scst.iscsi.plugins.module_utils.scst.errors import ValidationError

FILEIO, BLOCKIO, NULLIO, VCDROM = "vdisk_fileio", "vdisk_blockio", "vdisk_nullio", "vcdrom"
VDISK = (FILEIO, BLOCKIO, NULLIO)
VIRTUAL_HANDLERS = (FILEIO, BLOCKIO, NULLIO, VCDROM)
PASS_THROUGH_HANDLERS = ("dev_disk", "dev_disk_perf", "dev_cdrom", "dev_changer", "dev_modisk",
                         "dev_modisk_perf", "dev_processor", "dev_raid", "dev_tape", "dev_tape_perf")
ALL_HANDLERS = VIRTUAL_HANDLERS + PASS_THROUGH_HANDLERS

# Creation parameters each vdisk handler advertises (its mgmt help text).
CREATE_PARAMS = {
    FILEIO: ("active", "async", "bind_alua_state", "blocksize", "cluster_mode", "dif_filename",
             "dif_mode", "dif_static_app_tag", "dif_type", "filename", "numa_node_id", "nv_cache",
             "o_direct", "read_only", "removable", "rotational", "thin_provisioned", "tst",
             "t10_dev_id", "write_through"),
    BLOCKIO: ("active", "bind_alua_state", "blocksize", "cluster_mode", "dif_filename", "dif_mode",
              "dif_static_app_tag", "dif_type", "filename", "numa_node_id", "nv_cache", "read_only",
              "removable", "rotational", "thin_provisioned", "tst", "t10_dev_id", "write_through"),
    NULLIO: ("blocksize", "cluster_mode", "dif_mode", "dif_static_app_tag", "dif_type", "dummy",
             "numa_node_id", "read_only", "removable", "rotational", "size", "size_mb", "tst",
             "t10_dev_id"),
    VCDROM: ("tst",),
}


def _blocksize(field, value):
    size = v.integer(field, value, minimum=512, maximum=1 << 20)
    if size & (size - 1):
        raise ValidationError(field, "must be a power of two (SCST silently rounds other values "
                                     "down)", value)
    return size


def _hex_id(lengths, first=None):
    def check(field, value):
        text = v.free_text(field, value, max_len=40).strip().lower()
        digits = text[2:] if text.startswith("0x") else text
        if digits == "":
            return ""
        if len(digits) not in lengths or any(c not in "0123456789abcdef" for c in digits):
            raise ValidationError(field, "must be %s hex digits" % " or ".join(map(str, lengths)),
                                  value)
        if first and digits[0] not in first[len(digits)]:
            raise ValidationError(field, "with %d digits must start with %s"
                                  % (len(digits), " or ".join(first[len(digits)])), value)
        return "0x" + digits
    return check


class AttrSpec(object):
    """One attribute: where it exists, when it can be written, how it is normalised.

    ``create``: a creation parameter; ``writable``: can be written after creation
    (an attribute that is only ``create`` needs the object re-created to change).
    ``compare``: 'value' (normalised value), or 'key' (compare the [key] flag,
    for thin_provisioned whose value the kernel may force back to 0).
    """

    __slots__ = ("name", "normalise", "where", "create", "writable", "compare")

    def __init__(self, name, normalise, where, *, create=False, writable=True, compare="value"):
        self.name = name
        self.normalise = normalise
        self.where = where
        self.create = create
        self.writable = writable
        self.compare = compare

    def desired(self, field, value):
        """Validated desired value, as the text SCST stores and shows."""
        return str(self.normalise(field, value))

    def live(self, attr):
        """Canonical text of a live ``Attr`` for comparison with ``desired``."""
        if self.compare == "key":
            return "1" if attr.key else "0"
        text = attr.value.strip()
        try:
            return str(self.normalise(self.name, text))
        except ValidationError:
            return text


def _bool(field, value):
    return v.boolean(field, value)


def _int(minimum=None, maximum=None):
    return lambda field, value: v.integer(field, value, minimum=minimum, maximum=maximum)


def _text(max_len):
    def check(field, value):
        text = v.free_text(field, value, max_len=max_len)
        if text != text.strip():
            raise ValidationError(field, "must not start or end with blanks (SCST shows the value stripped, so "
                                         "it would never compare equal)", value)
        return text
    return check


def _isns_server(field, value):
    """iSNSServer: ``<server> [AccessControl [No]]``, empty to disable (SYSFS-SPEC 4.8.6); as SCST
    shows it: ``<server>`` or ``<server> AccessControl``."""
    words = v.free_text(field, value, max_len=300).split()
    if not words:
        return ""
    if len(words) > 3 or (len(words) > 1 and words[1] != "AccessControl") or (len(words) == 3 and words[2] != "No"):
        raise ValidationError(field, "must be an iSNS server address, optionally followed by AccessControl "
                                     "(or AccessControl No): '<server> [AccessControl [No]]'", value)
    return words[0] + (" AccessControl" if len(words) == 2 else "")


def _addresses(field, value):
    """internal_portal: numeric IPv4/IPv6 addresses separated by blanks, empty to clear (SYSFS-SPEC 4.8.6)."""
    words = v.free_text(field, value, max_len=1000).split()
    for word in words:
        try:
            ipaddress.ip_address(word)
        except ValueError:
            raise ValidationError(field, "must be numeric IPv4 or IPv6 addresses separated by blanks (%s is "
                                         "not one)" % word, value) from None
    return " ".join(words)


def _choice(*choices):
    return lambda field, value: v.choice(field, value, choices)


def _io_grouping(field, value):
    text = str(value).strip()
    if text in ("auto", "this_group_only", "never"):
        return text
    return v.integer(field, value, minimum=1)


def _cpu_mask(field, value):
    text = v.free_text(field, value, max_len=1024).strip().lower()
    if not text or any(c not in "0123456789abcdef," for c in text):
        raise ValidationError(field, "must be a hexadecimal CPU bitmap such as ff or ffffffff,ffffffff",
                              value)
    return text


FBN = (FILEIO, BLOCKIO, NULLIO)
FB = (FILEIO, BLOCKIO)
ALL_V = VIRTUAL_HANDLERS

_DEVICE_ATTRS = [
    # creation-only: changing them means re-creating the device
    AttrSpec("blocksize", _blocksize, FBN, create=True, writable=False),
    AttrSpec("read_only", _bool, FBN, create=True, writable=False),
    AttrSpec("write_through", _bool, FB, create=True, writable=False),
    AttrSpec("nv_cache", _bool, FB, create=True, writable=False),
    AttrSpec("o_direct", _bool, (FILEIO,), create=True, writable=False),
    AttrSpec("thin_provisioned", _bool, FB, create=True, writable=False, compare="key"),
    AttrSpec("rotational", _bool, FBN, create=True, writable=False),
    AttrSpec("removable", _bool, FBN, create=True, writable=False),
    AttrSpec("tst", _bool, ALL_V, create=True, writable=False),
    AttrSpec("dummy", _bool, (NULLIO,), create=True, writable=False),
    # creation parameters that can also be written later
    AttrSpec("active", _bool, FB, create=True),
    AttrSpec("async", _bool, (FILEIO,), create=True),
    AttrSpec("bind_alua_state", _bool, FB, create=True),
    AttrSpec("t10_dev_id", _text(25), ALL_V, create=True),
    AttrSpec("numa_node_id", _int(-1, 1 << 16), FBN, create=True),
    AttrSpec("size_mb", _int(1, 1 << 40), (NULLIO,), create=True),
    # writable only
    AttrSpec("lb_per_pb_exp", _bool, FB),
    AttrSpec("opt_trans_len", _int(0, 1 << 31), FBN),
    AttrSpec("expl_alua", _bool, FB),
    AttrSpec("read_zero", _bool, (NULLIO,)),
    AttrSpec("t10_vend_id", _text(8), ALL_V),
    AttrSpec("vend_specific_id", _text(128), ALL_V),
    AttrSpec("prod_id", _text(16), ALL_V),
    AttrSpec("prod_rev_lvl", _text(4), ALL_V),
    AttrSpec("scsi_device_name", _text(256), ALL_V),
    AttrSpec("eui64_id", _hex_id((16, 24, 32)), ALL_V),
    AttrSpec("naa_id", _hex_id((16, 32), {16: "235", 32: "6"}), ALL_V),
    AttrSpec("usn", _text(20), ALL_V),
    AttrSpec("inq_vend_specific", _text(160), ALL_V),
    AttrSpec("threads_num", _int(0, 4096), ALL_V),
    AttrSpec("threads_pool_type", _choice("per_initiator", "shared"), ALL_V),
    AttrSpec("max_tgt_dev_commands", _int(0, 1 << 16), ALL_V),
]
DEVICE_ATTRS = dict((a.name, a) for a in _DEVICE_ATTRS)

_TARGET_ATTRS = [
    AttrSpec("rel_tgt_id", _int(1, 65535), "core"),
    AttrSpec("comment", _text(1000), "core"),
    AttrSpec("addr_method", _choice("PERIPHERAL", "FLAT", "LUN"), "core"),
    AttrSpec("io_grouping_type", _io_grouping, "core"),
    AttrSpec("cpu_mask", _cpu_mask, "core"),
    AttrSpec("forward_src", _bool, "core"),
    AttrSpec("forward_dst", _bool, "core"),
    AttrSpec("aen_disabled", _bool, "core"),
    # owned by iscsi-scstd (reads and writes go through the daemon)
    AttrSpec("QueuedCommands", _int(1, 2048), "iscsi"),
    AttrSpec("RspTimeout", _int(2, 65535), "iscsi"),
    AttrSpec("NopInInterval", _int(0, 65535), "iscsi"),
    AttrSpec("NopInTimeout", _int(2, 65535), "iscsi"),
    AttrSpec("MaxSessions", _int(0, 65535), "iscsi"),
    AttrSpec("InitialR2T", v.yes_no, "iscsi"),
    AttrSpec("ImmediateData", v.yes_no, "iscsi"),
    AttrSpec("MaxRecvDataSegmentLength", _int(512, 1048576), "iscsi"),
    AttrSpec("MaxXmitDataSegmentLength", _int(512, 1048576), "iscsi"),
    AttrSpec("MaxBurstLength", _int(512, 1048576), "iscsi"),
    AttrSpec("FirstBurstLength", _int(512, 1048576), "iscsi"),
    AttrSpec("MaxOutstandingR2T", _int(1, 65535), "iscsi"),
    AttrSpec("HeaderDigest", v.digest_list, "iscsi"),
    AttrSpec("DataDigest", v.digest_list, "iscsi"),
    AttrSpec("RDMAExtensions", v.yes_no, "iscsi"),
    AttrSpec("per_portal_acl", _bool, "iscsi"),
    AttrSpec("redirect", _text(300), "iscsi"),
    AttrSpec("alias", _text(255), "iscsi"),
]
TARGET_ATTRS = dict((a.name, a) for a in _TARGET_ATTRS)

_GROUP_ATTRS = [
    AttrSpec("addr_method", _choice("PERIPHERAL", "FLAT", "LUN"), "core"),
    AttrSpec("io_grouping_type", _io_grouping, "core"),
    AttrSpec("cpu_mask", _cpu_mask, "core"),
    AttrSpec("per_sess_dedicated_tgt_threads", _bool, "iscsi"),
]
GROUP_ATTRS = dict((a.name, a) for a in _GROUP_ATTRS)

_DRIVER_ATTRS = [
    AttrSpec("iSNSServer", _isns_server, "iscsi"),
    AttrSpec("isns_entity_name", _text(255), "iscsi"),
    AttrSpec("link_local", _bool, "iscsi"),
    AttrSpec("internal_portal", _addresses, "iscsi"),
]
DRIVER_ATTRS = dict((a.name, a) for a in _DRIVER_ATTRS)


def _setup_id(field, value):
    """setup_id: SCST shows it as 0x%x; YAML turns 0x1234 into an integer."""
    if isinstance(value, str) and value.strip().lower().startswith("0x"):
        digits = value.strip()[2:]
        if not digits or any(c not in "0123456789abcdefABCDEF" for c in digits):
            raise ValidationError(field, "must be a number (decimal, or hexadecimal with 0x)", value)
        number = int(digits, 16)
    else:
        number = v.integer(field, value, minimum=0)
    if number > 0xFFFFFFFF:
        raise ValidationError(field, "must fit in 32 bits (at most 0xffffffff)", value)
    return "0x%x" % number


_ROOT_ATTRS = [
    AttrSpec("setup_id", _setup_id, "root"),
    AttrSpec("threads", _int(1, 1 << 16), "root"),
    AttrSpec("max_tasklet_cmd", _int(0, 1 << 31), "root"),
    AttrSpec("poll_us", _int(0, 1 << 31), "root"),
    AttrSpec("force_global_sgv_pool", _int(0, 1 << 31), "root"),
    AttrSpec("cluster_name", _text(63), "root"),
]
ROOT_ATTRS = dict((a.name, a) for a in _ROOT_ATTRS)

# Files of the SCST root, a handler, a target or an ALUA object that are not
# configuration: writing them would be a command (suspend, trace_level) or is
# impossible (read-only).  Structure has keys of its own.
NOT_ATTRIBUTES = {
    "root": ("version", "last_sysfs_mgmt_res", "suspend", "trace_level", "trace_cmds", "trace_mcmds",
             "targets", "devices", "handlers", "device_groups", "sgv"),
    "handler": ("mgmt", "type", "trace_level"),
    "device": ("handler", "type", "exported", "filename", "scsi_device", "block", "pr_state", "dump_prs",
               "resync_size", "sync", "trace_level"),
    "driver": ("mgmt", "enabled", "open_state", "version", "trace_level"),
    "target": ("enabled", "luns", "ini_groups", "sessions", "hw_target", "tid", "allowed_portal",
               "IncomingUser", "OutgoingUser"),
    "group": ("luns", "initiators"),
    "lun": ("device", "read_only"),
    "alua": ("mgmt",),
    "device_group": ("devices", "target_groups"),
    "target_group": ("mgmt", "group_id", "state", "preferred"),
}
_MULTI_INSTANCE = ("IncomingUser", "OutgoingUser", "allowed_portal")

# ALUA target port group states (SCST accepts exactly these, lower case).
ALUA_STATES = ("active", "nonoptimized", "standby", "unavailable", "offline", "transitioning")


def attribute_name(field, name, *, kind):
    """The name of an attribute file: one token, not a structural entry."""
    text = v.clean_token(field, name, max_len=255, what="attribute name")
    if "/" in text or text in (".", ".."):
        raise ValidationError(field, "an attribute name is a file name: no '/'", name)
    multi = kind in ("driver", "target") and any(
        text.startswith(m) and (text[len(m):] == "" or text[len(m):].isdigit()) for m in _MULTI_INSTANCE)
    if text in NOT_ATTRIBUTES[kind] or multi:
        raise ValidationError(field, "%s is not a %s attribute that configuration can set" % (text, kind))
    return text


def carried_value(field, value):
    """An attribute outside the catalog: carried as the exact string SCST shows.

    It is written to the attribute file, so it must be one line; SCST shows
    values stripped, so blanks around it would never compare equal.
    """
    if isinstance(value, list):
        # a multi-valued attribute (scst_local's session_name: one per session)
        if len(value) < 2:
            return carried_value(field, value[0] if value else "")
        return [carried_value("%s[%d]" % (field, i), item) for i, item in enumerate(value)]
    if isinstance(value, bool):
        value = "1" if value else "0"
    text = v.free_text(field, value, max_len=4095)
    if text != text.strip():
        raise ValidationError(field, "must not start or end with blanks (SCST shows the value stripped, so "
                                     "it would never compare equal)", value)
    return text


def creation_pairs(field, name, value):
    """``(name, value)`` pairs of a creation parameter (one per value of a
    multi-valued one): the value travels inside the mgmt command."""
    items = value if isinstance(value, list) else [value]
    return [(name, v.clean_token(field, item, max_len=4095, what="creation parameter value"))
            for item in items]


def single_value(field, value, what):
    """A value written to an attribute file: one string, not a list."""
    if isinstance(value, list):
        raise ValidationError(field, "%s is not a creation parameter: it has one value, not a list" % what)
    return value


def desired_attributes(table, attributes, *, kind, field_prefix="", applies=None, carry=False,
                       what=None, where=None, checked=None):
    """Validated desired attributes of one object: catalog attributes in their
    normal form, others (with ``carry``) as exact strings.

    ``applies(spec)`` says whether a catalog attribute exists on this object
    (``what``/``where`` name it in the error);
    ``checked(attr, field)`` refuses names the object handles itself.
    """
    wanted = {}
    for attr, value in sorted((attributes or {}).items(), key=lambda item: str(item[0])):
        field = "%sattributes.%s" % (field_prefix, attr)
        if checked is not None:
            checked(attr, field)
        name = attribute_name(field, attr, kind=kind)
        spec = table.get(name)
        if spec is not None and (applies is None or applies(spec)):
            wanted[name] = spec.desired(field, value)
        elif carry and spec is None:
            wanted[name] = carried_value(field, value)
            if kind not in ("device", "target"):
                single_value(field, wanted[name], name)
        else:
            allowed = sorted(n for n, s in table.items() if applies is None or applies(s))
            raise ValidationError(field, "%s is not a managed %s attribute%s; allowed: %s" % (
                name, what or kind, " for %s" % where if where else "", ", ".join(allowed) or "none"))
    return wanted


def live_text(table, attr, current):
    """What a live ``Attr`` compares as: normalised for catalog attributes,
    the exact (stripped) string for others."""
    spec = table.get(attr)
    return spec.live(current) if spec is not None else current.value.strip()


def refuse_missing(table, before, *, what, field_prefix="", creation=()):
    """An attribute outside the catalog that an existing object does not have is
    a mistake in the request (SCST would answer ENOENT after earlier writes).
    Names in ``creation`` are creation parameters without a file of their own
    (scst_local's session_name): satisfied once the object exists.
    Returns the names not to write."""
    skip = set()
    for attr, current in sorted(before.items()):
        if current is None and attr not in table:
            if attr in creation:
                skip.add(attr)
                continue
            raise ValidationError("%sattributes.%s" % (field_prefix, attr),
                                  "%s has no attribute %s" % (what, attr))
    return skip


def where_of(spec):
    """The handlers (or driver) an attribute exists for, as a tuple."""
    return spec.where if isinstance(spec.where, tuple) else (spec.where,)


def target_attr_applies(spec, driver):
    return spec.where == "core" or spec.where == driver


def compare_attributes(table, wanted, read):
    """The live value of each wanted attribute, normalised like the wanted one
    (attributes outside ``table`` compare as exact strings).

    ``read(name)`` returns the live ``Attr`` or None.  Returns ``before``
    (name -> live text or None) and the ``(name, wanted)`` pairs that differ,
    in name order.
    """
    before, differing = {}, []
    for attr, value in sorted(wanted.items()):
        current = read(attr)
        before[attr] = live_text(table, attr, current) if current is not None else None
        if before[attr] != value:
            differing.append((attr, value))
    return before, differing
