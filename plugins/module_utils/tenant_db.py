# -*- coding: utf-8 -*-
# Copyright: (c) 2025, SysGenPro hosting engineering
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure logic of the odoo_tenant_db module: name rules, password verifiers, SQL.

Nothing here talks to a server. Statements are ``psycopg.sql`` compositions:
identifiers go through ``sql.Identifier`` and values through ``sql.Literal``,
never through string formatting.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import hashlib
import hmac
import os
import re
import stringprep
import unicodedata

from ansible_collections.sysgenpro.odoo_hosting.plugins.module_utils.postgres_login import sql

MAX_IDENTIFIER_BYTES = 63

# Odoo's own rule for database names (odoo/service/db.py, DBNAME_PATTERN).
ODOO_DATABASE_NAME = re.compile(r'^[A-Za-z0-9][A-Za-z0-9_.-]+$')
ROLE_NAME = re.compile(r'^[A-Za-z_][A-Za-z0-9_.-]*$')
EXTENSION_NAME = re.compile(r'^[A-Za-z_][A-Za-z0-9_-]*$')
# Encodings, locales and template names: letters, digits and . _ @ - only.
SETTING_VALUE = re.compile(r'^[A-Za-z0-9_][A-Za-z0-9_.@-]*$')

RESERVED_DATABASES = frozenset(['postgres', 'template0', 'template1'])
# 'postgres' is refused by Odoo itself as db_user; the others are PostgreSQL keywords.
RESERVED_ROLES = frozenset(['postgres', 'public', 'none', 'current_user', 'current_role',
                            'session_user', 'session_role'])

SCRAM_ITERATIONS = 4096
SCRAM_SALT_BYTES = 16
MASK = '********'


class InvalidName(ValueError):
    """A name or value refused before any SQL is built."""


def _check_length(kind, value):
    if len(value.encode('utf-8')) > MAX_IDENTIFIER_BYTES:
        raise InvalidName('%s %r is longer than PostgreSQL\'s %d-byte limit'
                          % (kind, value, MAX_IDENTIFIER_BYTES))


def validate_database_name(name):
    """Refuse names Odoo or PostgreSQL would not accept, and the reserved ones."""
    if not ODOO_DATABASE_NAME.fullmatch(name or ''):
        raise InvalidName('database name %r does not match Odoo\'s rule %s'
                          % (name, ODOO_DATABASE_NAME.pattern))
    _check_length('database name', name)
    if name.lower() in RESERVED_DATABASES:
        raise InvalidName('database name %r is reserved' % name)
    return name


def validate_role_name(name):
    """Refuse role names outside a plain identifier alphabet, pg_* and reserved roles."""
    if not ROLE_NAME.fullmatch(name or ''):
        raise InvalidName('role name %r does not match %s' % (name, ROLE_NAME.pattern))
    _check_length('role name', name)
    if name.lower() in RESERVED_ROLES or name.lower().startswith('pg_'):
        raise InvalidName('role name %r is reserved' % name)
    return name


def validate_extension_name(name):
    if not EXTENSION_NAME.fullmatch(name or ''):
        raise InvalidName('extension name %r does not match %s' % (name, EXTENSION_NAME.pattern))
    _check_length('extension name', name)
    return name


def validate_setting(kind, value):
    """Encodings, locales, template names: a short plain word, nothing else."""
    if not SETTING_VALUE.fullmatch(value or ''):
        raise InvalidName('%s %r does not match %s' % (kind, value, SETTING_VALUE.pattern))
    _check_length(kind, value)
    return value


def normalize_encoding(value):
    """'utf-8', 'UTF_8' and 'UTF8' all name PostgreSQL's UTF8."""
    return re.sub(r'[-_]', '', value).upper()


def normalize_locale(value):
    """Compare locales as glibc does: the codeset part ignores case and dashes."""
    if '.' not in value:
        return value
    language, codeset = value.split('.', 1)
    modifier = ''
    if '@' in codeset:
        codeset, modifier = codeset.split('@', 1)
        modifier = '@' + modifier
    return '%s.%s%s' % (language, re.sub(r'[-_]', '', codeset).lower(), modifier)


# --- Passwords -------------------------------------------------------------

def saslprep(password):
    """SASLprep (RFC 4013) as PostgreSQL applies it before hashing a SCRAM password.

    Like PostgreSQL, fall back to the raw string when it cannot be prepared
    (prohibited characters or a bidirectional-text violation).
    """
    mapped = []
    for char in password:
        if stringprep.in_table_c12(char):
            mapped.append(' ')
        elif not stringprep.in_table_b1(char):
            mapped.append(char)
    prepared = unicodedata.normalize('NFKC', ''.join(mapped))
    if not prepared:
        return password
    prohibited = (stringprep.in_table_c12, stringprep.in_table_c21, stringprep.in_table_c22,
                  stringprep.in_table_c3, stringprep.in_table_c4, stringprep.in_table_c5,
                  stringprep.in_table_c6, stringprep.in_table_c7, stringprep.in_table_c8,
                  stringprep.in_table_c9, stringprep.in_table_a1)
    if any(check(char) for char in prepared for check in prohibited):
        return password
    if any(stringprep.in_table_d1(char) for char in prepared):
        if any(stringprep.in_table_d2(char) for char in prepared):
            return password
        if not (stringprep.in_table_d1(prepared[0]) and stringprep.in_table_d1(prepared[-1])):
            return password
    return prepared


def _scram_keys(password, salt, iterations):
    salted = hashlib.pbkdf2_hmac('sha256', saslprep(password).encode('utf-8'), salt, iterations)
    client_key = hmac.new(salted, b'Client Key', hashlib.sha256).digest()
    stored_key = hashlib.sha256(client_key).digest()
    server_key = hmac.new(salted, b'Server Key', hashlib.sha256).digest()
    return stored_key, server_key


def scram_verifier(password, salt=None, iterations=SCRAM_ITERATIONS):
    """A SCRAM-SHA-256 verifier in PostgreSQL's ``rolpassword`` format.

    Sent instead of the password, so the clear text never reaches the server
    (nor its logs).
    """
    if salt is None:
        salt = os.urandom(SCRAM_SALT_BYTES)
    stored_key, server_key = _scram_keys(password, salt, iterations)
    salt_b64, stored_b64, server_b64 = [base64.b64encode(value).decode('ascii')
                                        for value in (salt, stored_key, server_key)]
    return 'SCRAM-SHA-256$%d:%s$%s:%s' % (iterations, salt_b64, stored_b64, server_b64)


SCRAM_VERIFIER = re.compile(r'^SCRAM-SHA-256\$(\d+):([A-Za-z0-9+/=]+)\$([A-Za-z0-9+/=]+):([A-Za-z0-9+/=]+)$')


def password_matches(stored, password):
    """Whether ``stored`` (a ``rolpassword``) is a SCRAM verifier of ``password``.

    An md5 hash or a clear-text password never matches: the role then gets a
    SCRAM verifier.
    """
    match = SCRAM_VERIFIER.fullmatch(stored or '')
    if not match:
        return False
    iterations, salt, stored_key, server_key = match.groups()
    expected = _scram_keys(password, base64.b64decode(salt), int(iterations))
    return (hmac.compare_digest(expected[0], base64.b64decode(stored_key))
            and hmac.compare_digest(expected[1], base64.b64decode(server_key)))


# --- Reading state ---------------------------------------------------------

SERVER_QUERY = (
    "SELECT pg_catalog.pg_is_in_recovery(), "
    "pg_catalog.current_setting('server_version_num')::int, "
    "r.rolsuper FROM pg_catalog.pg_roles r WHERE r.rolname = current_user")

DATABASE_QUERY = (
    "SELECT pg_catalog.pg_get_userbyid(d.datdba), pg_catalog.pg_encoding_to_char(d.encoding), "
    "d.datcollate, d.datctype, d.datconnlimit, pg_catalog.pg_database_size(d.oid) "
    "FROM pg_catalog.pg_database d WHERE d.datname = %s")

# The owner's login and password, the attributes that would make it more than
# a tenant's owner, and every role it is a member of (directly or through
# others) that is predefined (pg_*) or has one of those attributes: a member
# can SET ROLE to it or inherits its rights. pg_database_owner is left out:
# its only member is each database's owner, in that database.
ROLE_QUERY = (
    "SELECT a.rolcanlogin, a.rolpassword, a.rolsuper, a.rolreplication, a.rolcreaterole, a.rolbypassrls, "
    "ARRAY(SELECT b.rolname::text FROM pg_catalog.pg_roles b "
    "WHERE b.oid <> a.oid AND b.rolname <> 'pg_database_owner' "
    "AND (b.rolname LIKE 'pg\\_%%' OR b.rolsuper OR b.rolreplication OR b.rolcreaterole OR b.rolbypassrls) "
    "AND pg_catalog.pg_has_role(a.oid, b.oid, 'MEMBER') ORDER BY 1) "
    "FROM pg_catalog.pg_authid a WHERE a.rolname = %s")

# Attributes an owner must not have: each gives rights beyond its own database.
PRIVILEGED_ATTRIBUTES = ('SUPERUSER', 'REPLICATION', 'CREATEROLE', 'BYPASSRLS')

EXTENSIONS_QUERY = "SELECT e.extname FROM pg_catalog.pg_extension e ORDER BY 1"

AVAILABLE_EXTENSIONS_QUERY = (
    "SELECT a.name FROM pg_catalog.pg_available_extensions a WHERE a.name = ANY(%s) ORDER BY 1")


def role_state(row):
    """The ``ROLE_QUERY`` row as a dict, or None for a missing role."""
    if row is None:
        return None
    can_login, password, superuser, replication, createrole, bypassrls, memberships = row
    attributes = [name for name, value in zip(PRIVILEGED_ATTRIBUTES, (superuser, replication, createrole, bypassrls))
                  if value]
    return dict(can_login=can_login, password=password, privileged_attributes=attributes,
                privileged_memberships=list(memberships or []))


def owner_privileges(role):
    """Why an existing role may not own a tenant database (empty when it may).

    A superuser is a member of every role, so its memberships are not listed.
    """
    problems = []
    if role['privileged_attributes']:
        problems.append('has %s' % ', '.join(role['privileged_attributes']))
    if role['privileged_memberships'] and 'SUPERUSER' not in role['privileged_attributes']:
        problems.append('is a member of %s' % ', '.join(role['privileged_memberships']))
    return problems


def database_state(row):
    """The ``DATABASE_QUERY`` row as a dict, or None for a missing database."""
    if row is None:
        return None
    owner, encoding, collate, ctype, limit, size = row
    return dict(owner=owner, encoding=encoding, lc_collate=collate, lc_ctype=ctype,
                connection_limit=limit, size=size)


def mismatches(current, wanted):
    """Settings of an existing database that differ from ``wanted`` and cannot be altered."""
    found = []
    if normalize_encoding(current['encoding']) != normalize_encoding(wanted['encoding']):
        found.append('encoding is %s, not %s' % (current['encoding'], wanted['encoding']))
    for key in ('lc_collate', 'lc_ctype'):
        if normalize_locale(current[key]) != normalize_locale(wanted[key]):
            found.append('%s is %s, not %s' % (key, current[key], wanted[key]))
    return found


# --- Statements ------------------------------------------------------------

def create_role(role, verifier):
    return sql.SQL('CREATE ROLE {} WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION '
                   'PASSWORD {}').format(sql.Identifier(role), sql.Literal(verifier))


def set_role_password(role, verifier):
    return sql.SQL('ALTER ROLE {} WITH PASSWORD {}').format(sql.Identifier(role), sql.Literal(verifier))


def allow_role_login(role):
    return sql.SQL('ALTER ROLE {} WITH LOGIN').format(sql.Identifier(role))


def drop_role(role):
    return sql.SQL('DROP ROLE {}').format(sql.Identifier(role))


def create_database(name, owner, template, encoding, lc_collate, lc_ctype, connection_limit):
    return sql.SQL('CREATE DATABASE {} WITH OWNER {} TEMPLATE {} ENCODING {} LC_COLLATE {} '
                   'LC_CTYPE {} CONNECTION LIMIT {}').format(
        sql.Identifier(name), sql.Identifier(owner), sql.Identifier(template),
        sql.Literal(encoding), sql.Literal(lc_collate), sql.Literal(lc_ctype),
        sql.Literal(int(connection_limit)))


def set_connection_limit(name, connection_limit):
    return sql.SQL('ALTER DATABASE {} WITH CONNECTION LIMIT {}').format(
        sql.Identifier(name), sql.Literal(int(connection_limit)))


def set_database_owner(name, owner):
    return sql.SQL('ALTER DATABASE {} OWNER TO {}').format(sql.Identifier(name), sql.Identifier(owner))


def drop_database(name, server_version_num):
    """DROP DATABASE; from PostgreSQL 13 on, WITH (FORCE) ends the sessions still connected."""
    if server_version_num >= 130000:
        return sql.SQL('DROP DATABASE {} WITH (FORCE)').format(sql.Identifier(name))
    return sql.SQL('DROP DATABASE {}').format(sql.Identifier(name))


def create_extension(extension):
    return sql.SQL('CREATE EXTENSION IF NOT EXISTS {}').format(sql.Identifier(extension))
