"""Root, handlers, devices, device_groups and sgv parts of the sysfs tree.

Each function returns a node whose children are computed from the current
state when asked for, see ``nodes.py``.  Writes are bound to the operations
of the emulator (``ops_*.py``); this module only decides which files exist,
their modes and how they render (spec section 3).
"""

from __future__ import annotations

from .errors import EBUSY, EINVAL, EPERM, fail
from .lexer import Cursor, first_line, kstrtobool, kstrtol, kstrtoul
from .nodes import Attr, Dir, Link, composite_dir, const, factory_dir, keyed, ro, rw, static_dir, wo
from .ops_targets import prefix_keyword
from .texts import (DEFAULT_TRACE, DEVICE_GROUPS_MGMT_HELP, DG_DEVICES_MGMT_HELP,
                    PASSTHROUGH_HELP, SGV_GLOBAL_STATS_TEXT, TARGET_GROUPS_MGMT_HELP,
                    TG_MGMT_HELP, TRACE_PRINT_ORDER, CORE_TRACE_TOKENS,
                    sgv_stats_text, trace_level_text, type_text, vdisk_handler_help)
from .tree_targets import targets_dir
from .vdisk import vdisk_attr_node, vdisk_attr_nodes


# ------------------------------------------------------------ trace_level --

def trace_level_attr(emu, key: str, tokens) -> Attr:
    """A trace_level file; ``key`` identifies its independent level."""
    levels = emu.state.globals.trace

    def show():
        return trace_level_text(levels.get(key, DEFAULT_TRACE), tokens)

    def store(data):
        cur = Cursor(data)
        action = cur.lexem().lower()
        arg = cur.lexem()
        current = set(levels.get(key, DEFAULT_TRACE))
        if action == "all":
            new = set(tokens)
        elif action in ("none", "null"):
            new = set()
        elif action == "default":
            new = set(DEFAULT_TRACE)
        elif action in ("add", "del"):
            if arg.lower() not in tokens:
                fail(EINVAL, f'Unknown token "{arg}"')
            new = current | {arg.lower()} if action == "add" else current - {arg.lower()}
        elif action == "value":
            try:
                bits = kstrtoul(arg)
            except Exception:
                fail(EINVAL, f'Invalid trace value "{arg}"')
            new = {t for i, t in enumerate(TRACE_PRINT_ORDER) if bits >> i & 1}
        else:
            fail(EINVAL, f'Unknown action "{action}"')
        levels[key] = frozenset(new)
    return rw(show, store)


# ------------------------------------------------------------------- root --

def root_dir(emu) -> Dir:
    g = emu.state.globals
    cfg = emu.config

    def simple_num(attr, default, parse=kstrtoul):
        def store(data):
            setattr(g, attr, parse(data))
        return rw(lambda: keyed(getattr(g, attr), getattr(g, attr) != default), store)

    def set_setup_id(data):
        g.setup_id = kstrtoul(data) & 0xFFFFFFFF

    def set_threads(data):
        value = kstrtol(data)
        if value <= 0:
            fail(EINVAL, "threads must be > 0")
        g.threads = value

    def set_suspend(data):
        value = kstrtol(data)
        g.suspend_count = g.suspend_count + 1 if value >= 0 else max(0, g.suspend_count - 1)

    def set_measure_latency(data):
        g.measure_latency = 1 if kstrtol(data) else 0

    def set_async_lun_replace(data):
        g.async_lun_replace = 1 if kstrtobool(data) else 0

    def set_cluster_name(data):
        name = first_line(data)
        if len(name) >= 64:
            fail(EINVAL, "cluster_name too long")
        g.cluster_name = name

    def factories():
        out = {
            "version": lambda: const(cfg.version_text),
            "last_sysfs_mgmt_res": lambda: ro(emu.show_last_res),
            "setup_id": lambda: rw(lambda: keyed(f"0x{g.setup_id:x}", g.setup_id != 0),
                                   set_setup_id),
            "threads": lambda: rw(lambda: keyed(g.threads, g.threads != cfg.scst_threads),
                                  set_threads, work=True),
            "max_tasklet_cmd": lambda: simple_num("max_tasklet_cmd", 10),
            "poll_us": lambda: simple_num("poll_us", 0),
            "suspend": lambda: rw(lambda: f"{g.suspend_count}\n", set_suspend),
            "measure_latency": lambda: rw(lambda: f"{g.measure_latency}\n", set_measure_latency),
            "async_lun_replace": lambda: rw(lambda: f"{g.async_lun_replace}\n",
                                            set_async_lun_replace),
            "force_global_sgv_pool": lambda: simple_num("force_global_sgv_pool", 0),
            "cluster_name": lambda: rw(lambda: keyed(g.cluster_name, True) if g.cluster_name else "",
                                       set_cluster_name),
            "trace_cmds": lambda: ro(lambda: "", work_read=True),
            "trace_mcmds": lambda: ro(lambda: "", work_read=True),
            "targets": lambda: targets_dir(emu),
            "devices": lambda: devices_dir(emu),
            "handlers": lambda: handlers_dir(emu),
            "device_groups": lambda: device_groups_dir(emu),
            "sgv": lambda: sgv_dir(emu),
        }
        if cfg.tracing:
            out["trace_level"] = lambda: trace_level_attr(emu, "", CORE_TRACE_TOKENS)
        return out
    return factory_dir(factories)


# --------------------------------------------------------------- handlers --

def handlers_dir(emu) -> Dir:
    return Dir(lambda: {name: handler_dir(emu, h) for name, h in emu.handlers.items()})


def handler_dir(emu, handler) -> Dir:
    help_text = vdisk_handler_help(handler.params) if handler.virtual else PASSTHROUGH_HELP

    def static():
        out = {
            "type": const(type_text(handler.scsi_type)),
            "mgmt": rw(lambda: help_text, lambda d: emu.handler_mgmt(handler, d), work=True),
        }
        if emu.config.tracing:
            out["trace_level"] = trace_level_attr(emu, f"handlers/{handler.name}",
                                                  list(handler.trace_tokens))
        return out

    def names():
        return [d.name for d in emu.state.devices.values() if d.handler == handler.name]

    def make(name):
        dev = emu.state.devices.get(name)
        if dev is None or dev.handler != handler.name:
            return None
        return Link(f"../../devices/{name}")
    return composite_dir(static, names, make)


# ---------------------------------------------------------------- devices --

def devices_dir(emu) -> Dir:
    def make(name):
        dev = emu.state.devices.get(name)
        return device_dir(emu, dev) if dev is not None else None
    return composite_dir(dict, lambda: list(emu.state.devices), make)


def device_dir(emu, dev) -> Dir:
    def own():
        out = core_device_attrs(emu, dev)
        out["exported"] = Dir(lambda: {f"export{no}": Link(f"../../../{path}")
                                       for no, path in emu.device_exports(dev)})
        if dev.handler:
            out["handler"] = Link(f"../../handlers/{dev.handler}")
        if dev.scsi_link:
            out["scsi_device"] = Link(dev.scsi_link)
        return out

    def entries():
        out = own()
        if dev.virtual:
            out.update(vdisk_attr_nodes(emu, dev))
        return out

    def get(name):
        # a lookup builds the one vdisk file asked for, not the device's ~35 files
        node = vdisk_attr_node(emu, dev, name) if dev.virtual else None
        return node if node is not None else own().get(name)
    return Dir(entries, get)


def core_device_attrs(emu, dev) -> dict:
    """Attributes every SCST device has (spec 3.3 "core")."""
    handler = emu.handlers.get(dev.handler) if dev.handler else None

    def show_mtdc():
        value = dev.max_tgt_dev_commands if handler else 0
        return keyed(value, handler is not None and value != 64)

    def set_mtdc(data):
        value = kstrtol(data)
        if value < 0:
            fail(EINVAL, "max_tgt_dev_commands must be >= 0")
        dev.max_tgt_dev_commands = value

    def set_numa(data):
        value = kstrtol(data)
        if value < -1:
            fail(EINVAL, "numa_node_id must be >= -1")
        dev.numa_node_id = value

    def set_block(data):
        text = data[:-1] if data.endswith("\n") else data
        if text == "0":
            dev.block_count = 0
        elif text == "1" or text.startswith("1 1") or text.startswith("11"):
            dev.block_count += 1
        else:
            fail(EINVAL, "bad block command")

    def set_pr_state(data):
        if emu.device_is_exported(dev):
            fail(EBUSY, "device is exported")

    def default_pr_file():
        return f"/var/lib/scst/pr/{dev.name}"

    def show_pr_file():
        path = dev.pr_file_name or default_pr_file()
        return keyed(path, dev.pr_file_name is not None)

    def set_pr_file(data):
        if dev.attrs.get("cluster_mode"):
            fail(EPERM, "cluster mode")
        if emu.device_is_exported(dev):
            fail(EBUSY, "device is exported")
        path = first_line(data).strip()
        dev.pr_file_name = path or None

    out = {
        "type": const(type_text(dev.scsi_type)),
        "max_tgt_dev_commands": rw(show_mtdc, set_mtdc),
        "numa_node_id": rw(lambda: keyed(dev.numa_node_id, dev.numa_node_id != -1), set_numa),
        "block": rw(lambda: f"{dev.block_count} 0\n", set_block),
        "pr_state": rw(lambda: "version 1\ngeneration 0\n", set_pr_state, work=True),
        "pr_file_name": rw(show_pr_file, set_pr_file, work=True),
    }
    if emu.config.tracing:
        out["dump_prs"] = wo(lambda data: None)
    if handler is not None and handler.default_threads >= 0:
        out.update(_thread_attrs(dev, handler))
    return out


def _thread_attrs(dev, handler) -> dict:
    def set_threads_num(data):
        value = kstrtol(data)
        if value < 0:
            fail(EINVAL, "threads_num must be >= 0")
        if dev.threads_num < 0:
            fail(EPERM, "thread pool disabled")
        dev.threads_num = value

    def show_pool():
        if dev.threads_num == 0:
            return "Async\n"
        if dev.threads_num < 0:
            return "Not valid\n"
        return keyed(dev.threads_pool_type, dev.threads_pool_type != "per_initiator")

    def set_pool(data):
        kw = prefix_keyword(data, ("per_initiator", "shared"))
        if kw is None:
            fail(EINVAL, "unknown thread pool type")
        dev.threads_pool_type = kw

    return {
        "threads_num": rw(lambda: keyed(dev.threads_num, dev.threads_num != handler.default_threads),
                          set_threads_num, work=True),
        "threads_pool_type": rw(show_pool, set_pool, work=True),
    }


# ---------------------------------------------------------- device groups --

def device_groups_dir(emu) -> Dir:
    def entries():
        out = {"mgmt": rw(lambda: DEVICE_GROUPS_MGMT_HELP, emu.device_groups_mgmt)}
        for name, dg in emu.state.device_groups.items():
            out[name] = _dg_dir(emu, dg)
        return out
    return Dir(entries)


def _dg_dir(emu, dg) -> Dir:
    def devices():
        out = {"mgmt": rw(lambda: DG_DEVICES_MGMT_HELP,
                          lambda d: emu.dg_devices_mgmt(dg, d), work=True)}
        for dev in dg.devices:
            out[dev] = Link(f"../../../devices/{dev}")
        return out

    def target_groups():
        out = {"mgmt": rw(lambda: TARGET_GROUPS_MGMT_HELP,
                          lambda d: emu.target_groups_mgmt(dg, d), work=True)}
        for name, tg in dg.target_groups.items():
            out[name] = _tg_dir(emu, dg, tg)
        return out

    return static_dir({"devices": Dir(devices), "target_groups": Dir(target_groups)})


def _tg_dir(emu, dg, tg) -> Dir:
    def entries():
        out = {
            "mgmt": rw(lambda: TG_MGMT_HELP, lambda d: emu.tg_mgmt(dg, tg, d), work=True),
            "group_id": rw(lambda: keyed(tg.group_id, True), lambda d: emu.set_group_id(tg, d)),
            "preferred": rw(lambda: keyed(tg.preferred, tg.preferred == 1),
                            lambda d: emu.set_preferred(tg, d), work=True),
            "state": rw(lambda: keyed(tg.state, True), lambda d: emu.set_tg_state(tg, d),
                        work=True),
        }
        for name, member in tg.members.items():
            tgt = emu.find_target(member.local_driver, name) if member.local_driver else None
            if tgt is not None:
                out[name] = Link(f"../../../../targets/{tgt.driver}/{tgt.sysfs_name}")
            else:
                out[name] = _remote_member_dir(emu, member)
        return out
    return Dir(entries)


def _remote_member_dir(emu, member) -> Dir:
    return static_dir({"rel_tgt_id": rw(lambda: keyed(member.rel_tgt_id, True),
                                        lambda d: emu.set_member_rel_tgt_id(member, d))})


# -------------------------------------------------------------------- sgv --

def sgv_dir(emu) -> Dir:
    caches = ["sgv", "sgv-clust", "sgv-dma"]
    for cpu in range(emu.config.ncpus):
        caches += [f"sgv-{cpu}", f"sgv-clust-{cpu}", f"sgv-dma-{cpu}"]

    def cache_dir(name):
        return static_dir({"stats": rw(lambda: sgv_stats_text(name), lambda d: None)})

    def entries():
        out = {"global_stats": rw(lambda: SGV_GLOBAL_STATS_TEXT, lambda d: None)}
        out.update({name: cache_dir(name) for name in caches})
        return out
    return Dir(entries)
