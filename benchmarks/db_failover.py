#!/usr/bin/env python3
"""Failover, switchover and pooling benchmark of the database tier.

Drives the VMs of the running `db` Molecule scenario (after
`molecule converge -s db`) from the host with `docker`, and prints JSON:

- node loss: N times, `docker kill` of the Patroni leader VM while a writer
  on the client VM commits numbered rows through HAProxy; seconds from the
  kill until a write started after the VM is gone succeeds, the longest gap
  between two acknowledged writes (the outage a client sees), and
  acknowledged rows missing on the new leader. The
  old leader is started again and must rejoin before the next run.
- switchover: N planned switchovers through the Patroni REST API, with the
  same writer: the longest gap between two acknowledged writes, rows lost.
- pgbench TPS (select-only, 16 clients) through HAProxy -> PgBouncer versus
  direct to PostgreSQL on the leader, with persistent connections and with a
  new connection per transaction (-C). TLS is off on both paths.

Nothing here asserts a timing: it measures. Results also go to
benchmarks/results/db_failover-<UTC time>.json.

Usage: benchmarks/db_failover.py [--runs 5] [--pgbench-seconds 20]
The defaults match the db scenario's test-only inventory values.
"""

import argparse
import base64
import datetime
import json
import pathlib
import ssl
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request

CLIENT = "db-client-1"
DB_NODES = {"db-1": "172.30.13.11", "db-2": "172.30.13.12", "db-3": "172.30.13.13"}
CA_IN_CLIENT = "/etc/haproxy/patroni-ca.crt"
WRITER = r'''
import os, sys, time
import psycopg2
run, dsn = sys.argv[1], sys.argv[2]
stop = "/tmp/bench-stop-" + run
out = open("/tmp/bench-acks-" + run, "w", buffering=1)
n, conn = 0, None
while not os.path.exists(stop):
    try:
        if conn is None:
            conn = psycopg2.connect(dsn, connect_timeout=1)
            conn.autocommit = True
            cur = conn.cursor()
        n += 1
        start = time.time()
        # No statement_timeout: a cancelled wait for the synchronous standby
        # reports success and would count a lost row as saved.
        cur.execute("INSERT INTO bench_writes (run, n) VALUES (%s, %s)", (run, n))
        out.write("%d %.6f %.6f\n" % (n, start, time.time()))
    except Exception:
        try:
            conn.close()
        except Exception:
            pass
        conn = None
        time.sleep(0.05)
'''


def sh(*argv, check=True, timeout=600):
    result = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False)
    if check and result.returncode != 0:
        raise RuntimeError("%s failed: %s" % (" ".join(argv), result.stderr.strip()))
    return result.stdout


def in_client(*argv, **kw):
    return sh("docker", "exec", CLIENT, *argv, **kw)


class Cluster:
    def __init__(self, args):
        self.args = args
        ca = in_client("cat", CA_IN_CLIENT)
        self.ssl = ssl.create_default_context(cadata=ca)

    def api(self, node, path, method="GET", body=None, timeout=5):
        request = urllib.request.Request("https://%s:8008%s" % (DB_NODES[node], path), method=method)
        if body is not None:
            request.data = json.dumps(body).encode()
            request.add_header("Content-Type", "application/json")
            token = base64.b64encode(("patroni:%s" % self.args.restapi_password).encode()).decode()
            request.add_header("Authorization", "Basic " + token)
        with urllib.request.urlopen(request, context=self.ssl, timeout=timeout) as response:
            text = response.read().decode()
        try:
            return json.loads(text)
        except ValueError:
            return text

    def members(self):
        for node in DB_NODES:
            try:
                return self.api(node, "/cluster", timeout=2)["members"]
            except (urllib.error.URLError, OSError, KeyError):
                continue
        return []

    def leader(self):
        leaders = [m["name"] for m in self.members() if m["role"] == "leader"]
        return leaders[0] if len(leaders) == 1 else None

    def wait_healthy(self, timeout=240):
        deadline = time.time() + timeout
        while time.time() < deadline:
            members = self.members()
            replicas = [m for m in members if m["role"] != "leader"]
            if (len(members) == 3 and len(replicas) == 2
                    and all(m["state"] == "streaming" for m in replicas)
                    and any(m["role"] == "sync_standby" for m in replicas)):
                return {m["role"]: m["name"] for m in members}
            time.sleep(1)
        raise RuntimeError("cluster not healthy after %d s: %s" % (timeout, self.members()))

    def etcd_leader_apart(self, pg_leader, timeout=40):
        """Wait for the guard to move the etcd leader off the PostgreSQL leader; report whether it did."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            out = sh("docker", "exec", pg_leader, "etcdctl", "--endpoints=https://127.0.0.1:2379",
                     "--cacert=/etc/etcd/pki/ca.crt", "--cert=/etc/etcd/pki/member.crt",
                     "--key=/etc/etcd/pki/member.key", "-w", "json", "endpoint", "status", check=False)
            try:
                status = json.loads(out)[0]["Status"]
                if status["header"]["member_id"] != status["leader"]:
                    return True
            except (ValueError, KeyError, IndexError):
                pass
            time.sleep(1)
        return False


def psql(args, sql, port=5432, host="127.0.0.1"):
    dsn = "host=%s port=%d user=odoo dbname=odoo sslmode=disable connect_timeout=3" % (host, port)
    return in_client("env", "PGPASSWORD=" + args.app_password, "psql", dsn, "-AtXqc", sql)


def start_writer(args, run):
    dsn = "host=127.0.0.1 port=5432 user=odoo dbname=odoo sslmode=disable password=%s" % args.app_password
    in_client("rm", "-f", "/tmp/bench-stop-" + run, "/tmp/bench-acks-" + run)
    sh("docker", "exec", "-d", CLIENT, "python3", "/tmp/bench_writer.py", run, dsn)


def stop_writer(run):
    in_client("touch", "/tmp/bench-stop-" + run)
    time.sleep(1.5)
    acks = []
    for line in in_client("cat", "/tmp/bench-acks-" + run).splitlines():
        n, start, end = line.split()
        acks.append((int(n), float(start), float(end)))
    return acks


def lost_rows(args, run, acks):
    present = set()
    for _ in range(30):
        try:
            present = {int(x) for x in psql(args, "SELECT n FROM bench_writes WHERE run = '%s'" % run).split()}
            break
        except RuntimeError:
            time.sleep(1)
    return len({n for n, _, _ in acks} - present)


def longest_gap(acks, since):
    ends = [end for _, _, end in acks]
    gaps = [b - a for a, b in zip(ends, ends[1:]) if b >= since]
    return max(gaps) if gaps else None


def first_write_after(acks, since):
    later = [end for _, start, end in acks if start >= since]
    return (min(later) - since) if later else None


def node_loss_run(args, cluster, index):
    roles = cluster.wait_healthy()
    leader = roles["leader"]
    apart = cluster.etcd_leader_apart(leader)
    run = "kill-%d-%d" % (index, int(time.time()))
    start_writer(args, run)
    time.sleep(3)
    killed_at = time.time()
    sh("docker", "kill", leader)
    # Writes started before `docker kill` returns may still reach the old leader.
    dead_at = time.time()
    deadline = time.time() + 90
    new_leader = None
    while time.time() < deadline:
        new_leader = cluster.leader()
        if new_leader and new_leader != leader:
            break
        time.sleep(0.5)
    time.sleep(4)
    acks = stop_writer(run)
    result = {
        "killed": leader, "new_leader": new_leader, "etcd_leader_was_apart": apart,
        "seconds_until_write": first_write_after(acks, dead_at) + (dead_at - killed_at),
        "longest_write_gap": longest_gap(acks, killed_at - 1),
        "acked_rows": len(acks), "acked_rows_lost": lost_rows(args, run, acks),
    }
    sh("docker", "start", leader)
    sh("docker", "exec", leader, "systemctl", "is-system-running", "--wait", check=False)
    cluster.wait_healthy()
    return result


def switchover_run(args, cluster, index):
    roles = cluster.wait_healthy()
    leader, candidate = roles["leader"], roles["sync_standby"]
    run = "switchover-%d-%d" % (index, int(time.time()))
    start_writer(args, run)
    time.sleep(3)
    asked_at = time.time()
    cluster.api(leader, "/switchover", method="POST", body={"leader": leader, "candidate": candidate}, timeout=60)
    answered = time.time() - asked_at
    time.sleep(4)
    acks = stop_writer(run)
    return {
        "from": leader, "to": candidate, "api_seconds": round(answered, 3),
        "longest_write_gap": longest_gap(acks, asked_at - 1),
        "acked_rows": len(acks), "acked_rows_lost": lost_rows(args, run, acks),
    }


def pgbench(args, host, port, new_connections):
    dsn_env = ["env", "PGPASSWORD=" + args.app_password, "PGSSLMODE=disable"]
    argv = dsn_env + ["/usr/lib/postgresql/15/bin/pgbench", "-h", host, "-p", str(port), "-U", "odoo",
                      "-S", "-c", "16", "-j", "2", "-T", str(args.pgbench_seconds), "-n"]
    if new_connections:
        argv.append("-C")
    out = in_client(*argv + ["odoo"], timeout=args.pgbench_seconds + 120)
    for line in out.splitlines():
        if line.startswith("tps ="):
            return float(line.split()[2])
    raise RuntimeError("no tps in pgbench output: " + out)


def prepare_client(args):
    """pgbench ships in the server package: install it on the client VM without a main cluster."""
    in_client("sh", "-c", "mkdir -p /etc/postgresql-common && "
              "echo 'create_main_cluster = false' > /etc/postgresql-common/createcluster.conf && "
              "test -x /usr/lib/postgresql/15/bin/pgbench || "
              "(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql-15 >/dev/null)")
    subprocess.run(["docker", "exec", "-i", CLIENT, "sh", "-c", "cat > /tmp/bench_writer.py"],
                   input=WRITER, text=True, check=True)
    psql(args, "CREATE TABLE IF NOT EXISTS bench_writes (run text, n bigint, PRIMARY KEY (run, n))")


def median(values):
    values = [v for v in values if v is not None]
    return round(statistics.median(values), 3) if values else None


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--pgbench-seconds", type=int, default=20)
    parser.add_argument("--app-password", default="test-only-app")
    parser.add_argument("--restapi-password", default="test-only-restapi")
    parser.add_argument("--skip", action="append", default=[], choices=["kill", "switchover", "pgbench"])
    args = parser.parse_args()

    cluster = Cluster(args)
    prepare_client(args)
    report = {"runs": args.runs, "started": datetime.datetime.now(datetime.timezone.utc).isoformat()}

    if "switchover" not in args.skip:
        runs = [switchover_run(args, cluster, i) for i in range(args.runs)]
        report["switchover"] = {
            "runs": runs,
            "median_longest_write_gap": median(r["longest_write_gap"] for r in runs),
            "median_api_seconds": median(r["api_seconds"] for r in runs),
            "acked_rows_lost": sum(r["acked_rows_lost"] for r in runs),
        }
        print(json.dumps(report["switchover"]), file=sys.stderr)

    if "kill" not in args.skip:
        runs = [node_loss_run(args, cluster, i) for i in range(args.runs)]
        report["node_loss"] = {
            "runs": runs,
            "median_seconds_until_write": median(r["seconds_until_write"] for r in runs),
            "max_seconds_until_write": max((r["seconds_until_write"] or 0) for r in runs),
            "median_longest_write_gap": median(r["longest_write_gap"] for r in runs),
            "acked_rows_lost": sum(r["acked_rows_lost"] for r in runs),
        }
        print(json.dumps(report["node_loss"]), file=sys.stderr)

    if "pgbench" not in args.skip:
        leader = cluster.leader()
        psql(args, "SELECT 1")
        in_client("env", "PGPASSWORD=" + args.app_password, "PGSSLMODE=disable",
                  "/usr/lib/postgresql/15/bin/pgbench", "-h", "127.0.0.1", "-p", "5432", "-U", "odoo",
                  "-i", "-s", "10", "-q", "odoo")
        time.sleep(2)
        tps = {}
        for label, host, port in (("haproxy_pgbouncer", "127.0.0.1", 5432), ("direct", DB_NODES[leader], 5432)):
            for new in (False, True):
                tps["%s%s" % (label, "_connect_per_transaction" if new else "_persistent")] = \
                    round(pgbench(args, host, port, new), 1)
        tps["ratio_persistent"] = round(tps["haproxy_pgbouncer_persistent"] / tps["direct_persistent"], 2)
        tps["ratio_connect_per_transaction"] = round(
            tps["haproxy_pgbouncer_connect_per_transaction"] / tps["direct_connect_per_transaction"], 2)
        report["pgbench_select_only_16_clients_tps"] = tps

    report["baseline_pitfalls_md"] = {"node_loss_median_s": 23.2, "node_loss_max_s": 25.8, "switchover_s": 2.2}
    text = json.dumps(report, indent=2)
    print(text)
    results = pathlib.Path(__file__).resolve().parent / "results"
    results.mkdir(exist_ok=True)
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    (results / ("db_failover-%s.json" % stamp)).write_text(text + "\n")


if __name__ == "__main__":
    main()
