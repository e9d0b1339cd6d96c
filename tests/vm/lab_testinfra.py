"""Fixtures shared by the molecule scenarios' testinfra verifiers.

Each scenario's tests/conftest.py imports the ones it uses. The guests are
reached through molecule's inventory (MOLECULE_INVENTORY_FILE); the lab's
guests are named target1 and initiator1, or node-a, node-b and initiator1 in
the HA scenario (its conftest.py makes their fixtures with guest()).
"""

import os
import sys
import time

import pytest
import testinfra

# How often wait_for() polls a guest over SSH: a time it measures is at most
# that much late.
POLL = 0.5


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


def wait_for(what, timeout, probe):
    """Poll PROBE every POLL s until it returns something true; (value, seconds)."""
    started = time.monotonic()
    while True:
        value = probe()
        if value:
            return value, time.monotonic() - started
        if time.monotonic() - started > timeout:
            pytest.fail(f"{what}: not within {timeout} s")
        time.sleep(POLL)


def io_sectors(host, device):
    """(sectors read, sectors written) of a block device of HOST (/sys/block/DEV/stat)."""
    fields = host.file(f"/sys/block/{device}/stat").content_string.split()
    return int(fields[2]), int(fields[6])
