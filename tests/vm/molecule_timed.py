"""Run ``molecule test -s SCENARIO`` and time each stage of its sequence.

Molecule's output is passed through unchanged. Molecule logs one
``SCENARIO ➜ ACTION: Executed: RESULT`` line as each action ends; the time
from the end of one action to the end of the next is that action's time.
At the end a table of stages, seconds and results is printed and written to
.cache/vm/timings-SCENARIO.txt.

A scenario may measure steps inside its stages (a failover time, a write's
duration and checksum): its playbooks and tests append one line per
measurement, ``STEP: WHAT WAS MEASURED``, to the file named by the
environment variable SCST_LAB_MEASUREMENTS (.cache/vm/measurements-SCENARIO.txt,
emptied when the run starts); those lines follow the table.

Exit status is molecule's, and 1 as well when a stage of the sequence was
missing, skipped or disabled, or the verifier found no tests: nothing may be
skipped silently. The whole run is bounded (SCST_LAB_SCENARIO_TIMEOUT
seconds, default 2400): past it molecule is stopped and the run fails.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
# "[initiator > verify] Executed: Successful" (plain) or "initiator ➜ verify: ..." (colour).
DONE = re.compile(
    r"(?:\[(?P<scenario>[\w-]+) > (?P<action>\w+)\]|(?P<scenario2>[\w-]+) ➜ (?P<action2>\w+):)"
    r" Executed: (?P<result>.+?)\s*$"
)
# Words of molecule that mean a stage did not really run.
TIMEOUT = int(os.environ.get("SCST_LAB_SCENARIO_TIMEOUT", "2400"))
NOT_RUN = re.compile(r"missing|skipped|disabled|Skipping, no tests found|Missing playbook", re.I)


def test_sequence(scenario: str) -> list[str]:
    """The scenario's test_sequence (the scenario's own, else the base config's)."""
    for path in (ROOT / "molecule" / scenario / "molecule.yml", ROOT / ".config/molecule/config.yml"):
        data = yaml.safe_load(path.read_text()) or {}
        sequence = (data.get("scenario") or {}).get("test_sequence")
        if sequence:
            return [str(step) for step in sequence]
    raise SystemExit(f"no test_sequence for scenario {scenario}")


def main() -> int:
    scenario = sys.argv[1]
    sequence = test_sequence(scenario)
    measurements = ROOT / ".cache" / "vm" / f"measurements-{scenario}.txt"
    measurements.parent.mkdir(parents=True, exist_ok=True)
    measurements.write_text("")
    env = dict(os.environ, NO_COLOR="1", PY_COLORS="0", ANSIBLE_FORCE_COLOR="0",
               SCST_LAB_MEASUREMENTS=str(measurements))
    # Label the stages with the sequence's own words ("side_effect reboot.yml").
    pending = list(sequence)
    stages: list[tuple[str, float, str]] = []
    problems: list[str] = []
    unreported: list[str] = []  # steps of the sequence molecule passed over
    started = last = time.monotonic()
    proc = subprocess.Popen(
        ["molecule", "test", "-s", scenario],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True, errors="replace", bufsize=1, start_new_session=True,
    )
    assert proc.stdout is not None
    timed_out = threading.Event()

    def stop_after_timeout() -> None:
        if proc.poll() is None:
            timed_out.set()
            print(f"\nTIMEOUT: molecule test -s {scenario} still running after {TIMEOUT} s; "
                  "stopping it", file=sys.stderr, flush=True)
            os.killpg(proc.pid, signal.SIGTERM)
            time.sleep(20)
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)

    watchdog = threading.Timer(TIMEOUT, stop_after_timeout)
    watchdog.daemon = True
    watchdog.start()
    for raw in proc.stdout:
        sys.stdout.write(raw)
        sys.stdout.flush()
        line = ANSI.sub("", raw)
        if "Skipping, no tests found" in line or "Missing playbook" in line:
            problems.append(line.strip())
        match = DONE.search(line)
        if not match or (match.group("scenario") or match.group("scenario2")) != scenario:
            continue
        now = time.monotonic()
        action = match.group("action") or match.group("action2")
        result = match.group("result")
        label = action
        for i, step in enumerate(pending):
            if step.split()[0] == action:
                label = step
                unreported.extend(pending[:i])
                del pending[: i + 1]
                break
        stages.append((label, now - last, result))
        last = now
        if NOT_RUN.search(result) and action != "dependency":
            problems.append(f"stage '{label}' did not run: {result}")
    rc = proc.wait()
    watchdog.cancel()
    total = time.monotonic() - started
    if timed_out.is_set():
        problems.append(f"timed out after {TIMEOUT} s")
        rc = rc if rc > 0 else 1

    failed_at = next((label for label, _seconds, result in stages if "fail" in result.lower()), None)
    if rc == 0 and (unreported or pending):
        problems.append(f"stages never reported: {', '.join(unreported + pending)}")
    width = max([len(stage[0]) for stage in stages] + [10])
    table = [f"molecule scenario {scenario}: time per stage (wall clock)"]
    table += [f"  {label:<{width}}  {seconds:7.1f} s  {result}" for label, seconds, result in stages]
    table.append(f"  {'total':<{width}}  {total:7.1f} s  exit {rc}")
    measured = [line for line in measurements.read_text().splitlines() if line.strip()]
    if measured:
        table.append(f"measured inside the stages ({measurements.name}):")
        table += [f"  {line}" for line in measured]
    report = "\n".join(table) + "\n"
    out = ROOT / ".cache" / "vm" / f"timings-{scenario}.txt"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(report)
    print("\n" + report, end="", flush=True)

    if rc != 0:
        where = f" at stage '{failed_at}'" if failed_at else ""
        if timed_out.is_set():
            where = f", timed out after {TIMEOUT} s (last stage done: " + (
                stages[-1][0] if stages else "none") + ")"
        print(f"FAILED: molecule test -s {scenario} exited {rc}{where}", file=sys.stderr)
        return rc
    if problems:
        print("FAILED: " + "; ".join(problems), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
