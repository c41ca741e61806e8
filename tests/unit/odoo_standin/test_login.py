"""Logins checked against res_users, as Odoo checks them (CONTRACT.md, "Users and logins").

The password checks are compared with hashes made by passlib itself (fixed
vectors below) and by the odoo role's own hasher; the logins run against the
real PostgreSQL of tests/services.py.
"""

import os
import urllib.parse

import pytest
import yaml

from ansible_collections.sysgenpro.odoo_hosting.plugins.module_utils import odoo_password
from odoo_standin import db, passwords
from odoo_standin.cli import initialize

from standin_helpers import ODOO_ROLE, dbname_for, superuser_connection

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", ".."))

# Made by passlib 1.7.4: pbkdf2_sha512.using(rounds=1000, salt=b"standin-fixed-salt")
# .hash("s3cret Pässword"), and Odoo's CryptContext(["pbkdf2_sha512", "plaintext"],
# pbkdf2_sha512__rounds=600000).hash("test-only-new-admin-password").
PASSLIB_1000 = ("$pbkdf2-sha512$1000$c3RhbmRpbi1maXhlZC1zYWx0$RymQ5spnK/KphOL7SMIt7ZVfsWylebZ9cJR"
                "w.rEOvI/Fnr.EZEFgim9KolfgGVWE6GmBKWGgib91VtTn0pfx5w")
PASSLIB_ODOO = ("$pbkdf2-sha512$600000$c25trXVuzVmLcU5JiXEO4Q$UIfYs3.hK2DjFgZ.ekMMsYBvRcdvU.Kknd9sJ"
                "lDcjJpcE3V8XnlaQJeSHdwLMCPbGG/w8CGAG.h6jwLGToOuxA")
NEW_PASSWORD = "test-only-new-admin-password"
FAST_ROUNDS = 1000  # the check honours the rounds written in the hash


def role_hash(password, rounds=FAST_ROUNDS):
    """What roles/odoo writes for ``password``: the odoo_pbkdf2_sha512 filter's new hash."""
    return odoo_password.hash_password(password, os.urandom(odoo_password.SALT_SIZE), rounds)


def role_rounds():
    with open(os.path.join(ROOT, "roles", "odoo", "vars", "main.yml")) as handle:
        return yaml.safe_load(handle)["_odoo_admin_passwd_rounds"]


# -- the password check ---------------------------------------------------------

@pytest.mark.parametrize("password, stored, expected", [
    ("s3cret Pässword", PASSLIB_1000, True),
    ("s3cret Password", PASSLIB_1000, False),
    ("s3cret Pässword ", PASSLIB_1000, False),
    (NEW_PASSWORD, PASSLIB_ODOO, True),
    ("admin", PASSLIB_ODOO, False),
    ("admin", "admin", True),
    ("Admin", "admin", False),
    ("admin", "admin ", False),
    ("", "", False),
    ("", None, False),
    ("x", None, False),
    # Anything that is not pbkdf2_sha512 is plain text to Odoo's CryptContext.
    ("$2b$12$abc", "$2b$12$abc", True),
    ("$2b$12$abd", "$2b$12$abc", False),
    (PASSLIB_1000, PASSLIB_1000, False),
])
def test_verify_accepts_what_odoos_crypt_context_accepts(password, stored, expected):
    assert passwords.verify(password, stored) is expected


@pytest.mark.parametrize("stored", [
    "$pbkdf2-sha512$01000$c2FsdA$" + "A" * 86,  # zero-padded rounds
    "$pbkdf2-sha512$0$c2FsdA$" + "A" * 86,
    "$pbkdf2-sha512$1000$c2FsdA$short",
    "$pbkdf2-sha512$1000$c2FsdA$" + "A" * 40,  # checksum not 64 bytes
    "$pbkdf2-sha512$1000$c2FsdA",
    "$pbkdf2-sha512$x$c2FsdA$" + "A" * 86,
    "$pbkdf2-sha512$1000$c2F*dA$" + "A" * 86,
])
def test_a_malformed_hash_is_refused_loudly(stored):
    with pytest.raises(passwords.MalformedHash):
        passwords.verify("anything", stored)


def test_the_odoo_roles_hash_is_understood():
    """admin_passwd and res_users.password as the role writes them (its hasher, its rounds)."""
    stored = role_hash("test-only-master-password", rounds=role_rounds())
    assert stored.startswith("$pbkdf2-sha512$600000$")
    assert passwords.verify("test-only-master-password", stored)
    assert not passwords.verify("test-only-master-passwordX", stored)


def test_own_hash_matches_passlibs():
    salt = b"standin-fixed-salt"
    assert passwords.hash_pbkdf2_sha512("s3cret Pässword", salt, 1000) == PASSLIB_1000


# -- res_users, made by -i base --------------------------------------------------

def users(postgres_server, dbname):
    import psycopg
    with psycopg.connect(postgres_server.dsn(dbname), autocommit=True) as conn:
        return conn.execute("SELECT id, login, password, active FROM res_users "
                            "ORDER BY id").fetchall()


def set_password(postgres_server, dbname, stored, user_id=2):
    """What a playbook does: UPDATE res_users SET password = <hash> WHERE id = 2."""
    import psycopg
    with psycopg.connect(postgres_server.dsn(dbname), autocommit=True) as conn:
        conn.execute("UPDATE res_users SET password = %s WHERE id = %s", (stored, user_id))


@pytest.fixture
def tenant(make_config, request):
    """An initialised database (-i base) and its name."""
    name = dbname_for(request)
    initialize(make_config(["-d", name, "-i", "base"]))
    return name


def test_init_creates_res_users_with_odoos_first_users(tenant, odoo_role):
    assert users(odoo_role, tenant) == [(1, "__system__", None, False), (2, "admin", "admin", True)]


def test_init_again_keeps_a_changed_password(tenant, make_config, odoo_role):
    stored = passwords.hash_pbkdf2_sha512(NEW_PASSWORD, b"0123456789abcdef", FAST_ROUNDS)
    set_password(odoo_role, tenant, stored)
    initialize(make_config(["-d", tenant, "-u", "base"]))
    initialize(make_config(["-d", tenant, "-i", "base"]))
    assert users(odoo_role, tenant)[1] == (2, "admin", stored, True)


def test_new_users_get_ids_after_the_base_users(tenant, odoo_role):
    import psycopg
    with psycopg.connect(odoo_role.dsn(tenant), autocommit=True) as conn:
        new_id = conn.execute("INSERT INTO res_users (login, password) VALUES ('demo', 'demo') "
                              "RETURNING id").fetchone()[0]
    assert new_id == 3


def test_init_adds_res_users_to_a_database_initialised_without_it(make_config, request,
                                                                  odoo_role):
    """A database the previous stand-in initialised: other routes work, -u base adds users."""
    name = dbname_for(request)
    config = make_config(["-d", name, "-i", "base"])
    initialize(config)
    import psycopg
    with psycopg.connect(odoo_role.dsn(name), autocommit=True) as conn:
        conn.execute("DROP TABLE res_users")
    assert db.installed_modules(config, name) == ["base"]
    assert db.insert_row(config, name, "still works", "test") > 0
    with pytest.raises(db.NotInitialized):
        db.find_user(config, name, "admin")
    initialize(make_config(["-d", name, "-u", "base"]))
    assert db.find_user(config, name, "admin") == (2, "admin")


def test_init_in_a_database_created_beforehand_with_extensions(make_config, request, odoo_role):
    """As playbooks/tenant_db.yml does: the database exists, with extensions, before -i."""
    from psycopg import sql
    name = dbname_for(request)
    with superuser_connection(odoo_role) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {} OWNER {} TEMPLATE template0 ENCODING 'UTF8'")
                     .format(sql.Identifier(name), sql.Identifier(ODOO_ROLE)))
    import psycopg
    with psycopg.connect(odoo_role.dsn(name), autocommit=True) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        conn.execute("CREATE EXTENSION IF NOT EXISTS unaccent")
    config = make_config(["-d", name, "-i", "base"])
    initialize(config)
    assert db.find_user(config, name, "admin") == (2, "admin")


def test_find_user_skips_inactive_and_unknown_logins(tenant, make_config):
    config = make_config()
    assert db.find_user(config, tenant, "__system__") is None
    assert db.find_user(config, tenant, "nobody") is None
    assert db.find_user(config, tenant, "ADMIN") is None


def test_find_user_on_a_missing_database_is_not_initialized(make_config):
    with pytest.raises(db.NotInitialized):
        db.find_user(make_config(), "standin_no_such_database", "admin")


# -- POST /web/login -------------------------------------------------------------

def login(standin, password, db_name, user="admin"):
    from test_http import http_call
    form = urllib.parse.urlencode({"login": user, "password": password, "db": db_name})
    return http_call(standin.http_port, "POST", "/web/login", form,
                     {"Content-Type": "application/x-www-form-urlencoded"})


def logged_in(answer):
    status, headers, _body = answer
    return status == 303 and headers.get("Set-Cookie", "").startswith("session_id=")


def refused(answer):
    status, headers, body = answer
    return status == 200 and "Set-Cookie" not in headers and b"Wrong login/password" in body


def test_admin_admin_logs_in_after_init(tenant, make_config, serve):
    standin = serve(make_config())
    assert logged_in(login(standin, "admin", tenant))
    assert refused(login(standin, "wrong", tenant))
    assert refused(login(standin, "", tenant))
    assert refused(login(standin, "admin", tenant, user="nobody"))


def test_admin_passwd_is_not_a_login(tenant, make_config, serve):
    """odoo.conf's admin_passwd is the database manager's password, not the admin user's."""
    standin = serve(make_config(admin_passwd="test-only-master-password"))
    assert refused(login(standin, "test-only-master-password", tenant))


@pytest.mark.parametrize("hasher", ["passlib", "role"])
def test_a_hashed_password_set_in_sql_replaces_admin(tenant, make_config, serve, odoo_role,
                                                     hasher):
    stored = PASSLIB_ODOO if hasher == "passlib" else role_hash(NEW_PASSWORD)
    set_password(odoo_role, tenant, stored)
    standin = serve(make_config())
    assert logged_in(login(standin, NEW_PASSWORD, tenant))
    assert refused(login(standin, "admin", tenant))
    assert refused(login(standin, NEW_PASSWORD + "x", tenant))
    assert refused(login(standin, stored, tenant))


def test_the_session_holds_the_users_id(tenant, make_config, serve, odoo_role):
    import psycopg
    from test_http import jsonrpc, session_cookie
    with psycopg.connect(odoo_role.dsn(tenant), autocommit=True) as conn:
        conn.execute("INSERT INTO res_users (login, password) VALUES ('demo', 'test-only-demo')")
    standin = serve(make_config())
    sid = session_cookie(login(standin, "test-only-demo", tenant, user="demo")[1])
    info = jsonrpc(standin.http_port, "/web/session/get_session_info", cookie=sid)["result"]
    assert (info["uid"], info["username"], info["db"]) == (3, "demo", tenant)


def test_an_inactive_user_cannot_log_in(tenant, make_config, serve, odoo_role):
    import psycopg
    with psycopg.connect(odoo_role.dsn(tenant), autocommit=True) as conn:
        conn.execute("UPDATE res_users SET active = false WHERE id = 2")
    assert refused(login(serve(make_config()), "admin", tenant))


def test_a_malformed_stored_hash_refuses_the_login(tenant, make_config, serve, odoo_role):
    set_password(odoo_role, tenant, "$pbkdf2-sha512$600000$broken")
    assert refused(login(serve(make_config()), "admin", tenant))


def test_the_database_comes_from_db_name_when_the_form_has_none(tenant, make_config, serve):
    assert logged_in(login(serve(make_config(["-d", tenant])), "admin", ""))


@pytest.mark.parametrize("case, status", [("no database", 400), ("missing", 409),
                                          ("down", 503)])
def test_login_without_a_usable_database(make_config, serve, case, status):
    from services import free_port
    if case == "no database":
        standin = serve(make_config(dbfilter="^standin_none_matches_this$"))
    elif case == "down":
        standin = serve(make_config(db_port=free_port()))
    else:
        standin = serve(make_config())
    answer = login(standin, "admin", "" if case == "no database" else "standin_missing_db")
    assert answer[0] == status and "Set-Cookie" not in answer[1]
    assert b'name="password"' in answer[2]
