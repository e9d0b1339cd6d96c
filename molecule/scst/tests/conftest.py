"""Fixtures of the scst scenario's testinfra verifier: the SCST target built
by scst_build on target1, and the initiator that uses it."""

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
def disk(lab):
    return f"/dev/disk/by-path/ip-{lab['lab_portal']}:3260-iscsi-{lab['lab_target_iqn']}-lun-0"
