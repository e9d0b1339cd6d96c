"""Control channel of a mounted emulator: fault switches and inspection.

A unix stream socket; each connection carries one JSON request
``{"cmd": NAME, "args": [...]}`` terminated by a newline and gets one JSON
reply ``{"ok": true, "result": ...}`` or ``{"ok": false, "error": "..."}``.
The command table below is what ``python -m scst_emulator ctl`` offers.
"""

from __future__ import annotations

import json
import os
import socket
import socketserver
import threading

from .config import parse_scsi_device
from .errors import ScstError


def _flag(text: str) -> bool:
    return text.lower() in ("1", "on", "yes", "true")


def _cmd_add_session(emu, driver, target, initiator, ip="192.0.2.20", target_ip="192.0.2.10"):
    return emu.add_session(driver, target, initiator, ip=ip, target_ip=target_ip)


def _cmd_eagain(emu, count, polls="1"):
    emu.inject_eagain(int(count), int(polls))


def _cmd_missing(emu, path, missing="on"):
    emu.set_missing_file(path, _flag(missing))


def _cmd_backing(emu, path, size, kind=None):
    emu.add_backing(path, int(size, 0), kind)


def _cmd_daemon_stop(emu, cleanup="on"):
    emu.stop_daemon(cleanup=_flag(cleanup))


def _cmd_scsi_device(emu, spec):
    dev = parse_scsi_device(spec)
    emu.add_scsi_device(dev.hctl, dev.scsi_type, dev.handler)


# name -> (handler, usage) ; handlers take the emulator and string args.
COMMANDS = {
    "add-session": (_cmd_add_session, "DRIVER TARGET INITIATOR [IP [TARGET_IP]]"),
    "del-session": (lambda emu, d, t, s: emu.del_session(d, t, s), "DRIVER TARGET SESSION"),
    "daemon-stop": (_cmd_daemon_stop, "[CLEANUP on|off]"),
    "daemon-start": (lambda emu: emu.start_daemon(), ""),
    "eagain": (_cmd_eagain, "N [POLLS]"),
    "complete-pending": (lambda emu: emu.complete_pending(), ""),
    "chaos": (lambda emu, on, polls="1": emu.set_chaos(_flag(on), int(polls)), "on|off [POLLS]"),
    "missing-file": (_cmd_missing, "PATH [on|off]"),
    "backing": (_cmd_backing, "PATH SIZE [file|block|dir]"),
    "thin": (lambda emu, on: emu.set_thin_provisioning_supported(_flag(on)), "on|off"),
    "add-scsi-device": (_cmd_scsi_device, "H:C:I:L[:TYPE[:HANDLER]]"),
    "counters": (lambda emu: emu.counters(), ""),
    "reset-counters": (lambda emu: emu.reset_counters(), ""),
    "writes": (lambda emu: [list(w) for w in emu.write_log], ""),
    "dump": (lambda emu: emu.dump(), ""),
    "ping": (lambda emu: "pong", ""),
}
MUTATING = {"add-session", "del-session", "daemon-stop", "daemon-start", "eagain", "chaos",
            "complete-pending", "add-scsi-device"}


def execute(emu, cmd: str, args: list, after_change=None):
    """Run one control command; returns the JSON reply dict."""
    entry = COMMANDS.get(cmd)
    if entry is None:
        return {"ok": False, "error": f"unknown command {cmd!r}; known: {sorted(COMMANDS)}"}
    try:
        result = entry[0](emu, *args)
    except TypeError as exc:
        return {"ok": False, "error": f"usage: {cmd} {entry[1]} ({exc})"}
    except (ScstError, ValueError, OSError) as exc:
        return {"ok": False, "error": str(exc)}
    if cmd in MUTATING and after_change is not None:
        after_change()
    return {"ok": True, "result": result}


class _Handler(socketserver.StreamRequestHandler):
    def handle(self):
        line = self.rfile.readline()
        try:
            req = json.loads(line)
            reply = execute(self.server.emulator, req.get("cmd", ""), list(req.get("args", [])),
                            self.server.after_change)
        except ValueError as exc:
            reply = {"ok": False, "error": f"bad request: {exc}"}
        self.wfile.write(json.dumps(reply).encode() + b"\n")


class _Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True


def start_server(emu, path: str, after_change=None):
    """Serve the control socket in a daemon thread; returns the server."""
    if os.path.exists(path):
        os.unlink(path)
    server = _Server(path, _Handler)
    server.emulator = emu
    server.after_change = after_change
    threading.Thread(target=server.serve_forever, name="scst-emu-control", daemon=True).start()
    return server


def request(path: str, cmd: str, args=(), timeout: float = 10.0) -> dict:
    """Client side: send one command, return the reply dict."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(timeout)
        sock.connect(path)
        sock.sendall(json.dumps({"cmd": cmd, "args": list(args)}).encode() + b"\n")
        data = b""
        while not data.endswith(b"\n"):
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    return json.loads(data)
