"""Fixtures of the scst_emulated scenario's testinfra verifier: the guest
where the role ran against the SCST sysfs emulator, and the scenario's
variables (molecule.yml, provisioner.inventory)."""

import os

import pytest
import testinfra

INVENTORY = os.environ["MOLECULE_INVENTORY_FILE"]


@pytest.fixture(scope="session")
def host():
    return testinfra.get_host("ansible://target1", ansible_inventory=INVENTORY)


@pytest.fixture(scope="session")
def lab(host):
    return host.ansible.get_variables()


@pytest.fixture(scope="session")
def root(lab):
    return lab["scst_target_sysfs_root"]


@pytest.fixture(scope="session")
def iscsi(lab):
    return lab["scst_target_config"]["drivers"]["iscsi"]
