#!/usr/bin/env python3
"""Cold and warm converge time of playbooks/site.yml on the demo's VMs.

For each of N runs: removes the demo (demo/down.yml), starts fresh VM
containers with the secrets and images (demo/create.yml, not timed), then
times playbooks/site.yml twice against demo/inventory: the cold converge on
fresh VMs and the warm re-run, with the changed count of each taken from the
play recap. Leaves the last demo running (scripts/demo.sh down removes it).

Prints one JSON document with the medians; never asserts timings. Aims
(issue 8): cold under 600 s, warm under 90 s with changed=0.

Usage: benchmarks/site_converge.py [--runs 3]   (as root; scripts/demo.sh up
once first, so that Docker, the venv and the images exist)
"""

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
INVENTORY = os.path.join(ROOT, "demo", "inventory")
RECAP = re.compile(r"^(\S+)\s+:\s+ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", re.M)


def playbook(path, log):
    """Runs one playbook, its output to log; returns (seconds, recap per host)."""
    started = time.monotonic()
    with open(log, "w", encoding="utf-8") as out:
        result = subprocess.run(["ansible-playbook", "-i", INVENTORY, path], cwd=ROOT,
                                stdout=out, stderr=subprocess.STDOUT, check=False)
    seconds = time.monotonic() - started
    with open(log, encoding="utf-8") as out:
        text = out.read()
    recap = {m.group(1): {"ok": int(m.group(2)), "changed": int(m.group(3)),
                          "unreachable": int(m.group(4)), "failed": int(m.group(5))}
             for m in RECAP.finditer(text)}
    if result.returncode != 0:
        sys.exit("%s failed (exit %d), see %s" % (path, result.returncode, log))
    return seconds, recap


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    os.environ.setdefault("ODOO_HOSTING_DEMO_SECRETS", os.path.join(ROOT, ".cache", "demo", "secrets"))
    logs = os.path.join(ROOT, ".cache", "logs")
    os.makedirs(logs, exist_ok=True)

    runs = []
    for run in range(1, args.runs + 1):
        playbook("demo/down.yml", os.path.join(logs, "bench-converge-down.log"))
        os.makedirs(os.environ["ODOO_HOSTING_DEMO_SECRETS"], mode=0o700, exist_ok=True)
        playbook("demo/create.yml", os.path.join(logs, "bench-converge-create.log"))
        cold, cold_recap = playbook("playbooks/site.yml", os.path.join(logs, "bench-converge-cold-%d.log" % run))
        warm, warm_recap = playbook("playbooks/site.yml", os.path.join(logs, "bench-converge-warm-%d.log" % run))
        runs.append({
            "run": run,
            "cold_seconds": round(cold, 1),
            "cold_changed": sum(h["changed"] for h in cold_recap.values()),
            "warm_seconds": round(warm, 1),
            "warm_changed": sum(h["changed"] for h in warm_recap.values()),
        })
        print("run %d: %s" % (run, json.dumps(runs[-1])), file=sys.stderr)

    report = {
        "benchmark": "site_converge",
        "hosts": "demo: 3 DB VMs, 1 app VM (containers on this machine); the app VM's Docker Engine and"
                 " images are put there by demo/create.yml before the cold run (no registry)",
        "cpus": os.cpu_count(),
        "load_average_at_end": os.getloadavg(),
        "runs": runs,
        "median_cold_seconds": round(statistics.median(r["cold_seconds"] for r in runs), 1),
        "median_warm_seconds": round(statistics.median(r["warm_seconds"] for r in runs), 1),
        "max_warm_changed": max(r["warm_changed"] for r in runs),
        "aims": {"cold_seconds": 600, "warm_seconds": 90, "warm_changed": 0},
    }
    json.dump(report, sys.stdout, indent=2)
    print()


if __name__ == "__main__":
    main()
