"""Odoo's HTTP sessions in Redis, behind a Sentinel or not: the glue to Odoo 17.0 and 18.0.

Load it server-wide (``server_wide_modules = base,web,session_redis_sentinel``)
and set ``ODOO_SESSION_REDIS=1``: its ``post_load`` hook, which Odoo runs
when it imports a server-wide module (``load_openerp_module`` in
odoo/modules/module.py), replaces ``odoo.http.root.session_store``. Without
``ODOO_SESSION_REDIS`` nothing changes and Odoo keeps its files.

What is overridden, as odoo/http.py of 17.0 and 18.0 defines it:

- ``Application.session_store``, a ``lazy_property`` that builds a
  ``FilesystemSessionStore`` (odoo/http.py, itself a subclass of
  odoo/tools/_vendor/sessions.py's): the hook sets the attribute on the
  ``root`` instance, which wins over the lazy property;
- of that store: ``get``, ``save``, ``delete``, ``rotate(session, env)``
  (called by ``Request._save_session``), ``vacuum`` (called by
  ``ir.http._gc_sessions``; Redis expires keys itself), and 18.0's
  ``delete_from_identifiers`` and ``get_missing_session_identifiers`` (used by
  ``res.device``), which work on the first 42 characters of session ids.

``generate_key``, ``is_valid_key`` and ``new`` stay Odoo's own, so session ids
keep the running series' format (18.0: 84 URL-safe characters; 17.0: the
vendored werkzeug's) and every other part of Odoo sees the ids it expects.

Everything about Redis (the environment, the Sentinel, TLS, expirations,
JSON) is in ``core.py``, which imports no Odoo; the collection's test
stand-in runs that same file.
"""

import logging
import os

from odoo import http

from . import core

_logger = logging.getLogger(__name__)


class RedisSessionStore(http.FilesystemSessionStore):
    """Odoo's session store with ``core.RedisSessionStore`` in place of the files."""

    def __init__(self, redis_store, session_class=None, path=None):
        # renew_missing=True, as Application.session_store builds the file store.
        super().__init__(path, session_class=session_class, renew_missing=True)
        self.redis = redis_store

    def get(self, sid):
        if not self.is_valid_key(sid):
            return self.new()
        data = self.redis.get(sid)
        if data is None:
            return self.new()
        return self.session_class(data, sid, False)

    def save(self, session):
        self.redis.save(session.sid, dict(session), logged_in=bool(session.get("uid")))

    def delete(self, session):
        self.redis.delete(session.sid)

    def rotate(self, session, env):
        """A new id for the session, as FilesystemSessionStore.rotate (login, logout)."""
        from odoo.service import security  # noqa: PLC0415  (odoo.service imports odoo.http)

        old_sid = session.sid
        session.sid = self.generate_key()
        if session.get("uid") and env:
            session.session_token = security.compute_session_token(session, env)
        session.should_rotate = False
        self.redis.rotate(old_sid, dict(session), logged_in=bool(session.get("uid")),
                          new_sid=session.sid)

    def vacuum(self, *args, **kwargs):
        """Nothing to do: every key carries its TTL (ODOO_SESSION_REDIS_EXPIRATION*)."""

    def delete_from_identifiers(self, identifiers):
        self.redis.delete_identifiers(identifiers)

    def get_missing_session_identifiers(self, identifiers):
        return self.redis.missing_identifiers(identifiers)


def install(redis_store):
    """Make ``odoo.http.root`` store its sessions in ``redis_store``; return the new store."""
    session_dir = getattr(getattr(http, "config", None), "session_dir", None)
    store = RedisSessionStore(redis_store, session_class=http.Session, path=session_dir)
    http.root.session_store = store
    _logger.info("HTTP sessions stored in %s", redis_store.describe())
    return store


def post_load():
    """Server-wide hook named in __manifest__.py: install the store when asked to.

    A bad ODOO_SESSION_REDIS_* variable raises core.ConfigError, naming it;
    Odoo logs it as a failure to load this module.
    """
    if not core.enabled(os.environ):
        _logger.info("ODOO_SESSION_REDIS is not true: HTTP sessions stay in files")
        return
    install(core.store_from_env(os.environ))
