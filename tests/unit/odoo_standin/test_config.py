"""Configuration file and command line of the stand-in."""

import pytest

from odoo_standin import config as standin_config
from odoo_standin.config import ConfigError, check, parse

from standin_helpers import write_rc


def test_defaults_match_the_official_ports_and_paths(tmp_path):
    config = parse([], environ={"ODOO_RC": str(tmp_path / "absent.conf")})
    assert (config["http_port"], config["gevent_port"]) == (8069, 8072)
    assert config["data_dir"] == "/var/lib/odoo"
    assert config["list_db"] is True
    assert config["db_password"] is False


def test_rc_path_from_odoo_rc_and_overridden_by_config_flag(tmp_path):
    env_rc = write_rc(tmp_path / "env.conf", http_port=9001)
    flag_rc = write_rc(tmp_path / "flag.conf", http_port=9002)
    assert parse([], environ={"ODOO_RC": env_rc})["http_port"] == 9001
    config = parse(["-c", flag_rc], environ={"ODOO_RC": env_rc})
    assert (config["http_port"], config.rc_path) == (9002, flag_rc)


@pytest.mark.parametrize("key, text, expected", [
    ("db_host", "pg.example.internal", "pg.example.internal"),
    ("db_port", "6432", 6432),
    ("db_user", "odoo", "odoo"),
    ("db_password", "s3cret", "s3cret"),
    ("db_name", "tenant", "tenant"),
    ("dbfilter", "^%d$", "^%d$"),
    ("list_db", "False", False),
    ("proxy_mode", "True", True),
    ("workers", "4", 4),
    ("max_cron_threads", "1", 1),
    ("http_port", "8069", 8069),
    ("gevent_port", "8072", 8072),
    ("longpolling_port", "8073", 8073),
    ("data_dir", "/srv/odoo", "/srv/odoo"),
    ("admin_passwd", "master", "master"),
    ("limit_time_real", "240", 240),
    ("limit_memory_hard", "2684354560", 2684354560),
    ("limit_request", "8192", 8192),
    ("db_maxconn", "32", 32),
])
def test_rc_options_are_read_with_their_type(tmp_path, key, text, expected):
    config = parse(["-c", write_rc(tmp_path / "odoo.conf", **{key: text})], environ={})
    name = standin_config.ALIASES.get(key, key)
    assert config[name] == expected


def test_command_line_wins_over_the_file(tmp_path):
    rc = write_rc(tmp_path / "odoo.conf", db_host="from-file", workers=2)
    config = parse(["-c", rc, "--db_host", "from-cli", "--workers=5", "-d", "tenant",
                    "--no-database-list"], environ={})
    assert (config["db_host"], config["workers"], config["db_name"], config["list_db"]) == \
        ("from-cli", 5, "tenant", False)


def test_init_and_stop_after_init_flags(tmp_path):
    config = parse(["-c", str(tmp_path / "none.conf"), "-d", "t", "-i", "base,web",
                    "--stop-after-init"], environ={})
    assert (config.init, config.stop_after_init) == (["base", "web"], True)


@pytest.mark.parametrize("key, text", [
    ("workers", "four"), ("http_port", "80.5"), ("list_db", "maybe"), ("db_port", "70000"),
    ("limit_time_cpu", "1m"),
])
def test_a_value_of_the_wrong_type_is_refused_naming_the_option(tmp_path, key, text):
    rc = write_rc(tmp_path / "odoo.conf", **{key: text})
    with pytest.raises(ConfigError, match=r"option %s .*%r" % (key, text)):
        parse(["-c", rc], environ={})


def test_an_unknown_command_line_option_is_refused(tmp_path):
    with pytest.raises(ConfigError, match="unrecognized arguments: --no-such-option"):
        parse(["-c", str(tmp_path / "none.conf"), "--no-such-option"], environ={})


def test_unknown_file_keys_are_kept_aside_not_fatal(tmp_path):
    config = parse(["-c", write_rc(tmp_path / "odoo.conf", my_addon_setting="x")], environ={})
    assert config.unknown_keys == ["my_addon_setting"]


def test_a_missing_database_password_is_refused(tmp_path):
    config = parse(["-c", write_rc(tmp_path / "odoo.conf", db_user="odoo")], environ={})
    with pytest.raises(ConfigError, match="no database password"):
        check(config)


def test_the_postgres_superuser_is_refused_like_the_real_server(tmp_path):
    rc = write_rc(tmp_path / "odoo.conf", db_user="postgres", db_password="x")
    with pytest.raises(ConfigError, match="'postgres' is a security risk"):
        check(parse(["-c", rc], environ={}))


def test_a_complete_configuration_passes_the_checks(tmp_path):
    rc = write_rc(tmp_path / "odoo.conf", db_user="odoo", db_password="x", workers=3)
    check(parse(["-c", rc], environ={}))  # raises on failure


def test_connect_kwargs_leave_out_unset_options(tmp_path):
    rc = write_rc(tmp_path / "odoo.conf", db_host="h", db_password="pw")
    kwargs = parse(["-c", rc], environ={}).db_connect_kwargs("tenant")
    assert {k: kwargs[k] for k in ("dbname", "host", "password")} == \
        {"dbname": "tenant", "host": "h", "password": "pw"}
    assert "port" not in kwargs and "user" not in kwargs
