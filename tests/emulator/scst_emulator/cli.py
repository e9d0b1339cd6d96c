"""Command line: ``mount``, ``umount`` and ``ctl``.

``python -m scst_emulator mount MOUNTPOINT`` returns once the mount point is
ready (the FUSE server keeps running in a detached child process);
``--foreground`` serves in the calling process instead.
``python -m scst_emulator ctl SOCKET COMMAND ARGS...`` talks to the control
socket given with ``--control``; ``umount MOUNTPOINT`` unmounts.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

from .config import EmulatorConfig, parse_scsi_device

READY_TIMEOUT = 20.0


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m scst_emulator",
                                     description="SCST sysfs emulator")
    sub = parser.add_subparsers(dest="command", required=True)

    mount = sub.add_parser("mount", help="serve the emulated tree over FUSE")
    mount.add_argument("mountpoint")
    mount.add_argument("--foreground", action="store_true",
                       help="serve in this process (default: detach once mounted)")
    mount.add_argument("--control", metavar="SOCKET", help="unix socket for 'ctl'")
    mount.add_argument("--scsi-device", action="append", default=[],
                       metavar="H:C:I:L[:TYPE[:HANDLER]]",
                       help="local SCSI device (repeatable); replaces the default 2:0:0:0:5")
    mount.add_argument("--no-scsi-devices", action="store_true",
                       help="start without any local SCSI device")
    mount.add_argument("--daemon-down", action="store_true",
                       help="start with iscsi-scstd not running")
    mount.add_argument("--scst-local", action="store_true", help="load scst_local")
    mount.add_argument("--no-passthrough", action="store_true",
                       help="load no pass-through handler modules")
    mount.add_argument("--check-real-fs", action="store_true",
                       help="backing files must exist on the real filesystem")
    mount.add_argument("--state-file", metavar="FILE",
                       help="load state from FILE if it exists; save after every change")
    mount.add_argument("--allow-other", action="store_true", help="FUSE allow_other")
    mount.add_argument("--log", metavar="FILE", help="stdout/stderr of the detached server")

    umount = sub.add_parser("umount", help="unmount a mounted emulator")
    umount.add_argument("mountpoint")

    ctl = sub.add_parser("ctl", help="send a control command")
    ctl.add_argument("socket")
    ctl.add_argument("cmd")
    ctl.add_argument("args", nargs="*")
    return parser


def _config_from(args) -> EmulatorConfig:
    cfg = EmulatorConfig()
    if args.scsi_device or args.no_scsi_devices:
        cfg.scsi_devices = [parse_scsi_device(s) for s in args.scsi_device]
    cfg.daemon_running = not args.daemon_down
    cfg.with_scst_local = args.scst_local
    if args.no_passthrough:
        cfg.passthrough_handlers = []
    cfg.backing.check_real_fs = args.check_real_fs
    return cfg


def _is_mounted(path: str) -> bool:
    real = os.path.realpath(path)
    try:
        with open("/proc/self/mounts", encoding="utf-8") as fh:
            return any(line.split()[1] == real for line in fh)
    except OSError:
        return os.path.ismount(path)


def _serve(args) -> int:
    from . import statefile
    from .control import start_server
    from .emulator import ScstEmulator
    from .fusefs import serve

    emu = ScstEmulator(_config_from(args))

    def persist():
        if args.state_file:
            with emu.lock:
                statefile.save(emu.state, args.state_file)

    if args.state_file:
        if os.path.exists(args.state_file):
            emu.state = statefile.load(args.state_file)
        persist()
    if args.control:
        start_server(emu, args.control, after_change=persist)
    try:
        serve(emu, args.mountpoint, foreground=True, after_write=persist,
              allow_other=args.allow_other)
    finally:
        if args.control and os.path.exists(args.control):
            os.unlink(args.control)
    return 0


def _mount_background(args, argv) -> int:
    """Re-run ourselves with --foreground, detached, and wait for the mount."""
    child_argv = [sys.executable, "-m", "scst_emulator"] + list(argv) + ["--foreground"]
    env = dict(os.environ)
    pkg_parent = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env["PYTHONPATH"] = pkg_parent + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    # The detached server must never write into a pipe nobody reads, so its
    # output goes to --log or to an anonymous temporary file.
    if args.log:
        log = open(args.log, "ab")
    else:
        log = tempfile.TemporaryFile()
    proc = subprocess.Popen(child_argv, env=env, stdin=subprocess.DEVNULL, stdout=log,
                            stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + READY_TIMEOUT
        while time.monotonic() < deadline:
            if _is_mounted(args.mountpoint) and (not args.control or os.path.exists(args.control)):
                print(proc.pid)
                return 0
            if proc.poll() is not None:
                log.seek(0)
                err = log.read().decode(errors="replace") if not args.log else ""
                sys.stderr.write(f"emulator exited with {proc.returncode} before mounting\n{err}")
                return 1
            time.sleep(0.05)
        proc.kill()
        sys.stderr.write("timed out waiting for the mount\n")
        return 1
    finally:
        log.close()


def _umount(args) -> int:
    for cmd in (["fusermount", "-u"], ["fusermount3", "-u"], ["umount"]):
        if shutil.which(cmd[0]) is None:
            continue
        if subprocess.run(cmd + [args.mountpoint], check=False).returncode == 0:
            deadline = time.monotonic() + READY_TIMEOUT
            while _is_mounted(args.mountpoint) and time.monotonic() < deadline:
                time.sleep(0.05)
            return 0
    return 1


def _ctl(args) -> int:
    from .control import request
    reply = request(args.socket, args.cmd, args.args)
    if not reply.get("ok"):
        sys.stderr.write(reply.get("error", "failed") + "\n")
        return 1
    result = reply.get("result")
    if result is not None:
        print(json.dumps(result, indent=1) if not isinstance(result, str) else result)
    return 0


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = _build_parser().parse_args(argv)
    if args.command == "mount":
        return _serve(args) if args.foreground else _mount_background(args, argv)
    if args.command == "umount":
        return _umount(args)
    return _ctl(args)
