"""`odoo` command of the stand-in: initialise databases, or serve until SIGTERM."""

import getpass
import logging
import os
import signal
import sys
import threading

from . import STANDIN_RELEASE, VERSION, db, queue_job
from .config import ConfigError, check, parse
from .cron import CronRunner
from .modules import MissingDependency, load_server_wide_modules, to_install
from .server import App, Service
from .sessions import store_for
from .shell import run_shell

_logger = logging.getLogger("odoo")


class _DbFilter(logging.Filter):
    def filter(self, record):
        record.dbname = getattr(threading.current_thread(), "dbname", "?")
        return True


def setup_logging(level="info"):
    """Odoo's log line format, on standard output."""
    handler = logging.StreamHandler(sys.stdout)
    handler.addFilter(_DbFilter())
    handler.setFormatter(logging.Formatter(
        "%(asctime)s %(process)d %(levelname)s %(dbname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel({"debug": logging.DEBUG, "warn": logging.WARNING,
                   "warning": logging.WARNING, "error": logging.ERROR,
                   "critical": logging.CRITICAL}.get(level, logging.INFO))


def initialize(config):
    """`-i`/`-u`: create each database of -d when missing, then install the schema."""
    names = [n.strip() for n in (config["db_name"] or "").split(",") if n.strip()]
    if not names:
        raise ConfigError("Cannot install modules: no database given (use -d DATABASE)")
    try:
        modules = to_install(config, config.init + config.update)
    except MissingDependency as exc:
        raise ConfigError("Cannot install modules: %s" % exc) from None
    addons = {queue_job.MODULE: (queue_job.VERSION, queue_job.install_schema)}
    for name in names:
        if not db.database_exists(config, name):
            _logger.info("Creating database %s from %s", name, config["db_template"])
            db.create_database(config, name)
        db.install_base(config, name, modules, addons)
        _logger.info("Modules loaded in %s: %s", name, ", ".join(db.installed_modules(config, name)))


def main(argv=None, environ=None):
    environ = os.environ if environ is None else environ
    argv = sys.argv[1:] if argv is None else argv
    command = "server"
    if argv and argv[0] == "shell":
        command, argv = "shell", argv[1:]
    try:
        config = parse(argv, environ)
    except ConfigError as exc:
        sys.stderr.write("%s\n" % exc)
        return 2
    if config.version:
        print("Odoo Server %s (stand-in %s)" % (VERSION, STANDIN_RELEASE))
        return 0
    setup_logging(config["log_level"])
    if os.name == "posix" and getpass.getuser() == "root" \
            and environ.get("ODOO_STANDIN_ALLOW_ROOT") != "1":
        sys.stderr.write("Running as user 'root' is a security risk.\n")
        return 1
    try:
        check(config)
    except ConfigError as exc:
        _logger.critical("%s", exc)
        return 1
    _logger.info("Odoo version %s (stand-in %s, %s)", VERSION, STANDIN_RELEASE, db.DRIVER)
    _logger.info("Using configuration file at %s", config.rc_path)
    for key in config.unknown_keys:
        _logger.warning("Ignoring unknown option %s in %s", key, config.rc_path)
    _logger.info("database: %s@%s:%s", config["db_user"] or "default",
                 config["db_host"] or "default", config["db_port"] or "default")

    # As the real server's start(): before -i, the shell or serving.
    modules = load_server_wide_modules(config)
    if queue_job.MODULE in modules.found:
        queue_job.post_load()
    if command == "shell":
        return run_shell(config, sys.stdin)

    if config.init or config.update:
        try:
            initialize(config)
        except ConfigError as exc:
            _logger.critical("%s", exc)
            return 1
        except db.Error as exc:
            _logger.critical("Cannot initialize the database: %s", str(exc).strip())
            return 1
    if config.stop_after_init:
        _logger.info("Initiating shutdown (--stop-after-init)")
        return 0

    try:
        store = store_for(modules.found, environ, config.session_dir)
    except ValueError as exc:
        _logger.critical("%s", exc)
        return 1
    _logger.info("HTTP sessions stored in %s", store.describe())
    _logger.info("workers=%s max_cron_threads=%s db_maxconn=%s (threads; workers > 0: that many "
                 "requests at once on http_port)",
                 config["workers"], config["max_cron_threads"], config["db_maxconn"])
    app = App(config, store, modules=modules)
    service = Service(app)
    crons = [CronRunner(config, number, app.served_by)
             for number in range(config["max_cron_threads"])]
    stop = threading.Event()

    def on_signal(signum, _frame):
        _logger.info("Received %s, shutting down gracefully", signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        jobrunner = queue_job.make_jobrunner(config, modules, environ)
    except queue_job.SettingsError as exc:
        _logger.critical("%s", exc)
        return 1
    service.start()
    for runner in crons:
        runner.start()
    if jobrunner is not None:
        jobrunner.start()
    while not stop.wait(1):
        pass
    if jobrunner is not None:
        jobrunner.stop()
    for runner in crons:
        runner.stopping.set()
    service.stop()
    for runner in crons:
        runner.stop()
    _logger.info("Stopped")
    return 0
