#!/usr/bin/env python3
"""Redis failover under Sentinel: write outage and acknowledged keys lost.

Drives the VMs of the Molecule scenario ``redis`` (run ``molecule converge -s
redis`` first) from this machine, through Docker and the scenario's test
network. For each of N runs:

1. waits until the cluster is whole: one master with every replica in sync,
   every Sentinel naming it, knowing every replica and Sentinel, and passing
   SENTINEL CKQUORUM;
2. starts a writer that behaves like Odoo's session store: before every write
   it asks the application host's Sentinel which server is master (as the
   user Odoo uses), then SETs one session key there, and records when each
   write was acknowledged;
3. after two seconds of writing, hard-stops the master VM (``docker kill``);
4. measures the write outage the client sees: from the old master's last
   acknowledged write (about two per millisecond, so this is the instant it
   died) to the first write acknowledged by another server;
5. reads back, on the new master, every key the old master acknowledged and
   counts the missing ones, in particular those acknowledged in the last
   second before it died;
6. starts the old master VM again and waits until the cluster is whole, the
   old master a replica of the new one.

Prints one JSON document; never asserts timings. The Sentinels' own account
(``+sdown``, ``+odown``, election, promotion, ``+switch-master``) is taken from
their journals and given relative to the stop.

Usage: benchmarks/redis_failover.py [--runs 5]
"""

import argparse
import datetime
import json
import os
import re
import statistics
import subprocess
import sys
import threading
import time

import redis
import yaml
from redis.backoff import NoBackoff
from redis.retry import Retry

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCENARIO = os.path.join(ROOT, "molecule", "redis", "molecule.yml")
# The role's defaults (roles/redis/defaults/main.yml) unless the scenario overrides them.
ROLE_DEFAULTS = os.path.join(ROOT, "roles", "redis", "defaults", "main.yml")
# shared/PITFALLS.md: hand-built Debian 7.0 cluster, three VM containers,
# median write outage after the master is killed, by down-after-milliseconds.
BASELINE_SECONDS = {2000: 3.6, 5000: 6.6}
CONNECT_TIMEOUT = 0.1
SENTINEL_EVENTS = ("+sdown master", "+odown", "+elected-leader", "+promoted-slave", "+switch-master")


# Redis and Sentinel speak TLS only: the tenant CA of the scenario, as the
# first VM keeps it (fetched once, by tenant_ca_file()).
CA_FILE = os.path.join(os.environ.get("TMPDIR", "/tmp"), "redis-failover-ca.crt")


def tenant_ca_file(vm):
    with open(CA_FILE, "w", encoding="utf-8") as handle:
        handle.write(docker("exec", vm, "cat", "/etc/redis/tls/ca.crt"))
    return CA_FILE


def connect(ip, port, user, password, timeout, connect_timeout=None):
    """A client that fails fast: redis-py would otherwise retry 10 times with backoff."""
    return redis.Redis(host=ip, port=port, username=user, password=password, socket_timeout=timeout,
                       socket_connect_timeout=connect_timeout or timeout, retry=Retry(NoBackoff(), 0),
                       decode_responses=True, ssl=True, ssl_ca_certs=CA_FILE)


def load_scenario():
    with open(SCENARIO, encoding="utf-8") as handle:
        scenario = yaml.safe_load(handle)
    with open(ROLE_DEFAULTS, encoding="utf-8") as handle:
        settings = yaml.safe_load(handle)
    settings.update(scenario["provisioner"]["inventory"]["group_vars"]["all"])
    vms = {p["name"]: {"ip": p["networks"][0]["ipv4_address"], "groups": p["groups"]}
           for p in scenario["platforms"]}
    return vms, settings


class Cluster:
    """The scenario's servers and Sentinels, seen from this machine."""

    def __init__(self, vms, settings, timeout):
        self.vms = vms
        self.s = settings
        self.timeout = timeout
        self.name = settings["redis_sentinel_master_name"]
        self.servers = sorted(n for n, v in vms.items() if "odoo_redis" in v["groups"])
        self.sentinel_hosts = sorted(vms)
        self.app_host = sorted(n for n, v in vms.items() if "odoo_app" in v["groups"])[0]
        self.by_ip = {v["ip"]: n for n, v in vms.items()}

    def admin(self, host):
        return connect(self.vms[host]["ip"], 6379, self.s["redis_admin_user"], self.s["redis_admin_password"], 1)

    def sentinel(self, host):
        return connect(self.vms[host]["ip"], 26379, self.s["redis_admin_user"], self.s["redis_admin_password"], 1)

    def problems(self):
        """Why the cluster is not whole yet; an empty list when it is."""
        found = []
        try:
            masters = [h for h in self.servers
                       if self.admin(h).info("replication")["role"] == "master"]
        except redis.RedisError as exc:
            return ["a server does not answer: %s" % exc]
        if len(masters) != 1:
            return ["masters: %s" % masters]
        master = masters[0]
        info = self.admin(master).info("replication")
        online = [v for k, v in info.items() if re.match(r"slave\d+$", k) and v.get("state") == "online"]
        if len(online) != len(self.servers) - 1:
            found.append("%s has %d replicas online" % (master, len(online)))
        for host in self.sentinel_hosts:
            try:
                client = self.sentinel(host)
                state = client.execute_command("SENTINEL", "MASTER", self.name)
                state = dict(zip(state[::2], state[1::2])) if isinstance(state, list) else state
                quorum = client.execute_command("SENTINEL", "CKQUORUM", self.name)
            except redis.RedisError as exc:
                found.append("Sentinel on %s: %s" % (host, exc))
                continue
            if self.by_ip.get(state["ip"]) != master or state["flags"] != "master":
                found.append("Sentinel on %s names %s (%s)" % (host, state["ip"], state["flags"]))
            if int(state["num-slaves"]) != len(self.servers) - 1:
                found.append("Sentinel on %s knows %s replicas" % (host, state["num-slaves"]))
            if int(state["num-other-sentinels"]) != len(self.sentinel_hosts) - 1:
                found.append("Sentinel on %s knows %s other Sentinels" % (host, state["num-other-sentinels"]))
            replicas = client.execute_command("SENTINEL", "REPLICAS", self.name)
            for replica in replicas:
                replica = dict(zip(replica[::2], replica[1::2])) if isinstance(replica, list) else replica
                if replica["flags"] != "slave" or replica.get("master-link-status") != "ok":
                    found.append("Sentinel on %s sees replica %s as %s, link %s" % (
                        host, replica["ip"], replica["flags"], replica.get("master-link-status")))
            if not str(quorum).startswith("OK"):
                found.append("Sentinel on %s: %s" % (host, quorum))
        return found

    def wait_whole(self):
        deadline = time.monotonic() + self.timeout
        while True:
            found = self.problems()
            if not found:
                return
            if time.monotonic() > deadline:
                raise RuntimeError("the cluster did not become whole in %s s: %s" % (self.timeout, found))
            time.sleep(0.5)

    def sentinel_settings(self):
        state = self.sentinel(self.app_host).execute_command("SENTINEL", "MASTER", self.name)
        state = dict(zip(state[::2], state[1::2])) if isinstance(state, list) else state
        return {k: int(state[k]) for k in ("down-after-milliseconds", "failover-timeout", "quorum")}


class Writer(threading.Thread):
    """Odoo's session store, roughly: ask the Sentinel, then write to the master it names."""

    def __init__(self, cluster, run):
        super().__init__(daemon=True)
        s = cluster.s
        self.cluster = cluster
        self.prefix = "%sbench:%s:%d:" % (s["redis_app_key_prefix"], os.getpid(), run)
        self.sentinel = connect(cluster.vms[cluster.app_host]["ip"], 26379, s["redis_app_user"],
                                s["redis_app_password"], 0.5)
        self.clients = {}
        self.acks = []  # (monotonic time acknowledged, key, server ip, wall clock time)
        self.stop = threading.Event()

    def client(self, ip, port):
        if (ip, port) not in self.clients:
            s = self.cluster.s
            # A connection attempt to the dead master's address gets no answer at all: give
            # up after 0.1 s (a LAN connect takes under a millisecond) and ask the Sentinel again.
            self.clients[(ip, port)] = connect(ip, port, s["redis_app_user"], s["redis_app_password"], 0.5,
                                               connect_timeout=CONNECT_TIMEOUT)
        return self.clients[(ip, port)]

    def run(self):
        seq = 0
        while not self.stop.is_set():
            seq += 1
            key = "%s%d" % (self.prefix, seq)
            try:
                ip, port = self.sentinel.execute_command("SENTINEL", "get-master-addr-by-name",
                                                         self.cluster.name)
                self.client(ip, int(port)).set(key, seq, ex=3600)
            except (redis.RedisError, TypeError, ValueError):
                # Down, read-only, NOREPLICAS, no answer: as a session store would, try again.
                time.sleep(0.01)
                continue
            self.acks.append((time.monotonic(), key, ip, time.time()))


def docker(*args, check=True):
    return subprocess.run(["docker", *args], check=check, capture_output=True, text=True).stdout


def sentinel_timeline(cluster, since_wall, stop_wall):
    """Offsets (s) from the stop of the first occurrence of each event in any Sentinel's journal."""
    first = {}
    since = datetime.datetime.fromtimestamp(since_wall).strftime("%Y-%m-%d %H:%M:%S")
    for host in cluster.sentinel_hosts:
        try:
            out = docker("exec", host, "journalctl", "-u", "redis-sentinel", "--since", since,
                         "-o", "short-unix", "--no-pager")
        except subprocess.CalledProcessError:
            continue  # the stopped VM
        for line in out.splitlines():
            stamp = line.split(" ", 1)[0]
            for event in SENTINEL_EVENTS:
                if event in line:
                    offset = round(float(stamp) - stop_wall, 3)
                    if event not in first or offset < first[event]:
                        first[event] = offset
    return {event: first[event] for event in SENTINEL_EVENTS if event in first}


def one_run(cluster, run, warmup):
    cluster.wait_whole()
    master_ip, _ = cluster.sentinel(cluster.app_host).execute_command(
        "SENTINEL", "get-master-addr-by-name", cluster.name)
    old_master = cluster.by_ip[master_ip]
    writer = Writer(cluster, run)
    writer.start()
    time.sleep(warmup)
    since_wall = time.time() - 5
    docker("kill", old_master)
    killed = time.monotonic()
    deadline = killed + cluster.timeout
    while time.monotonic() < deadline and not any(a[2] != master_ip for a in writer.acks[-50:]):
        time.sleep(0.01)
    time.sleep(0.5)
    writer.stop.set()
    writer.join()
    by_old = [a for a in writer.acks if a[2] == master_ip]
    by_new = [a for a in writer.acks if a[2] != master_ip]
    if not by_new:
        raise RuntimeError("run %d: no write reached a new master within %s s" % (run, cluster.timeout))
    # The writer gets about two acknowledgements per millisecond, so the old
    # master's last one marks the instant it died (docker kill itself takes a
    # few hundred milliseconds to return).
    stop = by_old[-1]
    first_new = by_new[0]
    last_second = [a for a in by_old if a[0] > stop[0] - 1]
    reader = cluster.admin(cluster.by_ip[first_new[2]])

    def missing(acks):
        keys = [a[1] for a in acks]
        found = []
        for start in range(0, len(keys), 500):
            found.extend(reader.mget(keys[start:start + 500]))
        return sum(1 for value in found if value is None)

    lost_total = missing(by_old)
    lost_last_second = missing(last_second)
    timeline = sentinel_timeline(cluster, since_wall, stop[3])
    docker("start", old_master)
    docker("exec", old_master, "systemctl", "is-system-running", "--wait", check=False)  # "degraded" exits 1
    rejoin_started = time.monotonic()
    cluster.wait_whole()
    return {
        "run": run,
        "stopped": old_master,
        "promoted": cluster.by_ip[first_new[2]],
        "seconds": round(first_new[0] - stop[0], 3),
        "docker_kill_returned_after": round(killed - stop[0], 3),
        "acknowledged_last_second": len(last_second),
        "lost_last_second": lost_last_second,
        "acknowledged_by_old_master": len(by_old),
        "lost_total": lost_total,
        "sentinel_events_after_stop": timeline,
        "old_master_whole_again_after_start": round(time.monotonic() - rejoin_started, 1),
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="hard stops to measure (default 5)")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds of writes before each stop")
    parser.add_argument("--timeout", type=float, default=120.0, help="longest wait for a failover or a rejoin")
    args = parser.parse_args(argv)

    vms, settings = load_scenario()
    tenant_ca_file(next(iter(vms)))
    cluster = Cluster(vms, settings, args.timeout)
    cluster.wait_whole()
    config = cluster.sentinel_settings()
    load_before = round(os.getloadavg()[0], 2)
    runs = []
    for run in range(1, args.runs + 1):
        result = one_run(cluster, run, args.warmup)
        runs.append(result)
        print("run %d: %s -> %s in %.2f s, %d acknowledged key(s) lost" % (
            run, result["stopped"], result["promoted"], result["seconds"], result["lost_total"]),
            file=sys.stderr)
    seconds = [r["seconds"] for r in runs]
    baseline = BASELINE_SECONDS.get(config["down-after-milliseconds"])
    report = {
        "benchmark": "redis_failover",
        "what": "docker kill of the master VM while a client writes session keys through the application "
                "host's Sentinel: seconds from the old master's last acknowledged write to the first one "
                "acknowledged by a new master; keys the old master acknowledged that are missing afterwards",
        "scenario": "molecule/redis",
        "sentinel_asked": "%s:26379 (%s)" % (vms[cluster.app_host]["ip"], cluster.app_host),
        "sentinel": config,
        "min_replicas_to_write": settings["redis_min_replicas_to_write"],
        "client": "asks the Sentinel before every SET (as the session store does); connect timeout %s s, "
                  "read timeout 0.5 s, retries every 10 ms" % CONNECT_TIMEOUT,
        "load_average_1m_before": load_before,
        "load_average_1m_after": round(os.getloadavg()[0], 2),
        "runs": runs,
        "median_seconds": round(statistics.median(seconds), 3),
        "min_seconds": min(seconds),
        "max_seconds": max(seconds),
        "acknowledged_last_second_total": sum(r["acknowledged_last_second"] for r in runs),
        "lost_last_second_total": sum(r["lost_last_second"] for r in runs),
        "lost_total": sum(r["lost_total"] for r in runs),
        "baseline": {
            "source": "shared/PITFALLS.md, hand-built cluster, median write outage",
            "median_seconds": baseline,
        },
    }
    json.dump(report, sys.stdout, indent=2)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
