"""The tenant dashboard (roles/monitoring/files/dashboards/odoo-tenant.json) and its query check.

The dashboard: it parses, names itself, takes its Prometheus and its tenant from template
variables, and every panel reads that Prometheus with queries filtered on the tenant, each
selector of each query carrying tenant="$tenant" (a selector without it would mix tenants
sharing a monitoring host). Metric names come from the rule catalogue, docs/alerts.md or
the exporters' sources (CONFIRMED below, with where each was read). With promtool (as
test_alert_rules.py finds it), every query parses and, over series shaped like the
exporters' own, returns data: a join on the wrong label would return nothing.

molecule/resources/dashboard_queries.py, the live check the tenant scenario runs against
its Prometheus, is tested here against a fake Prometheus (http.server in a thread): the
variables it fills in, and the report and exit status for answers with data, empty
answers (allowed or not), refused queries and an unreachable Prometheus.
"""

import http.server
import importlib.util
import json
import pathlib
import re
import subprocess
import threading
import urllib.parse

import pytest
import yaml

from test_alert_rules import find_promtool

TOP = pathlib.Path(__file__).resolve().parents[2]
DASHBOARD_FILE = TOP / "roles" / "monitoring" / "files" / "dashboards" / "odoo-tenant.json"
RULES_DIR = TOP / "roles" / "monitoring" / "files" / "rules"
ALERTS_DOC = TOP / "docs" / "alerts.md"
SCRIPT = TOP / "molecule" / "resources" / "dashboard_queries.py"

_SPEC = importlib.util.spec_from_file_location("dashboard_queries", SCRIPT)
dashboard_queries = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(dashboard_queries)

DASHBOARD = json.loads(DASHBOARD_FILE.read_text())
PANELS = dashboard_queries.panels_of(DASHBOARD)
DATA_PANELS = [p for p in PANELS if p.get("type") != "row"]
DATASOURCE = {"type": "prometheus", "uid": "${datasource}"}
TENANT = 'tenant="$tenant"'

# Panels that may be empty in a healthy tenant, and why (their descriptions say it too).
ALLOWED_EMPTY = {
    "Firing alerts: which and where": "nothing fires",
    "Last restore drill": "weekly: none yet in a young tenant",
    "Last passed restore drill": "weekly: none yet in a young tenant",
    "Business checks": "a tenant may define none",
}

# Metric names the rule catalogue and docs/alerts.md do not use, read in the exporters'
# sources for the versions Debian 12 and 13 ship.
CONFIRMED = {
    "ALERTS": "Prometheus's own series of pending and firing alerts",
    "probe_duration_seconds": "blackbox_exporter prober/handler.go (every prober)",
    "probe_http_status_code": "blackbox_exporter prober/http.go",
    "traefik_router_requests_total": "Traefik 3 metrics docs; roles/traefik sets addRoutersLabels",
    "pgbouncer_pools_client_active_connections": "pgbouncer_exporter README (SHOW POOLS cl_active)",
    "pgbouncer_pools_client_waiting_connections": "pgbouncer_exporter README (SHOW POOLS cl_waiting)",
    "redis_memory_used_bytes": "redis_exporter exporter.go metricMapGauges (used_memory)",
    "redis_memory_max_bytes": "redis_exporter exporter.go metricMapGauges (maxmemory)",
    "node_cpu_seconds_total": "node_exporter cpu collector",
    "node_disk_io_time_seconds_total": "node_exporter diskstats collector",
}

# PromQL words that are not metric names.
_KEYWORDS = {"and", "or", "unless", "by", "without", "on", "ignoring", "group_left", "group_right", "bool", "offset"}
_GROUPING = {"by", "without", "on", "ignoring", "group_left", "group_right"}
_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|\{[^}]*\}|\[[^\]]*\]|[A-Za-z_:][\w:]*|\(|\)|\S')


def selectors(expr):
    """(metric name, label matchers or None) of every selector of a PromQL expression."""
    tokens = _TOKEN.findall(expr)
    found = []
    i = 0
    while i < len(tokens):
        token = tokens[i]
        following = tokens[i + 1] if i + 1 < len(tokens) else ""
        if token in _GROUPING and following == "(":
            # Label names up to the closing parenthesis.
            i = tokens.index(")", i)
        elif (re.fullmatch(r"[A-Za-z_:][\w:]*", token) and token not in _KEYWORDS
              and following not in ("(", "by", "without")):  # not a function, nor "max by (...) (...)"
            found.append((token, following if following.startswith("{") else None))
        i += 1
    return found


def metric_names(expr):
    return {selector[0] for selector in selectors(expr)}


def metric_names_of_rules():
    names = set()
    for path in RULES_DIR.glob("*.yml"):
        for group in (yaml.safe_load(path.read_text()) or {}).get("groups") or []:
            for rule in group.get("rules") or []:
                names.update(metric_names(str(rule["expr"])))
    return names


def targets_of(panel):
    return [t for t in panel.get("targets") or [] if t.get("expr")]


def panel_id(panel):
    return "%s-%s" % (panel.get("id"), panel.get("title"))


# --- The dashboard ---------------------------------------------------------------------------------


def test_dashboard_names_itself():
    assert DASHBOARD["uid"] == "odoo-hosting-tenant"
    assert DASHBOARD["title"].strip()
    assert DASHBOARD["schemaVersion"] >= 36


def test_datasource_and_tenant_are_template_variables():
    variables = {v["name"]: v for v in DASHBOARD["templating"]["list"]}
    assert variables["datasource"]["type"] == "datasource"
    assert variables["datasource"]["query"] == "prometheus"
    tenant = variables["tenant"]
    assert tenant["type"] == "query"
    assert tenant["datasource"] == DATASOURCE
    assert tenant["query"] == tenant["definition"] == "label_values(up, tenant)"
    assert not tenant["multi"] and not tenant["includeAll"], "queries compare tenant with =, one tenant at a time"


def test_panel_ids_are_unique():
    ids = [p["id"] for p in PANELS]
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)


@pytest.mark.parametrize("panel", PANELS, ids=panel_id)
def test_panel_has_a_place_on_the_grid(panel):
    grid = panel["gridPos"]
    assert all(isinstance(grid[k], int) for k in ("x", "y", "w", "h")), grid
    assert grid["w"] > 0 and grid["h"] > 0 and grid["x"] >= 0 and grid["y"] >= 0
    assert grid["x"] + grid["w"] <= 24, "wider than Grafana's 24 columns: %s" % grid


@pytest.mark.parametrize("panel", DATA_PANELS, ids=panel_id)
def test_panel_reads_the_chosen_prometheus_for_the_chosen_tenant(panel):
    assert panel["datasource"] == DATASOURCE
    targets = targets_of(panel)
    assert targets, "a panel without a query"
    ref_ids = [t["refId"] for t in targets]
    assert len(ref_ids) == len(set(ref_ids)), ref_ids
    for target in targets:
        assert target.get("datasource", DATASOURCE) == DATASOURCE
        assert TENANT in target["expr"]
        unfiltered = [name for name, matchers in selectors(target["expr"]) if TENANT not in (matchers or "")]
        assert not unfiltered, "selectors without %s in %s: %s" % (TENANT, target["expr"], unfiltered)


def test_metric_names_are_known():
    known = metric_names_of_rules() | set(re.findall(r"`([a-z_][a-z0-9_]*)", ALERTS_DOC.read_text())) | set(CONFIRMED)
    used = set().union(*(metric_names(t["expr"]) for panel in DATA_PANELS for t in targets_of(panel)))
    assert not used - known, "metric names neither in the rules, docs/alerts.md nor CONFIRMED: %s" % sorted(used - known)
    assert not set(CONFIRMED) - used, "CONFIRMED names no panel uses: %s" % sorted(set(CONFIRMED) - used)


def test_only_the_listed_panels_may_be_empty():
    marked = {p["title"]: p["description"] for p in DATA_PANELS
              if p.get("description", "").rstrip().endswith(dashboard_queries.ALLOW_EMPTY_TAG)}
    assert set(marked) == set(ALLOWED_EMPTY)
    for title, description in marked.items():
        # The reason is written before the tag.
        assert len(description) > len(dashboard_queries.ALLOW_EMPTY_TAG) + 40, title


@pytest.mark.parametrize("expr, names", [
    ('sum by (host) (rate(a_total{tenant="$tenant", code=~"5.."}[$__rate_interval]))', [("a_total", True)]),
    ('x{tenant="$tenant"} / on (host, database) max by (host) (label_replace(y{tenant="$tenant"} > 0, "d", "$1", "n", "(.+)"))',
     [("x", True), ("y", True)]),
    ('count(ALERTS{tenant="$tenant"}) or vector(0)', [("ALERTS", True)]),
    ('max by (host) (m{tenant="$tenant"}) and on (host) sum without (cpu) (n)', [("m", True), ("n", False)]),
    ('time() - z', [("z", False)]),
])
def test_selectors_finds_every_metric(expr, names):
    assert [(name, matchers is not None) for name, matchers in selectors(expr)] == names


# --- The queries, evaluated by promtool -------------------------------------------------------------

# One tenant's series as Prometheus stores them: the target labels of the tenant's file_sd list and of
# the blackbox jobs (tenant, job, host, role), and the exporters' own labels, renamed exported_<name>
# where a target label has the name already (redis_instance_info's role, SHOW DATABASES' host).
# A series every 30 s for 10 minutes.
SERIES = [
    ('ALERTS{tenant="acme",alertname="TargetDown",alertstate="firing",severity="warning",host="db1",instance="db1:9100"}', "1x20"),
    ('up{tenant="acme",job="node",host="db1",role="db"}', "1x20"),
    ('up{tenant="acme",job="blackbox_http",role="probe"}', "1x20"),
    *[('probe_success{tenant="acme",job="blackbox_%s",role="probe",instance="https://erp.example.com/"}' % job, "1x20")
      for job in ("http", "login", "health", "websocket")],
    ('probe_http_status_code{tenant="acme",job="blackbox_login",role="probe",instance="https://erp.example.com/web/login?db=acme"}', "200x20"),
    ('probe_duration_seconds{tenant="acme",job="blackbox_http",role="probe",instance="https://erp.example.com/"}', "0.2x20"),
    ('probe_ssl_earliest_cert_expiry{tenant="acme",job="blackbox_tls",role="probe",instance="erp.example.com:443"}', "4000000000x20"),
    # No 5xx at all: the 5xx ratio must still say 0.
    ('traefik_router_requests_total{tenant="acme",job="traefik",role="app",host="app1",router="odoo-web@file",service="odoo-web@file",'
     'code="200",method="GET",protocol="http"}', "0+10x20"),
    ('traefik_service_requests_total{tenant="acme",job="traefik",role="app",host="app1",service="odoo-web@file",code="200",method="GET",'
     'protocol="http"}', "0+10x20"),
    *[('patroni_%s{tenant="acme",job="patroni",role="db",host="%s",scope="acme",name="%s"}' % (metric, host, host), "%sx20" % value)
      for host, values in (("db1", (1, 0, 0, 5000, 0)), ("db2", (0, 1, 1, 0, 4000)))
      for metric, value in zip(("primary", "replica", "sync_standby", "xlog_location", "xlog_replayed_location"), values)],
    ('pg_stat_activity_count{tenant="acme",job="postgres",role="db",host="db1",datname="acme",state="active"}', "5x20"),
    ('pg_settings_max_connections{tenant="acme",job="postgres",role="db",host="db1"}', "100x20"),
    ('pg_stat_archiver_last_archive_age{tenant="acme",job="postgres",role="db",host="db1"}', "30x20"),
    ('pg_stat_archiver_failed_count{tenant="acme",job="postgres",role="db",host="db1"}', "0x20"),
    *[('pgbouncer_pools_%s{tenant="acme",job="pgbouncer",role="db",host="db1",database="acme",user="odoo"}' % metric, "2x20")
      for metric in ("client_active_connections", "client_waiting_connections", "server_active_connections",
                     "client_maxwait_seconds")],
    # SHOW DATABASES: name is the pool's database, database the backend's.
    ('pgbouncer_databases_pool_size{tenant="acme",job="pgbouncer",role="db",host="db1",name="acme",database="acme_backend",'
     'exported_host="127.0.0.1"}', "20x20"),
    ('pgbouncer_used_clients{tenant="acme",job="pgbouncer",role="db",host="db1"}', "10x20"),
    ('pgbouncer_config_max_client_connections{tenant="acme",job="pgbouncer",role="db",host="db1"}', "1000x20"),
    ('redis_instance_info{tenant="acme",job="redis",role="redis",host="db1",exported_role="master",redis_version="7.0.15"}', "1x20"),
    ('redis_instance_info{tenant="acme",job="redis",role="redis",host="db2",exported_role="slave",redis_version="7.0.15"}', "1x20"),
    ('redis_up{tenant="acme",job="redis",role="redis",host="db1"}', "1x20"),
    ('redis_up{tenant="acme",job="redis",role="redis",host="db2"}', "1x20"),
    ('redis_connected_slaves{tenant="acme",job="redis",role="redis",host="db1"}', "1x20"),
    ('redis_memory_used_bytes{tenant="acme",job="redis",role="redis",host="db1"}', "1000000x20"),
    ('redis_memory_max_bytes{tenant="acme",job="redis",role="redis",host="db1"}', "268435456x20"),
    ('etcd_server_has_leader{tenant="acme",job="etcd",role="db",host="db1"}', "1x20"),
    ('node_cpu_seconds_total{tenant="acme",job="node",host="db1",role="db",cpu="0",mode="idle"}', "0+25x20"),
    ('node_memory_MemAvailable_bytes{tenant="acme",job="node",host="db1",role="db"}', "4e9x20"),
    ('node_memory_MemTotal_bytes{tenant="acme",job="node",host="db1",role="db"}', "8e9x20"),
    ('node_disk_io_time_seconds_total{tenant="acme",job="node",host="db1",role="db",device="sda"}', "0+3x20"),
    *[('node_filesystem_%s_bytes{tenant="acme",job="node",host="db1",role="db",device="/dev/sda1",fstype="ext4",mountpoint="/"}' % m,
       "%sx20" % v) for m, v in (("avail", "6e10"), ("size", "1e11"))],
    ('node_vmstat_oom_kill{tenant="acme",job="node",host="app1",role="app"}', "0x20"),
    *[('odoo_backup_last_completion_timestamp_seconds{tenant="acme",job="node",host="backup1",role="backup",stanza="acme",type="%s",repo="1"}'
       % backup_type, "1000x20") for backup_type in ("full", "incr")],
    ('odoo_backup_run_success{tenant="acme",job="node",host="backup1",role="backup",stanza="acme",type="full",repo="1"}', "1x20"),
    ('odoo_backup_stanza_status_code{tenant="acme",job="node",host="backup1",role="backup",stanza="acme"}', "0x20"),
    ('odoo_backup_restore_verify_success{tenant="acme",job="node",host="backup1",role="backup",stanza="acme"}', "1x20"),
    ('odoo_backup_restore_verify_last_success_timestamp_seconds{tenant="acme",job="node",host="backup1",role="backup",stanza="acme"}', "1000x20"),
    ('odoo_cron_overdue_jobs{tenant="acme",job="postgres",role="db",host="db1",database="acme"}', "0x20"),
    ('odoo_mail_exception_messages{tenant="acme",job="postgres",role="db",host="db1",database="acme"}', "0x20"),
    ('odoo_business_check_failed{tenant="acme",job="postgres",role="db",host="db1",database="acme",check="unshipped_orders"}', "0x20"),
]
VARIABLES = {"tenant": "acme", "__rate_interval": "1m", "__interval": "1m", "__range": "5m"}


@pytest.fixture(scope="module")
def promtool():
    path = find_promtool()
    if path is None:
        pytest.skip("promtool is neither on PATH nor in .cache/tools/: run scripts/ensure-promtool.sh")
    return path


def test_every_query_parses_and_returns_data_from_the_exporters_series(promtool, tmp_path):
    """An alert absent(<query>) per query, and a test that none fires; a control query that must fire proves the check."""
    queries = dashboard_queries.dashboard_queries(DASHBOARD, VARIABLES)
    rules = [{"alert": "DashboardQueryEmpty", "expr": "absent(%s)" % q["expr"],
              "labels": {"query": "%s %s (%s)" % (q["panel_id"], q["ref_id"], q["panel"])}} for q in queries]
    rules.append({"alert": "ControlQueryEmpty", "expr": 'absent(up{tenant="nobody"})'})
    (tmp_path / "queries.yml").write_text(yaml.safe_dump({"groups": [{"name": "dashboard", "rules": rules}]}))
    tests = {"rule_files": ["queries.yml"], "evaluation_interval": "30s", "tests": [{
        "interval": "30s",
        "input_series": [{"series": series, "values": values} for series, values in SERIES],
        "alert_rule_test": [
            {"eval_time": "10m", "alertname": "DashboardQueryEmpty", "exp_alerts": []},
            {"eval_time": "10m", "alertname": "ControlQueryEmpty", "exp_alerts": [{"exp_labels": {"tenant": "nobody"}}]},
        ]}]}
    (tmp_path / "queries.test.yml").write_text(yaml.safe_dump(tests))
    result = subprocess.run([promtool, "test", "rules", "queries.test.yml"], cwd=tmp_path,
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


# --- dashboard_queries.py against a fake Prometheus -----------------------------------------------------


class FakePrometheus(http.server.BaseHTTPRequestHandler):
    """/api/v1/query: 400 for a query containing "syntax error", no series for one containing "nothing",
    one series otherwise. Every query received is kept in the server's ``queries``."""

    def do_POST(self):
        form = urllib.parse.parse_qs(self.rfile.read(int(self.headers["Content-Length"])).decode())
        query = form["query"][0]
        self.server.queries.append(query)
        if self.path != "/api/v1/query":
            status, body = 404, {"status": "error", "error": "not found"}
        elif "syntax error" in query:
            status, body = 400, {"status": "error", "errorType": "bad_data", "error": "1:1: parse error: unexpected"}
        elif "nothing" in query:
            status, body = 200, {"status": "success", "data": {"resultType": "vector", "result": []}}
        else:
            status, body = 200, {"status": "success", "data": {"resultType": "vector", "result": [
                {"metric": {"tenant": "acme"}, "value": [1700000000, "1"]}]}}
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@pytest.fixture()
def prometheus():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), FakePrometheus)
    server.queries = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join()


def run_script(capsys, dashboard_file, url, tenant="acme"):
    code = dashboard_queries.main(["--dashboard", str(dashboard_file), "--prometheus", url, "--tenant", tenant])
    return code, json.loads(capsys.readouterr().out)


def panel(panel_id, exprs, description=""):
    return {"id": panel_id, "type": "stat", "title": "panel %d" % panel_id, "description": description,
            "targets": [{"refId": chr(ord("A") + i), "expr": e} for i, e in enumerate(exprs)]}


@pytest.mark.parametrize("expr, expected", [
    ('up{tenant="$tenant"}', 'up{tenant="acme"}'),
    ('up{tenant="${tenant}"}', 'up{tenant="acme"}'),
    ('up{tenant="${tenant:raw}"}', 'up{tenant="acme"}'),
    ("rate(x[$__rate_interval]) + rate(y[$__interval]) + avg_over_time(z[$__range])",
     "rate(x[1m]) + rate(y[1m]) + avg_over_time(z[5m])"),
    ('label_replace(x, "d", "$1", "n", "(.+)")', 'label_replace(x, "d", "$1", "n", "(.+)")'),
    ('up{job="$other"}', 'up{job="$other"}'),
])
def test_substitute_fills_in_grafanas_variables(expr, expected):
    assert dashboard_queries.substitute(expr, VARIABLES) == expected


def test_rows_collapsed_or_not_are_walked():
    dashboard = {"panels": [{"id": 1, "type": "row", "panels": []}, panel(2, ["a"]),
                            {"id": 3, "type": "row", "collapsed": True, "panels": [panel(4, ["b"])]}]}
    assert [q["expr"] for q in dashboard_queries.dashboard_queries(dashboard, VARIABLES)] == ["a", "b"]


def test_the_tenant_dashboard_passes_when_every_query_has_data(capsys, prometheus):
    url = "http://127.0.0.1:%d" % prometheus.server_port
    code, report = run_script(capsys, DASHBOARD_FILE, url)
    assert code == 0, report
    assert report == {"query_count": sum(len(targets_of(p)) for p in DATA_PANELS), "empty": [], "errors": [],
                      "allowed_empty": []}
    assert len(prometheus.queries) == report["query_count"]
    for query in prometheus.queries:
        assert 'tenant="acme"' in query and "$tenant" not in query and "$__" not in query, query


def test_empty_refused_and_unresolved_queries_fail(capsys, prometheus, tmp_path):
    dashboard_file = tmp_path / "dashboard.json"
    dashboard_file.write_text(json.dumps({"panels": [
        panel(1, ['up{tenant="$tenant"}', 'nothing{tenant="$tenant"}']),
        panel(2, ['nothing{tenant="$tenant"}'], description="Empty when nothing fires. [allow-empty]"),
        panel(3, ['syntax error{tenant="$tenant"}']),
        panel(4, ['up{tenant="$tenant", job="$job"}']),
    ]}))
    code, report = run_script(capsys, dashboard_file, "http://127.0.0.1:%d" % prometheus.server_port)
    assert code == 1
    assert report["query_count"] == 5
    assert [(e["panel_id"], e["ref_id"], e["expr"]) for e in report["empty"]] == [(1, "B", 'nothing{tenant="acme"}')]
    assert [(e["panel_id"], e["expr"]) for e in report["allowed_empty"]] == [(2, 'nothing{tenant="acme"}')]
    assert [(e["panel_id"], e["error"]) for e in report["errors"]] == [
        (3, "HTTP 400: 1:1: parse error: unexpected"), (4, "unresolved variables: job")]
    # The query with an unknown variable is never sent.
    assert not [q for q in prometheus.queries if "$job" in q]


def test_allowed_empty_panels_alone_pass(capsys, prometheus, tmp_path):
    dashboard_file = tmp_path / "dashboard.json"
    dashboard_file.write_text(json.dumps({"panels": [
        panel(1, ['up{tenant="$tenant"}']),
        panel(2, ['nothing{tenant="$tenant"}'], description="None yet in a young tenant. [allow-empty]\n"),
    ]}))
    code, report = run_script(capsys, dashboard_file, "http://127.0.0.1:%d" % prometheus.server_port)
    assert code == 0, report
    assert report["empty"] == [] and len(report["allowed_empty"]) == 1


def test_an_unreachable_prometheus_or_an_empty_dashboard_fails(capsys, tmp_path):
    server = http.server.HTTPServer(("127.0.0.1", 0), FakePrometheus)
    port = server.server_port
    server.server_close()
    code, report = run_script(capsys, DASHBOARD_FILE, "http://127.0.0.1:%d" % port)
    assert code == 1
    assert len(report["errors"]) == report["query_count"]
    assert report["errors"][0]["error"].startswith("Cannot query http://127.0.0.1:%d/api/v1/query" % port)

    empty_file = tmp_path / "empty.json"
    empty_file.write_text(json.dumps({"panels": [{"id": 1, "type": "row", "panels": []}]}))
    code, report = run_script(capsys, empty_file, "http://127.0.0.1:%d" % port)
    assert code == 1 and report["query_count"] == 0 and report["errors"]
