"""The ansible-core lines the collection claims, tests and documents agree:
tests/ansible-core-matrix.txt (what CI runs), meta/runtime.yml
requires_ansible, README.md's table, the development pin and the example
execution environment; and the collection's own requirements pin nothing."""

import pathlib
import re

import yaml

ROOT = pathlib.Path(__file__).resolve().parents[2]


def matrix_rows():
    rows = []
    for raw in (ROOT / "tests" / "ansible-core-matrix.txt").read_text().splitlines():
        line = raw.split("#", 1)[0].split()
        if line:
            assert len(line) == 3, "matrix row %r: LINE PYTHON PIN" % raw
            rows.append(tuple(line))
    assert rows
    return rows


def version(text):
    return tuple(int(part) for part in text.split("."))


def test_every_pin_belongs_to_its_line_and_lines_are_unique_and_ordered():
    rows = matrix_rows()
    for line, python, pin in rows:
        assert re.fullmatch(r"ansible-core==%s\.\d+" % re.escape(line), pin), (line, pin)
        assert re.fullmatch(r"3\.\d+", python), (line, python)
    lines = [version(row[0]) for row in rows]
    assert lines == sorted(set(lines)), "matrix lines must be unique and in order"


def test_requires_ansible_is_the_lowest_tested_line():
    runtime = yaml.safe_load((ROOT / "meta" / "runtime.yml").read_text())
    assert runtime["requires_ansible"] == ">=%s.0" % matrix_rows()[0][0]


def test_readme_table_lists_the_matrix():
    readme = (ROOT / "README.md").read_text()
    table = readme.split("<!-- matrix -->", 1)[1].split("<!-- /matrix -->", 1)[0]
    documented = re.findall(r"^\| (2\.\d+) \| (3\.\d+) \|", table, re.M)
    assert documented == [row[:2] for row in matrix_rows()]


def test_the_development_pin_is_a_tested_row_on_python_3_11():
    dev = re.search(r"^ansible-core==\S+", (ROOT / "requirements-dev.txt").read_text(), re.M)
    assert dev, "requirements-dev.txt pins ansible-core"
    assert (dev.group(0), "3.11") in [(row[2], row[1]) for row in matrix_rows()]


def test_the_collection_requirements_pin_no_ansible_core():
    for raw in (ROOT / "requirements.txt").read_text().splitlines():
        requirement = raw.split("#", 1)[0].strip()
        assert not re.match(r"(?i)ansible(-core|-base)?\b", requirement), requirement


def test_the_example_execution_environment_uses_the_newest_tested_line():
    definition = yaml.safe_load((ROOT / "tests" / "ee" / "execution-environment.yml").read_text())
    assert definition["dependencies"]["ansible_core"]["package_pip"] == matrix_rows()[-1][2]
