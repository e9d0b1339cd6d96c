"""ALUA device groups and target groups (spec 3.9)."""

from __future__ import annotations

from .errors import EEXIST, EINVAL, fail
from .lexer import Cursor, kstrtoul, strip_one_newline
from .model import DeviceGroup, TargetGroup, TgMember

ALUA_STATES = ("active", "nonoptimized", "standby", "unavailable", "offline",
               "transitioning")


def _verb_and_name(data: str):
    cur = Cursor(data)
    return cur.lexem().lower(), cur.lexem()


class AluaOps:
    """Mixin for :class:`~scst_emulator.emulator.ScstEmulator`."""

    def device_groups_mgmt(self, data: str) -> None:
        verb, name = _verb_and_name(data)
        dgs = self.state.device_groups
        if verb in ("create", "add"):
            if not name:
                fail(EINVAL, "group name required")
            if name in dgs:
                fail(EEXIST, f"device group {name} exists")
            dgs[name] = DeviceGroup(name)
        elif verb == "del":
            if name not in dgs:
                fail(EINVAL, f"device group {name} not found")
            del dgs[name]
        else:
            fail(EINVAL, f'Unknown action "{verb}"')

    def dg_devices_mgmt(self, dg: DeviceGroup, data: str) -> None:
        verb, name = _verb_and_name(data)
        if verb == "add":
            if name not in self.state.devices:
                fail(EINVAL, f"device {name} not found")
            if any(name in g.devices for g in self.state.device_groups.values()):
                fail(EEXIST, f"device {name} already in a device group")
            dg.devices.append(name)
        elif verb == "del":
            if name not in dg.devices:
                fail(EINVAL, f"device {name} not in group")
            dg.devices.remove(name)
        else:
            fail(EINVAL, f'Unknown action "{verb}"')

    def target_groups_mgmt(self, dg: DeviceGroup, data: str) -> None:
        verb, name = _verb_and_name(data)
        if verb in ("create", "add"):
            if not name:
                fail(EINVAL, "group name required")
            if name in dg.target_groups:
                fail(EEXIST, f"target group {name} exists")
            dg.target_groups[name] = TargetGroup(name)
        elif verb == "del":
            if name not in dg.target_groups:
                fail(EINVAL, f"target group {name} not found")
            del dg.target_groups[name]
        else:
            fail(EINVAL, f'Unknown action "{verb}"')

    def tg_mgmt(self, dg: DeviceGroup, tg: TargetGroup, data: str) -> None:
        verb, name = _verb_and_name(data)
        if verb == "add":
            if not name:
                fail(EINVAL, "target name required")
            if any(name in g.members for g in dg.target_groups.values()):
                fail(EEXIST, f"target {name} already in a target group")
            driver = next((t.driver for t in self.all_targets() if t.name == name), None)
            tg.members[name] = TgMember(name, driver)
        elif verb == "del":
            if name not in tg.members:
                fail(EINVAL, f"target {name} not in group")
            del tg.members[name]
        else:
            fail(EINVAL, f'Unknown action "{verb}"')

    @staticmethod
    def set_group_id(tg: TargetGroup, data: str) -> None:
        value = kstrtoul(data)
        if not 1 <= value <= 65535:
            fail(EINVAL, "group_id must be 1..65535")
        tg.group_id = value

    @staticmethod
    def set_member_rel_tgt_id(member: TgMember, data: str) -> None:
        value = kstrtoul(data)
        if not 1 <= value <= 65535:
            fail(EINVAL, "rel_tgt_id must be 1..65535")
        member.rel_tgt_id = value

    @staticmethod
    def set_tg_state(tg: TargetGroup, data: str) -> None:
        value = strip_one_newline(data)
        if value not in ALUA_STATES:
            fail(EINVAL, f"bad ALUA state {value!r}")
        tg.state = value

    @staticmethod
    def set_preferred(tg: TargetGroup, data: str) -> None:
        value = kstrtoul(data)
        if value not in (0, 1):
            fail(EINVAL, "preferred must be 0 or 1")
        tg.preferred = value
