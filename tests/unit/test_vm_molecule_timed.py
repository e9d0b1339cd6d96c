"""tests/vm/molecule_timed.py: stage times, and the measurements a scenario records.

A fake ``molecule`` on PATH stands in for the real one: it prints molecule's
"Executed" lines and, like a scenario's tests, appends a measurement to the
file named by SCST_LAB_MEASUREMENTS.
"""

from __future__ import annotations

import importlib.util
import pathlib
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]

FAKE_MOLECULE = """#!/bin/sh
# molecule test -s SCENARIO, as far as molecule_timed.py reads it
echo "[$3 > create] Executed: Successful"
printf 'verify failover: path sdb failed 16.1 s after the link went down\\n' >>"$SCST_LAB_MEASUREMENTS"
echo "[$3 > verify] Executed: Successful"
echo "[$3 > destroy] Executed: Successful"
"""


def _load_timed():
    spec = importlib.util.spec_from_file_location(
        "molecule_timed", ROOT / "tests" / "vm" / "molecule_timed.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(name="project")
def fixture_project(tmp_path, monkeypatch):
    """A project with one scenario, and the fake molecule first on PATH."""
    timed = _load_timed()
    monkeypatch.setattr(timed, "ROOT", tmp_path)
    scenario = tmp_path / "molecule" / "fake"
    scenario.mkdir(parents=True)
    (scenario / "molecule.yml").write_text(
        "scenario:\n  test_sequence: [create, verify, destroy]\n"
    )
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "molecule"
    fake.write_text(FAKE_MOLECULE)
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:/usr/bin:/bin")
    monkeypatch.delenv("SCST_LAB_MEASUREMENTS", raising=False)
    monkeypatch.setattr(sys, "argv", ["molecule_timed.py", "fake"])
    return timed, tmp_path


def test_measurements_follow_the_stage_table(project):
    timed, root = project
    stale = root / ".cache" / "vm" / "measurements-fake.txt"
    stale.parent.mkdir(parents=True)
    stale.write_text("verify failover: from an earlier run\n")
    assert timed.main() == 0
    report = (root / ".cache" / "vm" / "timings-fake.txt").read_text().splitlines()
    assert report[0] == "molecule scenario fake: time per stage (wall clock)"
    assert [line.split()[0] for line in report[1:5]] == ["create", "verify", "destroy", "total"]
    assert report[5:] == [
        "measured inside the stages (measurements-fake.txt):",
        "  verify failover: path sdb failed 16.1 s after the link went down",
    ]


def test_no_measurements_no_section(project):
    timed, root = project
    fake = root / "bin" / "molecule"
    fake.write_text(FAKE_MOLECULE.replace(">>\"$SCST_LAB_MEASUREMENTS\"", ">/dev/null"))
    assert timed.main() == 0
    report = (root / ".cache" / "vm" / "timings-fake.txt").read_text()
    assert "measured inside the stages" not in report
    assert report.splitlines()[-1].split()[0] == "total"
