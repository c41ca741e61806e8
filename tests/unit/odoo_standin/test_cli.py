"""The stand-in's `odoo` command, run as a process as the image runs it."""

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request

import pytest

from odoo_standin import db

from services import free_port
from standin_helpers import ODOO_PASSWORD, ODOO_ROLE, STANDIN_SOURCE, dbname_for, write_rc


def odoo(args, env_extra=None, **popen):
    env = dict(os.environ, PYTHONPATH=STANDIN_SOURCE, ODOO_STANDIN_ALLOW_ROOT="1")
    env.pop("ODOO_SESSION_REDIS", None)
    env.update(env_extra or {})
    return [sys.executable, "-m", "odoo_standin", *args], env


def run(args, env_extra=None):
    cmd, env = odoo(args, env_extra)
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=60, check=False)


@pytest.fixture
def rc(tmp_path, odoo_role):
    return write_rc(tmp_path / "odoo.conf", db_host=odoo_role.host, db_port=odoo_role.port,
                    db_user=ODOO_ROLE, db_password=ODOO_PASSWORD,
                    data_dir=str(tmp_path / "data"), http_interface="127.0.0.1",
                    http_port=free_port(), gevent_port=free_port())


def test_init_base_and_stop(rc, make_config, request):
    name = dbname_for(request)
    result = run(["-c", rc, "-d", name, "-i", "base", "--stop-after-init"])
    assert result.returncode == 0, result.stdout + result.stderr
    assert db.installed_modules(make_config(), name) == ["base"]
    assert "Modules loaded in %s: base" % name in result.stdout  # logs go to stdout


def test_odoo_rc_environment_variable_names_the_file(rc, request):
    result = run(["-d", dbname_for(request), "-i", "base", "--stop-after-init"],
                 {"ODOO_RC": rc})
    assert result.returncode == 0 and ("configuration file at %s" % rc) in result.stdout


def test_missing_database_password_stops_with_a_clear_error(tmp_path):
    rc = write_rc(tmp_path / "odoo.conf", db_host="127.0.0.1", db_user="odoo")
    result = run(["-c", rc])
    assert result.returncode == 1
    assert "no database password is set" in result.stdout


def test_wrong_option_type_stops_with_a_clear_error(tmp_path):
    rc = write_rc(tmp_path / "odoo.conf", workers="many", db_password="x")
    result = run(["-c", rc])
    assert result.returncode == 2
    assert "Cannot read option workers" in result.stderr


def test_root_is_refused_without_the_test_override(tmp_path):
    if os.geteuid() != 0:
        pytest.skip("only meaningful as root")
    result = run(["-c", str(tmp_path / "none.conf")], {"ODOO_STANDIN_ALLOW_ROOT": "0"})
    assert result.returncode == 1 and "security risk" in result.stderr


def test_version():
    result = run(["--version"])
    assert result.returncode == 0 and result.stdout.startswith("Odoo Server 18.0")


def _get(url):
    with urllib.request.urlopen(url, timeout=5) as response:
        return response.status, response.read()


def test_sigterm_stops_gracefully(rc, tmp_path):
    http_port = free_port()
    cmd, env = odoo(["-c", rc, "--http-port", str(http_port)])
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                status, body = _get("http://127.0.0.1:%d/web/health" % http_port)
                break
            except OSError:
                assert proc.poll() is None and time.monotonic() < deadline, "never listened"
                time.sleep(0.1)
        assert (status, json.loads(body)) == (200, {"status": "pass"})
        proc.send_signal(signal.SIGTERM)
        output, _errors = proc.communicate(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0
    assert "Received SIGTERM, shutting down gracefully" in output
    assert output.rstrip().endswith("Stopped")
