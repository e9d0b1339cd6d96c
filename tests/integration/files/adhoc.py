"""Run one ad-hoc module call and print its result as JSON (one line).

usage: adhoc.py MODULE JSON_ARGS [--check] [--diff]
The module runs through `ansible localhost -m MODULE` exactly as an operator
would run it from the repository root.
"""

import json
import os
import subprocess
import sys


def main():
    module, args = sys.argv[1], sys.argv[2]
    flags = [f for f in sys.argv[3:] if f in ("--check", "--diff")]
    # ad-hoc output (minimal callback): "localhost | CHANGED => {json}"
    env = dict(os.environ, ANSIBLE_LOCALHOST_WARNING="false")
    proc = subprocess.run(["ansible", "localhost", "-c", "local", "-m", module, "-a", args] + flags,
                          env=env, capture_output=True, text=True, check=False)
    try:
        result = json.loads(proc.stdout[proc.stdout.index("=> ") + 3:])
    except ValueError:
        sys.stderr.write("no JSON result from ansible (rc %d)\nstdout: %s\nstderr: %s\n"
                         % (proc.returncode, proc.stdout[-2000:], proc.stderr[-2000:]))
        return 2
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
