"""Throwaway PostgreSQL and Redis servers on loopback for tests.

Used as a pytest plugin (``pytest_plugins = ["services"]`` in tests/conftest.py).
Each server runs from Debian's packages in a temporary directory, on a free port
of 127.0.0.1, for the whole test session, and is stopped at the end. Packages
missing on the machine are installed with apt when the tests run as root.
"""

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass

import pytest

PG_SUPERUSER = "postgres"
PG_SUPERUSER_PASSWORD = "test-only-superuser-password"


# Shared with scripts/sanity.sh.
APT_LOCK = "/run/lock/odoo-hosting-tests-apt.lock"


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _apt_install(*packages):
    if os.geteuid() != 0:
        pytest.fail("missing Debian packages %s and not root to install them" % " ".join(packages))
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    # scripts/test.sh runs test stages side by side; apt's own lock would make
    # the second one fail, so they queue on this one.
    lock = ["flock", APT_LOCK]
    subprocess.run([*lock, "apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run([*lock, "apt-get", "install", "-y", "-qq", *packages], check=True, env=env,
                   stdout=subprocess.DEVNULL)


def _wait_for_port(port, proc, what, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            pytest.fail("%s exited with %s before it listened on %s" % (what, proc.returncode, port))
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    pytest.fail("%s did not listen on 127.0.0.1:%s within %ss" % (what, port, timeout))


def _wait_until(ready, proc, what, timeout=60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail("%s: the server exited with %s" % (what, proc.returncode))
        if ready():
            return
        time.sleep(0.1)
    pytest.fail("timed out after %ss waiting for %s" % (timeout, what))


def _pg_bindir():
    dirs = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                  key=lambda p: int(p.split("/")[4]))
    if not dirs:
        _apt_install("postgresql", "postgresql-client")
        return _pg_bindir()
    return os.path.dirname(dirs[-1])


@dataclass(frozen=True)
class PostgresServer:
    host: str
    port: int
    user: str
    password: str
    bindir: str

    def dsn(self, dbname="postgres"):
        return "host=%s port=%s user=%s password=%s dbname=%s" % (
            self.host, self.port, self.user, self.password, dbname)


@dataclass(frozen=True)
class RedisServer:
    host: str
    port: int


@pytest.fixture(scope="session")
def postgres_server():
    """A PostgreSQL superuser login (scram-sha-256) on 127.0.0.1, for the session."""
    bindir = _pg_bindir()
    run_as = []
    owner = None
    if os.geteuid() == 0:
        owner = pwd.getpwnam("postgres")
        run_as = ["runuser", "-u", "postgres", "--"]
    base = tempfile.mkdtemp(prefix="odoo-hosting-pg-")
    datadir = os.path.join(base, "data")
    pwfile = os.path.join(base, "pw")
    with open(pwfile, "w") as handle:
        handle.write(PG_SUPERUSER_PASSWORD)
    if owner:
        for path in (base, pwfile):
            os.chown(path, owner.pw_uid, owner.pw_gid)
    subprocess.run(run_as + [os.path.join(bindir, "initdb"), "-D", datadir, "-U", PG_SUPERUSER,
                             "--pwfile", pwfile, "--auth=scram-sha-256", "--encoding=UTF8",
                             "--locale=C.UTF-8", "--data-checksums"],
                   check=True, stdout=subprocess.DEVNULL)
    port = free_port()
    proc = subprocess.Popen(run_as + [os.path.join(bindir, "postgres"), "-D", datadir,
                                      "-p", str(port), "-c", "listen_addresses=127.0.0.1",
                                      "-c", "unix_socket_directories=" + base,
                                      "-c", "fsync=off"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _wait_for_port(port, proc, "postgres")
    # The port opens before the server accepts logins ("the database system is
    # starting up"); pg_isready answers 0 only once it does.
    _wait_until(lambda: subprocess.run([os.path.join(bindir, "pg_isready"), "-q", "-h", "127.0.0.1",
                                        "-p", str(port)], check=False).returncode == 0,
                proc, "postgres to accept connections")
    yield PostgresServer("127.0.0.1", port, PG_SUPERUSER, PG_SUPERUSER_PASSWORD, bindir)
    proc.terminate()
    proc.wait(timeout=30)
    shutil.rmtree(base, ignore_errors=True)


def _redis_server_binary():
    """redis-server from Debian's package, installed when missing (it is also the Sentinel)."""
    if shutil.which("redis-server") is None:
        _apt_install("redis-server")
    return shutil.which("redis-server")


def _start_sentinel(binary, conf, base, procs, what):
    """Starts a Sentinel from conf on a free loopback port, adds it to procs; returns the port."""
    port = free_port()
    proc = subprocess.Popen([binary, conf, "--sentinel", "--port", str(port), "--bind", "127.0.0.1", "--dir", base],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    procs.append(proc)
    _wait_for_port(port, proc, what)
    return port


@pytest.fixture(scope="session")
def redis_server():
    """A Redis server without persistence on 127.0.0.1, for the session."""
    binary = _redis_server_binary()
    base = tempfile.mkdtemp(prefix="odoo-hosting-redis-")
    port = free_port()
    proc = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--dir", base,
                             "--save", "", "--appendonly", "no"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _wait_for_port(port, proc, "redis-server")
    yield RedisServer("127.0.0.1", port)
    proc.terminate()
    proc.wait(timeout=30)
    shutil.rmtree(base, ignore_errors=True)


@dataclass(frozen=True)
class RedisTlsServer:
    """A Redis server that speaks TLS only and wants a client certificate.

    ``ca`` signed both ``server`` (for 127.0.0.1 and localhost) and
    ``client``; each certificate is a (certificate file, key file) pair.
    """
    host: str
    port: int
    ca: str
    client: tuple


def _openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _test_certificates(base):
    """A test-only CA and, signed by it, a server and a client certificate, in base."""
    _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj",
             "/CN=odoo-hosting test-only CA", "-keyout", "ca.key", "-out", "ca.pem", cwd=base)
    with open(os.path.join(base, "server.ext"), "w") as handle:
        handle.write("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    for name, extra in (("server", ["-extfile", "server.ext"]), ("client", [])):
        _openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=test-only-%s" % name,
                 "-keyout", name + ".key", "-out", name + ".csr", cwd=base)
        _openssl("x509", "-req", "-in", name + ".csr", "-CA", "ca.pem", "-CAkey", "ca.key",
                 "-CAcreateserial", "-days", "2", "-out", name + ".pem", *extra, cwd=base)


@pytest.fixture(scope="session")
def redis_tls_server():
    """A Redis server on 127.0.0.1 reachable over TLS only, client certificate required."""
    binary = _redis_server_binary()
    if shutil.which("openssl") is None:
        _apt_install("openssl")
    base = tempfile.mkdtemp(prefix="odoo-hosting-redis-tls-")
    _test_certificates(base)
    port = free_port()
    proc = subprocess.Popen([binary, "--port", "0", "--tls-port", str(port),
                             "--bind", "127.0.0.1", "--dir", base, "--save", "",
                             "--appendonly", "no",
                             "--tls-cert-file", os.path.join(base, "server.pem"),
                             "--tls-key-file", os.path.join(base, "server.key"),
                             "--tls-ca-cert-file", os.path.join(base, "ca.pem"),
                             "--tls-auth-clients", "yes"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _wait_for_port(port, proc, "redis-server with TLS")
    yield RedisTlsServer("127.0.0.1", port, os.path.join(base, "ca.pem"),
                         (os.path.join(base, "client.pem"), os.path.join(base, "client.key")))
    proc.terminate()
    proc.wait(timeout=30)
    shutil.rmtree(base, ignore_errors=True)


@dataclass(frozen=True)
class RedisSentinelSetup:
    """A Sentinel (``host``:``port``) watching ``master_name``: one master, one replica."""
    host: str
    port: int
    master_name: str
    servers: tuple  # ((host, port), ...) of the Redis servers, the first one master at start


def _start_redis_process(binary, base, name, args):
    port = free_port()
    workdir = os.path.join(base, name)
    os.makedirs(workdir)
    proc = subprocess.Popen([binary, *args, "--port", str(port), "--bind", "127.0.0.1",
                             "--dir", workdir],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _wait_for_port(port, proc, "redis %s" % name)
    return proc, port


@pytest.fixture(scope="session")
def redis_sentinel():
    """A Redis master, a replica and one Sentinel (quorum 1) on 127.0.0.1, for the session.

    Tests may fail the master over (``SENTINEL FAILOVER``); ask the Sentinel
    which server is master rather than assuming the first one still is.
    """
    binary = _redis_server_binary()
    base = tempfile.mkdtemp(prefix="odoo-hosting-sentinel-")
    procs = []
    try:
        no_disk = ["--save", "", "--appendonly", "no"]
        proc, master_port = _start_redis_process(binary, base, "master", no_disk)
        procs.append(proc)
        proc, replica_port = _start_redis_process(
            binary, base, "replica", no_disk + ["--replicaof", "127.0.0.1", str(master_port)])
        procs.append(proc)
        conf = os.path.join(base, "sentinel.conf")
        with open(conf, "w") as handle:
            handle.write("sentinel monitor odoo-sessions 127.0.0.1 %d 1\n"
                         "sentinel down-after-milliseconds odoo-sessions 1000\n"
                         "sentinel failover-timeout odoo-sessions 5000\n" % master_port)
        sentinel_port = _start_sentinel(binary, conf, base, procs, "redis sentinel")
        yield RedisSentinelSetup("127.0.0.1", sentinel_port, "odoo-sessions",
                                 (("127.0.0.1", master_port), ("127.0.0.1", replica_port)))
    finally:
        for proc in reversed(procs):
            proc.terminate()
            proc.wait(timeout=30)
        shutil.rmtree(base, ignore_errors=True)


# Logins of redis_acl_sentinel: test-only values, never reuse them anywhere.
REDIS_ACL_ADMIN = ("admin", "test-only-redis-admin-password")
REDIS_ACL_APP = ("odoo", "test-only-redis-app-password")
REDIS_ACL_SENTINEL = ("sentinel", "test-only-redis-sentinel-password")


@dataclass(frozen=True)
class RedisAclSentinelSetup:
    """One Redis server and one Sentinel that both refuse the default user.

    As roles/redis sets them up: ACL users ``admin`` (every command), ``odoo``
    (keys ``session:*`` on the server; on the Sentinel only the commands that
    ask for the master) and ``sentinel`` (Sentinel's own login to the server).
    Each login is a (user, password) pair.
    """
    host: str
    port: int  # the Redis server
    sentinel_port: int
    master_name: str
    admin: tuple
    app: tuple


def _acl_line(user, password, rules):
    return "user %s on >%s %s\n" % (user, password, rules)


@pytest.fixture(scope="session")
def redis_acl_sentinel():
    """A Redis server and a Sentinel with ACL users and no default user, on 127.0.0.1."""
    binary = _redis_server_binary()
    base = tempfile.mkdtemp(prefix="odoo-hosting-acl-sentinel-")
    procs = []
    try:
        server_acl = os.path.join(base, "users.acl")
        with open(server_acl, "w") as handle:
            handle.write("user default off resetpass resetkeys resetchannels -@all\n")
            handle.write(_acl_line(*REDIS_ACL_ADMIN, "~* &* +@all"))
            handle.write(_acl_line(*REDIS_ACL_APP, "resetkeys ~session:* resetchannels -@all "
                                   "+@read +@write +@transaction +@connection -@dangerous"))
            handle.write(_acl_line(*REDIS_ACL_SENTINEL, "resetchannels &__sentinel__:* -@all "
                                   "+multi +exec +slaveof +ping +subscribe +publish +info "
                                   "+role +config|rewrite +client|setname +client|kill "
                                   "+script|kill"))
        proc, port = _start_redis_process(binary, base, "server",
                                          ["--save", "", "--appendonly", "no",
                                           "--aclfile", server_acl])
        procs.append(proc)
        sentinel_acl = os.path.join(base, "sentinel-users.acl")
        with open(sentinel_acl, "w") as handle:
            handle.write("user default off resetpass resetkeys resetchannels -@all\n")
            handle.write(_acl_line(*REDIS_ACL_ADMIN, "~* &* +@all"))
            handle.write(_acl_line(*REDIS_ACL_SENTINEL, "~* &* +@all"))
            handle.write(_acl_line(*REDIS_ACL_APP, "resetkeys resetchannels -@all +auth +hello "
                                   "+ping +client|setname +client|getname "
                                   "+sentinel|get-master-addr-by-name +sentinel|master "
                                   "+sentinel|masters +sentinel|replicas +sentinel|sentinels"))
        conf = os.path.join(base, "sentinel.conf")
        with open(conf, "w") as handle:
            handle.write("aclfile %s\n"
                         "sentinel monitor odoo-sessions 127.0.0.1 %d 1\n"
                         "sentinel auth-user odoo-sessions %s\n"
                         "sentinel auth-pass odoo-sessions %s\n"
                         % (sentinel_acl, port, *REDIS_ACL_SENTINEL))
        sentinel_port = _start_sentinel(binary, conf, base, procs, "redis sentinel with ACL users")
        yield RedisAclSentinelSetup("127.0.0.1", port, sentinel_port, "odoo-sessions",
                                    REDIS_ACL_ADMIN, REDIS_ACL_APP)
    finally:
        for proc in reversed(procs):
            proc.terminate()
            proc.wait(timeout=30)
        shutil.rmtree(base, ignore_errors=True)
