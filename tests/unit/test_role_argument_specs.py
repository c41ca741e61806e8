"""Every role's public contract: defaults/main.yml and meta/argument_specs.yml agree.

A role's defaults are its interface and its argument specs validate them before
any task runs; a name in one but not the other is either undocumented or never
validated, and a spec default that differs from the real one documents a value
the role never uses. The preflight entry point (include_role tasks_from:
preflight) validates the same options as main. This test guards every role
under roles/.
"""

import pathlib

import pytest
import yaml

ROLES = pathlib.Path(__file__).resolve().parents[2] / "roles"


def same_value(left, right):
    """Equal as parsed YAML values, types included (true is not 1, 1 is not 1.0, "1" is not 1)."""
    if type(left) is not type(right):
        return False
    if isinstance(left, dict):
        return left.keys() == right.keys() and all(same_value(left[k], right[k]) for k in left)
    if isinstance(left, list):
        return len(left) == len(right) and all(same_value(a, b) for a, b in zip(left, right))
    return left == right


def role_contract_mismatch(role_dir):
    """Return a list of human-readable problems with one role's contract (empty when it is sound)."""
    role_dir = pathlib.Path(role_dir)
    role = role_dir.name
    defaults_file = role_dir / "defaults" / "main.yml"
    specs_file = role_dir / "meta" / "argument_specs.yml"
    problems = []
    if not specs_file.is_file():
        return ["%s is missing" % specs_file.relative_to(role_dir.parent)]
    defaults = {}
    if defaults_file.is_file():
        defaults = yaml.safe_load(defaults_file.read_text()) or {}
    specs = yaml.safe_load(specs_file.read_text()) or {}
    entry_points = specs.get("argument_specs") or {}
    main = entry_points.get("main")
    if main is None:
        return ["%s has no argument_specs.main entry point" % specs_file.relative_to(role_dir.parent)]
    options = main.get("options") or {}
    spec_names = set(options.keys())
    default_names = set(defaults.keys())
    # A required option has no default on purpose (a secret, say): it is in the specs only.
    required = {name for name, spec in options.items() if spec.get("required")}
    # So is a secret needed only when a feature is on (no_log, checked by the role's preflight).
    secrets = {name for name, spec in options.items() if spec.get("no_log")}
    with_spec_default = {name for name, spec in options.items() if "default" in spec}
    for name in sorted(default_names - spec_names):
        problems.append("%s: default %s has no argument spec" % (role, name))
    for name in sorted(spec_names - default_names - required - secrets - with_spec_default):
        problems.append("%s: argument spec %s has no default (and is not required)" % (role, name))
    for name in sorted(required & default_names):
        problems.append("%s: %s is required yet has a default" % (role, name))
    for name in sorted(default_names & spec_names):
        if "default" not in options[name]:
            problems.append("%s: argument spec %s has no default: key; defaults/main.yml sets %r"
                            % (role, name, defaults[name]))
        elif not same_value(options[name]["default"], defaults[name]):
            problems.append("%s: argument spec %s has default %r, defaults/main.yml sets %r"
                            % (role, name, options[name]["default"], defaults[name]))
    for name in sorted(with_spec_default - default_names):
        problems.append("%s: argument spec %s has default %r, defaults/main.yml does not set it"
                        % (role, name, options[name]["default"]))
    preflight = entry_points.get("preflight")
    if preflight is None:
        problems.append("%s: argument_specs has no preflight entry point" % role)
    elif not same_value(preflight.get("options") or {}, options):
        problems.append("%s: the options of the preflight entry point differ from main's" % role)
    return problems


def _roles():
    return sorted(p for p in ROLES.iterdir() if p.is_dir()) if ROLES.is_dir() else []


@pytest.mark.parametrize("role_dir", _roles(), ids=lambda p: p.name)
def test_role_defaults_match_argument_specs(role_dir):
    assert role_contract_mismatch(role_dir) == []


_SAME = object()  # preflight options: the same as main's


def _write_role(tmp_path, defaults, options, copy_defaults=True, preflight=_SAME):
    """Write a role "example" with these defaults and main options.

    copy_defaults: an option named in defaults and without a default: key gets the value from defaults (a sound spec).
    preflight: the preflight entry point's options; _SAME for main's, None for no preflight entry point.
    """
    role = tmp_path / "example"
    (role / "defaults").mkdir(parents=True)
    (role / "meta").mkdir()
    (role / "defaults" / "main.yml").write_text(yaml.safe_dump(defaults))
    options = {name: dict(spec) for name, spec in options.items()}
    if copy_defaults:
        for name, spec in options.items():
            if name in defaults:
                spec.setdefault("default", defaults[name])
    entry_points = {"main": {"short_description": "x", "options": options}}
    if preflight is not None:
        entry_points["preflight"] = {"short_description": "y", "options": options if preflight is _SAME else preflight}
    (role / "meta" / "argument_specs.yml").write_text(yaml.safe_dump({"argument_specs": entry_points}))
    return role


@pytest.mark.parametrize(
    ("defaults", "options", "expected", "write"),
    [
        ({"example_port": 1}, {"example_port": {"type": "int"}}, [], {}),
        ({"example_port": 1}, {"example_port": {"type": "int"}, "example_password": {"required": True}}, [], {}),
        ({"example_port": 1, "example_extra": 2}, {"example_port": {"type": "int"}},
         ["example: default example_extra has no argument spec"], {}),
        ({}, {"example_port": {"type": "int"}},
         ["example: argument spec example_port has no default (and is not required)"], {}),
        ({"example_password": "x"}, {"example_password": {"required": True}},
         ["example: example_password is required yet has a default"], {}),
        ({}, {"example_password": {"type": "str", "no_log": True}}, [], {}),
        # The spec's default: key is the value of defaults/main.yml, compared as parsed YAML, types included.
        ({"example_port": 1}, {"example_port": {"type": "int"}},
         ["example: argument spec example_port has no default: key; defaults/main.yml sets 1"],
         {"copy_defaults": False}),
        ({"example_port": 1}, {"example_port": {"type": "int", "default": 2}},
         ["example: argument spec example_port has default 2, defaults/main.yml sets 1"], {}),
        ({"example_port": 1}, {"example_port": {"type": "str", "default": "1"}},
         ["example: argument spec example_port has default '1', defaults/main.yml sets 1"], {}),
        ({"example_enabled": True}, {"example_enabled": {"type": "bool", "default": 1}},
         ["example: argument spec example_enabled has default 1, defaults/main.yml sets True"], {}),
        ({"example_hosts": ["a", "b"]}, {"example_hosts": {"type": "list", "default": ["a"]}},
         ["example: argument spec example_hosts has default ['a'], defaults/main.yml sets ['a', 'b']"], {}),
        ({"example_address": "{{ ansible_facts['default_ipv4']['address'] }}"},
         {"example_address": {"type": "str", "default": "{{ ansible_facts['default_ipv4']['address'] }}"}},
         [], {"copy_defaults": False}),
        ({}, {"example_token": {"type": "str", "no_log": True, "default": "x"}},
         ["example: argument spec example_token has default 'x', defaults/main.yml does not set it"], {}),
        # The preflight entry point validates the same options as main.
        ({"example_port": 1}, {"example_port": {"type": "int"}},
         ["example: argument_specs has no preflight entry point"], {"preflight": None}),
        ({"example_port": 1}, {"example_port": {"type": "int"}},
         ["example: the options of the preflight entry point differ from main's"], {"preflight": {}}),
        ({"example_port": 1}, {"example_port": {"type": "int"}},
         ["example: the options of the preflight entry point differ from main's"],
         {"preflight": {"example_port": {"type": "int", "default": 2}}}),
    ],
    ids=["equal", "required-secret", "undocumented-default", "spec-without-default", "required-with-default",
         "optional-secret", "spec-default-missing", "spec-default-differs", "spec-default-other-type",
         "spec-default-bool-vs-int", "spec-default-list-differs", "spec-default-jinja", "spec-default-not-in-defaults",
         "preflight-missing", "preflight-without-options", "preflight-options-differ"],
)
def test_contract_check_reports_each_mismatch(tmp_path, defaults, options, expected, write):
    assert role_contract_mismatch(_write_role(tmp_path, defaults, options, **write)) == expected


def test_contract_check_reads_preflight_through_yaml_alias(tmp_path):
    role = _write_role(tmp_path, {"example_port": 1}, {})
    (role / "meta" / "argument_specs.yml").write_text(
        "argument_specs:\n"
        "  main:\n"
        "    short_description: x\n"
        "    options: &example_options\n"
        "      example_port:\n"
        "        type: int\n"
        "        default: 1\n"
        "  preflight:\n"
        "    short_description: y\n"
        "    options: *example_options\n")
    assert role_contract_mismatch(role) == []


def test_contract_check_requires_argument_specs(tmp_path):
    (tmp_path / "bare" / "defaults").mkdir(parents=True)
    assert role_contract_mismatch(tmp_path / "bare") == ["bare/meta/argument_specs.yml is missing"]
