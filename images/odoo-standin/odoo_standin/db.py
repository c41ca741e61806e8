"""PostgreSQL access for the stand-in, with psycopg2 (as Odoo) or psycopg 3.

The image has Debian's python3-psycopg2; the tests may run with psycopg 3.
Both offer connect(), cursors with ``%s`` parameters and ``sql.Identifier``.
"""

import re

try:  # pragma: no cover - which branch runs depends on the machine
    import psycopg2 as driver
    from psycopg2 import sql
except ImportError:  # pragma: no cover
    import psycopg as driver
    from psycopg import sql

Error = driver.Error
DRIVER = driver.__name__

# What `odoo -d DB -i base` creates: enough of the real schema for the role's
# checks and for logins, plus the table behind the test write endpoint
# (CONTRACT.md).
BASE_VERSION = "18.0.1.3"
SCHEMA = (
    """CREATE TABLE IF NOT EXISTS ir_module_module (
           id serial PRIMARY KEY,
           name varchar NOT NULL UNIQUE,
           state varchar NOT NULL,
           latest_version varchar,
           write_date timestamp without time zone DEFAULT (now() at time zone 'UTC'))""",
    """CREATE TABLE IF NOT EXISTS ir_config_parameter (
           id serial PRIMARY KEY,
           key varchar NOT NULL UNIQUE,
           value text NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS res_users (
           id serial PRIMARY KEY,
           login varchar NOT NULL UNIQUE,
           password varchar,
           active boolean DEFAULT true)""",
    # Odoo 18.0's ir_attachment, the columns the stand-in uses (same names
    # and types; Odoo also has description, company_id, url, access_token,
    # index_content, create_uid, write_uid).
    """CREATE TABLE IF NOT EXISTS ir_attachment (
           id serial PRIMARY KEY,
           name varchar NOT NULL,
           res_model varchar,
           res_field varchar,
           res_id integer,
           type varchar NOT NULL DEFAULT 'binary',
           public boolean,
           db_datas bytea,
           store_fname varchar,
           file_size integer,
           checksum varchar(40),
           mimetype varchar,
           create_date timestamp without time zone DEFAULT (now() at time zone 'UTC'),
           write_date timestamp without time zone DEFAULT (now() at time zone 'UTC'))""",
    # Odoo 18.0's ir_cron without its ir_actions_server_id (the stand-in's
    # action is fixed), and ir_cron_trigger.
    """CREATE TABLE IF NOT EXISTS ir_cron (
           id serial PRIMARY KEY,
           cron_name varchar,
           user_id integer NOT NULL DEFAULT 1,
           active boolean DEFAULT true,
           interval_number integer NOT NULL DEFAULT 1 CHECK (interval_number > 0),
           interval_type varchar NOT NULL DEFAULT 'months',
           nextcall timestamp without time zone NOT NULL
               DEFAULT date_trunc('second', now() at time zone 'UTC'),
           lastcall timestamp without time zone,
           priority integer DEFAULT 5,
           failure_count integer DEFAULT 0,
           first_failure_date timestamp without time zone,
           write_date timestamp without time zone DEFAULT (now() at time zone 'UTC'))""",
    """CREATE TABLE IF NOT EXISTS ir_cron_trigger (
           id serial PRIMARY KEY,
           cron_id integer NOT NULL REFERENCES ir_cron (id) ON DELETE CASCADE,
           call_at timestamp without time zone NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS standin_row (
           id bigserial PRIMARY KEY,
           note text NOT NULL DEFAULT '',
           served_by text NOT NULL DEFAULT '',
           create_date timestamp without time zone DEFAULT (now() at time zone 'UTC'))""",
)

# The users Odoo's base module creates: OdooBot (base.user_root, inactive, no
# password) and the administrator (base.user_admin, admin/admin). Odoo stores
# the latter hashed; the stand-in keeps the plain text, which its login
# accepts as Odoo's CryptContext does. Existing rows are never overwritten, so
# a password set by a playbook survives `-i`/`-u` again.
BASE_USERS = (
    (1, "__system__", None, False),
    (2, "admin", "admin", True),
)

_SYSTEM_DATABASES = ("postgres", "template0", "template1")


class NotInitialized(Exception):
    """The database exists but `-i base` has not been run on it."""


def connect(config, dbname):
    """An autocommit connection to ``dbname`` with the server's settings."""
    conn = driver.connect(connect_timeout=5, **config.db_connect_kwargs(dbname))
    conn.autocommit = True
    return conn


def query(config, dbname, statement, params=()):
    conn = connect(config, dbname)
    try:
        with conn.cursor() as cur:
            cur.execute(statement, params)
            return cur.fetchall() if cur.description else []
    finally:
        conn.close()


def server_answers(config):
    """True when PostgreSQL accepts a connection and a query (`db_server_status`)."""
    try:
        return query(config, "postgres", "SELECT 1") == [(1,)]
    except Error:
        return False


def list_databases(config):
    """Databases the configured user owns, as the real server lists them."""
    rows = query(config, "postgres", """
        SELECT datname FROM pg_database
         WHERE datdba = (SELECT usesysid FROM pg_user WHERE usename = current_user)
           AND NOT datistemplate AND datallowconn AND datname <> ALL(%s)
         ORDER BY datname""", (list(_SYSTEM_DATABASES),))
    return [row[0] for row in rows]


def filter_databases(names, dbfilter, host):
    """Apply ``dbfilter`` (``%h`` = host name, ``%d`` = its first label) like Odoo."""
    if not dbfilter:
        return list(names)
    hostname = (host or "").split(":")[0]
    first = hostname.split(".")[0]
    if first == "www" and "." in hostname:
        first = hostname.split(".")[1]
    pattern = dbfilter.replace("%h", re.escape(hostname)).replace("%d", re.escape(first))
    return [name for name in names if re.match(pattern, name)]


def database_exists(config, dbname):
    return bool(query(config, "postgres", "SELECT 1 FROM pg_database WHERE datname = %s",
                       (dbname,)))


def create_database(config, dbname):
    """CREATE DATABASE from db_template, UTF8, as `-i` does for a missing database."""
    conn = connect(config, "postgres")
    try:
        with conn.cursor() as cur:
            cur.execute(sql.SQL("CREATE DATABASE {} ENCODING 'UTF8' TEMPLATE {}").format(
                sql.Identifier(dbname), sql.Identifier(config["db_template"])))
    finally:
        conn.close()


def install_base(config, dbname, modules, addons=None):
    """Create the small schema and mark ``modules`` (always with base) installed.

    ``addons``: {module: (version, install(cursor, new_install))} for the
    modules that bring their own tables (queue_job); each runs before its
    module is marked installed.
    """
    addons = addons or {}
    conn = connect(config, dbname)
    try:
        with conn.cursor() as cur:
            for statement in SCHEMA:
                cur.execute(statement)
            for name in ["base"] + [m for m in modules if m != "base"]:
                version = BASE_VERSION
                if name in addons:
                    version, install = addons[name]
                    cur.execute("SELECT 1 FROM ir_module_module WHERE name = %s "
                                "AND state = 'installed'", (name,))
                    install(cur, not cur.fetchall())
                cur.execute("""
                    INSERT INTO ir_module_module (name, state, latest_version)
                    VALUES (%s, 'installed', %s)
                    ON CONFLICT (name) DO UPDATE
                       SET state = 'installed', latest_version = EXCLUDED.latest_version,
                           write_date = now() at time zone 'UTC'""", (name, version))
            for user in BASE_USERS:
                cur.execute("""
                    INSERT INTO res_users (id, login, password, active) VALUES (%s, %s, %s, %s)
                    ON CONFLICT DO NOTHING""", user)
            cur.execute("""
                SELECT setval(pg_get_serial_sequence('res_users', 'id'), max(id))
                  FROM res_users""")
            cur.execute("""
                INSERT INTO ir_config_parameter (key, value)
                VALUES ('database.uuid', md5(random()::text || clock_timestamp()::text))
                ON CONFLICT (key) DO NOTHING""")
    finally:
        conn.close()


def installed_modules(config, dbname):
    try:
        rows = query(config, dbname,
                      "SELECT name FROM ir_module_module WHERE state = 'installed' ORDER BY name")
    except Error as exc:
        if table_missing(exc):
            raise NotInitialized(dbname) from None
        raise
    return [row[0] for row in rows]


def table_missing(exc):
    return getattr(exc, "pgcode", None) == "42P01" or getattr(exc, "sqlstate", None) == "42P01"


def find_user(config, dbname, login):
    """(id, stored password or '') of the active user ``login``, or None.

    NotInitialized when the database is missing or has no res_users table.
    """
    try:
        rows = query(config, dbname, "SELECT id, COALESCE(password, '') FROM res_users "
                                      "WHERE login = %s AND active", (login,))
    except Error as exc:
        if table_missing(exc) or not _exists_after_failure(config, dbname):
            raise NotInitialized(dbname) from None
        raise
    return tuple(rows[0]) if rows else None


def _exists_after_failure(config, dbname):
    """After a failed connection: False when the database is simply missing."""
    try:
        return database_exists(config, dbname)
    except Error:
        return True  # the server itself is down: report the first error


def insert_row(config, dbname, note, served_by):
    """Insert one row in standin_row and return its id (the test write endpoint)."""
    try:
        rows = query(config, dbname,
                      "INSERT INTO standin_row (note, served_by) VALUES (%s, %s) RETURNING id",
                      (note, served_by))
    except Error as exc:
        if table_missing(exc):
            raise NotInitialized(dbname) from None
        raise
    return rows[0][0]


def count_rows(config, dbname):
    try:
        return query(config, dbname, "SELECT count(*) FROM standin_row")[0][0]
    except Error as exc:
        if table_missing(exc):
            raise NotInitialized(dbname) from None
        raise


def drain_notifications(conn):
    """Read and drop the notifications waiting on ``conn`` (psycopg2 poll(), or psycopg 3)."""
    if hasattr(conn, "poll"):
        conn.poll()
        del conn.notifies[:]
    else:  # pragma: no cover - psycopg 3
        for _ in conn.notifies(timeout=0):
            pass
