"""Every role's meta/argument_specs.yml mirrors its defaults/main.yml: the
same variables, with the same default values, so that `ansible-doc -t role`
and the role's entry-point validation tell the truth."""

from pathlib import Path

import pytest
import yaml

ROLES = sorted(p.parent.parent for p in (Path(__file__).resolve().parents[3] / "roles").glob("*/defaults/main.yml"))


def _load(path):
    return yaml.safe_load(path.read_text()) or {}


@pytest.mark.parametrize("role", ROLES, ids=[r.name for r in ROLES])
def test_argument_specs_mirror_defaults(role):
    defaults = _load(role / "defaults" / "main.yml")
    options = _load(role / "meta" / "argument_specs.yml")["argument_specs"]["main"]["options"]
    assert sorted(defaults) == sorted(options), "variables in defaults/main.yml and meta/argument_specs.yml differ"
    for name, value in defaults.items():
        assert options[name].get("default") == value, f"{name}: default differs"
        assert name.startswith(role.name + "_"), f"{name}: not prefixed with the role name"


@pytest.mark.parametrize("role", ROLES, ids=[r.name for r in ROLES])
def test_private_vars_are_double_underscored(role):
    private = role / "vars" / "main.yml"
    if not private.exists():
        pytest.skip(f"{role.name} has no vars/main.yml")
    for name in _load(private):
        assert name.startswith(f"__{role.name}_"), f"{name}: private variables start with __{role.name}_"
