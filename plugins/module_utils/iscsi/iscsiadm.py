# Copyright: scst.iscsi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one place that runs iscsiadm.

``Iscsiadm`` turns each operation the initiator model needs into one
iscsiadm call, parses the answer and maps exit codes to typed exceptions.
The command runner is injected (``run_command(argv) -> (rc, stdout, stderr)``)
so unit tests replay recorded iscsiadm output; modules pass
``ansible_run_command(module)``, which runs iscsiadm with LANG=C so the text
this layer parses is never translated.

Secrets: every CHAP secret handed to an update is remembered and scrubbed
from any command line or output that goes into an exception.
"""

from __future__ import annotations

from dataclasses import dataclass

from ansible_collections.scst.iscsi.plugins.module_utils.common.masking import MASK, mask_text
from ansible_collections.scst.iscsi.plugins.module_utils.iscsi import errors
from ansible_collections.scst.iscsi.plugins.module_utils.iscsi.model import (
    SECRET_SETTINGS,
    Iface,
    parse_discovery_list,
    parse_iface_list,
    parse_node_list,
    parse_node_tree,
    parse_records,
    parse_session_list,
    parse_session_tree,
)

C_LOCALE = {"LANG": "C", "LC_ALL": "C", "LC_MESSAGES": "C"}

DISCOVERY_TYPES = ("sendtargets", "isns")


def ansible_run_command(module):
    """Adapt ``AnsibleModule.run_command`` to the runner interface, with LANG=C."""

    def run(argv):
        return module.run_command(argv, environ_update=dict(C_LOCALE), check_rc=False)

    return run


@dataclass
class Result:
    rc: int
    stdout: str
    stderr: str


class Iscsiadm:
    """Typed calls of iscsiadm; reads return model objects, writes return nothing."""

    def __init__(self, *, run_command, binary: str = "iscsiadm"):
        self._run_command = run_command
        self._binary = binary
        self._secrets = set()
        self.calls = []  # scrubbed argv of every call, in order (for debugging output)

    # -- secrets ---------------------------------------------------------
    def add_secret(self, value) -> None:
        if value:
            self._secrets.add(str(value))

    def scrub(self, text: str) -> str:
        return mask_text(text, self._secrets)

    def _display(self, argv: list) -> list:
        """The argv as it may be shown: the value after ``-n <secret setting> -v`` is masked."""
        shown = [self.scrub(arg) for arg in argv]
        for index, arg in enumerate(argv[:-1]):
            if arg == "-n" and argv[index + 1] in SECRET_SETTINGS:
                for value_index in range(index + 2, len(argv) - 1):
                    if argv[value_index] == "-v":
                        shown[value_index + 1] = MASK
                        break
        return shown

    # -- running ---------------------------------------------------------
    def run(self, args: list, *, action: str, accept=(0,)) -> Result:
        """Run ``iscsiadm args``; raise a typed error unless the exit code is accepted."""
        argv = [self._binary] + [str(arg) for arg in args]
        shown = self._display(argv)
        self.calls.append(shown)
        rc, stdout, stderr = self._run_command(argv)
        if rc in accept:
            return Result(rc=rc, stdout=stdout or "", stderr=stderr or "")
        raise self._error(action=action, rc=rc, shown=shown, stdout=stdout or "", stderr=stderr or "")

    def _error(self, *, action: str, rc: int, shown: list, stdout: str, stderr: str):
        stderr = self.scrub(stderr)
        stdout = self.scrub(stdout)
        said = [line.strip() for line in stderr.splitlines() if line.strip()]
        if rc == errors.RC_LOGIN_AUTH_FAILED:
            cls = errors.LoginAuthError
            msg = ("{0} was refused by the target: CHAP authorization failure ({1}). Check that the "
                   "CHAP user name and secret match the target's account for this initiator "
                   "(and the _in pair for mutual CHAP).").format(action, errors.describe_exit_code(rc))
        elif rc in (errors.RC_TRANSPORT, errors.RC_TRANSPORT_TIMEOUT):
            cls = errors.PortalUnreachableError
            msg = "{0} failed: the portal could not be reached ({1}).".format(
                action, errors.describe_exit_code(rc))
        elif rc in (18, errors.RC_ISCSID_NOT_CONNECTED):
            cls = errors.DaemonError
            msg = "{0} failed: iscsid is not running or not reachable ({1}).".format(
                action, errors.describe_exit_code(rc))
        else:
            cls = errors.IscsiadmError
            msg = "{0} failed ({1}).".format(action, errors.describe_exit_code(rc))
        if said:
            msg += " iscsiadm said: " + " / ".join(said[-3:])
        return cls(msg, rc=rc, command=shown, stdout=stdout, stderr=stderr)

    # -- helpers ---------------------------------------------------------
    @staticmethod
    def _node_args(target: str, portal, iface) -> list:
        args = ["-m", "node", "-T", target, "-p", str(portal)]
        if iface:
            args += ["-I", iface]
        return args

    # -- version ---------------------------------------------------------
    def version(self) -> str | None:
        result = self.run(["--version"], action="reading the iscsiadm version", accept=(0, 1))
        for word in result.stdout.split():
            if word[:1].isdigit():
                return word
        return None

    # -- node records ----------------------------------------------------
    def list_nodes(self) -> list:
        result = self.run(["-m", "node"], action="listing node records",
                          accept=(0, errors.RC_NO_OBJECTS_FOUND))
        return [] if result.rc else parse_node_list(result.stdout)

    def list_node_ifaces(self) -> list:
        """Every node record with its iface (``-m node -P 1``); the flat list does not say the iface."""
        result = self.run(["-m", "node", "-P", "1"], action="listing node records and their ifaces",
                          accept=(0, errors.RC_NO_OBJECTS_FOUND))
        return [] if result.rc else parse_node_tree(result.stdout)

    def show_node(self, *, target: str, portal, iface=None, secrets: bool = False) -> list:
        """Return the record(s) of a target at a portal; ``[]`` when none exists.

        ``secrets=True`` passes ``-S`` so passwords come back in clear: for
        comparison only, never for output.
        """
        args = self._node_args(target, portal, iface) + ["-o", "show"]
        if secrets:
            args.append("-S")
        result = self.run(args, action="reading the node record of target {0} at portal {1}".format(target, portal),
                          accept=(0, errors.RC_NO_OBJECTS_FOUND))
        if result.rc:
            return []
        records = parse_records(result.stdout)
        if secrets:
            for record in records:
                for name in SECRET_SETTINGS:
                    self.add_secret(record.get(name))
        return records

    def new_node(self, *, target: str, portal, iface=None) -> None:
        self.run(self._node_args(target, portal, iface) + ["-o", "new"],
                 action="creating the node record of target {0} at portal {1}".format(target, portal))

    def update_node(self, *, target: str, portal, iface=None, name: str, value: str) -> None:
        if name in SECRET_SETTINGS:
            self.add_secret(value)
        self.run(self._node_args(target, portal, iface) + ["-o", "update", "-n", name, "-v", value],
                 action="setting {0} of target {1} at portal {2}".format(name, target, portal))

    def delete_node(self, *, target: str, portal, iface=None) -> None:
        self.run(self._node_args(target, portal, iface) + ["-o", "delete"],
                 action="deleting the node record of target {0} at portal {1}".format(target, portal),
                 accept=(0, errors.RC_NO_OBJECTS_FOUND))

    def login(self, *, target: str, portal, iface=None) -> bool:
        """Log in; return False when iscsiadm says the session already exists (exit 15)."""
        result = self.run(self._node_args(target, portal, iface) + ["--login"],
                          action="login to target {0} at portal {1}".format(target, portal),
                          accept=(0, errors.RC_SESSION_EXISTS))
        return result.rc == 0

    def logout(self, *, target: str, portal, iface=None) -> bool:
        """Log out of this portal only; return False when there was no session (exit 21)."""
        result = self.run(self._node_args(target, portal, iface) + ["--logout"],
                          action="logout from target {0} at portal {1}".format(target, portal),
                          accept=(0, errors.RC_NO_OBJECTS_FOUND))
        return result.rc == 0

    # -- sessions --------------------------------------------------------
    def list_sessions(self) -> list:
        result = self.run(["-m", "session"], action="listing sessions",
                          accept=(0, errors.RC_NO_OBJECTS_FOUND))
        return [] if result.rc else parse_session_list(result.stdout)

    def session_ifaces(self) -> list:
        """Sessions with their iface (``-m session -P 1``); no devices."""
        result = self.run(["-m", "session", "-P", "1"], action="listing sessions and their ifaces",
                          accept=(0, errors.RC_NO_OBJECTS_FOUND))
        return [] if result.rc else parse_session_tree(result.stdout)

    def session_tree(self) -> list:
        """Sessions with their SCSI devices (``-m session -P 3``)."""
        result = self.run(["-m", "session", "-P", "3"], action="listing sessions and devices",
                          accept=(0, errors.RC_NO_OBJECTS_FOUND))
        return [] if result.rc else parse_session_tree(result.stdout)

    def rescan_session(self, *, sid: int) -> None:
        self.run(["-m", "session", "-r", str(sid), "--rescan"],
                 action="rescanning session {0}".format(sid))

    # -- discovery records -----------------------------------------------
    @staticmethod
    def _discovery_args(kind: str, portal) -> list:
        return ["-m", "discoverydb", "-t", kind, "-p", str(portal)]

    def list_discovery(self) -> list:
        result = self.run(["-m", "discoverydb"], action="listing discovery records",
                          accept=(0, errors.RC_NO_OBJECTS_FOUND))
        return [] if result.rc else parse_discovery_list(result.stdout)

    def show_discovery(self, *, kind: str, portal, secrets: bool = False):
        """Return the discovery record as a dict, or None when there is none.

        A missing record is exit 6 ("Discovery record [...] not found") in 2.1.8.
        """
        args = self._discovery_args(kind, portal) + ["-o", "show"]
        if secrets:
            args.append("-S")
        result = self.run(args, action="reading the {0} discovery record of portal {1}".format(kind, portal),
                          accept=(0, errors.RC_IDBM, errors.RC_NO_OBJECTS_FOUND))
        if result.rc:
            return None
        records = parse_records(result.stdout)
        if not records:
            return None
        if secrets:
            for name in SECRET_SETTINGS:
                self.add_secret(records[0].get(name))
        return records[0]

    def new_discovery(self, *, kind: str, portal) -> None:
        self.run(self._discovery_args(kind, portal) + ["-o", "new"],
                 action="creating the {0} discovery record of portal {1}".format(kind, portal))

    def update_discovery(self, *, kind: str, portal, name: str, value: str) -> None:
        if name in SECRET_SETTINGS:
            self.add_secret(value)
        self.run(self._discovery_args(kind, portal) + ["-o", "update", "-n", name, "-v", value],
                 action="setting {0} of the {1} discovery record of portal {2}".format(name, kind, portal))

    def delete_discovery(self, *, kind: str, portal) -> None:
        self.run(self._discovery_args(kind, portal) + ["-o", "delete"],
                 action="deleting the {0} discovery record of portal {1}".format(kind, portal),
                 accept=(0, errors.RC_IDBM, errors.RC_NO_OBJECTS_FOUND))

    def discover(self, *, kind: str, portal, persist: bool = True, prune: bool = False, iface=None) -> list:
        """Run discovery through the stored discovery record; return what the portal reported.

        ``persist`` adds node records only for targets and portals that have
        none yet (``-o new``): existing records keep node.startup, CHAP and
        every other setting, unlike a bare discovery (new+delete+update),
        which rewrites them from iscsid.conf. ``prune`` also deletes records
        the portal no longer returns (iscsiadm skips those with a session).
        ``persist=False`` changes nothing (``-o nonpersistent``). ``iface``
        discovers through that iface: new records are bound to it only
        (without it, open-iscsi binds them to every tcp iface it has, or to
        ``default`` when there is none).
        """
        args = self._discovery_args(kind, portal)
        if iface:
            args += ["-I", iface]
        args += ["--discover"]
        if persist:
            args += ["-o", "new"]
            if prune:
                args += ["-o", "delete"]
        else:
            args += ["-o", "nonpersistent"]
        result = self.run(args, action="{0} discovery at portal {1}".format(kind, portal),
                          accept=(0, errors.RC_NO_OBJECTS_FOUND))
        return [] if result.rc else parse_node_list(result.stdout)

    # -- ifaces ----------------------------------------------------------
    @staticmethod
    def _iface_args(name: str) -> list:
        return ["-m", "iface", "-I", name]

    def list_ifaces(self) -> list:
        result = self.run(["-m", "iface"], action="listing ifaces", accept=(0, errors.RC_NO_OBJECTS_FOUND))
        return [] if result.rc else parse_iface_list(result.stdout)

    def show_iface(self, *, name: str):
        """The iface as an ``Iface``, or None when there is none (exit 6 in 2.1.x)."""
        result = self.run(self._iface_args(name) + ["-o", "show"], action="reading iface {0}".format(name),
                          accept=(0, errors.RC_IDBM, errors.RC_NO_OBJECTS_FOUND))
        if result.rc:
            return None
        records = parse_records(result.stdout)
        return Iface.from_record(records[0]) if records else None

    def new_iface(self, *, name: str) -> None:
        self.run(self._iface_args(name) + ["-o", "new"], action="creating iface {0}".format(name))

    def update_iface(self, *, name: str, setting: str, value: str) -> None:
        self.run(self._iface_args(name) + ["-o", "update", "-n", setting, "-v", value],
                 action="setting {0} of iface {1}".format(setting, name))

    def delete_iface(self, *, name: str) -> None:
        """Delete the iface; open-iscsi deletes the node records bound to it first."""
        self.run(self._iface_args(name) + ["-o", "delete"], action="deleting iface {0}".format(name))


def module_iscsiadm(module) -> Iscsiadm:
    """The iscsiadm of the host an Ansible module runs on (the module fails when there is none)."""
    return Iscsiadm(run_command=ansible_run_command(module), binary=module.get_bin_path("iscsiadm", required=True))
