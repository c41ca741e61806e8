"""odoo_tenant_db against a real PostgreSQL on loopback, run through Ansible.

Every case runs the module with ``ansible localhost -m sysgenpro.odoo_hosting.odoo_tenant_db``
(the json callback gives the result back), so argument parsing, no_log, check mode and diff
go through Ansible itself. State is checked with psycopg, independently of the module.
"""

import http.server
import json
import os
import stat
import subprocess
import sys
import threading

import psycopg
import pytest
from psycopg import sql

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
COLLECTIONS = os.path.join(ROOT, ".ansible", "collections")
MODULE = "sysgenpro.odoo_hosting.odoo_tenant_db"
OWNER_PASSWORD = "tenant-owner-test-password"


def run_module(server, args, check=False, diff=False, python=sys.executable, login=True, module=MODULE):
    """Run ``module`` once through ``ansible``; return the host's result dict."""
    module_args = dict(args)
    if login:
        module_args.setdefault("login_host", server.host)
        module_args.setdefault("login_port", server.port)
        module_args.setdefault("login_user", server.user)
        module_args.setdefault("login_password", server.password)
    command = ["ansible", "localhost", "-c", "local", "-m", module, "-a", json.dumps(module_args),
               "-e", "ansible_python_interpreter=%s" % python]
    if check:
        command.append("--check")
    if diff:
        command.append("--diff")
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=COLLECTIONS, ANSIBLE_LOAD_CALLBACK_PLUGINS="1",
               ANSIBLE_STDOUT_CALLBACK="ansible.posix.json", ANSIBLE_LOCALHOST_WARNING="0",
               ANSIBLE_INVENTORY_UNPARSED_WARNING="0", ANSIBLE_CONFIG=os.path.join(ROOT, "ansible.cfg"))
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")
    proc = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False)
    try:
        report = json.loads(proc.stdout)
    except ValueError:
        pytest.fail("ansible gave no JSON (rc %s):\n%s\n%s" % (proc.returncode, proc.stdout, proc.stderr))
    return report["plays"][0]["tasks"][0]["hosts"]["localhost"]


def query(server, text, args=None, dbname="postgres"):
    with psycopg.connect(server.dsn(dbname), autocommit=True) as conn:
        return conn.execute(text, args).fetchall()


def execute(server, statement, dbname="postgres"):
    with psycopg.connect(server.dsn(dbname), autocommit=True) as conn:
        conn.execute(statement)


def database(server, name):
    rows = query(server, "SELECT pg_get_userbyid(datdba), pg_encoding_to_char(encoding), datcollate, datctype, "
                         "datconnlimit FROM pg_database WHERE datname = %s", (name,))
    return rows[0] if rows else None


def role_exists(server, name):
    return bool(query(server, "SELECT 1 FROM pg_roles WHERE rolname = %s", (name,)))


def can_login(server, dbname, user, password):
    try:
        with psycopg.connect(host=server.host, port=server.port, user=user, password=password, dbname=dbname):
            return True
    except psycopg.OperationalError:
        return False


def drop(server, dbname=None, role=None):
    with psycopg.connect(server.dsn(), autocommit=True) as conn:
        if dbname:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(dbname)))
        if role:
            conn.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(role)))


@pytest.fixture
def tenant(postgres_server):
    """A fresh database and owner name, cleaned up afterwards."""
    names = {"name": "acme_test", "owner": "odoo_acme_test"}
    drop(postgres_server, names["name"], names["owner"])
    yield names
    drop(postgres_server, names["name"], names["owner"])


def present_args(tenant, **extra):
    args = dict(name=tenant["name"], owner=tenant["owner"], owner_password=OWNER_PASSWORD,
                extensions=["pg_trgm", "unaccent"])
    args.update(extra)
    return args


def test_check_mode_changes_nothing(postgres_server, tenant):
    result = run_module(postgres_server, present_args(tenant), check=True, diff=True)
    assert not result.get("failed"), result.get("msg")
    assert result["changed"] and result["created"]
    assert [q.split(" ")[0:2] for q in result["queries"]] == [
        ["CREATE", "ROLE"], ["CREATE", "DATABASE"], ["CREATE", "EXTENSION"], ["CREATE", "EXTENSION"]]
    assert "PASSWORD '********'" in result["queries"][0]
    assert OWNER_PASSWORD not in json.dumps(result)
    assert result["diff"]["before"] == {"database": tenant["name"], "state": "absent"}
    assert result["diff"]["after"]["owner"] == tenant["owner"]
    assert database(postgres_server, tenant["name"]) is None
    assert not role_exists(postgres_server, tenant["owner"])


def test_create_then_idempotent(postgres_server, tenant):
    result = run_module(postgres_server, present_args(tenant, connection_limit=50))
    assert not result.get("failed"), result.get("msg")
    assert result["changed"] and result["created"] and not result["dropped"]
    assert result["owner"] == tenant["owner"] and result["size"] > 0
    assert database(postgres_server, tenant["name"]) == (tenant["owner"], "UTF8", "C", "C", 50)
    assert can_login(postgres_server, tenant["name"], tenant["owner"], OWNER_PASSWORD)
    stored = query(postgres_server, "SELECT rolpassword FROM pg_authid WHERE rolname = %s", (tenant["owner"],))
    assert stored[0][0].startswith("SCRAM-SHA-256$")
    extensions = query(postgres_server, "SELECT extname FROM pg_extension ORDER BY 1", dbname=tenant["name"])
    assert {"pg_trgm", "unaccent"} <= {row[0] for row in extensions}

    again = run_module(postgres_server, present_args(tenant, connection_limit=50), diff=True)
    assert not again.get("failed"), again.get("msg")
    assert not again["changed"] and not again["created"] and again["queries"] == []
    assert again["diff"]["before"] == again["diff"]["after"]

    checked = run_module(postgres_server, present_args(tenant, connection_limit=50), check=True)
    assert not checked["changed"] and checked["queries"] == []


def test_password_change_and_connection_limit(postgres_server, tenant):
    assert not run_module(postgres_server, present_args(tenant)).get("failed")
    new_password = "a-new-one-\u00e9\u00df-\u2163"  # non-ASCII: exercises SASLprep against libpq's
    result = run_module(postgres_server, present_args(tenant, owner_password=new_password, connection_limit=7),
                        diff=True)
    assert not result.get("failed"), result.get("msg")
    assert result["changed"]
    assert any(q.startswith('ALTER ROLE "%s" WITH PASSWORD \'********\'' % tenant["owner"]) for q in result["queries"])
    assert 'ALTER DATABASE "acme_test" WITH CONNECTION LIMIT 7' in result["queries"]
    assert result["diff"]["after"]["owner_password"] == "(new)"
    assert can_login(postgres_server, tenant["name"], tenant["owner"], new_password)
    assert not can_login(postgres_server, tenant["name"], tenant["owner"], OWNER_PASSWORD)
    again = run_module(postgres_server, present_args(tenant, owner_password=new_password, connection_limit=7))
    assert not again["changed"], again["queries"]


def test_md5_password_is_upgraded_to_scram(postgres_server, tenant):
    with psycopg.connect(postgres_server.dsn(), autocommit=True) as conn:
        conn.execute("SET password_encryption = 'md5'")
        conn.execute(sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(
            sql.Identifier(tenant["owner"]), sql.Literal(OWNER_PASSWORD)))
    result = run_module(postgres_server, present_args(tenant, extensions=[]))
    assert not result.get("failed"), result.get("msg")
    assert result["queries"][0].startswith("ALTER ROLE")
    stored = query(postgres_server, "SELECT rolpassword FROM pg_authid WHERE rolname = %s", (tenant["owner"],))
    assert stored[0][0].startswith("SCRAM-SHA-256$")


def test_existing_database_with_other_owner_or_locale_is_reported(postgres_server, tenant):
    with psycopg.connect(postgres_server.dsn(), autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {} TEMPLATE template0 LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8'").format(
            sql.Identifier(tenant["name"])))
    result = run_module(postgres_server, present_args(tenant, extensions=[]))
    assert result.get("failed")
    assert "owner is postgres, not %s (set change_owner=true" % tenant["owner"] in result["msg"]
    assert "lc_collate is C.UTF-8, not C" in result["msg"]
    assert database(postgres_server, tenant["name"])[0] == "postgres"

    transferred = run_module(postgres_server, present_args(tenant, extensions=[], change_owner=True,
                                                           lc_collate="C.UTF-8", lc_ctype="C.utf8"))
    assert not transferred.get("failed"), transferred.get("msg")
    assert 'ALTER DATABASE "acme_test" OWNER TO "odoo_acme_test"' in transferred["queries"]
    assert database(postgres_server, tenant["name"])[0] == tenant["owner"]


def test_drop_needs_force(postgres_server, tenant):
    assert not run_module(postgres_server, present_args(tenant)).get("failed")
    result = run_module(postgres_server, dict(name=tenant["name"], state="absent"))
    assert result.get("failed")
    assert result["msg"] == "Cannot drop database acme_test: state=absent needs force=true"
    assert database(postgres_server, tenant["name"]) is not None


def test_backup_before_drop_is_restorable(postgres_server, tenant, tmp_path):
    assert not run_module(postgres_server, present_args(tenant)).get("failed")
    with psycopg.connect(postgres_server.dsn(tenant["name"]), autocommit=True) as conn:
        conn.execute("CREATE TABLE res_partner (id serial PRIMARY KEY, name text)")
        conn.execute("INSERT INTO res_partner (name) VALUES ('Azure Interior')")
    dump = str(tmp_path / "acme_test.dump")
    absent = dict(name=tenant["name"], state="absent", force=True, backup_to=dump, owner=tenant["owner"],
                  drop_owner=True)

    checked = run_module(postgres_server, absent, check=True)
    assert checked["changed"] and checked["dropped"]
    assert not os.path.exists(dump) and database(postgres_server, tenant["name"]) is not None

    result = run_module(postgres_server, absent)
    assert not result.get("failed"), result.get("msg")
    assert result["changed"] and result["dropped"] and result["backup"] == dump
    assert result["queries"] == ['DROP DATABASE "acme_test" WITH (FORCE)', 'DROP ROLE "odoo_acme_test"']
    assert stat.S_IMODE(os.stat(dump).st_mode) == 0o600
    assert database(postgres_server, tenant["name"]) is None
    assert not role_exists(postgres_server, tenant["owner"])

    again = run_module(postgres_server, absent)
    assert not again.get("failed") and not again["changed"] and not again["dropped"]

    restored = "acme_test_restored"
    drop(postgres_server, restored)
    try:
        execute(postgres_server, sql.SQL("CREATE DATABASE {}").format(sql.Identifier(restored)))
        env = dict(os.environ, PGPASSWORD=postgres_server.password)
        subprocess.run([os.path.join(postgres_server.bindir, "pg_restore"), "--no-owner", "-h", postgres_server.host,
                        "-p", str(postgres_server.port), "-U", postgres_server.user, "-d", restored, dump],
                       check=True, env=env, capture_output=True)
        rows = query(postgres_server, "SELECT name FROM res_partner", dbname=restored)
        assert rows == [("Azure Interior",)]
    finally:
        drop(postgres_server, restored)


def test_backup_refuses_to_overwrite(postgres_server, tenant, tmp_path):
    assert not run_module(postgres_server, present_args(tenant)).get("failed")
    dump = tmp_path / "existing.dump"
    dump.write_text("keep me")
    absent = dict(name=tenant["name"], state="absent", force=True, backup_to=str(dump))
    checked = run_module(postgres_server, absent, check=True)
    assert checked.get("failed") and "the file exists" in checked["msg"]
    result = run_module(postgres_server, absent)
    assert result.get("failed") and "the file exists" in result["msg"]
    missing_dir = run_module(postgres_server, dict(absent, backup_to=str(dump.parent / "nowhere" / "x.dump")))
    assert missing_dir.get("failed") and "does not exist" in missing_dir["msg"]
    assert dump.read_text() == "keep me"
    assert database(postgres_server, tenant["name"]) is not None


@pytest.mark.parametrize("override", [
    {"name": 'acme"; DROP DATABASE postgres; --'},
    {"name": "acme'; DROP ROLE postgres; --"},
    {"name": "postgres"},
    {"name": "template1"},
    {"name": "a" * 64},
    {"owner": 'x" SUPERUSER; --'},
    {"owner": "postgres"},
    {"owner": "pg_monitor"},
    {"extensions": ["pg_trgm; DROP DATABASE postgres"]},
    {"encoding": "UTF8' TEMPLATE template1 --"},
    {"lc_collate": "C'; SELECT pg_sleep(10); --"},
    {"template": 'template0" OWNER "postgres'},
])
def test_injection_and_reserved_names_fail_cleanly(postgres_server, tenant, override):
    result = run_module(postgres_server, present_args(tenant, **override))
    assert result.get("failed")
    assert result["msg"].startswith("Cannot manage database")
    assert "queries" not in result
    assert database(postgres_server, tenant["name"]) is None
    assert not role_exists(postgres_server, tenant["owner"])
    assert database(postgres_server, "postgres") is not None


def test_unavailable_extension_is_reported(postgres_server, tenant):
    result = run_module(postgres_server, present_args(tenant, extensions=["no_such_extension"]), check=True)
    assert result.get("failed")
    assert "Cannot create extension(s) no_such_extension in database acme_test: not available" in result["msg"]


def test_unavailable_extension_is_refused_before_anything_is_created(postgres_server, tenant):
    result = run_module(postgres_server, present_args(tenant, extensions=["pg_trgm", "no_such_extension"]))
    assert result.get("failed")
    assert "Cannot create extension(s) no_such_extension in database acme_test: not available" in result["msg"]
    assert result["queries"] == []
    assert database(postgres_server, tenant["name"]) is None
    assert not role_exists(postgres_server, tenant["owner"])


def stored_password(server, role):
    return query(server, "SELECT rolpassword FROM pg_authid WHERE rolname = %s", (role,))[0][0]


@pytest.mark.parametrize("attribute", ["SUPERUSER", "REPLICATION", "CREATEROLE", "BYPASSRLS"])
def test_privileged_owner_is_refused_and_left_alone(postgres_server, tenant, attribute):
    execute(postgres_server, sql.SQL("CREATE ROLE {} LOGIN {} PASSWORD {}").format(
        sql.Identifier(tenant["owner"]), sql.SQL(attribute), sql.Literal("privileged-test-password")))
    before = stored_password(postgres_server, tenant["owner"])
    result = run_module(postgres_server, present_args(tenant))
    assert result.get("failed")
    assert result["msg"] == (
        "Cannot make role odoo_acme_test the owner of database acme_test: it has %s. A tenant database is owned "
        "by a plain login role; name another owner" % attribute)
    assert result["queries"] == []
    assert database(postgres_server, tenant["name"]) is None
    assert stored_password(postgres_server, tenant["owner"]) == before


@pytest.mark.parametrize("grant, named", [
    # A predefined role, directly.
    (["GRANT pg_read_all_data TO {owner}"], "pg_read_all_data"),
    # A predefined role through a group of the site's own.
    (["CREATE ROLE odoo_acme_group NOLOGIN", "GRANT pg_monitor TO odoo_acme_group",
      "GRANT odoo_acme_group TO {owner}"], "pg_monitor, pg_read_all_settings, pg_read_all_stats, pg_stat_scan_tables"),
    # A role with REPLICATION, which the owner could SET ROLE to.
    (["CREATE ROLE odoo_acme_group NOLOGIN REPLICATION", "GRANT odoo_acme_group TO {owner}"], "odoo_acme_group"),
])
def test_owner_member_of_a_privileged_role_is_refused(postgres_server, tenant, grant, named):
    drop(postgres_server, role="odoo_acme_group")
    execute(postgres_server, sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(
        sql.Identifier(tenant["owner"]), sql.Literal("member-test-password")))
    try:
        for statement in grant:
            execute(postgres_server, statement.format(owner=tenant["owner"]))
        before = stored_password(postgres_server, tenant["owner"])
        result = run_module(postgres_server, present_args(tenant))
        assert result.get("failed")
        assert "it is a member of %s. A tenant database" % named in result["msg"]
        assert database(postgres_server, tenant["name"]) is None
        assert stored_password(postgres_server, tenant["owner"]) == before
    finally:
        drop(postgres_server, role=tenant["owner"])
        drop(postgres_server, role="odoo_acme_group")


def test_plain_existing_owner_with_createdb_is_accepted(postgres_server, tenant):
    """CREATEDB and an ordinary group are not privileges beyond the tenant's own."""
    drop(postgres_server, role="odoo_acme_group")
    execute(postgres_server, sql.SQL("CREATE ROLE {} LOGIN CREATEDB PASSWORD {}").format(
        sql.Identifier(tenant["owner"]), sql.Literal("plain-test-password")))
    execute(postgres_server, "CREATE ROLE odoo_acme_group NOLOGIN")
    execute(postgres_server, sql.SQL("GRANT odoo_acme_group TO {}").format(sql.Identifier(tenant["owner"])))
    try:
        result = run_module(postgres_server, present_args(tenant))
        assert not result.get("failed"), result.get("msg")
        assert result["created"]
        assert can_login(postgres_server, tenant["name"], tenant["owner"], OWNER_PASSWORD)
    finally:
        drop(postgres_server, tenant["name"], tenant["owner"])
        drop(postgres_server, role="odoo_acme_group")


def test_owner_password_required_for_new_role(postgres_server, tenant):
    result = run_module(postgres_server, dict(name=tenant["name"], owner=tenant["owner"]))
    assert result.get("failed")
    assert result["msg"] == "Cannot create role odoo_acme_test: owner_password is required to create the owner role"


def test_non_superuser_login_is_refused(postgres_server, tenant):
    helper, password = "odoo_not_super", "not-super-test-password"
    drop(postgres_server, role=helper)
    execute(postgres_server, sql.SQL("CREATE ROLE {} LOGIN CREATEDB CREATEROLE PASSWORD {}").format(
        sql.Identifier(helper), sql.Literal(password)))
    try:
        result = run_module(postgres_server, present_args(tenant, login_user=helper, login_password=password))
        assert result.get("failed")
        assert "login_user odoo_not_super is not a superuser" in result["msg"]
    finally:
        drop(postgres_server, role=helper)


def test_connection_failure_is_reported(postgres_server, tenant):
    result = run_module(postgres_server, present_args(tenant, login_password="wrong-test-password"))
    assert result.get("failed")
    assert result["msg"].startswith("Cannot connect to database postgres on 127.0.0.1:%d as postgres:"
                                    % postgres_server.port)
    assert "wrong-test-password" not in json.dumps(result)


class _FakePatroni(http.server.BaseHTTPRequestHandler):
    document = {}

    def do_GET(self):  # noqa: N802 (http.server's naming)
        body = json.dumps(self.document).encode()
        self.send_response(200 if self.path == "/cluster" else 404)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def test_leader_found_through_patroni_rest_api(postgres_server, tenant):
    _FakePatroni.document = {"members": [
        {"name": "db2", "role": "replica", "state": "streaming", "host": "192.0.2.2", "port": 5432},
        {"name": "db1", "role": "leader", "state": "running", "host": postgres_server.host,
         "port": postgres_server.port},
    ]}
    httpd = http.server.HTTPServer(("127.0.0.1", 0), _FakePatroni)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        url = "http://127.0.0.1:%d" % httpd.server_address[1]
        result = run_module(postgres_server, dict(present_args(tenant), patroni_urls=["http://127.0.0.1:9/", url],
                                                  login_user=postgres_server.user,
                                                  login_password=postgres_server.password), login=False)
        assert not result.get("failed"), result.get("msg")
        assert result["server"] == {"host": postgres_server.host, "port": postgres_server.port}
        assert database(postgres_server, tenant["name"]) is not None
    finally:
        httpd.shutdown()
        httpd.server_close()


def _python_without_psycopg():
    """The system Python when neither psycopg nor psycopg2 is importable there, else None."""
    candidate = "/usr/bin/python3"
    if not os.path.exists(candidate):
        return None
    for driver in ("psycopg", "psycopg2"):
        if subprocess.run([candidate, "-c", "import " + driver], capture_output=True, check=False).returncode == 0:
            return None
    return candidate


def test_missing_driver_fails_clearly(postgres_server, tenant):
    python = _python_without_psycopg()
    if python is None:
        pytest.skip("/usr/bin/python3 is missing or has a PostgreSQL driver")
    result = run_module(postgres_server, present_args(tenant), python=python)
    assert result.get("failed")
    assert "Failed to import the required Python library (psycopg (psycopg 3, or psycopg2))" in result["msg"]
