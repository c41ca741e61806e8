"""The Odoo sizing arithmetic: reference cases, invariants over a host grid, every refusal."""

import itertools
import math

import pytest

from ansible_collections.sysgenpro.odoo_hosting.plugins.module_utils import worker_tuning as wt

GIB = 1024


def profile(**overrides):
    values = dict(wt.DEFAULT_PROFILE, concurrent_users=60)
    values.update(overrides)
    return values


def host(cpus, memory_mb):
    return dict(cpu_count=cpus, memory_mb=memory_mb)


# --- reference cases ---------------------------------------------------------

def test_odoo_deployment_guide_sample():
    """The guide: 4 CPU, 60 users -> 10 needed, 9 at most, 8 workers + 1 cron, ~3 GB for Odoo."""
    result = wt.compute_tuning(host(4, 16 * GIB), profile(cron_threads=1))
    odoo = result["odoo"]
    assert (odoo["workers"], odoo["max_cron_threads"]) == (8, 1)
    # Odoo's defaults, which the guide's sample keeps.
    assert odoo["limit_memory_soft"] == 2147483648
    assert odoo["limit_memory_hard"] == 2684354560
    assert (odoo["limit_time_cpu"], odoo["limit_time_real"], odoo["limit_request"]) == (600, 1200, 8192)
    # 9 x (0.8 x 150 + 0.2 x 1024) = 2923.2 MiB for workers and cron, + 2 x 150 for master and gevent.
    assert result["capacity"]["memory_expected_mb"] == 3224
    assert (odoo["db_maxconn"], odoo["db_maxconn_gevent"]) == (8, 16)
    assert result["capacity"]["db_connections_per_host"] == 10 * 8 + 16
    assert result["pgbouncer"] == {"default_pool_size": 96, "max_client_conn": 116}
    assert result["postgresql"] == {"max_connections": 119}
    assert result["container_memory_limit_mb"] == math.ceil(3223.2 + 2560 - 324.8)
    assert result["capacity"]["concurrent_users"] == 48
    assert len(result["warnings"]) == 1 and result["warnings"][0].startswith("CPU binds: 60 concurrent users need 10")


def test_small_host_degrades_for_memory():
    """2 CPU, 2 GiB, 30 users: CPU allows 3 workers + 2 cron, 1536 MiB only 1 + 2 (1274.4 MiB)."""
    result = wt.compute_tuning(host(2, 2 * GIB), profile(concurrent_users=30))
    odoo = result["odoo"]
    assert (odoo["workers"], odoo["max_cron_threads"]) == (1, 2)
    assert result["capacity"]["memory_available_mb"] == 1536
    assert result["capacity"]["memory_expected_mb"] == math.ceil(3 * 324.8 + 300)
    assert odoo["limit_memory_hard"] == 1536 * wt.MIB
    assert odoo["limit_memory_soft"] == (1536 * 4 // 5) * wt.MIB
    assert result["container_memory_limit_mb"] == 1536
    assert any(w.startswith("Memory binds: 3 workers + 2 cron") for w in result["warnings"])


def test_large_host_degrades_for_connection_budget():
    """64 CPU, 512 GiB, 1000 users: 167 workers wanted, the 200-connection budget carries 95."""
    result = wt.compute_tuning(host(64, 512 * GIB), profile(concurrent_users=1000))
    odoo = result["odoo"]
    assert (odoo["workers"], odoo["max_cron_threads"], odoo["db_maxconn"]) == (95, 2, 2)
    assert result["capacity"]["db_connections_total"] == (95 + 2 + 1) * 2 + 4 == 200
    assert any(w.startswith("The connection budget binds: 127 workers") for w in result["warnings"])


def test_pre_17_has_no_gevent_pool_option():
    result = wt.compute_tuning(host(4, 16 * GIB), profile(cron_threads=1, odoo_major=16))
    assert "db_maxconn_gevent" not in result["odoo"]
    assert result["capacity"]["db_connections_per_host"] == 11 * 8


def test_app_hosts_share_the_budget():
    result = wt.compute_tuning(host(4, 16 * GIB), profile(cron_threads=1, app_hosts=3))
    assert result["odoo"]["db_maxconn"] == (200 // 3) // 12 == 5
    assert result["capacity"]["db_connections_total"] == 3 * (10 * 5 + 10)
    assert result["pgbouncer"]["default_pool_size"] == 180


def test_few_users_need_few_workers():
    result = wt.compute_tuning(host(16, 64 * GIB), profile(concurrent_users=5, cron_threads=0))
    assert (result["odoo"]["workers"], result["odoo"]["max_cron_threads"]) == (1, 0)
    assert result["warnings"] == []
    assert result["postgresql"]["max_connections"] == wt.POSTGRESQL_MIN_MAX_CONNECTIONS


def test_cron_threads_capped_by_cpu():
    result = wt.compute_tuning(host(1, 8 * GIB), profile(concurrent_users=6, cron_threads=4))
    assert (result["odoo"]["workers"], result["odoo"]["max_cron_threads"]) == (1, 2)
    assert result["warnings"][0] == "CPU binds: 4 cron threads asked, 1 CPU carry at most 2 next to one worker"


# --- invariants over a grid ----------------------------------------------------

CPUS = [1, 2, 4, 8, 16, 32, 64]
MEMORY_GIB = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512]
PROFILES = [
    dict(concurrent_users=1, heavy_request_ratio=0.0, cron_threads=0, reserved_memory_mb=256),
    dict(concurrent_users=10),
    dict(concurrent_users=60, cron_threads=1),
    dict(concurrent_users=200, heavy_request_ratio=0.5, cron_threads=4),
    dict(concurrent_users=1000, heavy_request_ratio=1.0, db_connection_budget=1000, app_hosts=2),
    dict(concurrent_users=5000, reserved_memory_mb=4096, db_connection_budget=50, odoo_major=16),
]
GRID = list(itertools.product(CPUS, MEMORY_GIB, range(len(PROFILES))))


@pytest.mark.parametrize("cpus,memory_gib,profile_index", GRID)
def test_invariants(cpus, memory_gib, profile_index):
    wanted = profile(**PROFILES[profile_index])
    memory = memory_gib * GIB
    available = memory - wanted["reserved_memory_mb"]
    try:
        result = wt.compute_tuning(host(cpus, memory), wanted)
    except wt.TuningRefused as exc:
        message = str(exc)
        assert message.startswith("Cannot size Odoo for a host with %d CPU and %d MiB: " % (cpus, memory))
        assert "=" in message  # the arithmetic is in the message
        smallest_cron = min(wanted["cron_threads"], 1)
        assert (wt.expected_memory_mb(1, smallest_cron, wanted) > available
                or wt.db_maxconn_for(1, smallest_cron, wanted) < wt.DB_MAXCONN_MIN
                or min(2560, available) < wt.MIN_LIMIT_MEMORY_HARD_MB)
        return
    odoo = result["odoo"]
    capacity = result["capacity"]
    workers, cron = odoo["workers"], odoo["max_cron_threads"]
    # A serving host always has a worker, and never more than the users need or the CPUs carry.
    assert workers >= 1
    assert workers <= math.ceil(wanted["concurrent_users"] / 6.0)
    assert workers + cron <= 2 * cpus + 1
    assert cron <= wanted["cron_threads"]
    assert cron >= min(wanted["cron_threads"], 1)
    # Never more memory promised than the host has after reservations.
    assert capacity["memory_available_mb"] == available
    assert wt.expected_memory_mb(workers, cron, wanted) <= available
    assert capacity["memory_expected_mb"] <= result["container_memory_limit_mb"] <= available
    assert wt.MIN_LIMIT_MEMORY_HARD_MB * wt.MIB <= odoo["limit_memory_hard"] <= available * wt.MIB
    assert odoo["limit_memory_soft"] < odoo["limit_memory_hard"]
    # Connection totals fit the budget, and PostgreSQL and PgBouncer carry them.
    assert wt.DB_MAXCONN_MIN <= odoo["db_maxconn"] <= wt.DB_MAXCONN_MAX
    gevent = odoo.get("db_maxconn_gevent", odoo["db_maxconn"])
    assert capacity["db_connections_per_host"] == (workers + cron + 1) * odoo["db_maxconn"] + gevent
    assert capacity["db_connections_total"] == capacity["db_connections_per_host"] * wanted["app_hosts"]
    assert capacity["db_connections_total"] <= wanted["db_connection_budget"]
    assert result["pgbouncer"]["default_pool_size"] == capacity["db_connections_total"]
    assert result["pgbouncer"]["max_client_conn"] > result["pgbouncer"]["default_pool_size"]
    assert result["postgresql"]["max_connections"] >= (capacity["db_connections_total"]
                                                       + wt.SUPERUSER_RESERVED_CONNECTIONS
                                                       + wanted["db_extra_connections"])
    # Degrading is never silent.
    if workers < min(math.ceil(wanted["concurrent_users"] / 6.0), 2 * cpus + 1 - cron):
        assert any("binds" in warning for warning in result["warnings"])


@pytest.mark.parametrize("cpus,profile_index", list(itertools.product(CPUS, range(len(PROFILES)))))
def test_more_memory_never_means_fewer_workers(cpus, profile_index):
    wanted = profile(**PROFILES[profile_index])
    previous = 0
    for memory_gib in MEMORY_GIB:
        try:
            workers = wt.compute_tuning(host(cpus, memory_gib * GIB), wanted)["odoo"]["workers"]
        except wt.TuningRefused:
            assert previous == 0, "a bigger host was refused after a smaller one was accepted"
            continue
        assert workers >= previous
        previous = workers


def test_grid_accepts_and_refuses():
    """The grid covers both outcomes (a guard against a grid that tests nothing)."""
    outcomes = set()
    for cpus, memory_gib, index in GRID:
        try:
            wt.compute_tuning(host(cpus, memory_gib * GIB), profile(**PROFILES[index]))
            outcomes.add("sized")
        except wt.TuningRefused:
            outcomes.add("refused")
    assert outcomes == {"sized", "refused"}


# --- refusals --------------------------------------------------------------------

def test_refuses_when_reservation_takes_everything():
    with pytest.raises(wt.TuningRefused, match=r"^Cannot size Odoo for a host with 2 CPU and 1024 MiB: "
                                               r"1024 MiB - 1024 MiB reserved = 0 MiB leaves no memory for Odoo$"):
        wt.compute_tuning(host(2, 1024), profile(reserved_memory_mb=1024))


def test_refuses_when_one_worker_does_not_fit_in_memory():
    expected = (r"^Cannot size Odoo for a host with 1 CPU and 1024 MiB: even 1 worker \+ 1 cron need "
                r"\(1 \+ 1\) x 324\.8 MiB \+ 2 x 150 MiB \(master, gevent\) = 949\.6 MiB, "
                r"but only 1024 MiB - 512 MiB reserved = 512 MiB is available$")
    with pytest.raises(wt.TuningRefused, match=expected):
        wt.compute_tuning(host(1, 1024), profile())


def test_refuses_when_the_connection_budget_is_too_small():
    expected = (r"^Cannot size Odoo for a host with 4 CPU and 16384 MiB: even 1 worker \+ 1 cron hold 5 connection "
                r"pools of at least 2, 10 x 2 app hosts = 20 connections, over the db_connection_budget of 12$")
    with pytest.raises(wt.TuningRefused, match=expected):
        wt.compute_tuning(host(4, 16 * GIB), profile(db_connection_budget=12, app_hosts=2))


def test_refuses_a_hard_limit_below_the_floor():
    expected = (r"^Cannot size Odoo for a host with 1 CPU and 1024 MiB: limit_memory_hard would be "
                r"min\(2560, 724 MiB available\) = 724 MiB, below the 768 MiB an Odoo process needs$")
    with pytest.raises(wt.TuningRefused, match=expected):
        wt.compute_tuning(host(1, 1024), profile(concurrent_users=1, heavy_request_ratio=0.0, cron_threads=0,
                                                 reserved_memory_mb=300))


@pytest.mark.parametrize("changes,message", [
    (dict(cpu_count=0), "cpu_count must be at least 1"),
    (dict(memory_mb=0), "memory_mb must be at least 1"),
    (dict(concurrent_users=0), "concurrent_users must be at least 1"),
    (dict(heavy_request_ratio=1.5), "heavy_request_ratio must be between 0 and 1"),
    (dict(heavy_request_ratio=-0.1), "heavy_request_ratio must be between 0 and 1"),
    (dict(cron_threads=-1), "cron threads cannot be negative"),
    (dict(reserved_memory_mb=-1), "reserved_memory_mb cannot be negative"),
    (dict(db_connection_budget=0), "db_connection_budget must be at least 1"),
    (dict(app_hosts=0), "app_hosts must be at least 1"),
    (dict(users_per_worker=0), "users_per_worker must be at least 1"),
    (dict(light_worker_memory_mb=0), "light_worker_memory_mb must be at least 1"),
    (dict(heavy_worker_memory_mb=100), "heavy_worker_memory_mb must be at least light_worker_memory_mb"),
    (dict(limit_time_cpu=0), "limit_time_cpu must be at least 1"),
    (dict(limit_time_real=10), "limit_time_real must be at least limit_time_cpu"),
    (dict(limit_time_real_cron=-2), "limit_time_real_cron must be -1, 0 or more"),
    (dict(limit_request=0), "limit_request must be at least 1"),
    (dict(db_extra_connections=-1), "db_extra_connections cannot be negative"),
])
def test_refuses_impossible_inputs(changes, message):
    machine = host(changes.pop("cpu_count", 4), changes.pop("memory_mb", 16 * GIB))
    with pytest.raises(wt.TuningRefused, match="^Cannot size Odoo: %s$" % message):
        wt.compute_tuning(machine, profile(**changes))


@pytest.mark.parametrize("version,major", [("17.0", 17), ("16.0", 16), ("saas~17.2", 17), (18, 18), ("19", 19)])
def test_odoo_major_version(version, major):
    assert wt.odoo_major_version(version) == major


def test_odoo_major_version_refuses_garbage():
    with pytest.raises(wt.TuningRefused, match="odoo_version 'latest' is not a version"):
        wt.odoo_major_version("latest")


# --- reading the host ------------------------------------------------------------

@pytest.mark.parametrize("text,expected", [("max", None), ("max\n", None), ("1073741824\n", 1024),
                                           ("9223372036854771712", None), ("", None)])
def test_parse_memory_limit(text, expected):
    assert wt.parse_memory_limit_mb(text) == expected


@pytest.mark.parametrize("text,expected", [("max 100000", None), ("200000 100000", 2), ("150000 100000", 1),
                                           ("50000 100000", 1), ("400000", 4), ("", None)])
def test_parse_cpu_max(text, expected):
    assert wt.parse_cpu_max(text) == expected


def test_parse_meminfo():
    assert wt.parse_meminfo_mb("MemTotal:       16314260 kB\nMemFree: 1 kB\n") == 15931
    with pytest.raises(ValueError):
        wt.parse_meminfo_mb("MemFree: 1 kB\n")


def _tree(tmp_path, files):
    for path, text in files.items():
        target = tmp_path / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    return str(tmp_path)


MEMINFO = "MemTotal:       33554432 kB\n"  # 32 GiB


def test_detect_host_without_limits(tmp_path):
    root = _tree(tmp_path, {"proc/meminfo": MEMINFO, "proc/self/cgroup": "0::/user.slice/session-1.scope\n",
                            "sys/fs/cgroup/user.slice/memory.max": "max\n"})
    assert wt.detect_host(root, online_cpus=8) == dict(cpu_count=8, memory_mb=32768, cpu_source="cpus",
                                                       memory_source="meminfo")


def test_detect_host_in_a_cgroup_v2_container(tmp_path):
    root = _tree(tmp_path, {"proc/meminfo": MEMINFO, "proc/self/cgroup": "0::/\n",
                            "sys/fs/cgroup/memory.max": "4294967296\n", "sys/fs/cgroup/cpu.max": "200000 100000\n"})
    assert wt.detect_host(root, online_cpus=8) == dict(cpu_count=2, memory_mb=4096, cpu_source="cgroup",
                                                       memory_source="cgroup")


def test_detect_host_takes_the_tightest_ancestor(tmp_path):
    """With cgroupns=host the container's limits sit on a parent of the process's own cgroup."""
    root = _tree(tmp_path, {
        "proc/meminfo": MEMINFO,
        "proc/self/cgroup": "0::/system.slice/docker-abc.scope/init\n",
        "sys/fs/cgroup/system.slice/memory.max": "8589934592\n",
        "sys/fs/cgroup/system.slice/docker-abc.scope/memory.max": "2147483648\n",
        "sys/fs/cgroup/system.slice/docker-abc.scope/cpu.max": "300000 100000\n",
        "sys/fs/cgroup/system.slice/docker-abc.scope/init/memory.max": "max\n",
    })
    assert wt.detect_host(root, online_cpus=16)[("cpu_count")] == 3
    assert wt.detect_host(root, online_cpus=16)["memory_mb"] == 2048


def test_detect_host_cgroup_v1(tmp_path):
    root = _tree(tmp_path, {
        "proc/meminfo": MEMINFO,
        "proc/self/cgroup": "12:memory:/docker/abc\n4:cpu,cpuacct:/docker/abc\n",
        "sys/fs/cgroup/memory/docker/abc/memory.limit_in_bytes": "1073741824\n",
        "sys/fs/cgroup/cpu,cpuacct/docker/abc/cpu.cfs_quota_us": "-1\n",
        "sys/fs/cgroup/cpu,cpuacct/docker/abc/cpu.cfs_period_us": "100000\n",
        "sys/fs/cgroup/cpu,cpuacct/docker/cpu.cfs_quota_us": "100000\n",
        "sys/fs/cgroup/cpu,cpuacct/docker/cpu.cfs_period_us": "100000\n",
    })
    assert wt.detect_host(root, online_cpus=4) == dict(cpu_count=1, memory_mb=1024, cpu_source="cgroup",
                                                       memory_source="cgroup")


def test_detect_host_needs_meminfo(tmp_path):
    with pytest.raises(ValueError, match="cannot read"):
        wt.detect_host(str(tmp_path), online_cpus=1)


# --- the integration pool --------------------------------------------------------

# compute_tuning's results before the integration pool existed (taken from that version, whole).
RESULTS_WITHOUT_INTEGRATION_POOL = [
    ((4, 16384),
     {"concurrent_users": 60, "cron_threads": 1},
     {"arithmetic": ["memory for Odoo = 16384 MiB - 512 MiB reserved = 15872 MiB",
                     "workers needed = ceil(60 users / 6 per worker) = 10; CPU allows (2 x 4 + 1) - 1 cron = 8; "
                     "workers = 8",
                     "average worker memory = 0.8 x 150 + 0.2 x 1024 = 324.8 MiB",
                     "expected memory = (8 workers + 1 cron) x 324.8 + 2 x 150 (master, gevent) = 3223.2 MiB",
                     "limit_memory_hard = min(2560, 15872 available) = 2560 MiB; limit_memory_soft = min(2048, "
                     "0.8 x hard) = 2048 MiB (virtual memory per process)",
                     "container memory limit = min(15872 available, 3223.2 expected + (2560 hard - 324.8 "
                     "average)) = 5459 MiB",
                     "db_maxconn = min(8, (200 budget / 1 app hosts) / 12 pools) = 8",
                     "connections per host = (8 workers + 1 cron + 1 master) x 8 + 16 gevent = 96; x 1 app hosts "
                     "= 96",
                     "max_connections = max(100, 96 + 3 superuser reserved + 20 extra) = 119"],
      "capacity": {"concurrent_users": 48,
                   "db_connections_per_host": 96,
                   "db_connections_total": 96,
                   "memory_available_mb": 15872,
                   "memory_expected_mb": 3224},
      "container_memory_limit_mb": 5459,
      "odoo": {"db_maxconn": 8,
               "db_maxconn_gevent": 16,
               "limit_memory_hard": 2684354560,
               "limit_memory_soft": 2147483648,
               "limit_request": 8192,
               "limit_time_cpu": 600,
               "limit_time_real": 1200,
               "limit_time_real_cron": 3600,
               "max_cron_threads": 1,
               "workers": 8},
      "pgbouncer": {"default_pool_size": 96, "max_client_conn": 116},
      "postgresql": {"max_connections": 119},
      "warnings": ["CPU binds: 60 concurrent users need 10 workers, 4 CPU carry 8 workers + 1 cron; expect "
                   "queued requests beyond about 48 users"]}),
    ((2, 2048),
     {"concurrent_users": 30},
     {"arithmetic": ["memory for Odoo = 2048 MiB - 512 MiB reserved = 1536 MiB",
                     "workers needed = ceil(30 users / 6 per worker) = 5; CPU allows (2 x 2 + 1) - 2 cron = 3; "
                     "workers = 3",
                     "average worker memory = 0.8 x 150 + 0.2 x 1024 = 324.8 MiB",
                     "expected memory = (1 workers + 2 cron) x 324.8 + 2 x 150 (master, gevent) = 1274.4 MiB",
                     "limit_memory_hard = min(2560, 1536 available) = 1536 MiB; limit_memory_soft = min(2048, "
                     "0.8 x hard) = 1228 MiB (virtual memory per process)",
                     "container memory limit = min(1536 available, 1274.4 expected + (1536 hard - 324.8 "
                     "average)) = 1536 MiB",
                     "db_maxconn = min(8, (200 budget / 1 app hosts) / 6 pools) = 8",
                     "connections per host = (1 workers + 2 cron + 1 master) x 8 + 16 gevent = 48; x 1 app hosts "
                     "= 48",
                     "max_connections = max(100, 48 + 3 superuser reserved + 20 extra) = 100"],
      "capacity": {"concurrent_users": 6,
                   "db_connections_per_host": 48,
                   "db_connections_total": 48,
                   "memory_available_mb": 1536,
                   "memory_expected_mb": 1275},
      "container_memory_limit_mb": 1536,
      "odoo": {"db_maxconn": 8,
               "db_maxconn_gevent": 16,
               "limit_memory_hard": 1610612736,
               "limit_memory_soft": 1287651328,
               "limit_request": 8192,
               "limit_time_cpu": 600,
               "limit_time_real": 1200,
               "limit_time_real_cron": 3600,
               "max_cron_threads": 2,
               "workers": 1},
      "pgbouncer": {"default_pool_size": 48, "max_client_conn": 68},
      "postgresql": {"max_connections": 100},
      "warnings": ["CPU binds: 30 concurrent users need 5 workers, 2 CPU carry 3 workers + 2 cron; expect queued "
                   "requests beyond about 18 users",
                   "Memory binds: 3 workers + 2 cron would need 1924 MiB of 1536 MiB and 8 pools; degraded to 1 "
                   "workers + 2 cron, about 6 concurrent users"]}),
    ((64, 524288),
     {"concurrent_users": 1000},
     {"arithmetic": ["memory for Odoo = 524288 MiB - 512 MiB reserved = 523776 MiB",
                     "workers needed = ceil(1000 users / 6 per worker) = 167; CPU allows (2 x 64 + 1) - 2 cron = "
                     "127; workers = 127",
                     "average worker memory = 0.8 x 150 + 0.2 x 1024 = 324.8 MiB",
                     "expected memory = (95 workers + 2 cron) x 324.8 + 2 x 150 (master, gevent) = 31805.6 MiB",
                     "limit_memory_hard = min(2560, 523776 available) = 2560 MiB; limit_memory_soft = min(2048, "
                     "0.8 x hard) = 2048 MiB (virtual memory per process)",
                     "container memory limit = min(523776 available, 31805.6 expected + (2560 hard - 324.8 "
                     "average)) = 34041 MiB",
                     "db_maxconn = min(8, (200 budget / 1 app hosts) / 100 pools) = 2",
                     "connections per host = (95 workers + 2 cron + 1 master) x 2 + 4 gevent = 200; x 1 app "
                     "hosts = 200",
                     "max_connections = max(100, 200 + 3 superuser reserved + 20 extra) = 223"],
      "capacity": {"concurrent_users": 570,
                   "db_connections_per_host": 200,
                   "db_connections_total": 200,
                   "memory_available_mb": 523776,
                   "memory_expected_mb": 31806},
      "container_memory_limit_mb": 34041,
      "odoo": {"db_maxconn": 2,
               "db_maxconn_gevent": 4,
               "limit_memory_hard": 2684354560,
               "limit_memory_soft": 2147483648,
               "limit_request": 8192,
               "limit_time_cpu": 600,
               "limit_time_real": 1200,
               "limit_time_real_cron": 3600,
               "max_cron_threads": 2,
               "workers": 95},
      "pgbouncer": {"default_pool_size": 200, "max_client_conn": 220},
      "postgresql": {"max_connections": 223},
      "warnings": ["CPU binds: 1000 concurrent users need 167 workers, 64 CPU carry 127 workers + 2 cron; expect "
                   "queued requests beyond about 762 users",
                   "The connection budget binds: 127 workers + 2 cron would need 42199.2 MiB of 523776 MiB and "
                   "132 pools; degraded to 95 workers + 2 cron, about 570 concurrent users"]}),
    ((4, 16384),
     {"app_hosts": 3, "concurrent_users": 60, "cron_threads": 1, "odoo_major": 16},
     {"arithmetic": ["memory for Odoo = 16384 MiB - 512 MiB reserved = 15872 MiB",
                     "workers needed = ceil(60 users / 6 per worker) = 10; CPU allows (2 x 4 + 1) - 1 cron = 8; "
                     "workers = 8",
                     "average worker memory = 0.8 x 150 + 0.2 x 1024 = 324.8 MiB",
                     "expected memory = (8 workers + 1 cron) x 324.8 + 2 x 150 (master, gevent) = 3223.2 MiB",
                     "limit_memory_hard = min(2560, 15872 available) = 2560 MiB; limit_memory_soft = min(2048, "
                     "0.8 x hard) = 2048 MiB (virtual memory per process)",
                     "container memory limit = min(15872 available, 3223.2 expected + (2560 hard - 324.8 "
                     "average)) = 5459 MiB",
                     "db_maxconn = min(8, (200 budget / 3 app hosts) / 11 pools) = 6",
                     "connections per host = (8 workers + 1 cron + 1 master) x 6 + 6 gevent = 66; x 3 app hosts "
                     "= 198",
                     "max_connections = max(100, 198 + 3 superuser reserved + 20 extra) = 221"],
      "capacity": {"concurrent_users": 48,
                   "db_connections_per_host": 66,
                   "db_connections_total": 198,
                   "memory_available_mb": 15872,
                   "memory_expected_mb": 3224},
      "container_memory_limit_mb": 5459,
      "odoo": {"db_maxconn": 6,
               "limit_memory_hard": 2684354560,
               "limit_memory_soft": 2147483648,
               "limit_request": 8192,
               "limit_time_cpu": 600,
               "limit_time_real": 1200,
               "limit_time_real_cron": 3600,
               "max_cron_threads": 1,
               "workers": 8},
      "pgbouncer": {"default_pool_size": 198, "max_client_conn": 218},
      "postgresql": {"max_connections": 221},
      "warnings": ["CPU binds: 60 concurrent users need 10 workers, 4 CPU carry 8 workers + 1 cron; expect "
                   "queued requests beyond about 48 users"]}),
]


@pytest.mark.parametrize("machine,overrides,before", RESULTS_WITHOUT_INTEGRATION_POOL)
def test_without_integration_pool_the_result_is_unchanged(machine, overrides, before):
    assert wt.compute_tuning(host(*machine), profile(**overrides)) == before


@pytest.mark.parametrize("machine,overrides,before", RESULTS_WITHOUT_INTEGRATION_POOL)
def test_integration_options_do_nothing_without_calls(machine, overrides, before):
    """With 0 calls the other integration options change nothing, and a profile may leave them all out."""
    off = profile(integration_concurrent_calls=0, integration_heavy_request_ratio=1.0,
                  integration_limit_time_cpu=5, integration_limit_time_real=5, **overrides)
    assert wt.compute_tuning(host(*machine), off) == before
    legacy = dict(profile(**overrides))
    for key in wt.INTEGRATION_DEFAULTS:
        del legacy[key]
    assert wt.compute_tuning(host(*machine), legacy) == before


def test_integration_pool_connections_reach_pgbouncer_and_postgresql():
    """8 CPU, 32 GiB, 30 users, 2 cron, 4 calls: 5 + 2 + 4 of 17 processes, nothing binds."""
    result = wt.compute_tuning(host(8, 32 * GIB), profile(concurrent_users=30, integration_concurrent_calls=4))
    assert (result["odoo"]["workers"], result["odoo"]["max_cron_threads"]) == (5, 2)
    assert result["warnings"] == []
    # Pools: users 5 + 2 + 1 master + 2 gevent = 10, integration 4 + 1 master + 2 gevent = 7;
    # db_maxconn = min(8, 200 // 17 = 11) = 8.
    assert (result["odoo"]["db_maxconn"], result["odoo"]["db_maxconn_gevent"]) == (8, 16)
    # Users: 8 x 8 + 16 = 80; integration: 5 x 8 + 16 = 56.
    assert result["capacity"]["db_connections_per_host"] == 136
    assert result["capacity"]["integration_db_connections_per_host"] == 56
    assert result["capacity"]["db_connections_total"] == 136
    assert result["pgbouncer"] == {"default_pool_size": 136, "max_client_conn": 156}
    assert result["postgresql"] == {"max_connections": 159}
    assert result["integration"] == {
        "odoo": {"workers": 4, "max_cron_threads": 0, "limit_memory_soft": 2048 * wt.MIB,
                 "limit_memory_hard": 2560 * wt.MIB, "limit_time_cpu": 300, "limit_time_real": 600,
                 "limit_request": 8192, "db_maxconn": 8, "db_maxconn_gevent": 16},
        # min(32256 - 2573.6, 2648 + 2560 - 587) = 4621
        "container_memory_limit_mb": 4621,
    }
    # Users: 7 x 324.8 + 300 = 2573.6; integration: 4 x (0.5 x 150 + 0.5 x 1024) + 300 = 2648.
    assert result["capacity"]["memory_expected_mb"] == 5222
    assert result["capacity"]["integration_memory_expected_mb"] == 2648
    assert (result["capacity"]["integration_concurrent_calls"], result["capacity"]["integration_workers"]) == (4, 4)
    # min(32256 - 2648, 2573.6 + 2560 - 324.8) = 4808.8
    assert result["container_memory_limit_mb"] == 4809


def test_integration_pool_is_multiplied_by_app_hosts():
    """Two hosts: 100 connections each over 17 pools gives db_maxconn 5."""
    result = wt.compute_tuning(host(8, 32 * GIB), profile(concurrent_users=30, integration_concurrent_calls=4,
                                                          app_hosts=2))
    assert result["odoo"]["db_maxconn"] == result["integration"]["odoo"]["db_maxconn"] == 5
    # (5 + 2 + 1) x 5 + 10 + (4 + 1) x 5 + 10 = 85 per host.
    assert result["capacity"]["db_connections_per_host"] == 85
    assert result["pgbouncer"] == {"default_pool_size": 170, "max_client_conn": 190}
    assert result["postgresql"] == {"max_connections": 193}


def test_integration_pool_before_odoo_17():
    """Odoo 16: gevent uses db_maxconn; pools 9 + 6 = 15, db_maxconn 8, (8 + 1) x 8 + (5 + 1) x 8 connections."""
    result = wt.compute_tuning(host(8, 32 * GIB), profile(concurrent_users=30, integration_concurrent_calls=4,
                                                          odoo_major=16))
    assert "db_maxconn_gevent" not in result["integration"]["odoo"]
    assert result["capacity"]["db_connections_per_host"] == 120
    assert result["pgbouncer"]["default_pool_size"] == 120
    assert result["postgresql"]["max_connections"] == 143


def test_cpu_lowers_the_integration_pool_and_keeps_the_users_workers():
    """4 CPU, 30 users, 2 cron: the users keep their 5 workers, the pool gets the 2 processes left of 9."""
    result = wt.compute_tuning(host(4, 16 * GIB), profile(concurrent_users=30, integration_concurrent_calls=4))
    assert (result["odoo"]["workers"], result["odoo"]["max_cron_threads"]) == (5, 2)
    assert result["integration"]["odoo"]["workers"] == 2
    assert result["capacity"]["integration_concurrent_calls"] == 2
    assert result["warnings"] == ["CPU binds: 4 integration calls need 4 integration workers, 4 CPU carry 5 workers "
                                  "+ 2 cron + 2 integration workers; expect integration calls to queue beyond 2 at "
                                  "once"]


def test_cpu_keeps_one_integration_worker_when_the_users_take_the_rest():
    """The guide's case with 4 calls: 9 processes = 7 workers + 1 cron + 1 integration worker."""
    result = wt.compute_tuning(host(4, 16 * GIB), profile(cron_threads=1, integration_concurrent_calls=4))
    assert (result["odoo"]["workers"], result["odoo"]["max_cron_threads"]) == (7, 1)
    assert result["integration"]["odoo"]["workers"] == 1
    assert result["capacity"]["concurrent_users"] == 42
    assert result["warnings"] == [
        "CPU binds: 60 concurrent users need 10 workers, 4 CPU carry 7 workers + 1 cron + 1 integration worker; "
        "expect queued requests beyond about 42 users",
        "CPU binds: 4 integration calls need 4 integration workers, 4 CPU carry 7 workers + 1 cron + 1 integration "
        "workers; expect integration calls to queue beyond 1 at once",
    ]


def test_refuses_when_one_integration_worker_does_not_fit_the_cpu():
    expected = (r"^Cannot size Odoo for a host with 1 CPU and 8192 MiB: 1 worker \+ 2 cron \+ 1 integration worker "
                r"= 4 processes, over the \(2 x 1 \+ 1\) = 3 that 1 CPU carry$")
    with pytest.raises(wt.TuningRefused, match=expected):
        wt.compute_tuning(host(1, 8 * GIB), profile(concurrent_users=6, integration_concurrent_calls=2))
    # The same host without cron work carries it.
    result = wt.compute_tuning(host(1, 8 * GIB), profile(concurrent_users=6, cron_threads=1,
                                                         integration_concurrent_calls=2))
    assert (result["odoo"]["workers"], result["odoo"]["max_cron_threads"]) == (1, 1)
    assert result["integration"]["odoo"]["workers"] == 1


def test_memory_lowers_the_integration_pool_first():
    """8 CPU, 4 GiB: 3584 MiB; users 3 x 324.8 + 300 = 1274.4; 4 calls need 4 x 587 + 300 = 2648, 3 need 2061."""
    result = wt.compute_tuning(host(8, 4 * GIB), profile(concurrent_users=12, cron_threads=1,
                                                         integration_concurrent_calls=4))
    assert (result["odoo"]["workers"], result["odoo"]["max_cron_threads"]) == (2, 1)
    assert result["integration"]["odoo"]["workers"] == 3
    assert result["capacity"]["memory_available_mb"] == 3584
    assert result["capacity"]["integration_memory_expected_mb"] == 2061
    assert result["capacity"]["memory_expected_mb"] == 3336  # ceil(1274.4 + 2061)
    # Each container: its own load plus one worker's growth, at most what the other leaves.
    assert result["container_memory_limit_mb"] == 3584 - 2061
    assert result["integration"]["container_memory_limit_mb"] == 2310  # ceil(3584 - 1274.4)
    assert result["warnings"] == [
        "Memory binds: 2 workers + 1 cron + 4 integration workers would need 3922.4 MiB of 3584 MiB and 13 pools; "
        "the integration pool degraded to 3 workers, about 3 concurrent integration calls"]


def test_memory_lowers_the_users_workers_only_after_the_integration_pool_is_at_one():
    """8 CPU, 3 GiB: 2560 MiB. 5 + 1 and 2 calls need 2248.8 + 1474; at 1 call still 3135.8; 3 + 1 fit (2486.2)."""
    result = wt.compute_tuning(host(8, 3 * GIB), profile(concurrent_users=30, cron_threads=1,
                                                         integration_concurrent_calls=2))
    assert (result["odoo"]["workers"], result["odoo"]["max_cron_threads"]) == (3, 1)
    assert result["integration"]["odoo"]["workers"] == 1
    assert result["capacity"]["memory_expected_mb"] == 2487
    assert result["warnings"] == [
        "Memory binds: 5 workers + 1 cron + 2 integration workers would need 3722.8 MiB of 2560 MiB and 14 pools; "
        "the integration pool degraded to 1 workers, about 1 concurrent integration calls",
        "Memory binds: 5 workers + 1 cron + 1 integration workers would need 3135.8 MiB of 2560 MiB and 13 pools; "
        "degraded to 3 workers + 1 cron, about 18 concurrent users"]


def test_connection_budget_lowers_the_integration_pool_first():
    """Budget 20: 2 workers + 1 cron (6 pools) and 3 calls (6 pools) need 24; with 1 call 10 pools x 2 = 20."""
    result = wt.compute_tuning(host(4, 16 * GIB), profile(concurrent_users=12, cron_threads=1,
                                                          integration_concurrent_calls=3, db_connection_budget=20))
    assert (result["odoo"]["workers"], result["integration"]["odoo"]["workers"]) == (2, 1)
    assert result["odoo"]["db_maxconn"] == 2
    assert result["pgbouncer"]["default_pool_size"] == 20
    assert result["warnings"][0].startswith("The connection budget binds: 2 workers + 1 cron + 3 integration workers")


def test_refuses_when_the_integration_pool_does_not_fit_in_memory():
    expected = (r"^Cannot size Odoo for a host with 2 CPU and 2048 MiB: even 1 worker \+ 1 cron and 1 integration "
                r"worker need \(1 \+ 1\) x 324\.8 MiB \+ 2 x 150 MiB \(master, gevent\) \+ 1 x 587 MiB \+ 2 x 150 MiB "
                r"\(integration master, gevent\) = 1836\.6 MiB, but only 2048 MiB - 512 MiB reserved = 1536 MiB "
                r"is available$")
    with pytest.raises(wt.TuningRefused, match=expected):
        wt.compute_tuning(host(2, 2 * GIB), profile(concurrent_users=18, cron_threads=1,
                                                    integration_concurrent_calls=3))


def test_refuses_when_the_integration_pool_does_not_fit_the_connection_budget():
    expected = (r"^Cannot size Odoo for a host with 4 CPU and 16384 MiB: even 1 worker \+ 1 cron and 1 integration "
                r"worker hold 9 connection pools of at least 2, 18 x 1 app hosts = 18 connections, over the "
                r"db_connection_budget of 12$")
    with pytest.raises(wt.TuningRefused, match=expected):
        wt.compute_tuning(host(4, 16 * GIB), profile(concurrent_users=6, cron_threads=1,
                                                     integration_concurrent_calls=1, db_connection_budget=12))


def test_integration_time_limits_and_heavy_ratio_are_its_own():
    result = wt.compute_tuning(host(8, 32 * GIB), profile(
        concurrent_users=6, cron_threads=0, integration_concurrent_calls=2, integration_heavy_request_ratio=1.0,
        integration_limit_time_cpu=60, integration_limit_time_real=90))
    assert (result["odoo"]["limit_time_cpu"], result["odoo"]["limit_time_real"]) == (600, 1200)
    integration = result["integration"]["odoo"]
    assert (integration["limit_time_cpu"], integration["limit_time_real"]) == (60, 90)
    assert result["capacity"]["integration_memory_expected_mb"] == 2 * 1024 + 300
    assert "integration average worker memory = 0 x 150 + 1 x 1024 = 1024 MiB" in result["arithmetic"]


@pytest.mark.parametrize("changes,message", [
    (dict(integration_concurrent_calls=-1), "integration_concurrent_calls cannot be negative"),
    (dict(integration_heavy_request_ratio=1.1), "integration_heavy_request_ratio must be between 0 and 1"),
    (dict(integration_limit_time_cpu=0), "integration_limit_time_cpu must be at least 1"),
    (dict(integration_limit_time_real=200),
     "integration_limit_time_real must be at least integration_limit_time_cpu"),
])
def test_refuses_impossible_integration_inputs(changes, message):
    with pytest.raises(wt.TuningRefused, match="^Cannot size Odoo: %s$" % message):
        wt.compute_tuning(host(4, 16 * GIB), profile(**changes))


INTEGRATION_CALLS = [1, 3, 20]


@pytest.mark.parametrize("cpus,memory_gib,profile_index,calls",
                         list(itertools.product(CPUS, MEMORY_GIB, range(len(PROFILES)), INTEGRATION_CALLS)))
def test_integration_invariants(cpus, memory_gib, profile_index, calls):
    wanted = profile(integration_concurrent_calls=calls, **PROFILES[profile_index])
    available = memory_gib * GIB - wanted["reserved_memory_mb"]
    try:
        result = wt.compute_tuning(host(cpus, memory_gib * GIB), wanted)
    except wt.TuningRefused as exc:
        assert str(exc).startswith("Cannot size Odoo for a host with %d CPU and %d MiB: " % (cpus, memory_gib * GIB))
        return
    odoo, pool, capacity = result["odoo"], result["integration"]["odoo"], result["capacity"]
    workers, cron, integration = odoo["workers"], odoo["max_cron_threads"], pool["workers"]
    assert 1 <= integration <= calls
    assert capacity["integration_workers"] == capacity["integration_concurrent_calls"] == integration
    assert pool["max_cron_threads"] == 0
    # CPU: one process cap for all three.
    assert workers + cron + integration <= 2 * cpus + 1
    # Users first: their workers are lowered only once the integration pool is down to one worker.
    cpu_workers = min(math.ceil(wanted["concurrent_users"] / 6.0), 2 * cpus - cron)
    if workers < cpu_workers:
        assert integration == 1
    # Memory: both pools together within the memory for Odoo, each container within what the other leaves.
    both = wt.expected_memory_mb(workers, cron, wanted) + wt.integration_memory_mb(integration, wanted)
    assert both <= available
    assert capacity["memory_expected_mb"] == math.ceil(both)
    assert result["container_memory_limit_mb"] + capacity["integration_memory_expected_mb"] <= available + 1
    assert result["integration"]["container_memory_limit_mb"] <= available
    # Connections: every process of both pools counted, within the budget, and in PgBouncer and PostgreSQL.
    gevent = odoo.get("db_maxconn_gevent", odoo["db_maxconn"])
    assert pool["db_maxconn"] == odoo["db_maxconn"] and pool.get("db_maxconn_gevent") == odoo.get("db_maxconn_gevent")
    per_host = (workers + cron + 1) * odoo["db_maxconn"] + gevent + (integration + 1) * odoo["db_maxconn"] + gevent
    assert capacity["db_connections_per_host"] == per_host
    assert capacity["db_connections_total"] == per_host * wanted["app_hosts"] <= wanted["db_connection_budget"]
    assert result["pgbouncer"]["default_pool_size"] == capacity["db_connections_total"]
    assert result["postgresql"]["max_connections"] >= (capacity["db_connections_total"]
                                                       + wt.SUPERUSER_RESERVED_CONNECTIONS
                                                       + wanted["db_extra_connections"])
    if integration < calls:
        assert any("integration" in warning and "binds" in warning for warning in result["warnings"])


# --- the job pool ----------------------------------------------------------------

@pytest.mark.parametrize("machine,overrides,before", RESULTS_WITHOUT_INTEGRATION_POOL)
def test_job_options_do_nothing_without_capacity(machine, overrides, before):
    """With jobs_capacity 0 the other job options change nothing, and a profile may leave them all out."""
    off = profile(jobs_capacity=0, jobs_heavy_request_ratio=1.0, jobs_limit_time_cpu=5, jobs_limit_time_real=5,
                  jobs_databases=40, **overrides)
    assert wt.compute_tuning(host(*machine), off) == before
    legacy = dict(profile(**overrides))
    for key in wt.JOBS_DEFAULTS:
        del legacy[key]
    assert wt.compute_tuning(host(*machine), legacy) == before


def test_job_options_leave_the_integration_pool_alone_without_capacity():
    """The integration pool's reference case, with every job option set but the pool off."""
    with_options = wt.compute_tuning(host(8, 32 * GIB), profile(
        concurrent_users=30, integration_concurrent_calls=4, jobs_heavy_request_ratio=1.0, jobs_limit_time_cpu=5,
        jobs_limit_time_real=5, jobs_databases=40))
    assert "jobs" not in with_options
    assert with_options["capacity"]["db_connections_per_host"] == 136
    assert with_options["postgresql"] == {"max_connections": 159}
    assert with_options["integration"]["container_memory_limit_mb"] == 4621


JOB_ODOO_8 = {"workers": 2, "max_cron_threads": 0, "limit_memory_soft": 2048 * wt.MIB,
              "limit_memory_hard": 2560 * wt.MIB, "limit_time_cpu": 1800, "limit_time_real": 3600,
              "limit_request": 8192, "db_maxconn": 8, "db_maxconn_gevent": 16}


def test_job_pool_on_a_small_host():
    """2 CPU, 8 GiB, 6 users, 1 cron, 2 jobs: 1 + 1 + 2 of 5 processes, nothing binds."""
    result = wt.compute_tuning(host(2, 8 * GIB), profile(concurrent_users=6, cron_threads=1, jobs_capacity=2))
    assert result == {
        "arithmetic": [
            "memory for Odoo = 8192 MiB - 512 MiB reserved = 7680 MiB",
            "workers needed = ceil(6 users / 6 per worker) = 1; CPU allows (2 x 2 + 1) - 1 cron - 1 job worker = 3; "
            "workers = 1",
            "job workers needed = 2 jobs at once (one worker each); CPU leaves (2 x 2 + 1) - 1 workers - 1 cron = 3; "
            "job workers = 2",
            "average worker memory = 0.8 x 150 + 0.2 x 1024 = 324.8 MiB",
            "job average worker memory = 0.5 x 150 + 0.5 x 1024 = 587 MiB",
            "expected memory = (1 workers + 1 cron) x 324.8 + 2 x 150 (master, gevent) = 949.6 MiB",
            "job expected memory = 2 workers x 587 + 3 x 150 (master, gevent, runner) = 1624 MiB; host expected = "
            "949.6 + 1624 = 2573.6 MiB",
            "limit_memory_hard = min(2560, 7680 available) = 2560 MiB; limit_memory_soft = min(2048, 0.8 x hard) = "
            "2048 MiB (virtual memory per process)",
            "container memory limit = min(7680 available - 1624 job expected, 949.6 expected + (2560 hard - 324.8 "
            "average)) = 3185 MiB",
            "job container memory limit = min(7680 available - 949.6 expected, 1624 job expected + (2560 hard - 587 "
            "job average)) = 3597 MiB",
            "db_maxconn = min(8, ((200 budget / 1 app hosts) - 1 runner) / (5 + 5 jobs) pools) = 8",
            "connections per host = (1 workers + 1 cron + 1 master) x 8 + 16 gevent + (2 job workers + 1 master) x 8 "
            "+ 16 job gevent + 1 runner = 81; x 1 app hosts = 81",
            "max_connections = max(100, 81 + 3 superuser reserved + 20 extra) = 104",
        ],
        "capacity": {"concurrent_users": 6, "memory_available_mb": 7680, "memory_expected_mb": 2574,
                     "db_connections_per_host": 81, "db_connections_total": 81, "jobs_capacity": 2,
                     "jobs_workers": 2, "jobs_memory_expected_mb": 1624, "jobs_db_connections_per_host": 41},
        "container_memory_limit_mb": 3185,
        "jobs": {"odoo": JOB_ODOO_8, "container_memory_limit_mb": 3597},
        "odoo": {"workers": 1, "max_cron_threads": 1, "limit_memory_soft": 2048 * wt.MIB,
                 "limit_memory_hard": 2560 * wt.MIB, "limit_time_cpu": 600, "limit_time_real": 1200,
                 "limit_time_real_cron": 3600, "limit_request": 8192, "db_maxconn": 8, "db_maxconn_gevent": 16},
        "pgbouncer": {"default_pool_size": 81, "max_client_conn": 101},
        "postgresql": {"max_connections": 104},
        "warnings": [],
    }


def test_job_pool_on_a_large_host():
    """32 CPU, 128 GiB, 120 users, 8 jobs: 25 + 11 pools share 199 connections, so db_maxconn 5 (8 without jobs)."""
    result = wt.compute_tuning(host(32, 128 * GIB), profile(concurrent_users=120, jobs_capacity=8))
    assert result == {
        "arithmetic": [
            "memory for Odoo = 131072 MiB - 512 MiB reserved = 130560 MiB",
            "workers needed = ceil(120 users / 6 per worker) = 20; CPU allows (2 x 32 + 1) - 2 cron - 1 job worker = "
            "62; workers = 20",
            "job workers needed = 8 jobs at once (one worker each); CPU leaves (2 x 32 + 1) - 20 workers - 2 cron = "
            "43; job workers = 8",
            "average worker memory = 0.8 x 150 + 0.2 x 1024 = 324.8 MiB",
            "job average worker memory = 0.5 x 150 + 0.5 x 1024 = 587 MiB",
            "expected memory = (20 workers + 2 cron) x 324.8 + 2 x 150 (master, gevent) = 7445.6 MiB",
            "job expected memory = 8 workers x 587 + 3 x 150 (master, gevent, runner) = 5146 MiB; host expected = "
            "7445.6 + 5146 = 12591.6 MiB",
            "limit_memory_hard = min(2560, 130560 available) = 2560 MiB; limit_memory_soft = min(2048, 0.8 x hard) = "
            "2048 MiB (virtual memory per process)",
            "container memory limit = min(130560 available - 5146 job expected, 7445.6 expected + (2560 hard - 324.8 "
            "average)) = 9681 MiB",
            "job container memory limit = min(130560 available - 7445.6 expected, 5146 job expected + (2560 hard - "
            "587 job average)) = 7119 MiB",
            "db_maxconn = min(8, ((200 budget / 1 app hosts) - 1 runner) / (25 + 11 jobs) pools) = 5",
            "connections per host = (20 workers + 2 cron + 1 master) x 5 + 10 gevent + (8 job workers + 1 master) x 5 "
            "+ 10 job gevent + 1 runner = 181; x 1 app hosts = 181",
            "max_connections = max(100, 181 + 3 superuser reserved + 20 extra) = 204",
        ],
        "capacity": {"concurrent_users": 120, "memory_available_mb": 130560, "memory_expected_mb": 12592,
                     "db_connections_per_host": 181, "db_connections_total": 181, "jobs_capacity": 8,
                     "jobs_workers": 8, "jobs_memory_expected_mb": 5146, "jobs_db_connections_per_host": 56},
        "container_memory_limit_mb": 9681,
        "jobs": {"odoo": dict(JOB_ODOO_8, workers=8, db_maxconn=5, db_maxconn_gevent=10),
                 "container_memory_limit_mb": 7119},
        "odoo": {"workers": 20, "max_cron_threads": 2, "limit_memory_soft": 2048 * wt.MIB,
                 "limit_memory_hard": 2560 * wt.MIB, "limit_time_cpu": 600, "limit_time_real": 1200,
                 "limit_time_real_cron": 3600, "limit_request": 8192, "db_maxconn": 5, "db_maxconn_gevent": 10},
        "pgbouncer": {"default_pool_size": 181, "max_client_conn": 201},
        "postgresql": {"max_connections": 204},
        "warnings": [],
    }


def test_job_pool_beside_the_integration_pool():
    """8 CPU, 32 GiB, 30 users, 2 cron, 4 calls, 2 jobs: 5 + 2 + 4 + 2 of 17 processes, nothing binds."""
    result = wt.compute_tuning(host(8, 32 * GIB), profile(concurrent_users=30, integration_concurrent_calls=4,
                                                          jobs_capacity=2))
    assert result == {
        "arithmetic": [
            "memory for Odoo = 32768 MiB - 512 MiB reserved = 32256 MiB",
            "workers needed = ceil(30 users / 6 per worker) = 5; CPU allows (2 x 8 + 1) - 2 cron - 1 integration "
            "worker - 1 job worker = 13; workers = 5",
            "integration workers needed = 4 concurrent calls (one worker each); CPU leaves (2 x 8 + 1) - 5 workers - "
            "2 cron - 1 job worker = 9; integration workers = 4",
            "job workers needed = 2 jobs at once (one worker each); CPU leaves (2 x 8 + 1) - 5 workers - 2 cron - 4 "
            "integration workers = 6; job workers = 2",
            "average worker memory = 0.8 x 150 + 0.2 x 1024 = 324.8 MiB",
            "integration average worker memory = 0.5 x 150 + 0.5 x 1024 = 587 MiB",
            "job average worker memory = 0.5 x 150 + 0.5 x 1024 = 587 MiB",
            "expected memory = (5 workers + 2 cron) x 324.8 + 2 x 150 (master, gevent) = 2573.6 MiB",
            "integration expected memory = 4 workers x 587 + 2 x 150 (master, gevent) = 2648 MiB",
            "job expected memory = 2 workers x 587 + 3 x 150 (master, gevent, runner) = 1624 MiB; host expected = "
            "2573.6 + 2648 + 1624 = 6845.6 MiB",
            "limit_memory_hard = min(2560, 32256 available) = 2560 MiB; limit_memory_soft = min(2048, 0.8 x hard) = "
            "2048 MiB (virtual memory per process)",
            "container memory limit = min(32256 available - 2648 integration expected - 1624 job expected, 2573.6 "
            "expected + (2560 hard - 324.8 average)) = 4809 MiB",
            "integration container memory limit = min(32256 available - 2573.6 expected - 1624 job expected, 2648 "
            "integration expected + (2560 hard - 587 integration average)) = 4621 MiB",
            "job container memory limit = min(32256 available - 2573.6 expected - 2648 integration expected, 1624 job "
            "expected + (2560 hard - 587 job average)) = 3597 MiB",
            "db_maxconn = min(8, ((200 budget / 1 app hosts) - 1 runner) / (10 + 7 integration + 5 jobs) pools) = 8",
            "connections per host = (5 workers + 2 cron + 1 master) x 8 + 16 gevent + (4 integration workers + 1 "
            "master) x 8 + 16 integration gevent + (2 job workers + 1 master) x 8 + 16 job gevent + 1 runner = 177; "
            "x 1 app hosts = 177",
            "max_connections = max(100, 177 + 3 superuser reserved + 20 extra) = 200",
        ],
        "capacity": {"concurrent_users": 30, "memory_available_mb": 32256, "memory_expected_mb": 6846,
                     "db_connections_per_host": 177, "db_connections_total": 177,
                     "integration_concurrent_calls": 4, "integration_workers": 4,
                     "integration_memory_expected_mb": 2648, "integration_db_connections_per_host": 56,
                     "jobs_capacity": 2, "jobs_workers": 2, "jobs_memory_expected_mb": 1624,
                     "jobs_db_connections_per_host": 41},
        "container_memory_limit_mb": 4809,
        "integration": {"odoo": dict(JOB_ODOO_8, workers=4, limit_time_cpu=300, limit_time_real=600),
                        "container_memory_limit_mb": 4621},
        "jobs": {"odoo": JOB_ODOO_8, "container_memory_limit_mb": 3597},
        "odoo": {"workers": 5, "max_cron_threads": 2, "limit_memory_soft": 2048 * wt.MIB,
                 "limit_memory_hard": 2560 * wt.MIB, "limit_time_cpu": 600, "limit_time_real": 1200,
                 "limit_time_real_cron": 3600, "limit_request": 8192, "db_maxconn": 8, "db_maxconn_gevent": 16},
        "pgbouncer": {"default_pool_size": 177, "max_client_conn": 197},
        "postgresql": {"max_connections": 200},
        "warnings": [],
    }


@pytest.mark.parametrize("databases,added", [(1, 3 * 8 + 16 + 1), (3, 3 * 8 + 16 + 3)])
def test_job_pool_connections_reach_pgbouncer_and_postgresql(databases, added):
    """8 CPU, 32 GiB, 30 users: (2 job workers + 1 master) x 8 + 16 gevent + 1 runner per database on top of 80."""
    without = wt.compute_tuning(host(8, 32 * GIB), profile(concurrent_users=30))
    result = wt.compute_tuning(host(8, 32 * GIB), profile(concurrent_users=30, jobs_capacity=2,
                                                          jobs_databases=databases))
    assert without["capacity"]["db_connections_per_host"] == 80
    assert result["capacity"]["db_connections_per_host"] == 80 + added
    assert result["capacity"]["jobs_db_connections_per_host"] == added
    assert result["pgbouncer"] == {"default_pool_size": 80 + added, "max_client_conn": 100 + added}
    assert result["postgresql"]["max_connections"] == without["postgresql"]["max_connections"] + added


def test_job_runner_connection_comes_out_of_the_budget_first():
    """Budget 75, 15 pools: 75 // 15 = 5 would hold 76 connections with the runner's; 74 // 15 = 4 holds 61."""
    result = wt.compute_tuning(host(8, 32 * GIB), profile(concurrent_users=30, jobs_capacity=2,
                                                          db_connection_budget=75))
    assert result["odoo"]["db_maxconn"] == result["jobs"]["odoo"]["db_maxconn"] == 4
    # (5 + 2 + 1) x 4 + 8 + (2 + 1) x 4 + 8 + 1
    assert result["capacity"]["db_connections_total"] == 61
    assert result["pgbouncer"]["default_pool_size"] == 61


def test_job_pool_is_multiplied_by_app_hosts():
    """Two hosts: (100 - 1 runner) // 15 pools = db_maxconn 6; 60 + 31 = 91 connections per host."""
    result = wt.compute_tuning(host(8, 32 * GIB), profile(concurrent_users=30, jobs_capacity=2, app_hosts=2))
    assert result["odoo"]["db_maxconn"] == 6
    assert result["capacity"]["jobs_db_connections_per_host"] == 3 * 6 + 12 + 1
    assert result["capacity"]["db_connections_per_host"] == 91
    assert result["pgbouncer"] == {"default_pool_size": 182, "max_client_conn": 202}
    assert result["postgresql"] == {"max_connections": 205}


def test_job_pool_before_odoo_17():
    """Odoo 16: no db_maxconn_gevent; job gevent uses db_maxconn: (2 + 1) x 8 + 8 + 1 = 33 on top of 72."""
    result = wt.compute_tuning(host(8, 32 * GIB), profile(concurrent_users=30, jobs_capacity=2, odoo_major=16))
    assert "db_maxconn_gevent" not in result["jobs"]["odoo"]
    assert result["capacity"]["jobs_db_connections_per_host"] == 33
    assert result["capacity"]["db_connections_per_host"] == 72 + 33


def test_cpu_lowers_the_job_pool_and_keeps_the_users_workers():
    """4 CPU, 30 users, 2 cron, 4 jobs: the users keep their 5 workers, the job pool gets the 2 processes left."""
    result = wt.compute_tuning(host(4, 16 * GIB), profile(concurrent_users=30, jobs_capacity=4))
    assert (result["odoo"]["workers"], result["odoo"]["max_cron_threads"]) == (5, 2)
    assert result["jobs"]["odoo"]["workers"] == result["capacity"]["jobs_capacity"] == 2
    assert result["warnings"] == ["CPU binds: 4 jobs at once need 4 job workers, 4 CPU carry 5 workers + 2 cron + 2 "
                                  "job workers (+ runner); expect jobs to wait in their queue_job channel beyond 2 at "
                                  "once"]


def test_cpu_serves_users_then_integration_then_jobs():
    """The guide's case with 4 calls and 4 jobs: 9 processes = 6 workers + 1 cron + 1 integration + 1 job worker."""
    result = wt.compute_tuning(host(4, 16 * GIB), profile(cron_threads=1, integration_concurrent_calls=4,
                                                          jobs_capacity=4))
    assert (result["odoo"]["workers"], result["odoo"]["max_cron_threads"]) == (6, 1)
    assert (result["integration"]["odoo"]["workers"], result["jobs"]["odoo"]["workers"]) == (1, 1)
    assert result["warnings"] == [
        "CPU binds: 60 concurrent users need 10 workers, 4 CPU carry 6 workers + 1 cron + 1 integration worker + 1 "
        "job worker; expect queued requests beyond about 36 users",
        "CPU binds: 4 integration calls need 4 integration workers, 4 CPU carry 6 workers + 1 cron + 1 integration "
        "workers + 1 job workers (+ runner); expect integration calls to queue beyond 1 at once",
        "CPU binds: 4 jobs at once need 4 job workers, 4 CPU carry 6 workers + 1 cron + 1 integration workers + 1 "
        "job workers (+ runner); expect jobs to wait in their queue_job channel beyond 1 at once",
    ]


def test_memory_lowers_the_job_pool_first():
    """8 CPU, 4 GiB: 3584 MiB; users 1274.4; 4 jobs need 4 x 587 + 450 = 2798 (4072.4 in all), 3 need 2211."""
    result = wt.compute_tuning(host(8, 4 * GIB), profile(concurrent_users=12, cron_threads=1, jobs_capacity=4))
    assert (result["odoo"]["workers"], result["odoo"]["max_cron_threads"]) == (2, 1)
    assert result["jobs"]["odoo"]["workers"] == 3
    assert result["capacity"]["jobs_memory_expected_mb"] == 2211
    assert result["capacity"]["memory_expected_mb"] == 3486  # ceil(1274.4 + 2211)
    assert result["container_memory_limit_mb"] == 3584 - 2211
    assert result["jobs"]["container_memory_limit_mb"] == 2310  # ceil(3584 - 1274.4)
    assert result["warnings"] == [
        "Memory binds: 2 workers + 1 cron + 4 job workers (+ runner) would need 4072.4 MiB of 3584 MiB and 13 pools; "
        "the job pool degraded to 3 workers, 3 jobs at once"]


def test_memory_lowers_the_job_pool_before_the_integration_pool():
    """8 CPU, 4 GiB: 2 calls and 2 jobs need 4372.4 MiB; 1 job 3785.4; then 1 call 3198.4 fits in 3584."""
    result = wt.compute_tuning(host(8, 4 * GIB), profile(concurrent_users=12, cron_threads=1,
                                                         integration_concurrent_calls=2, jobs_capacity=2))
    assert (result["odoo"]["workers"], result["integration"]["odoo"]["workers"],
            result["jobs"]["odoo"]["workers"]) == (2, 1, 1)
    assert result["capacity"]["memory_expected_mb"] == 3199
    assert result["warnings"] == [
        "Memory binds: 2 workers + 1 cron + 2 integration workers + 2 job workers (+ runner) would need 4372.4 MiB "
        "of 3584 MiB and 16 pools; the job pool degraded to 1 workers, 1 jobs at once",
        "Memory binds: 2 workers + 1 cron + 2 integration workers + 1 job workers (+ runner) would need 3785.4 MiB "
        "of 3584 MiB and 15 pools; the integration pool degraded to 1 workers, about 1 concurrent integration calls"]


def test_refuses_when_one_job_worker_does_not_fit_the_cpu():
    expected = (r"^Cannot size Odoo for a host with 1 CPU and 8192 MiB: 1 worker \+ 1 cron \+ 1 integration worker "
                r"\+ 1 job worker \(jobs_capacity 2\) = 4 processes, over the \(2 x 1 \+ 1\) = 3 that 1 CPU carry$")
    with pytest.raises(wt.TuningRefused, match=expected):
        wt.compute_tuning(host(1, 8 * GIB), profile(concurrent_users=6, cron_threads=1,
                                                    integration_concurrent_calls=1, jobs_capacity=2))
    # The same host without the integration pool carries 1 worker + 1 cron + 1 job worker.
    result = wt.compute_tuning(host(1, 8 * GIB), profile(concurrent_users=6, cron_threads=1, jobs_capacity=2))
    assert (result["odoo"]["workers"], result["jobs"]["odoo"]["workers"]) == (1, 1)


def test_refuses_when_the_job_pool_does_not_fit_in_memory():
    expected = (r"^Cannot size Odoo for a host with 2 CPU and 2048 MiB: even 1 worker \+ 1 cron and 1 job worker "
                r"\(jobs_capacity 3\) need \(1 \+ 1\) x 324\.8 MiB \+ 2 x 150 MiB \(master, gevent\) \+ 1 x 587 MiB "
                r"\+ 3 x 150 MiB \(job master, gevent, runner\) = 1986\.6 MiB, but only 2048 MiB - 512 MiB reserved "
                r"= 1536 MiB is available$")
    with pytest.raises(wt.TuningRefused, match=expected):
        wt.compute_tuning(host(2, 2 * GIB), profile(concurrent_users=18, cron_threads=1, jobs_capacity=3))
    # Without the job pool the same host is sized (1 worker + 1 cron, 949.6 MiB).
    assert wt.compute_tuning(host(2, 2 * GIB), profile(concurrent_users=18, cron_threads=1))["odoo"]["workers"] >= 1


def test_refuses_when_the_job_pool_does_not_fit_the_connection_budget():
    expected = (r"^Cannot size Odoo for a host with 4 CPU and 16384 MiB: even 1 worker \+ 1 cron, 1 integration "
                r"worker and 1 job worker \(jobs_capacity 1\) hold 13 connection pools of at least 2 and 1 runner "
                r"connection, \(26 \+ 1\) x 1 app hosts = 27 connections, over the db_connection_budget of 26$")
    with pytest.raises(wt.TuningRefused, match=expected):
        wt.compute_tuning(host(4, 16 * GIB), profile(concurrent_users=6, cron_threads=1,
                                                     integration_concurrent_calls=1, jobs_capacity=1,
                                                     db_connection_budget=26))
    # One connection more carries all three at db_maxconn 2.
    result = wt.compute_tuning(host(4, 16 * GIB), profile(concurrent_users=6, cron_threads=1,
                                                          integration_concurrent_calls=1, jobs_capacity=1,
                                                          db_connection_budget=27))
    assert result["odoo"]["db_maxconn"] == 2
    assert result["capacity"]["db_connections_total"] == 27


def test_job_time_limits_and_heavy_ratio_are_its_own():
    result = wt.compute_tuning(host(8, 32 * GIB), profile(
        concurrent_users=6, cron_threads=0, jobs_capacity=2, jobs_heavy_request_ratio=1.0,
        jobs_limit_time_cpu=7200, jobs_limit_time_real=10800))
    assert (result["odoo"]["limit_time_cpu"], result["odoo"]["limit_time_real"]) == (600, 1200)
    jobs = result["jobs"]["odoo"]
    assert (jobs["limit_time_cpu"], jobs["limit_time_real"], jobs["max_cron_threads"]) == (7200, 10800, 0)
    assert "limit_time_real_cron" not in jobs
    assert result["capacity"]["jobs_memory_expected_mb"] == 2 * 1024 + 3 * 150
    assert "job average worker memory = 0 x 150 + 1 x 1024 = 1024 MiB" in result["arithmetic"]


@pytest.mark.parametrize("changes,message", [
    (dict(jobs_capacity=-1), "jobs_capacity cannot be negative"),
    (dict(jobs_heavy_request_ratio=1.1), "jobs_heavy_request_ratio must be between 0 and 1"),
    (dict(jobs_heavy_request_ratio=-0.1), "jobs_heavy_request_ratio must be between 0 and 1"),
    (dict(jobs_limit_time_cpu=0), "jobs_limit_time_cpu must be at least 1"),
    (dict(jobs_limit_time_real=1000), "jobs_limit_time_real must be at least jobs_limit_time_cpu"),
    (dict(jobs_databases=0), "jobs_databases must be at least 1"),
])
def test_refuses_impossible_job_inputs(changes, message):
    with pytest.raises(wt.TuningRefused, match="^Cannot size Odoo: %s$" % message):
        wt.compute_tuning(host(4, 16 * GIB), profile(**changes))


JOB_CAPACITIES = [1, 6]


@pytest.mark.parametrize("cpus,memory_gib,profile_index,calls,capacity",
                         list(itertools.product(CPUS, MEMORY_GIB, range(len(PROFILES)), [0, 3], JOB_CAPACITIES)))
def test_job_pool_invariants(cpus, memory_gib, profile_index, calls, capacity):
    wanted = profile(integration_concurrent_calls=calls, jobs_capacity=capacity, **PROFILES[profile_index])
    available = memory_gib * GIB - wanted["reserved_memory_mb"]
    try:
        result = wt.compute_tuning(host(cpus, memory_gib * GIB), wanted)
    except wt.TuningRefused as exc:
        assert str(exc).startswith("Cannot size Odoo for a host with %d CPU and %d MiB: " % (cpus, memory_gib * GIB))
        return
    odoo, pool, capacity_result = result["odoo"], result["jobs"]["odoo"], result["capacity"]
    workers, cron, jobs = odoo["workers"], odoo["max_cron_threads"], pool["workers"]
    integration = result["integration"]["odoo"]["workers"] if calls else 0
    assert 1 <= jobs <= capacity
    assert capacity_result["jobs_workers"] == capacity_result["jobs_capacity"] == jobs
    assert pool["max_cron_threads"] == 0
    # CPU: one process cap for the three.
    assert workers + cron + integration + jobs <= 2 * cpus + 1
    # Users first, then the integration pool: each is lowered only once the pools after it are at one worker.
    cpu_workers = min(math.ceil(wanted["concurrent_users"] / 6.0), 2 * cpus + 1 - cron - (1 if calls else 0) - 1)
    if workers < cpu_workers:
        assert jobs == 1 and integration <= 1
    if integration < calls:
        assert jobs == 1
    # Memory: all pools within the memory for Odoo, each container within what the others leave.
    job_memory = wt.jobs_memory_mb(jobs, wanted)
    everything = (wt.expected_memory_mb(workers, cron, wanted) + wt.integration_memory_mb(integration, wanted)
                  + job_memory)
    assert everything <= available
    assert capacity_result["memory_expected_mb"] == math.ceil(everything)
    assert result["jobs"]["container_memory_limit_mb"] <= available - (everything - job_memory) + 1
    assert result["container_memory_limit_mb"] + capacity_result["jobs_memory_expected_mb"] <= available + 1
    # Connections: every process of every pool and the runner counted, within the budget, in PgBouncer and PostgreSQL.
    gevent = odoo.get("db_maxconn_gevent", odoo["db_maxconn"])
    assert pool["db_maxconn"] == odoo["db_maxconn"] and pool.get("db_maxconn_gevent") == odoo.get("db_maxconn_gevent")
    per_host = (workers + cron + 1) * odoo["db_maxconn"] + gevent + (jobs + 1) * odoo["db_maxconn"] + gevent + 1
    if integration:
        per_host += (integration + 1) * odoo["db_maxconn"] + gevent
    assert capacity_result["jobs_db_connections_per_host"] == (jobs + 1) * odoo["db_maxconn"] + gevent + 1
    assert capacity_result["db_connections_per_host"] == per_host
    assert capacity_result["db_connections_total"] == per_host * wanted["app_hosts"] <= wanted["db_connection_budget"]
    assert result["pgbouncer"]["default_pool_size"] == capacity_result["db_connections_total"]
    assert result["postgresql"]["max_connections"] >= (capacity_result["db_connections_total"]
                                                       + wt.SUPERUSER_RESERVED_CONNECTIONS
                                                       + wanted["db_extra_connections"])
    if jobs < capacity:
        assert any("job pool" in warning or "jobs at once" in warning for warning in result["warnings"])
