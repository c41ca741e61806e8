"""Scheduled actions run as Odoo 18.0's cron workers run them (CONTRACT.md, "Scheduled actions"):
a due job runs once, never twice at once across runners, a NOTIFY wakes a
runner, and a database without the schema is skipped."""

import datetime
import logging
import threading
import time

import pytest

from odoo_standin import cron, db
from odoo_standin.cli import initialize

from standin_helpers import dbname_for, superuser_connection

T0 = datetime.datetime(2026, 1, 31, 10, 0, 0)


@pytest.mark.parametrize("nextcall, now, interval_type, number, expected", [
    (T0, T0, "minutes", 5, T0 + datetime.timedelta(minutes=5)),
    (T0, T0 + datetime.timedelta(minutes=12), "minutes", 5, T0 + datetime.timedelta(minutes=15)),
    (T0, T0 + datetime.timedelta(hours=3), "hours", 2, T0 + datetime.timedelta(hours=4)),
    (T0, T0, "days", 1, datetime.datetime(2026, 2, 1, 10)),
    (T0, T0, "weeks", 1, datetime.datetime(2026, 2, 7, 10)),
    (T0, T0, "months", 1, datetime.datetime(2026, 2, 28, 10)),  # day clamped, as relativedelta
    # step by step, as Odoo's loop: Jan 31 -> Feb 28 -> Mar 28 (not Mar 31)
    (T0, datetime.datetime(2026, 3, 1), "months", 1, datetime.datetime(2026, 3, 28, 10)),
    (T0, T0 - datetime.timedelta(days=1), "days", 1, T0),  # already in the future: kept
])
def test_next_call_advances_by_whole_intervals(nextcall, now, interval_type, number, expected):
    assert cron.next_call(nextcall, now, interval_type, number) == expected


@pytest.fixture
def tenant(make_config, request):
    config = make_config(["-d", dbname_for(request), "-i", "base"])
    initialize(config)
    return config


def add_job(config, name, due=True, interval_type="hours"):
    """A job due an hour ago (or in an hour), in whole seconds as Odoo's ORM writes datetimes."""
    rows = db.query(config, config["db_name"], """
        INSERT INTO ir_cron (cron_name, interval_number, interval_type, nextcall)
        VALUES (%s, 1, %s, date_trunc('second', now() at time zone 'UTC') + %s * interval '1 hour')
        RETURNING id""", (name, interval_type, -1 if due else 1))
    return rows[0][0]


def cron_rows(config):
    return db.query(config, config["db_name"],
                    "SELECT note, served_by FROM standin_row WHERE note LIKE 'cron:%%' ORDER BY id")


def job(config, job_id):
    return db.query(config, config["db_name"], """
        SELECT lastcall IS NOT NULL, nextcall > (now() at time zone 'UTC'), failure_count
          FROM ir_cron WHERE id = %s""", (job_id,))[0]


def test_a_due_job_runs_once(tenant, caplog):
    caplog.set_level(logging.INFO)
    due = add_job(tenant, "due job")
    add_job(tenant, "later job", due=False)
    runner = cron.CronRunner(tenant, 0, served_by="app1")
    runner.poll()
    runner.poll()
    assert cron_rows(tenant) == [("cron:due job", "app1")]
    assert job(tenant, due) == (True, True, 0)
    messages = [r.getMessage() for r in caplog.records
                if r.name == "odoo.addons.base.models.ir_cron"]
    assert messages[0] == "Job 'due job' (%d) starting" % due
    assert messages[1].startswith("Job 'due job' (%d) fully done (#loop 1; done 0; remaining 0;"
                                  % due)


def test_a_trigger_makes_a_job_due(tenant):
    later = add_job(tenant, "triggered", due=False)
    db.query(tenant, tenant["db_name"], """
        INSERT INTO ir_cron_trigger (cron_id, call_at)
        VALUES (%s, date_trunc('second', now() at time zone 'UTC'))""",
             (later,))
    cron.CronRunner(tenant, 0, served_by="app1").poll()
    assert cron_rows(tenant) == [("cron:triggered", "app1")]
    assert db.query(tenant, tenant["db_name"], "SELECT count(*) FROM ir_cron_trigger") == [(0,)]


class SlowRunner(cron.CronRunner):
    """A runner whose action takes a while, so that another tries the job meanwhile."""

    def run_action(self, dbname, cron_name):
        super().run_action(dbname, cron_name)
        time.sleep(1.0)


def test_two_runners_racing_run_a_job_once(tenant, caplog):
    caplog.set_level(logging.DEBUG, logger="odoo.addons.base.models.ir_cron")
    add_job(tenant, "raced")
    runners = [SlowRunner(tenant, n, served_by="app%d" % n) for n in (1, 2)]
    threads = [threading.Thread(target=r.poll) for r in runners]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert len(cron_rows(tenant)) == 1
    assert any("is being processed by another worker" in r.getMessage()
               or "has been processed by another worker" in r.getMessage()
               for r in caplog.records)


def test_notify_cron_trigger_wakes_a_runner(tenant, odoo_role):
    runner = cron.CronRunner(tenant, 0, served_by="app1", interval=60)
    runner.start()
    try:
        time.sleep(0.5)  # the runner is listening
        add_job(tenant, "woken")
        # As Odoo's _notifydb: on the postgres database, the payload is the database name.
        with superuser_connection(odoo_role) as conn:
            conn.execute("SELECT pg_notify('cron_trigger', %s)", (tenant["db_name"],))
        deadline = time.monotonic() + 10
        while not cron_rows(tenant) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert cron_rows(tenant) == [("cron:woken", "app1")]
    finally:
        runner.stop()
    assert not runner.thread.is_alive()


def test_a_database_without_the_schema_is_skipped(make_config, odoo_role, request, caplog):
    name = dbname_for(request)
    config = make_config(["-d", name])
    if not db.database_exists(config, name):
        db.create_database(config, name)
    cron.CronRunner(config, 0).poll()
    assert "Tried to poll an undefined table on database %s." % name in caplog.text


def test_postgresql_down_never_kills_a_runner(make_config, caplog):
    from services import free_port
    config = make_config(["-d", "nowhere"], db_port=free_port())
    runner = cron.CronRunner(config, 0, interval=0)
    runner.poll()
    runner.wait()
    assert "Exception in cron:" in caplog.text


def test_the_runners_poll_db_name_else_every_database_owned(make_config, tenant):
    assert cron.CronRunner(make_config(["-d", "a,b"]), 0).databases() == ["a", "b"]
    owned = cron.CronRunner(make_config(), 0).databases()
    assert tenant["db_name"] in owned and "postgres" not in owned
