"""OCA's queue_job 18.0, reduced to what the collection relies on (CONTRACT.md, "queue_job").

Four parts, each following the addon (OCA/queue, branch 18.0, queue_job
18.0.4.1.2):

- settings: the ``[queue_job]`` section of the configuration file and the
  ``ODOO_QUEUE_JOB_*`` environment variables, a non-empty variable winning
  (jobrunner/runner.py), and whether the runner is enabled
  (jobrunner/__init__.py, ``_is_runner_enabled``);
- install: the tables the runner reads and the ``queue_job_notify`` trigger
  (models/queue_job.py, post_init_hook.py);
- the runner: per database, the master lock, LISTEN, then jobs dispatched
  within the channels' capacities with an HTTP GET on /queue_job/runjob
  (jobrunner/runner.py, jobrunner/channels.py);
- running one job for that route (controllers/main.py, job.py).

The stand-in has no job code: a job's ``name`` says what it does
(``standin.sleep:<seconds>``, ``standin.fail``, anything else: done at once).
"""

import base64
import datetime
import fnmatch
import logging
import os
import select
import threading
import traceback
import urllib.error
import urllib.request

from . import db

_logger = logging.getLogger("odoo.addons.queue_job.jobrunner.runner")
_thread_logger = logging.getLogger("odoo.addons.queue_job.jobrunner")
_channel_logger = logging.getLogger("odoo.addons.queue_job.jobrunner.channels")
_controller_logger = logging.getLogger("odoo.addons.queue_job.controllers.main")
_hook_logger = logging.getLogger("odoo.addons.queue_job.post_init_hook")
_load_logger = logging.getLogger("odoo.addons.queue_job.post_load")
_server_logger = logging.getLogger("odoo.service.server")

MODULE = "queue_job"
VERSION = "18.0.4.1.2"
# The addon's constants (jobrunner/__init__.py and jobrunner/runner.py).
START_DELAY = 5
SELECT_TIMEOUT = 60
ERROR_RECOVERY_DELAY = 5
PG_ADVISORY_LOCK_ID = 2293787760715711918
DEAD_JOB_DELAY = 10  # seconds an enqueued/started job waits before it can be found dead

PENDING, ENQUEUED, STARTED, DONE, FAILED = "pending", "enqueued", "started", "done", "failed"


class SettingsError(ValueError):
    """A [queue_job] value the runner cannot use."""


# -- settings ---------------------------------------------------------------------

def _setting(section, environ, key):
    """ODOO_QUEUE_JOB_<KEY> when set and not empty, else ``key`` of [queue_job], else None."""
    return environ.get("ODOO_QUEUE_JOB_" + key.upper()) or section.get(key) or None


class Settings:
    """What the runner reads from the [queue_job] section and the environment."""

    def __init__(self, config, environ):
        section = getattr(config, "queue_job", None) or {}
        self.channels = _setting(section, environ, "channels")
        text = _setting(section, environ, "max_capacity")
        try:
            self.max_capacity = int(text) if text else 1
        except ValueError:
            raise SettingsError("Cannot read queue_job option max_capacity: %r is not an "
                                "integer" % text) from None
        self.db_max_capacity = parse_db_max_capacity(
            _setting(section, environ, "db_max_capacity"))
        self.scheme = _setting(section, environ, "scheme") or "http"
        self.host = (_setting(section, environ, "host") or config["http_interface"]
                     or "localhost")
        self.port = _setting(section, environ, "port") or config["http_port"] or 8069
        self.http_auth_user = _setting(section, environ, "http_auth_user")
        self.http_auth_password = _setting(section, environ, "http_auth_password")
        self.jobrunner_db = {key: _setting(section, environ, "jobrunner_db_" + key)
                             for key in ("host", "port", "user", "password")}

    def runner_enabled(self):
        """jobrunner/__init__.py's _is_runner_enabled."""
        if self.channels and self.channels.strip().startswith("root:0"):
            return False
        if self.channels:
            return True
        return self.max_capacity != 0

    def connect_kwargs(self, config, dbname):
        """The server's connection settings, each jobrunner_db_* set replacing its own."""
        kwargs = config.db_connect_kwargs(dbname)
        for key, value in self.jobrunner_db.items():
            if value:
                kwargs[key] = value
        return kwargs

    def runjob_url(self, dbname, uuid):
        return "%s://%s:%s/queue_job/runjob?db=%s&job_uuid=%s" % (
            self.scheme, self.host, self.port, dbname, uuid)


def parse_db_max_capacity(text):
    """``pattern:capacity`` items (or one integer for every database), first match wins."""
    rules = []
    for item in (text or "").replace("\n", ",").split(","):
        item = item.strip()
        if not item:
            continue
        pattern, colon, capacity = item.rpartition(":")
        try:
            rules.append((pattern.strip() if colon else "*", int(capacity)))
        except ValueError:
            raise SettingsError("Invalid db max capacity %s: %s" % (text, capacity)) from None
    return rules


def db_max_capacity_for(dbname, rules, default):
    for pattern, capacity in rules:
        if fnmatch.fnmatch(dbname, pattern):
            return capacity
    return default


# -- channels ---------------------------------------------------------------------

def full_channel_name(name):
    """``root`` for no channel; a name not under root is put under it (``edi`` -> ``root.edi``)."""
    if not name or name == "root":
        return "root"
    return name if name.startswith("root.") else "root." + name


class Channels:
    """Channel capacities: {full name: capacity, None or 0 = no limit of its own} and paused ones.

    The root channel is 1 unless configured. A job counts against its own
    channel and every configured channel above it; a job in a channel that
    is not configured counts against its closest configured parent, as the
    addon's ``get_channel_by_name(..., parent_fallback=True)``.
    """

    def __init__(self, capacities=None, paused=()):
        self.capacities = {"root": 1}
        self.capacities.update(capacities or {})
        self.paused = set(paused)

    @classmethod
    def parse(cls, text):
        """The ``channels`` string: ``name[:capacity[:key[=value]]...]``, comma or line separated."""
        capacities, paused = {}, set()
        for entry in text.replace("\n", ",").split(","):
            items = [item.strip() for item in entry.split(":")]
            if not items[0]:
                if len(items) == 1:
                    continue  # empty entry: trailing comma, commented line
                raise SettingsError("Invalid channel config %s: missing channel name" % text)
            name = full_channel_name(items.pop(0))
            capacity = 1 if not items else None
            if items:
                try:
                    capacity = int(items[0])
                    items.pop(0)
                except ValueError:
                    if name == "root":
                        raise SettingsError("Invalid channel config %s: invalid capacity %s"
                                            % (text, items[0])) from None
            options = dict((item.split("=", 1) + [True])[:2] for item in items if item)
            if options.get("sequential") and capacity != 1:
                raise SettingsError("A sequential channel must have a capacity of 1")
            capacities[name] = capacity
            if options.get("paused"):
                paused.add(name)
        return cls(capacities, paused)

    def describe(self, name):
        """The addon's Channel.__str__ for a channel with nothing queued yet."""
        capacity = self.capacities.get(name)
        return "%s(C:%s,Q:0,R:0,F:0%s)" % (name, "∞" if capacity is None else capacity,
                                           ",paused" if name in self.paused else "")

    def chain(self, channel):
        """The configured channels a job of ``channel`` counts against, root first."""
        parts = full_channel_name(channel).split(".")
        names = [".".join(parts[:i]) for i in range(1, len(parts) + 1)]
        return [name for name in names if name in self.capacities]

    def fits(self, channel, running):
        """True when every channel of the chain has room (``running``: {name: count})."""
        for name in self.chain(channel):
            if name in self.paused:
                return False
            capacity = self.capacities[name]
            if capacity and running.get(name, 0) >= capacity:
                return False
        return True

    def count(self, channel, running):
        for name in self.chain(channel):
            running[name] = running.get(name, 0) + 1


def select_jobs(channels, running_channels, pending, limit):
    """Which pending jobs to dispatch now: in ``pending`` order, while capacities allow.

    ``running_channels``: the channel of each job enqueued or started;
    ``pending``: (channel, ...job) tuples in priority order; ``limit``: the
    most jobs running at once in all (max_capacity).
    """
    running = {}
    for channel in running_channels:
        channels.count(channel, running)
    total = len(running_channels)
    chosen = []
    for job in pending:
        if total >= limit:
            break
        if channels.fits(job[0], running):
            channels.count(job[0], running)
            total += 1
            chosen.append(job)
    return chosen


# -- install ----------------------------------------------------------------------

# The columns of queue.job (models/queue_job.py) the runner, the route and
# the collection read, with the ORM's column types; Odoo also has user_id,
# company_id, model_name, method_name, records, args, kwargs, func_string,
# dependencies, graph_uuid, identity_key, job_function_id, ...
SCHEMA = (
    """CREATE TABLE IF NOT EXISTS queue_job (
           id serial PRIMARY KEY,
           uuid varchar NOT NULL,
           name varchar,
           channel varchar,
           channel_method_name varchar,
           state varchar NOT NULL DEFAULT 'pending',
           priority integer DEFAULT 10,
           date_created timestamp without time zone
               DEFAULT date_trunc('second', now() at time zone 'UTC'),
           date_enqueued timestamp without time zone,
           date_started timestamp without time zone,
           date_done timestamp without time zone,
           date_cancelled timestamp without time zone,
           eta timestamp without time zone,
           exec_time double precision,
           retry integer DEFAULT 0,
           max_retries integer DEFAULT 5,
           worker_pid integer,
           exc_name varchar,
           exc_message varchar,
           exc_info text,
           result text)""",
    "CREATE INDEX IF NOT EXISTS queue_job__uuid_index ON queue_job (uuid)",
    "CREATE INDEX IF NOT EXISTS queue_job__state_index ON queue_job (state)",
    "CREATE INDEX IF NOT EXISTS queue_job__channel_index ON queue_job (channel)",
    # models/queue_job_lock.py: a row locked while its job runs.
    """CREATE TABLE IF NOT EXISTS queue_job_lock (
           id serial PRIMARY KEY,
           queue_job_id integer NOT NULL REFERENCES queue_job (id) ON DELETE CASCADE)""",
    # models/queue_job_channel.py: per-database channels (used when no
    # `channels` is configured), with the root channel of data/queue_data.xml.
    """CREATE TABLE IF NOT EXISTS queue_job_channel (
           id serial PRIMARY KEY,
           name varchar NOT NULL,
           complete_name varchar UNIQUE,
           parent_id integer REFERENCES queue_job_channel (id) ON DELETE RESTRICT,
           removal_interval integer,
           capacity integer,
           sequential boolean,
           throttle integer,
           paused boolean,
           capacity_default integer,
           sequential_default boolean)""",
    """INSERT INTO queue_job_channel (name, complete_name, removal_interval)
       VALUES ('root', 'root', 30) ON CONFLICT (complete_name) DO NOTHING""",
)

# post_init_hook.py's trigger, in our words: every change of a row notifies
# channel queue_job with the job's uuid (a deleted job only when not done).
TRIGGER = (
    """CREATE OR REPLACE FUNCTION queue_job_notify() RETURNS trigger AS $body$
       BEGIN
           IF TG_OP = 'DELETE' THEN
               IF OLD.state <> 'done' THEN
                   PERFORM pg_notify('queue_job', OLD.uuid);
               END IF;
           ELSE
               PERFORM pg_notify('queue_job', NEW.uuid);
           END IF;
           RETURN NULL;
       END;
       $body$ LANGUAGE plpgsql""",
    "DROP TRIGGER IF EXISTS queue_job_notify ON queue_job",
    """CREATE TRIGGER queue_job_notify AFTER INSERT OR UPDATE OR DELETE ON queue_job
       FOR EACH ROW EXECUTE PROCEDURE queue_job_notify()""",
)


def install_schema(cur, new_install):
    """Create queue_job's tables; the trigger comes with a new install (post_init_hook)."""
    for statement in SCHEMA:
        cur.execute(statement)
    if new_install:
        _hook_logger.info("Create queue_job_notify trigger")
        for statement in TRIGGER:
            cur.execute(statement)


def post_load():
    """What the addon logs when loaded server-wide (post_load.py)."""
    _load_logger.info("Apply Request._get_session_and_dbname monkey patch to capture db"
                      " from request with multiple databases")


# -- the runner -------------------------------------------------------------------

class MasterElectionLost(Exception):
    pass


def _close(conn):
    try:
        conn.close()
    except Exception:  # pylint: disable=broad-except  # already closed is fine
        pass


class Database:
    """One database the runner is master of: a LISTEN connection holding the lock, and one for work.

    The addon runs its queries on the listening connection; the stand-in
    keeps that one quiet, so that psycopg 3 never swallows a notification
    during another query.
    """

    def __init__(self, runner, dbname):
        self.dbname = dbname
        self.listen = None
        self.work = None
        kwargs = runner.settings.connect_kwargs(runner.config, dbname)
        try:
            self.listen = db.driver.connect(connect_timeout=5, **kwargs)
            self.listen.autocommit = True
            self.has_queue_job = self._has_queue_job()
            if self.has_queue_job:
                self._acquire_master_lock()
                with self.listen.cursor() as cur:
                    cur.execute("LISTEN queue_job")
                self.work = db.driver.connect(connect_timeout=5, **kwargs)
                self.work.autocommit = True
        except BaseException:
            self.close()
            raise

    def close(self):
        for conn in (self.work, self.listen):
            if conn is not None:
                _close(conn)
        self.work = self.listen = None

    def _one(self, statement, params=(), conn=None):
        with (conn or self.work).cursor() as cur:
            cur.execute(statement, params)
            return cur.fetchone()

    def _has_queue_job(self):
        conn = self.listen
        if not self._one("SELECT 1 FROM pg_tables WHERE tablename = %s", ("ir_module_module",),
                         conn):
            _logger.debug("%s doesn't seem to be an odoo db", self.dbname)
            return False
        if not self._one("SELECT 1 FROM ir_module_module WHERE name = %s AND state = %s",
                         (MODULE, "installed"), conn):
            _logger.debug("queue_job is not installed for db %s", self.dbname)
            return False
        count = self._one("""SELECT count(*) FROM information_schema.triggers
                              WHERE event_object_table = %s AND trigger_name = %s""",
                          ("queue_job", "queue_job_notify"), conn)[0]
        if count != 3:  # INSERT, UPDATE, DELETE
            _logger.error("queue_job_notify trigger is missing in db %s", self.dbname)
            return False
        return True

    def _acquire_master_lock(self):
        if not self._one("SELECT pg_try_advisory_lock(%s)", (PG_ADVISORY_LOCK_ID,),
                         self.listen)[0]:
            raise MasterElectionLost("could not acquire master runner lock on %s" % self.dbname)

    def load_channels(self, runner):
        """Per-database channels (queue_job_channel), the root capped by max/db_max_capacity."""
        db_max = max(0, db_max_capacity_for(self.dbname, runner.settings.db_max_capacity,
                                            runner.max_capacity))
        with self.work.cursor() as cur:
            cur.execute("""SELECT complete_name, COALESCE(capacity, 0), COALESCE(paused, false)
                             FROM queue_job_channel""")
            rows = cur.fetchall()
        capacities = {full_channel_name(name): capacity or None for name, capacity, _ in rows}
        paused = {full_channel_name(name) for name, _, is_paused in rows if is_paused}
        root = capacities.get("root")
        if not db_max:
            paused.add("root")
        capacities["root"] = min(root, db_max) if root else db_max
        return Channels(capacities, paused)

    def running_channels(self):
        with self.work.cursor() as cur:
            cur.execute("SELECT channel FROM queue_job WHERE state IN (%s, %s)",
                        (ENQUEUED, STARTED))
            return [row[0] for row in cur.fetchall()]

    def pending_jobs(self):
        """(channel, priority, date_created, id, database, uuid) of the jobs due, in run order."""
        with self.work.cursor() as cur:
            cur.execute("""
                SELECT channel, COALESCE(priority, 10), date_created, id, uuid
                  FROM queue_job
                 WHERE state = %s AND (eta IS NULL OR eta <= now() at time zone 'UTC')
                 ORDER BY 2, 3, 4
                 LIMIT 10000""", (PENDING,))
            return [row[:4] + (self.dbname, row[4]) for row in cur.fetchall()]

    def seconds_to_next_eta(self):
        row = self._one("""
            SELECT EXTRACT(EPOCH FROM min(eta) - now() at time zone 'UTC')
              FROM queue_job WHERE state = %s AND eta > now() at time zone 'UTC'""", (PENDING,))
        return float(row[0]) if row and row[0] is not None else None

    def set_job_enqueued(self, uuid):
        with self.work.cursor() as cur:
            cur.execute("""UPDATE queue_job
                              SET state = %s,
                                  date_enqueued = date_trunc('second', now() at time zone 'UTC')
                            WHERE uuid = %s""", (ENQUEUED, uuid))

    def requeue_dead_jobs(self):
        """Jobs enqueued or started for a while whose lock no worker holds: pending again.

        A started job counts one more try; past max_retries (0: no limit) it
        fails as JobFoundDead instead.
        """
        with self.work.cursor() as cur:
            cur.execute("""
                WITH dead AS (
                    SELECT id, state = %(started)s AS was_started,
                           COALESCE(retry, 0) + (state = %(started)s)::int AS tries
                      FROM queue_job
                     WHERE state IN (%(enqueued)s, %(started)s)
                       AND date_enqueued < (now() at time zone 'UTC')
                                           - %(delay)s * interval '1 second'
                       AND (id IN (SELECT queue_job_id FROM queue_job_lock
                                    WHERE queue_job_lock.queue_job_id = queue_job.id
                                      FOR NO KEY UPDATE SKIP LOCKED)
                            OR NOT EXISTS (SELECT 1 FROM queue_job_lock
                                            WHERE queue_job_lock.queue_job_id = queue_job.id))
                )
                UPDATE queue_job
                   SET retry = dead.tries,
                       state = CASE WHEN COALESCE(max_retries, 0) <> 0
                                         AND dead.tries > max_retries
                                    THEN %(failed)s ELSE %(pending)s END,
                       exc_name = CASE WHEN COALESCE(max_retries, 0) <> 0
                                            AND dead.tries > max_retries
                                       THEN 'JobFoundDead' ELSE exc_name END,
                       exc_info = CASE WHEN COALESCE(max_retries, 0) <> 0
                                            AND dead.tries > max_retries
                                       THEN 'Job found dead after too many retries'
                                       ELSE exc_info END,
                       date_enqueued = NULL, date_started = NULL, worker_pid = NULL
                  FROM dead
                 WHERE queue_job.id = dead.id
             RETURNING queue_job.uuid""",
                        {"started": STARTED, "enqueued": ENQUEUED, "failed": FAILED,
                         "pending": PENDING, "delay": DEAD_JOB_DELAY})
            for (uuid,) in cur.fetchall():
                _logger.warning("Re-queued dead job with uuid: %s", uuid)


def _http_get(url, user, password, timeout=1.0):
    """GET ``url`` in a thread, answer ignored; a timeout is normal, other errors are logged."""
    def get():
        request = urllib.request.Request(url)
        if user:
            token = base64.b64encode(("%s:%s" % (user, password or "")).encode()).decode()
            request.add_header("Authorization", "Basic " + token)
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                response.read()
        except TimeoutError:
            pass
        except urllib.error.URLError as exc:
            if not isinstance(exc.reason, TimeoutError):
                _logger.exception("exception in GET %s", url)
        except Exception:  # pylint: disable=broad-except  # as the addon: logged, not raised
            _logger.exception("exception in GET %s", url)

    thread = threading.Thread(target=get, name="queue_job.runjob", daemon=True)
    thread.start()
    return thread


class QueueJobRunner:
    """The job runner of one server: master of each database it can lock, dispatching jobs."""

    def __init__(self, config, settings, start_delay=START_DELAY,
                 recovery_delay=ERROR_RECOVERY_DELAY, select_timeout=SELECT_TIMEOUT):
        self.config = config
        self.settings = settings
        self.start_delay = start_delay
        self.recovery_delay = recovery_delay
        self.select_timeout = select_timeout
        self.server_wide = Channels.parse(settings.channels) if settings.channels else None
        if self.server_wide is not None:
            # Server-wide channels: max_capacity is the root channel's capacity.
            self.max_capacity = max(0, self.server_wide.capacities["root"] or 0)
        else:
            self.max_capacity = max(0, settings.max_capacity)
        self.db_by_name = {}
        self.channels_by_db = {}
        self.dispatched = []  # (database, uuid), for tests
        self._stop = threading.Event()
        self._wake_r, self._wake_w = os.pipe()
        self.thread = None

    # -- databases -------------------------------------------------------------
    def get_db_names(self):
        """db_name (comma list), else every database the user owns (list_dbs, no dbfilter)."""
        if self.config["db_name"]:
            return [name.strip() for name in self.config["db_name"].split(",") if name.strip()]
        return db.list_databases(self.config)

    def initialize_databases(self):
        for dbname in sorted(self.get_db_names()):  # sorted: no deadlock between runners
            database = Database(self, dbname)
            if not database.has_queue_job:
                database.close()
                continue
            self.db_by_name[dbname] = database
            if self.server_wide is None:
                channels = database.load_channels(self)
                for name in sorted(channels.capacities):
                    _channel_logger.info("Configured channel: %s (db: %s)",
                                         channels.describe(name), dbname)
                self.channels_by_db[dbname] = channels
                _logger.info("channels configuration loaded for db %s", dbname)
            _logger.info("queue job runner ready for db %s", dbname)

    def close_databases(self):
        for dbname, database in self.db_by_name.items():
            try:
                database.close()
            except Exception:  # pylint: disable=broad-except
                _logger.warning("error closing database %s", dbname, exc_info=True)
        self.db_by_name = {}
        self.channels_by_db = {}

    # -- one pass ----------------------------------------------------------------
    def run_jobs(self):
        """Dispatch the pending jobs that fit, across every database of this runner."""
        if self.server_wide is not None:
            running, pending = [], []
            for database in self.db_by_name.values():
                running.extend(database.running_channels())
                pending.extend(database.pending_jobs())
            pending.sort(key=lambda job: job[1:4])
            chosen = select_jobs(self.server_wide, running, pending, self.max_capacity)
        else:
            chosen, total = [], 0
            per_db = {}
            for dbname, database in self.db_by_name.items():
                per_db[dbname] = (database.running_channels(), database.pending_jobs())
                total += len(per_db[dbname][0])
            for dbname, (running, pending) in per_db.items():
                room = max(0, self.max_capacity - total)
                picked = select_jobs(self.channels_by_db[dbname], running, pending,
                                     len(running) + room)
                total += len(picked)
                chosen.extend(picked)
        for job in chosen:
            if self._stop.is_set():
                return
            self.dispatch(job[4], job[5])

    def dispatch(self, dbname, uuid):
        _logger.info("asking Odoo to run job %s on db %s", uuid, dbname)
        self.db_by_name[dbname].set_job_enqueued(uuid)
        self.dispatched.append((dbname, uuid))
        _http_get(self.settings.runjob_url(dbname, uuid), self.settings.http_auth_user,
                  self.settings.http_auth_password)

    def wait_notification(self):
        """Sleep until a NOTIFY queue_job, the next eta, select_timeout or stop."""
        timeout = self.select_timeout
        for database in self.db_by_name.values():
            eta = database.seconds_to_next_eta()
            if eta is not None:
                timeout = min(timeout, max(eta, 0.05))
        readers = [database.listen for database in self.db_by_name.values()]
        ready, _, _ = select.select(readers + [self._wake_r], [], [], timeout)
        for conn in ready:
            if conn is not self._wake_r:
                db.drain_notifications(conn)

    # -- the loop --------------------------------------------------------------------
    def run(self):
        _logger.info("starting")
        while not self._stop.is_set():
            try:
                _logger.debug("initializing database connections")
                self.initialize_databases()
                _logger.info("database connections ready")
                while not self._stop.is_set():
                    for database in self.db_by_name.values():
                        database.requeue_dead_jobs()
                    self.run_jobs()
                    self.wait_notification()
            except MasterElectionLost as exc:
                _logger.debug("master election lost: %s, sleeping %ds and retrying",
                              exc, self.recovery_delay)
                self.close_databases()
                self._stop.wait(self.recovery_delay)
            except Exception:  # pylint: disable=broad-except  # the runner never dies
                _logger.exception("exception: sleeping %ds and retrying", self.recovery_delay)
                self.close_databases()
                self._stop.wait(self.recovery_delay)
        self.close_databases()
        _logger.info("stopped")

    def _thread_main(self):
        if self._stop.wait(self.start_delay):  # let the workers start at ease
            return
        self.run()

    def start(self):
        self.thread = threading.Thread(target=self._thread_main, name="queue_job.jobrunner",
                                       daemon=True)
        self.thread.start()

    def stop(self, timeout=10.0):
        if self._stop.is_set():
            return
        _logger.info("graceful stop requested")
        self._stop.set()
        os.write(self._wake_w, b".")
        if self.thread is not None:
            self.thread.join(timeout)
        os.close(self._wake_r)
        os.close(self._wake_w)


class JobRunnerStarter:
    """How the addon's patches of Odoo's servers start the runner (jobrunner/__init__.py).

    ``workers`` > 0 (PreforkServer): a WorkerJobRunner when the runner is
    enabled, nothing logged otherwise. ``workers`` = 0 (ThreadedServer): a
    thread, or a line saying why not. Either way the stand-in's runner is a
    thread of this process.
    """

    def __init__(self, config, settings, **kwargs):
        self.prefork = config["workers"] > 0
        self.enabled = settings.runner_enabled()
        self.runner = QueueJobRunner(config, settings, **kwargs) if self.enabled else None

    def start(self):
        if not self.enabled:
            if not self.prefork:
                _thread_logger.info("jobrunner thread (in %s) NOT started, because the root "
                                    "channel's capacity or the max capacity is set to 0",
                                    "threaded server")
            return
        if self.prefork:
            _server_logger.info("Worker %s (%s) alive", "WorkerJobRunner", os.getpid())
        else:
            _thread_logger.info("starting jobrunner thread (in %s)", "threaded server")
        if self.runner.server_wide is not None:
            for name in sorted(self.runner.server_wide.capacities):
                _channel_logger.info("Configured channel: %s",
                                     self.runner.server_wide.describe(name))
        self.runner.start()

    def stop(self):
        if self.runner is not None:
            self.runner.stop()


def make_jobrunner(config, loaded, environ, **kwargs):
    """A JobRunnerStarter when queue_job is a loaded server-wide module, else None.

    Raises SettingsError for a [queue_job] value the runner cannot read
    (the real server fails at that point too).
    """
    if MODULE not in loaded.found:
        return None
    return JobRunnerStarter(config, Settings(config, environ), **kwargs)


# -- running one job (the /queue_job/runjob route) ----------------------------------

class StandinJobError(Exception):
    """The failure of a ``standin.fail`` job."""


class Abandoned(Exception):
    """The server stopped while the job ran: left started, for the dead-job requeue."""


def _now():
    return datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)


def perform(name, wait):
    """The stand-in's job code, chosen by the job's name; ``wait(seconds)`` True = abandoned."""
    name = name or ""
    if name.startswith("standin.sleep:"):
        seconds = float(name.split(":", 1)[1].split()[0])
        if wait(seconds):
            raise Abandoned()
    elif name.startswith("standin.fail"):
        raise StandinJobError("standin.fail: this job fails on purpose")


def installed(config, dbname):
    rows = db.query(config, dbname, "SELECT 1 FROM ir_module_module WHERE name = %s "
                                    "AND state = 'installed'", (MODULE,))
    return bool(rows)


def run_job(config, dbname, uuid, served_by, wait):
    """Acquire, run and store job ``uuid`` as the addon's controller; its final state, or None.

    The job must be enqueued and not held by another worker; it is marked
    started (worker_pid, date_started) and committed, its lock row is held
    for the run, then it ends done (date_done, exec_time, result naming this
    server) or failed (exc_*, and StandinJobError raised again).
    """
    conn = db.connect(config, dbname)
    try:
        conn.autocommit = False
        with conn.cursor() as cur:
            cur.execute("SELECT id, name FROM queue_job WHERE uuid = %s AND state = %s "
                        "FOR NO KEY UPDATE SKIP LOCKED", (uuid, ENQUEUED))
            row = cur.fetchone()
            if not row:
                conn.rollback()
                _controller_logger.warning(
                    "was requested to run job %s, but it does not exist, or is not in state "
                    "%s, or is being handled by another worker", uuid, ENQUEUED)
                return None
            job_id, name = row
            started = _now()
            cur.execute("""UPDATE queue_job SET state = %s, date_started = %s, worker_pid = %s
                            WHERE id = %s""",
                        (STARTED, started.replace(microsecond=0), os.getpid(), job_id))
            cur.execute("INSERT INTO queue_job_lock (id, queue_job_id) VALUES (%s, %s) "
                        "ON CONFLICT (id) DO NOTHING", (job_id, job_id))
            conn.commit()
            cur.execute("SELECT id FROM queue_job_lock WHERE queue_job_id = %s "
                        "FOR NO KEY UPDATE SKIP LOCKED", (job_id,))
            if not cur.fetchone():
                conn.rollback()
                _controller_logger.warning("was requested to run job %s, but it could not be "
                                           "locked", uuid)
                return None
            try:
                perform(name, wait)
            except Abandoned:
                conn.rollback()
                return STARTED
            except Exception as exc:  # stored on the job, then raised again (HTTP 500)
                conn.rollback()
                trace = traceback.format_exc()
                _controller_logger.error(trace)
                cur.execute("""UPDATE queue_job
                                  SET state = %s, retry = COALESCE(retry, 0) + 1,
                                      exc_name = %s, exc_message = %s, exc_info = %s
                                WHERE id = %s""",
                            (FAILED, "%s.%s" % (type(exc).__module__, type(exc).__name__),
                             str(exc.args[0]) if exc.args else str(exc), trace, job_id))
                conn.commit()
                raise
            done = _now()
            cur.execute("""UPDATE queue_job
                              SET state = %s, retry = COALESCE(retry, 0) + 1,
                                  date_done = %s, exec_time = %s, result = %s,
                                  exc_name = NULL, exc_info = NULL
                            WHERE id = %s""",
                        (DONE, done.replace(microsecond=0), (done - started).total_seconds(),
                         result_text(served_by), job_id))
            conn.commit()
            return DONE
    finally:
        _close(conn)


def result_text(served_by):
    """The result of a job the stand-in ran: the server (container host name) and its pid."""
    return "standin: run by %s (pid %d)" % (served_by, os.getpid())
