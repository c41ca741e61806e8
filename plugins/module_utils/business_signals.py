# -*- coding: utf-8 -*-
# Copyright: (c) 2026, SysGenPro hosting engineering
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The SQL of a tenant database's business signals (module odoo_business_signals).

Functions in one schema, owned by the database's owner and run with its rights
(SECURITY DEFINER, fixed search_path, read-only transaction), so that the
monitoring role gets EXECUTE on five functions instead of SELECT on Odoo's
tables. Each answers nothing on a replica, so that only the leader's exporter
reports. The schema's comment holds the checksum of the SQL that made it: a
converge compares it and rebuilds the schema (in one transaction) only when
the wanted SQL differs.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import re

SCHEMA = "odoo_hosting_monitor"
CHECK_NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
ROLE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")

STATE_QUERY = ("SELECT obj_description(oid, 'pg_namespace') FROM pg_namespace WHERE nspname = %s")

# OCA queue_job: the states a job waits or runs in (a done or cancelled job
# is history), and the key of the advisory lock its job runner holds, one per
# database, while it leads (jobrunner/runner.py, PG_ADVISORY_LOCK_ID).
# pg_locks shows a bigint key as classid (high 32 bits), objid (low 32 bits)
# and objsubid 1.
QUEUE_JOB_STATES = ("pending", "enqueued", "started", "failed")
QUEUE_JOB_LOCK_KEY = 2293787760715711918


def advisory_lock_ids(key):
    """(classid, objid) under which pg_locks shows the advisory lock of a bigint ``key``."""
    return (key >> 32) & 0xFFFFFFFF, key & 0xFFFFFFFF


def literal(text):
    """A dollar-quoted SQL literal that ``text`` cannot close."""
    tag = "q"
    while "$%s$" % tag in text:
        tag += "q"
    return "$%s$%s$%s$" % (tag, text, tag)


def ident(name):
    return '"%s"' % name.replace('"', '""')


def problems(monitor_role, overdue_minutes, checks):
    """Messages for input the SQL cannot be made from (empty when sound)."""
    found = []
    if not isinstance(monitor_role, str) or not ROLE_NAME.match(monitor_role):
        found.append("monitor_role %r is not a plain role name" % (monitor_role,))
    if not isinstance(overdue_minutes, int) or isinstance(overdue_minutes, bool) or overdue_minutes < 1:
        found.append("cron_overdue_minutes must be a whole number of minutes, 1 or more")
    names = []
    for index, check in enumerate(checks):
        at = "checks[%d]" % index
        if not isinstance(check, dict):
            found.append("%s must be a mapping of name, query, min and/or max" % at)
            continue
        name = check.get("name")
        if not isinstance(name, str) or not CHECK_NAME.match(name):
            found.append("%s.name %r must match %s" % (at, name, CHECK_NAME.pattern))
        names.append(name)
        if not isinstance(check.get("query"), str) or not check["query"].strip():
            found.append("%s.query is required: SQL returning one number" % at)
        bounds = [check.get(key) for key in ("min", "max") if check.get(key) is not None]
        if not bounds:
            found.append("%s needs min, max or both" % at)
        for bound in bounds:
            if isinstance(bound, bool) or not isinstance(bound, (int, float)):
                found.append("%s min and max must be numbers" % at)
    if len(set(names)) != len(names):
        found.append("checks: each name must appear once")
    return found


def _function(name, returns, body, owner, monitor_role):
    return [
        "CREATE FUNCTION %s.%s() RETURNS %s LANGUAGE plpgsql SECURITY DEFINER\n"
        "  SET search_path = public, pg_temp AS %s" % (SCHEMA, name, returns, literal(body)),
        "ALTER FUNCTION %s.%s() OWNER TO %s" % (SCHEMA, name, ident(owner)),
        "REVOKE ALL ON FUNCTION %s.%s() FROM PUBLIC" % (SCHEMA, name),
        "GRANT EXECUTE ON FUNCTION %s.%s() TO %s" % (SCHEMA, name, ident(monitor_role)),
    ]


# Every function first turns the transaction read-only (allowed at any point),
# so that a check's query cannot write, and answers nothing on a replica.
_PROLOGUE = """
  IF pg_is_in_recovery() THEN
    RETURN;
  END IF;
  PERFORM set_config('transaction_read_only', 'on', true);
"""


# Jobs by channel and state; for pending ones, the age of the oldest that is
# due (its eta, when later than its creation, passed): how long the channel
# has kept work waiting. No row without queue_job (no table). Columns are
# qualified: the function's output names are variables in its body.
_QUEUE_JOBS = (
    "\nBEGIN" + _PROLOGUE +
    "  IF to_regclass('public.queue_job') IS NULL THEN\n"
    "    RETURN;\n"
    "  END IF;\n"
    "  RETURN QUERY SELECT j.channel::text, j.state::text, count(*),\n"
    "      CASE WHEN j.state = 'pending' THEN coalesce(max(greatest(0, extract(epoch FROM\n"
    "        (now() AT TIME ZONE 'UTC') - greatest(j.date_created, j.eta)))::double precision)\n"
    "        FILTER (WHERE j.eta IS NULL OR j.eta <= (now() AT TIME ZONE 'UTC')), 0) END\n"
    "    FROM queue_job j WHERE j.state IN (%s)\n"
    "    GROUP BY j.channel, j.state ORDER BY 1, 2;\n"
    "END\n" % ", ".join("'%s'" % state for state in QUEUE_JOB_STATES))

# 1 when a job runner holds queue_job's lock on this database, else 0; no
# row without queue_job, so that a database without it raises no alert.
_QUEUE_JOB_RUNNER = (
    "\nBEGIN" + _PROLOGUE +
    "  IF to_regclass('public.queue_job') IS NULL THEN\n"
    "    RETURN;\n"
    "  END IF;\n"
    "  RETURN QUERY SELECT (count(*) > 0)::int FROM pg_locks l\n"
    "    WHERE l.locktype = 'advisory' AND l.granted\n"
    "      AND l.database = (SELECT d.oid FROM pg_database d WHERE d.datname = current_database())\n"
    "      AND l.classid = '%d'::oid AND l.objid = '%d'::oid AND l.objsubid = 1;\n"
    "END\n" % advisory_lock_ids(QUEUE_JOB_LOCK_KEY))


def _statements(owner, monitor_role, overdue_minutes, checks):
    """The statements that make the schema, in order."""
    cron = (
        "\nBEGIN" + _PROLOGUE +
        "  IF to_regclass('public.ir_cron') IS NULL THEN\n"
        "    RETURN;\n"
        "  END IF;\n"
        "  RETURN QUERY SELECT count(*) FROM ir_cron\n"
        "    WHERE active AND nextcall < (now() AT TIME ZONE 'UTC') - make_interval(mins => %d);\n"
        "END\n" % overdue_minutes)
    mail = (
        "\nBEGIN" + _PROLOGUE +
        "  IF to_regclass('public.mail_mail') IS NULL THEN\n"
        "    RETURN QUERY SELECT 0::bigint;\n"
        "  ELSE\n"
        "    RETURN QUERY SELECT count(*) FROM mail_mail\n"
        "      WHERE state = 'exception' AND write_date > (now() AT TIME ZONE 'UTC') - interval '1 day';\n"
        "  END IF;\n"
        "END\n")
    parts = []
    for check in checks:
        low = "NULL" if check.get("min") is None else repr(float(check["min"]))
        high = "NULL" if check.get("max") is None else repr(float(check["max"]))
        parts.append(
            "  BEGIN\n"
            "    EXECUTE %s INTO v;\n"
            "    RETURN QUERY SELECT %s::text, v, (v IS NULL OR v < coalesce(%s, v) OR v > coalesce(%s, v))::int;\n"
            "  EXCEPTION WHEN OTHERS THEN\n"
            "    RETURN QUERY SELECT %s::text, 'NaN'::double precision, 1;\n"
            "  END;\n" % (literal(check["query"].strip().rstrip(";")), literal(check["name"]), low, high,
                          literal(check["name"])))
    business = "\nDECLARE\n  v double precision;\nBEGIN" + _PROLOGUE + "".join(parts) + "END\n"
    made = ["DROP SCHEMA IF EXISTS %s CASCADE" % SCHEMA,
            "CREATE SCHEMA %s" % SCHEMA,
            "REVOKE ALL ON SCHEMA %s FROM PUBLIC" % SCHEMA,
            "GRANT USAGE ON SCHEMA %s TO %s, %s" % (SCHEMA, ident(owner), ident(monitor_role))]
    made += _function("cron_overdue", "TABLE(overdue_jobs bigint)", cron, owner, monitor_role)
    made += _function("mail_exceptions", "TABLE(exception_messages bigint)", mail, owner, monitor_role)
    made += _function("business_checks", 'TABLE("check" text, value double precision, failed integer)', business,
                      owner, monitor_role)
    made += _function("queue_jobs",
                      "TABLE(channel text, state text, jobs bigint, oldest_pending_seconds double precision)",
                      _QUEUE_JOBS, owner, monitor_role)
    made += _function("queue_job_runner", "TABLE(master integer)", _QUEUE_JOB_RUNNER, owner, monitor_role)
    return made


def wanted(owner, monitor_role, overdue_minutes, checks):
    """(statements, checksum) of the schema these settings make; the last statement records the checksum."""
    made = _statements(owner, monitor_role, overdue_minutes, checks)
    digest = "sha256:" + hashlib.sha256("\n;\n".join(made).encode("utf-8")).hexdigest()
    return made + ["COMMENT ON SCHEMA %s IS %s" % (SCHEMA, literal(digest))], digest
