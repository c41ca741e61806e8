#!/usr/bin/env python3
"""Test-only stand-in for a tenant's edge (Traefik in front of Odoo), enough
for the blackbox probes: HTTPS with a certificate of the tenant CA;
/web/health answers {"status": "pass"}; /web/login?db=X first redirects to
itself with a session cookie (as Odoo's ensure_db does when the session's
database differs), then serves a page with Odoo's login form; /websocket
answers a websocket handshake with 101. Anything else: 200."""
import base64
import hashlib
import ssl
import sys
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import parse_qs, urlparse

LOGIN_PAGE = (b'<html><body><form class="oe_login_form" role="form" action="/web/login" method="post">'
              b'<input type="text" name="login" id="login"/><input type="password" name="password"/>'
              b'</form></body></html>')
WEBSOCKET_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


class Edge(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def answer(self, status, body=b"", headers=()):
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        url = urlparse(self.path)
        if url.path == "/websocket" and self.headers.get("Upgrade", "").lower() == "websocket":
            accept = base64.b64encode(hashlib.sha1(
                (self.headers.get("Sec-WebSocket-Key", "") + WEBSOCKET_GUID).encode()).digest()).decode()
            self.send_response(101)
            self.send_header("Upgrade", "websocket")
            self.send_header("Connection", "Upgrade")
            self.send_header("Sec-WebSocket-Accept", accept)
            self.end_headers()
            self.close_connection = True
        elif url.path == "/web/health":
            self.answer(200, b'{"status": "pass"}', [("Content-Type", "application/json")])
        elif url.path == "/web/login":
            database = parse_qs(url.query).get("db", [""])[0]
            if "session_db=" + database in self.headers.get("Cookie", ""):
                self.answer(200, LOGIN_PAGE, [("Content-Type", "text/html")])
            else:
                self.answer(303, b"", [("Location", self.path), ("Set-Cookie", "session_db=%s; Path=/" % database)])
        else:
            self.answer(200, b"ok", [("Content-Type", "text/plain")])


if __name__ == "__main__":
    server = HTTPServer((sys.argv[1], 443), Edge)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(sys.argv[2], sys.argv[3])
    server.socket = context.wrap_socket(server.socket, server_side=True)
    server.serve_forever()
