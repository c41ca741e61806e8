"""Addons and server-wide modules (CONTRACT.md, "Server-wide modules and addons").

A server-wide module that cannot be found is logged as Odoo 18.0 logs it, the
server starts, /web/health stays 200, and every page that renders asset
bundles answers 500.
"""

import logging
import os
import subprocess
import sys
import urllib.parse

import pytest

from odoo_standin import modules
from odoo_standin.cli import initialize

from standin_helpers import STANDIN_SOURCE, dbname_for
from test_http import http_call


def login_form(password):
    return (urllib.parse.urlencode({"login": "admin", "password": password}),
            {"Content-Type": "application/x-www-form-urlencoded"})


def make_addon(root, name):
    os.makedirs(os.path.join(root, name))
    with open(os.path.join(root, name, "__manifest__.py"), "w") as handle:
        handle.write("{'name': %r, 'version': '1.0', 'license': 'LGPL-3'}\n" % name)
    return os.path.join(str(root), name)


def test_the_image_ships_base_web_and_a_few_standard_addons():
    root = modules.builtin_root()
    for name in ("base", "web", "bus", "mail"):
        assert os.path.isfile(os.path.join(root, name, "__manifest__.py")), name
        assert os.path.isfile(os.path.join(root, name, "__init__.py")), name


def test_base_and_web_are_always_loaded(make_config, caplog):
    caplog.set_level(logging.INFO)
    loaded = modules.load_server_wide_modules(make_config(server_wide_modules=""))
    assert sorted(loaded.found) == ["base", "web"] and loaded.missing == []
    assert not loaded.assets_broken
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_a_module_is_a_directory_with_a_manifest_in_addons_path(make_config, tmp_path):
    first, second = tmp_path / "first", tmp_path / "second"
    wanted = make_addon(first, "session_redis")
    make_addon(second, "session_redis")  # the first entry of addons_path wins
    os.makedirs(second / "no_manifest")
    config = make_config(addons_path="%s, %s" % (first, second),
                         server_wide_modules="base,web,session_redis,no_manifest")
    loaded = modules.load_server_wide_modules(config)
    assert loaded.found["session_redis"] == wanted
    assert loaded.found["base"] == os.path.join(modules.builtin_root(), "base")
    assert loaded.missing == ["no_manifest"]


def test_a_missing_module_is_logged_as_odoo_18_logs_it(make_config, caplog):
    loaded = modules.load_server_wide_modules(
        make_config(server_wide_modules="base,web,session_redis"))
    assert loaded.missing == ["session_redis"] and loaded.assets_broken
    critical, error = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert (critical.levelname, critical.name, critical.getMessage()) == (
        "CRITICAL", "odoo.modules.module", "Couldn't load module session_redis")
    assert (error.levelname, error.name, error.getMessage()) == (
        "ERROR", "odoo.service.server", "Failed to load server-wide module `session_redis`.")
    assert error.exc_info[0] is ModuleNotFoundError
    assert "No module named 'odoo.addons.session_redis'" in str(error.exc_info[1])


def test_a_missing_web_module_gets_odoo_s_hint(make_config, tmp_path, caplog):
    empty = tmp_path / "empty"
    os.makedirs(empty)
    saved = modules.BUILTIN_CANDIDATES
    modules.BUILTIN_CANDIDATES = (str(empty),)
    try:
        modules.load_server_wide_modules(make_config())
    finally:
        modules.BUILTIN_CANDIDATES = saved
    messages = [r.getMessage() for r in caplog.records if r.name == "odoo.service.server"]
    assert messages[1].startswith("Failed to load server-wide module `web`.\n")
    assert "Maybe you forgot to add those addons in your addons_path" in messages[1]


@pytest.fixture
def broken(make_config, serve, request):
    """A stand-in on an initialised database whose server_wide_modules name a missing module."""
    config = make_config(["-d", dbname_for(request), "-i", "base"],
                         server_wide_modules="base,web,session_redis")
    initialize(config)
    running = serve(config)
    running.app.modules = modules.load_server_wide_modules(config)
    return running


def test_without_the_module_pages_with_assets_answer_500(broken):
    port = broken.http_port
    assert http_call(port, "GET", "/web/health")[0] == 200
    assert http_call(port, "GET", "/web/login")[0] == 500
    assert http_call(port, "POST", "/web/login", *login_form("wrong"))[0] == 500  # re-rendered
    status, headers, _body = http_call(port, "POST", "/web/login", *login_form("admin"))
    assert status == 303  # a good login redirects without rendering
    cookie = {"Cookie": headers["Set-Cookie"].split(";")[0]}
    assert http_call(port, "GET", "/odoo", headers=cookie)[0] == 500
    assert http_call(port, "GET", "/", headers=cookie)[0] == 303
    status, _headers, body = http_call(port, "POST", "/web/session/get_session_info", "{}",
                                       dict(cookie, **{"Content-Type": "application/json"}))
    assert status == 200 and b'"uid": 2' in body


def test_with_every_module_found_the_login_page_renders(tenant_standin):
    assert http_call(tenant_standin.http_port, "GET", "/web/login")[0] == 200


@pytest.fixture
def tenant_standin(make_config, serve, request):
    config = make_config(["-d", dbname_for(request), "-i", "base"])
    initialize(config)
    running = serve(config)
    running.app.modules = modules.load_server_wide_modules(config)
    return running


def test_the_command_logs_the_missing_module_in_odoo_s_format(make_config, request):
    config = make_config(["-d", dbname_for(request)])
    env = dict(os.environ, PYTHONPATH=STANDIN_SOURCE, ODOO_STANDIN_ALLOW_ROOT="1")
    result = subprocess.run(
        [sys.executable, "-m", "odoo_standin", "-c", config.rc_path, "-d", config["db_name"],
         "-i", "base", "--stop-after-init", "--load", "base,web,session_redis"],
        env=env, capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert any(line.endswith(" CRITICAL ? odoo.modules.module: Couldn't load module "
                             "session_redis") for line in lines), result.stdout
    assert any(line.endswith(" ERROR ? odoo.service.server: Failed to load server-wide module "
                             "`session_redis`.") for line in lines), result.stdout
    assert "ModuleNotFoundError: No module named 'odoo.addons.session_redis'" in result.stdout
