"""Every module is reachable by module_defaults: it belongs to the action group
named by its prefix in meta/runtime.yml (scst_* to scst, iscsi_* to iscsi)."""

import pathlib

import yaml

ROOT = pathlib.Path(__file__).resolve().parents[2]


def test_every_module_is_in_the_action_group_of_its_prefix():
    groups = yaml.safe_load((ROOT / "meta" / "runtime.yml").read_text())["action_groups"]
    modules = sorted(p.stem for p in (ROOT / "plugins" / "modules").glob("*.py") if p.stem != "__init__")
    assert modules
    for module in modules:
        prefix = module.split("_", 1)[0]
        assert module in groups.get(prefix, []), "%s is in no action group %s" % (module, prefix)
    listed = sorted(m for members in groups.values() for m in members)
    assert listed == modules, "action groups name modules that do not exist"
