# -*- coding: utf-8 -*-
# Copyright: (c) 2025, SysGenPro hosting engineering
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    """Login options of the collection's PostgreSQL modules (see module_utils/postgres_login.py)."""

    DOCUMENTATION = r'''
options:
  login_host:
    description:
      - Host name or address of the PostgreSQL server.
      - A path (for example V(/var/run/postgresql)) selects a Unix socket directory.
      - When omitted, libpq's default applies (the local Unix socket).
    type: str
  login_port:
    description:
      - TCP port of the PostgreSQL server (or suffix of the Unix socket name).
    type: int
    default: 5432
  login_user:
    description:
      - The role the module logs in as.
    type: str
    default: postgres
  login_password:
    description:
      - Password of O(login_user). Omit it for peer or certificate authentication.
      - There is no default password.
    type: str
  login_db:
    description:
      - Maintenance database the module connects to first.
    type: str
    default: postgres
  ssl_mode:
    description:
      - libpq C(sslmode) of the connection.
      - See U(https://www.postgresql.org/docs/current/libpq-ssl.html).
    type: str
    default: prefer
    choices: [disable, allow, prefer, require, verify-ca, verify-full]
  ca_cert:
    description:
      - File of certificate authorities that sign the server's certificate (libpq C(sslrootcert)).
      - Needed with O(ssl_mode=verify-ca) and O(ssl_mode=verify-full).
    type: path
  connect_timeout:
    description:
      - Seconds to wait for the connection before failing.
    type: int
    default: 10
requirements:
  - psycopg >= 3.1 (psycopg2 >= 2.8 also works) on the host that runs the module
notes:
  - The module fails with a clear message when neither psycopg nor psycopg2 is installed on the
    target; on Debian install C(python3-psycopg) (or C(python3-psycopg2)).
'''
