"""Scheduled actions, run as Odoo 18.0's cron workers run them (CONTRACT.md, "Scheduled actions").

Each of ``max_cron_threads`` runners LISTENs on ``cron_trigger`` in the
``postgres`` database, sleeps up to SLEEP_INTERVAL (+ its number) seconds or
until a NOTIFY, then polls each database it serves: ``db_name``, else every
database the user owns. A due job is locked with ``FOR NO KEY UPDATE SKIP
LOCKED`` in the runner's own transaction, so that no two runners (on any
host) run it at once; its action runs while the lock is held, then
lastcall/nextcall are written and the transaction commits.

The stand-in's action (stand-in only): insert a row in standin_row with
note ``cron:<cron_name>`` and served_by = this host.
"""

import calendar
import datetime
import logging
import os
import select
import threading
import time

from . import db

_logger = logging.getLogger("odoo.addons.base.models.ir_cron")
_server_logger = logging.getLogger("odoo.service.server")

SLEEP_INTERVAL = 60  # seconds, odoo.service.server.SLEEP_INTERVAL
BASE_VERSION = db.BASE_VERSION

READY = """active IS TRUE
           AND (nextcall <= (now() at time zone 'UTC')
                OR id IN (SELECT cron_id FROM ir_cron_trigger
                           WHERE call_at <= (now() at time zone 'UTC')))"""


def _add_months(moment, months):
    month = moment.month - 1 + months
    year, month = moment.year + month // 12, month % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def add_interval(moment, interval_type, interval_number):
    """``moment`` plus one interval, as Odoo's _intervalTypes (relativedelta)."""
    if interval_type == "months":
        return _add_months(moment, interval_number)
    unit = {"minutes": "minutes", "hours": "hours", "days": "days"}.get(interval_type)
    if interval_type == "weeks":
        return moment + datetime.timedelta(days=7 * interval_number)
    if unit is None:
        raise ValueError("unknown interval_type %r" % interval_type)
    return moment + datetime.timedelta(**{unit: interval_number})


def next_call(nextcall, now, interval_type, interval_number):
    """Advance ``nextcall`` by whole intervals until it is after ``now`` (Odoo's loop)."""
    while nextcall <= now:
        nextcall = add_interval(nextcall, interval_type, interval_number)
    return nextcall


class _BadVersion(Exception):
    pass


def _is_serialization_failure(exc):
    code = getattr(exc, "pgcode", None) or getattr(exc, "sqlstate", None)
    return code in ("40001", "40P01")


class CronRunner:
    """One cron thread: ``number`` as Odoo's cron<number>."""

    def __init__(self, config, number=0, served_by="", interval=SLEEP_INTERVAL):
        self.config = config
        self.number = number
        self.served_by = served_by
        self.interval = interval
        self.stopping = threading.Event()
        self._wake_r, self._wake_w = os.pipe()
        self._listen = None
        self.thread = None

    # -- which databases ---------------------------------------------------------
    def databases(self):
        """db_name (comma list), else every database the user owns (Odoo's _db_list)."""
        if self.config["db_name"]:
            return [n.strip() for n in self.config["db_name"].split(",") if n.strip()]
        return db.list_databases(self.config)

    # -- one poll ------------------------------------------------------------------
    def process_jobs(self, dbname):
        """Run every due job of ``dbname`` that no other runner holds; never raises."""
        thread = threading.current_thread()
        thread.dbname = dbname
        conn = None
        try:
            conn = db.connect(self.config, dbname)
            conn.autocommit = False
            _set_repeatable_read(conn)
            with conn.cursor() as cur:
                self._check_version(cur)
                cur.execute("SELECT id FROM ir_cron WHERE %s ORDER BY failure_count, priority, id"
                            % READY)
                job_ids = [row[0] for row in cur.fetchall()]
                conn.commit()
                for job_id in job_ids:
                    self._process_one(conn, cur, dbname, job_id)
        except _BadVersion:
            _logger.warning("Skipping database %s as its base version is not %s.",
                            dbname, BASE_VERSION)
        except db.Error as exc:
            if db.table_missing(exc):
                _logger.warning("Tried to poll an undefined table on database %s.", dbname)
            else:
                _logger.warning("Exception in cron:", exc_info=True)
        except Exception:  # a cron thread never dies of one database
            _logger.warning("Exception in cron:", exc_info=True)
        finally:
            if conn is not None:
                try:
                    conn.close()
                except db.Error:
                    pass
            del thread.dbname

    @staticmethod
    def _check_version(cur):
        cur.execute("SELECT latest_version FROM ir_module_module WHERE name = 'base'")
        row = cur.fetchone()
        if not row or row[0] != BASE_VERSION:
            raise _BadVersion()

    def _process_one(self, conn, cur, dbname, job_id):
        try:
            cur.execute("""
                SELECT id, cron_name, interval_type, interval_number, nextcall,
                       failure_count, first_failure_date
                  FROM ir_cron WHERE id = %%s AND %s
                   FOR NO KEY UPDATE SKIP LOCKED""" % READY, (job_id,))
            job = cur.fetchone()
        except db.Error as exc:
            conn.rollback()
            if _is_serialization_failure(exc):
                _logger.debug("job %s has been processed by another worker, skip", job_id)
                return
            raise
        if not job:
            conn.rollback()
            _logger.debug("job %s is being processed by another worker, skip", job_id)
            return
        job_id, cron_name, interval_type, interval_number, nextcall = job[:5]
        failure_count, first_failure_date = job[5] or 0, job[6]
        cur.execute("SELECT date_trunc('second', now() at time zone 'UTC')")  # Odoo: microsecond=0
        now = cur.fetchone()[0]
        cur.execute("DELETE FROM ir_cron_trigger WHERE cron_id = %s AND call_at <= %s",
                    (job_id, now))
        _logger.info("Job %r (%s) starting", cron_name, job_id)
        start = time.monotonic()
        try:
            self.run_action(dbname, cron_name)
            status = "fully done"
            failure_count, first_failure_date = 0, None
        except Exception:
            _logger.exception("Job %r (%s) server action #%s failed", cron_name, job_id, job_id)
            status = "failed"
            failure_count, first_failure_date = failure_count + 1, first_failure_date or now
        _logger.info("Job %r (%s) %s (#loop %s; done %s; remaining %s; duration %.2fs)",
                     cron_name, job_id, status, 1, 0, 0, time.monotonic() - start)
        cur.execute("""
            UPDATE ir_cron
               SET failure_count = %s, first_failure_date = %s, lastcall = %s, nextcall = %s
             WHERE id = %s""", (failure_count, first_failure_date, now,
                                next_call(nextcall, now, interval_type, interval_number), job_id))
        conn.commit()

    def run_action(self, dbname, cron_name):
        """The stand-in's server action: one row in standin_row, on its own connection."""
        db.insert_row(self.config, dbname, "cron:%s" % cron_name, self.served_by)

    def poll(self):
        """Process every database once."""
        try:
            names = self.databases()
        except db.Error as exc:
            _logger.warning("Cannot list the databases to poll: %s", str(exc).strip())
            return
        for dbname in names:
            if self.stopping.is_set():
                return
            self.process_jobs(dbname)

    # -- the thread ----------------------------------------------------------------
    def _listen_connection(self):
        """The LISTEN cron_trigger connection, opened again after a failure."""
        if self._listen is not None and not self._listen.closed:
            return self._listen
        conn = db.connect(self.config, "postgres")
        with conn.cursor() as cur:
            cur.execute("SELECT pg_is_in_recovery()")
            if cur.fetchone()[0]:
                _server_logger.warning("PG cluster in recovery mode, cron trigger not activated")
            else:
                cur.execute("LISTEN cron_trigger")
        self._listen = conn
        return conn

    def wait(self):
        """Sleep up to interval + number seconds, or until NOTIFY cron_trigger or stop."""
        readers = [self._wake_r]
        try:
            readers.append(self._listen_connection())
        except db.Error as exc:
            _server_logger.warning("cron%d: cannot LISTEN cron_trigger: %s", self.number,
                                   str(exc).strip())
            self._close_listen()
        try:
            select.select(readers, [], [], self.interval + self.number)
            if len(readers) > 1:
                db.drain_notifications(readers[1])
        except (OSError, ValueError, db.Error):
            self._close_listen()
        time.sleep(self.number / 100)  # Odoo's thundering-herd spread

    def _close_listen(self):
        if self._listen is not None:
            try:
                self._listen.close()
            except db.Error:
                pass
        self._listen = None

    def run(self):
        _server_logger.info("cron%d started", self.number)
        while not self.stopping.is_set():
            self.wait()
            if self.stopping.is_set():
                break
            _server_logger.debug("cron%d polling for jobs", self.number)
            self.poll()
        self._close_listen()

    def start(self):
        self.thread = threading.Thread(target=self.run, name="odoo.service.cron.cron%d"
                                       % self.number, daemon=True)
        self.thread.start()

    def stop(self, timeout=10.0):
        self.stopping.set()
        os.write(self._wake_w, b"x")
        if self.thread is not None:
            self.thread.join(timeout)
        os.close(self._wake_r)
        os.close(self._wake_w)


def _set_repeatable_read(conn):
    """Odoo's cursors run in REPEATABLE READ."""
    try:
        conn.set_session(isolation_level="REPEATABLE READ")  # psycopg2
    except AttributeError:  # pragma: no cover - psycopg 3
        import psycopg
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
