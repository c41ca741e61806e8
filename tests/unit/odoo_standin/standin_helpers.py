"""Constants and helpers shared by the stand-in's tests (fixtures are in conftest.py).

Importing this module puts images/odoo-standin on sys.path, so that
``odoo_standin`` imports from the source tree.
"""

import os
import sys
import time
import urllib.parse

STANDIN_SOURCE = os.path.normpath(os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "images", "odoo-standin"))
if STANDIN_SOURCE not in sys.path:
    sys.path.insert(0, STANDIN_SOURCE)

ODOO_ROLE = "odoo_standin_test"
ODOO_PASSWORD = "test-only-odoo-password"
ADMIN_PASSWD = "test-only-admin-passwd"


def write_rc(path, **options):
    lines = ["[options]"] + ["%s = %s" % item for item in options.items()]
    path.write_text("\n".join(lines) + "\n")
    return str(path)


def dbname_for(request):
    """A database name unique to the test, valid as an identifier."""
    name = "standin_" + urllib.parse.quote(request.node.name, safe="").lower()
    return "".join(c if c.isalnum() else "_" for c in name)[:60]


def superuser_connection(postgres_server, timeout=60.0):
    """An autocommit psycopg connection as the superuser, once PostgreSQL accepts logins.

    The server fixture returns when the port listens, which can be a moment
    before the end of start-up ("the database system is starting up").
    """
    import psycopg
    deadline = time.monotonic() + timeout
    while True:
        try:
            return psycopg.connect(postgres_server.dsn(), autocommit=True)
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
