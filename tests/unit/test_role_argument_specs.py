"""Every role's public contract: defaults/main.yml and meta/argument_specs.yml list the same names.

A role's defaults are its interface and its argument specs validate them before
any task runs; a name in one but not the other is either undocumented or never
validated. This test guards every role under roles/.
"""

import pathlib

import pytest
import yaml

ROLES = pathlib.Path(__file__).resolve().parents[2] / "roles"


def role_contract_mismatch(role_dir):
    """Return a list of human-readable problems with one role's contract (empty when it is sound)."""
    role_dir = pathlib.Path(role_dir)
    defaults_file = role_dir / "defaults" / "main.yml"
    specs_file = role_dir / "meta" / "argument_specs.yml"
    problems = []
    if not specs_file.is_file():
        return ["%s is missing" % specs_file.relative_to(role_dir.parent)]
    defaults = {}
    if defaults_file.is_file():
        defaults = yaml.safe_load(defaults_file.read_text()) or {}
    specs = yaml.safe_load(specs_file.read_text()) or {}
    main = (specs.get("argument_specs") or {}).get("main")
    if main is None:
        return ["%s has no argument_specs.main entry point" % specs_file.relative_to(role_dir.parent)]
    spec_names = set((main.get("options") or {}).keys())
    default_names = set(defaults.keys())
    options = main.get("options") or {}
    # A required option has no default on purpose (a secret, say): it is in the specs only.
    required = {name for name, spec in options.items() if spec.get("required")}
    # So is a secret needed only when a feature is on (no_log, checked by the role's preflight).
    secrets = {name for name, spec in options.items() if spec.get("no_log")}
    for name in sorted(default_names - spec_names):
        problems.append("%s: default %s has no argument spec" % (role_dir.name, name))
    for name in sorted(spec_names - default_names - required - secrets):
        problems.append("%s: argument spec %s has no default (and is not required)" % (role_dir.name, name))
    for name in sorted(required & default_names):
        problems.append("%s: %s is required yet has a default" % (role_dir.name, name))
    return problems


def _roles():
    return sorted(p for p in ROLES.iterdir() if p.is_dir()) if ROLES.is_dir() else []


@pytest.mark.parametrize("role_dir", _roles(), ids=lambda p: p.name)
def test_role_defaults_match_argument_specs(role_dir):
    assert role_contract_mismatch(role_dir) == []


def _write_role(tmp_path, defaults, options):
    role = tmp_path / "example"
    (role / "defaults").mkdir(parents=True)
    (role / "meta").mkdir()
    (role / "defaults" / "main.yml").write_text(yaml.safe_dump(defaults))
    (role / "meta" / "argument_specs.yml").write_text(
        yaml.safe_dump({"argument_specs": {"main": {"short_description": "x", "options": options}}}))
    return role


@pytest.mark.parametrize(
    ("defaults", "options", "expected"),
    [
        ({"example_port": 1}, {"example_port": {"type": "int"}}, []),
        ({"example_port": 1}, {"example_port": {"type": "int"}, "example_password": {"required": True}}, []),
        ({"example_port": 1, "example_extra": 2}, {"example_port": {"type": "int"}},
         ["example: default example_extra has no argument spec"]),
        ({}, {"example_port": {"type": "int"}},
         ["example: argument spec example_port has no default (and is not required)"]),
        ({"example_password": "x"}, {"example_password": {"required": True}},
         ["example: example_password is required yet has a default"]),
        ({}, {"example_password": {"type": "str", "no_log": True}}, []),
    ],
    ids=["equal", "required-secret", "undocumented-default", "spec-without-default", "required-with-default",
         "optional-secret"],
)
def test_contract_check_reports_each_mismatch(tmp_path, defaults, options, expected):
    assert role_contract_mismatch(_write_role(tmp_path, defaults, options)) == expected


def test_contract_check_requires_argument_specs(tmp_path):
    (tmp_path / "bare" / "defaults").mkdir(parents=True)
    assert role_contract_mismatch(tmp_path / "bare") == ["bare/meta/argument_specs.yml is missing"]
