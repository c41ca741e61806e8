#!/usr/bin/env python3
"""Cold and warm converge time of playbooks/site.yml on the demo's VMs.

For each of N runs: removes the demo (demo/down.yml), starts fresh VM
containers with the secrets and images (demo/create.yml, not timed), then
times playbooks/site.yml twice against demo/inventory: the cold converge on
fresh VMs and the warm re-run, with the changed count and the number of
executed and skipped task results of each taken from the play recap.

With --compare REF, every run does the same first for the checkout's own
tree and then for REF (a git revision, checked out in a temporary worktree
that shares this checkout's venv), one after the other on the same machine,
so that the two are measured side by side; the report gives both and the
ratios. Leaves the last demo running (scripts/demo.sh down removes it).

Prints one JSON document with the medians; never asserts timings. Aims
(issue 12): warm re-run 60 s with changed=0, cold 360 s.

Usage: benchmarks/site_converge.py [--runs 3] [--compare 4be81f9]
(as root; scripts/demo.sh up once first, so that Docker, the venv and the
images exist)
"""

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RECAP = re.compile(r"^(\S+)\s+:\s+ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)\s+skipped=(\d+)", re.M)


def environment(tree):
    """The environment scripts/dev-env.sh makes, for the checkout at tree."""
    env = dict(os.environ)
    env.update({
        "PATH": os.path.join(ROOT, ".venv", "bin") + os.pathsep + env.get("PATH", ""),
        "ANSIBLE_CONFIG": os.path.join(tree, "ansible.cfg"),
        "ANSIBLE_COLLECTIONS_PATH": os.path.join(tree, ".ansible", "collections"),
        "ODOO_HOSTING_DEMO_SECRETS": os.path.join(tree, ".cache", "demo", "secrets"),
    })
    return env


def link_collection(tree):
    """Links tree as sysgenpro.odoo_hosting in its own .ansible/collections."""
    parent = os.path.join(tree, ".ansible", "collections", "ansible_collections", "sysgenpro")
    os.makedirs(parent, exist_ok=True)
    link = os.path.join(parent, "odoo_hosting")
    if os.path.islink(link):
        os.unlink(link)
    os.symlink(tree, link)
    os.makedirs(os.path.join(tree, ".cache", "demo", "secrets"), mode=0o700, exist_ok=True)


def playbook(tree, path, log):
    """Runs one playbook of tree, its output to log; returns (seconds, recap per host)."""
    started = time.monotonic()
    with open(log, "w", encoding="utf-8") as out:
        result = subprocess.run(["ansible-playbook", "-i", os.path.join(tree, "demo", "inventory"), path],
                                cwd=tree, env=environment(tree), stdout=out, stderr=subprocess.STDOUT, check=False)
    seconds = time.monotonic() - started
    with open(log, encoding="utf-8") as out:
        text = out.read()
    recap = {m.group(1): {"ok": int(m.group(2)), "changed": int(m.group(3)), "unreachable": int(m.group(4)),
                          "failed": int(m.group(5)), "skipped": int(m.group(6))}
             for m in RECAP.finditer(text)}
    if result.returncode != 0:
        sys.exit("%s failed (exit %d), see %s" % (path, result.returncode, log))
    return seconds, recap


def converge_pair(tree, label, run, logs):
    """Fresh demo VMs for tree, then a timed cold and warm site.yml; returns one result."""
    playbook(tree, "demo/down.yml", os.path.join(logs, "bench-converge-%s-down.log" % label))
    playbook(tree, "demo/create.yml", os.path.join(logs, "bench-converge-%s-create.log" % label))
    cold, cold_recap = playbook(tree, "playbooks/site.yml", os.path.join(logs, "bench-converge-%s-cold-%d.log" % (label, run)))
    warm, warm_recap = playbook(tree, "playbooks/site.yml", os.path.join(logs, "bench-converge-%s-warm-%d.log" % (label, run)))
    result = {
        "tree": label,
        "run": run,
        "cold_seconds": round(cold, 1),
        "cold_changed": sum(h["changed"] for h in cold_recap.values()),
        "warm_seconds": round(warm, 1),
        "warm_changed": sum(h["changed"] for h in warm_recap.values()),
        "warm_task_results": sum(h["ok"] + h["skipped"] for h in warm_recap.values()),
        "load_average": [round(load, 2) for load in os.getloadavg()],
    }
    print("run %d: %s" % (run, json.dumps(result)), file=sys.stderr)
    return result


def summary(runs):
    return {
        "runs": runs,
        "median_cold_seconds": round(statistics.median(r["cold_seconds"] for r in runs), 1),
        "median_warm_seconds": round(statistics.median(r["warm_seconds"] for r in runs), 1),
        "max_warm_changed": max(r["warm_changed"] for r in runs),
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--compare", metavar="REF", help="a git revision measured side by side with this tree")
    args = parser.parse_args(argv)
    logs = os.path.join(ROOT, ".cache", "logs")
    os.makedirs(logs, exist_ok=True)
    link_collection(ROOT)

    other = None
    if args.compare:
        other = tempfile.mkdtemp(prefix="site-converge-", dir="/var/tmp")
        subprocess.run(["git", "-C", ROOT, "worktree", "add", "--detach", other, args.compare], check=True,
                       stdout=subprocess.DEVNULL)
        link_collection(other)
    try:
        this_runs, other_runs = [], []
        for run in range(1, args.runs + 1):
            # Alternate which tree goes first, so that neither always meets a warmer machine.
            order = [("this", ROOT, this_runs), ("compared", other, other_runs)] if other else [("this", ROOT, this_runs)]
            for label, tree, results in (order if run % 2 else order[::-1]):
                results.append(converge_pair(tree, label, run, logs))
        if other:
            playbook(other, "demo/down.yml", os.path.join(logs, "bench-converge-compared-down.log"))
    finally:
        if other:
            subprocess.run(["git", "-C", ROOT, "worktree", "remove", "--force", other], check=False)
            shutil.rmtree(other, ignore_errors=True)

    report = {
        "benchmark": "site_converge",
        "hosts": "demo: 3 DB VMs, 1 app VM (containers on this machine); the app VM's Docker Engine and"
                 " images are put there by demo/create.yml before the cold run (no registry)",
        "cpus": os.cpu_count(),
        "load_average_at_end": os.getloadavg(),
        "this": summary(this_runs),
        "aims": {"cold_seconds": 360, "warm_seconds": 60, "warm_changed": 0},
    }
    if other:
        report["compared"] = dict(summary(other_runs), ref=args.compare)
        report["ratios_compared_over_this"] = {
            "cold": round(report["compared"]["median_cold_seconds"] / report["this"]["median_cold_seconds"], 2),
            "warm": round(report["compared"]["median_warm_seconds"] / report["this"]["median_warm_seconds"], 2),
        }
    json.dump(report, sys.stdout, indent=2)
    print()


if __name__ == "__main__":
    main()
