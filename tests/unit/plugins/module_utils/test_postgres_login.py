"""Login options: one argument spec, one doc fragment, and the libpq keywords built from them."""

import pytest
import yaml

from ansible_collections.sysgenpro.odoo_hosting.plugins.doc_fragments.postgres_login import ModuleDocFragment
from ansible_collections.sysgenpro.odoo_hosting.plugins.module_utils import patroni
from ansible_collections.sysgenpro.odoo_hosting.plugins.module_utils import postgres_login as pl


def params(**overrides):
    values = dict((name, spec.get("default")) for name, spec in pl.postgres_login_argument_spec().items())
    values.update(overrides)
    return values


def test_doc_fragment_describes_the_argument_spec():
    documented = yaml.safe_load(ModuleDocFragment.DOCUMENTATION)["options"]
    spec = pl.postgres_login_argument_spec()
    assert sorted(documented) == sorted(spec)
    for name, option in spec.items():
        assert documented[name]["type"] == option["type"], name
        assert documented[name].get("default") == option.get("default"), name
        assert documented[name].get("choices") == option.get("choices"), name


def test_password_is_no_log_and_has_no_default():
    spec = pl.postgres_login_argument_spec()["login_password"]
    assert spec["no_log"] is True and "default" not in spec


def test_connection_kwargs_minimal():
    assert pl.connection_kwargs(params()) == dict(
        user="postgres", dbname="postgres", port=5432, sslmode="prefer", connect_timeout=10,
        application_name=pl.APPLICATION_NAME)


def test_connection_kwargs_full():
    kwargs = pl.connection_kwargs(params(login_host="db1", login_password="s3cret-test", ca_cert="/ca.pem",
                                         ssl_mode="verify-full"), dbname="acme")
    assert kwargs["host"] == "db1" and kwargs["password"] == "s3cret-test"
    assert kwargs["sslrootcert"] == "/ca.pem" and kwargs["sslmode"] == "verify-full"
    assert kwargs["dbname"] == "acme"


def test_libpq_environment_carries_the_password():
    env = pl.libpq_environment(params(login_host="db1", login_password="s3cret-test", ca_cert="/ca.pem"))
    assert env == dict(PGHOST="db1", PGPORT="5432", PGUSER="postgres", PGPASSWORD="s3cret-test",
                       PGSSLMODE="prefer", PGSSLROOTCERT="/ca.pem", PGCONNECT_TIMEOUT="10",
                       PGAPPNAME=pl.APPLICATION_NAME)


@pytest.mark.parametrize("host,label", [("db1", "db1:5432"), (None, "local socket:5432")])
def test_server_label(host, label):
    assert pl.server_label(params(login_host=host)) == label


@pytest.mark.parametrize("members,leader", [
    ([{"role": "leader", "state": "running", "host": "10.0.0.1", "port": 5432}], ("10.0.0.1", 5432)),
    ([{"role": "replica", "state": "streaming", "host": "10.0.0.2", "port": 5432},
      {"role": "leader", "state": "running", "host": "10.0.0.1", "port": "5433"}], ("10.0.0.1", 5433)),
    ([{"role": "leader", "state": "stopped", "host": "10.0.0.1", "port": 5432}], None),
    ([{"role": "standby_leader", "state": "running", "host": "10.0.0.1", "port": 5432}], None),
    ([{"role": "leader", "state": "running", "host": "10.0.0.1"}], None),
    ([], None),
])
def test_leader_from_cluster(members, leader):
    assert patroni.leader_from_cluster({"members": members}) == leader


def test_leader_from_cluster_without_members():
    assert patroni.leader_from_cluster({}) is None
