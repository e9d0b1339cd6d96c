"""Fixtures of the ha scenario's testinfra verifier: the two SCST nodes, the
initiator, and what the example inventory (playbooks/inventory-ha) declares,
read from its files (the tests run outside Ansible's templating; the values
read here are plain data there)."""

import pathlib
import sys

import pytest
import yaml

ROOT = pathlib.Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT / "tests" / "vm"))
from lab_testinfra import guest, initiator  # noqa: E402,F401  pylint: disable=wrong-import-position,unused-import


@pytest.fixture(scope="session")
def nodes():
    """{'node-a': host, 'node-b': host}."""
    return {name: guest(name) for name in ("node-a", "node-b")}


@pytest.fixture(scope="session")
def san():
    """The pair as the example inventory declares it: nodes (target, rel_tgt_id,
    group_id, addresses, ALUA target group), volumes and the device group."""
    inventory = ROOT / "playbooks" / "inventory-ha"
    shared = yaml.safe_load((inventory / "group_vars" / "all" / "san.yml").read_text())
    hosts = yaml.safe_load((inventory / "hosts.yml").read_text())
    layout = yaml.safe_load((inventory / "group_vars" / "san_ha_nodes.yml").read_text())
    (device_group, alua), = layout["scst_target_config"]["device_groups"].items()
    addresses = hosts["scst_targets"]["children"]["san_ha_nodes"]["hosts"]
    nodes = {}
    for name, node in shared["san_ha_nodes"].items():
        # the target group whose group_id is the node's (the group_vars template it from san.yml)
        group = [tg for tg, spec in alua["target_groups"].items() if f"['{name}'].group_id" in spec["group_id"]]
        assert len(group) == 1, f"no single ALUA target group for {name}"
        nodes[name] = dict(node, addresses=addresses[name]["san_addresses"], target_group=group[0])
    return {"nodes": nodes, "volumes": shared["san_ha_volumes"], "device_group": device_group,
            "active": shared["san_ha_active_node"]}
