"""Configuration of the stand-in: the Odoo configuration file and command line.

The file is an INI file with an ``[options]`` section, found at ``-c/--config``,
else ``$ODOO_RC``, else ``/etc/odoo/odoo.conf``. Its other sections are kept
for addons, as Odoo keeps them in ``config.misc`` (queue_job reads
``[queue_job]``). Command-line options win over
the file. Values are checked against each option's type; a value that does not
fit, an unknown command-line option, or a missing database password stops the
server with a message that names the option.
"""

import argparse
import configparser
import os

DEFAULT_RC = "/etc/odoo/odoo.conf"


class ConfigError(Exception):
    """The configuration cannot be used; the message says which option and why."""


def _to_bool(value):
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off", "none", ""):
        return False
    raise ValueError("not a boolean")


def _to_int(value):
    if isinstance(value, bool):
        raise ValueError("not an integer")
    return int(str(value).strip())


def _to_str(value):
    return str(value)


def _to_port_or_false(value):
    if str(value).strip().lower() in ("false", "none", ""):
        return False
    port = _to_int(value)
    if not 0 < port < 65536:
        raise ValueError("not a TCP port")
    return port


def _to_str_or_false(value):
    if str(value).strip().lower() in ("false", "none", ""):
        return False
    return str(value)


TYPES = {"bool": _to_bool, "int": _to_int, "str": _to_str,
         "port": _to_port_or_false, "str_or_false": _to_str_or_false}

# name: (type, default, command-line flags). The flags follow the real server's.
OPTIONS = {
    "admin_passwd": ("str", "admin", []),
    "addons_path": ("str", "", ["--addons-path"]),
    "data_dir": ("str", "/var/lib/odoo", ["-D", "--data-dir"]),
    "db_host": ("str_or_false", False, ["--db_host"]),
    "db_port": ("port", False, ["--db_port"]),
    "db_user": ("str_or_false", False, ["-r", "--db_user"]),
    "db_password": ("str_or_false", False, ["-w", "--db_password"]),
    "db_name": ("str_or_false", False, ["-d", "--database"]),
    "db_maxconn": ("int", 64, ["--db_maxconn"]),
    "db_sslmode": ("str", "prefer", ["--db_sslmode"]),
    "db_template": ("str", "template0", ["--db-template"]),
    "dbfilter": ("str", "", ["--db-filter"]),
    "list_db": ("bool", True, []),
    "proxy_mode": ("bool", False, ["--proxy-mode"]),
    "workers": ("int", 0, ["--workers"]),
    "max_cron_threads": ("int", 2, ["--max-cron-threads"]),
    "http_enable": ("bool", True, []),
    "http_interface": ("str", "", ["--http-interface"]),
    "http_port": ("int", 8069, ["-p", "--http-port"]),
    "gevent_port": ("int", 8072, ["--gevent-port"]),
    "limit_memory_hard": ("int", 2684354560, ["--limit-memory-hard"]),
    "limit_memory_soft": ("int", 2147483648, ["--limit-memory-soft"]),
    "limit_request": ("int", 65536, ["--limit-request"]),
    "limit_time_cpu": ("int", 60, ["--limit-time-cpu"]),
    "limit_time_real": ("int", 120, ["--limit-time-real"]),
    "limit_time_real_cron": ("int", -1, ["--limit-time-real-cron"]),
    "log_level": ("str", "info", ["--log-level"]),
    "logfile": ("str_or_false", False, ["--logfile"]),
    "server_wide_modules": ("str", "base,web", ["--load"]),
    "without_demo": ("str", "all", ["--without-demo"]),
    "unaccent": ("bool", False, []),
}

# Older names the real server still reads from a configuration file.
ALIASES = {"longpolling_port": "gevent_port", "xmlrpc_port": "http_port",
           "xmlrpc_interface": "http_interface", "xmlrpc": "http_enable"}


def convert(name, value, source):
    """Return ``value`` converted to the type of option ``name``, or raise ConfigError."""
    kind = OPTIONS[name][0]
    try:
        return TYPES[kind](value)
    except (TypeError, ValueError):
        raise ConfigError("Cannot read option %s from %s: %r is not a valid %s value"
                          % (name, source, value, kind)) from None


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        raise ConfigError("odoo: error: %s" % message)


def _argument_parser():
    parser = _Parser(prog="odoo", add_help=True, allow_abbrev=False)
    parser.add_argument("-c", "--config", dest="config")
    parser.add_argument("-i", "--init", dest="init", default="")
    parser.add_argument("-u", "--update", dest="update", default="")
    parser.add_argument("--stop-after-init", dest="stop_after_init", action="store_true")
    parser.add_argument("--no-database-list", dest="list_db", action="store_const", const="False")
    parser.add_argument("--no-http", dest="http_enable", action="store_const", const="False")
    parser.add_argument("--version", dest="version", action="store_true")
    for name, (kind, _default, flags) in OPTIONS.items():
        if not flags:
            continue
        if kind == "bool":
            parser.add_argument(*flags, dest=name, action="store_const", const="True")
        else:
            parser.add_argument(*flags, dest=name)
    return parser


class Config:
    """Options after reading the file and the command line (``config["db_host"]``)."""

    def __init__(self, options, rc_path, init, update, stop_after_init, unknown_keys,
                 misc=None):
        self.options = options
        # The file's other sections, {section: {key: text}} (Odoo's config.misc).
        self.misc = misc or {}
        self.rc_path = rc_path
        self.init = init
        self.update = update
        self.stop_after_init = stop_after_init
        self.unknown_keys = unknown_keys

    def __getitem__(self, name):
        return self.options[name]

    @property
    def queue_job(self):
        """The ``[queue_job]`` section of the file, {key: text} (empty when absent)."""
        return self.misc.get("queue_job", {})

    @property
    def session_dir(self):
        return os.path.join(self.options["data_dir"], "sessions")

    def db_connect_kwargs(self, dbname):
        """Keyword arguments for psycopg's connect(), like the real server builds them."""
        kwargs = {"dbname": dbname, "sslmode": self.options["db_sslmode"],
                  "application_name": "odoo-%d" % os.getpid()}
        for option, key in (("db_host", "host"), ("db_port", "port"),
                            ("db_user", "user"), ("db_password", "password")):
            if self.options[option] is not False:
                kwargs[key] = self.options[option]
        return kwargs


def _read_sections(path):
    """{section: {key: text}} of an Odoo configuration file; {} when it does not exist."""
    parser = configparser.RawConfigParser()
    try:
        with open(path, encoding="utf-8") as handle:
            parser.read_file(handle)
    except FileNotFoundError:
        return {}
    except (OSError, configparser.Error) as exc:
        raise ConfigError("Cannot read the configuration file %s: %s" % (path, exc)) from None
    return {section: dict(parser.items(section)) for section in parser.sections()}


def read_rc_file(path):
    """Return the ``[options]`` of an Odoo configuration file as a dict of strings."""
    return _read_sections(path).get("options", {})


def parse(argv, environ=None):
    """Build a Config from command-line arguments (without the program name)."""
    environ = os.environ if environ is None else environ
    args = _argument_parser().parse_args(argv)
    rc_path = args.config or environ.get("ODOO_RC") or DEFAULT_RC
    options = {name: spec[1] for name, spec in OPTIONS.items()}
    unknown = []
    sections = _read_sections(rc_path)
    for key, value in sections.pop("options", {}).items():
        name = ALIASES.get(key, key)
        if name not in OPTIONS:
            unknown.append(key)  # the real server keeps these for addons
            continue
        options[name] = convert(name, value, rc_path)
    for name in OPTIONS:
        value = getattr(args, name, None)
        if value is not None:
            options[name] = convert(name, value, "the command line")
    config = Config(options, rc_path, _modules(args.init), _modules(args.update),
                    args.stop_after_init, unknown, misc=sections)
    config.version = args.version
    return config


def _modules(text):
    return [name.strip() for name in (text or "").split(",") if name.strip()]


def check(config):
    """Refuse settings the real server refuses, and a missing database password."""
    if config["db_user"] == "postgres":
        raise ConfigError("Using the database user 'postgres' is a security risk, aborting.")
    if config["db_password"] is False:
        raise ConfigError("Cannot connect to PostgreSQL: no database password is set "
                          "(db_password in %s or --db_password)" % config.rc_path)
    for name in ("workers", "max_cron_threads", "db_maxconn"):
        if config[name] < 0:
            raise ConfigError("Option %s must not be negative, got %s" % (name, config[name]))
    if config["db_maxconn"] < 1:
        raise ConfigError("Option db_maxconn must be at least 1")
