"""The stand-in's HTTP routes (CONTRACT.md), served in-process on loopback ports."""

import base64
import http.client
import json
import os
import socket
import urllib.parse

import pytest
import redis

from odoo_standin import websocket
from odoo_standin.cli import initialize
from odoo_standin.sessions import store_for

from session_addon import ADDON_DIR, ADDON_NAME
from standin_helpers import dbname_for


def http_call(port, method, path, body=None, headers=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


def jsonrpc(port, path, params=None, cookie=None, host=None):
    headers = {"Content-Type": "application/json"}
    if cookie:
        headers["Cookie"] = "session_id=%s" % cookie
    if host:
        headers["Host"] = host
    body = json.dumps({"jsonrpc": "2.0", "method": "call", "id": 7, "params": params or {}})
    status, _headers, raw = http_call(port, "POST", path, body, headers)
    assert status == 200
    return json.loads(raw)


def login(port, password="admin", db=""):
    """Log in as the admin user that -i base creates (admin/admin, test_login.py has more)."""
    form = urllib.parse.urlencode({"login": "admin", "password": password, "db": db})
    return http_call(port, "POST", "/web/login", form,
                     {"Content-Type": "application/x-www-form-urlencoded"})


def session_cookie(headers):
    cookie = headers.get("Set-Cookie", "")
    assert cookie.startswith("session_id=")
    return cookie.split(";")[0].split("=", 1)[1]


@pytest.fixture
def tenant_config(make_config, request):
    """The configuration of a stand-in whose db_name is an initialised database."""
    config = make_config(["-d", dbname_for(request), "-i", "base"])
    initialize(config)
    return config


@pytest.fixture
def standin(tenant_config, serve):
    return serve(tenant_config)


def test_health_answers_pass_and_is_not_cached(standin):
    status, headers, body = http_call(standin.http_port, "GET", "/web/health")
    assert (status, json.loads(body)) == (200, {"status": "pass"})
    assert headers["Cache-Control"] == "no-store"
    assert headers["Content-Type"].startswith("application/json")


def test_health_with_db_server_status_checks_the_database(standin, make_config, serve):
    status, _h, body = http_call(standin.http_port, "GET", "/web/health?db_server_status=1")
    assert (status, json.loads(body)) == (200, {"status": "pass", "db_server_status": True})
    from services import free_port
    broken = serve(make_config(db_port=free_port()))
    status, _h, body = http_call(broken.http_port, "GET", "/web/health?db_server_status=1")
    assert (status, json.loads(body)["status"]) == (500, "fail")
    # ... while the plain health check does not depend on the database.
    assert http_call(broken.http_port, "GET", "/web/health")[0] == 200


def test_login_form_is_served(standin):
    status, headers, body = http_call(standin.http_port, "GET", "/web/login")
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    assert b'name="login"' in body and b'name="password"' in body
    assert b'method="post" action="/web/login"' in body


def test_wrong_password_creates_no_session(standin):
    status, headers, body = login(standin.http_port, password="wrong")
    assert status == 200 and "Set-Cookie" not in headers
    assert b"Wrong login/password" in body


def test_admin_login_creates_a_session(standin):
    tenant = standin.app.config["db_name"]
    status, headers, _body = login(standin.http_port, db=tenant)
    assert (status, headers["Location"]) == (303, "/odoo")
    sid = session_cookie(headers)
    assert "HttpOnly" in headers["Set-Cookie"]
    info = jsonrpc(standin.http_port, "/web/session/get_session_info", cookie=sid)
    assert info["id"] == 7
    assert {k: info["result"][k] for k in ("uid", "username", "db")} == \
        {"uid": 2, "username": "admin", "db": tenant}


def test_session_info_without_a_session_is_expired(standin):
    answer = jsonrpc(standin.http_port, "/web/session/get_session_info", cookie="nope")
    assert answer["error"]["code"] == 100
    assert answer["error"]["data"]["name"] == "odoo.http.SessionExpiredException"


def test_logout_ends_the_session(standin):
    sid = session_cookie(login(standin.http_port)[1])
    status, headers, _body = http_call(standin.http_port, "GET", "/web/session/logout",
                                       headers={"Cookie": "session_id=%s" % sid})
    assert (status, headers["Location"]) == (303, "/web/login")
    answer = jsonrpc(standin.http_port, "/web/session/get_session_info", cookie=sid)
    assert "error" in answer


def test_redis_sessions_are_shared_between_instances(tenant_config, make_config, serve,
                                                     redis_server):
    env = {"ODOO_SESSION_REDIS": "1", "ODOO_SESSION_REDIS_HOST": redis_server.host,
           "ODOO_SESSION_REDIS_PORT": str(redis_server.port),
           "ODOO_SESSION_REDIS_PREFIX": "shared-test"}
    loaded = {ADDON_NAME: ADDON_DIR}
    first = serve(tenant_config, store_for(loaded, env, "/nonexistent"), served_by="app1")
    second = serve(make_config(["-d", tenant_config["db_name"]]),
                   store_for(loaded, env, "/nonexistent"), served_by="app2")
    sid = session_cookie(login(first.http_port)[1])
    info = jsonrpc(second.http_port, "/web/session/get_session_info", cookie=sid)
    assert (info["result"]["uid"], info["result"]["served_by"]) == (2, "app2")
    client = redis.Redis(host=redis_server.host, port=redis_server.port)
    assert client.exists("session:shared-test:%s" % sid) == 1
    assert not os.path.exists(first.app.config.session_dir)


def test_database_list_honours_list_db_and_dbfilter(make_config, serve, request):
    from odoo_standin import db
    config = make_config()
    names = [dbname_for(request) + suffix for suffix in ("_a", "_b")]
    for name in names:
        db.create_database(config, name)
    listed = jsonrpc(serve(config).http_port, "/web/database/list")["result"]
    assert set(names) <= set(listed)
    filtered = serve(make_config(dbfilter="^%d$"))
    host = "%s.example.com" % names[1]
    assert jsonrpc(filtered.http_port, "/web/database/list", host=host)["result"] == [names[1]]
    hidden = serve(make_config(list_db="False"))
    answer = jsonrpc(hidden.http_port, "/web/database/list")
    assert answer["error"]["data"]["name"] == "odoo.exceptions.AccessDenied"


def test_proxy_mode_takes_the_host_from_x_forwarded_host(make_config, serve, request):
    from odoo_standin import db
    name = dbname_for(request)
    config = make_config(dbfilter="^%d$", proxy_mode="True")
    db.create_database(config, name)
    standin = serve(config)
    headers = {"Content-Type": "application/json", "Host": "internal:8069",
               "X-Forwarded-Host": "%s.example.com" % name}
    body = json.dumps({"jsonrpc": "2.0", "method": "call", "id": 1, "params": {}})
    _s, _h, raw = http_call(standin.http_port, "POST", "/web/database/list", body, headers)
    assert json.loads(raw)["result"] == [name]


def _upgrade(port, key=None, extra=None):
    key = key or base64.b64encode(b"0123456789abcdef").decode()
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    headers = {"Host": "127.0.0.1", "Upgrade": "websocket", "Connection": "Upgrade",
               "Sec-WebSocket-Key": key, "Sec-WebSocket-Version": "13"}
    headers.update(extra or {})
    lines = ["GET /websocket HTTP/1.1"] + ["%s: %s" % item for item in headers.items() if item[1]]
    sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
    stream = sock.makefile("rb")
    status_line = stream.readline().decode()
    answer = {}
    for line in iter(stream.readline, b"\r\n"):
        name, value = line.decode().split(":", 1)
        answer[name.strip().lower()] = value.strip()
    return sock, stream, int(status_line.split()[1]), answer


def test_websocket_upgrade_on_the_gevent_port(make_config, serve):
    standin = serve(make_config(workers=2))
    key = base64.b64encode(b"fedcba9876543210").decode()
    sock, stream, status, headers = _upgrade(standin.gevent_port, key)
    try:
        assert status == 101
        assert headers["upgrade"].lower() == "websocket"
        assert headers["sec-websocket-accept"] == websocket.accept_key(key)
        sock.sendall(websocket.encode_frame(websocket.OP_PING, b"hi", mask_key=b"\x01\x02\x03\x04"))
        assert websocket.read_frame(stream) == (websocket.OP_PONG, b"hi")
        sock.sendall(websocket.encode_frame(websocket.OP_CLOSE, websocket.close_payload(1000),
                                            mask_key=b"\x05\x06\x07\x08"))
        assert websocket.read_frame(stream) == (websocket.OP_CLOSE, websocket.close_payload(1000))
    finally:
        sock.close()


def test_accept_key_matches_rfc_6455_example():
    assert websocket.accept_key("dGhlIHNhbXBsZSBub25jZQ==") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="


@pytest.mark.parametrize("workers, expected", [(0, 101), (2, 400)])
def test_websocket_on_the_http_port_only_without_workers(make_config, serve, workers, expected):
    standin = serve(make_config(workers=workers))
    sock, _stream, status, _headers = _upgrade(standin.http_port)
    sock.close()
    assert status == expected


@pytest.mark.parametrize("extra", [{"Upgrade": ""}, {"Sec-WebSocket-Version": "8"},
                                   {"Sec-WebSocket-Key": "short"}])
def test_a_bad_upgrade_is_refused(standin, extra):
    sock, _stream, status, _headers = _upgrade(standin.gevent_port, extra=extra)
    sock.close()
    assert status == 400


def test_write_endpoint_inserts_rows_and_counts_them(make_config, serve, request):
    name = dbname_for(request)
    config = make_config(["-d", name, "-i", "base"])
    initialize(config)
    standin = serve(config, served_by="app-test")
    ids = []
    for i in range(3):
        status, _h, raw = http_call(standin.http_port, "POST", "/standin/rows",
                                    json.dumps({"note": "n%d" % i}),
                                    {"Content-Type": "application/json"})
        assert status == 200
        answer = json.loads(raw)
        assert (answer["db"], answer["served_by"]) == (name, "app-test")
        ids.append(answer["id"])
    assert ids == sorted(ids) and len(set(ids)) == 3
    status, _h, raw = http_call(standin.http_port, "GET", "/standin/rows")
    assert (status, json.loads(raw)) == (200, {"count": 3, "db": name})


def test_write_endpoint_on_a_database_without_base(make_config, serve, request):
    from odoo_standin import db
    name = dbname_for(request)
    config = make_config()
    db.create_database(config, name)
    standin = serve(config)
    status, _h, raw = http_call(standin.http_port, "POST", "/standin/rows?db=%s" % name, "{}")
    assert status == 409 and b"-i base" in raw


def test_write_endpoint_when_the_database_is_down(make_config, serve):
    from services import free_port
    standin = serve(make_config(["-d", "anything"], db_port=free_port()))
    status, _h, raw = http_call(standin.http_port, "POST", "/standin/rows", "{}")
    assert status == 503 and b"database unavailable" in raw


@pytest.mark.parametrize("method, path, expected", [
    ("GET", "/nowhere", 404), ("POST", "/web/health", 405), ("GET", "/", 303),
])
def test_other_requests(standin, method, path, expected):
    assert http_call(standin.http_port, method, path, "" if method == "POST" else None)[0] == expected
