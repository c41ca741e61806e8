"""Fixtures for the Odoo stand-in's own tests (images/odoo-standin).

The stand-in is plain Python run from its source tree; PostgreSQL and Redis
are the real loopback servers of tests/services.py.
"""

import pytest

from services import free_port
from standin_helpers import (ADMIN_PASSWD, ODOO_PASSWORD, ODOO_ROLE,
                             superuser_connection, write_rc)

from odoo_standin import config as standin_config  # noqa: E402  (path set by standin_helpers)
from odoo_standin.server import App, Service  # noqa: E402
from odoo_standin.sessions import FileSessionStore  # noqa: E402


@pytest.fixture(scope="session")
def odoo_role(postgres_server):
    """A login role with CREATEDB, as the odoo role gives the application."""
    from psycopg import sql
    with superuser_connection(postgres_server) as conn:
        conn.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(ODOO_ROLE)))
        conn.execute(sql.SQL("CREATE ROLE {} LOGIN CREATEDB PASSWORD {}").format(
            sql.Identifier(ODOO_ROLE), sql.Literal(ODOO_PASSWORD)))
    return postgres_server


@pytest.fixture
def make_config(tmp_path, odoo_role):
    """Build a Config from an rc file with the loopback database and extra options."""
    def make(argv=(), **options):
        values = {"db_host": odoo_role.host, "db_port": odoo_role.port, "db_user": ODOO_ROLE,
                  "db_password": ODOO_PASSWORD, "admin_passwd": ADMIN_PASSWD,
                  "data_dir": str(tmp_path / "data"), "http_interface": "127.0.0.1",
                  "http_port": free_port(), "gevent_port": free_port()}
        values.update(options)
        rc = write_rc(tmp_path / "odoo.conf", **values)
        return standin_config.parse(["-c", rc, *argv], environ={})
    return make


class Running:
    """A served stand-in: its App, and the base URLs of both ports."""

    def __init__(self, app, service):
        self.app = app
        self.service = service
        http_port, gevent_port = service.ports
        self.http = "http://127.0.0.1:%d" % http_port
        self.gevent = "http://127.0.0.1:%d" % gevent_port
        self.http_port, self.gevent_port = http_port, gevent_port


@pytest.fixture
def serve():
    """Start Service(App(config, store)) in this process; stopped at the end of the test."""
    services = []

    def start(config, store=None, served_by="standin-test"):
        app = App(config, store or FileSessionStore(config.session_dir), served_by=served_by)
        service = Service(app, grace=2.0)
        service.start()
        services.append(service)
        return Running(app, service)

    yield start
    for service in services:
        service.stop()
