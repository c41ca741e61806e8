#!/usr/bin/env python3
"""DB and Redis failover of the whole tenant, end to end through Traefik.

Drives the demo (scripts/demo.sh up first) from this machine. Each run:

1. db: a client writes a row every 200 ms through Traefik -> Odoo stand-in ->
   HAProxy -> PgBouncer -> PostgreSQL (POST /standin/rows, the probe of the
   tenant scenario); after 3 s the Patroni leader's VM is hard-stopped
   (docker kill). Measured: the write outage the client saw (first to last
   failed request) and how many acknowledged rows are missing afterwards.
   The old leader's VM is started again and the run waits until it streams.
2. redis: a logged-in client loads /odoo every 200 ms with its session; after
   3 s the Redis master's VM is hard-stopped. Measured: the outage the client
   saw, and whether the session was ever lost (a redirect to the login). The
   VM is started again and the run waits until it replicates.

Prints one JSON document with the medians; never asserts timings.

Usage: benchmarks/tenant_failover.py [--runs 3]
"""

import argparse
import http.cookiejar
import json
import os
import socket
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PROBE = os.path.join(ROOT, "molecule", "tenant", "files", "probe.py")
SECRETS = os.environ.get("ODOO_HOSTING_DEMO_SECRETS", os.path.join(ROOT, ".cache", "demo", "secrets"))
CA = os.path.join(os.path.dirname(SECRETS), "ca.crt")
DOMAIN = "odoo.demo.test"
DATABASE = "demo"
APP = "demo-app-1"
APP_ADDRESS = "172.30.20.21"
DB_HOSTS = {"demo-db-1": "172.30.20.11", "demo-db-2": "172.30.20.12", "demo-db-3": "172.30.20.13"}


def pin_domain():
    """Sends this process's connections for DOMAIN to the app VM (no resolver entry needed)."""
    lookup = socket.getaddrinfo

    def resolve(host, *rest, **kwargs):
        return lookup(APP_ADDRESS if host == DOMAIN else host, *rest, **kwargs)
    socket.getaddrinfo = resolve


def secret(name):
    with open(os.path.join(SECRETS, name), encoding="utf-8") as handle:
        return handle.read().split()[0]


def docker(*args, check=True):
    return subprocess.run(["docker", *args], check=check, capture_output=True, text=True).stdout


def in_vm(vm, script, **env):
    """Runs a Python snippet in a VM (the app VM has psycopg2 and redis-cli)."""
    flags = [item for key, value in env.items() for item in ("-e", "%s=%s" % (key, value))]
    return docker("exec", *flags, vm, "python3", "-c", script)


def patroni_cluster():
    context = ssl.create_default_context(cadata=docker("exec", "demo-db-1", "cat", "/etc/patroni/pki/ca.crt"))
    for address in DB_HOSTS.values():
        try:
            with urllib.request.urlopen("https://%s:8008/cluster" % address, context=context, timeout=3) as answer:
                return json.load(answer)["members"]
        except OSError:
            continue
    raise RuntimeError("no Patroni answers")


def wait(predicate, what, timeout=240):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if predicate():
                return
        except (OSError, RuntimeError, subprocess.CalledProcessError, ValueError):
            pass
        time.sleep(2)
    raise RuntimeError("timed out waiting for " + what)


def boot(vm):
    docker("start", vm)
    wait(lambda: docker("exec", vm, "systemctl", "is-system-running", "--wait", check=False).strip()
         in ("running", "degraded"), vm + " to boot")


def probe(mode, seconds, victim, *extra):
    """Runs the probe here for `seconds`, hard-stops `victim` after 3 s; returns its report."""
    with tempfile.NamedTemporaryFile(suffix=".json") as out:
        process = subprocess.Popen([sys.executable, PROBE, mode, "--url", "https://%s/%s" % (
            DOMAIN, "standin/rows" if mode == "write" else "odoo"), "--cacert", CA, "--seconds", str(seconds),
            "--resolve", "%s:%s" % (DOMAIN, APP_ADDRESS), "--out", out.name, *extra])
        time.sleep(3)
        killed = time.time()
        docker("kill", victim)
        process.wait()
        with open(out.name, encoding="utf-8") as handle:
            report = json.load(handle)
    report["killed_at"] = killed
    return report


def missing_rows(ids):
    script = (
        "import os, psycopg2\n"
        "c = psycopg2.connect(host='127.0.0.1', port=5432, dbname=os.environ['DB'], user='odoo',"
        " password=os.environ['PW'])\n"
        "cur = c.cursor(); cur.execute('SELECT count(*) FROM standin_row WHERE id = ANY(%s)', (%s,))\n"
        "print(cur.fetchone()[0])\n" % ("%s", json.dumps(ids)))
    return len(ids) - int(in_vm(APP, script, DB=DATABASE, PW=secret("odoo_db_password")).strip())


def db_run():
    leader = next(m["name"] for m in patroni_cluster() if m["role"] == "leader")
    report = probe("write", 60, leader)
    lost = missing_rows(report["acked_ids"])
    boot(leader)
    wait(lambda: any(m["name"] == leader and m.get("state") == "streaming" for m in patroni_cluster()),
         leader + " to stream again")
    return {"killed": leader, "outage_seconds": report["outage_s"], "requests": report["requests"],
            "failed": report["failed"], "acknowledged": len(report["acked_ids"]), "acknowledged_lost": lost,
            "writes_back": report["last_ok"]}


# Redis and Sentinel speak TLS only; each host has the tenant CA beside its certificate.
REDIS_CLI = ["redis-cli", "--tls", "--cacert", "/etc/redis/tls/ca.crt"]


def redis_master():
    answer = docker("exec", "-e", "REDISCLI_AUTH=" + secret("redis_app_password"), APP, *REDIS_CLI, "-p", "26379",
                    "--user", "odoo", "SENTINEL", "get-master-addr-by-name", "odoo").split()
    return next(name for name, address in DB_HOSTS.items() if address == answer[0])


def login():
    context = ssl.create_default_context(cafile=CA)
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPSHandler(context=context),
                                         urllib.request.HTTPCookieProcessor(jar))
    body = urllib.parse.urlencode({"login": "admin", "password": secret("odoo_admin_user_password"),
                                   "db": DATABASE}).encode()
    opener.open(urllib.request.Request("https://%s/web/login" % DOMAIN, data=body), timeout=10).read()
    return next(cookie.value for cookie in jar if cookie.name == "session_id")


def redis_run():
    master = redis_master()
    report = probe("session", 45, master, "--cookie", login())
    boot(master)
    wait(lambda: "master_link_status:up" in docker(
        "exec", "-e", "REDISCLI_AUTH=" + secret("redis_admin_password"), master, *REDIS_CLI, "--user", "admin",
        "INFO", "replication"), master + " to replicate again")
    return {"killed": master, "outage_seconds": report["outage_s"], "requests": report["requests"],
            "failed": report["failed"], "session_lost": "303" in report["statuses"],
            "session_back": report["last_ok"]}


def summary(runs, keys):
    return {key: statistics.median(run[key] for run in runs) for key in keys}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    pin_domain()
    db, cache = [], []
    for run in range(1, args.runs + 1):
        db.append(db_run())
        print("db run %d: %s" % (run, json.dumps(db[-1])), file=sys.stderr)
        cache.append(redis_run())
        print("redis run %d: %s" % (run, json.dumps(cache[-1])), file=sys.stderr)
    report = {
        "benchmark": "tenant_failover",
        "path": "client -> Traefik -> Odoo stand-in -> HAProxy -> PgBouncer -> PostgreSQL; sessions in Redis",
        "cpus": os.cpu_count(),
        "load_average_at_end": os.getloadavg(),
        "db": {"runs": db, **summary(db, ["outage_seconds"]),
               "acknowledged_lost_total": sum(r["acknowledged_lost"] for r in db)},
        "redis": {"runs": cache, **summary(cache, ["outage_seconds"]),
                  "sessions_lost": sum(r["session_lost"] for r in cache)},
    }
    json.dump(report, sys.stdout, indent=2)
    print()


if __name__ == "__main__":
    main()
