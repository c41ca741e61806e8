"""HTTP session stores: files under data_dir, or Redis through the shipped addon's core.

As with the real server, sessions go to Redis only when the addon
``session_redis_sentinel`` is loaded server-wide (found on the addons path
and named in ``server_wide_modules``) and ODOO_SESSION_REDIS is true; the
stand-in then runs the addon's own ``core.py`` (roles/odoo/files/addons/),
loaded by path, never as the addon package, whose ``__init__`` imports Odoo.
Otherwise sessions are files, whatever ODOO_SESSION_REDIS says.
"""

import hashlib
import importlib.util
import json
import logging
import os
import secrets
import sys
import tempfile

_logger = logging.getLogger(__name__)

DEFAULT_EXPIRATION = 7 * 24 * 3600  # seconds, authenticated sessions
SESSION_MODULE = "session_redis_sentinel"  # the addon that stores sessions in Redis


def new_sid():
    """A fresh session id: 84 URL-safe characters, as Odoo 18's (odoo/http.py)."""
    return secrets.token_urlsafe(63)


def _is_true(value):
    return str(value or "").strip().lower() in ("1", "true", "yes", "on")


class FileSessionStore:
    """One JSON file per session in <data_dir>/sessions/<2 first chars>/<sid>."""

    kind = "file"

    def __init__(self, path):
        self.path = path

    def _file(self, sid):
        if not sid or "/" in sid or sid.startswith("."):
            return None
        return os.path.join(self.path, sid[:2], sid)

    def get(self, sid):
        path = self._file(sid)
        if path is None:
            return None
        try:
            with open(path, encoding="utf-8") as handle:
                return json.load(handle)
        except (OSError, ValueError):
            return None

    def save(self, sid, data):
        path = self._file(sid)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".tmp-")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle)
        os.replace(tmp, path)

    def delete(self, sid):
        path = self._file(sid)
        if path:
            try:
                os.unlink(path)
            except FileNotFoundError:
                pass

    def describe(self):
        return "files in %s" % self.path


_cores = {}


def load_core(addon_dir):
    """The addon's core.py (no Odoo import), loaded once per file by its path."""
    path = os.path.realpath(os.path.join(addon_dir, "core.py"))
    if path not in _cores:
        name = "_session_core_%s" % hashlib.sha256(path.encode()).hexdigest()[:12]
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module  # dataclasses look their module up there
        try:
            spec.loader.exec_module(module)
        except BaseException:
            del sys.modules[name]
            raise
        _cores[path] = module
    return _cores[path]


def store_for(loaded_modules, environ, session_dir):
    """The session store of a server whose server-wide modules are ``loaded_modules``.

    ``loaded_modules`` maps module names to addon directories. With
    session_redis_sentinel among them and ODOO_SESSION_REDIS true, the addon
    core's Redis store (it has get/save/delete/describe, as server.py needs);
    otherwise files in ``session_dir``. A bad ODOO_SESSION_REDIS_* variable
    raises the core's ConfigError (a ValueError) naming it.
    """
    addon_dir = loaded_modules.get(SESSION_MODULE)
    if addon_dir:
        core = load_core(addon_dir)
        if core.enabled(environ):
            return core.store_from_env(environ)
    elif _is_true(environ.get("ODOO_SESSION_REDIS")):
        _logger.warning("ODOO_SESSION_REDIS is set but %s is not loaded server-wide: "
                        "HTTP sessions stay in files, as on the real server", SESSION_MODULE)
    return FileSessionStore(session_dir)
