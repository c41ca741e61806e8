"""odoo_tenant_db's main() up to the first connection: validation, the driver check, the leader."""

import json

import pytest
from ansible.module_utils.testing import patch_module_args

from ansible_collections.sysgenpro.odoo_hosting.plugins.modules import odoo_tenant_db


class ConnectCalled(Exception):
    pass


@pytest.fixture
def no_server(monkeypatch):
    """Any attempt to connect is a test failure: these paths must stop before."""
    def refuse(*args, **kwargs):
        raise ConnectCalled()
    monkeypatch.setattr(odoo_tenant_db, "connect", refuse)


def run(args, capsys):
    with patch_module_args(args):
        with pytest.raises(SystemExit):
            odoo_tenant_db.main()
    return json.loads(capsys.readouterr().out)


BASE = dict(name="acme", owner="odoo_acme", owner_password="owner-test-password", login_password="su-test-password")


@pytest.mark.parametrize("changes,message", [
    (dict(name='acme"; DROP DATABASE postgres; --'),
     "Cannot manage database 'acme\"; DROP DATABASE postgres; --': database name "),
    (dict(name="template0"), "Cannot manage database 'template0': database name 'template0' is reserved"),
    (dict(owner="postgres"), "Cannot manage database 'acme': role name 'postgres' is reserved"),
    (dict(extensions=["pg_trgm", "x;y"]), "Cannot manage database 'acme': extension name 'x;y' does not match"),
    (dict(encoding="UTF8'"), "Cannot manage database 'acme': encoding \"UTF8'\" does not match"),
    (dict(template="t\"x"), "Cannot manage database 'acme': template 't\"x' does not match"),
    (dict(connection_limit=-2), "Cannot manage database acme: connection_limit must be -1 (no limit) or more, not -2"),
    (dict(state="absent"), "Cannot drop database acme: state=absent needs force=true"),
    (dict(state="absent", force=True, drop_owner=True, owner=None),
     "Cannot drop the owner of database acme: drop_owner needs owner"),
])
def test_refused_before_connecting(changes, message, no_server, capsys):
    args = dict(BASE, **changes)
    args = dict((key, value) for key, value in args.items() if value is not None)
    result = run(args, capsys)
    assert result["failed"]
    assert result["msg"].startswith(message)


def test_owner_required_when_present(no_server, capsys):
    result = run(dict(name="acme"), capsys)
    assert result["failed"] and "state is present but all of the following are missing: owner" in result["msg"]


def test_secrets_are_not_returned(no_server, capsys):
    result = run(dict(BASE, name="template0"), capsys)
    text = json.dumps(result)
    assert "owner-test-password" not in text and "su-test-password" not in text


def test_missing_driver(monkeypatch, capsys):
    from ansible_collections.sysgenpro.odoo_hosting.plugins.module_utils import postgres_login
    monkeypatch.setattr(postgres_login, "HAS_PSYCOPG", False)
    monkeypatch.setattr(postgres_login, "PSYCOPG_IMPORT_ERROR", "ImportError: No module named 'psycopg'")
    result = run(BASE, capsys)
    assert result["failed"]
    assert result["msg"].startswith("Failed to import the required Python library (psycopg (psycopg 3, or psycopg2))")


def test_no_patroni_leader(monkeypatch, no_server, capsys):
    monkeypatch.setattr(odoo_tenant_db.patroni, "find_leader",
                        lambda urls, ca_path, timeout: (None, ["http://db1:8008/cluster: connection refused"]))
    result = run(dict(BASE, patroni_urls=["http://db1:8008"]), capsys)
    assert result["msg"] == "Cannot find the Patroni leader: http://db1:8008/cluster: connection refused"


def test_patroni_leader_replaces_login_host(monkeypatch, capsys):
    monkeypatch.setattr(odoo_tenant_db.patroni, "find_leader",
                        lambda urls, ca_path, timeout: (("10.0.0.7", 5433), []))
    seen = {}

    def fake_connect(module, params, dbname=None):
        seen.update(host=params["login_host"], port=params["login_port"])
        module.fail_json(msg="stop here")
    monkeypatch.setattr(odoo_tenant_db, "connect", fake_connect)
    run(dict(BASE, login_host="ignored", patroni_urls=["http://db1:8008"]), capsys)
    assert seen == dict(host="10.0.0.7", port=5433)
