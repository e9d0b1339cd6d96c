#!/usr/bin/env python
"""Scale benchmark of scst_config on the SCST sysfs emulator.

Measures, for a configuration of 1,000 devices, 1,000 LUNs, 100 targets,
100 initiator groups and 500 initiators:

* first apply: wall time, management writes against the minimal number, reads;
* re-apply with nothing to do: wall time, writes (must be 0), reads;
* the same configuration made with the single-object planners in a loop (one
  lock, read and plan per object, as one module call per object would do);

each with the in-process emulator (our own code's cost) and through the
emulator mounted over FUSE (real file I/O, much slower than kernel sysfs),
plus how reads grow with the number of LUNs (100 / 1,000 / 5,000).

Module time here is the time of the module's work (lock, read, plan, apply),
without Ansible's own per-task overhead.

usage: benchmarks/bench_scst_config.py [--json FILE] [--skip-fuse] [--quick]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path[:0] = [HERE, os.path.join(ROOT, ".collections"), os.path.join(ROOT, "tests", "emulator")]

# pylint: disable=wrong-import-position
from scale_config import minimal_writes, san  # noqa: E402
from scst_emulator import InProcessBackend, ScstEmulator  # noqa: E402

from ansible_collections.scst.iscsi.plugins.module_utils.scst.chap import ChapRequest, plan_chap  # noqa: E402
from ansible_collections.scst.iscsi.plugins.module_utils.scst.config import ConfigRequest, plan_config  # noqa: E402
from ansible_collections.scst.iscsi.plugins.module_utils.scst.device import DeviceRequest, plan_device  # noqa: E402
from ansible_collections.scst.iscsi.plugins.module_utils.scst.group import GroupRequest, plan_group  # noqa: E402
from ansible_collections.scst.iscsi.plugins.module_utils.scst.live import LiveTree  # noqa: E402
from ansible_collections.scst.iscsi.plugins.module_utils.scst.lun import LunRequest, plan_lun  # noqa: E402
from ansible_collections.scst.iscsi.plugins.module_utils.scst.driver import DriverRequest, plan_driver  # noqa: E402
from ansible_collections.scst.iscsi.plugins.module_utils.scst.lock import HostLock  # noqa: E402
from ansible_collections.scst.iscsi.plugins.module_utils.scst.plan import apply_plan  # noqa: E402
from ansible_collections.scst.iscsi.plugins.module_utils.scst.sysfs import OsBackend, Sysfs  # noqa: E402
from ansible_collections.scst.iscsi.plugins.module_utils.scst.target import TargetRequest, plan_target  # noqa: E402


class Host(object):
    """An emulated host reached in-process or through a FUSE mount."""

    def __init__(self, mode, workdir):
        self.mode = mode
        self.mount = None
        if mode == "in-process":
            self.backend = InProcessBackend(ScstEmulator())
        else:
            self.mount = os.path.join(workdir, "scst_tgt")
            os.makedirs(self.mount, exist_ok=True)
            env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, "tests", "emulator"))
            subprocess.run([sys.executable, "-m", "scst_emulator", "mount", self.mount,
                            "--log", os.path.join(workdir, "emulator.log")],
                           env=env, check=True, stdout=subprocess.DEVNULL)
            self.backend = OsBackend(self.mount)
        self.lock_root = self.mount or os.path.join(workdir, "in-process")

    def close(self):
        if self.mount:
            env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, "tests", "emulator"))
            subprocess.run([sys.executable, "-m", "scst_emulator", "umount", self.mount], env=env, check=False)

    def run(self, planner):
        """One module call's work: lock, read and plan, apply.  Returns (seconds, writes, reads)."""
        sysfs = Sysfs(self.backend)
        started = time.perf_counter()
        with HostLock(self.lock_root):
            outcome = planner(LiveTree(sysfs))
            apply_plan(sysfs, outcome.plan)
        return time.perf_counter() - started, len(outcome.plan), sysfs.reads


def whole(config):
    request = ConfigRequest(config)
    return lambda live: plan_config(live, request)


def single_object_calls(config):
    """The configuration as one planner call per object (what a loop of module tasks does)."""
    for handler, spec in config["handlers"].items():
        for name, dev in spec["devices"].items():
            request = DeviceRequest(name=name, handler=handler, attributes=dev.get("attributes"))
            yield lambda live, r=request: plan_device(live, r)
    driver = config["drivers"]["iscsi"]
    for name, tgt in driver["targets"].items():
        request = TargetRequest(name=name, attributes=tgt.get("attributes"))
        yield lambda live, r=request: plan_target(live, r)
        for number, lun in tgt["luns"].items():
            request = LunRequest(lun=number, device=lun["device"])
            yield lambda live, r=request, t=name: plan_lun(live, driver="iscsi", target=t, group=None, request=r)
        for group, gspec in tgt["groups"].items():
            request = GroupRequest(name=group, target=name, initiators=gspec["initiators"],
                                   luns=[{"lun": n, "device": l["device"]} for n, l in gspec["luns"].items()])
            yield lambda live, r=request: plan_group(live, r)
        for account in tgt["chap"]["incoming"]:
            request = ChapRequest(target=name, username=account["username"], password=account["password"])
            yield lambda live, r=request: plan_chap(live, r)
        request = TargetRequest(name=name, enabled=tgt["enabled"])
        yield lambda live, r=request: plan_target(live, r)
    request = DriverRequest(enabled=True)
    yield lambda live, r=request: plan_driver(live, r)


def loop(host, config):
    total = [0.0, 0, 0, 0]
    for planner in single_object_calls(config):
        seconds, writes, reads = host.run(planner)
        total[0] += seconds
        total[1] += writes
        total[2] += reads
        total[3] += 1
    return {"seconds": round(total[0], 3), "writes": total[1], "reads": total[2], "calls": total[3]}


def measure(mode, config, *, with_loop):
    workdir = tempfile.mkdtemp(prefix="scst-bench-")
    result = {}
    host = Host(mode, workdir)
    try:
        seconds, writes, reads = host.run(whole(config))
        result["first_apply"] = {"seconds": round(seconds, 3), "writes": writes,
                                 "minimal_writes": minimal_writes(config), "reads": reads}
        seconds, writes, reads = host.run(whole(config))
        result["reapply"] = {"seconds": round(seconds, 3), "writes": writes, "reads": reads}
    finally:
        host.close()
    if with_loop:
        host = Host(mode, tempfile.mkdtemp(prefix="scst-bench-"))
        try:
            result["single_object_loop"] = loop(host, config)
            seconds, writes, reads = host.run(whole(config))
            result["single_object_loop"]["then_reapply_writes"] = writes
        finally:
            host.close()
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n", maxsplit=1)[0])
    parser.add_argument("--json", default=os.path.join(ROOT, "tests", "output", "bench_scst_config.json"))
    parser.add_argument("--skip-fuse", action="store_true", help="in-process figures only")
    parser.add_argument("--quick", action="store_true", help="a tenth of the size (smoke run)")
    args = parser.parse_args()
    scale = 10 if args.quick else 1
    size = dict(devices=1000 // scale, luns=1000 // scale, targets=100 // scale, groups=100 // scale,
                initiators=500 // scale)
    modes = ["in-process"] + ([] if args.skip_fuse else ["fuse"])
    report = {"size": size, "results": {}, "read_growth": {}}
    for mode in modes:
        report["results"][mode] = measure(mode, san(**size), with_loop=True)
        growth = {}
        for luns in (100, 1000, 5000):
            luns //= scale
            config = san(devices=luns, luns=luns, targets=max(1, luns // 10), groups=max(1, luns // 10),
                         initiators=max(1, luns // 2))
            growth[luns] = measure(mode, config, with_loop=False)
        report["read_growth"][mode] = growth
    print_table(report)
    os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
    with open(args.json, "w") as handle:
        json.dump(report, handle, indent=2, sort_keys=True)
    print("\nJSON written to %s" % os.path.relpath(args.json, os.getcwd()))
    reapply = report["results"]["in-process"]["reapply"]
    first = report["results"]["in-process"]["first_apply"]
    ok = reapply["writes"] == 0 and first["writes"] == first["minimal_writes"]
    print("targets: re-apply 0 writes and first apply minimal: %s; in-process re-apply %.3fs (< 1s: %s)"
          % ("yes" if ok else "NO", reapply["seconds"], "yes" if reapply["seconds"] < 1 else "NO"))
    return 0 if ok else 1


def print_table(report):
    size = report["size"]
    print("configuration: %(devices)d devices, %(luns)d LUNs, %(targets)d targets, %(groups)d groups, "
          "%(initiators)d initiators" % size)
    print("%-11s %-28s %10s %8s %8s %8s" % ("mode", "run", "seconds", "writes", "minimal", "reads"))
    for mode, result in report["results"].items():
        first, again, loop_ = result["first_apply"], result["reapply"], result["single_object_loop"]
        print("%-11s %-28s %10.3f %8d %8d %8d" % (mode, "first apply (scst_config)", first["seconds"],
                                                  first["writes"], first["minimal_writes"], first["reads"]))
        print("%-11s %-28s %10.3f %8d %8s %8d" % (mode, "re-apply, nothing to do", again["seconds"],
                                                  again["writes"], "-", again["reads"]))
        print("%-11s %-28s %10.3f %8d %8s %8d" % (mode, "%d single-object calls" % loop_["calls"],
                                                  loop_["seconds"], loop_["writes"], "-", loop_["reads"]))
    print("\nreads of a re-apply as the configuration grows (LUNs = devices, targets and groups = LUNs/10)")
    print("%-11s %8s %10s %8s %12s" % ("mode", "LUNs", "seconds", "reads", "reads/LUN"))
    for mode, growth in report["read_growth"].items():
        for luns, result in sorted(growth.items(), key=lambda item: int(item[0])):
            again = result["reapply"]
            print("%-11s %8d %10.3f %8d %12.1f" % (mode, int(luns), again["seconds"], again["reads"],
                                                   again["reads"] / float(luns)))


if __name__ == "__main__":
    sys.exit(main())
