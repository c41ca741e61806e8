"""Prefork concurrency, the slow endpoint and /jsonrpc (CONTRACT.md).

Timings are checked with wide margins only: a request that waited for a
worker took at least two sleeps of 1 s; concurrency itself is proven by
counting the requests in progress (App.busy), never by a tight deadline.
"""

import http.client
import json
import threading
import time

import pytest

from odoo_standin import VERSION

SLOW = "/standin/slow?seconds=1"


def get(port, path, timeout=30):
    """(status, parsed JSON or text, seconds taken) of one GET on a new connection."""
    started = time.monotonic()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        raw = response.read()
    finally:
        conn.close()
    body = json.loads(raw) if response.getheader("Content-Type", "").startswith(
        "application/json") else raw.decode()
    return response.status, body, time.monotonic() - started


def in_parallel(calls):
    """Run the calls at once; their results (or exceptions) in order, and the most in progress."""
    results = [None] * len(calls)

    def run(index, call):
        try:
            results[index] = call()
        except OSError as exc:
            results[index] = exc

    threads = [threading.Thread(target=run, args=item) for item in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


class BusyPeak:
    """The most requests in progress at once on a stand-in, sampled every 5 ms."""

    def __init__(self, app):
        self.app = app
        self.peak = 0
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._sample)

    def _sample(self):
        while not self._done.wait(0.005):
            self.peak = max(self.peak, self.app.busy)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *_exc):
        self._done.set()
        self._thread.join()


def slow_three_times(standin, port):
    with BusyPeak(standin.app) as busy:
        results = in_parallel([lambda: get(port, SLOW)] * 3)
    assert [status for status, _body, _took in results] == [200, 200, 200]
    return sorted(took for _status, _body, took in results), busy.peak


def test_workers_serve_at_most_that_many_requests_at_once(make_config, serve):
    standin = serve(make_config(workers=2))
    times, peak = slow_three_times(standin, standin.http_port)
    assert peak == 2
    # The third request waited for a worker: its own second plus one before it.
    assert times[2] >= 1.9


def test_without_workers_requests_are_served_together(make_config, serve):
    standin = serve(make_config(workers=0))
    times, peak = slow_three_times(standin, standin.http_port)
    assert peak == 3
    assert times[2] < 1.9  # none waited for another's second


def test_the_gevent_port_is_not_limited_by_workers(make_config, serve):
    standin = serve(make_config(workers=2))
    times, peak = slow_three_times(standin, standin.gevent_port)
    assert peak == 3
    assert times[2] < 1.9


def wait_busy(app, count, timeout=10):
    deadline = time.monotonic() + timeout
    while app.busy < count:
        assert time.monotonic() < deadline, "the slow request never started"
        time.sleep(0.01)


def test_health_waits_for_a_free_worker(make_config, serve):
    standin = serve(make_config(workers=1))
    slow = threading.Thread(target=get, args=(standin.http_port, "/standin/slow?seconds=2"))
    slow.start()
    wait_busy(standin.app, 1)
    status, body, took = get(standin.http_port, "/web/health")
    slow.join()
    assert (status, body) == (200, {"status": "pass"})
    assert took >= 0.5  # it queued behind the slow request's two seconds


def test_prefork_answers_close_the_connection(make_config, serve):
    standin = serve(make_config(workers=2))
    conn = http.client.HTTPConnection("127.0.0.1", standin.http_port, timeout=10)
    try:
        conn.request("GET", "/web/health")
        response = conn.getresponse()
        response.read()
    finally:
        conn.close()
    assert response.getheader("Connection") == "close"


def test_stop_lets_the_request_in_flight_finish(make_config, serve):
    standin = serve(make_config(workers=1))
    answers = {}

    def slow():
        answers["slow"] = get(standin.http_port, SLOW)

    thread = threading.Thread(target=slow)
    thread.start()
    wait_busy(standin.app, 1)
    started = time.monotonic()
    standin.service.stop()
    thread.join()
    assert answers["slow"][:2] == (200, {"slept": 1.0, "served_by": "standin-test"})
    assert time.monotonic() - started < 10  # grace is 2 s; a hung stop would be far longer


@pytest.mark.parametrize("seconds", ["abc", "-1", "60.5", "nan", "inf"])
def test_slow_refuses_bad_seconds(make_config, serve, seconds):
    standin = serve(make_config())
    status, body, _took = get(standin.http_port, "/standin/slow?seconds=%s" % seconds)
    assert status == 400
    assert "seconds must be a number from 0 to 60" in body


def test_slow_answers_what_it_slept(make_config, serve):
    standin = serve(make_config(), served_by="app-slow")
    status, body, took = get(standin.http_port, "/standin/slow?seconds=0.2")
    assert (status, body) == (200, {"slept": 0.2, "served_by": "app-slow"})
    assert took >= 0.2


def call_jsonrpc(port, params):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("POST", "/jsonrpc", json.dumps(
            {"jsonrpc": "2.0", "method": "call", "id": 3, "params": params}),
            {"Content-Type": "application/json"})
        response = conn.getresponse()
        assert response.status == 200  # JSON-RPC errors too
        return json.loads(response.read())
    finally:
        conn.close()


def test_jsonrpc_common_version(make_config, serve):
    standin = serve(make_config())
    answer = call_jsonrpc(standin.http_port, {"service": "common", "method": "version",
                                              "args": []})
    assert answer["id"] == 3
    assert answer["result"] == {"server_version": VERSION,
                                "server_version_info": [18, 0, 0, "final", 0, ""],
                                "server_serie": VERSION, "protocol_version": 1}


@pytest.mark.parametrize("params, name, message", [
    ({"service": "common", "method": "nope", "args": []}, "builtins.Exception",
     "Method not found: nope"),
    ({"service": "nope", "method": "version", "args": []}, "builtins.KeyError", "nope"),
    ({"service": "common", "method": "version"}, "builtins.TypeError",
     "RPC.jsonrpc() missing 1 required positional argument: 'args'"),
    ({"service": "object", "method": "execute_kw", "args": []}, "builtins.NotImplementedError",
     "The Odoo stand-in does not implement the object service"),
])
def test_jsonrpc_errors(make_config, serve, params, name, message):
    standin = serve(make_config())
    error = call_jsonrpc(standin.http_port, params)["error"]
    assert (error["code"], error["message"]) == (200, "Odoo Server Error")
    assert (error["data"]["name"], error["data"]["message"]) == (name, message)
    assert error["data"]["debug"].startswith("Traceback")
