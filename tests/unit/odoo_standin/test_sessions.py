"""The stand-in's session stores: files, or the shipped addon's core when it is loaded.

The Redis store itself (Sentinel failover, ACL logins, TLS, expiry) is tested
once, in tests/unit/session_redis/test_core.py; here only what the stand-in
adds: which store it picks, and that it runs the addon's own core.py.
"""

import os

import pytest
import redis

from odoo_standin.sessions import (FileSessionStore, load_core,
                                   new_sid, store_for)

from session_addon import ADDON_DIR, ADDON_NAME

LOADED = {ADDON_NAME: ADDON_DIR}


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


def test_session_ids_have_odoo_18_format():
    assert load_core(ADDON_DIR).is_valid_key(new_sid())


# -- finding the server-wide modules -------------------------------------------------

# -- choosing the store ------------------------------------------------------------------

def test_without_the_addon_sessions_go_to_files(tmp_path):
    """As the real server: ODOO_SESSION_REDIS alone does nothing."""
    store = store_for({}, {"ODOO_SESSION_REDIS": "1"}, str(tmp_path))
    assert (store.kind, store.path) == ("file", str(tmp_path))


def test_with_the_addon_and_without_odoo_session_redis_sessions_go_to_files(tmp_path):
    assert store_for(LOADED, {"ODOO_SESSION_REDIS": "0"}, str(tmp_path)).kind == "file"
    assert store_for(LOADED, {}, str(tmp_path)).kind == "file"


def test_the_addon_and_odoo_session_redis_give_the_core_store(redis_server):
    env = {"ODOO_SESSION_REDIS": "1", "ODOO_SESSION_REDIS_HOST": redis_server.host,
           "ODOO_SESSION_REDIS_PORT": str(redis_server.port),
           "ODOO_SESSION_REDIS_PREFIX": "standin", "ODOO_SESSION_REDIS_EXPIRATION": "5000"}
    store = store_for(LOADED, env, "/nonexistent")
    core = load_core(ADDON_DIR)
    assert isinstance(store, core.RedisSessionStore)
    assert core.__file__ == os.path.join(ADDON_DIR, "core.py")
    where = (redis_server.host, redis_server.port)
    assert store.describe() == "redis at %s:%s with prefix 'standin'" % where
    # What server.py calls: save(sid, data) decides the TTL from the uid.
    sid = new_sid()
    store.save(sid, {"uid": 2, "login": "admin"})
    client = redis.Redis(host=redis_server.host, port=redis_server.port)
    assert client.ttl("session:standin:%s" % sid) > 4990
    assert store.get(sid) == {"uid": 2, "login": "admin"}
    assert store.expiration == 5000
    store.delete(sid)
    assert store.get(sid) is None


def test_a_bad_variable_is_refused_naming_it():
    with pytest.raises(ValueError, match="ODOO_SESSION_REDIS_SENTINEL_MASTER_NAME"):
        store_for(LOADED, {"ODOO_SESSION_REDIS": "1",
                           "ODOO_SESSION_REDIS_SENTINEL_HOST": "127.0.0.1"}, "/nonexistent")
