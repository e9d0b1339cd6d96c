# Copyright: scst.iscsi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Test support for the initiator modules: recorded iscsiadm texts and a replaying iscsiadm.

The boundary that is mocked is the command runner: each test states which
iscsiadm calls it expects and what the real iscsiadm (open-iscsi 2.1.8)
answered, taken from the lab log or shaped after iscsiadm's source. An
unexpected call fails the test, so the tests also pin what is *not* run.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

COLLECTION_ROOT = Path(__file__).resolve().parents[3]
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def _collection_base_for_this_checkout() -> Path:
    """A directory whose ansible_collections/scst/iscsi is this checkout."""
    if COLLECTION_ROOT.parent.name == "scst" and COLLECTION_ROOT.parents[1].name == "ansible_collections":
        return COLLECTION_ROOT.parents[2]
    base = Path(tempfile.mkdtemp(prefix="scst-iscsi-tests-"))
    link = base / "ansible_collections" / "scst" / "iscsi"
    link.parent.mkdir(parents=True)
    link.symlink_to(COLLECTION_ROOT, target_is_directory=True)
    return base


def _make_collection_importable() -> None:
    """Make ``import ansible_collections.scst.iscsi`` load this checkout.

    A copy found elsewhere on sys.path (an installed collection, a stand-in
    under .collections/) must not be tested by mistake, so it is only used
    when it is this very checkout.
    """
    try:
        import ansible_collections.scst.iscsi as found
        if any(Path(entry).resolve() == COLLECTION_ROOT for entry in found.__path__):
            return
    except ImportError:
        pass
    for name in [name for name in sys.modules if name == "ansible_collections" or
                 name.startswith("ansible_collections.")]:
        del sys.modules[name]
    sys.path.insert(0, str(_collection_base_for_this_checkout()))


_make_collection_importable()

ISCSIADM = "/usr/sbin/iscsiadm"
TARGET = "iqn.2026-11.test.lab:tgt1"
PORTAL = "192.168.77.10:3260"
OTHER_PORTAL = "10.0.2.15:3260"

# Exact texts from the lab (shared scst/live/initiator.log) and iscsiadm 2.1.8.
LOGIN_OK = (
    "Logging in to [iface: default, target: iqn.2026-11.test.lab:tgt1, portal: 192.168.77.10,3260]\n"
    "Login to [iface: default, target: iqn.2026-11.test.lab:tgt1, portal: 192.168.77.10,3260] successful.\n"
)
LOGIN_AUTH_FAILED_OUT = "Logging in to [iface: default, target: iqn.2026-11.test.lab:tgt1, portal: 192.168.77.10,3260]\n"
LOGIN_AUTH_FAILED_ERR = (
    "iscsiadm: Could not login to [iface: default, target: iqn.2026-11.test.lab:tgt1, portal: 192.168.77.10,3260].\n"
    "iscsiadm: initiator reported error (24 - iSCSI login failed due to authorization failure)\n"
    "iscsiadm: Could not log into all portals\n"
)
LOGIN_EXISTS_ERR = "iscsiadm: default: 1 session requested, but 1 already present.\n"
LOGOUT_OK = (
    "Logging out of session [sid: 1, target: iqn.2026-11.test.lab:tgt1, portal: 192.168.77.10,3260]\n"
    "Logout of [sid: 1, target: iqn.2026-11.test.lab:tgt1, portal: 192.168.77.10,3260] successful.\n"
)
NO_MATCHING_SESSIONS = "iscsiadm: No matching sessions found\n"
NO_RECORDS = "iscsiadm: No records found\n"
NO_SESSIONS = "iscsiadm: No active sessions.\n"
SESSION_ONE = "tcp: [1] 192.168.77.10:3260,1 iqn.2026-11.test.lab:tgt1 (non-flash)\n"
SESSIONS_TWO_PORTALS = (
    "tcp: [1] 192.168.77.10:3260,1 iqn.2026-11.test.lab:tgt1 (non-flash)\n"
    "tcp: [2] 10.0.2.15:3260,1 iqn.2026-11.test.lab:tgt1 (non-flash)\n"
)
NODE_LIST = "10.0.2.15:3260,1 iqn.2026-11.test.lab:tgt1\n192.168.77.10:3260,1 iqn.2026-11.test.lab:tgt1\n"
DISCOVERY_OUT = "192.168.77.10:3260,1 iqn.2026-11.test.lab:tgt1\n10.0.2.15:3260,1 iqn.2026-11.test.lab:tgt1\n"


def fixture_text(name: str) -> str:
    return (FIXTURES / name).read_text()


def record_with(base: str = "node_record_chap.txt", **changes) -> str:
    """A fixture record with some ``name = value`` lines replaced (keys use __ for dots)."""
    lines = []
    wanted = {name.replace("__", "."): value for name, value in changes.items()}
    for line in fixture_text(base).splitlines():
        name = line.partition(" = ")[0]
        if name in wanted:
            value = wanted.pop(name)
            line = "{0} = {1}".format(name, value if value != "" else "<empty>")
        lines.append(line)
    assert not wanted, "no such lines in {0}: {1}".format(base, wanted)
    return "\n".join(lines) + "\n"


WRITE_MARKERS = ("--login", "--logout", "--rescan", "new", "update", "delete")


class FakeIscsiadm:
    """Replays iscsiadm answers keyed by the argument list (without the binary).

    ``on()`` queues answers for one argument list; the last one repeats.
    """

    def __init__(self):
        self.answers = {}
        self.calls = []
        self.environ = []

    def on(self, *args, rc: int = 0, out: str = "", err: str = ""):
        self.answers.setdefault(tuple(args), []).append((rc, out, err))
        return self

    def __call__(self, argv, environ_update=None):
        assert argv[0].endswith("iscsiadm"), argv
        args = tuple(argv[1:])
        self.calls.append(args)
        self.environ.append(environ_update)
        queue = self.answers.get(args)
        if not queue:
            raise AssertionError("unexpected iscsiadm call: {0}".format(" ".join(args)))
        return queue.pop(0) if len(queue) > 1 else queue[0]

    def writes(self) -> list:
        """Calls that change state. ``--discover -o nonpersistent`` does not."""
        found = []
        for call in self.calls:
            if "nonpersistent" in call:
                continue
            if "--discover" in call or any(marker in call for marker in WRITE_MARKERS):
                found.append(call)
        return found


class ModuleExit(Exception):
    def __init__(self, result: dict, failed: bool):
        super().__init__(result)
        self.result = result
        self.failed = failed


def assert_no_secret(value, *secrets) -> None:
    text = json.dumps(value) if not isinstance(value, str) else value
    for secret in secrets:
        assert secret not in text, "secret {0!r} leaked into {1}".format(secret, text[:400])


def ansible_playbook():
    """The ansible-playbook beside this Python, else on PATH; None when there is none."""
    beside = Path(sys.executable).parent / "ansible-playbook"
    return str(beside) if beside.exists() else shutil.which("ansible-playbook")


def fake_iscsiadm_environment(tmp_path: Path, state: dict) -> dict:
    """Environment for ansible-playbook on localhost with the fake iscsiadm first on PATH.

    Everything Ansible writes goes under ``tmp_path``; the collection is this checkout.
    """
    import ansible_collections.scst.iscsi as collection

    state_file = tmp_path / "iscsiadm.json"
    state_file.write_text(json.dumps(state))
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    wrapper = bin_dir / "iscsiadm"
    wrapper.write_text("#!/bin/sh\nexec '{0}' '{1}' \"$@\"\n".format(
        sys.executable, Path(__file__).resolve().parent / "fake_iscsiadm.py"))
    wrapper.chmod(0o755)
    env = dict(os.environ)
    env.update({
        "PATH": "{0}{1}{2}".format(bin_dir, os.pathsep, env.get("PATH", "")),
        "FAKE_ISCSIADM_STATE": str(state_file),
        "ANSIBLE_COLLECTIONS_PATH": str(Path(list(collection.__path__)[0]).parents[2]),
        "ANSIBLE_HOME": str(tmp_path / "ansible-home"),
        "ANSIBLE_LOCAL_TEMP": str(tmp_path / "ansible-tmp"),
        "ANSIBLE_REMOTE_TEMP": str(tmp_path / "ansible-remote-tmp"),
        "ANSIBLE_PYTHON_INTERPRETER": sys.executable,
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_DEPRECATION_WARNINGS": "0",
        "LANG": "C.UTF-8",  # not C: the modules must set LANG=C for iscsiadm themselves
    })
    env.pop("ANSIBLE_CONFIG", None)
    return env
