"""The integration scripts (tests/integration/*.sh) run under ``set -e``, which
does not stop at a failing command that is followed by ``&&``: in
``[ a ] && [ b ]`` a false ``a`` is ignored and the script goes on. Every
assertion of those scripts stands alone on its line (or ends in ``|| fail``)."""

from __future__ import annotations

import pathlib
import re

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
SCRIPTS = sorted((ROOT / "tests" / "integration").glob("*.sh"))
# A statement that is a test followed by && (not inside if/while, which test
# the whole list on purpose, and not a guarded "... && break").
SILENT = re.compile(r"^\s*(\[\[?|test |\(\() .*(\]\]?|\)\)) && (?!break\b)")


def test_there_are_scripts():
    assert len(SCRIPTS) >= 8


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_no_assertion_is_silenced_by_and(script):
    bad = [
        f"{script.name}:{number}: {line.strip()}"
        for number, line in enumerate(script.read_text().splitlines(), 1)
        if SILENT.match(line) and not line.rstrip().endswith(("|| exit 1", "; }"))
    ]
    assert not bad, "set -e ignores the first test of these lines; one test per line:\n" + "\n".join(bad)


def test_the_rule_catches_the_silent_form():
    assert SILENT.match('[ "$(writes)" = 0 ] && [ ! -e "$TEST_TMPDIR/etc/scst.conf" ]')
    assert not SILENT.match('[[ -n $port ]] && break')
    assert not SILENT.match('[ "$(writes)" = 0 ]')
