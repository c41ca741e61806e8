"""HTTP session stores: files under data_dir, or Redis as the session_redis addon.

Redis is used when ODOO_SESSION_REDIS is 1/true, configured by the addon's
environment variables (CONTRACT.md lists them), plus this project's
extension: an ACL user name for the Redis servers and a user name and
password for the Sentinel, which the public addon does not read. With a
Sentinel host, the
store asks the Sentinel for the master of ODOO_SESSION_REDIS_SENTINEL_MASTER_NAME
before each session operation and connects to the new one when the answer
changes, so that no session is written to a master that is being demoted; a
command that fails because the master moved is retried once.
"""

import json
import logging
import os
import secrets
import tempfile
import threading

_logger = logging.getLogger(__name__)

DEFAULT_EXPIRATION = 7 * 24 * 3600  # seconds, authenticated sessions
DEFAULT_EXPIRATION_ANONYMOUS = 3 * 3600


def new_sid():
    """A fresh session id: 42 URL-safe characters, as the real server's are long."""
    return secrets.token_urlsafe(32)[:42]


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


class RedisSessionStore:
    """Sessions as JSON strings at ``session:<sid>`` (``session:<prefix>:<sid>``)."""

    kind = "redis"

    def __init__(self, client, prefix=None, expiration=None, anon_expiration=None,
                 description="redis", retry_errors=(), master_lookup=None, client_for=None):
        self.client = client
        self.master_lookup = master_lookup
        self.client_for = client_for
        self._master = None
        self._master_lock = threading.Lock()
        self.prefix = prefix
        self.expiration = int(expiration or DEFAULT_EXPIRATION)
        self.anon_expiration = int(anon_expiration or DEFAULT_EXPIRATION_ANONYMOUS)
        self.description = description
        self.retry_errors = retry_errors

    def key(self, sid):
        return "session:%s:%s" % (self.prefix, sid) if self.prefix else "session:%s" % sid

    def _follow_master(self):
        address = self.master_lookup()
        with self._master_lock:
            if address != self._master:
                if self._master is not None:
                    _logger.warning("Redis master moved from %s:%s to %s:%s",
                                    *(self._master + address))
                    self.client.close()
                self.client = self.client_for(address)
                self._master = address

    def _call(self, method, *args, **kwargs):
        if self.master_lookup is not None:
            self._follow_master()
        try:
            return getattr(self.client, method)(*args, **kwargs)
        except self.retry_errors as exc:
            # The master may have moved (failover): one more try, on a new
            # connection, which asks the Sentinel again.
            _logger.warning("Redis %s failed (%s); retrying on the current master", method, exc)
            return getattr(self.client, method)(*args, **kwargs)

    def get(self, sid):
        if not sid:
            return None
        raw = self._call("get", self.key(sid))
        if raw is None:
            return None
        try:
            return json.loads(raw)
        except ValueError:
            return None

    def save(self, sid, data):
        ttl = self.expiration if data.get("uid") else self.anon_expiration
        self._call("set", self.key(sid), json.dumps(data), ex=ttl)

    def delete(self, sid):
        self._call("delete", self.key(sid))

    def describe(self):
        return self.description


def redis_store_from_env(environ):
    """A RedisSessionStore configured as the session_redis addon reads its environment."""
    import redis  # Debian's python3-redis in the image

    env = environ.get
    # Redis 6 ACLs: AUTH <username> <password>; without a user name the
    # password is the default user's (AUTH <password>), as in the addon.
    username = env("ODOO_SESSION_REDIS_USERNAME") or None
    password = env("ODOO_SESSION_REDIS_PASSWORD") or None
    if username and not password:
        raise ValueError("ODOO_SESSION_REDIS_PASSWORD must be defined "
                         "when ODOO_SESSION_REDIS_USERNAME is set")
    master_lookup = client_for = None
    sentinel_host = env("ODOO_SESSION_REDIS_SENTINEL_HOST")
    if sentinel_host:
        master_name = env("ODOO_SESSION_REDIS_SENTINEL_MASTER_NAME")
        if not master_name:
            raise ValueError("ODOO_SESSION_REDIS_SENTINEL_MASTER_NAME must be defined "
                             "when ODOO_SESSION_REDIS_SENTINEL_HOST is set")
        sentinel_port = int(env("ODOO_SESSION_REDIS_SENTINEL_PORT") or 26379)
        # The Sentinel's own login (Sentinel with requirepass or ACL users),
        # separate from the servers'.
        sentinel_username = env("ODOO_SESSION_REDIS_SENTINEL_USERNAME") or None
        sentinel_password = env("ODOO_SESSION_REDIS_SENTINEL_PASSWORD") or None
        if sentinel_username and not sentinel_password:
            raise ValueError("ODOO_SESSION_REDIS_SENTINEL_PASSWORD must be defined "
                             "when ODOO_SESSION_REDIS_SENTINEL_USERNAME is set")
        sentinel = redis.Redis(host=sentinel_host, port=sentinel_port,
                               username=sentinel_username, password=sentinel_password,
                               socket_timeout=5, socket_connect_timeout=5,
                               decode_responses=True)

        def master_lookup():
            # The address Sentinel gives out as soon as the promoted replica
            # is master, before the old master is turned into a replica.
            address = sentinel.sentinel_get_master_addr_by_name(master_name)
            if not address:
                raise redis.ConnectionError("Sentinel %s:%s knows no master %r"
                                            % (sentinel_host, sentinel_port, master_name))
            return address[0], int(address[1])

        def client_for(address):
            return redis.Redis(host=address[0], port=address[1], username=username,
                               password=password, socket_timeout=5, socket_connect_timeout=5)

        client = None
        description = "redis master %r via sentinel %s:%s" % (master_name, sentinel_host,
                                                                sentinel_port)
    elif env("ODOO_SESSION_REDIS_URL"):
        # Credentials in the URL (redis://user:password@host) win over these.
        client = redis.from_url(env("ODOO_SESSION_REDIS_URL"), username=username,
                                password=password, socket_timeout=5)
        description = "redis at ODOO_SESSION_REDIS_URL"
    else:
        host = env("ODOO_SESSION_REDIS_HOST") or "localhost"
        port = int(env("ODOO_SESSION_REDIS_PORT") or 6379)
        client = redis.Redis(host=host, port=port, username=username, password=password,
                             socket_timeout=5, socket_connect_timeout=5)
        description = "redis at %s:%s" % (host, port)
    prefix = env("ODOO_SESSION_REDIS_PREFIX") or None
    if prefix:
        description += " with prefix %r" % prefix
    return RedisSessionStore(client, prefix=prefix,
                             expiration=env("ODOO_SESSION_REDIS_EXPIRATION"),
                             anon_expiration=env("ODOO_SESSION_REDIS_EXPIRATION_ANONYMOUS"),
                             description=description, master_lookup=master_lookup,
                             client_for=client_for,
                             retry_errors=(redis.ConnectionError, redis.TimeoutError,
                                           redis.exceptions.ReadOnlyError))


def store_from_env(environ, session_dir):
    if _is_true(environ.get("ODOO_SESSION_REDIS")):
        return redis_store_from_env(environ)
    return FileSessionStore(session_dir)
