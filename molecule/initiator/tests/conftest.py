"""Fixtures of the initiator scenario's testinfra verifier.

The tests reach both guests through molecule's inventory: the initiator,
where the role ran, and the LIO target, to see the sessions from the other
end of the wire.
"""

import os

import pytest
import testinfra

INVENTORY = os.environ["MOLECULE_INVENTORY_FILE"]


def _host(name):
    return testinfra.get_host(f"ansible://{name}", ansible_inventory=INVENTORY)


@pytest.fixture(scope="session")
def initiator():
    return _host("initiator1")


@pytest.fixture(scope="session")
def target():
    return _host("target1")


@pytest.fixture(scope="session")
def lab(initiator):
    """The scenario's variables (molecule.yml, provisioner.inventory)."""
    return initiator.ansible.get_variables()


@pytest.fixture(scope="session")
def portal(lab):
    return lab["lab_portal"]
