"""odoo_worker_tuning through Ansible on this machine, and both modules' documentation."""

import json
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
COLLECTIONS = os.path.join(ROOT, ".ansible", "collections")


def ansible_env():
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=COLLECTIONS, ANSIBLE_LOAD_CALLBACK_PLUGINS="1",
               ANSIBLE_STDOUT_CALLBACK="ansible.posix.json", ANSIBLE_LOCALHOST_WARNING="0",
               ANSIBLE_INVENTORY_UNPARSED_WARNING="0", ANSIBLE_CONFIG=os.path.join(ROOT, "ansible.cfg"))
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")
    return env


def run_tuning(args, check=False):
    command = ["ansible", "localhost", "-c", "local", "-m", "sysgenpro.odoo_hosting.odoo_worker_tuning",
               "-a", json.dumps(args), "-e", "ansible_python_interpreter=%s" % sys.executable]
    if check:
        command.append("--check")
    proc = subprocess.run(command, cwd=ROOT, env=ansible_env(), capture_output=True, text=True, timeout=120, check=False)
    return json.loads(proc.stdout)["plays"][0]["tasks"][0]["hosts"]["localhost"]


def meminfo_mb():
    with open("/proc/meminfo") as handle:
        for line in handle:
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) // 1024
    raise AssertionError("no MemTotal")


def test_sizes_this_machine():
    result = run_tuning(dict(concurrent_users=12, reserved_memory_mb=128, heavy_request_ratio=0.0,
                             cron_load="none"))
    if result.get("failed"):
        assert result["msg"].startswith("Cannot size Odoo for a host with")
        return
    host = result["host"]
    assert 1 <= host["cpu_count"] <= os.cpu_count()
    assert 1 <= host["memory_mb"] <= meminfo_mb()
    assert result["odoo_config"]["workers"] >= 1
    assert result["capacity"]["memory_expected_mb"] <= host["memory_mb"] - 128
    assert result["changed"] is False


def test_check_mode_and_refusal_through_ansible():
    sized = run_tuning(dict(concurrent_users=60, cron_load="light", cpu_count=4, memory_mb=16384), check=True)
    assert (sized["odoo_config"]["workers"], sized["odoo_config"]["max_cron_threads"]) == (8, 1)
    refused = run_tuning(dict(concurrent_users=60, cpu_count=1, memory_mb=1024))
    assert refused["failed"] and "= 512 MiB is available" in refused["msg"]


@pytest.mark.parametrize("module", ["odoo_tenant_db", "odoo_worker_tuning"])
def test_documentation_renders(module):
    name = "sysgenpro.odoo_hosting." + module
    proc = subprocess.run(["ansible-doc", "--json", name], cwd=ROOT, env=ansible_env(), capture_output=True,
                          text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)[name]
    assert doc["doc"]["module"] == module and doc["examples"] and doc["return"]
    text = subprocess.run(["ansible-doc", name], cwd=ROOT, env=ansible_env(), capture_output=True, text=True,
                          timeout=120, check=False)
    assert text.returncode == 0 and "EXAMPLES" in text.stdout
