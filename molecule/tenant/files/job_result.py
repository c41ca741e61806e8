#!/usr/bin/env python3
"""Summarise an ansible-runner job from its artifacts, as AWX reads a job.

Usage: job_result.py ARTIFACT_DIR
ARTIFACT_DIR is <private data dir>/artifacts/<ident>. Prints one JSON object:
  status         runner's status file (successful, failed, timeout, ...)
  rc             the playbook's exit code
  stats          the playbook_on_stats event's counts per host (changed,
                 failures, dark, ok, ...), the figures AWX shows for a job
  changed_tasks  "host: task" for every result reported as changed
  failed_tasks   "host: task: message" for every failed or unreachable one
  events         how many job events the run wrote
Exits 1 when the artifacts hold no playbook_on_stats event (the run never
finished a play).
"""

import json
import pathlib
import sys


def read_text(path):
    try:
        return path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None


def main(artifact_dir):
    events = []
    for path in sorted((artifact_dir / "job_events").glob("*.json")):
        events.append(json.loads(path.read_text(encoding="utf-8")))
    events.sort(key=lambda event: event.get("counter", 0))

    stats = None
    changed, failed = [], []
    for event in events:
        data = event.get("event_data", {})
        name = event.get("event")
        where = f"{data.get('host', '?')}: {data.get('task', '?')}"
        if name == "playbook_on_stats":
            stats = {key: data.get(key) or {} for key in
                     ("changed", "failures", "dark", "ok", "skipped", "rescued", "ignored")}
        elif name == "runner_on_ok" and data.get("res", {}).get("changed"):
            changed.append(where)
        elif name in ("runner_on_failed", "runner_on_unreachable") and not data.get("ignore_errors"):
            failed.append(f"{where}: {str(data.get('res', {}).get('msg', ''))[:300]}")

    rc = read_text(artifact_dir / "rc")
    print(json.dumps({
        "status": read_text(artifact_dir / "status"),
        "rc": int(rc) if rc is not None else None,
        "stats": stats,
        "changed_tasks": changed,
        "failed_tasks": failed,
        "events": len(events),
    }, indent=1))
    return 0 if stats is not None else 1


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    sys.exit(main(pathlib.Path(sys.argv[1])))
