#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, SysGenPro hosting engineering
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: odoo_business_signals
short_description: Give the monitoring role a tenant database's business signals, and nothing more
version_added: 1.0.0
description:
  - Makes, in an Odoo tenant database, the schema C(odoo_hosting_monitor) with five functions the
    PostgreSQL exporter's custom queries call - C(cron_overdue()) (active scheduled actions past their
    C(nextcall) by more than O(cron_overdue_minutes)), C(mail_exceptions()) (outgoing mails in state
    C(exception) written in the last day; 0 without the mail module), C(business_checks()) (the tenant's
    own O(checks), each a query returning one number and its bounds), C(queue_jobs()) and
    C(queue_job_runner()).
  - C(queue_jobs()) returns, for OCA's queue_job, one row per channel and state (C(pending), C(enqueued),
    C(started), C(failed)) with the number of jobs and, for C(pending), the age in seconds of the oldest job
    that is due. C(queue_job_runner()) returns C(master) 1 when a job runner holds queue_job's advisory lock
    on the database, else 0. Both return no row when the database has no C(queue_job) table.
  - The functions belong to the database's owner and run with its rights (C(SECURITY DEFINER), fixed
    C(search_path)); each turns its transaction read-only first, so that no check can write, and answers
    no row on a replica, so that only the leader's exporter reports. O(monitor_role) gets C(EXECUTE) on
    them and nothing on Odoo's tables.
  - A check whose query fails reports C(failed=1) and a C(NaN) value instead of failing the others.
  - The schema's comment records a checksum of the SQL that made it; when the wanted SQL differs the
    schema is dropped and made again in one transaction, else nothing runs.
  - Connects to the PostgreSQL primary (the Patroni leader) as a superuser; refuses a replica.
  - The exporter's queries that call the functions are in C(playbooks/vars/exporters.yml); the metrics they
    give are described in C(docs/alerts.md).
options:
  database:
    description: The tenant database (it must exist).
    type: str
    required: true
  monitor_role:
    description: The role the PostgreSQL exporter logs in as (it must exist).
    type: str
    required: true
  cron_overdue_minutes:
    description: How late a scheduled action may be before it counts as overdue.
    type: int
    default: 30
  checks:
    description:
      - The tenant's own checks. Each has C(name) (C(^[a-z][a-z0-9_]{0,62}$)), C(query) (SQL returning one
        number, run read-only with the database owner's rights) and C(min), C(max) or both.
    type: list
    elements: dict
    default: []
extends_documentation_fragment:
  - sysgenpro.odoo_hosting.postgres_login
attributes:
  check_mode:
    description: Can run in check mode; returns the statements it would run in RV(queries).
    support: full
  diff_mode:
    description: Returns the checksum before and after.
    support: full
author:
  - SysGenPro hosting engineering (@sysgenpro)
'''

EXAMPLES = r'''
- name: Give the exporter the tenant's business signals
  sysgenpro.odoo_hosting.odoo_business_signals:
    database: acme_prod
    monitor_role: prometheus
    cron_overdue_minutes: 30
    checks:
      - name: orders_imported_last_hour
        query: SELECT count(*) FROM sale_order WHERE create_date > now() AT TIME ZONE 'UTC' - interval '1 hour'
        min: 1
    login_host: /var/run/postgresql
  become: true
  become_user: postgres
'''

RETURN = r'''
checksum:
  description: Checksum of the SQL that made the schema, after the run.
  returned: always
  type: str
  sample: sha256:d77f659b1c727ed37b747e7cfd72178f94ca3dae633129fd6a3c8c89ef58b362
owner:
  description: The database's owner, whose rights the functions run with.
  returned: always
  type: str
  sample: odoo
queries:
  description: Statements run (or, in check mode, that would run).
  returned: always
  type: list
  elements: str
'''

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.sysgenpro.odoo_hosting.plugins.module_utils import business_signals
from ansible_collections.sysgenpro.odoo_hosting.plugins.module_utils.postgres_login import (
    connect,
    ensure_psycopg,
    fetch_one,
    postgres_login_argument_spec,
    psycopg,
    server_label,
)

SERVER_QUERY = ("SELECT pg_is_in_recovery(), (SELECT rolsuper FROM pg_roles WHERE rolname = current_user), "
                "(SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = current_database()), "
                "EXISTS (SELECT 1 FROM pg_roles WHERE rolname = %s)")


def main():
    argument_spec = postgres_login_argument_spec()
    argument_spec.update(
        database=dict(type='str', required=True),
        monitor_role=dict(type='str', required=True),
        cron_overdue_minutes=dict(type='int', default=30),
        checks=dict(type='list', elements='dict', default=[]),
    )
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    params = module.params
    where = 'database %s on %s' % (params['database'], server_label(params))
    problems = business_signals.problems(params['monitor_role'], params['cron_overdue_minutes'],
                                         params['checks'])
    if problems:
        module.fail_json(msg='Cannot make the business signals of %s: %s' % (where, '; '.join(problems)))
    ensure_psycopg(module)
    conn = connect(module, params, dbname=params['database'])
    try:
        in_recovery, is_superuser, owner, role_exists = fetch_one(conn, SERVER_QUERY, (params['monitor_role'],))
        if in_recovery:
            module.fail_json(msg='Cannot make the business signals of %s: the server is a replica; connect to '
                                 'the primary (the Patroni leader)' % where)
        if not is_superuser:
            module.fail_json(msg='Cannot make the business signals of %s: login_user %s is not a superuser'
                                 % (where, params['login_user']))
        if not role_exists:
            module.fail_json(msg='Cannot make the business signals of %s: monitor_role %s does not exist'
                                 % (where, params['monitor_role']))
        statements, digest = business_signals.wanted(owner, params['monitor_role'], params['cron_overdue_minutes'],
                                                     params['checks'])
        row = fetch_one(conn, business_signals.STATE_QUERY, (business_signals.SCHEMA,))
        before = row[0] if row else None
        changed = before != digest
        if changed and not module.check_mode:
            conn.autocommit = False
            with conn.cursor() as cur:
                for statement in statements:
                    cur.execute(statement)
            conn.commit()
    except psycopg.Error as exc:
        module.fail_json(msg='Cannot make the business signals of %s: %s' % (where, str(exc).strip()))
    finally:
        conn.close()
    module.exit_json(changed=changed, checksum=digest, owner=owner,
                     queries=statements if changed else [],
                     diff=dict(before='checksum: %s\n' % before, after='checksum: %s\n' % digest))


if __name__ == '__main__':
    main()
