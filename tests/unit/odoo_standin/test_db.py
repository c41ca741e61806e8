"""`-i base` and the test write endpoint's SQL, against a real PostgreSQL."""

import pytest

from odoo_standin import db
from odoo_standin.cli import initialize

from standin_helpers import dbname_for


def test_init_creates_the_database_and_installs_base(make_config, request):
    name = dbname_for(request)
    config = make_config(["-d", name, "-i", "base"])
    assert not db.database_exists(config, name)
    initialize(config)
    assert db.database_exists(config, name)
    assert db.installed_modules(config, name) == ["base"]


def test_init_is_idempotent_and_adds_asked_modules(make_config, request):
    name = dbname_for(request)
    initialize(make_config(["-d", name, "-i", "base"]))
    config = make_config(["-d", name, "-i", "web"])
    initialize(config)
    assert db.installed_modules(config, name) == ["base", "web"]


def test_rows_get_increasing_ids_and_are_counted(make_config, request):
    name = dbname_for(request)
    config = make_config(["-d", name, "-i", "base"])
    initialize(config)
    ids = [db.insert_row(config, name, "row %d" % i, "test") for i in range(3)]
    assert ids == sorted(ids) and len(set(ids)) == 3
    assert db.count_rows(config, name) == 3


def test_a_database_without_base_is_reported_not_initialized(make_config, request):
    name = dbname_for(request)
    config = make_config()
    db.create_database(config, name)
    with pytest.raises(db.NotInitialized):
        db.insert_row(config, name, "x", "test")
    with pytest.raises(db.NotInitialized):
        db.count_rows(config, name)


def test_database_list_holds_the_users_databases_only(make_config, request):
    name = dbname_for(request)
    config = make_config()
    db.create_database(config, name)
    listed = db.list_databases(config)
    assert name in listed
    assert not {"postgres", "template0", "template1"} & set(listed)


@pytest.mark.parametrize("dbfilter, host, expected", [
    ("", "erp.example.com", ["acme", "erp", "www"]),
    ("^%d$", "erp.example.com", ["erp"]),
    ("^%d$", "www.acme.example.com", ["acme"]),
    ("^%h$", "erp:8069", ["erp"]),
    ("^ac", "anything", ["acme"]),
    ("^none$", "erp", []),
])
def test_dbfilter_like_the_real_server(dbfilter, host, expected):
    assert db.filter_databases(["acme", "erp", "www"], dbfilter, host) == expected


def test_server_answers_is_false_when_nothing_listens(make_config):
    from services import free_port
    config = make_config(db_port=free_port())
    assert db.server_answers(config) is False
    assert db.server_answers(make_config()) is True
