# Copyright: scst.iscsi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Exceptions of the open-iscsi object model.

Every failure the model can report is one of these, or the common
``ValidationError`` for a bad request; all are ``ModuleError``s, which modules
turn into ``fail_json`` in ``main()`` and nowhere else. A message never contains a CHAP
secret: the command layer scrubs secrets before an exception is built.
"""

from __future__ import annotations

from ansible_collections.scst.iscsi.plugins.module_utils.common.errors import ModuleError

# iscsiadm(8), EXIT STATUS (open-iscsi 2.1.8): code -> (symbol, meaning).
EXIT_CODES = {
    1: ("ISCSI_ERR", "generic error"),
    2: ("ISCSI_ERR_SESS_NOT_FOUND", "session could not be found"),
    3: ("ISCSI_ERR_NOMEM", "could not allocate resource for operation"),
    4: ("ISCSI_ERR_TRANS", "connect problem caused the operation to fail"),
    5: ("ISCSI_ERR_LOGIN", "generic iSCSI login failure"),
    6: ("ISCSI_ERR_IDBM", "error accessing or managing the iSCSI database"),
    7: ("ISCSI_ERR_INVAL", "invalid argument"),
    8: ("ISCSI_ERR_TRANS_TIMEOUT", "connection timer expired while trying to connect"),
    9: ("ISCSI_ERR_INTERNAL", "generic internal iscsid/kernel failure"),
    10: ("ISCSI_ERR_LOGOUT", "iSCSI logout failed"),
    11: ("ISCSI_ERR_PDU_TIMEOUT", "iSCSI PDU timed out"),
    12: ("ISCSI_ERR_TRANS_NOT_FOUND", "iSCSI transport module not loaded in kernel or iscsid"),
    13: ("ISCSI_ERR_ACCESS", "no permission to access iscsid or to run iscsiadm"),
    14: ("ISCSI_ERR_TRANS_CAPS", "transport module does not support the operation"),
    15: ("ISCSI_ERR_SESS_EXISTS", "session is logged in"),
    16: ("ISCSI_ERR_INVALID_MGMT_REQ", "invalid IPC management request"),
    17: ("ISCSI_ERR_ISNS_UNAVAILABLE", "iSNS service is not supported"),
    18: ("ISCSI_ERR_ISCSID_COMM_ERR", "a read or write to iscsid failed"),
    19: ("ISCSI_ERR_FATAL_LOGIN", "fatal iSCSI login error"),
    20: ("ISCSI_ERR_ISCSID_NOTCONN", "could not connect to iscsid"),
    21: ("ISCSI_ERR_NO_OBJS_FOUND", "no records, targets, sessions or portals found"),
    22: ("ISCSI_ERR_SYSFS_LOOKUP", "could not look up an object in sysfs"),
    23: ("ISCSI_ERR_HOST_NOT_FOUND", "could not look up the host"),
    24: ("ISCSI_ERR_LOGIN_AUTH_FAILED", "login failed due to authorization failure"),
    25: ("ISCSI_ERR_ISNS_QUERY", "iSNS query failure"),
    26: ("ISCSI_ERR_ISNS_REG_FAILED", "iSNS registration or deregistration failed"),
    27: ("ISCSI_ERR_OP_NOT_SUPP", "operation not supported"),
    28: ("ISCSI_ERR_BUSY", "device or resource in use"),
    29: ("ISCSI_ERR_AGAIN", "operation failed, but retrying later may succeed"),
    30: ("ISCSI_ERR_UNKNOWN_DISCOVERY_TYPE", "unknown discovery type"),
    31: ("ISCSI_ERR_CHILD_TERMINATED", "child process terminated"),
    32: ("ISCSI_ERR_SESSION_NOT_CONNECTED", "session likely not connected"),
}

RC_SESSION_NOT_FOUND = 2
RC_TRANSPORT = 4
RC_LOGIN = 5
RC_IDBM = 6
RC_TRANSPORT_TIMEOUT = 8
RC_SESSION_EXISTS = 15
RC_ISCSID_NOT_CONNECTED = 20
RC_NO_OBJECTS_FOUND = 21
RC_LOGIN_AUTH_FAILED = 24


def describe_exit_code(rc: int) -> str:
    """Return ``'exit 24, ISCSI_ERR_LOGIN_AUTH_FAILED: ...'`` for a code."""
    symbol, meaning = EXIT_CODES.get(rc, ("unknown", "exit code not documented in iscsiadm(8)"))
    return "iscsiadm exit {0}, {1}: {2}".format(rc, symbol, meaning)


class IscsiError(ModuleError):
    """Base of every error the initiator model raises (a bad request is the common ``ValidationError``)."""


class NodeNotFoundError(IscsiError):
    """There is no node record for a target and portal."""


class SessionNotFoundError(IscsiError):
    """There is no session for a target and portal."""


class DeviceTimeoutError(IscsiError):
    """The devices of a session did not appear within the time allowed."""


class IscsiadmError(IscsiError):
    """iscsiadm ended with an exit code the caller did not accept.

    ``command`` is the argument list with secrets replaced, ``rc`` the exit
    code, ``stderr`` and ``stdout`` the scrubbed output.
    """

    def __init__(self, msg: str, *, rc: int, command: list, stdout: str = "", stderr: str = ""):
        super().__init__(msg, rc=rc, command=command, stdout=stdout, stderr=stderr)
        self.rc = rc
        self.command = command
        self.stdout = stdout
        self.stderr = stderr


class LoginAuthError(IscsiadmError):
    """Login or discovery was refused by the target's CHAP check (exit 24)."""


class PortalUnreachableError(IscsiadmError):
    """The portal could not be reached (exit 4 or 8)."""


class DaemonError(IscsiadmError):
    """iscsid is not running or not reachable (exit 18 or 20)."""
