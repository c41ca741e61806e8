#!/usr/bin/env python3
"""Test-only webhook sink: appends every POST body (compacted JSON, one a line,
with the time it arrived) to /var/lib/webhook-sink/received.jsonl."""
import json
import os
import sys
import time
from http.server import BaseHTTPRequestHandler, HTTPServer

OUT = "/var/lib/webhook-sink/received.jsonl"


class Sink(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        try:
            document = json.loads(body)
        except ValueError:
            document = {"raw": body.decode("utf-8", "replace")}
        with open(OUT, "a") as handle:
            handle.write(json.dumps({"received": time.time(), "path": self.path, "body": document}) + "\n")
        self.send_response(200)
        self.end_headers()


if __name__ == "__main__":
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    HTTPServer((sys.argv[1], int(sys.argv[2])), Sink).serve_forever()
