#!/usr/bin/env python3
"""Test-only: the alerts the webhook sink received after a time, as one JSON
list with an entry per alert of each notification: when the notification
arrived, the alert's own status (firing or resolved), its name and labels.
Alertmanager groups alerts in one notification whose status is the group's;
the drills need each alert's own.

    sink-alerts AFTER [ALERTNAME [STATUS [LABEL=VALUE ...]]]
"""
import json
import sys

SINK = "/var/lib/webhook-sink/received.jsonl"


def received(after):
    try:
        with open(SINK) as handle:
            lines = handle.readlines()
    except FileNotFoundError:
        lines = []
    for line in lines:
        notification = json.loads(line)
        if notification["received"] > after:
            for alert in notification["body"].get("alerts", []):
                labels = alert.get("labels", {})
                yield {"received": notification["received"], "status": alert.get("status"),
                       "alertname": labels.get("alertname"), "labels": labels,
                       "startsAt": alert.get("startsAt"), "endsAt": alert.get("endsAt")}


def main(argv):
    after = float(argv[0]) if argv else 0.0
    name = argv[1] if len(argv) > 1 else None
    status = argv[2] if len(argv) > 2 else None
    labels = dict(pair.split("=", 1) for pair in argv[3:])
    json.dump([alert for alert in received(after)
               if name in (None, alert["alertname"]) and status in (None, alert["status"])
               and all(alert["labels"].get(key) == value for key, value in labels.items())], sys.stdout)


if __name__ == "__main__":
    main(sys.argv[1:])
