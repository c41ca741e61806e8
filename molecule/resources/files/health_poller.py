#!/usr/bin/env python3
"""Poll https://<host>/web/health every 100 ms over one keep-alive connection until a stop
file appears; write the counts, and every failure with its time and reason,
as JSON. A failure is any answer but 200 or any connection error (after which
the poller reconnects, as a browser would)."""

import http.client
import json
import os
import ssl
import sys
import time


def main(host, ca_file, stop_file, result_file):
    context = ssl.create_default_context(cafile=ca_file)
    result = {"requests": 0, "failures": 0, "errors": []}
    connection = None
    while not os.path.exists(stop_file):
        started = time.time()
        try:
            if connection is None:
                connection = http.client.HTTPSConnection(host, 443, timeout=5, context=context)
            connection.request("GET", "/web/health")
            response = connection.getresponse()
            response.read()
            if response.status != 200:
                raise RuntimeError("status %s" % response.status)
        except Exception as exc:  # pylint: disable=broad-except
            result["failures"] += 1
            result["errors"].append({"at": round(started, 3), "error": repr(exc)[:200]})
            if connection is not None:
                connection.close()
            connection = None
        result["requests"] += 1
        if result["requests"] % 10 == 0:
            write(result_file, result)
        time.sleep(max(0.0, 0.1 - (time.time() - started)))
    write(result_file, result)


def write(path, result):
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as handle:
        json.dump(result, handle)
    os.replace(tmp, path)


if __name__ == "__main__":
    main(*sys.argv[1:5])
