"""The ``targets/`` part of the tree: drivers, targets, LUNs, groups, sessions.

Spec 3.4-3.8 and the iSCSI files of 4.8.  Daemon-owned iSCSI files are
marked ``daemon=True`` so the emulator answers EPERM for them while
iscsi-scstd is not connected.
"""

from __future__ import annotations

from .lexer import kstrtoul
from .nodes import RW, SECRET, Attr, Dir, Link, composite_dir, const, keyed, ro, rw, static_dir, wo
from .ops_devices import CM_DRIVER
from .ops_iscsi import ISCSI, ISCSI_PARAMS, daemon_keyed, render_daemon
from .ops_targets import DRIVERS_WITH_ENABLE, DRIVERS_WITH_FORCE_CLOSE, LOCAL_DRIVER
from .texts import (DIF_CAPABILITIES_TEXT, DIF_CHECKS_FAILED_TEXT, INI_GROUPS_MGMT_HELP,
                    INITIATORS_MGMT_HELP, ISCSI_MGMT_HELP, ISCSI_TRACE_TOKENS,
                    LATENCY_FILE_TEXT, LATENCY_SIZES, LUNS_MGMT_HELP, SCST_LOCAL_MGMT_HELP,
                    CORE_TRACE_TOKENS)

IO_COUNTERS = [
    "unknown_cmd_count", "write_cmd_count", "write_io_count_kb",
    "write_unaligned_cmd_count", "read_cmd_count", "read_io_count_kb",
    "read_unaligned_cmd_count", "bidi_cmd_count", "bidi_io_count_kb",
    "bidi_unaligned_cmd_count", "none_cmd_count",
]
SESSION_ISCSI_PARAMS = [
    "DataDigest", "FirstBurstLength", "HeaderDigest", "ImmediateData", "InitialR2T",
    "MaxBurstLength", "MaxOutstandingR2T", "MaxRecvDataSegmentLength",
    "MaxXmitDataSegmentLength",
]


def _daemon_attr(show, store=None, mode=RW) -> Attr:
    return Attr(mode, show=show, store=store, daemon=True)


# ---------------------------------------------------------------- drivers --

def targets_dir(emu) -> Dir:
    def entries():
        out = {ISCSI: iscsi_driver_dir(emu), CM_DRIVER: copy_manager_driver_dir(emu)}
        if emu.config.with_scst_local:
            out[LOCAL_DRIVER] = scst_local_driver_dir(emu)
        for driver in emu.config.hw_targets:
            out[driver] = hardware_driver_dir(emu, driver)
        return out
    return Dir(entries)


def _driver_dir(emu, driver: str, static) -> Dir:
    """A target driver directory: its own files plus one dir per target."""
    def names():
        return [t.sysfs_name for t in emu.targets_of(driver).values()]

    def make(name):
        for tgt in emu.targets_of(driver).values():
            if tgt.sysfs_name == name:
                return target_dir(emu, tgt)
        return None
    return composite_dir(static, names, make)


def iscsi_driver_dir(emu) -> Dir:
    def static():
        d = emu.daemon
        out = {
            "mgmt": rw(lambda: ISCSI_MGMT_HELP, lambda data: emu.driver_mgmt(ISCSI, data),
                       work=True),
            "open_state": ro(lambda: "open\n" if emu.daemon.running else "closed\n"),
            "version": const(emu.config.iscsi_version_text),
        }
        if emu.config.tracing:
            from .tree import trace_level_attr
            out["trace_level"] = trace_level_attr(emu, "targets/iscsi", ISCSI_TRACE_TOKENS)
        if d.attrs:
            out.update(_iscsi_driver_daemon_attrs(emu))
        return out
    return _driver_dir(emu, ISCSI, static)


def _iscsi_driver_daemon_attrs(emu) -> dict:
    d = emu.daemon

    def set_enabled(data):
        emu.daemon.enabled = emu.exact_01(data)

    def set_link_local(data):
        emu.daemon.link_local = emu.exact_01(data)

    def set_entity(data):
        words = data.split()
        emu.daemon.isns_entity_name = words[0] if words else ""

    def show_isns():
        if not d.isns_server:
            return render_daemon("\n")
        value = d.isns_server + " " + ("AccessControl" if d.isns_access_control else "")
        return daemon_keyed(value, True)

    def show_link_local():
        # "1\n\n" by default, "0\n[key]\n\n" when switched off (spec 4.8.5)
        return render_daemon(f"{d.link_local}\n" + ("[key]\n" if d.link_local != 1 else ""))

    def show_internal_portal():
        return daemon_keyed(d.internal_portal, True) if d.internal_portal else render_daemon("\n")

    out = {
        "enabled": _daemon_attr(lambda: render_daemon(f"{d.enabled}\n"), set_enabled),
        "iSNSServer": _daemon_attr(show_isns, emu.isns_store),
        "isns_entity_name": _daemon_attr(lambda: render_daemon(d.isns_entity_name), set_entity),
        "link_local": _daemon_attr(show_link_local, set_link_local),
        "internal_portal": _daemon_attr(show_internal_portal, emu.internal_portal_store),
    }
    out.update(_chap_files(emu, d.incoming))
    out.update(_chap_files(emu, d.outgoing))
    return out


def _chap_files(emu, lst) -> dict:
    def one(acc):
        return _daemon_attr(lambda: daemon_keyed(f"{acc.user} {acc.secret}", True),
                            lambda data: emu.chap_file_store(lst, acc, data), mode=SECRET)
    return {acc.sysfs_name: one(acc) for acc in lst}


def copy_manager_driver_dir(emu) -> Dir:
    g = emu.state.globals

    def set_allow(data):
        g.allow_not_connected_copy = 1 if kstrtoul(data) else 0

    def static():
        return {
            "allow_not_connected_copy": rw(
                lambda: keyed(g.allow_not_connected_copy, g.allow_not_connected_copy != 0),
                set_allow),
            "dif_capabilities": const(DIF_CAPABILITIES_TEXT),
        }
    return _driver_dir(emu, CM_DRIVER, static)


def scst_local_driver_dir(emu) -> Dir:
    def static():
        out = {
            "mgmt": rw(lambda: SCST_LOCAL_MGMT_HELP,
                       lambda data: emu.driver_mgmt(LOCAL_DRIVER, data), work=True),
            "version": const("3.11.0-pre\n"),
        }
        if emu.config.tracing:
            from .tree import trace_level_attr
            out["trace_level"] = trace_level_attr(emu, "targets/scst_local", CORE_TRACE_TOKENS)
        return out
    return _driver_dir(emu, LOCAL_DRIVER, static)


def hardware_driver_dir(emu, driver: str) -> Dir:
    """A hardware target driver without NPIV: no mgmt file (targets are the
    ports found at load time), only a trace_level."""
    def static():
        out = {}
        if emu.config.tracing:
            from .tree import trace_level_attr
            out["trace_level"] = trace_level_attr(emu, f"targets/{driver}", CORE_TRACE_TOKENS)
        return out
    return _driver_dir(emu, driver, static)


# ----------------------------------------------------------------- target --

def access_attrs(emu, acc) -> dict:
    """addr_method / io_grouping_type / black_hole / cpu_mask (target or group)."""
    return {
        "addr_method": rw(lambda: keyed(acc.addr_method, acc.addr_method != "PERIPHERAL"),
                          lambda d: emu.set_addr_method(acc, d)),
        "io_grouping_type": rw(lambda: keyed(acc.io_grouping_type, acc.io_grouping_type != "auto"),
                               lambda d: emu.set_io_grouping_type(acc, d), work=True),
        "black_hole": rw(lambda: f"{acc.black_hole}\n", lambda d: emu.set_black_hole(acc, d)),
        "cpu_mask": rw(lambda: keyed(emu.format_cpu_mask(acc), acc.cpu_mask is not None),
                       lambda d: emu.set_cpu_mask(acc, d), work=True),
    }


def target_dir(emu, tgt) -> Dir:
    def set_comment(data):
        tgt.comment = data[:-1] if data.endswith("\n") else data

    def set_fwd_src(data):
        tgt.forward_src = emu.int_01(data)

    def set_fwd_dst(data):
        tgt.forward_dst = emu.first_byte_01(data)

    def set_aen(data):
        tgt.aen_disabled = emu.first_byte_01(data)

    def entries():
        out = {
            "rel_tgt_id": rw(lambda: keyed(tgt.rel_tgt_id, tgt.rel_tgt_id != 0),
                             lambda d: emu.set_rel_tgt_id(tgt, d), work=True,
                             precheck=emu.precheck_rel_tgt_id),
            "comment": rw(lambda: keyed(tgt.comment, True) if tgt.comment else "", set_comment),
            "sg_tablesize": const("65535\n"),
            "forward_src": rw(lambda: keyed(tgt.forward_src, tgt.forward_src != 0), set_fwd_src),
            "forward_dst": rw(lambda: keyed(tgt.forward_dst, tgt.forward_dst != 0), set_fwd_dst),
            "forwarding": rw(lambda: keyed(tgt.forward_dst, tgt.forward_dst != 0), set_fwd_dst),
            "aen_disabled": rw(lambda: keyed(tgt.aen_disabled, tgt.aen_disabled != 0), set_aen),
            "luns": luns_dir(emu, tgt, None),
            "ini_groups": ini_groups_dir(emu, tgt),
            "sessions": composite_dir(
                dict, lambda: list(tgt.sessions),
                lambda name: session_dir(emu, tgt, tgt.sessions[name])
                if name in tgt.sessions else None),
        }
        out.update(access_attrs(emu, tgt.access))
        for counter in IO_COUNTERS:
            out[counter] = ro(lambda: "0\n", work_read=True)
        hardware = tgt.driver in emu.config.hw_targets
        if hardware:
            out["hw_target"] = const("1\n")        # a physical port (spec 3.5)
        if tgt.driver in DRIVERS_WITH_ENABLE or hardware:
            out["enabled"] = rw(lambda: f"{int(tgt.enabled)}\n",
                                lambda d: emu.set_target_enabled(tgt, d), work=True,
                                precheck=emu.precheck_enabled)
        if tgt.driver == ISCSI:
            out["tid"] = ro(lambda: f"{tgt.iscsi.tid}\n")
            out.update(iscsi_target_daemon_attrs(emu, tgt))
        elif tgt.driver == CM_DRIVER:
            out["dif_capabilities"] = const(DIF_CAPABILITIES_TEXT)
            out["dif_checks_failed"] = rw(lambda: DIF_CHECKS_FAILED_TEXT, lambda d: None)
        elif tgt.driver == LOCAL_DRIVER:
            out.update(_local_target_attrs(tgt))
        return out
    return Dir(entries)


def _local_target_attrs(tgt) -> dict:
    def attr(name):
        def store(data):
            setattr(tgt, name, kstrtoul(data))
        return rw(lambda: keyed(f"0x{getattr(tgt, name):x}", getattr(tgt, name) != 0), store)
    return {n: attr(n) for n in ("scsi_transport_version", "phys_transport_version")}


def iscsi_target_daemon_attrs(emu, tgt) -> dict:
    data = tgt.iscsi

    def param_attr(param):
        def show():
            value = data.params[param.name]
            return daemon_keyed(value, value != param.default)
        return _daemon_attr(show, lambda d: emu.iscsi_param_store(tgt, param, d))

    def set_ppa(d):
        data.per_portal_acl = emu.exact_01(d)

    def set_alias(d):
        data.alias = d.strip()

    def optional(value):
        return daemon_keyed(value, True) if value else render_daemon("")

    out = {name: param_attr(p) for name, p in ISCSI_PARAMS.items()}
    out["per_portal_acl"] = _daemon_attr(
        lambda: render_daemon(f"{data.per_portal_acl}\n" + ("[key]\n" if data.per_portal_acl else "")),
        set_ppa)
    out["redirect"] = _daemon_attr(lambda: optional(data.redirect),
                                   lambda d: emu.redirect_store(data, d))
    out["alias"] = _daemon_attr(lambda: optional(data.alias), set_alias)
    out.update(_chap_files(emu, data.incoming))
    out.update(_chap_files(emu, data.outgoing))
    for portal in data.portals:
        out[portal.sysfs_name] = _portal_attr(emu, portal)
    return out


def _portal_attr(emu, portal) -> Attr:
    return _daemon_attr(lambda: daemon_keyed(portal.pattern, True),
                        lambda d: emu.portal_file_store(portal, d))


# -------------------------------------------------------------- LUN sets --

def luns_dir(emu, tgt, grp) -> Dir:
    depth = "../../../../../" if grp is None else "../../../../../../../"

    def lun_dir(lun):
        def show_ro():
            dev = emu.state.devices.get(lun.device)
            flag = lun.read_only or bool(dev and dev.attrs.get("read_only"))
            return keyed(int(flag), flag)
        return static_dir({"device": Link(f"{depth}devices/{lun.device}"),
                           "read_only": ro(show_ro)})

    def luns():
        return grp.luns if grp is not None else tgt.luns

    def make(name):
        lun = luns().get(int(name)) if name.isdigit() and str(int(name)) == name else None
        return lun_dir(lun) if lun is not None else None

    def static():
        return {"mgmt": rw(lambda: LUNS_MGMT_HELP, lambda d: emu.luns_mgmt(tgt, grp, d),
                           work=True)}
    return composite_dir(static, lambda: [str(n) for n in luns()], make)


def ini_groups_dir(emu, tgt) -> Dir:
    def entries():
        out = {"mgmt": rw(lambda: INI_GROUPS_MGMT_HELP, lambda d: emu.ini_groups_mgmt(tgt, d),
                          work=True)}
        for name, grp in tgt.groups.items():
            out[name] = group_dir(emu, tgt, grp)
        return out
    return Dir(entries)


def group_dir(emu, tgt, grp) -> Dir:
    def initiators():
        out = {"mgmt": rw(lambda: INITIATORS_MGMT_HELP,
                          lambda d: emu.initiators_mgmt(tgt, grp, d), work=True)}
        for name in grp.initiators:
            out[name.replace("/", "!")] = const(f"{name}\n")
        return out

    def set_dedicated(data):
        grp.per_sess_dedicated_tgt_threads = 1 if kstrtoul(data) else 0

    def entries():
        out = {"luns": luns_dir(emu, tgt, grp), "initiators": Dir(initiators)}
        out.update(access_attrs(emu, grp.access))
        if tgt.driver == ISCSI:
            v = grp.per_sess_dedicated_tgt_threads
            out["per_sess_dedicated_tgt_threads"] = rw(lambda: keyed(v, v != 0), set_dedicated)
        return out
    return Dir(entries)


# --------------------------------------------------------------- sessions --

_LUN_STATS = static_dir({"active_commands": const("0\n"), "thread_index": const("0\n"),
                         "thread_pid": const("1000\n")})


def session_dir(emu, tgt, sess) -> Dir:
    def luns():
        grp = emu.session_group(tgt, sess)
        return grp.luns if grp is not None else tgt.luns

    def make(name):
        no = name[3:]
        if name.startswith("lun") and no.isdigit() and str(int(no)) == no and int(no) in luns():
            return _LUN_STATS
        return None

    def static():
        grp = emu.session_group(tgt, sess)
        out = {
            "initiator_name": const(f"{sess.initiator.split('#')[0]}\n"),
            "commands": const("0\n"),
            "active_commands": ro(lambda: "0\n", work_read=True),
            "luns": Link("../../luns" if grp is None else f"../../ini_groups/{grp.name}/luns"),
            "latency": static_dir({f"{kind}{size}": rw(lambda: LATENCY_FILE_TEXT, lambda d: None)
                                   for kind in "bnrw" for size in LATENCY_SIZES}),
        }
        for counter in IO_COUNTERS:
            out[counter] = rw(lambda: "0\n", lambda d: None)
        if tgt.driver in DRIVERS_WITH_FORCE_CLOSE and not sess.permanent:
            out["force_close"] = wo(lambda d: emu.close_session(tgt, sess))
        if tgt.driver == CM_DRIVER:
            out["dif_checks_failed"] = rw(lambda: DIF_CHECKS_FAILED_TEXT, lambda d: None)
        if tgt.driver == ISCSI:
            out.update(_iscsi_session_attrs(tgt, sess))
        if tgt.driver == LOCAL_DRIVER:
            out["host_no"] = const(f"{sess.sid}\n")
            out["transport_id"] = const(f"{sess.initiator}\n")
        return out
    return composite_dir(static, lambda: [f"lun{n}" for n in luns()], make)


def _iscsi_session_attrs(tgt, sess) -> dict:
    params = tgt.iscsi.params if tgt.iscsi else {}
    out = {name: const(f"{params.get(name, ISCSI_PARAMS[name].default)}\n")
           for name in SESSION_ISCSI_PARAMS}
    out["sid"] = const(f"{sess.sid:x}\n")
    out["reinstating"] = const("0\n")
    out["thread_pid"] = const("1001\n")
    out[sess.ip] = static_dir({
        "cid": const("0\n"), "ip": const(f"{sess.ip}\n"),
        "state": const("established idle \n"), "target_ip": const(f"{sess.target_ip}\n"),
        "transport": const("iSCSI-TCP\n"),
    })
    return out
