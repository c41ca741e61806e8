"""The order in which roles/patroni/tasks/restart_pending.yml restarts the members that wait.

Replicas first and the leader last, unless the leader lowers a setting that a
hot standby may not have below its primary's (max_connections and the like):
then the leader first. The loop's expression and the role variables it reads
are rendered by Ansible's templar with answers of Patroni's /cluster.
"""

import json
import pathlib
import subprocess
import sys

import pytest
import yaml

ROOT = pathlib.Path(__file__).resolve().parents[2]
ROLE = ROOT / "roles" / "patroni"
# tests/conftest.py links the checkout there as ansible_collections/sysgenpro/odoo_hosting.
COLLECTIONS = str(ROOT / ".ansible" / "collections")
ROLE_VARS = yaml.safe_load((ROLE / "vars" / "main.yml").read_text())
NAMES = ["_patroni_hot_standby_floor_parameters", "_patroni_replicas_pending", "_patroni_leader_pending",
         "_patroni_leader_lowers"]


def _loop_expression():
    tasks = yaml.safe_load((ROLE / "tasks" / "restart_pending.yml").read_text())
    (task,) = [t for t in tasks if t.get("name") == "Restart each member with a pending change, one at a time"]
    return task["loop"]


# The templar renders in a child process, as in test_playbook_options.py, with
# the collection's plugins on its search path: _patroni_leader_lowers uses the
# sysgenpro.odoo_hosting.patroni_restart_lowers filter.
_RENDER = """
import json, sys
from ansible.parsing.dataloader import DataLoader
from ansible.plugins.loader import init_plugin_loader
from ansible.template import Templar, trust_as_template
collections, expression, variables = json.load(sys.stdin)
init_plugin_loader([collections])
variables = {k: trust_as_template(v) if isinstance(v, str) else v for k, v in variables.items()}
json.dump(Templar(loader=DataLoader(), variables=variables).template(trust_as_template(expression)), sys.stdout)
"""


def _order(members):
    variables = {name: ROLE_VARS[name] for name in NAMES}
    variables["__patroni_members"] = members
    run = subprocess.run([sys.executable, "-c", _RENDER], input=json.dumps([COLLECTIONS, _loop_expression(), variables]),
                         capture_output=True, text=True, check=True)
    return [member["name"] for member in json.loads(run.stdout)]


def _member(name, role, **pending):
    member = {"name": name, "role": role, "state": "running" if role == "leader" else "streaming"}
    if pending:
        member["pending_restart"] = True
        member.update(pending)
    return member


def _reason(**changes):
    return {"pending_restart_reason": {name: {"old_value": str(old), "new_value": str(new)}
                                       for name, (old, new) in changes.items()}}


@pytest.mark.parametrize("changes, first", [
    pytest.param({"max_connections": (119, 151)}, "replicas", id="raised-max_connections"),
    pytest.param({"max_connections": (151, 119)}, "leader", id="lowered-max_connections"),
    pytest.param({"max_worker_processes": (8, 4)}, "leader", id="lowered-max_worker_processes"),
    pytest.param({"shared_buffers": (256, 128)}, "replicas", id="lowered-other-setting"),
    pytest.param({"archive_mode": ("off", "on")}, "replicas", id="archive_mode"),
    pytest.param({"max_connections": (119, 151), "max_wal_senders": (10, 5)}, "leader", id="one-lowered-among-two"),
])
def test_the_leader_restarts_first_only_when_it_lowers_a_hot_standby_floor(changes, first):
    pending = _reason(**changes)
    order = _order([_member("db-1", "leader", **pending), _member("db-2", "replica", **pending),
                    _member("db-3", "sync_standby", **pending)])
    assert sorted(order) == ["db-1", "db-2", "db-3"]
    assert order.index("db-1") == (0 if first == "leader" else 2), order


def test_without_a_reason_replicas_go_first():
    """Patroni before pending_restart_reason: the second turn of restart_pending.yml covers a lowering."""
    order = _order([_member("db-1", "leader", pending_restart=True), _member("db-2", "replica", pending_restart=True)])
    assert order == ["db-2", "db-1"]


def test_members_that_do_not_wait_are_left_alone():
    order = _order([_member("db-1", "leader"), _member("db-2", "replica", **_reason(max_connections=(200, 119))),
                    _member("db-3", "replica")])
    assert order == ["db-2"]
