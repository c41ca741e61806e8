#!/usr/bin/env python3
"""Users' latency during an integration burst, with the integration pool off and on.

Drives a running tenant whose inventory turns the integration pool on
(odoo_integration_enabled) and routes the stand-in's slow endpoint to it
(traefik_integration_path_prefixes_extra: [/standin/slow]): the whole-tenant
Molecule scenario after its converge and verify, or the demo with those
variables. Everything goes through one app host's Traefik.

Each run measures both modes side by side, in turn:

- off: the app host's Traefik sends the integration routes to odoo-web (its
  dynamic file rewritten, as if the pool did not exist; the routes and their
  rate limit stay, so only the workers differ);
- on: the file as the role wrote it, the routes going to odoo-integration.

In each mode, a logged-in user loads /odoo sequentially (--samples requests,
0.1 s apart), first at rest, then while --burst-clients integration clients
each call /standin/slow?seconds=--slow-seconds back to back (each with its
own API key, so that the rate limit never answers 429). Reported: p50 and p95
of the user's latency at rest and during the burst, the ratio of the p95s,
medians over --runs. The app host's file is put back at the end. Prints one
JSON document; never asserts timings.

Usage (the tenant scenario):
  benchmarks/integration_isolation.py --secrets <ephemeral dir>/secrets \\
      --vm tenant-app-1 --address 172.30.15.21 --domain odoo.demo.test --database demo
"""

import argparse
import http.cookiejar
import json
import os
import socket
import ssl
import statistics
import subprocess
import threading
import time
import urllib.parse
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BACKENDS = "/etc/traefik/dynamic/odoo-backends.yml"


def docker(*args, stdin=None):
    return subprocess.run(["docker", *args], check=True, capture_output=True, text=True, input=stdin).stdout


def percentile(values, share):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


class Tenant:
    def __init__(self, options):
        self.options = options
        self.base = "https://%s" % options.domain
        # The CA the app host's Traefik certificate chains to (internal_ca).
        self.context = ssl.create_default_context(cadata=docker("exec", options.vm, "cat", "/etc/traefik/tls/ca.crt"))
        lookup = socket.getaddrinfo

        def resolve(host, *rest, **kwargs):
            return lookup(options.address if host == options.domain else host, *rest, **kwargs)
        socket.getaddrinfo = resolve

    def opener(self, cookies=None):
        handlers = [urllib.request.HTTPSHandler(context=self.context)]
        if cookies is not None:
            handlers.append(urllib.request.HTTPCookieProcessor(cookies))
        return urllib.request.build_opener(*handlers)

    def login(self):
        cookies = http.cookiejar.CookieJar()
        opener = self.opener(cookies)
        with open(os.path.join(self.options.secrets, "odoo_admin_user_password"), encoding="utf-8") as handle:
            password = handle.read().split()[0]
        form = urllib.parse.urlencode({"login": "admin", "password": password, "db": self.options.database,
                                       "redirect": "/odoo"}).encode()
        with opener.open(self.base + "/web/login", data=form, timeout=30) as answer:
            if not answer.geturl().endswith("/odoo"):
                raise RuntimeError("login failed: ended on %s" % answer.geturl())
        return opener

    def user_latencies(self, opener, samples):
        latencies = []
        for _ in range(samples):
            started = time.monotonic()
            with opener.open(self.base + "/odoo", timeout=120) as answer:
                answer.read()
                if answer.status != 200:
                    raise RuntimeError("/odoo answered %s" % answer.status)
            latencies.append(time.monotonic() - started)
            time.sleep(0.1)
        return latencies

    def burst(self, stop, client, errors):
        opener = self.opener()
        url = "%s/standin/slow?seconds=%s" % (self.base, self.options.slow_seconds)
        request = urllib.request.Request(url, headers={"X-Api-Key": "benchmark-%d" % client})
        while not stop.is_set():
            try:
                with opener.open(request, timeout=300) as answer:
                    answer.read()
            except OSError as exc:  # counted, not fatal: the report says how many
                errors.append(str(exc))

    def set_mode(self, original, mode):
        """Writes the backends file for the mode, then waits until Traefik's API shows it."""
        web = "http://127.0.0.1:%d" % self.options.odoo_http_port
        integration = "http://127.0.0.1:%d" % self.options.integration_http_port
        if integration not in original:
            raise RuntimeError("%s on %s has no %s: is the integration pool on?" % (BACKENDS, self.options.vm, integration))
        content = original if mode == "on" else original.replace(integration, web)
        docker("exec", "-i", self.options.vm, "sh", "-c", "cat > %s" % BACKENDS, stdin=content)
        want = integration if mode == "on" else web
        api = "http://%s:%d/api/http/services/odoo-integration@file" % (self.options.address, self.options.traefik_api_port)
        for _ in range(100):
            try:
                with urllib.request.urlopen(api, timeout=3) as answer:
                    servers = [s["url"] for s in json.load(answer)["loadBalancer"]["servers"]]
                if servers == [want]:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError("Traefik did not take the %s mode within 20 s" % mode)

    def measure(self, opener):
        rest = self.user_latencies(opener, self.options.samples)
        stop, errors = threading.Event(), []
        clients = [threading.Thread(target=self.burst, args=(stop, n, errors)) for n in range(self.options.burst_clients)]
        for thread in clients:
            thread.start()
        time.sleep(1)
        try:
            during = self.user_latencies(opener, self.options.samples)
        finally:
            stop.set()
            for thread in clients:
                thread.join()
        result = {"rest_p50": percentile(rest, 0.5), "rest_p95": percentile(rest, 0.95),
                  "burst_p50": percentile(during, 0.5), "burst_p95": percentile(during, 0.95),
                  "burst_errors": len(errors)}
        result["p95_ratio"] = result["burst_p95"] / result["rest_p95"]
        return result


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--secrets", default=os.environ.get(
        "ODOO_HOSTING_DEMO_SECRETS", os.path.join(ROOT, ".cache", "demo", "secrets")))
    parser.add_argument("--vm", default="demo-app-1")
    parser.add_argument("--address", default="172.30.20.21")
    parser.add_argument("--domain", default="odoo.demo.test")
    parser.add_argument("--database", default="demo")
    parser.add_argument("--traefik-api-port", type=int, default=8082)
    parser.add_argument("--odoo-http-port", type=int, default=8069)
    parser.add_argument("--integration-http-port", type=int, default=8079)
    parser.add_argument("--burst-clients", type=int, default=4)
    parser.add_argument("--slow-seconds", type=float, default=2.0)
    parser.add_argument("--samples", type=int, default=20)
    options = parser.parse_args()

    tenant = Tenant(options)
    original = docker("exec", options.vm, "cat", BACKENDS)
    runs = {"off": [], "on": []}
    try:
        opener = tenant.login()
        for _ in range(options.runs):
            for mode in ("off", "on"):
                tenant.set_mode(original, mode)
                runs[mode].append(tenant.measure(opener))
    finally:
        tenant.set_mode(original, "on")
    report = {
        "benchmark": "integration_isolation",
        "vm": options.vm,
        "runs": options.runs,
        "samples": options.samples,
        "burst_clients": options.burst_clients,
        "slow_seconds": options.slow_seconds,
        "medians": {mode: {key: round(statistics.median(run[key] for run in results), 4) for key in results[0]}
                    for mode, results in runs.items()},
        "runs_detail": runs,
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
