#!/usr/bin/env python3
"""RPO and RTO of the backup tier (issue 14), measured on the demo.

Drives the demo (scripts/demo.sh up first; it has the backup host
demo-backup-1) from this machine and prints one JSON document.

RPO, N runs, after one full backup (playbooks/backup.yml, the base the
archive is replayed from): a client writes a row every --interval seconds through
Traefik -> Odoo stand-in -> HAProxy -> PgBouncer -> PostgreSQL (POST
/standin/rows, as the tenant scenario's probe) and notes when each write was
acknowledged. After --write-seconds every DB VM is hard-stopped at once
(`docker kill` of the three: the loss of the whole DB tier). What the archive
holds is then read on the backup host alone: the newest backup is restored
into a scratch directory and replayed to the end of the archive (pgBackRest
with the restore drill's configuration, repositories only), and the
acknowledged rows missing there are counted. RPO = kill time minus the
acknowledgement time of the earliest missing row (0 when none is missing).
The DB VMs are started again and the run waits for a leader and two
streaming replicas.

RTO, N runs: once, the tenant's database is grown to --rto-gigabytes with a
table of filler rows and a full backup is taken (playbooks/backup.yml).
Each run then times playbooks/restore.yml to the latest point (Odoo stopped,
restore, PITR replay, replicas rebuilt, Odoo started), and a poller here
notes when the login page answers 200 again, from the moment the playbook
started. The filler table is dropped at the end (and a full backup taken
again, so that the repository does not keep the big one as the newest).

Nothing asserts a timing. Aims (issue 14): RPO <= 30 s, RTO <= 5 min for 1 GB.

Usage: benchmarks/backup_rpo_rto.py [--runs 3] [--only rpo|rto]
"""

import argparse
import json
import os
import ssl
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
# pylint: disable=wrong-import-position
import site_converge  # noqa: E402  (the demo's Ansible environment)
import tenant_failover as demo  # noqa: E402  (the demo's names, secrets and VM helpers)

BACKUP_VM = "demo-backup-1"
STANZA = "demo"
SCRATCH = "/var/tmp/bench-rpo"
# Restores the newest backup into SCRATCH and replays the whole archive
# (recovery type default: to its end), with the restore drill's
# configuration (repositories only: it cannot reach a DB host), then answers
# the ids of standin_row at or above $FROM_ID. Runs as the repository's user.
ARCHIVE_ROWS = r'''
set -eu
conf=/etc/pgbackrest/restore-verify.conf
PG_BIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
rm -rf "$SCRATCH"; mkdir -p "$SCRATCH/run"; chmod 700 "$SCRATCH" "$SCRATCH/run"
echo 'local all all trust' > "$SCRATCH/run/hba"
pgbackrest --config=$conf --stanza=$STANZA --pg1-path="$SCRATCH/data" --archive-mode=off \
  --recovery-option="restore_command=pgbackrest --config=$conf --stanza=$STANZA --pg1-path=$SCRATCH/data \
archive-get %f \"%p\"" \
  --log-level-console=warn restore
"$PG_BIN/pg_ctl" -D "$SCRATCH/data" -l "$SCRATCH/run/log" -w -t 600 start -o "-c port=55433 \
  -c listen_addresses='' -c unix_socket_directories=$SCRATCH/run -c hba_file=$SCRATCH/run/hba \
  -c archive_mode=off -c hot_standby=off -c ssl=off -c logging_collector=off -c cluster_name=bench-rpo" >/dev/null
until [ "$("$PG_BIN/psql" -XAtq -h "$SCRATCH/run" -p 55433 -U postgres -d postgres \
  -c 'SELECT pg_is_in_recovery()' 2>/dev/null)" = f ]; do sleep 1; done
"$PG_BIN/psql" -XAtq -h "$SCRATCH/run" -p 55433 -U postgres -d "$DB" \
  -c "SELECT id FROM standin_row WHERE id >= $FROM_ID"
"$PG_BIN/pg_ctl" -D "$SCRATCH/data" -m immediate -w stop >/dev/null
rm -rf "$SCRATCH"
'''


def ansible(playbook, *extra):
    """Runs a playbook on the demo; returns its wall time in seconds."""
    env = site_converge.environment(demo.ROOT)
    started = time.monotonic()
    result = subprocess.run(["ansible-playbook", "-i", os.path.join(demo.ROOT, "demo", "inventory"),
                             os.path.join(demo.ROOT, "playbooks", playbook), *extra],
                            env=env, cwd=demo.ROOT, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError("%s failed:\n%s" % (playbook, result.stdout[-4000:]))
    return time.monotonic() - started


def leader_sql(sql):
    """Runs SQL on the tenant's database as the application would (through HAProxy on the app VM)."""
    script = ("import os, psycopg2\n"
              "c = psycopg2.connect(host='127.0.0.1', port=5432, dbname=os.environ['DB'], user='odoo',"
              " password=os.environ['PW'])\n"
              "c.autocommit = True\ncur = c.cursor(); cur.execute(os.environ['SQL'])\n"
              "print(cur.fetchone()[0] if cur.description else '')\n")
    return demo.in_vm(demo.APP, script, DB=demo.DATABASE, PW=demo.secret("odoo_db_password"), SQL=sql).strip()


def healthy():
    members = demo.patroni_cluster()
    return (len(members) == len(demo.DB_HOSTS)
            and sum(m["role"] == "leader" for m in members) == 1
            and all(m.get("state") == "streaming" for m in members if m["role"] != "leader"))


class Writer(threading.Thread):
    """Writes a row every interval through the tenant's front door; keeps (id, acknowledged at)."""

    def __init__(self, interval):
        super().__init__(daemon=True)
        self.interval = interval
        self.acks = []
        self.stop = threading.Event()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPSHandler(context=ssl.create_default_context(cafile=demo.CA)))

    def run(self):
        while not self.stop.is_set():
            started = time.monotonic()
            request = urllib.request.Request("https://%s/standin/rows" % demo.DOMAIN, data=b'{"note": "rpo"}',
                                             method="POST", headers={"Content-Type": "application/json"})
            try:
                with self.opener.open(request, timeout=3) as answer:
                    row = json.load(answer)
                self.acks.append((row["id"], time.time()))
            except (OSError, ValueError, KeyError, urllib.error.HTTPError):
                pass
            self.stop.wait(max(0.0, self.interval - (time.monotonic() - started)))


def archived_ids(from_id):
    script = ARCHIVE_ROWS.replace("$SCRATCH", SCRATCH).replace("$STANZA", STANZA)
    result = subprocess.run(["docker", "exec", "-e", "DB=%s" % demo.DATABASE, "-e", "FROM_ID=%d" % from_id,
                             "-u", "pgbackrest", BACKUP_VM, "bash", "-c", script],
                            capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError("the restore of the archive on %s failed: %s" % (BACKUP_VM, result.stderr[-2000:]))
    return {int(line) for line in result.stdout.split()}


def rpo_run(args):
    demo.wait(healthy, "a healthy cluster")
    writer = Writer(args.interval)
    writer.start()
    time.sleep(args.write_seconds)
    vms = list(demo.DB_HOSTS)
    kills = [subprocess.Popen(["docker", "kill", vm], stdout=subprocess.DEVNULL) for vm in vms]
    killed_at = time.time()
    for kill in kills:
        kill.wait()
    time.sleep(3)
    writer.stop.set()
    writer.join()
    acked = [(row_id, at) for row_id, at in writer.acks if at <= killed_at]
    present = archived_ids(min(row_id for row_id, _ in acked))
    missing = [(row_id, at) for row_id, at in acked if row_id not in present]
    for vm in vms:
        demo.docker("start", vm)
    for vm in vms:
        demo.boot(vm)
    demo.wait(healthy, "the cluster back after the loss of every DB VM", timeout=300)
    return {"acknowledged": len(acked), "missing_from_archive": len(missing),
            "rpo_seconds": round(killed_at - min(at for _, at in missing), 2) if missing else 0.0,
            "last_ack_before_kill_seconds": round(killed_at - max(at for _, at in acked), 2)}


def login_page_ok():
    context = ssl.create_default_context(cafile=demo.CA)
    try:
        with urllib.request.urlopen("https://%s/web/login" % demo.DOMAIN, context=context, timeout=3) as answer:
            return answer.status == 200
    except (OSError, urllib.error.HTTPError):
        return False


def grow_database(gigabytes):
    """Adds a filler table until the tenant's database is about `gigabytes` large; answers its size."""
    leader_sql("CREATE TABLE IF NOT EXISTS bench_filler (id bigserial PRIMARY KEY, payload text NOT NULL)")
    target = int(gigabytes * 1024 ** 3)
    while int(leader_sql("SELECT pg_database_size(current_database())")) < target:
        # 100 MB a statement: md5 text does not compress to nothing, like real rows.
        leader_sql("INSERT INTO bench_filler (payload) SELECT string_agg(md5(random()::text), '') "
                   "FROM generate_series(1, 16) g, generate_series(1, 200000) r GROUP BY r")
    return int(leader_sql("SELECT pg_database_size(current_database())"))


def rto_run():
    demo.wait(healthy, "a healthy cluster")
    demo.wait(login_page_ok, "the login page")
    answered = {}
    done = threading.Event()

    def poll(started):
        seen_down = False
        while not done.is_set():
            ok = login_page_ok()
            seen_down = seen_down or not ok
            if ok and seen_down and "at" not in answered:
                answered["at"] = time.monotonic() - started
            time.sleep(0.5)

    started = time.monotonic()
    poller = threading.Thread(target=poll, args=(started,), daemon=True)
    poller.start()
    seconds = ansible("restore.yml", "-e", "restore_target_time=latest", "-e", "restore_confirm=%s" % STANZA,
                      "-e", "restore_backup_after=false")
    time.sleep(2)
    done.set()
    poller.join()
    return {"restore_playbook_seconds": round(seconds, 1),
            "login_page_back_seconds": round(answered["at"], 1) if "at" in answered else None}


def summary(runs, key):
    values = [run[key] for run in runs if run[key] is not None]
    return statistics.median(values) if values else None


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--only", choices=["rpo", "rto"])
    parser.add_argument("--interval", type=float, default=0.2, help="seconds between two writes (RPO)")
    parser.add_argument("--write-seconds", type=float, default=75, help="writes before the DB tier is lost (RPO)")
    parser.add_argument("--rto-gigabytes", type=float, default=1.0)
    args = parser.parse_args(argv)
    demo.pin_domain()
    report = {"benchmark": "backup_rpo_rto", "cpus": os.cpu_count(),
              "archive_timeout": leader_sql("SHOW archive_timeout")}
    if args.only != "rto":
        # The archive is replayed from the newest backup: there must be one.
        ansible("backup.yml", "-e", "backup_type=full")
        runs = []
        for run in range(1, args.runs + 1):
            runs.append(rpo_run(args))
            print("rpo run %d: %s" % (run, json.dumps(runs[-1])), file=sys.stderr)
        report["rpo"] = {"runs": runs, "write_interval_seconds": args.interval,
                         "rpo_seconds_median": summary(runs, "rpo_seconds"),
                         "rpo_seconds_max": max(run["rpo_seconds"] for run in runs)}
    if args.only != "rpo":
        size = grow_database(args.rto_gigabytes)
        backup_seconds = ansible("backup.yml", "-e", "backup_type=full")
        runs = []
        for run in range(1, args.runs + 1):
            runs.append(rto_run())
            print("rto run %d: %s" % (run, json.dumps(runs[-1])), file=sys.stderr)
        leader_sql("DROP TABLE bench_filler")
        ansible("backup.yml", "-e", "backup_type=full")
        report["rto"] = {"runs": runs, "database_bytes": size, "full_backup_seconds": round(backup_seconds, 1),
                         "restore_playbook_seconds_median": summary(runs, "restore_playbook_seconds"),
                         "login_page_back_seconds_median": summary(runs, "login_page_back_seconds")}
    report["load_average_at_end"] = os.getloadavg()
    json.dump(report, sys.stdout, indent=2)
    print()


if __name__ == "__main__":
    main()
