"""odoo_worker_tuning's main(): parameters in, results or a refusal out."""

import json

import pytest
from ansible.module_utils.testing import patch_module_args

from ansible_collections.sysgenpro.odoo_hosting.plugins.modules import odoo_worker_tuning


def run(args, capsys):
    with patch_module_args(args):
        with pytest.raises(SystemExit):
            odoo_worker_tuning.main()
    return json.loads(capsys.readouterr().out)


def test_reference_case(capsys):
    result = run(dict(concurrent_users=60, cron_load="light", cpu_count=4, memory_mb=16384), capsys)
    assert not result.get("failed") and result["changed"] is False
    assert (result["odoo_config"]["workers"], result["odoo_config"]["max_cron_threads"]) == (8, 1)
    assert result["host"] == dict(cpu_count=4, memory_mb=16384, cpu_source="option", memory_source="option")
    assert result["postgresql"] == {"max_connections": 119}
    assert "CPU binds: 60 concurrent users need 10 workers" in json.dumps(result["warnings"])


def test_check_mode_gives_the_same_answer(capsys):
    args = dict(concurrent_users=30, cpu_count=2, memory_mb=8192)
    normal = run(args, capsys)
    checked = run(dict(args, _ansible_check_mode=True), capsys)
    assert checked["odoo_config"] == normal["odoo_config"] and checked["changed"] is False


def test_refusal_carries_the_arithmetic(capsys):
    result = run(dict(concurrent_users=10, cpu_count=1, memory_mb=1024), capsys)
    assert result["failed"]
    assert result["msg"].startswith("Cannot size Odoo for a host with 1 CPU and 1024 MiB: even 1 worker + 1 cron")
    assert "= 512 MiB is available" in result["msg"]


@pytest.mark.parametrize("cron_load,threads", [("none", 0), ("light", 1), ("normal", 2), ("heavy", 4)])
def test_cron_load(cron_load, threads, capsys):
    result = run(dict(concurrent_users=6, cron_load=cron_load, cpu_count=8, memory_mb=32768), capsys)
    assert result["odoo_config"]["max_cron_threads"] == threads


@pytest.mark.parametrize("version,has_gevent_option", [("16.0", False), ("17.0", True), ("18.0", True)])
def test_gevent_pool_from_odoo_17(version, has_gevent_option, capsys):
    result = run(dict(concurrent_users=6, odoo_version=version, cpu_count=2, memory_mb=8192), capsys)
    assert ("db_maxconn_gevent" in result["odoo_config"]) is has_gevent_option


def test_detected_host_is_used_and_overridable(monkeypatch, capsys):
    monkeypatch.setattr(odoo_worker_tuning, "detect_host", lambda: dict(
        cpu_count=2, memory_mb=4096, cpu_source="cgroup", memory_source="cgroup"))
    detected = run(dict(concurrent_users=12), capsys)
    assert detected["host"] == dict(cpu_count=2, memory_mb=4096, cpu_source="cgroup", memory_source="cgroup")
    overridden = run(dict(concurrent_users=12, memory_mb=8192), capsys)
    assert overridden["host"] == dict(cpu_count=2, memory_mb=8192, cpu_source="cgroup", memory_source="option")


def test_unreadable_host_fails_clearly(monkeypatch, capsys):
    def broken():
        raise ValueError("cannot read /proc/meminfo")
    monkeypatch.setattr(odoo_worker_tuning, "detect_host", broken)
    result = run(dict(concurrent_users=12), capsys)
    assert result["msg"] == ("Cannot read the host's CPU and memory: cannot read /proc/meminfo; "
                             "set cpu_count and memory_mb")


def test_bad_version_fails_clearly(capsys):
    result = run(dict(concurrent_users=12, cpu_count=2, memory_mb=4096, odoo_version="latest"), capsys)
    assert result["failed"] and "odoo_version 'latest' is not a version" in result["msg"]


def test_no_integration_pool_by_default(capsys):
    result = run(dict(concurrent_users=60, cron_load="light", cpu_count=4, memory_mb=16384), capsys)
    assert result["integration"] == {}
    assert "integration_workers" not in result["capacity"]
    assert result["pgbouncer"] == {"default_pool_size": 96, "max_client_conn": 116}


def test_integration_pool(capsys):
    """8 CPU, 32 GiB, 30 users, 4 calls: (5 + 2 + 1) x 8 + 16 and (4 + 1) x 8 + 16 connections."""
    result = run(dict(concurrent_users=30, cpu_count=8, memory_mb=32768, integration_concurrent_calls=4,
                      integration_limit_time_cpu=120, integration_limit_time_real=180), capsys)
    assert not result.get("failed")
    assert result["integration"] == {
        "odoo_config": {"workers": 4, "max_cron_threads": 0, "limit_memory_soft": 2147483648,
                        "limit_memory_hard": 2684354560, "limit_time_cpu": 120, "limit_time_real": 180,
                        "limit_request": 8192, "db_maxconn": 8, "db_maxconn_gevent": 16},
        "container_memory_limit_mb": 4621,
    }
    assert result["odoo_config"]["limit_time_cpu"] == 600
    assert result["pgbouncer"] == {"default_pool_size": 136, "max_client_conn": 156}
    assert result["postgresql"] == {"max_connections": 159}
    assert result["capacity"]["integration_concurrent_calls"] == 4


def test_integration_pool_refusal(capsys):
    result = run(dict(concurrent_users=6, cpu_count=1, memory_mb=8192, integration_concurrent_calls=2), capsys)
    assert result["failed"]
    assert result["msg"] == ("Cannot size Odoo for a host with 1 CPU and 8192 MiB: 1 worker + 2 cron + 1 integration "
                             "worker = 4 processes, over the (2 x 1 + 1) = 3 that 1 CPU carry")
