"""ansible-test sanity checks what contributors and CI actions check when they
run it at the repository root: every file git knows, tests/ and benchmarks/
included, not only what galaxy.yml lets into the built collection."""

import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]


def test_the_sanity_copy_holds_every_tracked_file():
    listed = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "lib" / "stage_helpers.py"), "sanity-files", str(ROOT)],
        check=True, capture_output=True).stdout.decode().split("\0")
    tracked = subprocess.run(["git", "-C", str(ROOT), "ls-files", "-z"], check=True,
                             capture_output=True).stdout.decode().split("\0")
    tracked = {p for p in tracked if p and (ROOT / p).exists()}
    missing = sorted(tracked - set(listed))
    assert not missing, "tracked files ansible-test sanity would not see: %s" % missing[:10]
    for path in ("benchmarks/bench_scst_config.py", "tests/emulator/scst_emulator/__init__.py",
                 "tests/vm/scst_fidelity.py"):
        assert path in listed
