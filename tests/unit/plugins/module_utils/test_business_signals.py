"""The SQL of odoo_business_signals (no server needed; tests/integration runs it on PostgreSQL)."""

import re

import pytest

from ansible_collections.sysgenpro.odoo_hosting.plugins.module_utils import business_signals as bs


CHECKS = [{"name": "orders_last_hour", "query": "SELECT 1", "min": 1}]


def made(checks=None):
    return bs.wanted("odoo", "prometheus", 30, list(CHECKS if checks is None else checks))


def function(statements, name):
    """The CREATE FUNCTION statement of one function."""
    found = [s for s in statements if s.startswith("CREATE FUNCTION %s.%s()" % (bs.SCHEMA, name))]
    assert len(found) == 1, name
    return found[0]


@pytest.mark.parametrize("key,ids", [
    # queue_job 18.0's runner key (jobrunner/runner.py, PG_ADVISORY_LOCK_ID): 0x1fd52bd0 bb9945ae.
    (2293787760715711918, (0x1FD52BD0, 0xBB9945AE)),
    (2293787760715711918, (534064080, 3147384238)),
    (1, (0, 1)),
    (2 ** 32, (1, 0)),
    (2 ** 63 - 1, (0x7FFFFFFF, 0xFFFFFFFF)),
])
def test_advisory_lock_ids_split_a_bigint_key_as_pg_locks_shows_it(key, ids):
    assert bs.advisory_lock_ids(key) == ids
    assert (ids[0] << 32) | ids[1] == key


def test_the_runner_function_looks_for_queue_jobs_lock():
    body = function(made()[0], "queue_job_runner")
    assert bs.QUEUE_JOB_LOCK_KEY == 2293787760715711918
    assert "l.classid = '534064080'::oid AND l.objid = '3147384238'::oid AND l.objsubid = 1" in body
    assert "l.locktype = 'advisory' AND l.granted" in body
    assert "RETURNS TABLE(master integer)" in body


@pytest.mark.parametrize("name", ["cron_overdue", "mail_exceptions", "business_checks", "queue_jobs",
                                  "queue_job_runner"])
def test_every_function_is_read_only_silent_on_a_replica_and_granted_to_the_monitor_only(name):
    statements = made()[0]
    body = function(statements, name)
    assert "SECURITY DEFINER" in body and "SET search_path = public, pg_temp" in body
    assert body.index("pg_is_in_recovery()") < body.index("transaction_read_only") < body.index("RETURN QUERY")
    assert "ALTER FUNCTION %s.%s() OWNER TO \"odoo\"" % (bs.SCHEMA, name) in statements
    assert "REVOKE ALL ON FUNCTION %s.%s() FROM PUBLIC" % (bs.SCHEMA, name) in statements
    assert "GRANT EXECUTE ON FUNCTION %s.%s() TO \"prometheus\"" % (bs.SCHEMA, name) in statements


@pytest.mark.parametrize("name", ["queue_jobs", "queue_job_runner"])
def test_queue_job_functions_answer_no_row_without_the_table(name):
    body = function(made()[0], name)
    check = body.index("IF to_regclass('public.queue_job') IS NULL THEN\n    RETURN;\n  END IF;")
    assert check < body.index("RETURN QUERY")


def test_queue_jobs_counts_the_waiting_and_running_states_by_channel():
    body = function(made()[0], "queue_jobs")
    assert ("RETURNS TABLE(channel text, state text, jobs bigint, oldest_pending_seconds double precision)"
            in body)
    assert "WHERE j.state IN ('pending', 'enqueued', 'started', 'failed')" in body
    assert "GROUP BY j.channel, j.state" in body
    # Every column is qualified: channel and state are also the function's output variables.
    assert not re.search(r"(?<![.\w'])(channel|state|eta|date_created)\b", body.split("RETURN QUERY")[1])


def test_the_checksum_covers_the_queue_job_sql(monkeypatch):
    before = made()[1]
    monkeypatch.setattr(bs, "_QUEUE_JOB_RUNNER", bs._QUEUE_JOB_RUNNER.replace("objsubid = 1", "objsubid = 2"))
    after = made()[1]
    assert before != after
    statements = made()[0]
    assert statements[-1] == "COMMENT ON SCHEMA %s IS $q$%s$q$" % (bs.SCHEMA, after)
