#!/usr/bin/env python3
"""Drill probe, run on the outsider VM: sends a request every --interval
seconds for --seconds seconds and writes what it saw as JSON to --out.

  write    POST /standin/rows through Traefik; records the id of every row
           the site acknowledged (200), so that none may go missing later.
  session  GET /odoo with a session cookie; records whether the page was
           the logged-in one (200) or a redirect to the login (303).

--resolve NAME:ADDRESS sends the requests for NAME to ADDRESS (TLS still
checks NAME), for a client without that name in its resolver.

--settle S --after FILE ends the run before --seconds once FILE exists (the
drill writes it when its break has been done), a request has failed, and
every request of the last S seconds succeeded: the outage is over and the
site has served S seconds since. A run that never sees a failure lasts
--seconds, unless --settle-from-mark: then the S seconds count from FILE's
appearance too (for a break whose effect is over when it returns, such as a
converge). The result says whether the run saw FILE (mark_seen).
"""
import os
import argparse
import json
import socket
import ssl
import time
import urllib.error
import urllib.request


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def request(opener, req, timeout):
    try:
        with opener.open(req, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, b""
    except (urllib.error.URLError, OSError) as exc:
        return None, str(exc).encode()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["write", "session"])
    parser.add_argument("--url", required=True)
    parser.add_argument("--cacert", required=True)
    parser.add_argument("--cookie", default="")
    parser.add_argument("--seconds", type=float, required=True)
    parser.add_argument("--interval", type=float, default=0.2)
    parser.add_argument("--out", required=True)
    parser.add_argument("--resolve", default="")
    parser.add_argument("--settle", type=float, default=0.0)
    parser.add_argument("--after", default="")
    parser.add_argument("--settle-from-mark", action="store_true")
    args = parser.parse_args()
    if args.settle and not args.after:
        parser.error("--settle needs --after FILE")

    if args.resolve:
        name, address = args.resolve.split(":", 1)
        lookup = socket.getaddrinfo

        def resolve(host, *rest, **kwargs):
            return lookup(address if host == name else host, *rest, **kwargs)
        socket.getaddrinfo = resolve

    context = ssl.create_default_context(cafile=args.cacert)
    opener = urllib.request.build_opener(urllib.request.HTTPSHandler(context=context), NoRedirect)
    samples = []
    acked = []
    deadline = time.monotonic() + args.seconds
    last_failure = None
    mark_seen = None
    mark_seen_at = None
    while time.monotonic() < deadline:
        if args.after and mark_seen is None and os.path.exists(args.after):
            mark_seen = time.monotonic()
            mark_seen_at = time.time()
        anchors = [t for t in (last_failure, mark_seen if args.settle_from_mark else None) if t is not None]
        if args.settle and mark_seen is not None and anchors and time.monotonic() - max(anchors) >= args.settle:
            break
        started = time.time()
        if args.mode == "write":
            req = urllib.request.Request(args.url, data=b'{"note": "drill"}', method="POST",
                                         headers={"Content-Type": "application/json"})
        else:
            req = urllib.request.Request(args.url, headers={"Cookie": "session_id=" + args.cookie})
        status, body = request(opener, req, timeout=3)
        ok = status == 200
        samples.append({"at": round(started, 3), "status": status, "ok": ok})
        if ok and args.mode == "write":
            answer = json.loads(body)
            acked.append(answer["id"])
            samples[-1]["served_by"] = answer.get("served_by", "")
        if not ok:
            last_failure = time.monotonic()
        if not ok and status is None:
            samples[-1]["error"] = body.decode(errors="replace")[:200]
        time.sleep(max(0.0, args.interval - (time.time() - started)))

    failed = [s for s in samples if not s["ok"]]
    # Runs of failures with no success between them: one per break.
    windows = []
    for sample in samples:
        if sample["ok"]:
            if windows and windows[-1].get("open"):
                windows[-1].pop("open")
                windows[-1]["seconds"] = round(sample["at"] - windows[-1]["start"], 2)
            continue
        if not windows or not windows[-1].get("open"):
            windows.append({"start": sample["at"], "failed": 0, "open": True})
        windows[-1]["failed"] += 1
    if windows and windows[-1].pop("open", None):
        windows[-1]["seconds"] = round(samples[-1]["at"] - windows[-1]["start"], 2)
    result = {
        "requests": len(samples),
        "failed": len(failed),
        "acked_ids": acked,
        "last_ok": any(s["ok"] for s in samples[-5:]),
        "outage_s": round(failed[-1]["at"] - failed[0]["at"], 2) if failed else 0.0,
        "first_failure_at": failed[0]["at"] if failed else None,
        "last_failure_at": failed[-1]["at"] if failed else None,
        "statuses": sorted({str(s["status"]) for s in samples}),
        "mark_seen": mark_seen is not None,
        # Which app host answered each acknowledged write, before and after
        # the break was done (the mark): a drill behind a load balancer.
        "served_by_before_mark": sorted({s["served_by"] for s in samples if "served_by" in s
                                         and (mark_seen_at is None or s["at"] < mark_seen_at)}),
        "served_by_after_mark": sorted({s["served_by"] for s in samples if "served_by" in s
                                        and mark_seen_at is not None and s["at"] >= mark_seen_at}),
        # Each outage: when it began, how long until the next success, requests failed.
        "outages": windows,
    }
    with open(args.out, "w", encoding="utf-8") as handle:
        json.dump(result, handle)


if __name__ == "__main__":
    main()
