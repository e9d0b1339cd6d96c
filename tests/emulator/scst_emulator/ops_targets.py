"""Target level operations: driver mgmt, LUN sets, groups, initiators, sessions.

Implements spec 3.5-3.8, 4.3-4.6 and 5.1/5.2.  The iSCSI specific parts
(everything iscsi-scstd owns) are in ``ops_iscsi.py``; this module calls into
it through ``self.iscsi_*`` hooks.
"""

from __future__ import annotations

from functools import lru_cache

from .errors import EBADSLT, EBUSY, EEXIST, EFAULT, EINVAL, ENOENT, fail
from .lexer import Cursor, kstrtoint, kstrtol, kstrtoul
from .model import AccessAttrs, Group, Session, Target
from .ops_devices import CM_DRIVER, CM_SESSION, CM_TARGET, MAX_LUN

LOCAL_DRIVER = "scst_local"
DRIVERS_WITH_ENABLE = {"iscsi"}
DRIVERS_WITH_FORCE_CLOSE = {"iscsi", LOCAL_DRIVER}
DRIVERS_WITH_DIF = {CM_DRIVER}          # only copy_manager has dif_capabilities


# ---------------------------------------------------- initiator patterns ----

def wildcard_match(pattern: str, name: str) -> bool:
    """Initiator name matching of SCST (spec 4.6).

    ``*`` any sequence, ``?`` one character, case-insensitive; the first
    ``!`` inverts the result of matching the rest of the pattern from there.
    """
    p, s = pattern.lower(), name.lower()

    @lru_cache(maxsize=None)
    def match(pi: int, si: int, neg_allowed: bool) -> bool:
        if pi == len(p):
            return si == len(s)
        c = p[pi]
        if c == "!" and neg_allowed:
            return not match(pi + 1, si, False)
        if c == "*":
            return any(match(pi + 1, k, neg_allowed) for k in range(si, len(s) + 1))
        if si < len(s) and (c == "?" or c == s[si]):
            return match(pi + 1, si + 1, neg_allowed)
        return False

    return match(0, 0, True)


def prefix_keyword(data: str, keywords):
    """SCST's keyword test: compare the first min(len(kw), len(data)) chars.

    ``data`` is the raw buffer (a trailing newline counts, as in the kernel).
    Returns the matching keyword or None.
    """
    if not data:
        return None
    for kw in keywords:
        n = min(len(kw), len(data))
        if data[:n].lower() == kw[:n].lower():
            return kw
    return None


class TargetOps:
    """Mixin for :class:`~scst_emulator.emulator.ScstEmulator`."""

    # ------------------------------------------------------------ lookups --

    def targets_of(self, driver: str) -> dict:
        return self.state.targets.setdefault(driver, {})

    def find_target(self, driver: str, name: str):
        return self.targets_of(driver).get(name)

    def all_targets(self):
        for targets in self.state.targets.values():
            yield from targets.values()

    # ------------------------------------------------------ driver mgmt ----

    def driver_mgmt(self, driver: str, data: str) -> None:
        cur = Cursor(data)
        verb = cur.lexem()
        if verb.lower() == "add_target":
            name = cur.lexem()
            if not name:
                fail(EINVAL, "Target name required")
            if driver == "iscsi":
                self.iscsi_add_target(name, cur.rest())
            else:
                self.local_add_target(name, cur)
        elif verb.lower() == "del_target":
            name = cur.lexem()
            if not name:
                fail(EINVAL, "Target name required")
            if cur.lexem():
                fail(EINVAL, "too many parameters")
            if driver == "iscsi":
                self.iscsi_del_target(name)
            else:
                self.local_del_target(name)
        elif driver == "iscsi":
            self.iscsi_driver_command(data)
        else:
            self.local_command(verb, cur)

    def remove_target(self, tgt: Target) -> None:
        """Core part of target removal: LUNs, groups, ALUA memberships."""
        for dg in self.state.device_groups.values():
            for tg in dg.target_groups.values():
                member = tg.members.get(tgt.name)
                if member is not None and member.local_driver == tgt.driver:
                    del tg.members[tgt.name]
        del self.targets_of(tgt.driver)[tgt.name]

    # ------------------------------------------------------------ scst_local --

    def local_add_target(self, name: str, cur: Cursor) -> None:
        if name in self.targets_of(LOCAL_DRIVER):
            fail(EFAULT, "target exists")
        sessions = []
        for pname, value in cur.params():
            if pname.lower() != "session_name":
                fail(EINVAL, f"unknown parameter {pname}")
            sessions.append(value)
        tgt = Target(driver=LOCAL_DRIVER, name=name)
        self.targets_of(LOCAL_DRIVER)[name] = tgt
        for sess in sessions:
            self._open_session(tgt, sess, sess)

    def local_del_target(self, name: str) -> None:
        tgt = self.find_target(LOCAL_DRIVER, name)
        if tgt is None:
            fail(ENOENT, f"target {name} not found")
        tgt.sessions.clear()         # scst_local closes its own sessions
        self.remove_target(tgt)

    def local_command(self, verb: str, cur: Cursor) -> None:
        tgt_name, sess_name = cur.lexem(), cur.lexem()
        tgt = self.find_target(LOCAL_DRIVER, tgt_name)
        if tgt is None:
            fail(EINVAL, f"target {tgt_name} not found")
        if not sess_name:
            fail(EINVAL, "session name required")
        if verb.lower() == "add_session":
            if sess_name in tgt.sessions:
                fail(EEXIST, "session exists")
            self._open_session(tgt, sess_name, sess_name)
        elif verb.lower() == "del_session":
            if sess_name not in tgt.sessions:
                fail(EINVAL, f"session {sess_name} not found")
            del tgt.sessions[sess_name]
        # any other verb with a valid target and session: silently accepted

    # ------------------------------------------------------------ sessions --

    def _open_session(self, tgt: Target, initiator: str, dirname: str | None = None,
                      **extra) -> Session:
        base = dirname or initiator
        name, n = base, 0
        while name in tgt.sessions:
            n += 1
            name = f"{base}_{n}"
        sess = Session(name=name, initiator=initiator, **extra)
        tgt.sessions[name] = sess
        return sess

    def session_group(self, tgt: Target, sess: Session):
        """The group a session is bound to: first group (creation order) with
        a matching initiator entry, else None (the target's default set)."""
        for grp in tgt.groups.values():
            if any(wildcard_match(pat, sess.initiator) for pat in grp.initiators):
                return grp
        return None

    def session_luns(self, tgt: Target, sess: Session) -> dict:
        grp = self.session_group(tgt, sess)
        return grp.luns if grp is not None else tgt.luns

    def group_has_sessions(self, tgt: Target, grp: Group) -> bool:
        return any(self.session_group(tgt, s) is grp for s in tgt.sessions.values())

    # ------------------------------------------------------------ LUN mgmt --

    def luns_mgmt(self, tgt: Target, grp, data: str) -> None:
        luns = grp.luns if grp is not None else tgt.luns
        cur = Cursor(data)
        verb = cur.lexem().lower()
        if verb in ("add", "replace", "replace_no_ua"):
            dev_name = cur.lexem()
            dev = self.state.devices.get(dev_name)
            if dev is None:
                fail(EINVAL, f"Device '{dev_name}' not found")
            lun_no = self._parse_lun(cur.lexem())
            read_only = False
            for pname, value in cur.params():
                if pname.lower() != "read_only":
                    fail(EINVAL, f"unknown parameter {pname}")
                read_only = kstrtoul(value) != 0
            if tgt.driver == CM_DRIVER and (read_only or dev.attrs.get("read_only")):
                fail(EINVAL, "copy manager cannot use read-only LUNs")
            if dev.attrs.get("dif_type") and tgt.driver not in DRIVERS_WITH_DIF:
                fail(EINVAL, "target lacks the DIF capabilities of the device")
            if verb == "add" and lun_no in luns:
                fail(EEXIST, f"virt lun {lun_no} already exists")
            luns[lun_no] = self.new_lun(dev, read_only)
        elif verb == "del":
            lun_no = self._parse_lun(cur.lexem())
            if cur.lexem():
                fail(EINVAL, "too many parameters")
            if lun_no not in luns:
                fail(EINVAL, "Device is not found in group")
            del luns[lun_no]
        elif verb == "clear":
            if cur.lexem():
                fail(EINVAL, "too many parameters")
            luns.clear()
        else:
            fail(EINVAL, f'Unknown action "{verb}"')

    @staticmethod
    def _parse_lun(text: str) -> int:
        if not text:
            fail(EINVAL, "LUN required")
        lun_no = kstrtoul(text)
        if lun_no > MAX_LUN:
            fail(EINVAL, f"Too big LUN {lun_no} (max {MAX_LUN})")
        return lun_no

    # ------------------------------------------------------ ini_groups mgmt --

    def ini_groups_mgmt(self, tgt: Target, data: str) -> None:
        cur = Cursor(data)
        verb = cur.lexem().lower()
        name = cur.lexem()
        if verb == "create":
            if not name:
                fail(EINVAL, "group name required")
            if tgt.driver == CM_DRIVER:
                fail(EINVAL, "copy manager has no security groups")
            if name in tgt.groups:
                fail(EEXIST, f"acg name {name} exist")
            grp = Group(name=name, access=AccessAttrs())
            tgt.groups[name] = grp
        elif verb == "del":
            if not name:
                fail(EINVAL, "group name required")
            grp = tgt.groups.get(name)
            if grp is None:
                fail(EINVAL, f"Group {name} not found")
            if self.group_has_sessions(tgt, grp):
                if not self.config.forcibly_close_sessions or tgt.driver not in DRIVERS_WITH_FORCE_CLOSE:
                    fail(EBUSY, "group has sessions")
                for sess in [s for s in tgt.sessions.values() if self.session_group(tgt, s) is grp]:
                    del tgt.sessions[sess.name]
            del tgt.groups[name]
        else:
            fail(EINVAL, f'Unknown action "{verb}"')

    def initiators_mgmt(self, tgt: Target, grp: Group, data: str) -> None:
        cur = Cursor(data)
        verb = cur.lexem().lower()
        if verb == "clear":
            grp.initiators.clear()
            return
        name = cur.lexem()
        if verb not in ("add", "del", "move"):
            fail(EINVAL, f'Unknown action "{verb}"')
        if not name:
            fail(EINVAL, "initiator name required")
        if verb == "add":
            if name in grp.initiators:
                fail(EEXIST, f"Name {name} already exists in group {grp.name}")
            grp.initiators.append(name)
        elif verb == "del":
            if name not in grp.initiators:
                fail(EINVAL, f"Unable to find initiator '{name}' in group '{grp.name}'")
            grp.initiators.remove(name)
        else:
            dest_name = cur.lexem()
            if name not in grp.initiators:
                fail(EINVAL, f"initiator {name} not in group {grp.name}")
            dest = tgt.groups.get(dest_name)
            if not dest_name or dest is None:
                fail(EINVAL, f"group {dest_name} not found")
            if name in dest.initiators:
                fail(EEXIST, f"{name} already in {dest_name}")
            grp.initiators.remove(name)
            dest.initiators.append(name)

    # ------------------------------------------------- enable / rel_tgt_id --

    def precheck_enabled(self, data: str) -> None:
        if not data or data[0] not in "01":
            fail(EINVAL, f"Requested action not understood: {data.strip()}")

    def set_target_enabled(self, tgt: Target, data: str) -> None:
        enable = data[0] == "1"
        if tgt.driver == "iscsi":
            self.iscsi_require_daemon()
        if enable:
            if tgt.rel_tgt_id == 0:
                tgt.rel_tgt_id = self._auto_rel_tgt_id()
            elif any(t is not tgt and t.enabled and t.rel_tgt_id == tgt.rel_tgt_id
                     for t in self.all_targets()):
                fail(EBADSLT, "rel_tgt_id not unique")
        tgt.enabled = enable

    def _auto_rel_tgt_id(self) -> int:
        g = self.state.globals
        used = {t.rel_tgt_id for t in self.all_targets()}
        rid = g.next_rel_tgt_id
        for _attempt in range(65535):
            if rid not in used:
                break
            rid = rid % 65535 + 1
        g.next_rel_tgt_id = rid % 65535 + 1
        return rid

    def precheck_rel_tgt_id(self, data: str) -> None:
        kstrtoul(data)

    def set_rel_tgt_id(self, tgt: Target, data: str) -> None:
        value = kstrtoul(data)
        if value == tgt.rel_tgt_id:
            return
        if value > 65535 or (value == 0 and tgt.enabled):
            fail(EINVAL, "rel_tgt_id out of range")
        if tgt.enabled and any(t is not tgt and t.enabled and t.rel_tgt_id == value
                               for t in self.all_targets()):
            fail(EBADSLT, "rel_tgt_id not unique")
        tgt.rel_tgt_id = value

    # ------------------------------------------------------ access attrs ----

    def set_addr_method(self, acc: AccessAttrs, data: str) -> None:
        kw = prefix_keyword(data, ("FLAT", "PERIPHERAL", "LUN"))
        if kw is None:
            fail(EINVAL, "unknown addr_method")
        acc.addr_method = kw

    def set_io_grouping_type(self, acc: AccessAttrs, data: str) -> None:
        kw = prefix_keyword(data, ("auto", "this_group_only", "never"))
        if kw is None:
            try:
                n = kstrtol(data)
            except Exception:
                fail(EINVAL, "bad io_grouping_type")
            if n <= 0:
                fail(EINVAL, "bad io_grouping_type")
            kw = str(n)
        acc.io_grouping_type = kw

    def set_black_hole(self, acc: AccessAttrs, data: str) -> None:
        if not data or data[0] not in "01234":
            fail(EINVAL, "black_hole must be 0..4")
        acc.black_hole = int(data[0])

    def all_cpus_mask(self) -> int:
        return (1 << self.config.ncpus) - 1

    def set_cpu_mask(self, acc: AccessAttrs, data: str) -> None:
        text = data[:-1] if data.endswith("\n") else data
        if not text:
            fail(EINVAL, "empty cpu mask")
        value = 0
        for chunk in text.split(","):
            if not 1 <= len(chunk) <= 8 or any(c not in "0123456789abcdefABCDEF" for c in chunk):
                fail(EINVAL, "bad cpu mask")
            value = (value << 32) | int(chunk, 16)
        value &= self.all_cpus_mask()
        acc.cpu_mask = None if value == self.all_cpus_mask() else value

    def format_cpu_mask(self, acc: AccessAttrs) -> str:
        """Kernel ``%*pb``: 32-bit hex chunks, most significant first and
        zero-padded to the width the CPU count needs."""
        mask = self.all_cpus_mask() if acc.cpu_mask is None else acc.cpu_mask
        nchunks = (self.config.ncpus + 31) // 32
        first_bits = self.config.ncpus - 32 * (nchunks - 1)
        chunks = [(mask >> (32 * i)) & 0xFFFFFFFF for i in reversed(range(nchunks))]
        parts = [format(chunks[0], f"0{(first_bits + 3) // 4}x")]
        parts += [format(c, "08x") for c in chunks[1:]]
        return ",".join(parts)

    @staticmethod
    def first_byte_01(data: str) -> int:
        if not data or data[0] not in "01":
            fail(EINVAL, "0 or 1 expected")
        return int(data[0])

    @staticmethod
    def int_01(data: str) -> int:
        v = kstrtoint(data)
        if v not in (0, 1):
            fail(EINVAL, "0 or 1 expected")
        return v

    # ----------------------------------------------------- copy manager --

    def create_copy_manager(self) -> None:
        tgt = Target(driver=CM_DRIVER, name=CM_TARGET)
        self.targets_of(CM_DRIVER)[CM_TARGET] = tgt
        self._open_session(tgt, CM_SESSION, permanent=True)
