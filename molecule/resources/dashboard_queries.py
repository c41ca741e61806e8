"""Run every query of a Grafana dashboard against a Prometheus; report the empty and the failing ones.

    python3 dashboard_queries.py --dashboard odoo-tenant.json --prometheus http://10.0.0.5:9090 \
        --tenant acme [--cacert ca.pem]

Each panel target's ``expr`` gets the dashboard's variables filled in as Grafana would:
``$tenant`` / ``${tenant}`` from --tenant, ``$__rate_interval`` and ``$__interval`` (1m) and
``$__range`` (5m) from the options of the same names, and is sent to ``/api/v1/query``.
Printed as JSON:

    {"query_count": 44, "empty": [...], "errors": [...], "allowed_empty": [...]}

``empty`` lists the queries that returned no series, ``errors`` those Prometheus refused or
that could not be sent (or that kept a variable this script does not know). A panel whose
``description`` ends with ALLOW_EMPTY_TAG may be empty in a healthy tenant (etcd not
scraped, no restore drill yet, no alert firing): its empty queries go to ``allowed_empty``
instead. Exit status 1 when ``empty`` or ``errors`` is not empty, else 0.

Python 3.11 standard library only: it runs on the scenario's controller or a test VM as it is.
"""

import argparse
import json
import re
import ssl
import sys
import urllib.error
import urllib.parse
import urllib.request

# A panel's description ending with this may legitimately return nothing.
ALLOW_EMPTY_TAG = "[allow-empty]"

# Grafana's variable forms: $name, ${name} and ${name:format}. A name starting with a
# digit is not a variable ($1 in label_replace's replacement stays as it is).
_VARIABLE = re.compile(r"\$\{([A-Za-z_]\w*)(?::\w+)?\}|\$([A-Za-z_]\w*)")


def panels_of(dashboard):
    """Every panel of the dashboard, those inside rows (collapsed or not) included, in order."""
    def walk(panels):
        for panel in panels or []:
            yield panel
            yield from walk(panel.get("panels"))
    return list(walk(dashboard.get("panels")))


def substitute(expr, variables):
    """``expr`` with Grafana's variables replaced from ``variables``; unknown ones are left as written."""
    def replace(match):
        name = match.group(1) or match.group(2)
        return variables.get(name, match.group(0))
    return _VARIABLE.sub(replace, expr)


def unresolved(expr):
    """Names of the variables still in ``expr``."""
    return sorted({m.group(1) or m.group(2) for m in _VARIABLE.finditer(expr)})


def dashboard_queries(dashboard, variables):
    """One entry per panel target with an expr: panel id and title, refId, the expr with its variables filled in,
    and whether the panel allows an empty answer."""
    queries = []
    for panel in panels_of(dashboard):
        allow_empty = (panel.get("description") or "").rstrip().endswith(ALLOW_EMPTY_TAG)
        for target in panel.get("targets") or []:
            if not target.get("expr"):
                continue
            queries.append({
                "panel_id": panel.get("id"),
                "panel": panel.get("title", ""),
                "ref_id": target.get("refId", ""),
                "expr": substitute(target["expr"], variables),
                "allow_empty": allow_empty,
            })
    return queries


class Prometheus:
    """A Prometheus HTTP API at ``url``: instant queries, answered as (series count, error or None)."""

    def __init__(self, url, cacert=None, timeout=30):
        self.endpoint = url.rstrip("/") + "/api/v1/query"
        self.timeout = timeout
        self.context = ssl.create_default_context(cafile=cacert) if url.startswith("https:") else None

    def query(self, expr):
        body = urllib.parse.urlencode({"query": expr}).encode()
        request = urllib.request.Request(self.endpoint, data=body, method="POST",
                                         headers={"Content-Type": "application/x-www-form-urlencoded"})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout, context=self.context) as response:
                answer = response.read()
        except urllib.error.HTTPError as exc:
            # Prometheus answers 400 (bad_data) or 422 (execution) with a JSON error body.
            answer = exc.read()
            try:
                return 0, "HTTP %d: %s" % (exc.code, json.loads(answer).get("error", answer.decode(errors="replace")))
            except ValueError:
                return 0, "HTTP %d: %s" % (exc.code, answer.decode(errors="replace")[:200])
        except (urllib.error.URLError, OSError) as exc:
            return 0, "Cannot query %s: %s" % (self.endpoint, getattr(exc, "reason", exc))
        try:
            document = json.loads(answer)
        except ValueError:
            return 0, "Not a JSON answer from %s" % self.endpoint
        if document.get("status") != "success":
            return 0, document.get("error") or "status %r" % document.get("status")
        data = document.get("data") or {}
        if data.get("resultType") == "scalar":
            return 1, None
        return len(data.get("result") or []), None


def check(queries, prometheus):
    """Send every query; the report printed by main()."""
    report = {"query_count": len(queries), "empty": [], "errors": [], "allowed_empty": []}
    if not queries:
        report["errors"].append({"error": "the dashboard has no panel target with an expr"})
    for query in queries:
        entry = {"panel_id": query["panel_id"], "panel": query["panel"], "ref_id": query["ref_id"],
                 "expr": query["expr"]}
        left = unresolved(query["expr"])
        if left:
            report["errors"].append(dict(entry, error="unresolved variables: %s" % ", ".join(left)))
            continue
        count, error = prometheus.query(query["expr"])
        if error:
            report["errors"].append(dict(entry, error=error))
        elif count == 0:
            report["allowed_empty" if query["allow_empty"] else "empty"].append(entry)
    return report


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--dashboard", required=True, help="the dashboard's JSON file")
    parser.add_argument("--prometheus", required=True, help="Prometheus's base URL, http(s)://host:port")
    parser.add_argument("--tenant", required=True, help="value of $tenant")
    parser.add_argument("--cacert", help="CA bundle that checks an https Prometheus")
    parser.add_argument("--rate-interval", default="1m", help="value of $__rate_interval (default 1m)")
    parser.add_argument("--interval", default="1m", help="value of $__interval (default 1m)")
    parser.add_argument("--range", default="5m", help="value of $__range (default 5m)")
    parser.add_argument("--timeout", type=float, default=30, help="seconds per query (default 30)")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    with open(args.dashboard, encoding="utf-8") as handle:
        dashboard = json.load(handle)
    variables = {"tenant": args.tenant, "__rate_interval": args.rate_interval,
                 "__interval": args.interval, "__range": args.range}
    report = check(dashboard_queries(dashboard, variables), Prometheus(args.prometheus, args.cacert, args.timeout))
    print(json.dumps(report, indent=2))
    return 1 if report["empty"] or report["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
