"""Where the tenant's file_sd list is kept (odoo_hosting_file_sd_host), through Ansible on this machine.

The play of playbooks/monitoring_targets.yml that writes the list (taken from the playbook as it
is, after the input checks of playbooks/tasks/monitoring_checks.yml), and the monitoring role's
preflight entry point reading the list back for the tenant entry of playbooks/vars/monitoring.yml.
Every host of the inventory is this machine (local connection): "keeper1" stands for the
monitoring host that keeps the list under AWX, each of its paths is under pytest's tmp_path.
"""

import json
import os
import subprocess
import sys

import pytest
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PLAYBOOKS = os.path.join(ROOT, "playbooks")
COLLECTIONS = os.path.join(ROOT, ".ansible", "collections")
WRITE_PLAY = "Write the tenant's Prometheus file_sd target list where it is kept"
CA = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----"

# Two hosts of the tenant with the targets the exporters role would publish.
TARGETS = {
    "db1": [{"job": "node", "target": "10.0.0.11:9100", "scheme": "https", "metrics_path": "/metrics"},
            {"job": "patroni", "target": "10.0.0.11:8008", "scheme": "https", "metrics_path": "/metrics"},
            {"job": "etcd", "target": "10.0.0.11:2381", "scheme": "http", "metrics_path": "/metrics"}],
    "app1": [{"job": "node", "target": "10.0.0.21:9100", "scheme": "https", "metrics_path": "/metrics"}],
}
HTTPS_TARGETS = ["10.0.0.11:8008", "10.0.0.11:9100", "10.0.0.21:9100"]


@pytest.fixture(name="tenant")
def fixture_tenant(tmp_path):
    """An inventory and the two playbooks in tmp_path/playbooks (the controller's default directory
    is then tmp_path/.cache/file_sd)."""
    local = {"ansible_connection": "local", "ansible_python_interpreter": sys.executable}
    inventory = {"all": {
        "vars": dict(local, odoo_hosting_tenant="acme", exporters_postgres=False),
        "children": {
            "odoo_db": {"hosts": {"db1": {"exporters_scrape_targets": TARGETS["db1"]}}},
            "odoo_app": {"hosts": {"app1": {"exporters_scrape_targets": TARGETS["app1"]}}},
            "odoo_monitoring": {"hosts": {"keeper1": {}}},
        }}}
    (tmp_path / "inventory.yml").write_text(yaml.safe_dump(inventory))
    books = tmp_path / "playbooks"
    books.mkdir()

    with open(os.path.join(PLAYBOOKS, "monitoring_targets.yml")) as handle:
        write = next(play for play in yaml.safe_load(handle) if play["name"] == WRITE_PLAY)
    write["vars_files"] = [os.path.join(PLAYBOOKS, name) for name in write["vars_files"]]
    for task in write["tasks"]:
        if "ansible.builtin.template" in task:
            task["ansible.builtin.template"]["src"] = os.path.join(PLAYBOOKS, "templates", "file_sd.json.j2")
    checks = {"name": "Check the input", "hosts": "odoo_db:odoo_app", "gather_facts": False, "any_errors_fatal": True,
              "vars_files": [os.path.join(PLAYBOOKS, "vars", "topology.yml")],
              "tasks": [{"name": "Check it",
                         "ansible.builtin.import_tasks": os.path.join(PLAYBOOKS, "tasks", "monitoring_checks.yml")}]}
    (books / "write.yml").write_text(yaml.safe_dump([checks, write], sort_keys=False))

    read = {"name": "Read the list as the monitoring role does", "hosts": "odoo_monitoring", "gather_facts": False,
            "vars_files": [os.path.join(PLAYBOOKS, "vars", "topology.yml"), os.path.join(PLAYBOOKS, "vars", "monitoring.yml")],
            "vars": {"odoo_hosting_service_address": "10.0.0.1", "etcd_tls_ca_certificate": CA,
                     "exporters_web_password": "test-only-exporters-web"},
            "tasks": [
                {"name": "Facts the role's defaults read",
                 "ansible.builtin.set_fact": {"ansible_facts": {"default_ipv4": {"address": "10.0.0.1"}}}},
                {"name": "What the exporters role publishes on the first host",
                 "ansible.builtin.set_fact": {"exporters_published": {"web": {"basic_auth_user": "prometheus"}}},
                 "delegate_to": "db1", "delegate_facts": True},
                {"name": "Run the preflight",
                 "ansible.builtin.include_role": {"name": "sysgenpro.odoo_hosting.monitoring", "tasks_from": "preflight",
                                                  "public": True}},
                {"name": "Show the tenant",
                 "ansible.builtin.debug": {"msg": "{{ _monitoring_tenants[0] | dict2items | selectattr('key', 'in', "
                                                  "['file_sd', 'file_sd_host', 'file_sd_text', 'tls_targets']) "
                                                  "| items2dict }}"}},
            ]}
    (books / "read.yml").write_text(yaml.safe_dump([read], sort_keys=False))
    return tmp_path


def run(tenant, playbook, **extra):
    """Run a playbook of tmp_path/playbooks; return (rc, the json callback's report)."""
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=COLLECTIONS, ANSIBLE_STDOUT_CALLBACK="ansible.posix.json",
               ANSIBLE_LOCALHOST_WARNING="0", ANSIBLE_CONFIG=os.path.join(ROOT, "ansible.cfg"))
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")
    proc = subprocess.run(["ansible-playbook", "-i", str(tenant / "inventory.yml"), "-e", json.dumps(extra),
                           str(tenant / "playbooks" / playbook)],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False)
    try:
        return proc.returncode, json.loads(proc.stdout)
    except ValueError:
        pytest.fail("ansible-playbook gave no JSON (rc %s):\n%s\n%s" % (proc.returncode, proc.stdout, proc.stderr))


def results(report, host):
    """Each task's result for host, by task name (without a role's prefix)."""
    return {task["task"]["name"].split(" : ")[-1]: task["hosts"][host]
            for play in report["plays"] for task in play["tasks"] if host in task["hosts"]}


def written_list(path):
    with open(path) as handle:
        return json.load(handle)


def test_by_default_the_list_stays_on_the_controller(tenant):
    rc, report = run(tenant, "write.yml")
    assert rc == 0
    assert results(report, "localhost")["Create the file_sd directory"]["_ansible_delegated_vars"]["ansible_host"] == "localhost"
    targets = written_list(tenant / ".cache" / "file_sd" / "acme.json")
    assert sorted(target for entry in targets for target in entry["targets"]) == sorted(
        target["target"] for host in TARGETS.values() for target in host)


def test_the_list_is_written_on_the_host_and_read_back_there(tenant):
    kept = tenant / "kept"
    rc, report = run(tenant, "write.yml", odoo_hosting_file_sd_host="keeper1", odoo_hosting_file_sd_dir=str(kept))
    assert rc == 0
    written = results(report, "localhost")
    assert written["Create the file_sd directory"]["changed"] is True
    for task in ("Create the file_sd directory", "Write <tenant>.json (sorted by host and job, so a run without change changes nothing)"):
        assert written[task]["_ansible_delegated_vars"]["ansible_host"] == "keeper1"
    assert written_list(kept / "acme.json")[0]["labels"]["tenant"] == "acme"
    assert not (tenant / ".cache").exists()

    rc, report = run(tenant, "write.yml", odoo_hosting_file_sd_host="keeper1", odoo_hosting_file_sd_dir=str(kept))
    assert rc == 0
    assert [result["changed"] for result in results(report, "localhost").values()] == [False, False, False]

    rc, report = run(tenant, "read.yml", odoo_hosting_file_sd_host="keeper1", odoo_hosting_file_sd_dir=str(kept))
    assert rc == 0
    shown = results(report, "keeper1")["Show the tenant"]["msg"]
    assert shown["file_sd_host"] == "keeper1"
    assert shown["file_sd"] == str(kept / "acme.json")
    assert shown["file_sd_text"] == (kept / "acme.json").read_text().strip()
    assert shown["tls_targets"] == HTTPS_TARGETS


@pytest.mark.parametrize("extra, message", [
    ({"odoo_hosting_file_sd_host": "no-such-host"}, "odoo_hosting_file_sd_host (no-such-host) must be empty"),
    ({"odoo_hosting_file_sd_host": "localhost"}, "odoo_hosting_file_sd_host (localhost) must be empty"),
    ({"odoo_hosting_file_sd_host": "keeper1", "odoo_hosting_file_sd_dir": "file_sd"},
     "odoo_hosting_file_sd_dir (file_sd) must be an absolute path on odoo_hosting_file_sd_host (keeper1)"),
])
def test_bad_input_is_refused_before_the_list_is_written(tenant, extra, message):
    rc, report = run(tenant, "write.yml", **extra)
    assert rc != 0
    failed = [result["msg"] for play in report["plays"] for task in play["tasks"]
              for result in task["hosts"].values() if result.get("failed")]
    assert any(message in msg for msg in failed), failed
    assert WRITE_PLAY not in [play["play"]["name"] for play in report["plays"]]


def test_a_list_missing_on_the_host_is_refused_by_name(tenant):
    missing = tenant / "missing"
    rc, report = run(tenant, "read.yml", odoo_hosting_file_sd_host="keeper1", odoo_hosting_file_sd_dir=str(missing))
    assert rc != 0
    msg = results(report, "keeper1")["Check the role's input"]["msg"]
    assert ("monitoring_tenants[0].file_sd (%s/acme.json) could not be read on keeper1 "
            "(monitoring_tenants[0].file_sd_host)" % missing) in msg
