"""A null answer is no answer, and the day-2 playbooks check their options before any change.

AWX sends a text question left empty as "", as nothing or as null, depending
on its version (ansible/awx#16205, #16289), and an extra var cannot be
replaced by set_fact. So each option of playbooks/meta/argument_specs.yml is
read through one play variable, __<option>, in which null is the spec's
default; the plays use only that one; and the first play that does more than
gather facts starts with tasks/option_checks.yml, which validates those
values against the playbook's entry point.

The last tests run the option checks of each playbook with ansible-playbook
(--tags option_checks) against an inventory of hosts that are never
contacted: null passes, a wrong type or choice stops the run naming the
variable.
"""

import json
import os
import pathlib
import re
import subprocess
import sys

import pytest
import yaml

ROOT = pathlib.Path(__file__).resolve().parents[2]
PLAYBOOKS = ROOT / "playbooks"
SPECS = yaml.safe_load((PLAYBOOKS / "meta" / "argument_specs.yml").read_text())["argument_specs"]
CHECKS_FILE = "tasks/option_checks.yml"
# What the defaults that are expressions read (restore_host's).
CONTEXT = {"odoo_hosting_db_hosts": ["db-1", "db-2", "db-3"]}
# Given values come through unchanged, falsy ones too (0 is not "no answer").
GIVEN = {"str": ["db-2", ""], "int": [0, 7], "bool": [False, True]}


def _plays(playbook):
    return yaml.safe_load((PLAYBOOKS / ("%s.yml" % playbook)).read_text())


def _options():
    for playbook, entry in sorted(SPECS.items()):
        for name, option in entry["options"].items():
            yield pytest.param(playbook, name, option, id="%s-%s" % (playbook, name))


# Ansible's templar renders in a child process: importing the controller's
# code into pytest's process changes how modules report their warnings, which
# the module tests read.
_RENDER = """
import json, sys
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar, trust_as_template
json.dump([Templar(loader=DataLoader(), variables=variables).template(trust_as_template(expression))
           for expression, variables in json.load(sys.stdin)], sys.stdout)
"""


def _render(*cases):
    """Each (expression, variables) rendered as a play would, with CONTEXT's variables too."""
    run = subprocess.run([sys.executable, "-c", _RENDER], input=json.dumps([(e, dict(CONTEXT, **v)) for e, v in cases]),
                         capture_output=True, text=True, check=True)
    return json.loads(run.stdout)


def _play_with(playbook, name):
    plays = [play for play in _plays(playbook) if name in (play.get("vars") or {})]
    assert len(plays) == 1, "%s: %s is the variable of %d plays, not one" % (playbook, name, len(plays))
    return plays[0]


@pytest.mark.parametrize(("playbook", "name", "option"), list(_options()))
def test_null_reads_as_the_default(playbook, name, option):
    play_vars = _play_with(playbook, name)["vars"]
    derived = "__%s" % name
    assert derived in play_vars, "%s: the play that sets %s has no %s to read it through" % (playbook, name, derived)
    # A required option's placeholder is what the play's own check refuses.
    default = play_vars[name] if option.get("required") else option["default"]
    given = GIVEN[option.get("type", "str")]
    rendered_default, null, *read = _render((str(default), {}), (play_vars[derived], {name: None}),
                                            *[(play_vars[derived], {name: value}) for value in given])
    assert null == (rendered_default if isinstance(default, str) else default)
    for value, got in zip(given, read):
        assert got == value, "%s=%r is read as %r" % (name, value, got)


def _is_facts_play(play):
    """The first play of every playbook: it only includes tasks/facts.yml, and changes nothing."""
    tasks = play.get("tasks") or []
    args = tasks[0].get("ansible.builtin.include_tasks") if len(tasks) == 1 else None
    return isinstance(args, dict) and args.get("file") == "tasks/facts.yml"


@pytest.mark.parametrize("playbook", sorted(SPECS))
def test_the_first_checks_validate_every_option(playbook):
    first = [play for play in _plays(playbook) if not _is_facts_play(play)][0]
    task = first["tasks"][0]
    assert task.get("ansible.builtin.import_tasks") == CHECKS_FILE, (
        "%s: the play %r does not start with %s" % (playbook, first["name"], CHECKS_FILE))
    assert task["vars"]["__option_checks_entry_point"] == playbook
    assert task["vars"]["__option_checks_values"] == {
        name: "{{ __%s }}" % name for name in SPECS[playbook]["options"]}
    assert "option_checks" in task.get("tags", [])


def _expressions(node, key=None):
    """The Jinja in a play or task list: what {{ }} holds, and whole conditionals."""
    if isinstance(node, dict):
        for name, value in node.items():
            yield from _expressions(value, name)
    elif isinstance(node, list):
        for item in node:
            yield from _expressions(item, key)
    elif isinstance(node, str):
        if key in ("when", "that", "until", "failed_when", "changed_when"):
            yield node
        yield from re.findall(r"{{(.*?)}}", node, re.S)


def test_the_plays_read_the_options_only_through_their_variables():
    names = {name for entry in SPECS.values() for name in entry["options"]}
    found = []
    for path in sorted(PLAYBOOKS.glob("*.yml")) + sorted(PLAYBOOKS.glob("tasks/*.yml")):
        for item in yaml.safe_load(path.read_text()) or []:
            item = dict(item)
            # The derived variables themselves read the options.
            item["vars"] = {key: value for key, value in (item.get("vars") or {}).items()
                            if not (key.startswith("__") and key[2:] in names)}
            for expression in _expressions(item):
                found += ["%s: %s" % (path.name, name) for name in names
                          if re.search(r"(?<![\w.])%s\b" % name, expression)]
    assert found == []


def test_option_checks_read_the_spec_of_the_entry_point():
    task = yaml.safe_load((PLAYBOOKS / CHECKS_FILE).read_text())[0]
    args = task["ansible.builtin.validate_argument_spec"]
    assert "playbook_dir ~ '/meta/argument_specs.yml'" in task["vars"]["__option_checks_specs"]
    assert "[__option_checks_entry_point]['options']" in args["argument_spec"]
    assert args["provided_arguments"] == "{{ __option_checks_values }}"


# The option checks, run: hosts that are never contacted (validate_argument_spec
# and set_fact need no connection), facts skipped (odoo_hosting_addresses is
# known), only the tasks tagged option_checks.

INVENTORY = {"all": {
    "vars": {"ansible_connection": "local", "odoo_hosting_addresses": {}},
    "children": {
        "odoo_db": {"hosts": {"db-1": {}, "db-2": {}, "db-3": {}}},
        "odoo_app": {"hosts": {"app-1": {}, "app-2": {}}},
        "odoo_backup": {"hosts": {"backup-1": {}}},
    },
}}


@pytest.fixture(scope="module")
def inventory(tmp_path_factory):
    path = tmp_path_factory.mktemp("option_checks") / "hosts.yml"
    path.write_text(yaml.safe_dump(INVENTORY))
    return path


def _run(inventory, playbook, extra, *options):
    env = dict(os.environ, ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"), ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0",
               ANSIBLE_COLLECTIONS_PATH=str(ROOT / ".ansible" / "collections"))
    run = subprocess.run(
        [sys.executable, "-m", "ansible", "playbook", "-i", str(inventory), "--tags", "option_checks",
         "--extra-vars", json.dumps(extra), *options, str(PLAYBOOKS / ("%s.yml" % playbook))],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False)
    return run.returncode, re.sub(r"\s+", " ", run.stdout + run.stderr)


@pytest.mark.parametrize("playbook", sorted(SPECS))
def test_null_answers_pass_the_option_checks(inventory, playbook):
    rc, output = _run(inventory, playbook, {name: None for name in SPECS[playbook]["options"]})
    assert rc == 0, output[-3000:]
    assert re.search(r"TASK \[Check the options against playbooks/meta/argument_specs.yml\] \** ok:", output), output[-3000:]
    assert not re.search(r"(changed|failed)=[1-9]", output), output[-3000:]


@pytest.mark.parametrize(
    ("playbook", "extra", "message"),
    [
        ("switchover", {"switchover_candidate": None, "switchover_max_lag_bytes": "a lot"},
         "argument 'switchover_max_lag_bytes' is of type str and we were unable to convert to int"),
        ("backup", {"backup_type": "weekly"}, "value of backup_type must be one of: full, diff, incr, got: weekly"),
        ("restore", {"restore_target_time": None, "restore_backup_after": "maybe"},
         "argument 'restore_backup_after' is of type str and we were unable to convert to bool"),
        ("odoo_rolling_update", {"odoo_rolling_port_offset": "next"},
         "argument 'odoo_rolling_port_offset' is of type str and we were unable to convert to int"),
    ],
    ids=["switchover-int", "backup-choice", "restore-bool", "odoo_rolling_update-int"],
)
def test_a_wrong_option_stops_the_run_naming_it(inventory, playbook, extra, message):
    rc, output = _run(inventory, playbook, extra)
    assert rc != 0, output[-3000:]
    assert message in output, output[-3000:]
    assert not re.search(r"changed=[1-9]", output), output[-3000:]


# The play after the restore point reads the offset as a fact: a null is 100 there.
def test_the_rolling_update_notes_the_default_offset_for_a_null(inventory):
    rc, output = _run(inventory, "odoo_rolling_update", {"odoo_rolling_port_offset": None}, "-v")
    assert rc == 0, output[-3000:]
    assert "ansible_facts: __odoo_rolling_port_offset: 100 " in output, output[-3000:]
