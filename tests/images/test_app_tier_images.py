"""Start the app-tier test images and check that they answer.

- Traefik (localhost/traefik:<version>) with a file-provider configuration
  routes HTTPS requests, with a self-signed certificate, to the Odoo stand-in
  (localhost/odoo-standin:<series>): health, login, session, and the
  WebSocket upgrade on the gevent port. Traefik sits on the network
  odoo-hosting-imagetest (172.30.250.0/24); the stand-in runs on the host
  network, listening on that network's gateway address only, so that it
  reaches both Traefik and the loopback PostgreSQL where its users are
  (logins check res_users). The test talks to Traefik through a port
  published on 127.0.0.1 only.
- The stand-in image, on the host network, initialises a database on the
  loopback PostgreSQL of tests/services.py with the image's own psycopg2,
  and its test write endpoint inserts rows there.

The images are built by images/traefik/build.sh and images/odoo-standin/build.sh.
"""

import base64
import datetime
import hashlib
import http.client
import json
import os
import re
import socket
import ssl
import time
import urllib.parse

import docker
import pytest
import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
NETWORK = "odoo-hosting-imagetest"
SUBNET = "172.30.250.0/24"
TRAEFIK_IP = "172.30.250.10"
GATEWAY_IP = "172.30.250.1"  # the host's address on the test network: the stand-in listens here
LABEL = {"org.sysgenpro.test": NETWORK}
SITE = "odoo.imagetest.invalid"
ODOO_ROLE = "odoo_image_test"
ODOO_PASSWORD = "test-only-image-password"
LOGIN_DB = "image_test_login"


def _read(path, pattern):
    with open(os.path.join(ROOT, path)) as handle:
        match = re.search(pattern, handle.read(), re.M)
    assert match, "cannot find %r in %s" % (pattern, path)
    return match.group(1)


TRAEFIK_VERSION = _read("images/traefik/build.sh", r"^readonly traefik_version=v(\S+)$")
STANDIN_SERIES = _read("images/odoo-standin/odoo_standin/__init__.py", r'^VERSION = "(.+)"$')
TRAEFIK_IMAGE = "localhost/traefik:%s" % TRAEFIK_VERSION
STANDIN_IMAGE = "localhost/odoo-standin:%s" % STANDIN_SERIES


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for(condition, what, timeout=60.0):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            result = condition()
            if result:
                return result
        except (OSError, http.client.HTTPException) as exc:
            last = exc
        time.sleep(0.2)
    pytest.fail("timed out after %ss waiting for %s (last error: %s)" % (timeout, what, last))


def _remove_leftovers(client):
    for container in client.containers.list(all=True, filters={"label": "org.sysgenpro.test=%s"
                                                               % NETWORK}):
        container.remove(force=True)
    for network in client.networks.list(names=[NETWORK]):
        network.remove()


@pytest.fixture(scope="module")
def client():
    client = docker.from_env()
    for image in (TRAEFIK_IMAGE, STANDIN_IMAGE):
        try:
            client.images.get(image)
        except docker.errors.ImageNotFound:
            pytest.fail("image %s is missing: run images/traefik/build.sh and "
                        "images/odoo-standin/build.sh first" % image)
    _remove_leftovers(client)
    yield client
    _remove_leftovers(client)
    client.close()


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    """A self-signed certificate for SITE; returns (directory, certificate path)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, SITE)])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(SITE)]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    directory = tmp_path_factory.mktemp("certs")
    (directory / "site.crt").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (directory / "site.key").write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    os.chmod(directory, 0o755)
    return directory, str(directory / "site.crt")


def _traefik_config(directory, http_port, gevent_port):
    static = {
        "entryPoints": {"websecure": {"address": ":443"}},
        "providers": {"file": {"filename": "/etc/traefik/dynamic.yml"}},
        "log": {"level": "INFO"},
    }
    dynamic = {
        "http": {
            "routers": {
                "odoo-web": {"rule": "Host(`%s`)" % SITE, "entryPoints": ["websecure"],
                             "service": "odoo-web", "tls": {}},
                "odoo-websocket": {"rule": "Host(`%s`) && Path(`/websocket`)" % SITE,
                                   "entryPoints": ["websecure"], "service": "odoo-gevent",
                                   "tls": {}},
            },
            "services": {
                "odoo-web": {"loadBalancer": {"servers": [
                    {"url": "http://%s:%d" % (GATEWAY_IP, http_port)}]}},
                "odoo-gevent": {"loadBalancer": {"servers": [
                    {"url": "http://%s:%d" % (GATEWAY_IP, gevent_port)}]}},
            },
        },
        "tls": {"certificates": [{"certFile": "/etc/traefik/certs/site.crt",
                                  "keyFile": "/etc/traefik/certs/site.key"}]},
    }
    (directory / "traefik.yml").write_text(yaml.safe_dump(static))
    (directory / "dynamic.yml").write_text(yaml.safe_dump(dynamic))


@pytest.fixture(scope="module")
def app_tier(client, certificate, tmp_path_factory, image_test_role):
    """Traefik and the stand-in (users in LOGIN_DB); yields (https port, containers)."""
    cert_dir, _cert = certificate
    http_port, gevent_port = _free_port(), _free_port()
    config_dir = tmp_path_factory.mktemp("traefik")
    _traefik_config(config_dir, http_port, gevent_port)
    os.chmod(config_dir, 0o755)
    ipam = docker.types.IPAMConfig(pool_configs=[docker.types.IPAMPool(subnet=SUBNET,
                                                                       gateway=GATEWAY_IP)])
    network = client.networks.create(NETWORK, driver="bridge", ipam=ipam, labels=LABEL)

    env = _db_environment(image_test_role)
    output = client.containers.run(
        STANDIN_IMAGE, ["odoo", "-d", LOGIN_DB, "-i", "base", "--stop-after-init"],
        environment=env, network_mode="host", remove=True, labels=LABEL).decode()
    assert "Modules loaded in %s: base" % LOGIN_DB in output
    standin = client.containers.create(
        STANDIN_IMAGE, ["odoo", "-d", LOGIN_DB, "--workers=2", "--proxy-mode",
                        "--http-interface=%s" % GATEWAY_IP, "--http-port=%d" % http_port,
                        "--gevent-port=%d" % gevent_port],
        name="%s-odoo" % NETWORK, labels=LABEL, detach=True, environment=env,
        network_mode="host")
    https_port = _free_port()
    traefik = client.containers.create(
        TRAEFIK_IMAGE, name="%s-traefik" % NETWORK, labels=LABEL, detach=True,
        command=["--configFile=/etc/traefik/traefik.yml"],
        volumes={str(config_dir / "traefik.yml"): {"bind": "/etc/traefik/traefik.yml", "mode": "ro"},
                 str(config_dir / "dynamic.yml"): {"bind": "/etc/traefik/dynamic.yml", "mode": "ro"},
                 str(cert_dir): {"bind": "/etc/traefik/certs", "mode": "ro"}},
        ports={"443/tcp": ("127.0.0.1", https_port)}, network=NETWORK, networking_config={
            NETWORK: client.api.create_endpoint_config(ipv4_address=TRAEFIK_IP)})
    standin.start()
    traefik.start()
    yield https_port, {"traefik": traefik, "standin": standin}
    for container in (traefik, standin):
        container.remove(force=True)
    network.remove()


def _https(port, cafile, method, path, body=None, headers=None):
    context = ssl.create_default_context(cafile=cafile)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    # TLS with SNI and a certificate check for SITE, over the loopback port.
    conn.sock = context.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=10),
                                    server_hostname=SITE)
    try:
        all_headers = {"Host": SITE}
        all_headers.update(headers or {})
        conn.request(method, path, body=body, headers=all_headers)
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


def test_traefik_image_reports_its_version(client):
    output = client.containers.run(TRAEFIK_IMAGE, ["version"], remove=True, labels=LABEL,
                                   network_mode="none").decode()
    assert re.search(r"^Version:\s+v%s$" % re.escape(TRAEFIK_VERSION), output, re.M), output


def test_standin_image_reports_its_version_and_runs_as_odoo(client):
    output = client.containers.run(STANDIN_IMAGE, ["--version"], entrypoint=["odoo"],
                                   remove=True, labels=LABEL, network_mode="none").decode()
    assert output.startswith("Odoo Server %s" % STANDIN_SERIES)
    ids = client.containers.run(STANDIN_IMAGE, ["id"], remove=True, labels=LABEL,
                                network_mode="none").decode()
    assert ids.startswith("uid=100(odoo) gid=101(odoo)")


def test_standin_image_has_odoo_s_addons_where_the_official_image_has_them(client):
    """base and web in the odoo package's addons; a missing server-wide module is logged."""
    script = ("import importlib.util, json, os; spec = importlib.util.find_spec('odoo'); "
              "roots = [os.path.join(p, 'addons') for p in spec.submodule_search_locations]; "
              "print(json.dumps(sorted(m for r in roots for m in os.listdir(r) "
              "if os.path.isfile(os.path.join(r, m, '__manifest__.py')))))")
    output = client.containers.run(STANDIN_IMAGE, ["-c", script], entrypoint=["python3"],
                                   remove=True, labels=LABEL, network_mode="none").decode()
    assert {"base", "web"} <= set(json.loads(output))
    output = client.containers.run(
        STANDIN_IMAGE, ["--db_password=unused", "--load=base,web,session_redis",
                        "--stop-after-init"], entrypoint=["odoo"], remove=True, labels=LABEL,
        network_mode="none").decode()
    assert "CRITICAL ? odoo.modules.module: Couldn't load module session_redis" in output
    assert "ERROR ? odoo.service.server: Failed to load server-wide module `session_redis`." \
        in output


def test_traefik_routes_health_over_tls_to_the_standin(app_tier, certificate):
    port, _containers = app_tier
    _cert_dir, cafile = certificate

    def routed():
        response = _https(port, cafile, "GET", "/web/health")
        return response if response[0] == 200 else None

    status, headers, body = _wait_for(routed, "Traefik to route /web/health to the stand-in")
    assert json.loads(body) == {"status": "pass"}
    assert headers["Cache-Control"] == "no-store"


def test_login_through_traefik_creates_a_session(app_tier, certificate):
    port, _containers = app_tier
    _cert_dir, cafile = certificate
    _wait_for(lambda: _https(port, cafile, "GET", "/web/health")[0] == 200, "the route")
    status, _headers, body = _https(port, cafile, "GET", "/web/login")
    assert status == 200 and b'name="password"' in body
    form = urllib.parse.urlencode({"login": "admin", "password": "admin"})
    status, headers, _body = _https(port, cafile, "POST", "/web/login", form,
                                    {"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 303
    sid = headers["Set-Cookie"].split(";")[0].split("=", 1)[1]
    rpc = json.dumps({"jsonrpc": "2.0", "method": "call", "id": 1, "params": {}})
    status, _headers, body = _https(port, cafile, "POST", "/web/session/get_session_info", rpc,
                                    {"Content-Type": "application/json",
                                     "Cookie": "session_id=%s" % sid})
    assert status == 200 and json.loads(body)["result"]["uid"] == 2


def _post_login(port, cafile, password):
    form = urllib.parse.urlencode({"login": "admin", "password": password})
    return _https(port, cafile, "POST", "/web/login", form,
                  {"Content-Type": "application/x-www-form-urlencoded"})


def test_login_checks_a_pbkdf2_hash_set_in_sql_with_the_images_python(
        app_tier, certificate, image_test_role):
    """UPDATE res_users as a playbook does; the image's python3 verifies the hash."""
    import psycopg
    port, _containers = app_tier
    _cert_dir, cafile = certificate
    _wait_for(lambda: _https(port, cafile, "GET", "/web/health")[0] == 200, "the route")
    password, salt, rounds = "test-only-image-admin", b"image-test-salt!", 600000
    digest = hashlib.pbkdf2_hmac("sha512", password.encode(), salt, rounds)

    def ab64(raw):
        return base64.b64encode(raw).decode().rstrip("=").replace("+", ".")
    stored = "$pbkdf2-sha512$%d$%s$%s" % (rounds, ab64(salt), ab64(digest))
    with psycopg.connect(image_test_role.dsn(LOGIN_DB), autocommit=True) as conn:
        conn.execute("UPDATE res_users SET password = %s WHERE id = 2", (stored,))
        try:
            assert _post_login(port, cafile, password)[0] == 303
            status, headers, body = _post_login(port, cafile, "admin")
            assert status == 200 and "Set-Cookie" not in headers
            assert b"Wrong login/password" in body
        finally:
            conn.execute("UPDATE res_users SET password = 'admin' WHERE id = 2")


def test_websocket_upgrade_through_traefik_reaches_the_gevent_port(app_tier, certificate):
    port, _containers = app_tier
    _cert_dir, cafile = certificate
    _wait_for(lambda: _https(port, cafile, "GET", "/web/health")[0] == 200, "the route")
    key = base64.b64encode(b"imagetest-key-16").decode()
    context = ssl.create_default_context(cafile=cafile)
    with context.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=10),
                             server_hostname=SITE) as sock:
        sock.sendall(("GET /websocket HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\n"
                      "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\n"
                      "Sec-WebSocket-Version: 13\r\n\r\n" % (SITE, key)).encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = sock.recv(4096)
            assert chunk, "connection closed during the handshake: %r" % head
            head += chunk
    lines = head.decode().split("\r\n")
    assert lines[0].split()[1] == "101", lines[0]
    accept = base64.b64encode(hashlib.sha1(
        (key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").encode()).digest()).decode()
    assert "sec-websocket-accept: %s" % accept.lower() in head.decode().lower()


def test_standin_stops_gracefully_on_sigterm(client):
    container = client.containers.run(
        STANDIN_IMAGE, ["--db_host=db.invalid", "--db_password=unused"], entrypoint=["odoo"],
        name="%s-stop" % NETWORK, labels=LABEL, detach=True, network_mode="none")
    try:
        _wait_for(lambda: b"HTTP service (werkzeug) running" in container.logs(),
                  "the stand-in to listen", timeout=30)
        container.stop(timeout=20)  # SIGTERM, the image's STOPSIGNAL
        assert container.wait(timeout=30)["StatusCode"] == 0
        logs = container.logs().decode()
        assert "Received SIGTERM, shutting down gracefully" in logs
        assert logs.rstrip().endswith("Stopped")
    finally:
        container.remove(force=True)


def _db_environment(postgres_server):
    """The official entrypoint's database variables, for the loopback PostgreSQL."""
    return {"HOST": postgres_server.host, "PORT": str(postgres_server.port),
            "USER": ODOO_ROLE, "PASSWORD": ODOO_PASSWORD}


@pytest.fixture(scope="module")
def image_test_role(postgres_server):
    import psycopg
    from psycopg import sql
    deadline = time.monotonic() + 60
    while True:  # the fixture returns when the port listens, maybe before start-up ends
        try:
            conn = psycopg.connect(postgres_server.dsn(), autocommit=True)
            break
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
    with conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS image_test_tenant"))
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS image_test_jobs"))
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(LOGIN_DB)))
        conn.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(ODOO_ROLE)))
        conn.execute(sql.SQL("CREATE ROLE {} LOGIN CREATEDB PASSWORD {}").format(
            sql.Identifier(ODOO_ROLE), sql.Literal(ODOO_PASSWORD)))
    return postgres_server


def test_standin_image_writes_to_postgresql_with_its_own_driver(client, image_test_role):
    """Entrypoint conventions (HOST/PORT/USER/PASSWORD), `-i base`, then the write endpoint."""
    env = _db_environment(image_test_role)
    output = client.containers.run(
        STANDIN_IMAGE, ["odoo", "-d", "image_test_tenant", "-i", "base", "--stop-after-init"],
        environment=env, network_mode="host", remove=True, labels=LABEL).decode()
    assert "Modules loaded in image_test_tenant: base" in output
    assert "(stand-in 1, psycopg2)" in output

    http_port, gevent_port = _free_port(), _free_port()
    container = client.containers.run(
        STANDIN_IMAGE, ["odoo", "-d", "image_test_tenant", "--http-interface=127.0.0.1",
                        "--http-port=%d" % http_port, "--gevent-port=%d" % gevent_port],
        environment=env, network_mode="host", detach=True, labels=LABEL,
        name="%s-db" % NETWORK)
    try:
        def post_row():
            conn = http.client.HTTPConnection("127.0.0.1", http_port, timeout=10)
            try:
                conn.request("POST", "/standin/rows", json.dumps({"note": "image"}),
                             {"Content-Type": "application/json"})
                response = conn.getresponse()
                return response.status, json.loads(response.read())
            finally:
                conn.close()
        first = _wait_for(post_row, "the stand-in to serve on 127.0.0.1:%d" % http_port)
        second = post_row()
        assert (first[0], second[0]) == (200, 200)
        assert second[1]["id"] > first[1]["id"]
        conn = http.client.HTTPConnection("127.0.0.1", http_port, timeout=10)
        conn.request("GET", "/standin/rows")
        assert json.loads(conn.getresponse().read()) == {"count": 2, "db": "image_test_tenant"}
        conn.close()
    finally:
        container.remove(force=True)


def test_standin_image_runs_cron_and_force_storage_with_its_own_driver(client, image_test_role):
    """A --no-http cron container runs a due job on NOTIFY; `odoo shell` moves attachments."""
    import subprocess

    import psycopg
    env = _db_environment(image_test_role)
    client.containers.run(
        STANDIN_IMAGE, ["odoo", "-d", "image_test_jobs", "-i", "base", "--stop-after-init"],
        environment=env, network_mode="host", remove=True, labels=LABEL)
    container = client.containers.run(
        STANDIN_IMAGE, ["odoo", "-d", "image_test_jobs", "--no-http", "--max-cron-threads=1"],
        environment=env, network_mode="host", detach=True, labels=LABEL,
        name="%s-cron" % NETWORK, hostname="cron-host")
    try:
        _wait_for(lambda: b"cron0 started" in container.logs(), "the cron thread", timeout=30)
        time.sleep(0.5)  # LISTEN comes right after the start line
        with psycopg.connect(image_test_role.dsn("image_test_jobs"), autocommit=True) as conn:
            conn.execute("""
                INSERT INTO ir_cron (cron_name, interval_number, interval_type, nextcall)
                VALUES ('image job', 1, 'days', date_trunc('second', now() at time zone 'UTC'))""")
            conn.execute("INSERT INTO ir_attachment (name, db_datas, file_size) "
                         "VALUES ('a.txt', 'image bytes', 11)")
            conn.execute("INSERT INTO ir_config_parameter (key, value) "
                         "VALUES ('ir_attachment.location', 'file')")
        with psycopg.connect(image_test_role.dsn("postgres"), autocommit=True) as conn:
            conn.execute("SELECT pg_notify('cron_trigger', 'image_test_jobs')")

        def ran():
            with psycopg.connect(image_test_role.dsn("image_test_jobs")) as conn:
                return conn.execute("SELECT note, served_by FROM standin_row").fetchall()
        assert _wait_for(ran, "the job to run", timeout=20) == [("cron:image job", "cron-host")]
        assert "Job 'image job' (1) starting" in container.logs().decode()
    finally:
        container.remove(force=True)

    labels = ["--label=%s=%s" % item for item in LABEL.items()]
    shell = subprocess.run(
        ["docker", "run", "--rm", "-i", "--network=host", *labels]
        + ["--env=%s=%s" % item for item in env.items()]
        + [STANDIN_IMAGE, "odoo", "shell", "-d", "image_test_jobs", "--no-http"],
        input="env['ir.attachment'].force_storage()\nenv.cr.commit()\n", capture_output=True,
        text=True, timeout=60, check=False)
    assert shell.returncode == 0, shell.stdout + shell.stderr
    sha = hashlib.sha1(b"image bytes").hexdigest()
    with psycopg.connect(image_test_role.dsn("image_test_jobs")) as conn:
        assert conn.execute("SELECT store_fname, db_datas FROM ir_attachment").fetchall() == [
            ("%s/%s" % (sha[:2], sha), None)]
