"""odoo_business_signals against a real PostgreSQL on loopback, run through Ansible.

A tenant database with an Odoo-shaped ir_cron (and, in one case, mail_mail) is
made here; the functions are then called as the monitoring role, the way the
PostgreSQL exporter's queries call them.
"""

import psycopg
import pytest
from psycopg import sql

from test_odoo_tenant_db import drop, execute, query, run_module

MODULE = "sysgenpro.odoo_hosting.odoo_business_signals"
MONITOR_PASSWORD = "monitor-test-password"
DB, OWNER, MONITOR = "signals_test", "odoo_signals_test", "prometheus_signals_test"
CRON = ("CREATE TABLE ir_cron (id serial PRIMARY KEY, cron_name varchar, active boolean DEFAULT true, "
        "nextcall timestamp without time zone NOT NULL)")


@pytest.fixture
def tenant(postgres_server):
    """A database owned by a plain role, with ir_cron, and a pg_monitor login like the exporter's."""
    drop(postgres_server, DB, OWNER)
    drop(postgres_server, role=MONITOR)
    execute(postgres_server, "CREATE ROLE %s LOGIN" % OWNER)
    execute(postgres_server, "CREATE ROLE %s LOGIN PASSWORD '%s' IN ROLE pg_monitor" % (MONITOR, MONITOR_PASSWORD))
    execute(postgres_server, "CREATE DATABASE %s OWNER %s" % (DB, OWNER))
    with psycopg.connect(postgres_server.dsn(DB), autocommit=True) as conn:
        conn.execute(CRON)
        conn.execute("ALTER TABLE ir_cron OWNER TO %s" % OWNER)
        conn.execute("INSERT INTO ir_cron (cron_name, nextcall) VALUES "
                     "('on time', now() AT TIME ZONE 'UTC' + interval '5 minutes'), "
                     "('late a little', now() AT TIME ZONE 'UTC' - interval '10 minutes'), "
                     "('late', now() AT TIME ZONE 'UTC' - interval '2 hours')")
    yield postgres_server
    drop(postgres_server, DB, OWNER)
    drop(postgres_server, role=MONITOR)


def signals(server, function):
    """Rows of one function, called as the monitoring role."""
    with psycopg.connect(host=server.host, port=server.port, user=MONITOR, password=MONITOR_PASSWORD,
                         dbname=DB, autocommit=True) as conn:
        return conn.execute(sql.SQL("SELECT * FROM odoo_hosting_monitor.{}()").format(sql.Identifier(function))).fetchall()


def run(server, check=False, **args):
    return run_module(server, dict(dict(database=DB, monitor_role=MONITOR), **args), check=check, module=MODULE)


def test_check_mode_then_make_then_idempotent(tenant):
    previewed = run(tenant, check=True)
    assert previewed["changed"] and previewed["queries"]
    assert query(tenant, "SELECT 1 FROM pg_namespace WHERE nspname = 'odoo_hosting_monitor'", dbname=DB) == []
    made = run(tenant)
    assert made["changed"] and made["owner"] == OWNER and made["checksum"] == previewed["checksum"]
    again = run(tenant)
    assert not again["changed"] and again["queries"] == []


def test_cron_overdue_counts_only_past_the_threshold(tenant):
    run(tenant, cron_overdue_minutes=30)
    assert signals(tenant, "cron_overdue") == [(1,)]
    changed = run(tenant, cron_overdue_minutes=5)
    assert changed["changed"]
    assert signals(tenant, "cron_overdue") == [(2,)]


def test_mail_exceptions_zero_without_the_mail_module_then_last_day_counted(tenant):
    run(tenant)
    assert signals(tenant, "mail_exceptions") == [(0,)]
    with psycopg.connect(tenant.dsn(DB), autocommit=True) as conn:
        conn.execute("CREATE TABLE mail_mail (id serial PRIMARY KEY, state varchar, "
                     "write_date timestamp without time zone DEFAULT (now() AT TIME ZONE 'UTC'))")
        conn.execute("ALTER TABLE mail_mail OWNER TO %s" % OWNER)
        conn.execute("INSERT INTO mail_mail (state) VALUES ('exception'), ('sent'), ('exception')")
        conn.execute("INSERT INTO mail_mail (state, write_date) VALUES ('exception', now() - interval '2 days')")
    assert signals(tenant, "mail_exceptions") == [(2,)]


def test_checks_report_value_bounds_failures_and_cannot_write(tenant):
    checks = [
        {"name": "late_jobs", "query": "SELECT count(*) FROM ir_cron WHERE nextcall < now() AT TIME ZONE 'UTC'", "max": 5},
        {"name": "too_few", "query": "SELECT count(*) FROM ir_cron;", "min": 10},
        {"name": "broken", "query": "SELECT count(*) FROM no_such_table", "min": 1},
        {"name": "writer", "query": "WITH d AS (DELETE FROM ir_cron RETURNING 1) SELECT count(*) FROM d", "max": 100},
    ]
    run(tenant, checks=checks)
    rows = {name: (value, failed) for name, value, failed in signals(tenant, "business_checks")}
    assert rows["late_jobs"] == (2.0, 0)
    assert rows["too_few"] == (3.0, 1)
    assert rows["broken"][1] == 1 and rows["broken"][0] != rows["broken"][0]  # NaN
    assert rows["writer"][1] == 1
    assert query(tenant, "SELECT count(*) FROM ir_cron", dbname=DB) == [(3,)]


def test_monitor_role_reads_no_table(tenant):
    run(tenant)
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        with psycopg.connect(host=tenant.host, port=tenant.port, user=MONITOR, password=MONITOR_PASSWORD,
                             dbname=DB, autocommit=True) as conn:
            conn.execute("SELECT count(*) FROM ir_cron")


@pytest.mark.parametrize("args,message", [
    (dict(monitor_role="x; DROP"), "monitor_role 'x; DROP' is not a plain role name"),
    (dict(cron_overdue_minutes=0), "cron_overdue_minutes must be a whole number"),
    (dict(checks=[{"name": "Bad-Name", "query": "SELECT 1", "min": 1}]), "checks[0].name 'Bad-Name' must match"),
    (dict(checks=[{"name": "no_bounds", "query": "SELECT 1"}]), "checks[0] needs min, max or both"),
    (dict(monitor_role="no_such_role"), "monitor_role no_such_role does not exist"),
])
def test_bad_input_changes_nothing(tenant, args, message):
    result = run(tenant, **args)
    assert result.get("failed") and message in result["msg"], result
    assert query(tenant, "SELECT 1 FROM pg_namespace WHERE nspname = 'odoo_hosting_monitor'", dbname=DB) == []


QUEUE_JOB = ("CREATE TABLE queue_job (id serial PRIMARY KEY, uuid varchar, channel varchar, state varchar NOT NULL, "
             "date_created timestamp without time zone, eta timestamp without time zone)")
QUEUE_JOB_LOCK_KEY = 2293787760715711918  # queue_job's jobrunner/runner.py


def add_queue_job(server):
    """queue_job's table, owned like Odoo's, with jobs in every state of two channels."""
    with psycopg.connect(server.dsn(DB), autocommit=True) as conn:
        conn.execute(QUEUE_JOB)
        conn.execute("ALTER TABLE queue_job OWNER TO %s" % OWNER)
        conn.execute(
            "INSERT INTO queue_job (channel, state, date_created, eta) VALUES "
            # root: waiting 20 minutes, 5 minutes, and one retried job due again in 10 minutes.
            "('root', 'pending', now() AT TIME ZONE 'UTC' - interval '20 minutes', NULL), "
            "('root', 'pending', now() AT TIME ZONE 'UTC' - interval '5 minutes', NULL), "
            "('root', 'pending', now() AT TIME ZONE 'UTC' - interval '2 hours', "
            " now() AT TIME ZONE 'UTC' + interval '10 minutes'), "
            "('root', 'started', now() AT TIME ZONE 'UTC' - interval '1 minute', NULL), "
            "('root', 'done', now() AT TIME ZONE 'UTC' - interval '3 hours', NULL), "
            "('root', 'wait_dependencies', now() AT TIME ZONE 'UTC' - interval '3 hours', NULL), "
            # root.edi: a retried job whose eta passed 3 minutes ago, one enqueued, two failed.
            "('root.edi', 'pending', now() AT TIME ZONE 'UTC' - interval '1 hour', "
            " now() AT TIME ZONE 'UTC' - interval '3 minutes'), "
            "('root.edi', 'enqueued', now() AT TIME ZONE 'UTC', NULL), "
            "('root.edi', 'failed', now() AT TIME ZONE 'UTC', NULL), "
            "('root.edi', 'failed', now() AT TIME ZONE 'UTC', NULL), "
            "('root.edi', 'cancelled', now() AT TIME ZONE 'UTC', NULL)")


def test_queue_job_functions_answer_no_row_without_queue_job(tenant):
    run(tenant)
    assert signals(tenant, "queue_jobs") == []
    assert signals(tenant, "queue_job_runner") == []


def test_queue_jobs_by_channel_and_state_with_the_oldest_due_pending_job(tenant):
    run(tenant)
    add_queue_job(tenant)
    rows = {(channel, state): (jobs, oldest) for channel, state, jobs, oldest in signals(tenant, "queue_jobs")}
    assert sorted(rows) == [("root", "pending"), ("root", "started"),
                            ("root.edi", "enqueued"), ("root.edi", "failed"), ("root.edi", "pending")]
    jobs, oldest = rows[("root", "pending")]
    assert jobs == 3 and 20 * 60 <= oldest < 21 * 60  # the job due in 10 minutes is counted, not aged
    jobs, oldest = rows[("root.edi", "pending")]
    assert jobs == 1 and 3 * 60 <= oldest < 4 * 60  # due since its eta, not since its creation
    assert rows[("root", "started")] == (1, None)
    assert rows[("root.edi", "enqueued")] == (1, None)
    assert rows[("root.edi", "failed")] == (2, None)


def test_queue_job_runner_sees_the_runners_lock_on_this_database_only(tenant):
    run(tenant)
    add_queue_job(tenant)
    assert signals(tenant, "queue_job_runner") == [(0,)]
    # queue_job's runner: a session-level lock, on its own connection to the database.
    with psycopg.connect(tenant.dsn(DB), autocommit=True) as runner:
        assert runner.execute("SELECT pg_try_advisory_lock(%s)", (QUEUE_JOB_LOCK_KEY,)).fetchone() == (True,)
        assert signals(tenant, "queue_job_runner") == [(1,)]
        row = runner.execute("SELECT classid::bigint, objid::bigint, objsubid FROM pg_locks "
                             "WHERE locktype = 'advisory' AND pid = pg_backend_pid()").fetchone()
        assert row == (534064080, 3147384238, 1)
    assert signals(tenant, "queue_job_runner") == [(0,)]
    # The same key held in another database, or another key here, is not this database's runner.
    with psycopg.connect(tenant.dsn("postgres"), autocommit=True) as elsewhere, \
            psycopg.connect(tenant.dsn(DB), autocommit=True) as other_key:
        elsewhere.execute("SELECT pg_advisory_lock(%s)", (QUEUE_JOB_LOCK_KEY,))
        other_key.execute("SELECT pg_advisory_lock(%s)", (QUEUE_JOB_LOCK_KEY + 1,))
        assert signals(tenant, "queue_job_runner") == [(0,)]
