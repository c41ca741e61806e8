"""The session store addon's Odoo-free core against real Redis and Sentinel on loopback.

Servers come from tests/services.py. TLS to a server runs against a real
TLS-only Redis (client certificate required); TLS to the Sentinel is checked
on the connection settings handed to redis-py.
"""

import datetime
import time

import pytest
import redis
from session_addon import load_core

core = load_core()


def _wait(condition, what, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    pytest.fail("timed out after %ss waiting for %s" % (timeout, what))


def _server_env(server, **extra):
    env = {"ODOO_SESSION_REDIS": "1", "ODOO_SESSION_REDIS_HOST": server.host,
           "ODOO_SESSION_REDIS_PORT": str(server.port)}
    env.update(extra)
    return env


@pytest.fixture
def direct(redis_server):
    """A store on the plain Redis server, and a raw client to look at its keys."""
    store = core.store_from_env(_server_env(redis_server, ODOO_SESSION_REDIS_PREFIX="core"))
    yield store, redis.Redis(host=redis_server.host, port=redis_server.port)
    store.close()


# -- keys, save, load, delete -------------------------------------------------------

def test_generated_keys_have_odoo_18_format():
    key = core.generate_key()
    assert len(key) == 84 and core.is_valid_key(key)
    assert key != core.generate_key()


@pytest.mark.parametrize("key", ["a" * 83, "a" * 85, "a" * 40, "a" * 83 + "/", "", None])
def test_other_keys_are_not_odoo_18_keys(key):
    assert not core.is_valid_key(key)


def test_save_load_delete(direct):
    store, client = direct
    sid = core.generate_key()
    data = {"uid": 2, "login": "admin", "context": {"lang": "en_US"}, "_trace": []}
    store.save(sid, data, logged_in=True)
    assert client.exists("session:core:%s" % sid) == 1
    assert store.get(sid) == data
    store.delete(sid)
    assert store.get(sid) is None
    assert client.exists("session:core:%s" % sid) == 0


@pytest.mark.parametrize("prefix, key", [(None, "session:abc"), ("tenant1", "session:tenant1:abc")])
def test_keys_with_and_without_prefix(redis_server, prefix, key):
    env = _server_env(redis_server)
    if prefix:
        env["ODOO_SESSION_REDIS_PREFIX"] = prefix
    store = core.store_from_env(env)
    store.save("abc", {"uid": 2})
    assert redis.Redis(host=redis_server.host, port=redis_server.port).exists(key) == 1
    store.delete("abc")


@pytest.mark.parametrize("sid", ["../x", "a:b", "a*", "", None, "x" * 129])
def test_unsafe_ids_are_never_looked_up(direct, sid):
    store, _client = direct
    assert store.get(sid) is None
    with pytest.raises(core.SessionStoreError, match="Cannot store a session"):
        store.save(sid, {"uid": 2})


def test_dates_survive_and_other_objects_are_refused(direct):
    """Odoo 17.0 copies session values with pickle, so a date may reach the store."""
    store, _client = direct
    sid = core.generate_key()
    data = {"when": datetime.datetime(2026, 12, 1, 4, 5, 6), "day": datetime.date(2026, 12, 1),
            "tags": {"b", "a"}}
    store.save(sid, data)
    assert store.get(sid) == {"when": datetime.datetime(2026, 12, 1, 4, 5, 6),
                              "day": datetime.date(2026, 12, 1), "tags": ["a", "b"]}
    with pytest.raises(core.SessionStoreError, match="'blob'"):
        store.save(sid, {"uid": 2, "blob": object()})


def test_unreadable_data_reads_as_no_session(direct):
    store, client = direct
    client.set("session:core:broken", b"not json")
    assert store.get("broken") is None


# -- rotation ---------------------------------------------------------------------------

def test_rotation_moves_the_data_to_a_new_valid_id(direct):
    store, client = direct
    old = core.generate_key()
    store.save(old, {"uid": None, "login": None})
    new = store.rotate(old, {"uid": 2, "login": "admin"}, logged_in=True)
    assert core.is_valid_key(new) and new != old
    assert store.get(old) is None and client.exists("session:core:%s" % old) == 0
    assert store.get(new) == {"uid": 2, "login": "admin"}
    assert store.ttl(new) > core.DEFAULT_EXPIRATION_ANONYMOUS


def test_rotation_to_a_given_id(direct):
    """The Odoo glue passes Odoo's own key (17.0's differ from 18.0's)."""
    store, _client = direct
    store.save("a" * 40, {"uid": 2})
    assert store.rotate("a" * 40, {"uid": 2}, new_sid="b" * 40) == "b" * 40
    assert store.get("b" * 40) == {"uid": 2} and store.get("a" * 40) is None


# -- expiry -------------------------------------------------------------------------------

def test_logged_in_and_anonymous_sessions_expire_differently(redis_server):
    store = core.store_from_env(_server_env(
        redis_server, ODOO_SESSION_REDIS_PREFIX="ttl", ODOO_SESSION_REDIS_EXPIRATION="5000",
        ODOO_SESSION_REDIS_EXPIRATION_ANONYMOUS="1"))
    client = redis.Redis(host=redis_server.host, port=redis_server.port)
    store.save("user", {"uid": 2})
    store.save("anon", {"uid": None})
    assert 4990 <= client.ttl("session:ttl:user") <= 5000
    assert client.pttl("session:ttl:anon") <= 1000
    _wait(lambda: client.exists("session:ttl:anon") == 0, "the anonymous session to expire",
          timeout=10)
    assert store.get("anon") is None and store.get("user") == {"uid": 2}


def test_a_save_starts_the_ttl_again(redis_server):
    store = core.store_from_env(_server_env(redis_server, ODOO_SESSION_REDIS_PREFIX="refresh",
                                            ODOO_SESSION_REDIS_EXPIRATION="5000"))
    client = redis.Redis(host=redis_server.host, port=redis_server.port)
    store.save("s", {"uid": 2})
    client.expire("session:refresh:s", 10)
    store.save("s", {"uid": 2, "debug": "1"})
    assert client.ttl("session:refresh:s") > 4990


def test_logged_in_defaults_to_the_uid(direct):
    store, _client = direct
    store.save("who", {"uid": 7})
    assert store.ttl("who") > core.DEFAULT_EXPIRATION_ANONYMOUS
    store.save("who", {"uid": False})
    assert store.ttl("who") <= core.DEFAULT_EXPIRATION_ANONYMOUS


# -- Odoo 18's device identifiers ---------------------------------------------------------

def test_identifiers_find_and_delete_sessions(direct):
    store, _client = direct
    kept, revoked = core.generate_key(), core.generate_key()
    for sid in (kept, revoked):
        store.save(sid, {"uid": 2})
    unknown = core.generate_key()[:core.IDENTIFIER_LENGTH]
    ids = [kept[:42], revoked[:42], unknown, "*", "short"]
    assert store.missing_identifiers(ids) == {unknown}
    assert store.delete_identifiers([revoked[:42], "*"]) == 1
    assert store.get(revoked) is None and store.get(kept) == {"uid": 2}


# -- configuration errors -----------------------------------------------------------------

@pytest.mark.parametrize("env, variable", [
    ({"ODOO_SESSION_REDIS_SENTINEL_HOST": "127.0.0.1"}, "ODOO_SESSION_REDIS_SENTINEL_MASTER_NAME"),
    ({"ODOO_SESSION_REDIS_USERNAME": "odoo"}, "ODOO_SESSION_REDIS_PASSWORD"),
    ({"ODOO_SESSION_REDIS_SENTINEL_USERNAME": "odoo"}, "ODOO_SESSION_REDIS_SENTINEL_PASSWORD"),
    ({"ODOO_SESSION_REDIS_EXPIRATION": "a week"}, "ODOO_SESSION_REDIS_EXPIRATION"),
    ({"ODOO_SESSION_REDIS_EXPIRATION_ANONYMOUS": "0"}, "ODOO_SESSION_REDIS_EXPIRATION_ANONYMOUS"),
    ({"ODOO_SESSION_REDIS_PORT": "6379x"}, "ODOO_SESSION_REDIS_PORT"),
    ({"ODOO_SESSION_REDIS_SENTINEL_HOST": "h", "ODOO_SESSION_REDIS_SENTINEL_MASTER_NAME": "m",
      "ODOO_SESSION_REDIS_SENTINEL_PORT": "70000"}, "ODOO_SESSION_REDIS_SENTINEL_PORT"),
    ({"ODOO_SESSION_REDIS_URL": "http://x"}, "ODOO_SESSION_REDIS_URL"),
    ({"ODOO_SESSION_REDIS_URL": "redis://x", "ODOO_SESSION_REDIS_SSL": "1"},
     "ODOO_SESSION_REDIS_SSL"),
    ({"ODOO_SESSION_REDIS_PREFIX": "a:b"}, "ODOO_SESSION_REDIS_PREFIX"),
    ({"ODOO_SESSION_REDIS_SSL": "maybe"}, "ODOO_SESSION_REDIS_SSL"),
    ({"ODOO_SESSION_REDIS_SSL_CA_CERTS": "/etc/hostname"}, "ODOO_SESSION_REDIS_SSL_CA_CERTS"),
    ({"ODOO_SESSION_REDIS_SSL": "1", "ODOO_SESSION_REDIS_SSL_CA_CERTS": "/nonexistent/ca.pem"},
     "ODOO_SESSION_REDIS_SSL_CA_CERTS"),
    ({"ODOO_SESSION_REDIS_SENTINEL_SSL": "1", "ODOO_SESSION_REDIS_SENTINEL_SSL_KEYFILE": "/k"},
     "ODOO_SESSION_REDIS_SENTINEL_SSL_CERTFILE"),
], ids=lambda value: value if isinstance(value, str) else None)
def test_a_bad_configuration_names_the_variable(env, variable):
    with pytest.raises(core.ConfigError, match=variable):
        core.store_from_env(dict(env, ODOO_SESSION_REDIS="1"))


def test_a_password_from_a_file(tmp_path):
    """ODOO_SESSION_REDIS_PASSWORD_FILE: the password stays out of the container's environment."""
    secret = tmp_path / "session-redis-password"
    secret.write_text("test-only-secret\n")
    settings = core.settings_from_env({"ODOO_SESSION_REDIS_USERNAME": "odoo",
                                       "ODOO_SESSION_REDIS_PASSWORD_FILE": str(secret),
                                       "ODOO_SESSION_REDIS_SENTINEL_HOST": "127.0.0.1",
                                       "ODOO_SESSION_REDIS_SENTINEL_MASTER_NAME": "odoo",
                                       "ODOO_SESSION_REDIS_SENTINEL_PASSWORD_FILE": str(secret)})
    assert (settings.username, settings.password) == ("odoo", "test-only-secret")
    assert settings.sentinel_password == "test-only-secret"


@pytest.mark.parametrize("content, env_value, message", [
    (None, None, "cannot be read"),
    ("", None, "is empty"),
    ("test-only-secret", "test-only-secret", "not both"),
])
def test_a_bad_password_file_names_the_variable(tmp_path, content, env_value, message):
    secret = tmp_path / "session-redis-password"
    if content is not None:
        secret.write_text(content)
    env = {"ODOO_SESSION_REDIS_USERNAME": "odoo", "ODOO_SESSION_REDIS_PASSWORD_FILE": str(secret)}
    if env_value is not None:
        env["ODOO_SESSION_REDIS_PASSWORD"] = env_value
    with pytest.raises(core.ConfigError, match="ODOO_SESSION_REDIS_PASSWORD.*" + message):
        core.settings_from_env(env)


def test_config_errors_are_value_errors():
    """The stand-in's cli.py refuses to start on a ValueError."""
    assert issubclass(core.ConfigError, ValueError)


@pytest.mark.parametrize("value, expected", [("1", True), ("TRUE", True), ("on", True),
                                             ("0", False), ("", False), ("off", False)])
def test_odoo_session_redis_switch(value, expected):
    assert core.enabled({"ODOO_SESSION_REDIS": value}) is expected
    assert core.enabled({}) is False


def test_description_never_shows_a_password():
    settings = core.settings_from_env({"ODOO_SESSION_REDIS_USERNAME": "odoo",
                                       "ODOO_SESSION_REDIS_PASSWORD": "test-only-secret"})
    assert "test-only-secret" not in repr(settings) + settings.describe()


# -- TLS: the keyword arguments handed to redis-py ----------------------------------------

@pytest.fixture
def pem_files(tmp_path):
    """Readable files where the TLS variables want them (not parsed before a connection)."""
    paths = {}
    for name in ("ca.pem", "client.pem", "client.key"):
        (tmp_path / name).write_text("test-only placeholder\n")
        paths[name] = str(tmp_path / name)
    return paths


def test_tls_to_the_servers_and_the_sentinel(pem_files):
    store = core.store_from_env({
        "ODOO_SESSION_REDIS": "1", "ODOO_SESSION_REDIS_SENTINEL_HOST": "127.0.0.1",
        "ODOO_SESSION_REDIS_SENTINEL_MASTER_NAME": "odoo",
        "ODOO_SESSION_REDIS_SSL": "1", "ODOO_SESSION_REDIS_SSL_CA_CERTS": pem_files["ca.pem"],
        "ODOO_SESSION_REDIS_SSL_CERTFILE": pem_files["client.pem"],
        "ODOO_SESSION_REDIS_SSL_KEYFILE": pem_files["client.key"],
        "ODOO_SESSION_REDIS_SENTINEL_SSL": "true",
        "ODOO_SESSION_REDIS_SENTINEL_SSL_CA_CERTS": pem_files["ca.pem"],
        "ODOO_SESSION_REDIS_SENTINEL_SSL_CHECK_HOSTNAME": "0"})
    server = store.settings.server_kwargs()
    assert {key: server[key] for key in ("ssl", "ssl_ca_certs", "ssl_certfile", "ssl_keyfile",
                                         "ssl_cert_reqs", "ssl_check_hostname")} == {
        "ssl": True, "ssl_ca_certs": pem_files["ca.pem"], "ssl_certfile": pem_files["client.pem"],
        "ssl_keyfile": pem_files["client.key"], "ssl_cert_reqs": "required",
        "ssl_check_hostname": True}
    sentinel_pool = store._target._sentinel.connection_pool
    assert sentinel_pool.connection_class is redis.SSLConnection
    assert sentinel_pool.connection_kwargs["ssl_ca_certs"] == pem_files["ca.pem"]
    assert sentinel_pool.connection_kwargs["ssl_check_hostname"] is False
    assert "over TLS" in store.describe()


def test_tls_without_sentinel_and_plain_sentinel(pem_files):
    store = core.store_from_env({
        "ODOO_SESSION_REDIS_HOST": "127.0.0.1", "ODOO_SESSION_REDIS_SSL": "1",
        "ODOO_SESSION_REDIS_SSL_CA_CERTS": pem_files["ca.pem"]})
    pool = store._target._client.connection_pool
    assert pool.connection_class is redis.SSLConnection
    assert pool.connection_kwargs["ssl_ca_certs"] == pem_files["ca.pem"]
    plain = core.store_from_env({"ODOO_SESSION_REDIS_SENTINEL_HOST": "127.0.0.1",
                                 "ODOO_SESSION_REDIS_SENTINEL_MASTER_NAME": "odoo"})
    assert plain._target._sentinel.connection_pool.connection_class is redis.Connection
    assert "ssl" not in plain.settings.server_kwargs()


def test_a_rediss_url_takes_the_tls_files(pem_files):
    store = core.store_from_env({
        "ODOO_SESSION_REDIS_URL": "rediss://127.0.0.1:6380/0",
        "ODOO_SESSION_REDIS_SSL_CA_CERTS": pem_files["ca.pem"]})
    pool = store._target._client.connection_pool
    assert pool.connection_class is redis.SSLConnection
    assert pool.connection_kwargs["ssl_ca_certs"] == pem_files["ca.pem"]


# -- Sentinel: failover in the middle of a session -----------------------------------------

def _sentinel_env(setup):
    return {"ODOO_SESSION_REDIS": "1", "ODOO_SESSION_REDIS_SENTINEL_HOST": setup.host,
            "ODOO_SESSION_REDIS_SENTINEL_PORT": str(setup.port),
            "ODOO_SESSION_REDIS_SENTINEL_MASTER_NAME": setup.master_name,
            "ODOO_SESSION_REDIS_PREFIX": "sentinel-test"}


def _master_address(setup):
    sentinel = redis.Redis(host=setup.host, port=setup.port, decode_responses=True)
    host, port = sentinel.sentinel_get_master_addr_by_name(setup.master_name)
    return host, int(port)


def _replica_ready(setup):
    sentinel = redis.Redis(host=setup.host, port=setup.port, decode_responses=True)
    replicas = sentinel.execute_command("SENTINEL", "REPLICAS", setup.master_name)
    for replica in replicas:
        fields = replica if isinstance(replica, dict) else dict(zip(replica[::2], replica[1::2]))
        if "s_down" not in fields["flags"] and fields.get("master-link-status") == "ok":
            return True
    return False


def test_a_session_survives_a_failover(redis_sentinel):
    store = core.store_from_env(_sentinel_env(redis_sentinel))
    before = _master_address(redis_sentinel)
    sid = core.generate_key()
    store.save(sid, {"uid": 2, "login": "admin"})
    redis.Redis(*before).wait(1, 5000)  # the replica has the session before the failover

    _wait(lambda: _replica_ready(redis_sentinel), "the Sentinel to see a healthy replica")
    sentinel = redis.Redis(host=redis_sentinel.host, port=redis_sentinel.port)
    sentinel.execute_command("SENTINEL", "FAILOVER", redis_sentinel.master_name)
    _wait(lambda: _master_address(redis_sentinel) != before, "the Sentinel to name a new master")
    after = _master_address(redis_sentinel)
    _wait(lambda: redis.Redis(*after).role()[0] in (b"master", "master"),
          "the new master to take the role")

    # The same store object: the session is still there, and the next
    # writes (a rotation at login) reach the new master.
    assert store.get(sid) == {"uid": 2, "login": "admin"}
    new_sid = store.rotate(sid, {"uid": 2, "login": "admin", "debug": "1"})
    assert redis.Redis(*after).exists("session:sentinel-test:%s" % new_sid) == 1
    assert store.get(sid) is None


class _FakeTarget:
    """A target whose first command fails as given; counts the failures it forgets."""

    def __init__(self, error):
        self.error = error
        self.forgotten = 0
        self.calls = []

    def client(self):
        return self, "Redis at test"

    def forget(self):
        self.forgotten += 1

    def get(self, key):
        self.calls.append(key)
        if len(self.calls) == 1:
            raise self.error
        return b'{"uid": 2}'


@pytest.mark.parametrize("error", [redis.ConnectionError("master moved"),
                                   redis.TimeoutError("timed out"),
                                   redis.exceptions.ReadOnlyError("READONLY replica")],
                         ids=["connection", "timeout", "readonly"])
def test_one_retry_after_a_connection_error_or_a_demoted_master(error):
    target = _FakeTarget(error)
    store = core.RedisSessionStore(target, core.Settings())
    assert store.get("x") == {"uid": 2}
    assert target.calls == ["session:x", "session:x"] and target.forgotten == 1


def test_no_second_retry():
    class Down(_FakeTarget):
        def get(self, key):
            self.calls.append(key)
            raise redis.ConnectionError("down")

    target = Down(None)
    with pytest.raises(redis.ConnectionError):
        core.RedisSessionStore(target, core.Settings()).get("x")
    assert len(target.calls) == 2


# -- ACL logins -------------------------------------------------------------------------------

def _acl_env(setup, **overrides):
    """The odoo role's environment: ACL user on the server, login to the Sentinel."""
    user, password = setup.app
    env = {"ODOO_SESSION_REDIS": "1", "ODOO_SESSION_REDIS_SENTINEL_HOST": setup.host,
           "ODOO_SESSION_REDIS_SENTINEL_PORT": str(setup.sentinel_port),
           "ODOO_SESSION_REDIS_SENTINEL_MASTER_NAME": setup.master_name,
           "ODOO_SESSION_REDIS_USERNAME": user, "ODOO_SESSION_REDIS_PASSWORD": password,
           "ODOO_SESSION_REDIS_SENTINEL_USERNAME": user,
           "ODOO_SESSION_REDIS_SENTINEL_PASSWORD": password}
    env.update(overrides)
    return env


def _admin_client(setup):
    user, password = setup.admin
    return redis.Redis(host=setup.host, port=setup.port, username=user, password=password)


def test_acl_user_through_an_authenticated_sentinel(redis_acl_sentinel):
    store = core.store_from_env(_acl_env(redis_acl_sentinel))
    store.save("acl", {"uid": 2, "login": "admin"})
    assert _admin_client(redis_acl_sentinel).exists("session:acl") == 1
    assert store.get("acl") == {"uid": 2, "login": "admin"}
    assert store.missing_identifiers(["a" * 42]) == {"a" * 42}  # SCAN is allowed
    store.delete("acl")
    assert _admin_client(redis_acl_sentinel).exists("session:acl") == 0


def test_acl_user_without_sentinel(redis_acl_sentinel):
    user, password = redis_acl_sentinel.app
    store = core.store_from_env({"ODOO_SESSION_REDIS_HOST": redis_acl_sentinel.host,
                                 "ODOO_SESSION_REDIS_PORT": str(redis_acl_sentinel.port),
                                 "ODOO_SESSION_REDIS_USERNAME": user,
                                 "ODOO_SESSION_REDIS_PASSWORD": password})
    store.save("direct", {"uid": 2})
    assert _admin_client(redis_acl_sentinel).exists("session:direct") == 1


@pytest.mark.parametrize("overrides, message", [
    pytest.param({"ODOO_SESSION_REDIS_PASSWORD": "wrong-password"},
                 "to Redis master 'odoo-sessions' at 127.0.0.1:[0-9]+ failed for user 'odoo'",
                 id="wrong-server-password"),
    pytest.param({"ODOO_SESSION_REDIS_USERNAME": ""},
                 "to Redis master .* failed for the default user", id="server-default-user"),
    pytest.param({"ODOO_SESSION_REDIS_SENTINEL_PASSWORD": "wrong-password"},
                 "to the Sentinel at 127.0.0.1:[0-9]+ failed for user 'odoo'",
                 id="wrong-sentinel-password"),
    pytest.param({"ODOO_SESSION_REDIS_SENTINEL_USERNAME": "",
                  "ODOO_SESSION_REDIS_SENTINEL_PASSWORD": ""},
                 "to the Sentinel at .* failed for the default user", id="sentinel-without-login"),
])
def test_a_refused_login_says_where_and_who(redis_acl_sentinel, overrides, message):
    env = _acl_env(redis_acl_sentinel, **overrides)
    store = core.store_from_env(env)
    with pytest.raises(core.AuthenticationFailed, match="Authentication " + message) as caught:
        store.save("refused", {"uid": 2})
    assert "wrong-password" not in str(caught.value)
    assert redis_acl_sentinel.app[1] not in str(caught.value)
    assert _admin_client(redis_acl_sentinel).exists("session:refused") == 0


def test_a_refused_login_without_sentinel(redis_acl_sentinel):
    store = core.store_from_env({"ODOO_SESSION_REDIS_HOST": redis_acl_sentinel.host,
                                 "ODOO_SESSION_REDIS_PORT": str(redis_acl_sentinel.port),
                                 "ODOO_SESSION_REDIS_USERNAME": "odoo",
                                 "ODOO_SESSION_REDIS_PASSWORD": "wrong-password"})
    with pytest.raises(core.AuthenticationFailed,
                       match="to Redis at 127.0.0.1:[0-9]+ failed for user 'odoo'"):
        store.get("x")


# -- TLS against a real server ------------------------------------------------------------------

def _tls_env(server, **extra):
    certfile, keyfile = server.client
    env = {"ODOO_SESSION_REDIS_HOST": server.host, "ODOO_SESSION_REDIS_PORT": str(server.port),
           "ODOO_SESSION_REDIS_SSL": "1", "ODOO_SESSION_REDIS_SSL_CA_CERTS": server.ca,
           "ODOO_SESSION_REDIS_SSL_CERTFILE": certfile, "ODOO_SESSION_REDIS_SSL_KEYFILE": keyfile,
           "ODOO_SESSION_REDIS_PREFIX": "tls"}
    env.update(extra)
    return env


def test_sessions_over_tls_with_a_client_certificate(redis_tls_server):
    store = core.store_from_env(_tls_env(redis_tls_server))
    sid = core.generate_key()
    store.save(sid, {"uid": 2})
    assert store.get(sid) == {"uid": 2}
    store.delete(sid)


def test_tls_by_rediss_url(redis_tls_server):
    env = _tls_env(redis_tls_server, ODOO_SESSION_REDIS_URL="rediss://localhost:%d/0"
                   % redis_tls_server.port)
    del env["ODOO_SESSION_REDIS_SSL"]
    store = core.store_from_env(env)
    store.save("url", {"uid": 2})
    assert store.get("url") == {"uid": 2}


def test_tls_refuses_a_server_the_ca_did_not_sign(redis_tls_server, tmp_path):
    other_ca = tmp_path / "other-ca.pem"
    other_ca.write_text(open(redis_tls_server.client[0]).read())  # a certificate, not the CA
    store = core.store_from_env(_tls_env(redis_tls_server,
                                         ODOO_SESSION_REDIS_SSL_CA_CERTS=str(other_ca)))
    with pytest.raises(redis.ConnectionError, match="(?i)certificate"):
        store.get("x")


def test_tls_without_a_client_certificate_is_refused(redis_tls_server):
    env = _tls_env(redis_tls_server)
    del env["ODOO_SESSION_REDIS_SSL_CERTFILE"], env["ODOO_SESSION_REDIS_SSL_KEYFILE"]
    store = core.store_from_env(env)
    with pytest.raises(redis.ConnectionError):
        store.get("x")
