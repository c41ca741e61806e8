"""Odoo's HTTP sessions in Redis, behind a Sentinel or not: the part without Odoo.

Only the standard library and redis-py (4.3 and later) are imported here, so
the same file serves the addon's glue (``__init__.py``, which imports Odoo)
and the test stand-in (images/odoo-standin), which loads this file by path.

- ``settings_from_env(environ)`` reads the ``ODOO_SESSION_REDIS_*`` variables
  and refuses a bad combination with a ``ConfigError`` that names the
  variable;
- ``store_from_env(environ)`` builds a ``RedisSessionStore`` from them;
- ``RedisSessionStore`` keeps plain dicts as JSON at ``session:<sid>`` (or
  ``session:<prefix>:<sid>``), with a TTL that depends on whether the session
  is logged in.

With a Sentinel, the store asks it for the master's address
(``SENTINEL GET-MASTER-ADDR-BY-NAME``) before each operation and reconnects
when the answer changes; a command that fails on a connection error or on a
master that has just been demoted (``READONLY``) is retried once, after a new
question to the Sentinel. A refused login becomes ``AuthenticationFailed``,
which names the server and the user, never the password.
"""

import base64
import datetime
import hashlib
import json
import logging
import os
import re
import threading
import time
from dataclasses import dataclass, field

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

_logger = logging.getLogger(__name__)

ENV_PREFIX = "ODOO_SESSION_REDIS"
DEFAULT_EXPIRATION = 7 * 24 * 3600  # seconds: a logged-in session, Odoo's SESSION_LIFETIME
DEFAULT_EXPIRATION_ANONYMOUS = 3 * 3600
DEFAULT_PORT = 6379
DEFAULT_SENTINEL_PORT = 26379
SOCKET_TIMEOUT = 5  # seconds, connect and each command
# Odoo 18 (res.device) knows a session by the first 42 characters of its id.
IDENTIFIER_LENGTH = 42

_TRUE = ("1", "true", "yes", "on")
_FALSE = ("", "0", "false", "no", "off")
# Odoo 18's session ids: 84 URL-safe base64 characters (odoo/http.py).
_KEY_RE = re.compile(r"^[A-Za-z0-9_-]{84}$")
# What the store accepts as an id: URL-safe characters only, so that an id
# never adds a ':' level to the key nor a glob character to a SCAN pattern.
# Odoo 17.0's ids (werkzeug's 40 hex digits) and the stand-in's fit.
_SAFE_SID_RE = re.compile(r"^[A-Za-z0-9_-]{1,128}$")
_IDENTIFIER_RE = re.compile(r"^[A-Za-z0-9_-]{%d}$" % IDENTIFIER_LENGTH)


class SessionStoreError(Exception):
    """The session store cannot work: its message says why."""


class ConfigError(SessionStoreError, ValueError):
    """An ``ODOO_SESSION_REDIS_*`` variable is missing, malformed or contradicts another."""


class AuthenticationFailed(SessionStoreError):
    """Redis or the Sentinel refused the configured login."""


# -- environment ----------------------------------------------------------------

def _name(suffix):
    return "%s_%s" % (ENV_PREFIX, suffix) if suffix else ENV_PREFIX


def parse_bool(environ, suffix, default=False):
    """The boolean variable ODOO_SESSION_REDIS[_<suffix>]: 1/true/yes/on or 0/false/no/off."""
    raw = environ.get(_name(suffix))
    if raw is None:
        return default
    value = str(raw).strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ConfigError("%s must be a boolean (1/true/yes/on or 0/false/no/off), not %r"
                      % (_name(suffix), raw))


def enabled(environ):
    """True when ODOO_SESSION_REDIS asks for the Redis store."""
    return parse_bool(environ, "")


def _text(environ, suffix):
    return (environ.get(_name(suffix)) or "").strip() or None


def _integer(environ, suffix, default, minimum):
    raw = _text(environ, suffix)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError("%s must be an integer, not %r" % (_name(suffix), raw)) from None
    if value < minimum:
        raise ConfigError("%s must be at least %d, not %d" % (_name(suffix), minimum, value))
    return value


def _port(environ, suffix, default):
    port = _integer(environ, suffix, default, 1)
    if port > 65535:
        raise ConfigError("%s must be a TCP port (1-65535), not %d" % (_name(suffix), port))
    return port


def _secret(environ, suffix):
    """The value of ``<name>``, or the content of the file ``<name>_FILE`` names
    (its last line break dropped): a container's environment is shown by
    ``docker inspect`` and by whatever prints it, a mounted file is not."""
    value = environ.get(_name(suffix)) or None
    path = _text(environ, suffix + "_FILE")
    if path is None:
        return value
    if value is not None:
        raise ConfigError("set %s or %s, not both" % (_name(suffix), _name(suffix + "_FILE")))
    try:
        with open(path, encoding="utf-8") as handle:
            content = handle.read()
    except OSError as exc:
        raise ConfigError("%s names %s, which cannot be read: %s"
                          % (_name(suffix + "_FILE"), path, exc.strerror)) from None
    content = content[:-1] if content.endswith("\n") else content
    if not content:
        raise ConfigError("%s names %s, which is empty" % (_name(suffix + "_FILE"), path))
    return content


def _login(environ, user_suffix, password_suffix):
    username = _text(environ, user_suffix)
    password = _secret(environ, password_suffix)
    if username and not password:
        raise ConfigError("%s must be set when %s is set"
                          % (_name(password_suffix), _name(user_suffix)))
    return username, password


def _tls(environ, scope, implied=False):
    """redis-py's ssl keyword arguments for ``<scope>SSL*`` (scope "" or "SENTINEL_").

    ``implied``: a ``rediss://`` URL asks for TLS by itself.
    """
    on = parse_bool(environ, scope + "SSL") or implied
    files = {option: _text(environ, scope + suffix)
             for option, suffix in (("ssl_ca_certs", "SSL_CA_CERTS"),
                                    ("ssl_certfile", "SSL_CERTFILE"),
                                    ("ssl_keyfile", "SSL_KEYFILE"))}
    check_hostname = parse_bool(environ, scope + "SSL_CHECK_HOSTNAME", default=True)
    if not on:
        for option, value in files.items():
            if value:
                raise ConfigError("%s is set but %s is not true: set %s=1 to use TLS"
                                  % (_name(scope + option.upper()), _name(scope + "SSL"),
                                     _name(scope + "SSL")))
        return {}
    if files["ssl_keyfile"] and not files["ssl_certfile"]:
        raise ConfigError("%s must be set when %s is set"
                          % (_name(scope + "SSL_CERTFILE"), _name(scope + "SSL_KEYFILE")))
    for option, value in files.items():
        if value and not os.access(value, os.R_OK):
            raise ConfigError("%s names %s, which cannot be read"
                              % (_name(scope + option.upper()), value))
    kwargs = {"ssl": True, "ssl_cert_reqs": "required", "ssl_check_hostname": check_hostname}
    kwargs.update((option, value) for option, value in files.items() if value)
    return kwargs


@dataclass(frozen=True)
class Settings:
    """What the environment asks for; ``describe()`` is safe to log (no password)."""

    host: str = "localhost"
    port: int = DEFAULT_PORT
    url: str = None
    sentinel_host: str = None
    sentinel_port: int = DEFAULT_SENTINEL_PORT
    master_name: str = None
    username: str = None
    password: str = field(default=None, repr=False)
    sentinel_username: str = None
    sentinel_password: str = field(default=None, repr=False)
    tls: dict = field(default_factory=dict)
    sentinel_tls: dict = field(default_factory=dict)
    prefix: str = None
    expiration: int = DEFAULT_EXPIRATION
    expiration_anonymous: int = DEFAULT_EXPIRATION_ANONYMOUS

    def describe(self):
        if self.sentinel_host:
            where = (self.master_name, self.sentinel_host, self.sentinel_port)
            text = "redis master %r via sentinel %s:%s" % where
        elif self.url:
            text = "redis at ODOO_SESSION_REDIS_URL"
        else:
            text = "redis at %s:%s" % (self.host, self.port)
        if self.tls:
            text += " over TLS"
        if self.prefix:
            text += " with prefix %r" % self.prefix
        return text

    def server_kwargs(self):
        """Keyword arguments of a redis.Redis client to a server (the master)."""
        kwargs = {"username": self.username, "password": self.password}
        kwargs.update(_client_defaults())
        kwargs.update(self.tls)
        return kwargs

    def sentinel_kwargs(self):
        """Keyword arguments of the redis.Redis client to the Sentinel."""
        kwargs = {"username": self.sentinel_username, "password": self.sentinel_password,
                  "decode_responses": True}
        kwargs.update(_client_defaults())
        kwargs.update(self.sentinel_tls)
        return kwargs


def _client_defaults():
    # One retry is this module's business (RedisSessionStore._run); redis-py's
    # own retries (three, with back-off, since redis-py 6) would only add delay.
    return {"socket_timeout": SOCKET_TIMEOUT, "socket_connect_timeout": SOCKET_TIMEOUT,
            "retry": Retry(NoBackoff(), 0)}


def settings_from_env(environ):
    """Settings from the ODOO_SESSION_REDIS_* variables; ConfigError names a bad one."""
    sentinel_host = _text(environ, "SENTINEL_HOST")
    url = None if sentinel_host else _text(environ, "URL")
    if url:
        if not url.startswith(("redis://", "rediss://", "unix://")):
            raise ConfigError("%s must start with redis://, rediss:// or unix://"
                              % _name("URL"))
        if not url.startswith("rediss://") and parse_bool(environ, "SSL"):
            raise ConfigError("%s is true but %s does not start with rediss://"
                              % (_name("SSL"), _name("URL")))
    username, password = _login(environ, "USERNAME", "PASSWORD")
    sentinel_username, sentinel_password = _login(environ, "SENTINEL_USERNAME",
                                                  "SENTINEL_PASSWORD")
    values = {
        "username": username, "password": password,
        "sentinel_username": sentinel_username, "sentinel_password": sentinel_password,
        "tls": _tls(environ, "", implied=bool(url and url.startswith("rediss://"))),
        "sentinel_tls": _tls(environ, "SENTINEL_"),
        "prefix": _text(environ, "PREFIX"),
        "expiration": _integer(environ, "EXPIRATION", DEFAULT_EXPIRATION, 1),
        "expiration_anonymous": _integer(environ, "EXPIRATION_ANONYMOUS",
                                         DEFAULT_EXPIRATION_ANONYMOUS, 1),
    }
    if values["prefix"] and not _SAFE_SID_RE.match(values["prefix"]):
        raise ConfigError("%s may hold only letters, digits, '-' and '_', not %r"
                          % (_name("PREFIX"), values["prefix"]))
    if sentinel_host:
        master_name = _text(environ, "SENTINEL_MASTER_NAME")
        if not master_name:
            raise ConfigError("%s must be set when %s is set"
                              % (_name("SENTINEL_MASTER_NAME"), _name("SENTINEL_HOST")))
        return Settings(sentinel_host=sentinel_host, master_name=master_name,
                        sentinel_port=_port(environ, "SENTINEL_PORT", DEFAULT_SENTINEL_PORT),
                        **values)
    if url:
        return Settings(url=url, **values)
    return Settings(host=_text(environ, "HOST") or "localhost",
                    port=_port(environ, "PORT", DEFAULT_PORT), **values)


# -- connections ------------------------------------------------------------------

def _login_text(username):
    return "user %r" % username if username else "the default user (no user name set)"


def _refused_login(exc):
    """True for a refused AUTH: redis-py 4.3 raises WRONGPASS as a plain ResponseError."""
    return isinstance(exc, redis.AuthenticationError) or (
        isinstance(exc, redis.ResponseError) and str(exc).startswith(("WRONGPASS", "NOAUTH")))


def _translate_auth(exc, what, username):
    """AuthenticationFailed for a refused login, naming the server and the user only."""
    return AuthenticationFailed(
        "Authentication to %s failed for %s: %s. Check the %s variables."
        % (what, _login_text(username), str(exc).strip() or type(exc).__name__,
           "ODOO_SESSION_REDIS_SENTINEL_USERNAME/_PASSWORD" if "Sentinel" in what
           else "ODOO_SESSION_REDIS_USERNAME/_PASSWORD"))


class _DirectTarget:
    """One Redis server, from host and port or from the URL."""

    def __init__(self, settings):
        self.settings = settings
        if settings.url:
            # Credentials written in the URL win over the variables; the
            # scheme (rediss://) chooses TLS, so "ssl" itself is not passed.
            kwargs = settings.server_kwargs()
            kwargs.pop("ssl", None)
            self._client = redis.from_url(settings.url, **kwargs)
            self.what = "Redis at ODOO_SESSION_REDIS_URL"
        else:
            self._client = redis.Redis(host=settings.host, port=settings.port,
                                       **settings.server_kwargs())
            self.what = "Redis at %s:%s" % (settings.host, settings.port)

    def client(self):
        return self._client, self.what

    def forget(self):
        """After a failure: drop the connections, the next command opens new ones."""
        self._client.connection_pool.disconnect()

    def close(self):
        self._client.close()


class _SentinelTarget:
    """The master a Sentinel names, asked again before every operation."""

    def __init__(self, settings):
        self.settings = settings
        self.sentinel_what = "the Sentinel at %s:%s" % (settings.sentinel_host, settings.sentinel_port)
        self._sentinel = redis.Redis(host=settings.sentinel_host, port=settings.sentinel_port,
                                     **settings.sentinel_kwargs())
        self._lock = threading.Lock()
        self._address = None
        self._client = None

    def master_address(self):
        try:
            answer = self._sentinel.sentinel_get_master_addr_by_name(self.settings.master_name)
        except (redis.AuthenticationError, redis.ResponseError) as exc:
            if not _refused_login(exc):
                raise
            raise _translate_auth(exc, self.sentinel_what,
                                  self.settings.sentinel_username) from None
        if not answer:
            raise redis.ConnectionError("%s knows no master named %r"
                                        % (self.sentinel_what, self.settings.master_name))
        return answer[0], int(answer[1])

    def client(self):
        address = self.master_address()
        with self._lock:
            if address != self._address:
                if self._client is not None:
                    _logger.warning("Redis master %r moved from %s:%s to %s:%s",
                                    self.settings.master_name, *(self._address + address))
                    self._client.close()
                self._client = redis.Redis(host=address[0], port=address[1],
                                           **self.settings.server_kwargs())
                self._address = address
            return self._client, "Redis master %r at %s:%s" % (self.settings.master_name,
                                                               *address)

    def forget(self):
        with self._lock:
            if self._client is not None:
                self._client.connection_pool.disconnect()

    def close(self):
        with self._lock:
            if self._client is not None:
                self._client.close()
            self._sentinel.close()


# -- serialisation ------------------------------------------------------------------
#
# Odoo 18's Session turns every value into JSON types as it is set
# (json.loads(json.dumps(value)) in Session.__setitem__, odoo/http.py); Odoo
# 17.0's copies values through pickle instead, so a date or a datetime can
# reach the store there. Those two are tagged, and come back as they went.

_DATETIME_TAG = "__session_datetime__"
_DATE_TAG = "__session_date__"


def _encode_value(value):
    if isinstance(value, datetime.datetime):
        return {_DATETIME_TAG: value.isoformat()}
    if isinstance(value, datetime.date):
        return {_DATE_TAG: value.isoformat()}
    if isinstance(value, (set, frozenset)):
        return sorted(value, key=repr)
    raise TypeError("a %s is not JSON" % type(value).__name__)


def _decode_object(obj):
    if len(obj) == 1:
        if _DATETIME_TAG in obj:
            return datetime.datetime.fromisoformat(obj[_DATETIME_TAG])
        if _DATE_TAG in obj:
            return datetime.date.fromisoformat(obj[_DATE_TAG])
    return obj


def dumps(data):
    """The JSON text stored for a session's data (a dict)."""
    try:
        return json.dumps(data, default=_encode_value, separators=(",", ":"))
    except TypeError as exc:
        bad = sorted(k for k, v in data.items() if not _serialisable(v))
        raise SessionStoreError("Cannot store the session: the value of %s is not "
                                "serialisable (%s)" % (", ".join(map(repr, bad)) or "a key",
                                                       exc)) from None


def _serialisable(value):
    try:
        json.dumps(value, default=_encode_value)
    except TypeError:
        return False
    return True


def loads(raw):
    """The session data of a stored JSON text; None when it is not a JSON object."""
    try:
        data = json.loads(raw, object_hook=_decode_object)
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


# -- keys ----------------------------------------------------------------------------

def generate_key():
    """A new session id in Odoo 18's format: 84 URL-safe characters.

    As odoo/http.py's FilesystemSessionStore.generate_key: SHA-512 of the
    time and 64 random bytes, less its last byte so that base64 needs no
    padding (63 bytes -> 84 characters).
    """
    digest = hashlib.sha512(str(time.time()).encode() + os.urandom(64)).digest()[:-1]
    return base64.urlsafe_b64encode(digest).decode("ascii")


def is_valid_key(key):
    """True for an id in Odoo 18's format (generate_key)."""
    return isinstance(key, str) and _KEY_RE.match(key) is not None


def _safe_sid(sid):
    return isinstance(sid, str) and _SAFE_SID_RE.match(sid) is not None


# -- the store -----------------------------------------------------------------------

class RedisSessionStore:
    """Sessions as JSON at ``session:<sid>`` or ``session:<prefix>:<sid>``, with a TTL.

    Works on plain dicts: ``get(sid)``, ``save(sid, data, logged_in)``,
    ``delete(sid)``, ``rotate(old_sid, data, logged_in)``. An id that is not
    made of URL-safe characters is never looked up (``get`` answers None,
    ``save`` refuses it).
    """

    kind = "redis"
    _RETRIED = (redis.ConnectionError, redis.TimeoutError, redis.exceptions.ReadOnlyError)

    def __init__(self, target, settings):
        self._target = target
        self.settings = settings
        self.prefix = settings.prefix
        self.expiration = settings.expiration
        self.expiration_anonymous = settings.expiration_anonymous

    def describe(self):
        return self.settings.describe()

    def close(self):
        self._target.close()

    def key(self, sid):
        return "session:%s:%s" % (self.prefix, sid) if self.prefix else "session:%s" % sid

    def ttl_for(self, logged_in):
        return self.expiration if logged_in else self.expiration_anonymous

    def _attempt(self, operation):
        client, what = self._target.client()
        try:
            return operation(client)
        except (redis.AuthenticationError, redis.ResponseError) as exc:
            if _refused_login(exc):
                raise _translate_auth(exc, what, self.settings.username) from None
            if isinstance(exc, redis.exceptions.NoPermissionError):
                raise SessionStoreError("%s refused a command to %s: %s"
                                        % (what, _login_text(self.settings.username),
                                           exc)) from None
            raise

    def _run(self, name, operation):
        try:
            return self._attempt(operation)
        except AuthenticationFailed:
            raise
        # A tuple of redis-py's exception classes (above); pylint cannot
        # always tell through the class attribute.
        except self._RETRIED as exc:  # pylint: disable=catching-non-exception
            # A failover may be under way (the master went away, or it has
            # just become a replica): one more try, with the master named now.
            _logger.warning("Redis %s failed (%s: %s); retrying once on the current master",
                            name, type(exc).__name__, exc)
            self._target.forget()
            return self._attempt(operation)

    def get(self, sid):
        """The session's data, or None (unknown, expired, malformed id or data)."""
        if not _safe_sid(sid):
            return None
        raw = self._run("GET", lambda client: client.get(self.key(sid)))
        return None if raw is None else loads(raw)

    def save(self, sid, data, logged_in=None):
        """Store data under sid, for the expiration of a logged-in or an anonymous session.

        ``logged_in`` None: logged in when ``data`` has a true ``uid``. Each
        save starts the TTL again.
        """
        if not _safe_sid(sid):
            raise SessionStoreError("Cannot store a session under the id %r" % (sid,))
        if logged_in is None:
            logged_in = bool(data.get("uid"))
        text = dumps(data)
        ttl = self.ttl_for(logged_in)
        self._run("SET", lambda client: client.set(self.key(sid), text, ex=ttl))

    def delete(self, sid):
        if _safe_sid(sid):
            self._run("DEL", lambda client: client.delete(self.key(sid)))

    def rotate(self, old_sid, data, logged_in=None, new_sid=None):
        """Move data to a new id (``new_sid``, else generate_key()); return the new id.

        The new key is written before the old one is deleted, so a failure
        between the two loses nothing.
        """
        new_sid = new_sid or generate_key()
        self.save(new_sid, data, logged_in)
        self.delete(old_sid)
        return new_sid

    def ttl(self, sid):
        """Seconds the session has left (Redis TTL: -2 missing, -1 no expiry)."""
        return self._run("TTL", lambda client: client.ttl(self.key(sid)))

    # Odoo 18's devices (res.device) name sessions by IDENTIFIER_LENGTH-long
    # prefixes of their ids: one SCAN of this store's keys answers for a batch.
    def _sids_by_identifier(self, identifiers):
        wanted = {i for i in identifiers if isinstance(i, str) and _IDENTIFIER_RE.match(i)}
        found = {}
        if not wanted:
            return wanted, found
        start = len(self.key(""))

        def scan(client):
            found.clear()
            for raw in client.scan_iter(match=self.key("*"), count=1000):
                sid = (raw.decode() if isinstance(raw, bytes) else raw)[start:]
                if sid[:IDENTIFIER_LENGTH] in wanted:
                    found.setdefault(sid[:IDENTIFIER_LENGTH], []).append(sid)
            return found
        self._run("SCAN", scan)
        return wanted, found

    def missing_identifiers(self, identifiers):
        """The identifiers (of ``identifiers``) that no stored session starts with."""
        wanted, found = self._sids_by_identifier(identifiers)
        return wanted - set(found)

    def delete_identifiers(self, identifiers):
        """Delete every session whose id starts with one of the identifiers."""
        _wanted, found = self._sids_by_identifier(identifiers)
        keys = [self.key(sid) for sids in found.values() for sid in sids]
        if keys:
            self._run("DEL", lambda client: client.delete(*keys))
        return len(keys)


def store_from_env(environ):
    """A RedisSessionStore as the ODOO_SESSION_REDIS_* variables describe it.

    Nothing is connected yet: the first operation connects (after a fork
    too, as redis-py's pools reconnect in a new process).
    """
    settings = settings_from_env(environ)
    target = _SentinelTarget(settings) if settings.sentinel_host else _DirectTarget(settings)
    return RedisSessionStore(target, settings)
