# -*- coding: utf-8 -*-
# Copyright: (c) 2025, SysGenPro hosting engineering
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Login options and connections shared by this collection's PostgreSQL modules.

The options are described once, in the ``postgres_login`` doc fragment, and
defined once, in :func:`postgres_login_argument_spec`. psycopg 3 is preferred;
psycopg2 is accepted when it is the only driver on the target.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import traceback

from ansible.module_utils.basic import missing_required_lib

PSYCOPG_IMPORT_ERROR = None
try:
    import psycopg
    from psycopg import sql  # pylint: disable=unused-import  # re-exported for the SQL builders
    PSYCOPG_MAJOR = 3
except ImportError:
    try:
        import psycopg2 as psycopg
        from psycopg2 import sql  # pylint: disable=unused-import  # re-exported for the SQL builders
        PSYCOPG_MAJOR = 2
    except ImportError:
        psycopg = None
        sql = None
        PSYCOPG_MAJOR = None
        PSYCOPG_IMPORT_ERROR = traceback.format_exc()

HAS_PSYCOPG = psycopg is not None

SSL_MODES = ['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full']
APPLICATION_NAME = 'ansible-sysgenpro.odoo_hosting'


def postgres_login_argument_spec():
    """The login options every PostgreSQL module of this collection accepts."""
    return dict(
        login_host=dict(type='str'),
        login_port=dict(type='int', default=5432),
        login_user=dict(type='str', default='postgres'),
        login_password=dict(type='str', no_log=True),
        login_db=dict(type='str', default='postgres'),
        ssl_mode=dict(type='str', default='prefer', choices=SSL_MODES),
        ca_cert=dict(type='path'),
        connect_timeout=dict(type='int', default=10),
    )


def connection_kwargs(params, dbname=None):
    """libpq keywords for the login options in ``params``; ``dbname`` overrides login_db."""
    kwargs = dict(
        user=params['login_user'],
        dbname=dbname or params['login_db'],
        port=params['login_port'],
        sslmode=params['ssl_mode'],
        connect_timeout=params['connect_timeout'],
        application_name=APPLICATION_NAME,
    )
    if params.get('login_host'):
        kwargs['host'] = params['login_host']
    if params.get('login_password'):
        kwargs['password'] = params['login_password']
    if params.get('ca_cert'):
        kwargs['sslrootcert'] = params['ca_cert']
    return kwargs


def libpq_environment(params):
    """The same login as environment variables, for client programs such as pg_dump.

    The password travels in PGPASSWORD so that it never shows on a command line.
    """
    kwargs = connection_kwargs(params)
    names = dict(host='PGHOST', port='PGPORT', user='PGUSER', password='PGPASSWORD',
                 sslmode='PGSSLMODE', sslrootcert='PGSSLROOTCERT',
                 connect_timeout='PGCONNECT_TIMEOUT', application_name='PGAPPNAME')
    return dict((names[key], str(value)) for key, value in kwargs.items() if key in names)


def server_label(params):
    """``host:port`` of the login, for messages."""
    return '%s:%s' % (params.get('login_host') or 'local socket', params['login_port'])


def ensure_psycopg(module):
    """Fail with a clear message when no PostgreSQL driver is installed on the target."""
    if not HAS_PSYCOPG:
        module.fail_json(msg=missing_required_lib('psycopg (psycopg 3, or psycopg2)',
                                                  url='https://www.psycopg.org/psycopg3/docs/basic/install.html'),
                         exception=PSYCOPG_IMPORT_ERROR)


def connect(module, params, dbname=None):
    """An autocommit connection, or fail_json naming the server and the reason."""
    ensure_psycopg(module)
    kwargs = connection_kwargs(params, dbname)
    try:
        conn = psycopg.connect(**kwargs)
        conn.autocommit = True
    except psycopg.Error as exc:
        module.fail_json(msg='Cannot connect to database %s on %s as %s: %s'
                         % (kwargs['dbname'], server_label(params), kwargs['user'], str(exc).strip()))
    return conn


def fetch_all(conn, query, args=None):
    """Rows of ``query`` run with ``args`` (placeholders in the %s style)."""
    with conn.cursor() as cur:
        cur.execute(query, args)
        return cur.fetchall()


def fetch_one(conn, query, args=None):
    """The first row of ``query``, or None."""
    rows = fetch_all(conn, query, args)
    return rows[0] if rows else None


def execute(conn, query, args=None):
    """Run a statement that returns no rows."""
    with conn.cursor() as cur:
        cur.execute(query, args)


def render(conn, query):
    """The text of a composed statement, as the server will receive it."""
    if isinstance(query, str):
        return query
    return query.as_string(conn)
