"""Fixtures shared by the molecule scenarios' testinfra verifiers.

Each scenario's tests/conftest.py imports the ones it uses. The guests are
reached through molecule's inventory (MOLECULE_INVENTORY_FILE); the lab's
guests are always named target1 and initiator1.
"""

import os
import sys

import pytest
import testinfra


def guest(name):
    """The testinfra host of one guest of the scenario."""
    return testinfra.get_host(f"ansible://{name}", ansible_inventory=os.environ["MOLECULE_INVENTORY_FILE"])


@pytest.fixture(scope="session")
def initiator():
    return guest("initiator1")


@pytest.fixture(scope="session")
def target():
    return guest("target1")


@pytest.fixture(scope="session")
def lab(target):
    """The scenario's variables (molecule.yml, provisioner.inventory) as target1 sees them."""
    return target.ansible.get_variables()


def record_measurement(step, text):
    """One line "STEP: TEXT" for the scenario's timing report.

    Appended to the file named by SCST_LAB_MEASUREMENTS, which
    tests/vm/molecule_timed.py prints after the table of stages; printed too.
    """
    line = f"{step}: {text}"
    print(line, file=sys.stderr)
    path = os.environ.get("SCST_LAB_MEASUREMENTS")
    if path:
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(line + "\n")
