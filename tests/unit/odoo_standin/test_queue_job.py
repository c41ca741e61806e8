"""OCA's queue_job 18.0 as the stand-in plays it (CONTRACT.md, "queue_job (OCA, 18.0)").

The pure parts (settings, the enabled rule, channels) are checked with fixed
inputs; the install, the master lock, dispatching and capacities against the
loopback PostgreSQL and the stand-in served in this process. Waits poll a
condition with a deadline; no assertion depends on a tight timing.
"""

import logging
import os
import threading
import time
import uuid as uuid_module

import pytest

from odoo_standin import db, queue_job
from odoo_standin.cli import initialize
from odoo_standin.config import ConfigError, parse
from odoo_standin.modules import LoadedModules

from standin_helpers import dbname_for, write_rc
from test_http import http_call

QUEUE_JOB_MANIFEST = ("{'name': 'Job Queue', 'version': '18.0.4.1.2', 'license': 'LGPL-3',\n"
                      " 'depends': ['mail', 'base_sparse_field', 'web']}\n")


def rc_with_queue_job(path, section, **options):
    """An rc file with [options] and a [queue_job] section."""
    write_rc(path, **options)
    with open(path, "a", encoding="utf-8") as handle:
        handle.write("\n[queue_job]\n" + "".join("%s = %s\n" % item for item in section.items()))
    return str(path)


def settings(section=None, environ=None, **options):
    """Settings from a Config whose [queue_job] is ``section``."""
    config = parse(["--http-interface", options.get("http_interface", ""),
                    "--http-port", str(options.get("http_port", 8069))], environ={})
    config.misc["queue_job"] = dict(section or {})
    return queue_job.Settings(config, environ or {})


# -- configuration ------------------------------------------------------------------

def test_the_queue_job_section_is_read_beside_options(tmp_path):
    rc = rc_with_queue_job(tmp_path / "odoo.conf",
                           {"channels": "root:4,root.edi:2", "scheme": "https",
                            "host": "odoo-jobs", "port": "8169",
                            "http_auth_user": "jobrunner", "http_auth_password": "s3cr3t",
                            "jobrunner_db_host": "10.0.0.5", "jobrunner_db_port": "5433"},
                           workers=4, server_wide_modules="base,web,queue_job")
    config = parse(["-c", rc], environ={})
    assert (config["workers"], config["server_wide_modules"]) == (4, "base,web,queue_job")
    assert config.unknown_keys == []  # [queue_job] keys are not [options] keys
    read = queue_job.Settings(config, {})
    assert (read.channels, read.scheme, read.host, read.port) == (
        "root:4,root.edi:2", "https", "odoo-jobs", "8169")
    assert (read.http_auth_user, read.http_auth_password) == ("jobrunner", "s3cr3t")
    assert read.jobrunner_db == {"host": "10.0.0.5", "port": "5433", "user": None,
                                 "password": None}
    assert read.runjob_url("tenant", "abc") == \
        "https://odoo-jobs:8169/queue_job/runjob?db=tenant&job_uuid=abc"


@pytest.mark.parametrize("key", ["channels", "max_capacity", "db_max_capacity", "scheme", "host",
                                 "port", "http_auth_user", "http_auth_password",
                                 "jobrunner_db_host", "jobrunner_db_port", "jobrunner_db_user",
                                 "jobrunner_db_password"])
def test_a_non_empty_environment_variable_wins_over_the_file(key):
    file_value, env_value = {"max_capacity": ("3", "7"), "port": ("8169", "8269"),
                             "db_max_capacity": ("2", "5"),
                             "jobrunner_db_port": ("5433", "6432")}.get(
                                 key, ("from-file", "from-env"))
    variable = "ODOO_QUEUE_JOB_" + key.upper()

    def value(read):
        if key.startswith("jobrunner_db_"):
            return read.jobrunner_db[key[len("jobrunner_db_"):]]
        if key == "db_max_capacity":
            return read.db_max_capacity[0][1]
        return getattr(read, key)

    assert str(value(settings({key: file_value}, {variable: env_value}))) == env_value
    assert str(value(settings({key: file_value}, {variable: ""}))) == file_value


def test_defaults_follow_the_server_options():
    read = settings({}, {}, http_interface="127.0.0.1", http_port=8169)
    assert (read.channels, read.max_capacity, read.scheme, read.host, read.port) == (
        None, 1, "http", "127.0.0.1", 8169)
    assert settings().host == "localhost"
    assert (read.http_auth_user, read.db_max_capacity) == (None, [])


def test_jobrunner_db_settings_replace_the_server_s_own(make_config):
    config = make_config(db_sslmode="require")
    read = settings({"jobrunner_db_host": "10.0.0.5", "jobrunner_db_user": "jobs"})
    kwargs = read.connect_kwargs(config, "tenant")
    assert (kwargs["host"], kwargs["user"], kwargs["port"], kwargs["sslmode"]) == (
        "10.0.0.5", "jobs", config["db_port"], "require")
    assert kwargs["password"] == config["db_password"]


def test_an_unreadable_max_capacity_is_refused():
    with pytest.raises(queue_job.SettingsError, match="max_capacity"):
        settings({"max_capacity": "many"})


@pytest.mark.parametrize("section, environ, enabled", [
    ({}, {}, True),                                   # max_capacity defaults to 1
    ({"max_capacity": "0"}, {}, False),
    ({"max_capacity": "4"}, {}, True),
    ({"channels": "root:0"}, {}, False),
    ({"channels": " root:0,root.edi:2"}, {}, False),  # only the start counts
    ({"channels": "root:4"}, {}, True),
    ({"channels": "root.edi:0"}, {}, True),
    ({"channels": "root:4", "max_capacity": "0"}, {}, True),  # channels wins
    ({"max_capacity": "0"}, {"ODOO_QUEUE_JOB_MAX_CAPACITY": "2"}, True),
    ({"channels": "root:2"}, {"ODOO_QUEUE_JOB_CHANNELS": "root:0"}, False),
])
def test_the_runner_is_enabled_as_the_addon_decides(section, environ, enabled):
    assert settings(section, environ).runner_enabled() is enabled


# -- channels -----------------------------------------------------------------------

@pytest.mark.parametrize("text, capacities, paused", [
    ("root:4", {"root": 4}, set()),
    ("root", {"root": 1}, set()),
    ("edi:2", {"root": 1, "root.edi": 2}, set()),
    ("root:4,root.edi:2,\n root.slow : 1 ,", {"root": 4, "root.edi": 2, "root.slow": 1}, set()),
    ("root:4,seq:1:sequential", {"root": 4, "root.seq": 1}, set()),
    ("root:4:paused,sub:sequential_default", {"root": 4, "root.sub": None}, {"root"}),
])
def test_channels_are_parsed_as_the_addon_parses_them(text, capacities, paused):
    channels = queue_job.Channels.parse(text)
    assert (channels.capacities, channels.paused) == (capacities, paused)


@pytest.mark.parametrize("text", ["root:bogus", "root:4,:2", "root:4,seq:2:sequential"])
def test_bad_channels_are_refused(text):
    with pytest.raises(queue_job.SettingsError):
        queue_job.Channels.parse(text)


def pending(*channels):
    return [(channel, 10, index, index, "db", "uuid%d" % index)
            for index, channel in enumerate(channels)]


def test_jobs_are_chosen_within_root_and_sub_channel_capacities():
    channels = queue_job.Channels.parse("root:4,root.edi:1")
    chosen = queue_job.select_jobs(channels, [], pending("root.edi", "root.edi", None, "other",
                                                         None, None), limit=4)
    assert [job[5] for job in chosen] == ["uuid0", "uuid2", "uuid3", "uuid4"]
    # two running in root already, one of them in edi: two more, none in edi
    chosen = queue_job.select_jobs(channels, ["edi", None], pending("root.edi", None, None, None),
                                   limit=4)
    assert [job[5] for job in chosen] == ["uuid1", "uuid2"]


def test_an_unconfigured_channel_counts_against_its_closest_configured_parent():
    channels = queue_job.Channels.parse("root:10,root.edi:2")
    assert channels.chain("root.edi.carrier.dhl") == ["root", "root.edi"]
    chosen = queue_job.select_jobs(channels, [], pending("root.edi.a", "edi.b", "root.edi.c"), 10)
    assert len(chosen) == 2


def test_a_paused_channel_runs_nothing():
    channels = queue_job.Channels.parse("root:4,root.edi:2:paused")
    chosen = queue_job.select_jobs(channels, [], pending("root.edi", None), limit=4)
    assert [job[0] for job in chosen] == [None]


def test_db_max_capacity_rules_first_match_wins():
    rules = queue_job.parse_db_max_capacity("prod_*:20,staging:2,*:5")
    assert [queue_job.db_max_capacity_for(name, rules, 1) for name in ("prod_a", "staging", "x")] \
        == [20, 2, 5]
    assert queue_job.parse_db_max_capacity("8") == [("*", 8)]
    assert queue_job.db_max_capacity_for("x", [], 7) == 7


# -- -i queue_job ---------------------------------------------------------------------

def queue_job_addons(tmp_path):
    root = tmp_path / "queue_job_addons"
    os.makedirs(root / "queue_job")
    (root / "queue_job" / "__manifest__.py").write_text(QUEUE_JOB_MANIFEST)
    return str(root)


def trigger_events(config):
    return db.query(config, config["db_name"], """
        SELECT count(*) FROM information_schema.triggers
         WHERE event_object_table = 'queue_job' AND trigger_name = 'queue_job_notify'""")[0][0]


def test_queue_job_not_on_the_addons_path_is_ignored_as_odoo_does(make_config, request, caplog):
    config = make_config(["-d", dbname_for(request), "-i", "base,queue_job"])
    initialize(config)
    assert db.installed_modules(config, config["db_name"]) == ["base"]
    warnings = [(r.name, r.getMessage()) for r in caplog.records if r.levelno == logging.WARNING]
    assert ("odoo.modules.loading", "invalid module names, ignored: queue_job") in warnings
    assert db.query(config, config["db_name"], "SELECT to_regclass('queue_job')") == [(None,)]


def test_queue_job_found_gets_its_tables_trigger_and_dependencies(make_config, request,
                                                                  tmp_path, caplog):
    caplog.set_level(logging.INFO)
    config = make_config(["-d", dbname_for(request), "-i", "queue_job"],
                         addons_path=queue_job_addons(tmp_path))
    initialize(config)
    name = config["db_name"]
    assert db.installed_modules(config, name) == [
        "base", "base_setup", "base_sparse_field", "bus", "mail", "queue_job", "web"]
    assert db.query(config, name, "SELECT latest_version FROM ir_module_module "
                                  "WHERE name = 'queue_job'") == [("18.0.4.1.2",)]
    assert trigger_events(config) == 3  # INSERT, UPDATE, DELETE: the runner's check
    columns = {row[0] for row in db.query(config, name, """
        SELECT column_name FROM information_schema.columns WHERE table_name = 'queue_job'""")}
    assert {"id", "uuid", "name", "channel", "state", "priority", "date_created",
            "date_enqueued", "date_started", "date_done", "eta", "exec_time", "worker_pid",
            "exc_info", "result", "retry", "max_retries"} <= columns
    assert db.query(config, name, "SELECT complete_name FROM queue_job_channel") == [("root",)]
    assert ("odoo.addons.queue_job.post_init_hook", "Create queue_job_notify trigger") in [
        (r.name, r.getMessage()) for r in caplog.records]
    initialize(config)  # again: idempotent
    assert trigger_events(config) == 3


def test_the_trigger_notifies_the_uuid(qj_tenant):
    import psycopg
    conninfo = " ".join("%s=%s" % item for item in qj_tenant.db_connect_kwargs(
        qj_tenant["db_name"]).items())
    with psycopg.connect(conninfo, autocommit=True) as listener:
        listener.execute("LISTEN queue_job")
        job = add_job(qj_tenant, "plain")
        db.query(qj_tenant, qj_tenant["db_name"],
                 "UPDATE queue_job SET state = 'done' WHERE uuid = %s", (job,))
        db.query(qj_tenant, qj_tenant["db_name"], "DELETE FROM queue_job WHERE uuid = %s", (job,))
        payloads = [n.payload for n in listener.notifies(timeout=2, stop_after=2)]
    assert payloads == [job, job]  # insert, update; a done job's delete is silent


def test_a_missing_dependency_stops_the_install(make_config, request, tmp_path):
    root = tmp_path / "addons"
    os.makedirs(root / "queue_job")
    (root / "queue_job" / "__manifest__.py").write_text(
        "{'name': 'Job Queue', 'depends': ['base', 'connector_missing']}\n")
    config = make_config(["-d", dbname_for(request), "-i", "queue_job"], addons_path=str(root))
    with pytest.raises(ConfigError, match="depends on module 'connector_missing'"):
        initialize(config)


# -- the runner and the route, for real ----------------------------------------------

@pytest.fixture
def qj_tenant(make_config, request, tmp_path):
    """A database with queue_job installed; its config serves with 4 workers."""
    config = make_config(["-d", dbname_for(request), "-i", "queue_job"],
                         addons_path=queue_job_addons(tmp_path), workers=4,
                         server_wide_modules="base,web,queue_job")
    initialize(config)
    return config


def add_job(config, name, channel=None, priority=10, state="pending"):
    uuid = str(uuid_module.uuid4())
    db.query(config, config["db_name"], """
        INSERT INTO queue_job (uuid, name, channel, priority, state)
        VALUES (%s, %s, %s, %s, %s)""", (uuid, name, channel, priority, state))
    return uuid


def jobs(config, *columns):
    return db.query(config, config["db_name"], "SELECT uuid, %s FROM queue_job ORDER BY id"
                    % ", ".join(columns))


def wait_until(condition, what, timeout=30.0):
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for " + what)
        time.sleep(0.05)


def make_runner(config, **section):
    config.misc["queue_job"] = section
    runner = queue_job.QueueJobRunner(config, queue_job.Settings(config, {}), start_delay=0,
                                      recovery_delay=0.2, select_timeout=2)
    return runner


@pytest.fixture
def runners():
    started = []

    def start(config, **section):
        runner = make_runner(config, **section)
        runner.start()
        started.append(runner)
        return runner

    yield start
    for runner in started:
        runner.stop()


class StatePeak:
    """The most jobs in each state at once, sampled every 10 ms."""

    def __init__(self, config):
        self.config = config
        self.peak = {}
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self):
        while not self._done.wait(0.01):
            for state, count in db.query(self.config, self.config["db_name"],
                                         "SELECT state, count(*) FROM queue_job GROUP BY state"):
                self.peak[state] = max(self.peak.get(state, 0), count)

    def stop(self):
        self._done.set()
        self._thread.join()
        return self.peak


def all_done(config):
    return all(state in ("done", "failed") for _uuid, state in jobs(config, "state"))


def test_the_runjob_route_needs_queue_job_installed(make_config, serve, request):
    config = make_config(["-d", dbname_for(request), "-i", "base"])
    initialize(config)
    running = serve(config)
    path = "/queue_job/runjob?db=%s&job_uuid=x" % config["db_name"]
    assert http_call(running.http_port, "GET", path)[0] == 404
    assert http_call(running.http_port, "GET", "/queue_job/runjob")[0] == 400


def test_the_route_runs_an_enqueued_job_only(qj_tenant, serve, caplog):
    running = serve(qj_tenant, served_by="jobs-a")
    job = add_job(qj_tenant, "plain", state="enqueued")
    waiting = add_job(qj_tenant, "plain")
    for uuid in (job, waiting):
        status, _headers, body = http_call(
            running.http_port, "GET", "/queue_job/runjob?db=%s&job_uuid=%s"
            % (qj_tenant["db_name"], uuid))
        assert (status, body) == (200, b"")
    rows = jobs(qj_tenant, "state", "result", "worker_pid", "retry",
                "date_started IS NOT NULL", "date_done IS NOT NULL", "exec_time >= 0")
    assert rows[0] == (job, "done", "standin: run by jobs-a (pid %d)" % os.getpid(), os.getpid(),
                       1, True, True, True)
    assert rows[1][:3] == (waiting, "pending", None)
    assert "but it does not exist, or is not in state enqueued" in caplog.text


def test_one_runner_is_master_and_the_other_takes_over(qj_tenant, serve, runners, caplog):
    caplog.set_level(logging.DEBUG, logger="odoo.addons.queue_job")
    running = serve(qj_tenant, served_by="jobs-a")
    first = runners(qj_tenant, channels="root:2")
    name = qj_tenant["db_name"]
    wait_until(lambda: name in first.db_by_name, "the first runner to be master")
    second = runners(qj_tenant, channels="root:2")
    message = "master election lost: could not acquire master runner lock on %s" % name
    wait_until(lambda: message in caplog.text, "the second runner to stand by")
    assert name not in second.db_by_name

    job = add_job(qj_tenant, "plain")
    wait_until(lambda: all_done(qj_tenant), "the job to be done")
    assert jobs(qj_tenant, "state", "result") == [
        (job, "done", "standin: run by jobs-a (pid %d)" % os.getpid())]
    assert first.dispatched == [(name, job)] and second.dispatched == []
    assert "asking Odoo to run job %s on db %s" % (job, name) in caplog.text

    first.stop()
    wait_until(lambda: name in second.db_by_name, "the second runner to take over")
    later = add_job(qj_tenant, "plain")
    wait_until(lambda: all_done(qj_tenant), "the job after the takeover")
    assert second.dispatched == [(name, later)]
    assert running.app.served_by == "jobs-a"
    messages = [r.getMessage() for r in caplog.records
                if r.name == "odoo.addons.queue_job.jobrunner.runner"]
    assert {"starting", "database connections ready", "queue job runner ready for db %s" % name,
            "graceful stop requested", "stopped"} <= set(messages)


def test_capacity_limits_jobs_started_at_once(qj_tenant, serve, runners):
    serve(qj_tenant, served_by="jobs-a")
    uuids = [add_job(qj_tenant, "standin.sleep:0.6") for _job in range(5)]
    peak = StatePeak(qj_tenant)
    runners(qj_tenant, channels="root:2")
    wait_until(lambda: all_done(qj_tenant), "five sleeping jobs", timeout=60)
    top = peak.stop()
    assert [row[1] for row in jobs(qj_tenant, "state")] == ["done"] * 5
    assert top["started"] == 2  # reached, never passed
    assert len({row[0] for row in jobs(qj_tenant, "state")}) == len(uuids)


def test_a_sub_channel_capacity_applies_within_the_root(qj_tenant, serve, runners):
    serve(qj_tenant, served_by="jobs-a")
    edi = [add_job(qj_tenant, "standin.sleep:0.4", channel="root.edi") for _job in range(3)]
    other = add_job(qj_tenant, "standin.sleep:0.4")
    samples = []
    stop = threading.Event()

    def sample():
        while not stop.wait(0.01):
            samples.append(db.query(qj_tenant, qj_tenant["db_name"], """
                SELECT count(*) FILTER (WHERE channel = 'root.edi'), count(*)
                  FROM queue_job WHERE state IN ('enqueued', 'started')""")[0])

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    runners(qj_tenant, channels="root:3,root.edi:1")
    wait_until(lambda: all_done(qj_tenant), "the jobs", timeout=60)
    stop.set()
    sampler.join()
    assert max(edi_count for edi_count, _total in samples) == 1
    assert max(total for _edi, total in samples) == 2  # root has room; edi holds one at a time
    assert {row[0] for row in jobs(qj_tenant, "state") if row[1] == "done"} == set(edi + [other])


def test_workers_limit_jobs_running_at_once(make_config, request, tmp_path, serve, runners):
    config = make_config(["-d", dbname_for(request), "-i", "queue_job"],
                         addons_path=queue_job_addons(tmp_path), workers=1)
    initialize(config)
    serve(config, served_by="jobs-a")
    for _job in range(3):
        add_job(config, "standin.sleep:0.5")
    peak = StatePeak(config)
    runners(config, channels="root:3")
    wait_until(lambda: all_done(config), "three jobs on one worker", timeout=60)
    top = peak.stop()
    assert top["started"] == 1  # the other two waited for the worker, enqueued
    assert top["enqueued"] >= 2


def test_priority_then_creation_order(qj_tenant, serve, runners):
    serve(qj_tenant, served_by="jobs-a")
    low = add_job(qj_tenant, "plain", priority=20)
    high = add_job(qj_tenant, "plain", priority=5)
    mid = add_job(qj_tenant, "plain", priority=10)
    runner = runners(qj_tenant, channels="root:1")
    wait_until(lambda: all_done(qj_tenant), "three jobs", timeout=60)
    assert [uuid for _db, uuid in runner.dispatched] == [high, mid, low]


def test_a_failing_job_ends_failed_with_its_traceback(qj_tenant, serve, runners):
    serve(qj_tenant, served_by="jobs-a")
    job = add_job(qj_tenant, "standin.fail")
    runners(qj_tenant, channels="root:1")
    wait_until(lambda: all_done(qj_tenant), "the failing job")
    (uuid, state, exc_name, exc_info, result), = jobs(qj_tenant, "state", "exc_name",
                                                      "exc_info", "result")
    assert (uuid, state, result) == (job, "failed", None)
    assert exc_name == "odoo_standin.queue_job.StandinJobError"
    assert "Traceback" in exc_info and "fails on purpose" in exc_info


def test_a_dead_job_is_queued_again_and_run(qj_tenant, serve, runners, caplog):
    serve(qj_tenant, served_by="jobs-b")
    job = add_job(qj_tenant, "plain", state="started")
    db.query(qj_tenant, qj_tenant["db_name"], """
        UPDATE queue_job SET date_enqueued = (now() at time zone 'UTC') - interval '1 minute',
                             date_started = (now() at time zone 'UTC') - interval '1 minute'
         WHERE uuid = %s""", (job,))
    runners(qj_tenant, channels="root:1")
    wait_until(lambda: all_done(qj_tenant), "the dead job")
    assert jobs(qj_tenant, "state", "retry", "result") == [
        (job, "done", 2, "standin: run by jobs-b (pid %d)" % os.getpid())]
    assert "Re-queued dead job with uuid: %s" % job in caplog.text


def test_per_database_channels_follow_max_capacity(qj_tenant, serve, runners, caplog):
    caplog.set_level(logging.INFO)
    serve(qj_tenant, served_by="jobs-a")
    for _job in range(4):
        add_job(qj_tenant, "standin.sleep:0.4")
    peak = StatePeak(qj_tenant)
    runners(qj_tenant, max_capacity="3", db_max_capacity="2")
    wait_until(lambda: all_done(qj_tenant), "the jobs", timeout=60)
    assert peak.stop()["started"] == 2  # db_max_capacity caps the root channel
    assert "channels configuration loaded for db %s" % qj_tenant["db_name"] in caplog.text
    assert "Configured channel: root(C:2,Q:0,R:0,F:0) (db: %s)" % qj_tenant["db_name"] \
        in caplog.text


# -- how the server starts it ----------------------------------------------------------

LOADED = LoadedModules({"base": "", "web": "", "queue_job": ""}, [])


@pytest.mark.parametrize("workers, section, expected", [
    (4, {"channels": "root:2"}, "Worker WorkerJobRunner (%d) alive" % os.getpid()),
    (0, {"channels": "root:2"}, "starting jobrunner thread (in threaded server)"),
    (0, {"channels": "root:0"}, "jobrunner thread (in threaded server) NOT started, because the "
                                "root channel's capacity or the max capacity is set to 0"),
    (4, {"max_capacity": "0"}, None),  # prefork: nothing said
])
def test_the_server_starts_the_runner_as_the_addon_s_patches(make_config, caplog, workers,
                                                             section, expected):
    caplog.set_level(logging.INFO)
    config = make_config(workers=workers)
    config.misc["queue_job"] = section
    starter = queue_job.make_jobrunner(config, LOADED, {}, start_delay=60)
    starter.start()
    starter.stop()
    lines = [r.getMessage() for r in caplog.records
             if r.name in ("odoo.service.server", "odoo.addons.queue_job.jobrunner")]
    assert lines == ([expected] if expected else [])
    assert (starter.runner is not None) is ("NOT" not in (expected or "NOT"))


def test_without_queue_job_loaded_server_wide_there_is_no_runner(make_config):
    config = make_config(workers=4)
    config.misc["queue_job"] = {"channels": "root:2"}
    assert queue_job.make_jobrunner(config, LoadedModules({"base": "", "web": ""}, []), {}) \
        is None


def test_the_odoo_command_runs_the_runner_and_its_jobs(qj_tenant, tmp_path):
    """`odoo` with queue_job server-wide, workers > 0 and [queue_job]: a job ends done."""
    import signal
    import subprocess
    import sys

    from standin_helpers import STANDIN_SOURCE

    options = {key: value for key, value in qj_tenant.options.items()
               if key in ("db_host", "db_port", "db_user", "db_password", "data_dir",
                          "http_interface", "http_port", "gevent_port", "addons_path",
                          "workers", "server_wide_modules", "db_name")}
    rc = rc_with_queue_job(tmp_path / "jobs.conf", {"channels": "root:2"},
                           max_cron_threads=0, **options)
    job = add_job(qj_tenant, "plain")
    env = dict(os.environ, PYTHONPATH=STANDIN_SOURCE, ODOO_STANDIN_ALLOW_ROOT="1",
               ODOO_QUEUE_JOB_PORT=str(qj_tenant["http_port"]))
    env.pop("ODOO_SESSION_REDIS", None)
    proc = subprocess.Popen([sys.executable, "-m", "odoo_standin", "-c", rc], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        wait_until(lambda: all_done(qj_tenant) or proc.poll() is not None,
                   "the job to run (the runner starts after 5 s)", timeout=40)
        proc.send_signal(signal.SIGTERM)
        output = proc.communicate(timeout=20)[0]
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, output
    (uuid, state, result), = jobs(qj_tenant, "state", "result")
    assert (uuid, state) == (job, "done")
    assert result.startswith("standin: run by ") and result.endswith("(pid %d)" % proc.pid)
    for line in ("odoo.addons.queue_job.post_load: Apply Request._get_session_and_dbname",
                 "odoo.service.server: Worker WorkerJobRunner (%d) alive" % proc.pid,
                 "odoo.addons.queue_job.jobrunner.channels: Configured channel: "
                 "root(C:2,Q:0,R:0,F:0)",
                 "odoo.addons.queue_job.jobrunner.runner: starting",
                 "queue job runner ready for db %s" % qj_tenant["db_name"],
                 "asking Odoo to run job %s on db %s" % (job, qj_tenant["db_name"]),
                 "odoo.addons.queue_job.jobrunner.runner: stopped"):
        assert line in output, line
