"""The scst_vdisk handlers: creation parameters and device attributes.

Covers vdisk_fileio, vdisk_blockio, vdisk_nullio and vcdrom (spec 3.3.1,
3.3.2 and 4.1).  Attributes are declared in one table (:data:`VDISK_ATTRS`)
listing per attribute: on which handlers it exists, its mode, when it shows
``[key]`` and how a write is validated.
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from typing import Callable, Optional

from .crc32c import device_id_hex
from .errors import EBUSY, EEXIST, EINVAL, ENOTBLK, EPERM, fail
from .lexer import Cursor, first_line, kstrtol, kstrtoull
from .model import Device
from .nodes import RO, RW, WO, Attr, keyed

F, B, N, C = "vdisk_fileio", "vdisk_blockio", "vdisk_nullio", "vcdrom"
ALL = frozenset({F, B, N, C})
FBN = frozenset({F, B, N})
FB = frozenset({F, B})

NULLIO_DEFAULT_SIZE = 2748779069440   # 2.5 TiB
MAX_NAME_LEN = 64

# Every parameter the shared vdisk parser understands.  vdisk_fileio accepts
# all of them although its help advertises fewer (spec 4.1 "Enforcement").
KNOWN_PARAMS = frozenset({
    "active", "async", "bind_alua_state", "blocksize", "cluster_mode",
    "dif_filename", "dif_mode", "dif_static_app_tag", "dif_type", "filename",
    "numa_node_id", "nv_cache", "o_direct", "read_only", "removable",
    "rotational", "thin_provisioned", "tst", "t10_dev_id", "write_through",
    "size", "size_mb", "dummy", "lb_per_pb_exp",
})
ONE_BIT_PARAMS = frozenset({
    "active", "async", "bind_alua_state", "cluster_mode", "nv_cache",
    "o_direct", "read_only", "removable", "rotational", "thin_provisioned",
    "write_through", "lb_per_pb_exp",
})
DIF_MODE_WORDS = ("tgt", "scst", "dev_check", "dev_store")


def defaults_for(handler: str, name: str) -> dict:
    """Attribute values of a freshly created device before parameters."""
    return {
        "blocksize": 2048 if handler == C else 512,
        "read_only": 1 if handler == C else 0,
        "removable": 1 if handler == C else 0,
        "write_through": 0, "nv_cache": 0, "o_direct": 0, "rotational": 1,
        "thin_provisioned": 0, "tst": 1, "active": 1,
        "bind_alua_state": 1 if handler == B else 0,
        "lb_per_pb_exp": 1, "opt_trans_len": 524288, "expl_alua": 0,
        "dummy": 0, "read_zero": 0, "cluster_mode": 0, "async": 0,
        "filename": None,
        "size": NULLIO_DEFAULT_SIZE if handler == N else 0,
        "t10_vend_id": "SCST_BIO" if handler == B else "SCST_FIO",
        "prod_id": name[:16], "prod_rev_lvl": "3110",
        "scsi_device_name": "", "eui64_id": "", "naa_id": "",
        "inq_vend_specific": "", "t10_dev_id": "", "usn": "",
        "vend_specific_id": "",
        "dif_type": 0, "dif_mode": "", "dif_static_app_tag": 0xFFFF,
        "dif_filename": None,
    }


# ------------------------------------------------------------ add_device --

def _parse_param(name: str, value: str, vals: dict, given: set) -> None:
    """Validate one creation parameter and store it into ``vals``."""
    if name == "filename":
        if "filename" in given:
            fail(EINVAL, "filename given twice")
        if not value.startswith("/"):
            fail(EINVAL, "filename must be an absolute path")
        vals["filename"] = value
    elif name == "dif_filename":
        if not value.startswith("/"):
            fail(EINVAL, "dif_filename must be an absolute path")
        vals["dif_filename"] = value
    elif name == "dif_mode":
        words = []
        for word in value.split("|"):
            if word.lower() not in DIF_MODE_WORDS:
                fail(EINVAL, f"bad dif_mode {word}")
            words.append(word.lower())
        vals["dif_mode"] = "|".join(w for w in DIF_MODE_WORDS if w in words)
    elif name == "t10_dev_id":
        if len(value) > 25:
            fail(EINVAL, "t10_dev_id too long")
        vals["t10_dev_id"] = value
    elif name == "numa_node_id":
        v = kstrtol(value)
        if v < -1:
            fail(EINVAL, "numa_node_id")
        vals["numa_node_id"] = v
    else:
        v = kstrtoull(value)
        if name in ("tst", "dummy"):
            if v not in (0, 1):
                fail(EINVAL, f"{name} must be 0 or 1")
            vals[name] = v
        elif name in ONE_BIT_PARAMS:
            vals[name] = v & 1          # 1-bit fields keep the lowest bit
        elif name == "blocksize":
            if v == 0:
                v = 512
            if v < 512:
                fail(EINVAL, "blocksize too small")
            vals["blocksize"] = 1 << (v.bit_length() - 1)   # rounded down
        elif name == "size":
            vals["size"] = v
        elif name == "size_mb":
            vals["size"] = v << 20
        else:                           # dif_type, dif_static_app_tag
            vals[name] = v
    given.add(name)


def add_vdisk(emu, handler, cur: Cursor) -> None:
    """``add_device`` of a vdisk handler, checks in the kernel's order."""
    name = cur.lexem()
    if not name:
        fail(EINVAL, "device name required")
    if any(d.virtual and d.name == name for d in emu.state.devices.values()):
        fail(EEXIST, f"vdisk {name} exists")
    if len(name) > MAX_NAME_LEN:
        fail(EINVAL, f"Name {name} is too long (max allowed {MAX_NAME_LEN})")
    hexid = device_id_hex(name, emu.state.globals.setup_id)
    if any(d.virtual and d.attrs.get("usn") == hexid[:20] for d in emu.state.devices.values()):
        fail(EEXIST, "generated usn collides")

    vals = defaults_for(handler.name, name)
    given: set = set()
    numa = -1
    for pname, pvalue in cur.params():
        pname = pname.lower()
        if pname not in KNOWN_PARAMS:
            fail(EINVAL, f"Unknown parameter {pname}")
        if handler.enforce_params and pname not in handler.params:
            fail(EINVAL, f"parameter {pname} not supported by {handler.name}")
        _parse_param(pname, pvalue, vals, given)
    if "numa_node_id" in vals:
        numa = vals.pop("numa_node_id")
    if vals["size"] % vals["blocksize"]:
        fail(EINVAL, "size is not a multiple of blocksize")
    if handler.name == F and vals["read_only"] and (vals["write_through"] or vals["nv_cache"]):
        fail(EINVAL, "read_only conflicts with write_through/nv_cache")
    if handler.name in FB and not vals["filename"]:
        fail(EINVAL, f"File name required (device {name})")
    if "/" in name or "." in name:
        fail(EINVAL, "device name contains '/' or '.'")
    if name in emu.state.devices:
        fail(EEXIST, f"device {name} already registered")
    if vals["dif_type"] == 0 and (vals["dif_mode"] or vals["dif_filename"]):
        fail(EINVAL, "DIF mode without DIF type")
    if vals["dif_type"] > 3:
        fail(EINVAL, "bad DIF type")
    if "dev_check" in vals["dif_mode"].split("|") and handler.name != B:
        fail(EINVAL, "dev_check needs blockio")
    if vals["o_direct"] and not vals["async"]:
        fail(EINVAL, "o_direct requires async")

    if handler.name == C:
        vals["read_only"], vals["removable"] = 1, 1
    dev = Device(name=name, handler=handler.name, scsi_type=handler.scsi_type,
                 virtual=True, attrs=vals, numa_node_id=numa,
                 threads_num=handler.default_threads)
    dev.explicit = {g for g in given if g in ("thin_provisioned", "t10_dev_id")}
    # SCST derives vend_specific_id from the default t10_dev_id when it allocates
    # the device, before it parses the parameters: a t10_dev_id given at creation
    # does not change it (seen on real SCST: the fidelity differential)
    default_id = f"{hexid}-{name}"[:25]
    if not vals["t10_dev_id"]:
        vals["t10_dev_id"] = default_id
    vals["usn"] = hexid[:20]
    vals["vend_specific_id"] = default_id

    if vals["active"]:
        open_backing(emu, dev, thin_requested="thin_provisioned" in given)
    elif handler.name in FB:
        vals["size"] = 0
        dev.reexam_pending = True
    emu.register_device(dev)


def open_backing(emu, dev: Device, thin_requested: bool = False, resize: bool = True) -> None:
    """Open the backing store of a fileio/blockio device (attach) and, with
    ``resize``, take its size."""
    a = dev.attrs
    backing = emu.config.backing
    if dev.handler not in FB:
        return
    kind, size = backing.stat(a["filename"])
    if dev.handler == B:
        if kind != "block":
            fail(ENOTBLK, f"bdev_open_by_path({a['filename']}) failed")
        for other in emu.state.devices.values():
            if (other is not dev and other.handler == B and other.attrs.get("active")
                    and other.attrs.get("filename") == a["filename"]):
                fail(EBUSY, "block device already opened exclusively")
        if not thin_requested and "thin_provisioned" not in dev.explicit:
            a["thin_provisioned"] = 1 if backing.discard_supported else 0
    elif kind not in ("file", "block"):
        fail(EINVAL, "neither a regular file nor a block device")
    if a["thin_provisioned"] and not backing.discard_supported:
        a["thin_provisioned"] = 0      # forced back, but stays a key attribute
    # ``size`` is the backing store's size in bytes as SCST shows it (file_size,
    # not rounded to the block size: only the block count is).
    if resize:
        a["size"] = size


# ------------------------------------------------------------ attributes --

def _neq(default):
    return lambda dev, name: dev.attrs[name] != default


def _explicit(dev, name):
    return name in dev.explicit


def _nonempty(dev, name):
    return bool(dev.attrs[name])


def _never(dev, name):
    return False


def _size_key(dev, name):
    return not (dev.handler == N and dev.attrs["size"] == NULLIO_DEFAULT_SIZE)


def _removable_key(dev, name):
    return dev.attrs["removable"] != 0 and dev.scsi_type != 5


def _bind_alua_key(dev, name):
    return dev.attrs["bind_alua_state"] != (1 if dev.handler == B else 0)


def _strict01(data: str) -> int:
    v = kstrtol(data)
    if v not in (0, 1):
        fail(EINVAL, "only 0 or 1 allowed")
    return v


# -- stores (emu, dev, name, data) ------------------------------------------

def _store_strict01(emu, dev, name, data):
    dev.attrs[name] = _strict01(data)


def _store_bool(emu, dev, name, data):
    dev.attrs[name] = 1 if kstrtoull(data) else 0


def _store_uint(emu, dev, name, data):
    dev.attrs[name] = kstrtoull(data)


def _store_active(emu, dev, name, data):
    v = _strict01(data)
    if v == dev.attrs["active"]:
        return
    if v:
        # SCST reads the backing store's size when the device is created active
        # and, for one created inactive, on its first activation (the pending
        # re-examination); a later activation opens the new file but keeps the
        # size (resync_size reads it again)
        open_backing(emu, dev, resize=dev.reexam_pending)
        dev.reexam_pending = False
    dev.attrs["active"] = v


def _store_size(emu, dev, name, data):
    v = kstrtoull(data)
    size = v << 20 if name == "size_mb" else v
    if size % dev.attrs["blocksize"]:
        fail(EINVAL, "size must be a multiple of blocksize")
    dev.attrs["size"] = size


def _store_opt_trans_len(emu, dev, name, data):
    v = kstrtoull(data)
    if v % dev.attrs["blocksize"]:
        fail(EINVAL, "opt_trans_len must be a multiple of blocksize")
    dev.attrs["opt_trans_len"] = v
    dev.explicit.add(name)


def _store_filename(emu, dev, name, data):
    path = data.strip()
    if dev.handler == C:
        if not path:
            dev.attrs["filename"], dev.attrs["size"] = None, 0
            return
        if not path.startswith("/"):
            fail(EINVAL, "absolute path required")
        kind, size = emu.config.backing.stat(path)
        dev.attrs["filename"], dev.attrs["size"] = path, size
        return
    if dev.attrs["active"]:
        fail(EINVAL, f"vdev {dev.name}: can't change the filename because the device is still active")
    if not path or not path.startswith("/"):
        fail(EINVAL, "absolute path required")
    dev.attrs["filename"] = path


def _store_resync(emu, dev, name, data):
    if dev.attrs["active"]:
        kind, size = emu.config.backing.stat(dev.attrs["filename"])
        dev.attrs["size"] = size


def _store_noop(emu, dev, name, data):
    pass


def _string_store(limit: int, explicit: bool = True):
    def store(emu, dev, name, data):
        value = first_line(data)
        if len(value) > limit:
            fail(EINVAL, f"{name} too long")
        dev.attrs[name] = value
        if explicit:
            dev.explicit.add(name)
    return store


def _store_t10_dev_id(emu, dev, name, data):
    if len(data) > 26 or (len(data) == 26 and not data.endswith("\n")):
        fail(EINVAL, "t10_dev_id too long")
    if dev.attrs["cluster_mode"]:
        fail(EPERM, "t10_dev_id is fixed in cluster mode")
    dev.attrs[name] = first_line(data)
    dev.explicit.add(name)


def _hex_id_store(lengths, first_digits=None):
    """eui64_id / naa_id: optional 0x, then a fixed number of hex digits."""
    def store(emu, dev, name, data):
        value = data.strip()
        if value[:2].lower() == "0x":
            value = value[2:]
        if value == "":
            dev.attrs[name] = ""
            return
        if not all(ch in string.hexdigits for ch in value):
            fail(EINVAL, f"{name}: not hexadecimal")
        ok = len(value) in lengths
        if ok and first_digits is not None:
            ok = value[0] in first_digits.get(len(value), "")
        if not ok:
            fail(EINVAL, f"{name}: bad length or NAA type")
        dev.attrs[name] = value.lower()
    return store


def _store_gen_tp(emu, dev, name, data):
    if not dev.attrs["thin_provisioned"]:
        fail(EINVAL, "not thin provisioned")


# -- shows -----------------------------------------------------------------

def _show_plain(dev, name):
    return dev.attrs[name]


def _show_hex_id(dev, name):
    return "0x" + dev.attrs[name] if dev.attrs[name] else ""


def _show_size_mb(dev, name):
    return dev.attrs["size"] >> 20


@dataclass(frozen=True)
class VSpec:
    name: str
    handlers: frozenset
    mode: int
    key: Callable = _never
    store: Optional[Callable] = None
    work: bool = False
    show: Callable = _show_plain
    only_if: Optional[Callable] = None    # extra presence condition


VDISK_ATTRS = [
    VSpec("active", FB, RW, _neq(1), _store_active, work=True),
    VSpec("bind_alua_state", FB, RW, _bind_alua_key, _store_bool),
    VSpec("blocksize", FBN, RO, _neq(512)),
    VSpec("opt_trans_len", FBN, RW, _explicit, _store_opt_trans_len),
    VSpec("read_only", FBN, RO, _neq(0)),
    VSpec("write_through", FB, RO, _neq(0)),
    VSpec("thin_provisioned", FB, RO, _explicit),
    VSpec("tst", ALL, RO, _neq(1)),
    VSpec("rotational", FBN, RO, _neq(1)),
    VSpec("expl_alua", FB, RW, _neq(0), _store_bool),
    VSpec("nv_cache", FB, RO, _neq(0)),
    VSpec("o_direct", frozenset({F}), RO, _neq(0)),
    VSpec("removable", FBN, RO, _removable_key),
    VSpec("dummy", frozenset({N}), RO, _neq(0)),
    VSpec("read_zero", frozenset({N}), RW, _neq(0), _store_strict01),
    VSpec("cluster_mode", FBN, RW, _neq(0), _store_strict01, work=True),
    VSpec("resync_size", FB, WO, store=_store_resync, work=True),
    VSpec("sync", FB, WO, store=_store_noop),
    VSpec("t10_vend_id", ALL, RW, _explicit, _string_store(8)),
    VSpec("vend_specific_id", ALL, RW, _explicit, _string_store(128)),
    VSpec("prod_id", ALL, RW, _explicit, _string_store(16)),
    VSpec("prod_rev_lvl", ALL, RW, _explicit, _string_store(4)),
    VSpec("scsi_device_name", ALL, RW, _nonempty, _string_store(256, explicit=False)),
    VSpec("t10_dev_id", ALL, RW, _explicit, _store_t10_dev_id),
    VSpec("eui64_id", ALL, RW, _nonempty, _hex_id_store((16, 24, 32)), show=_show_hex_id),
    VSpec("naa_id", ALL, RW, _nonempty,
          _hex_id_store((16, 32), {16: "235", 32: "6"}), show=_show_hex_id),
    VSpec("usn", ALL, RW, _explicit, _string_store(20)),
    VSpec("inq_vend_specific", ALL, RW, _nonempty, _string_store(160, explicit=False)),
    VSpec("async", frozenset({F}), RW, _neq(0), _store_strict01),
    VSpec("lb_per_pb_exp", FB, RW, _neq(1), _store_strict01),
    VSpec("gen_tp_soft_threshold_reached_UA", FB, WO, store=_store_gen_tp,
          only_if=lambda dev: dev.attrs["thin_provisioned"]),
    VSpec("dif_mode", ALL, RO, lambda d, n: True, only_if=lambda dev: dev.attrs["dif_type"]),
    VSpec("dif_type", ALL, RO, _neq(0), only_if=lambda dev: dev.attrs["dif_type"]),
    VSpec("dif_static_app_tag", ALL, RW, _neq(0xFFFF), _store_uint,
          show=lambda d, n: hex(d.attrs[n]), only_if=lambda dev: dev.attrs["dif_type"]),
    VSpec("dif_filename", ALL, RO, lambda d, n: True,
          only_if=lambda dev: dev.attrs["dif_type"] and dev.attrs["dif_filename"]),
]


def _size_specs(handler: str):
    """size/size_mb are read-only for fileio/vcdrom and writable otherwise."""
    writable = handler in (B, N)
    mode = RW if writable else RO
    store = _store_size if writable else None
    return [VSpec("size", ALL, mode, _size_key, store, work=writable),
            VSpec("size_mb", ALL, mode, _never, store, work=writable, show=_show_size_mb)]


def _filename_attr(emu, dev) -> Attr:
    def show():
        path = dev.attrs["filename"]
        # Work-based show: the work result already ends in '\n' and the show
        # adds another, hence the trailing empty line.
        return f"{path}\n[key]\n\n" if path else "none\n\n"

    def store(data):
        _store_filename(emu, dev, "filename", data)
    return Attr(RW, show=show, store=store, work=True, work_read=True)


def vdisk_attr_nodes(emu, dev: Device) -> dict:
    """All handler-specific attribute files of one vdisk device."""
    out = {}
    for spec in VDISK_ATTRS + _size_specs(dev.handler):
        if dev.handler not in spec.handlers:
            continue
        if spec.only_if is not None and not spec.only_if(dev):
            continue
        out[spec.name] = _make_attr(emu, dev, spec)
    if dev.handler in (F, B, C):
        out["filename"] = _filename_attr(emu, dev)
    return out


def vdisk_attr_node(emu, dev: Device, name: str):
    """One handler-specific attribute file of a vdisk device, or None (a
    lookup builds only the file asked for)."""
    if name == "filename":
        return _filename_attr(emu, dev) if dev.handler in (F, B, C) else None
    for spec in (_size_specs(dev.handler) if name in ("size", "size_mb") else VDISK_ATTRS):
        if spec.name != name:
            continue
        if dev.handler not in spec.handlers or (spec.only_if is not None and not spec.only_if(dev)):
            return None
        return _make_attr(emu, dev, spec)
    return None


def _make_attr(emu, dev: Device, spec: VSpec) -> Attr:
    def show():
        return keyed(spec.show(dev, spec.name), spec.key(dev, spec.name))

    def store(data):
        spec.store(emu, dev, spec.name, data)
    return Attr(spec.mode, show=show if spec.mode & 0o444 else None,
                store=store if spec.store is not None else None, work=spec.work)
