"""The stand-in's HTTP servers: the routes of CONTRACT.md on http_port and gevent_port."""

import http.cookies
import email.parser
import email.policy
import json
import logging
import re
import socket
import threading
import time
import traceback
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from . import VERSION, attachments, db, passwords, queue_job, websocket
from .sessions import DEFAULT_EXPIRATION, new_sid

_logger = logging.getLogger("odoo.http")
_access = logging.getLogger("werkzeug")

MAX_BODY = 64 * 1024 * 1024  # bytes; uploads included
# A prefork worker's socket timeout: WorkerHTTP's default when
# ODOO_HTTP_SOCKET_TIMEOUT is unset (odoo/service/server.py).
PREFORK_SOCKET_TIMEOUT = 2.0
SLOW_MAX_SECONDS = 60.0
LOGIN_FORM = """<!DOCTYPE html>
<html><head><title>Odoo (stand-in)</title></head><body>
<form class="oe_login_form" method="post" action="/web/login">
{error}<input type="hidden" name="db" value="{db}"/>
<label for="login">Email</label><input id="login" name="login" type="text" autofocus/>
<label for="password">Password</label><input id="password" name="password" type="password"/>
<input type="hidden" name="redirect" value="{redirect}"/>
<button type="submit">Log in</button>
</form></body></html>
"""


def _html_escape(text):
    return (str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;"))


def rpc_error(code, message, name, detail):
    """The JSON-RPC error object the real server sends (HTTP status stays 200)."""
    return {"code": code, "message": message,
            "data": {"name": name, "message": detail, "arguments": [detail], "context": {}}}


def rpc_exception(exc):
    """The JSON-RPC error of an exception raised under a route, as odoo.http serialises it.

    ``name`` is the exception's module and class, ``message`` its arguments
    one per line, ``arguments`` the arguments, ``debug`` the traceback.
    """
    kind = type(exc)
    error = rpc_error(200, "Odoo Server Error", "%s.%s" % (kind.__module__, kind.__name__),
                      "\n".join(str(arg) for arg in exc.args))
    error["data"]["arguments"] = list(exc.args)
    error["data"]["debug"] = "".join(traceback.format_exception(kind, exc, exc.__traceback__))
    return error


class App:
    """State shared by both listeners: configuration, session store, open WebSockets."""

    def __init__(self, config, store, served_by=None, modules=None):
        self.config = config
        self.store = store
        # The server-wide modules loaded at start (modules.LoadedModules);
        # None: all found.
        self.modules = modules
        self.served_by = served_by or socket.gethostname()
        self.stopping = threading.Event()
        # Set when a stop's grace period is over: requests still waiting give up.
        self.abandoned = threading.Event()
        self._lock = threading.Lock()
        self._busy = 0
        self._connections = set()

    # -- bookkeeping for a graceful stop ------------------------------------
    def enter(self):
        with self._lock:
            self._busy += 1

    def leave(self):
        with self._lock:
            self._busy -= 1

    @property
    def busy(self):
        with self._lock:
            return self._busy

    def track(self, conn):
        with self._lock:
            self._connections.add(conn)

    def untrack(self, conn):
        with self._lock:
            self._connections.discard(conn)

    def drop_connections(self):
        """End idle keep-alive connections and WebSockets (with a close frame)."""
        with self._lock:
            connections = list(self._connections)
        for handler in connections:
            handler.abort()

    def check_assets(self):
        """Fail as Odoo 18.0's ir.asset does when a server-wide module is missing.

        Rendering any asset bundle reads the manifest of every installed
        and server-wide module; a module that was not found has none, and
        the page fails with KeyError: 'assets' (a 500).
        """
        if self.modules is not None and self.modules.assets_broken:
            raise KeyError("assets")

    def store_expiration(self):
        return getattr(self.store, "expiration", DEFAULT_EXPIRATION)

    # -- databases ------------------------------------------------------------
    def databases(self, host):
        names = db.list_databases(self.config)
        return db.filter_databases(names, self.config["dbfilter"], host)

    def monodb(self, host, requested=None):
        """The database a request works on: asked for, db_name, or the only one listed."""
        if requested:
            return requested
        if self.config["db_name"]:
            return self.config["db_name"].split(",")[0].strip()
        names = self.databases(host)
        return names[0] if len(names) == 1 else None


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "Werkzeug/3.0 Python"  # what the real server announces, roughly
    timeout = 60

    # -- connection lifecycle ---------------------------------------------------
    def setup(self):
        if self.server.slots is not None:
            self.timeout = PREFORK_SOCKET_TIMEOUT
        super().setup()
        self._websocket = False
        self.server.app.track(self)

    def finish(self):
        self.server.app.untrack(self)
        try:
            super().finish()
        except OSError:
            pass

    def abort(self):
        try:
            if self._websocket:
                self.wfile.write(websocket.encode_frame(
                    websocket.OP_CLOSE, websocket.close_payload(websocket.CLOSE_GOING_AWAY)))
                self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    @property
    def app(self):
        return self.server.app

    def parse_request(self):
        parsed = super().parse_request()
        if self.server.slots is not None:
            # A prefork worker serves one request per connection (werkzeug's
            # BaseWSGIServer speaks HTTP/1.0 without threads), then accepts the next.
            self.close_connection = True
        return parsed

    def log_message(self, fmt, *args):
        _access.info("%s - - %s", self.client_address_text(), fmt % args)

    def client_address_text(self):
        if self.app.config["proxy_mode"] and self.headers and self.headers.get("X-Forwarded-For"):
            return self.headers["X-Forwarded-For"].split(",")[0].strip()
        return self.client_address[0]

    def request_host(self):
        if self.app.config["proxy_mode"] and self.headers.get("X-Forwarded-Host"):
            return self.headers["X-Forwarded-Host"].split(",")[0].strip()
        return self.headers.get("Host", "")

    # -- dispatch ---------------------------------------------------------------
    def do_GET(self):
        self._dispatch("GET")

    def do_HEAD(self):
        self._dispatch("HEAD")

    def do_POST(self):
        self._dispatch("POST")

    def _dispatch(self, method):
        self.app.enter()
        try:
            url = urllib.parse.urlsplit(self.path)
            self.query = urllib.parse.parse_qs(url.query)
            verb = method if method != "HEAD" else "GET"
            route, kwargs = ROUTES.get((verb, url.path)), {}
            if route is None:
                route, kwargs = match_pattern(verb, url.path)
            if self.app.stopping.is_set():
                self.close_connection = True
            if route is None:
                known = any(path == url.path for _, path in ROUTES) or any(
                    pattern.fullmatch(url.path) for _, pattern, _ in PATTERN_ROUTES)
                self.send_text(405 if known else 404,
                               "Method Not Allowed" if known else "Not Found")
            else:
                route(self, **kwargs)
        except Exception:  # the real server answers 500 and logs the traceback
            _logger.exception("Exception during request handling")
            self.close_connection = True
            try:
                self.send_text(500, "Internal Server Error")
            except OSError:
                pass
        finally:
            self.app.leave()

    # -- responses --------------------------------------------------------------
    def send_body(self, status, body, content_type, headers=()):
        data = body.encode("utf-8") if isinstance(body, str) else body
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for name, value in headers:
            self.send_header(name, value)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def send_text(self, status, text, headers=()):
        self.send_body(status, text + "\n", "text/plain; charset=utf-8", headers)

    def send_json(self, status, payload, headers=()):
        self.send_body(status, json.dumps(payload), "application/json; charset=utf-8", headers)

    def redirect(self, location, headers=()):
        self.send_body(303, "", "text/html; charset=utf-8",
                       [("Location", location)] + list(headers))

    def read_body(self):
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            raise ValueError("request body too large")
        return self.rfile.read(length) if length else b""

    def read_json(self):
        try:
            payload = json.loads(self.read_body() or b"{}")
        except ValueError:
            return None
        return payload if isinstance(payload, dict) else None

    # -- sessions ---------------------------------------------------------------
    def session_id(self):
        cookie = http.cookies.SimpleCookie(self.headers.get("Cookie", ""))
        morsel = cookie.get("session_id")
        return morsel.value if morsel else None

    def session(self):
        sid = self.session_id()
        data = self.app.store.get(sid) if sid else None
        return sid, data

    @staticmethod
    def session_cookie(sid, max_age):
        return ("Set-Cookie", "session_id=%s; Max-Age=%d; HttpOnly; Path=/; SameSite=Lax"
                % (sid, max_age))


def route(method, path):
    def register(func):
        ROUTES[(method, path)] = func
        return func
    return register


ROUTES = {}
PATTERN_ROUTES = []  # (method, compiled regular expression, handler), for /web/content/<int:id>


def match_pattern(method, path):
    """(handler, its keyword arguments) of the pattern route matching, or (None, {})."""
    for pattern_method, pattern, func in PATTERN_ROUTES:
        match = pattern.fullmatch(path)
        if match and pattern_method == method:
            return func, match.groupdict()
    return None, {}


def pattern_route(method, regex):
    def register(func):
        PATTERN_ROUTES.append((method, re.compile(regex), func))
        return func
    return register


@route("GET", "/web/health")
def web_health(req):
    """200 {"status": "pass"}; with ?db_server_status=1 the database is checked too."""
    headers = [("Cache-Control", "no-store")]
    if req.query.get("db_server_status", ["0"])[0].lower() in ("1", "true"):
        if db.server_answers(req.app.config):
            req.send_json(200, {"status": "pass", "db_server_status": True}, headers)
        else:
            req.send_json(500, {"status": "fail", "db_server_status": False}, headers)
        return
    req.send_json(200, {"status": "pass"}, headers)


@route("GET", "/")
def root(req):
    req.redirect("/odoo" if req.session()[1] and req.session()[1].get("uid") else "/web/login")


@route("GET", "/odoo")
def odoo_home(req):
    _sid, data = req.session()
    if not data or not data.get("uid"):
        req.redirect("/web/login?redirect=%2Fodoo")
        return
    req.app.check_assets()
    req.send_body(200, "<!DOCTYPE html><html><body>Odoo stand-in: logged in as %s on %s"
                  "</body></html>\n" % (_html_escape(data["login"]), _html_escape(data["db"])),
                  "text/html; charset=utf-8")


@route("GET", "/web/login")
def web_login_form(req, error="", status=200):
    req.app.check_assets()  # the login page renders web.assets_frontend
    redirect = req.query.get("redirect", ["/odoo"])[0]
    db_name = req.query.get("db", [""])[0]
    body = LOGIN_FORM.format(error=error, db=_html_escape(db_name),
                             redirect=_html_escape(redirect))
    req.send_body(status, body, "text/html; charset=utf-8", [("Cache-Control", "no-store")])


def _login_failed(req, status, message):
    req.query = {}
    web_login_form(req, error='<p class="alert alert-danger">%s</p>' % _html_escape(message),
                   status=status)


def authenticate(config, dbname, login, password):
    """The user id when ``login``/``password`` match an active row of res_users, else None.

    The stored password is checked as Odoo's CryptContext checks it: a passlib
    pbkdf2_sha512 hash, or plain text (passwords.verify).
    """
    if not login or not password:
        return None
    user = db.find_user(config, dbname, login)
    if user is None:
        return None
    uid, stored = user
    try:
        return uid if passwords.verify(password, stored) else None
    except passwords.MalformedHash as exc:
        _logger.error("Login %s on %s: the stored password is a malformed pbkdf2-sha512 hash "
                      "(%s)", login, dbname, exc)
        return None


@route("POST", "/web/login")
def web_login(req):
    form = urllib.parse.parse_qs(req.read_body().decode("utf-8", "replace"))
    login = form.get("login", [""])[0]
    password = form.get("password", [""])[0]
    db_name = None
    try:
        db_name = req.app.monodb(req.request_host(), form.get("db", [""])[0])
        if not db_name:
            _login_failed(req, 400, "No database selected: pass db, set db_name, or make "
                                    "dbfilter match one database")
            return
        uid = authenticate(req.app.config, db_name, login, password)
    except db.NotInitialized:
        _login_failed(req, 409, "Database %s is missing or not initialized: run odoo -d %s "
                                "-i base --stop-after-init" % (db_name, db_name))
        return
    except db.Error as exc:
        _logger.error("Cannot check a login on %s: %s", db_name, exc)
        _login_failed(req, 503, "Database unavailable: %s" % str(exc).strip())
        return
    if uid is None:
        _logger.info("Login failed for db:%s login:%s from %s", db_name, login,
                     req.client_address_text())
        _login_failed(req, 200, "Wrong login/password")
        return
    _logger.info("Login successful for db:%s login:%s from %s", db_name, login,
                 req.client_address_text())
    sid = new_sid()
    req.app.store.save(sid, {"uid": uid, "login": login, "db": db_name,
                             "login_time": int(time.time()), "context": {"lang": "en_US"}})
    old_sid = req.session_id()
    if old_sid:
        req.app.store.delete(old_sid)  # a new id at login, as the real server rotates it
    target = form.get("redirect", ["/odoo"])[0] or "/odoo"
    if not target.startswith("/") or target.startswith("//"):
        target = "/odoo"
    req.redirect(target, [req.session_cookie(sid, req.app.store_expiration())])


@route("GET", "/web/session/logout")
def web_logout(req):
    sid = req.session_id()
    if sid:
        req.app.store.delete(sid)
    req.redirect("/web/login", [req.session_cookie("", 0)])


def _jsonrpc(req, handler):
    payload = req.read_json()
    if payload is None:
        req.send_json(400, {"jsonrpc": "2.0", "id": None,
                            "error": rpc_error(200, "Odoo Server Error", "werkzeug.exceptions.BadRequest",
                                               "Invalid JSON data")})
        return
    result, error = handler(payload.get("params") or {})
    answer = {"jsonrpc": "2.0", "id": payload.get("id")}
    answer.update({"error": error} if error else {"result": result})
    req.send_json(200, answer)


@route("POST", "/web/session/get_session_info")
def web_session_info(req):
    def handler(_params):
        _sid, data = req.session()
        if not data or not data.get("uid"):
            return None, rpc_error(100, "Odoo Session Expired", "odoo.http.SessionExpiredException",
                                   "Session expired")
        return {"uid": data["uid"], "username": data["login"], "db": data["db"],
                "server_version": VERSION, "served_by": req.app.served_by}, None
    _jsonrpc(req, handler)


@route("POST", "/web/database/list")
def web_database_list(req):
    def handler(_params):
        if not req.app.config["list_db"]:
            return None, rpc_error(200, "Odoo Server Error", "odoo.exceptions.AccessDenied",
                                   "Access Denied")
        return req.app.databases(req.request_host()), None
    _jsonrpc(req, handler)


def _websocket(req):
    try:
        key = websocket.check_handshake(req.headers)
    except websocket.HandshakeError as exc:
        req.close_connection = True
        req.send_text(400, "Bad Request: %s" % exc)
        return
    if not req.server.evented and req.app.config["workers"] > 0:
        req.close_connection = True
        req.send_text(400, "Bad Request: in multi-worker mode the WebSocket is served on the "
                           "gevent port (%s)" % req.app.config["gevent_port"])
        return
    req.send_response(101, "Switching Protocols")
    req.send_header("Upgrade", "websocket")
    req.send_header("Connection", "Upgrade")
    req.send_header("Sec-WebSocket-Accept", websocket.accept_key(key))
    req.end_headers()
    req.wfile.flush()
    req._websocket = True
    req.close_connection = True
    req.app.leave()  # an open WebSocket is not a request in flight
    try:
        while not req.app.stopping.is_set():
            opcode, payload = websocket.read_frame(req.rfile)
            if opcode == websocket.OP_PING:
                req.wfile.write(websocket.encode_frame(websocket.OP_PONG, payload))
            elif opcode == websocket.OP_CLOSE:
                req.wfile.write(websocket.encode_frame(websocket.OP_CLOSE, payload[:2]))
                break
            req.wfile.flush()
    except (EOFError, OSError, ValueError):
        pass
    finally:
        req.app.enter()


ROUTES[("GET", "/websocket")] = _websocket


def parse_multipart(content_type, body):
    """A multipart/form-data body as {name: [str or (filename, bytes)]}."""
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + body)
    fields = {}
    if not message.is_multipart():
        raise ValueError("not a multipart/form-data body")
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not name:
            continue
        data = part.get_payload(decode=True) or b""
        filename = part.get_filename()
        value = (filename, data) if filename is not None else data.decode("utf-8", "replace")
        fields.setdefault(name, []).append(value)
    return fields


def _user_session(req):
    """The logged-in session's data, or None after answering as Odoo's auth='user' does."""
    _sid, data = req.session()
    if data and data.get("uid"):
        return data
    req.redirect("/web/login?" + urllib.parse.urlencode({"redirect": req.path}))
    return None


# What Odoo 18.0's upload_attachment answers when the form has a callback.
UPLOAD_SCRIPT = """<script language="javascript" type="text/javascript">
                    var win = window.top.window;
                    win.jQuery(win).trigger(%s, %s);
                </script>"""


def _clean(name):
    return str(name).replace("<", "")


@route("POST", "/web/binary/upload_attachment")
def web_binary_upload_attachment(req):
    """Odoo 18.0's web controller: one attachment per ``ufile``; a JSON list, or a script."""
    session = _user_session(req)
    if session is None:
        return
    content_type = req.headers.get("Content-Type", "")
    if not content_type.startswith("multipart/form-data"):
        req.send_text(400, "Bad Request: multipart/form-data expected")
        return
    form = parse_multipart(content_type, req.read_body())
    model = (form.get("model") or [""])[0]
    record_id = (form.get("id") or [""])[0]
    callback = (form.get("callback") or [None])[0]
    answers = []
    for upload in form.get("ufile", []):
        if not isinstance(upload, tuple):
            continue
        filename, data = upload
        try:
            created = attachments.create(req.app.config, session["db"], filename, data,
                                         model, int(record_id))
        except Exception:  # Odoo answers per file, and logs
            answers.append({"error": "Something horrible happened"})
            _logger.exception("Fail to upload attachment %s", filename)
        else:
            answers.append({"filename": _clean(filename), "mimetype": created["mimetype"],
                            "id": created["id"], "size": created["file_size"]})
    if callback:
        body = UPLOAD_SCRIPT % (json.dumps(_clean(callback)), json.dumps(answers))
    else:
        body = json.dumps(answers)
    req.send_body(200, body, "text/html; charset=utf-8")


def content_disposition(kind, filename):
    """``inline``/``attachment`` with the file name, ASCII or RFC 5987 encoded."""
    try:
        filename.encode("ascii")
    except UnicodeEncodeError:
        return "%s; filename*=UTF-8''%s" % (kind, urllib.parse.quote(filename, safe=""))
    return '%s; filename="%s"' % (kind, filename.replace("\\", "\\\\").replace('"', '\\"'))


@pattern_route("GET", r"/web/content/(?P<attachment_id>[0-9]+)")
def web_content(req, attachment_id):
    """An attachment's bytes, for the session's user (404 when missing or not readable)."""
    _sid, session = req.session()
    dbname = session.get("db") if session and session.get("uid") else None
    try:
        if not dbname:
            raise attachments.NotFound(attachment_id)  # the public user reads nothing here
        name, mimetype, checksum, _public, data = attachments.read(
            req.app.config, dbname, int(attachment_id))
    except (attachments.NotFound, db.NotInitialized):
        req.send_text(404, "Not Found")
        return
    download = req.query.get("download", ["false"])[0].lower() in ("1", "true", "yes", "on")
    req.send_body(200, data, mimetype, [
        ("Content-Disposition", content_disposition("attachment" if download else "inline",
                                                    name)),
        ("ETag", '"%s"' % checksum), ("Cache-Control", "max-age=0"),
        ("X-Content-Type-Options", "nosniff"),
        ("Content-Security-Policy", "default-src 'none'")])


def _rows_db(req, requested):
    dbname = req.app.monodb(req.request_host(), requested)
    if not dbname:
        req.send_json(400, {"error": "no database selected: pass db, set db_name, or make "
                                     "dbfilter match one database"})
    return dbname


@route("POST", "/standin/rows")
def standin_insert(req):
    """Test write endpoint: insert one row in standin_row, answer its id."""
    payload = req.read_json() or {}
    dbname = _rows_db(req, payload.get("db") or req.query.get("db", [None])[0])
    if not dbname:
        return
    try:
        row_id = db.insert_row(req.app.config, dbname, str(payload.get("note", "")),
                               req.app.served_by)
    except db.NotInitialized:
        req.send_json(409, {"error": "database %s is not initialized: run "
                                     "odoo -d %s -i base --stop-after-init" % (dbname, dbname)})
        return
    except db.Error as exc:
        _logger.error("Cannot insert a row in %s: %s", dbname, exc)
        req.send_json(503, {"error": "database unavailable: %s" % str(exc).strip()})
        return
    req.send_json(200, {"id": row_id, "db": dbname, "served_by": req.app.served_by})


@route("GET", "/standin/rows")
def standin_count(req):
    """Count the rows of standin_row."""
    dbname = _rows_db(req, req.query.get("db", [None])[0])
    if not dbname:
        return
    try:
        count = db.count_rows(req.app.config, dbname)
    except db.NotInitialized:
        req.send_json(409, {"error": "database %s is not initialized" % dbname})
        return
    except db.Error as exc:
        req.send_json(503, {"error": "database unavailable: %s" % str(exc).strip()})
        return
    req.send_json(200, {"count": count, "db": dbname})


@route("GET", "/standin/slow")
def standin_slow(req):
    """Hold the request's worker for ``seconds`` (stand-in only: latency tests and benchmarks)."""
    text = req.query.get("seconds", ["1"])[0]
    try:
        seconds = float(text)
    except ValueError:
        seconds = None
    if seconds is None or not 0 <= seconds <= SLOW_MAX_SECONDS:  # NaN fails both tests
        req.send_text(400, "Bad Request: seconds must be a number from 0 to %g, not %r"
                      % (SLOW_MAX_SECONDS, text))
        return
    if req.app.abandoned.wait(seconds):
        req.close_connection = True  # the stop's grace period is over: no answer
        return
    req.send_json(200, {"slept": seconds, "served_by": req.app.served_by})


@route("GET", "/queue_job/runjob")
def queue_job_runjob(req):
    """queue_job's controller (auth none, database from ``db``): run one enqueued job.

    404 when the database does not have queue_job installed (the route
    comes with the module); 200 with an empty body once the job is done,
    or when it was not enqueued; 500 when the job failed. The request holds
    a worker like any other for as long as the job runs.
    """
    dbname = req.query.get("db", [""])[0]
    uuid = req.query.get("job_uuid", [""])[0]
    if not dbname or not uuid:
        req.send_text(400, "Bad Request: db and job_uuid are required")
        return
    try:
        served = queue_job.installed(req.app.config, dbname)
    except db.Error:
        served = False
    if not served:
        req.send_text(404, "Not Found")
        return
    state = queue_job.run_job(req.app.config, dbname, uuid, req.app.served_by,
                              req.app.abandoned.wait)
    if state == queue_job.STARTED:  # abandoned at a stop: no answer
        req.close_connection = True
        return
    try:
        req.send_body(200, "", "text/html; charset=utf-8")
    except OSError:
        pass  # the runner does not wait for the answer (1 s timeout)


def _version_info():
    """odoo.release.version_info of the series played: (18, 0, 0, 'final', 0, '')."""
    major, minor = (int(part) for part in VERSION.split("."))
    return [major, minor, 0, "final", 0, ""]


# odoo/service/common.py's RPC_VERSION_1, what exp_version() returns.
RPC_VERSION_1 = {"server_version": VERSION, "server_version_info": _version_info(),
                 "server_serie": VERSION, "protocol_version": 1}
# The other methods of Odoo's common service (exp_<name>), not served here.
COMMON_NOT_SERVED = ("login", "authenticate", "about", "set_loglevel")
RPC_SERVICES = ("common", "db", "object")


def dispatch_rpc(service, method, args):
    """Odoo's dispatch_rpc for what the stand-in serves: common.version.

    Raises what the real server raises (KeyError for an unknown service,
    Exception for an unknown method, TypeError for bad arguments), and
    NotImplementedError for the parts the stand-in leaves out.
    """
    if service not in RPC_SERVICES:
        raise KeyError(service)
    if service != "common":
        raise NotImplementedError("The Odoo stand-in does not implement the %s service"
                                  % service)
    if method == "version":
        if args:
            raise TypeError("exp_version() takes 0 positional arguments but %d %s given"
                            % (len(args), "was" if len(args) == 1 else "were"))
        return RPC_VERSION_1
    if method in COMMON_NOT_SERVED:
        raise NotImplementedError("The Odoo stand-in implements only common.version, "
                                  "not common.%s" % method)
    raise Exception("Method not found: %s" % method)  # pylint: disable=broad-exception-raised


@route("POST", "/jsonrpc")
def jsonrpc(req):
    """Odoo's external JSON-RPC entry point (auth none): params ``service``, ``method``, ``args``."""
    def handler(params):
        missing = [name for name in ("service", "method", "args") if name not in params]
        try:
            if missing:
                raise TypeError("RPC.jsonrpc() missing %d required positional argument%s: %s"
                                % (len(missing), "" if len(missing) == 1 else "s",
                                   " and ".join("'%s'" % name for name in missing)))
            args = params["args"]
            return dispatch_rpc(params["service"], params["method"],
                                args if isinstance(args, list) else [args]), None
        except Exception as exc:  # the real server answers every error as JSON-RPC
            _logger.warning("JSON-RPC %s.%s: %s", params.get("service"), params.get("method"),
                            exc)
            return None, rpc_exception(exc)
    _jsonrpc(req, handler)


class Server(ThreadingHTTPServer):
    """One listener. With ``workers`` > 0 it serves as Odoo's prefork server does.

    Odoo's ``workers`` HTTP worker processes each accept one connection,
    serve it, and only then accept the next (WorkerHTTP.process_work): at
    most ``workers`` requests are in progress, and the others wait in the
    listen backlog (``8 * workers`` long). Here a connection is accepted only
    when one of ``workers`` slots is free; the slot is given back when the
    connection is closed. ``workers`` = 0 (Odoo's threaded server) and the
    gevent listener take every connection at once.
    """

    daemon_threads = False
    block_on_close = True
    allow_reuse_address = True

    def __init__(self, address, app, evented, workers=0):
        self.app = app
        self.evented = evented
        self.slots = threading.BoundedSemaphore(workers) if workers > 0 else None
        if self.slots is not None:
            self.request_queue_size = 8 * workers
        super().__init__(address, Handler)
        if self.slots is not None:
            # A connection that left the backlog while a slot was awaited must
            # not block the accept loop (the real listen socket is non-blocking too).
            self.socket.setblocking(False)

    def get_request(self):
        if self.slots is None:
            return super().get_request()
        while not self.slots.acquire(timeout=0.1):
            if self.app.stopping.is_set():
                raise OSError("stopping: the connection stays in the backlog")
        try:
            return super().get_request()
        except OSError:
            self.slots.release()
            raise

    def shutdown_request(self, request):
        try:
            super().shutdown_request(request)
        finally:
            if self.slots is not None:
                self.slots.release()


class Service:
    """Both listeners of one server process, started and stopped together."""

    def __init__(self, app, grace=8.0):
        self.app = app
        self.grace = grace
        config = app.config
        interface = config["http_interface"] or "0.0.0.0"
        self.servers = []
        if config["http_enable"]:
            self.servers.append(Server((interface, config["http_port"]), app, evented=False,
                                       workers=config["workers"]))
            self.servers.append(Server((interface, config["gevent_port"]), app, evented=True))
        self.threads = []

    @property
    def ports(self):
        return [server.server_address[1] for server in self.servers]

    def start(self):
        for server in self.servers:
            thread = threading.Thread(target=server.serve_forever, name="odoo.http.%s"
                                      % server.server_address[1], daemon=True)
            thread.start()
            self.threads.append(thread)
            if server.evented:
                mode = " (gevent port)"
            elif server.slots is not None:
                mode = " (%d workers)" % self.app.config["workers"]
            else:
                mode = ""
            _logger.info("HTTP service (werkzeug) running on %s:%s%s",
                         *server.server_address, mode)

    def stop(self):
        """Stop accepting, let requests in flight finish (up to grace), close the rest."""
        self.app.stopping.set()
        for server in self.servers:
            server.shutdown()
        deadline = time.monotonic() + self.grace
        while self.app.busy > 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        self.app.abandoned.set()
        self.app.drop_connections()
        for server in self.servers:
            server.server_close()
        for thread in self.threads:
            thread.join(timeout=self.grace)
