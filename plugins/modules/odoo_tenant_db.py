#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2025, SysGenPro hosting engineering
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: odoo_tenant_db
short_description: Create, update or drop an Odoo tenant database and its owner role
version_added: 1.0.0
description:
  - Ensures that a tenant's Odoo database and the role that owns it exist with the declared
    settings, or that the database is gone.
  - Connects directly to the PostgreSQL primary (the Patroni leader), not through PgBouncer,
    because creating a database from a template needs no other session on the template.
    Give the leader in O(login_host), or let the module find it through O(patroni_urls).
  - The login role must be a superuser. The module refuses to work on a replica.
  - Names are checked against Odoo's database-name rule and PostgreSQL's 63-byte limit, and every
    identifier is quoted by psycopg's SQL composition.
  - Converged on an existing database - O(connection_limit), O(extensions) (missing ones are
    created, others left alone), the owner's password and LOGIN attribute, and the owner itself only
    with O(change_owner=true). A different encoding or locale cannot be altered in place; the module
    reports it and fails instead of touching the database.
options:
  name:
    description:
      - Name of the tenant database.
      - Must match Odoo's rule C(^[A-Za-z0-9][A-Za-z0-9_.-]+$), fit in 63 bytes and not be
        V(postgres), V(template0) or V(template1).
    type: str
    required: true
    aliases: [db]
  state:
    description:
      - V(present) creates or updates the database and its owner role.
      - V(absent) drops the database; it requires O(force=true).
    type: str
    choices: [present, absent]
    default: present
  owner:
    description:
      - Role that owns the database, and that Odoo logs in as.
      - Required with O(state=present). With O(state=absent) it names the role O(drop_owner) removes.
      - The role is created (LOGIN, no other attributes) when missing.
      - V(postgres), V(public) and names starting with V(pg_) are refused.
      - An existing role is refused, before anything changes, when it has SUPERUSER, REPLICATION,
        CREATEROLE or BYPASSRLS, or is a member (directly or through other roles) of a predefined
        V(pg_*) role or of a role with one of those attributes. Otherwise the module would reset the
        password of a privileged role and hand that role to the application.
    type: str
  owner_password:
    description:
      - Password of O(owner). Required when the role must be created.
      - Stored as a SCRAM-SHA-256 verifier computed by the module, so the clear text never reaches
        the server. An existing role whose stored verifier does not match (or is an md5 hash) gets
        a new verifier.
    type: str
  change_owner:
    description:
      - Allow the module to transfer an existing database owned by another role to O(owner).
      - Only the database changes owner (C(ALTER DATABASE ... OWNER TO)); objects inside it keep theirs.
      - When V(false), an owner mismatch fails the task.
    type: bool
    default: false
  encoding:
    description:
      - Character encoding of a new database.
    type: str
    default: UTF8
  lc_collate:
    description:
      - Collation of a new database. Odoo recommends V(C).
    type: str
    default: C
  lc_ctype:
    description:
      - Character classification of a new database.
    type: str
    default: C
  template:
    description:
      - Template of a new database. V(template0) allows any encoding and locale.
    type: str
    default: template0
  extensions:
    description:
      - Extensions to create in the database when missing, for example V(pg_trgm) and V(unaccent).
      - Extensions not listed are left alone.
      - Every listed extension must be available on the server; one that is not fails the task before
        the owner or the database is created or changed.
    type: list
    elements: str
    default: []
  connection_limit:
    description:
      - Connection limit of the database; V(-1) means no limit.
      - When omitted, a new database gets no limit and an existing one keeps its limit.
    type: int
  force:
    description:
      - Confirms O(state=absent). Dropping without it fails, whether or not the database exists.
      - Sessions still connected to the database are ended (PostgreSQL 13 and later).
    type: bool
    default: false
  backup_to:
    description:
      - With O(state=absent), a path on the host running the module where C(pg_dump --format=custom)
        writes the database before it is dropped. The drop happens only if the dump succeeds.
      - The file must not exist yet; it is created with mode 0600.
      - Restore it with C(pg_restore). The Odoo filestore is not part of the dump.
    type: path
  drop_owner:
    description:
      - With O(state=absent), also drop the role O(owner). Fails when the role still owns objects
        elsewhere.
    type: bool
    default: false
  patroni_urls:
    description:
      - Base URLs of Patroni REST APIs (for example V(https://db1:8008)). The module asks each for
        C(/cluster) and connects to the leader's host and port instead of O(login_host) and O(login_port).
    type: list
    elements: str
    default: []
  patroni_ca_cert:
    description:
      - CA bundle that signs the Patroni REST API certificates.
    type: path
extends_documentation_fragment:
  - sysgenpro.odoo_hosting.postgres_login
attributes:
  check_mode:
    description: Can run in check mode; returns the statements it would run in RV(queries).
    support: full
  diff_mode:
    description: Returns the database's settings before and after.
    support: full
seealso:
  - name: Odoo deployment guide
    description: Database and PostgreSQL recommendations for Odoo.
    link: https://www.odoo.com/documentation/17.0/administration/on_premise/deploy.html
author:
  - SysGenPro hosting engineering (@sysgenpro)
'''

EXAMPLES = r'''
- name: Create the tenant database on the Patroni leader
  sysgenpro.odoo_hosting.odoo_tenant_db:
    name: acme_prod
    owner: odoo_acme
    owner_password: "{{ vault_odoo_acme_db_password }}"
    extensions: [pg_trgm, unaccent]
    connection_limit: 200
    patroni_urls:
      - https://db1.example.net:8008
      - https://db2.example.net:8008
    patroni_ca_cert: /etc/ssl/certs/acme-internal-ca.pem
    login_password: "{{ vault_postgres_superuser_password }}"
    ssl_mode: verify-full
    ca_cert: /etc/ssl/certs/acme-internal-ca.pem

- name: Preview what would change
  sysgenpro.odoo_hosting.odoo_tenant_db:
    name: acme_prod
    owner: odoo_acme
    login_host: 10.0.0.11
    login_password: "{{ vault_postgres_superuser_password }}"
  check_mode: true
  diff: true

- name: Drop a tenant database, keeping a dump
  sysgenpro.odoo_hosting.odoo_tenant_db:
    name: acme_staging
    state: absent
    force: true
    backup_to: /var/backups/odoo/acme_staging-final.dump
    login_host: 10.0.0.11
    login_password: "{{ vault_postgres_superuser_password }}"
'''

RETURN = r'''
database:
  description: Name of the database.
  returned: always
  type: str
  sample: acme_prod
owner:
  description: Owner of the database after the run (null when it does not exist).
  returned: always
  type: str
  sample: odoo_acme
created:
  description: Whether the database was (or, in check mode, would be) created.
  returned: always
  type: bool
dropped:
  description: Whether the database was (or, in check mode, would be) dropped.
  returned: always
  type: bool
size:
  description: Size of the database in bytes (null when it does not exist or in check mode before creation).
  returned: always
  type: int
  sample: 8192000
queries:
  description: Statements run (or, in check mode, that would run). Password verifiers are masked.
  returned: always
  type: list
  elements: str
  sample: ['CREATE DATABASE "acme_prod" WITH OWNER "odoo_acme" TEMPLATE "template0" ENCODING ''UTF8'' ...']
backup:
  description: Path of the dump written before the drop (null when none was written).
  returned: always
  type: str
  sample: /var/backups/odoo/acme_staging-final.dump
server:
  description: The server the module worked on, as host and port.
  returned: always
  type: dict
  sample: {host: 10.0.0.11, port: 5432}
'''

import glob
import os

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.sysgenpro.odoo_hosting.plugins.module_utils import patroni
from ansible_collections.sysgenpro.odoo_hosting.plugins.module_utils import tenant_db
from ansible_collections.sysgenpro.odoo_hosting.plugins.module_utils.postgres_login import (
    connect,
    ensure_psycopg,
    execute,
    fetch_all,
    fetch_one,
    libpq_environment,
    postgres_login_argument_spec,
    psycopg,
    render,
    server_label,
)


class TenantDatabase(object):
    """Brings one tenant database (and its owner role) to the declared state."""

    def __init__(self, module, conn, server_version_num):
        self.module = module
        self.params = module.params
        self.conn = conn
        self.server_version_num = server_version_num
        self.name = self.params['name']
        self.queries = []
        self.changed = False

    # -- statements --------------------------------------------------------

    def run(self, query, shown=None, conn=None, what=None):
        """Record a statement and run it unless in check mode."""
        self.queries.append(render(self.conn, shown if shown is not None else query))
        self.changed = True
        if self.module.check_mode:
            return
        try:
            execute(conn or self.conn, query)
        except psycopg.Error as exc:
            self.module.fail_json(msg='Cannot %s: %s' % (what or 'run %s' % self.queries[-1], str(exc).strip()),
                                  queries=self.queries)

    # -- state ---------------------------------------------------------------

    def database(self):
        return tenant_db.database_state(fetch_one(self.conn, tenant_db.DATABASE_QUERY, (self.name,)))

    def role(self, role):
        return tenant_db.role_state(fetch_one(self.conn, tenant_db.ROLE_QUERY, (role,)))

    def installed_extensions(self):
        conn = connect(self.module, self.params, dbname=self.name)
        try:
            return [row[0] for row in fetch_all(conn, tenant_db.EXTENSIONS_QUERY)]
        finally:
            conn.close()

    # -- present -------------------------------------------------------------

    def ensure_role(self):
        owner = self.params['owner']
        password = self.params['owner_password']
        role = self.role(owner)
        if role is None:
            if not password:
                self.module.fail_json(msg='Cannot create role %s: owner_password is required to create '
                                          'the owner role' % owner)
            verifier = tenant_db.scram_verifier(password)
            self.run(tenant_db.create_role(owner, verifier), tenant_db.create_role(owner, tenant_db.MASK),
                     what='create role %s' % owner)
            return 'new'
        problems = tenant_db.owner_privileges(role)
        if problems:
            self.module.fail_json(msg='Cannot make role %s the owner of database %s: it %s. A tenant database '
                                      'is owned by a plain login role; name another owner'
                                      % (owner, self.name, ' and '.join(problems)), queries=self.queries)
        if not role['can_login']:
            self.run(tenant_db.allow_role_login(owner), what='allow role %s to log in' % owner)
        if password and not tenant_db.password_matches(role['password'], password):
            verifier = tenant_db.scram_verifier(password)
            self.run(tenant_db.set_role_password(owner, verifier),
                     tenant_db.set_role_password(owner, tenant_db.MASK),
                     what='set the password of role %s' % owner)
            return 'changed'
        return 'unchanged'

    def ensure_database(self, before):
        params = self.params
        if before is None:
            limit = params['connection_limit'] if params['connection_limit'] is not None else -1
            self.run(tenant_db.create_database(self.name, params['owner'], params['template'], params['encoding'],
                                               params['lc_collate'], params['lc_ctype'], limit),
                     what='create database %s' % self.name)
            return
        problems = tenant_db.mismatches(before, params)
        if before['owner'] != params['owner'] and not params['change_owner']:
            problems.insert(0, 'owner is %s, not %s (set change_owner=true to transfer it)'
                            % (before['owner'], params['owner']))
        if problems:
            self.module.fail_json(msg='Cannot ensure database %s: it exists and %s'
                                      % (self.name, '; '.join(problems)), queries=self.queries)
        if before['owner'] != params['owner']:
            self.run(tenant_db.set_database_owner(self.name, params['owner']),
                     what='transfer database %s to %s' % (self.name, params['owner']))
        if params['connection_limit'] is not None and before['connection_limit'] != params['connection_limit']:
            self.run(tenant_db.set_connection_limit(self.name, params['connection_limit']),
                     what='set the connection limit of database %s' % self.name)

    def check_extensions_available(self):
        """Refuse, before anything is created, extensions the server does not ship."""
        wanted = sorted(set(self.params['extensions']))
        if not wanted:
            return
        available = [row[0] for row in fetch_all(self.conn, tenant_db.AVAILABLE_EXTENSIONS_QUERY, (wanted,))]
        unavailable = [ext for ext in wanted if ext not in available]
        if unavailable:
            self.module.fail_json(msg='Cannot create extension(s) %s in database %s: not available on the '
                                      'server (install the package that ships them, e.g. postgresql-contrib)'
                                      % (', '.join(unavailable), self.name), queries=self.queries)

    def ensure_extensions(self, database_existed):
        wanted = sorted(set(self.params['extensions']))
        if not wanted:
            return [], []
        installed = self.installed_extensions() if database_existed else []
        missing = [ext for ext in wanted if ext not in installed]
        tenant_conn = None
        if missing and not self.module.check_mode:
            tenant_conn = connect(self.module, self.params, dbname=self.name)
        try:
            for ext in missing:
                self.run(tenant_db.create_extension(ext), conn=tenant_conn,
                         what='create extension %s in database %s' % (ext, self.name))
        finally:
            if tenant_conn is not None:
                tenant_conn.close()
        return sorted(set(installed) & set(wanted)), missing

    def present(self):
        before = self.database()
        self.check_extensions_available()
        password = self.ensure_role()
        self.ensure_database(before)
        kept, created = self.ensure_extensions(before is not None or not self.module.check_mode)
        after = self.database() if not self.module.check_mode else None
        params = self.params
        predicted = dict(before or {}, owner=params['owner'])
        if before is None:
            predicted.update(encoding=params['encoding'], lc_collate=params['lc_collate'],
                             lc_ctype=params['lc_ctype'], connection_limit=-1, size=None)
        if params['connection_limit'] is not None:
            predicted['connection_limit'] = params['connection_limit']
        final = after or predicted
        diff = dict(before=self.view(before, kept, password_label='(stored)'),
                    after=self.view(final, kept + created,
                                    password_label='(new)' if password in ('new', 'changed') else '(stored)'))
        return dict(owner=final['owner'], created=before is None, dropped=False,
                    size=final.get('size'), diff=diff)

    # -- absent --------------------------------------------------------------

    def check_backup_target(self, path):
        """Refuse an existing file or a missing directory, in check mode too."""
        if os.path.exists(path):
            self.module.fail_json(msg='Cannot back up database %s to %s: the file exists' % (self.name, path))
        directory = os.path.dirname(os.path.abspath(path))
        if not os.path.isdir(directory):
            self.module.fail_json(msg='Cannot back up database %s to %s: directory %s does not exist'
                                      % (self.name, path, directory))

    def backup(self, path):
        """pg_dump the database to ``path`` (written under a temporary name, then renamed)."""
        versioned = sorted(glob.glob('/usr/lib/postgresql/*/bin'),
                           key=lambda d: int(d.split('/')[-2]) if d.split('/')[-2].isdigit() else 0, reverse=True)
        pg_dump = self.module.get_bin_path('pg_dump', required=True, opt_dirs=versioned)
        partial = path + '.partial'
        command = [pg_dump, '--format=custom', '--no-password', '--file=%s' % partial, '--dbname=%s' % self.name]
        old_umask = os.umask(0o077)
        try:
            rc, dummy, err = self.module.run_command(command, environ_update=libpq_environment(self.params))
        finally:
            os.umask(old_umask)
        if rc != 0:
            if os.path.exists(partial):
                os.unlink(partial)
            self.module.fail_json(msg='Cannot back up database %s to %s: pg_dump exited with %d: %s'
                                      % (self.name, path, rc, err.strip()), queries=self.queries)
        os.chmod(partial, 0o600)
        os.rename(partial, path)

    def absent(self):
        params = self.params
        before = self.database()
        backup = None
        if before is not None:
            if params['backup_to']:
                backup = params['backup_to']
                self.check_backup_target(backup)
                if not self.module.check_mode:
                    self.backup(backup)
            self.run(tenant_db.drop_database(self.name, self.server_version_num),
                     what='drop database %s' % self.name)
        if params['drop_owner'] and self.role(params['owner']) is not None:
            self.run(tenant_db.drop_role(params['owner']), what='drop role %s' % params['owner'])
        return dict(owner=None, created=False, dropped=before is not None, size=None, backup=backup,
                    diff=dict(before=self.view(before, []), after=self.view(None, [])))

    # -- reporting -----------------------------------------------------------

    def view(self, state, extensions, password_label=None):
        if state is None:
            return dict(database=self.name, state='absent')
        shown = dict(database=self.name, state='present', owner=state['owner'], encoding=state['encoding'],
                     lc_collate=state['lc_collate'], lc_ctype=state['lc_ctype'],
                     connection_limit=state['connection_limit'], extensions=sorted(extensions))
        if password_label and self.params['owner_password']:
            shown['owner_password'] = password_label
        return shown


def validate(module):
    """Check every name and value before a connection is opened."""
    params = module.params
    try:
        tenant_db.validate_database_name(params['name'])
        if params['owner'] is not None:
            tenant_db.validate_role_name(params['owner'])
        tenant_db.validate_setting('encoding', params['encoding'])
        tenant_db.validate_setting('lc_collate', params['lc_collate'])
        tenant_db.validate_setting('lc_ctype', params['lc_ctype'])
        tenant_db.validate_setting('template', params['template'])
        for ext in params['extensions']:
            tenant_db.validate_extension_name(ext)
    except tenant_db.InvalidName as exc:
        module.fail_json(msg='Cannot manage database %r: %s' % (params['name'], exc))
    if params['connection_limit'] is not None and params['connection_limit'] < -1:
        module.fail_json(msg='Cannot manage database %s: connection_limit must be -1 (no limit) or more, not %d'
                             % (params['name'], params['connection_limit']))
    if params['state'] == 'absent' and not params['force']:
        module.fail_json(msg='Cannot drop database %s: state=absent needs force=true' % params['name'])
    if params['drop_owner'] and not params['owner']:
        module.fail_json(msg='Cannot drop the owner of database %s: drop_owner needs owner' % params['name'])


def locate_leader(module):
    """Point the login options at the Patroni leader when patroni_urls is given."""
    urls = module.params['patroni_urls']
    if not urls:
        return
    leader, errors = patroni.find_leader(urls, ca_path=module.params['patroni_ca_cert'],
                                         timeout=module.params['connect_timeout'])
    if leader is None:
        module.fail_json(msg='Cannot find the Patroni leader: %s' % '; '.join(errors))
    module.params['login_host'], module.params['login_port'] = leader


def main():
    argument_spec = postgres_login_argument_spec()
    argument_spec.update(
        name=dict(type='str', required=True, aliases=['db']),
        state=dict(type='str', default='present', choices=['present', 'absent']),
        owner=dict(type='str'),
        owner_password=dict(type='str', no_log=True),
        change_owner=dict(type='bool', default=False),
        encoding=dict(type='str', default='UTF8'),
        lc_collate=dict(type='str', default='C'),
        lc_ctype=dict(type='str', default='C'),
        template=dict(type='str', default='template0'),
        extensions=dict(type='list', elements='str', default=[]),
        connection_limit=dict(type='int'),
        force=dict(type='bool', default=False),
        backup_to=dict(type='path'),
        drop_owner=dict(type='bool', default=False),
        patroni_urls=dict(type='list', elements='str', default=[]),
        patroni_ca_cert=dict(type='path'),
    )
    module = AnsibleModule(
        argument_spec=argument_spec,
        required_if=[('state', 'present', ('owner',))],
        supports_check_mode=True,
    )
    ensure_psycopg(module)
    validate(module)
    locate_leader(module)
    params = module.params

    conn = connect(module, params)
    try:
        in_recovery, version_num, is_superuser = fetch_one(conn, tenant_db.SERVER_QUERY)
        if in_recovery:
            module.fail_json(msg='Cannot manage database %s on %s: the server is a replica; connect to the '
                                 'primary (the Patroni leader)' % (params['name'], server_label(params)))
        if not is_superuser:
            module.fail_json(msg='Cannot manage database %s on %s: login_user %s is not a superuser'
                                 % (params['name'], server_label(params), params['login_user']))
        tenant = TenantDatabase(module, conn, version_num)
        if params['state'] == 'present':
            result = tenant.present()
        else:
            result = tenant.absent()
    except psycopg.Error as exc:
        module.fail_json(msg='Cannot manage database %s on %s: %s'
                             % (params['name'], server_label(params), str(exc).strip()))
    finally:
        conn.close()

    result.setdefault('backup', None)
    module.exit_json(changed=tenant.changed, database=params['name'], queries=tenant.queries,
                     server=dict(host=params['login_host'], port=params['login_port']), **result)


if __name__ == '__main__':
    main()
