"""Session stores: files, Redis with the session_redis variables, Sentinel failover."""

import time

import pytest
import redis

from odoo_standin.sessions import FileSessionStore, RedisSessionStore, new_sid, store_from_env


def test_file_store_round_trip_and_delete(tmp_path):
    store = FileSessionStore(str(tmp_path / "sessions"))
    sid = new_sid()
    store.save(sid, {"uid": 2, "login": "admin"})
    assert store.get(sid) == {"uid": 2, "login": "admin"}
    store.delete(sid)
    assert store.get(sid) is None


@pytest.mark.parametrize("sid", ["", "../etc/passwd", ".hidden", None])
def test_file_store_ignores_unsafe_ids(tmp_path, sid):
    assert FileSessionStore(str(tmp_path)).get(sid) is None


def test_without_odoo_session_redis_sessions_go_to_files(tmp_path):
    store = store_from_env({"ODOO_SESSION_REDIS": "0"}, str(tmp_path))
    assert store.kind == "file"


@pytest.mark.parametrize("prefix, key", [(None, "session:abc"), ("tenant1", "session:tenant1:abc")])
def test_redis_keys_follow_the_addon(redis_server, prefix, key):
    env = {"ODOO_SESSION_REDIS": "1", "ODOO_SESSION_REDIS_HOST": redis_server.host,
           "ODOO_SESSION_REDIS_PORT": str(redis_server.port)}
    if prefix:
        env["ODOO_SESSION_REDIS_PREFIX"] = prefix
    store = store_from_env(env, "/nonexistent")
    store.save("abc", {"uid": 2})
    client = redis.Redis(host=redis_server.host, port=redis_server.port)
    assert client.exists(key) == 1
    assert store.get("abc") == {"uid": 2}
    store.delete("abc")
    assert client.exists(key) == 0


def test_redis_expiration_differs_for_anonymous_sessions(redis_server):
    env = {"ODOO_SESSION_REDIS": "true", "ODOO_SESSION_REDIS_HOST": redis_server.host,
           "ODOO_SESSION_REDIS_PORT": str(redis_server.port),
           "ODOO_SESSION_REDIS_PREFIX": "ttl", "ODOO_SESSION_REDIS_EXPIRATION": "5000",
           "ODOO_SESSION_REDIS_EXPIRATION_ANONYMOUS": "50"}
    store = store_from_env(env, "/nonexistent")
    store.save("user", {"uid": 2})
    store.save("anon", {"uid": None})
    client = redis.Redis(host=redis_server.host, port=redis_server.port)
    assert 4990 <= client.ttl("session:ttl:user") <= 5000
    assert 40 <= client.ttl("session:ttl:anon") <= 50


def test_sentinel_needs_a_master_name():
    with pytest.raises(ValueError, match="SENTINEL_MASTER_NAME"):
        store_from_env({"ODOO_SESSION_REDIS": "1",
                        "ODOO_SESSION_REDIS_SENTINEL_HOST": "127.0.0.1"}, "/nonexistent")


def _sentinel_env(setup):
    return {"ODOO_SESSION_REDIS": "1", "ODOO_SESSION_REDIS_SENTINEL_HOST": setup.host,
            "ODOO_SESSION_REDIS_SENTINEL_PORT": str(setup.port),
            "ODOO_SESSION_REDIS_SENTINEL_MASTER_NAME": setup.master_name,
            "ODOO_SESSION_REDIS_PREFIX": "sentinel-test"}


def _master_address(setup):
    sentinel = redis.Redis(host=setup.host, port=setup.port, decode_responses=True)
    host, port = sentinel.sentinel_get_master_addr_by_name(setup.master_name)
    return host, int(port)


def _wait(condition, what, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    pytest.fail("timed out after %ss waiting for %s" % (timeout, what))


def _replica_ready(setup):
    sentinel = redis.Redis(host=setup.host, port=setup.port, decode_responses=True)
    replicas = sentinel.execute_command("SENTINEL", "REPLICAS", setup.master_name)
    for replica in replicas:
        fields = replica if isinstance(replica, dict) else dict(zip(replica[::2], replica[1::2]))
        if "s_down" not in fields["flags"] and fields.get("master-link-status") == "ok":
            return True
    return False


def test_sentinel_store_follows_the_master_after_a_failover(redis_sentinel):
    store = store_from_env(_sentinel_env(redis_sentinel), "/nonexistent")
    assert store.kind == "redis"
    before = _master_address(redis_sentinel)
    store.save("before", {"uid": 2, "login": "admin"})
    master = redis.Redis(*before)
    master.wait(1, 5000)  # the replica has the session before the failover

    _wait(lambda: _replica_ready(redis_sentinel), "the Sentinel to see a healthy replica")
    sentinel = redis.Redis(host=redis_sentinel.host, port=redis_sentinel.port)
    sentinel.execute_command("SENTINEL", "FAILOVER", redis_sentinel.master_name)
    _wait(lambda: _master_address(redis_sentinel) != before, "the Sentinel to name a new master")
    after = _master_address(redis_sentinel)
    _wait(lambda: redis.Redis(*after).role()[0] in (b"master", "master"),
          "the new master to take the role")

    # Same store object: its next commands must reach the new master.
    assert store.get("before") == {"uid": 2, "login": "admin"}
    store.save("after", {"uid": 2, "login": "admin"})
    assert redis.Redis(*after).exists("session:sentinel-test:after") == 1


def test_retry_happens_once_on_a_connection_error():
    calls = []

    class Flaky:
        def get(self, key):
            calls.append(key)
            if len(calls) == 1:
                raise redis.ConnectionError("master moved")
            return b'{"uid": 2}'

    store = RedisSessionStore(Flaky(), retry_errors=(redis.ConnectionError,))
    assert store.get("x") == {"uid": 2}
    assert calls == ["session:x", "session:x"]


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


def test_acl_user_through_an_authenticated_sentinel_stores_sessions(redis_acl_sentinel):
    store = store_from_env(_acl_env(redis_acl_sentinel), "/nonexistent")
    store.save("acl", {"uid": 2, "login": "admin"})
    assert _admin_client(redis_acl_sentinel).exists("session:acl") == 1
    assert store.get("acl") == {"uid": 2, "login": "admin"}
    store.delete("acl")
    assert _admin_client(redis_acl_sentinel).exists("session:acl") == 0


def test_acl_user_without_sentinel_stores_sessions(redis_acl_sentinel):
    user, password = redis_acl_sentinel.app
    store = store_from_env({"ODOO_SESSION_REDIS": "1",
                            "ODOO_SESSION_REDIS_HOST": redis_acl_sentinel.host,
                            "ODOO_SESSION_REDIS_PORT": str(redis_acl_sentinel.port),
                            "ODOO_SESSION_REDIS_USERNAME": user,
                            "ODOO_SESSION_REDIS_PASSWORD": password}, "/nonexistent")
    store.save("direct", {"uid": 2})
    assert _admin_client(redis_acl_sentinel).exists("session:direct") == 1


@pytest.mark.parametrize("overrides", [
    pytest.param({"ODOO_SESSION_REDIS_PASSWORD": "wrong-password"}, id="wrong-server-password"),
    pytest.param({"ODOO_SESSION_REDIS_USERNAME": ""}, id="server-default-user"),
    pytest.param({"ODOO_SESSION_REDIS_SENTINEL_PASSWORD": "wrong-password"},
                 id="wrong-sentinel-password"),
    pytest.param({"ODOO_SESSION_REDIS_SENTINEL_USERNAME": "",
                  "ODOO_SESSION_REDIS_SENTINEL_PASSWORD": ""}, id="sentinel-without-login"),
])
def test_a_wrong_login_is_refused(redis_acl_sentinel, overrides):
    store = store_from_env(_acl_env(redis_acl_sentinel, **overrides), "/nonexistent")
    with pytest.raises((redis.AuthenticationError, redis.ResponseError)):
        store.save("refused", {"uid": 2})
    assert _admin_client(redis_acl_sentinel).exists("session:refused") == 0


@pytest.mark.parametrize("name", ["ODOO_SESSION_REDIS_PASSWORD",
                                  "ODOO_SESSION_REDIS_SENTINEL_PASSWORD"])
def test_a_user_name_needs_its_password(redis_acl_sentinel, name):
    with pytest.raises(ValueError, match=name):
        store_from_env(_acl_env(redis_acl_sentinel, **{name: ""}), "/nonexistent")
