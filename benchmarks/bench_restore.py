#!/usr/bin/env python
"""Benchmark of the boot-time restore (scst-iscsi-restore) next to scst_config.

For the scale benchmark's configuration at 200 and 1,000 LUNs (LUNs = devices,
targets and groups = LUNs/10, initiators = LUNs/2, one CHAP user per target),
on an empty emulated SCST:

* scst_config's first apply: the module's work (lock, read, plan, apply), as
  bench_scst_config.py measures it;
* the restore of the same configuration saved as scst.conf, in-process (its
  own code: parse, lock, read, plan, apply);
* the restore as boot runs it: the installed command (the role's layout; it
  runs /usr/bin/python3 -IS), interpreter start and imports included; and that
  start alone (--help).

In-process figures are our code's cost; over FUSE the emulator answers every
file operation in another process, much slower than the kernel's sysfs.

usage: benchmarks/bench_restore.py [--json FILE] [--skip-fuse] [--sizes 200,1000]
"""

from __future__ import annotations

import argparse
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path[:0] = [HERE, os.path.join(ROOT, ".collections"), os.path.join(ROOT, "tests", "emulator")]

# pylint: disable=wrong-import-position
from bench_scst_config import Host, whole  # noqa: E402
from scale_config import san  # noqa: E402

from ansible_collections.scst.iscsi.plugins.module_utils.scst import restore  # noqa: E402
from ansible_collections.scst.iscsi.plugins.module_utils.scst import sysfs as sysfs_mod  # noqa: E402
from ansible_collections.scst.iscsi.plugins.module_utils.scst.conf import render_scst_conf  # noqa: E402

TREES = ("common", "scst")


def install(prefix):
    """The role's layout: PREFIX/lib/scst-iscsi/... (*.py of module_utils/common and scst), PREFIX/sbin."""
    utils = os.path.join(prefix, "lib", "scst-iscsi", "ansible_collections", "scst", "iscsi", "plugins",
                         "module_utils")
    for tree in TREES:
        source = os.path.join(ROOT, "plugins", "module_utils", tree)
        os.makedirs(os.path.join(utils, tree))
        for name in os.listdir(source):
            if name.endswith(".py"):
                shutil.copy(os.path.join(source, name), os.path.join(utils, tree, name))
    os.makedirs(os.path.join(prefix, "sbin"))
    launcher = os.path.join(prefix, "sbin", "scst-iscsi-restore")
    shutil.copy(os.path.join(ROOT, "roles", "scst_target", "files", "scst-iscsi-restore"), launcher)
    return launcher


def restore_in_process(host, conf):
    """restore.main against the host's backend; (seconds, exit status, stdout)."""
    saved = sysfs_mod.OsBackend
    sysfs_mod.OsBackend = lambda root: host.backend
    out = io.StringIO()
    try:
        started = time.perf_counter()
        status = restore.main(["--config", conf, "--sysfs-root", host.lock_root], out=out, err=sys.stderr)
        seconds = time.perf_counter() - started
    finally:
        sysfs_mod.OsBackend = saved
    return seconds, status, out.getvalue().strip()


def restore_command(launcher, conf, root):
    started = time.perf_counter()
    done = subprocess.run([launcher, "--config", conf, "--sysfs-root", root],
                          capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        sys.stderr.write(done.stderr)
    return seconds, done.returncode, done.stdout.strip()


def measure(mode, luns, workdir, launcher):
    config = san(devices=luns, luns=luns, targets=max(1, luns // 10), groups=max(1, luns // 10),
                 initiators=max(1, luns // 2))
    conf = os.path.join(workdir, "scst-%d.conf" % luns)
    with open(conf, "w") as handle:
        handle.write(render_scst_conf(config))
    result = {}
    host = Host(mode, tempfile.mkdtemp(prefix="scst-bench-", dir=workdir))
    try:
        seconds, writes, _reads = host.run(whole(config))
        result["scst_config_first_apply"] = {"seconds": round(seconds, 3), "writes": writes}
    finally:
        host.close()
    host = Host(mode, tempfile.mkdtemp(prefix="scst-bench-", dir=workdir))
    try:
        if mode == "in-process":
            seconds, status, summary = restore_in_process(host, conf)
        else:
            seconds, status, summary = restore_command(launcher, conf, host.mount)
        result["restore"] = {"seconds": round(seconds, 3), "status": status, "summary": summary}
        if mode == "in-process":
            seconds, status, summary = restore_in_process(host, conf)
        else:
            seconds, status, summary = restore_command(launcher, conf, host.mount)
        result["restore_again"] = {"seconds": round(seconds, 3), "status": status, "summary": summary}
    finally:
        host.close()
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n", maxsplit=1)[0])
    parser.add_argument("--json", default=os.path.join(ROOT, "tests", "output", "bench_restore.json"))
    parser.add_argument("--skip-fuse", action="store_true", help="in-process figures only")
    parser.add_argument("--sizes", default="200,1000", help="LUN counts (default: %(default)s)")
    args = parser.parse_args()
    workdir = tempfile.mkdtemp(prefix="scst-bench-restore-")
    launcher = install(os.path.join(workdir, "prefix"))
    started = time.perf_counter()
    subprocess.run([launcher, "--help"], capture_output=True, check=True)
    report = {"command_start_seconds": round(time.perf_counter() - started, 3), "results": {}}
    modes = ["in-process"] + ([] if args.skip_fuse else ["fuse"])
    ok = True
    for mode in modes:
        for luns in [int(n) for n in args.sizes.split(",")]:
            result = measure(mode, luns, workdir, launcher)
            report["results"].setdefault(mode, {})[luns] = result
            ok = ok and result["restore"]["status"] == 0 and result["restore"]["summary"].startswith(
                "%d write(s)" % result["scst_config_first_apply"]["writes"])
            ok = ok and result["restore_again"]["summary"].startswith("0 write(s)")
    shutil.rmtree(workdir, ignore_errors=True)
    print_table(report)
    os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
    with open(args.json, "w") as handle:
        json.dump(report, handle, indent=2, sort_keys=True)
    print("\nJSON written to %s" % os.path.relpath(args.json, os.getcwd()))
    print("the restore makes scst_config's writes and then finds nothing to do: %s" % ("yes" if ok else "NO"))
    return 0 if ok else 1


def print_table(report):
    print("start of the isolated command alone (--help): %.3fs" % report["command_start_seconds"])
    print("%-11s %6s %-34s %10s %8s" % ("mode", "LUNs", "run", "seconds", "writes"))
    for mode, sizes in report["results"].items():
        for luns, result in sorted(sizes.items()):
            first = result["scst_config_first_apply"]
            print("%-11s %6d %-34s %10.3f %8d" % (mode, luns, "scst_config first apply", first["seconds"],
                                                  first["writes"]))
            how = "restore (main in-process)" if mode == "in-process" else "restore (installed command)"
            for key, label in (("restore", how), ("restore_again", "restore again, nothing to do")):
                run = result[key]
                writes = int(run["summary"].split()[0]) if run["summary"][:1].isdigit() else -1
                print("%-11s %6d %-34s %10.3f %8d" % (mode, luns, label, run["seconds"], writes))


if __name__ == "__main__":
    sys.exit(main())
