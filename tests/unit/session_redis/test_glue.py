"""The addon's Odoo glue: its files parse, its manifest is what Odoo reads, and
it replaces the session store of a minimal fake ``odoo`` package.

The fake mirrors the parts of odoo/http.py (18.0) the glue relies on:
``Application.session_store`` as a lazy property building a
``FilesystemSessionStore(path, session_class=Session, renew_missing=True)``,
the store's ``generate_key``/``is_valid_key``/``new``, and ``Session``, a
MutableMapping with attribute access that copies values through JSON.
"""

import ast
import base64
import collections.abc
import hashlib
import importlib.util
import json
import os
import re
import sys
import time
import types

import pytest
import redis
from session_addon import ADDON_DIR, load_core

MANIFEST = os.path.join(ADDON_DIR, "__manifest__.py")
INIT = os.path.join(ADDON_DIR, "__init__.py")


def test_init_parses_and_names_what_it_overrides():
    with open(INIT, encoding="utf-8") as handle:
        tree = ast.parse(handle.read())
    doc = ast.get_docstring(tree)
    for words in ("17.0", "18.0", "odoo/http.py", "odoo/tools/_vendor/sessions.py",
                  "session_store", "post_load"):
        assert words in doc


def test_core_imports_no_odoo():
    with open(os.path.join(ADDON_DIR, "core.py"), encoding="utf-8") as handle:
        tree = ast.parse(handle.read())
    imported = {alias.name.split(".")[0] for node in ast.walk(tree)
                if isinstance(node, ast.Import) for alias in node.names}
    imported |= {node.module.split(".")[0] for node in ast.walk(tree)
                 if isinstance(node, ast.ImportFrom) and node.module}
    assert "odoo" not in imported
    assert imported - {"redis"} <= set(sys.stdlib_module_names)


def test_manifest_is_a_literal_dict_odoo_can_load():
    with open(MANIFEST, encoding="utf-8") as handle:
        manifest = ast.literal_eval(handle.read())
    assert manifest["license"] == "LGPL-3"
    assert manifest["depends"] == ["base", "web"]
    assert manifest["installable"] is True and manifest["auto_install"] is False
    assert manifest["post_load"] == "post_load"
    # Without a series prefix Odoo adds its own: one tree for 17.0 and 18.0.
    assert re.match(r"^\d+\.\d+\.\d+$", manifest["version"])
    assert not manifest["version"].startswith(("17.0", "18.0"))


# -- a fake odoo, as small as the glue needs ------------------------------------------

_KEY_RE = re.compile(r"^[A-Za-z0-9_-]{84}$")


class _lazy_property:
    """odoo.tools.func.lazy_property: computed once, then an instance attribute."""

    def __init__(self, fget):
        self.fget = fget

    def __get__(self, obj, cls):
        if obj is None:
            return self
        value = self.fget(obj)
        setattr(obj, self.fget.__name__, value)
        return value


class FakeFilesystemSessionStore:
    """The signatures of odoo.http.FilesystemSessionStore (18.0) the glue inherits."""

    def __init__(self, path=None, filename_template="werkzeug_%s.sess", session_class=None,
                 renew_missing=False, mode=0o644):
        self.path = path
        self.session_class = session_class
        self.renew_missing = renew_missing

    def generate_key(self, salt=None):
        digest = hashlib.sha512(str(time.time()).encode() + os.urandom(64)).digest()[:-1]
        return base64.urlsafe_b64encode(digest).decode()

    def is_valid_key(self, key):
        return _KEY_RE.match(key) is not None

    def new(self):
        return self.session_class({}, self.generate_key(), True)

    def save(self, session):
        raise AssertionError("the file store must not be used")

    get = delete = save


class FakeSession(collections.abc.MutableMapping):
    """odoo.http.Session of 18.0: slots, attribute access, values copied through JSON."""

    __slots__ = ("can_save", "_FakeSession__data", "is_dirty", "is_new", "should_rotate", "sid")

    def __init__(self, data, sid, new=False):
        self.can_save = True
        self.__data = {}
        self.update(data)
        self.is_dirty = False
        self.is_new = new
        self.should_rotate = False
        self.sid = sid

    def __getitem__(self, item):
        return self.__data[item]

    def __setitem__(self, item, value):
        self.__data[item] = json.loads(json.dumps(value))
        self.is_dirty = True

    def __delitem__(self, item):
        del self.__data[item]

    def __len__(self):
        return len(self.__data)

    def __iter__(self):
        return iter(self.__data)

    def __getattr__(self, attr):
        return self.get(attr, None)

    def __setattr__(self, key, val):
        if key in self.__slots__:
            super().__setattr__(key, val)
        else:
            self[key] = val


@pytest.fixture
def fake_odoo(monkeypatch, tmp_path):
    """sys.modules with odoo, odoo.http, odoo.service.security and odoo.addons."""
    odoo = types.ModuleType("odoo")
    odoo.__path__ = []
    http = types.ModuleType("odoo.http")
    http.FilesystemSessionStore = FakeFilesystemSessionStore
    http.Session = FakeSession
    http.config = types.SimpleNamespace(session_dir=str(tmp_path / "sessions"))

    class Application:
        @_lazy_property
        def session_store(self):
            return FakeFilesystemSessionStore(http.config.session_dir, session_class=FakeSession,
                                              renew_missing=True)

    http.Application = Application
    http.root = Application()
    service = types.ModuleType("odoo.service")
    service.__path__ = []
    security = types.ModuleType("odoo.service.security")
    security.compute_session_token = lambda session, env: "token-of-%s" % session.sid[:8]
    service.security = security
    addons = types.ModuleType("odoo.addons")
    addons.__path__ = []
    odoo.http, odoo.service, odoo.addons = http, service, addons
    for name, module in (("odoo", odoo), ("odoo.http", http), ("odoo.service", service),
                         ("odoo.service.security", security), ("odoo.addons", addons)):
        monkeypatch.setitem(sys.modules, name, module)
    return http


@pytest.fixture
def glue(fake_odoo, monkeypatch):
    """The addon package, imported as Odoo imports it: odoo.addons.session_redis_sentinel."""
    name = "odoo.addons.session_redis_sentinel"
    spec = importlib.util.spec_from_file_location(name, INIT,
                                                  submodule_search_locations=[ADDON_DIR])
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, name, module)
    spec.loader.exec_module(module)
    yield module
    sys.modules.pop(name + ".core", None)


def _clear_env(monkeypatch):
    for name in list(os.environ):
        if name.startswith("ODOO_SESSION_REDIS"):
            monkeypatch.delenv(name)


def test_without_odoo_session_redis_odoo_keeps_its_files(glue, fake_odoo, monkeypatch):
    _clear_env(monkeypatch)
    glue.post_load()
    assert type(fake_odoo.root.session_store) is FakeFilesystemSessionStore  # pylint: disable=unidiomatic-typecheck


def test_a_bad_variable_stops_the_hook(glue, monkeypatch):
    _clear_env(monkeypatch)
    monkeypatch.setenv("ODOO_SESSION_REDIS", "1")
    monkeypatch.setenv("ODOO_SESSION_REDIS_SENTINEL_HOST", "127.0.0.1")
    with pytest.raises(ValueError, match="ODOO_SESSION_REDIS_SENTINEL_MASTER_NAME"):
        glue.post_load()


def test_after_post_load_sessions_round_trip_through_redis(glue, fake_odoo, monkeypatch,
                                                           redis_server):
    _clear_env(monkeypatch)
    for name, value in (("", "1"), ("_HOST", redis_server.host),
                        ("_PORT", str(redis_server.port)), ("_PREFIX", "glue")):
        monkeypatch.setenv("ODOO_SESSION_REDIS" + name, value)
    glue.post_load()
    store = fake_odoo.root.session_store
    assert isinstance(store, glue.RedisSessionStore)
    assert isinstance(store.redis, glue.core.RedisSessionStore)
    client = redis.Redis(host=redis_server.host, port=redis_server.port)

    session = store.new()
    session.update({"db": "tenant", "uid": None, "context": {"lang": "en_US"}})
    store.save(session)
    assert client.ttl("session:glue:%s" % session.sid) <= load_core().DEFAULT_EXPIRATION_ANONYMOUS
    loaded = store.get(session.sid)
    assert (type(loaded), loaded.sid, dict(loaded), loaded.is_new) == (
        FakeSession, session.sid, dict(session), False)

    # Login: Odoo sets uid and should_rotate, then Request._save_session rotates.
    old_sid = session.sid
    session.uid = 2
    session.should_rotate = True
    store.rotate(session, env=object())
    assert session.sid != old_sid and store.is_valid_key(session.sid)
    assert session.should_rotate is False and session.session_token.startswith("token-of-")
    assert client.exists("session:glue:%s" % old_sid) == 0
    assert store.get(session.sid).uid == 2
    assert client.ttl("session:glue:%s" % session.sid) > load_core().DEFAULT_EXPIRATION_ANONYMOUS

    # Odoo 18's devices work on 42-character identifiers.
    identifier = session.sid[:42]
    assert store.get_missing_session_identifiers([identifier]) == set()
    store.delete_from_identifiers([identifier])
    assert store.get_missing_session_identifiers([identifier]) == {identifier}

    # Unknown or malformed ids give a new session, as with renew_missing.
    for sid in (session.sid, "not-a-key"):
        fresh = store.get(sid)
        assert fresh.is_new and fresh.sid != sid and dict(fresh) == {}
    store.vacuum(max_lifetime=60)  # ir.http._gc_sessions (18.0) passes max_lifetime
    store.vacuum()  # 17.0 passes nothing
    store.delete(session)
