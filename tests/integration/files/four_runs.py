"""check -> real -> idempotent -> idempotent+check for one ad-hoc module call,
with the emulator's write log read through its control socket after each run.

usage: four_runs.py CTL_SOCKET MODULE JSON_ARGS
"""

import json
import subprocess
import sys

HERE = sys.path[0]


def ctl(sock, *args):
    out = subprocess.run([sys.executable, "-m", "scst_emulator", "ctl", sock] + list(args),
                         capture_output=True, text=True, check=True).stdout
    return json.loads(out) if out.strip() else None


def adhoc(module, args, *flags):
    out = subprocess.run([sys.executable, HERE + "/adhoc.py", module, args] + list(flags),
                         capture_output=True, text=True, check=False)
    if out.returncode:
        sys.exit("%s %s: %s" % (module, args, out.stderr))
    return json.loads(out.stdout)


def run(sock, module, args, *flags):
    ctl(sock, "reset-counters")
    result = adhoc(module, args, *flags)
    writes = ctl(sock, "writes")
    if result.get("failed"):
        sys.exit("%s failed: %s" % (module, result.get("msg")))
    return result, writes


def main():
    sock, module, args = sys.argv[1:4]
    check, writes = run(sock, module, args, "--check", "--diff")
    assert check["changed"] is True, ("check", check)
    assert writes == [], ("check mode wrote", writes)
    real, writes = run(sock, module, args, "--diff")
    assert real["changed"] is True, ("real", real)
    predicted = [(a["path"], a["write"]) for a in check["plan"]]
    made = [(a["path"], a["write"]) for a in real["plan"]]
    assert made == predicted, ("check mode predicted", predicted, "real run made", made)
    assert [w[0] for w in writes] == [m[0] for m in made], ("emulator saw", writes)
    # 0, or EAGAIN (11): the command was queued and its result polled
    assert all(w[2] in (0, 11) for w in writes), ("a write failed", writes)
    if any(w[2] == 11 for w in writes):
        print("   (EAGAIN answered and polled to completion)")
    again, writes = run(sock, module, args)
    assert again["changed"] is False and writes == [], ("not idempotent", again["plan"], writes)
    again, writes = run(sock, module, args, "--check")
    assert again["changed"] is False and writes == [], ("check not idempotent", again["plan"])
    print("ok %-12s %d write(s): %s" % (module, len(made), "; ".join(m[1] for m in made)))


if __name__ == "__main__":
    main()
