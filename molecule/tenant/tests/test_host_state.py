"""Host state of every tenant host: services, listening sockets, secret files, package versions.

Each expectation below comes from the role that makes it true (the file or
variable is named beside it); ports and switches are read from the inventory
or the role defaults (conftest.Tenant.setting), never repeated here. Cases are
one per host and item: `<kind>_cases(tenant)` builds the list of the test
taking `<kind>_case` (see conftest.py).
"""

from __future__ import annotations

import fnmatch
import ipaddress
import re
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, Optional, Union

import pytest

if TYPE_CHECKING:
    from conftest import HostState, Tenant

# ---------------------------------------------------------------------------
# Listening TCP sockets
# ---------------------------------------------------------------------------
SERVICE = "service address"
LOOPBACK = "127.0.0.1"
EVERY = "every address"


@dataclass(frozen=True)
class Setting:
    """An address, or a list of them, that a role variable holds."""

    name: str


Bind = Union[str, Setting]


@dataclass(frozen=True)
class Listener:
    port: str  # the role variable holding the port
    owner: str
    bind: tuple[Bind, ...]


# By what a host runs (conftest.Tenant.roles); "all" is every tenant host.
LISTENERS: dict[str, tuple[Listener, ...]] = {
    "db": (
        # roles/etcd/templates/etcd.env.j2: clients on the service address and loopback, peers on the service address.
        Listener("etcd_client_port", "etcd clients", (SERVICE, LOOPBACK)),
        Listener("etcd_peer_port", "etcd peers", (SERVICE,)),
        # ETCD_LISTEN_METRICS_URLS: /metrics and /health in plain HTTP for Prometheus.
        Listener("etcd_metrics_port", "etcd metrics", (SERVICE,)),
        # roles/patroni/templates/patroni.yml.j2: postgresql.listen = patroni_postgresql_listen_addresses
        # (127.0.0.1 and patroni_address, the service address: playbooks/vars/db_tier.yml); restapi.listen.
        Listener("patroni_postgresql_port", "PostgreSQL", (SERVICE, LOOPBACK)),
        Listener("patroni_restapi_port", "Patroni REST API", (SERVICE,)),
        # roles/pgbouncer/templates/listen.ini.j2 with pgbouncer_listen_addresses from playbooks/vars/db_tier.yml.
        Listener("pgbouncer_port", "PgBouncer", (SERVICE, LOOPBACK)),
        # roles/exporters/vars/main.yml: --web.listen-address on exporters_listen_address (playbooks/vars/exporters.yml).
        Listener("exporters_postgres_port", "PostgreSQL exporter", (SERVICE,)),
        Listener("exporters_pgbouncer_port", "PgBouncer exporter", (SERVICE,)),
    ),
    "redis": (
        # roles/redis/vars/main.yml: bind = redis_bind_addresses (redis_address, the service address, and 127.0.0.1).
        Listener("redis_port", "redis-server", (SERVICE, LOOPBACK)),
        Listener("exporters_redis_port", "Redis exporter", (SERVICE,)),
    ),
    "sentinel": (
        # roles/redis/templates/sentinel.conf.j2: bind = redis_bind_addresses.
        Listener("redis_sentinel_port", "redis-sentinel", (SERVICE, LOOPBACK)),
    ),
    "app": (
        # roles/haproxy/templates/haproxy.cfg.j2: the frontends on haproxy_bind_addresses, stats on 127.0.0.1.
        Listener("haproxy_primary_port", "HAProxy read-write", (Setting("haproxy_bind_addresses"),)),
        Listener("haproxy_replica_port", "HAProxy read-only", (Setting("haproxy_bind_addresses"),)),
        Listener("haproxy_stats_port", "HAProxy statistics", (LOOPBACK,)),
        # roles/odoo/templates/odoo.conf.j2: http_interface (host network) for the HTTP and gevent ports.
        Listener("odoo_http_port", "Odoo HTTP", (Setting("odoo_http_interface"),)),
        Listener("odoo_gevent_port", "Odoo gevent", (Setting("odoo_http_interface"),)),
        # roles/traefik/templates/traefik.yml.j2: web and websecure on ":port" (the public edge), internal
        # (ping, /metrics) on traefik_internal_address.
        Listener("traefik_http_port", "Traefik web", (EVERY,)),
        Listener("traefik_https_port", "Traefik websecure", (EVERY,)),
        Listener("traefik_internal_port", "Traefik internal", (Setting("traefik_internal_address"),)),
    ),
    "pgbackrest": (
        # roles/backup/templates/pgbackrest.conf.j2: tls-server-address = backup_address, the service address.
        Listener("backup_tls_server_port", "pgBackRest TLS server", (SERVICE,)),
    ),
    "all": (
        Listener("exporters_node_port", "node exporter", (SERVICE,)),
    ),
}

# What ss prints for a socket bound to every address (IPv4, IPv6, or both).
_WILDCARDS = {"*", "0.0.0.0", "::"}


def _normal(address: str) -> str:
    """An address as ss prints it, without brackets or zone; EVERY for a wildcard."""
    address = address.strip("[]").split("%", 1)[0]
    return EVERY if address in _WILDCARDS else address


def _is_loopback(address: str) -> bool:
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class PortCase:
    host: str
    listener: Listener
    number: str = field(compare=False)  # for the case's name only

    @property
    def id(self) -> str:
        return f"{self.host}:{self.number}:{self.listener.owner.replace(' ', '-')}"


def _listeners_of(tenant: Tenant, host: str) -> list[Listener]:
    return [listener for kind in ("all", *sorted(tenant.roles(host))) for listener in LISTENERS.get(kind, ())]


def _port_label(tenant: Tenant, host: str, listener: Listener) -> str:
    try:
        return str(tenant.port(host, listener.port))
    except AssertionError:  # unresolved: the case itself fails and says why
        return listener.port


def port_cases(tenant: Tenant) -> list[PortCase]:
    return [PortCase(host, listener, _port_label(tenant, host, listener))
            for host in tenant.hosts for listener in _listeners_of(tenant, host)]


def _expected_addresses(tenant: Tenant, state: HostState, bind: tuple[Bind, ...]) -> set[str]:
    found: set[str] = set()
    for item in bind:
        if item == SERVICE:
            found.add(state.service_address)
        elif isinstance(item, Setting):
            value = tenant.setting(state.name, item.name)
            for address in value if isinstance(value, list) else [value]:
                found.add(tenant.address(state, address, item.name))
        else:
            found.add(item)
    return found


def _ports_in_use(tenant: Tenant, host: str) -> dict[int, list[str]]:
    ports: dict[int, list[str]] = {}
    for listener in _listeners_of(tenant, host):
        ports.setdefault(tenant.port(host, listener.port), []).append(listener.owner)
    return ports


def test_listening_addresses(tenant: Tenant, port_case: PortCase) -> None:
    """Each port of the stack listens on exactly the addresses its role binds it to."""
    state = tenant.state(port_case.host)
    listener = port_case.listener
    port = tenant.port(port_case.host, listener.port)
    expected = _expected_addresses(tenant, state, listener.bind)
    owners = _ports_in_use(tenant, port_case.host)[port]
    assert owners == [listener.owner], f"{port_case.host}: TCP port {port} is claimed by {' and '.join(owners)}"
    raw = sorted(f"{address}:{number}" for address, number in state.listeners if number == port)
    found = {_normal(address) for address, number in state.listeners if number == port}
    assert found == expected, (
        f"{port_case.host}: TCP port {port} ({listener.owner}) listens on {', '.join(raw) or 'no address at all'}; "
        f"expected exactly {', '.join(sorted(expected))}"
    )


@dataclass(frozen=True)
class HostCase:
    host: str

    @property
    def id(self) -> str:
        return self.host


def host_cases(tenant: Tenant) -> list[HostCase]:
    """Every selected host, the outsider too (skipped: it shows in the report that it was seen)."""
    return [HostCase(host) for host in tenant.selected]


def test_nothing_else_listens_beyond_loopback(tenant: Tenant, host_case: HostCase) -> None:
    """No TCP socket on a non-loopback address except the stack's own ports (and SSH, which the firewall opens)."""
    if not tenant.roles(host_case.host):
        pytest.skip(f"{host_case.host} is in no tenant group (odoo_db, odoo_redis, odoo_app)")
    state = tenant.state(host_case.host)
    known = set(_ports_in_use(tenant, host_case.host)) | {tenant.port(host_case.host, "common_firewall_ssh_port")}
    stray = sorted(f"{address}:{port}" for address, port in state.listeners
                   if port not in known and not _is_loopback(_normal(address)))
    assert not stray, f"{host_case.host}: TCP sockets beyond loopback that no role of the stack opens: {', '.join(stray)}"


# ---------------------------------------------------------------------------
# Services
# ---------------------------------------------------------------------------
RUNNING = "enabled and running"
DISABLED = "disabled and not active"
MASKED = "masked"


@dataclass(frozen=True)
class UnitCase:
    host: str
    unit: str
    want: str
    source: str = field(compare=False)

    @property
    def id(self) -> str:
        return f"{self.host}:{self.unit}"


def _units_of(tenant: Tenant, host: str) -> list[UnitCase]:
    roles = tenant.roles(host)
    units = []

    def want(unit: str, state: str, source: str) -> None:
        units.append(UnitCase(host, unit, state, source))

    want("prometheus-node-exporter.service", RUNNING, "roles/exporters (exporters_node)")
    if tenant.flag(host, "common_firewall_enabled"):
        want("odoo-hosting-firewall.service", RUNNING, "roles/common/tasks/services.yml")
        if tenant.flag(host, "common_firewall_mask_nftables_service"):
            want("nftables.service", MASKED, "roles/common/tasks/services.yml: its ruleset flush would drop Docker's tables")
    if "db" in roles:
        want("etcd.service", RUNNING, "roles/etcd/tasks/service.yml")
        want("patroni.service", RUNNING, "roles/patroni/tasks/service.yml")
        if tenant.flag(host, "patroni_etcd_leader_guard"):
            want("patroni-etcd-leader-guard.timer", RUNNING, "roles/patroni/tasks/service.yml")
        want("postgresql.service", DISABLED, "roles/patroni/tasks/install.yml: Patroni owns PostgreSQL")
        want("pgbouncer.service", RUNNING, "roles/pgbouncer/tasks/service.yml")
        want("prometheus-postgres-exporter.service", RUNNING, "roles/exporters (exporters_postgres)")
        want("prometheus-pgbouncer-exporter.service", RUNNING, "roles/exporters (exporters_pgbouncer)")
    if "redis" in roles:
        want("redis-server.service", RUNNING, "roles/redis/tasks/main.yml")
        want("prometheus-redis-exporter.service", RUNNING, "roles/exporters (exporters_redis)")
    if "sentinel" in roles:
        want("redis-sentinel.service", RUNNING, "roles/redis/tasks/main.yml")
    if "pgbackrest" in roles:
        want("pgbackrest-server.service", RUNNING, "roles/backup/tasks/service.yml")
    if "backup" in roles:
        for timer in ("odoo-backup-full", "odoo-backup-diff", "odoo-backup-incr", "odoo-backup-metrics"):
            want(f"{timer}.timer", RUNNING, "roles/backup/tasks/service.yml")
        if tenant.flag(host, "backup_restore_verify_enabled"):
            want("odoo-backup-restore-verify.timer", RUNNING, "roles/backup/tasks/service.yml")
        want("postgresql.service", DISABLED, "roles/backup/tasks/install.yml: PostgreSQL runs there only for the drill")
    if "app" in roles:
        if tenant.flag(host, "docker_service_enabled"):
            want("docker.service", RUNNING, "roles/docker/tasks/service.yml")
        want("haproxy.service", RUNNING, "roles/haproxy/tasks/service.yml")
    return units


@cache
def _unit_plan(tenant: Tenant, host: str) -> tuple[UnitCase, ...]:
    return tuple(_units_of(tenant, host))


def unit_cases(tenant: Tenant) -> list[UnitCase]:
    return [case for host in tenant.hosts for case in _unit_plan(tenant, host)]


def test_service_state(tenant: Tenant, unit_case: UnitCase) -> None:
    """Every unit of the stack is enabled and running; the units it replaces are off."""
    names = tuple(case.unit for case in _unit_plan(tenant, unit_case.host))
    unit = tenant.state(unit_case.host).units(names)[unit_case.unit]
    found = (f"LoadState={unit.get('LoadState')} ActiveState={unit.get('ActiveState')} "
             f"SubState={unit.get('SubState')} UnitFileState={unit.get('UnitFileState') or '-'}")
    message = f"{unit_case.host}: {unit_case.unit} should be {unit_case.want} ({unit_case.source}); found {found}"
    if unit_case.want == RUNNING:
        assert unit.get("LoadState") == "loaded" and unit.get("ActiveState") == "active", message
        assert unit.get("UnitFileState") == "enabled", message
    elif unit_case.want == DISABLED:
        assert unit.get("LoadState") == "loaded", message
        assert unit.get("ActiveState") in ("inactive", "failed"), message
        assert unit.get("UnitFileState") == "disabled", message
    else:
        assert unit.get("LoadState") == "masked" and unit.get("UnitFileState") == "masked", message
        assert unit.get("ActiveState") != "active", message


# ---------------------------------------------------------------------------
# Files holding secrets or private keys (and the directories guarding them)
# ---------------------------------------------------------------------------
# The group of the Odoo image's user (roles/odoo/tasks/install.yml: __odoo_gid).
ODOO_GID = "the Odoo image's group"
# Written by Patroni itself (replicas, pg_rewind), not by the role: checked where it exists.
OPTIONAL = "optional"


@dataclass(frozen=True)
class FileCase:
    host: str
    path: str  # may be a glob: every match is checked, and one must exist
    mode: Optional[int]  # None: the file must not exist here
    owner: str = "root"
    group: str = "root"
    what: str = field(default="", compare=False)
    presence: str = "required"

    @property
    def id(self) -> str:
        return f"{self.host}:{self.path}"


def _files_of(tenant: Tenant, host: str) -> list[FileCase]:
    roles = tenant.roles(host)
    files: list[FileCase] = []

    def want(path: str, mode: Optional[int], owner: str = "root", group: str = "root", what: str = "",
             presence: str = "required") -> None:
        files.append(FileCase(host, path, mode, owner, group, what, presence))

    if "db" in roles:
        # roles/patroni/tasks/configure.yml: root:postgres, 0750 directories and 0640 files.
        want("/etc/patroni", 0o750, "root", "postgres", "Patroni's configuration directory")
        want("/etc/patroni/patroni.yml", 0o640, "root", "postgres", "PostgreSQL and REST API passwords")
        want("/etc/patroni/pki", 0o750, "root", "postgres", "Patroni's TLS directory")
        want("/etc/patroni/pki/patroni.key", 0o640, "root", "postgres", "Patroni's private key")
        want("/var/lib/postgresql/.pgpass_patroni", 0o600, "postgres", "postgres", "Patroni's replication .pgpass",
             presence=OPTIONAL)
        # patroni_postgresql_version's default follows the host's Debian release (a template): then any major
        # directory (a glob: every match is checked, one must exist).
        version = (tenant.text(host, "patroni_postgresql_version")
                   if "patroni_postgresql_version" in tenant.hostvars(host) else "*")
        data_dir = f"/var/lib/postgresql/{version}/{tenant.text(host, 'patroni_scope')}"  # patroni_postgresql_data_dir's default
        if "patroni_postgresql_data_dir" in tenant.hostvars(host):
            data_dir = tenant.text(host, "patroni_postgresql_data_dir")
        want(data_dir, 0o700, "postgres", "postgres", "PostgreSQL's data directory (pg_authid)")
        # roles/etcd/tasks/tls.yml: the member key etcd:etcd 0600 in root:etcd 0750; the CA the role makes on
        # the first member only, and none on any host when the inventory supplies it (signed on the controller).
        want("/etc/etcd/pki", 0o750, "root", "etcd", "etcd's TLS directory")
        want("/etc/etcd/pki/member.key", 0o600, "etcd", "etcd", "etcd member private key")
        if "etcd_tls_ca_privatekey" in tenant.hostvars(host):
            want("/etc/etcd/pki/ca", None, what="etcd CA directory (the supplied CA's key stays on the controller)")
        elif host == tenant.db_hosts[0]:
            want("/etc/etcd/pki/ca", 0o700, "root", "root", "etcd CA directory")
            want("/etc/etcd/pki/ca/ca.key", 0o600, "root", "root", "etcd CA private key")
        else:
            want("/etc/etcd/pki/ca/ca.key", None, what=f"etcd CA private key (kept on {tenant.db_hosts[0]} only)")
        # roles/pgbouncer/tasks/configure.yml: root:postgres 0640.
        want("/etc/pgbouncer/userlist.txt", 0o640, "root", "postgres", "PgBouncer passwords and SCRAM secrets")
        want("/etc/pgbouncer/pgbouncer.ini", 0o640, "root", "postgres", "PgBouncer settings")
        # roles/exporters/tasks/credentials.yml: root:<the unit's group> 0640.
        want("/etc/prometheus-exporters/prometheus-postgres-exporter.env", 0o640, "root", "prometheus",
             "PostgreSQL exporter password")
        want("/etc/prometheus-exporters/prometheus-pgbouncer-exporter.env", 0o640, "root", "postgres",
             "PgBouncer exporter password")
    if "redis" in roles:
        # roles/redis/tasks/server.yml; redis.conf is Redis's own after CONFIG REWRITE (masterauth lands there).
        want("/etc/redis/users.acl", 0o640, "root", "redis", "Redis ACL users")
        want("/etc/redis/redis-managed.conf", 0o640, "root", "redis", "Redis replication password")
        want("/etc/redis/redis.conf", 0o640, "redis", "redis", "Redis configuration (rewritten by Redis)")
        want("/etc/prometheus-exporters/prometheus-redis-exporter.env", 0o640, "root", "prometheus",
             "Redis exporter password")
    if "sentinel" in roles:
        # roles/redis/tasks/install.yml (the directory Redis and Sentinel rewrite in) and sentinel.yml.
        want("/etc/redis", 0o2770, "redis", "redis", "Redis configuration directory")
        want("/etc/redis/sentinel-users.acl", 0o640, "root", "redis", "Sentinel ACL users")
        want("/etc/redis/sentinel.conf", 0o640, "redis", "redis", "Sentinel passwords (rewritten by Sentinel)")
    if "pgbackrest" in roles:
        # roles/backup/vars/main.yml: root:<the user pgBackRest runs as> 0640; the key is that user's, 0600.
        user = "pgbackrest" if "backup" in roles else "postgres"
        want("/etc/pgbackrest/pgbackrest.conf", 0o640, "root", user,
             "pgBackRest settings (the repository passphrase on the backup host)")
        want("/etc/pgbackrest/pki/pgbackrest.key", 0o600, user, user, "pgBackRest TLS private key")
    if "backup" in roles:
        want("/etc/pgbackrest/restore-verify.conf", 0o640, "root", "pgbackrest", "the restore drill's repository passphrase")
        want(tenant.text(host, "backup_repo_path"), 0o750, "pgbackrest", "pgbackrest", "the encrypted repository")
    if "app" in roles:
        # roles/haproxy/tasks/configure.yml: the statistics password.
        want("/etc/haproxy/haproxy.cfg", 0o640, "root", "haproxy", "HAProxy statistics password")
        # roles/odoo/tasks/install.yml and configure.yml.
        want("/etc/odoo", 0o750, "root", ODOO_GID, "Odoo's configuration directory")
        want("/etc/odoo/odoo.conf", 0o640, "root", ODOO_GID, "Odoo database password and master password hash")
        want("/etc/odoo/odoo.env", 0o600, "root", "root", "the session store's settings")
        want("/etc/odoo/secrets", 0o750, "root", ODOO_GID, "the session store's password files")
        want("/etc/odoo/secrets/session-redis-password", 0o640, "root", ODOO_GID, "Odoo's Redis password")
        want("/etc/odoo/secrets/session-redis-sentinel-password", 0o640, "root", ODOO_GID, "Odoo's Sentinel password")
        # roles/traefik/tasks/install.yml and tls_<source>.yml.
        want("/etc/traefik", 0o750, "root", "root", "Traefik's configuration directory")
        want("/etc/traefik/tls", 0o750, "root", "root", "Traefik's TLS directory")
        source = tenant.text(host, "traefik_tls_source")
        if source == "internal_ca":
            want("/etc/traefik/tls/ca.key", 0o600, "root", "root", "internal CA private key")
            want("/etc/traefik/tls/odoo.key", 0o600, "root", "root", "Traefik's private key")
        elif source == "files":
            want("/etc/traefik/tls/user-*.key", 0o600, "root", "root", "the supplied private keys")
        else:
            want("/var/lib/traefik/acme.json", 0o600, "root", "root", "ACME account and certificate keys")
    return files


@cache
def _file_plan(tenant: Tenant, host: str) -> tuple[FileCase, ...]:
    return tuple(_files_of(tenant, host))


def file_cases(tenant: Tenant) -> list[FileCase]:
    return [case for host in tenant.hosts for case in _file_plan(tenant, host)]


def _odoo_gid(tenant: Tenant, state: HostState) -> tuple[int, str]:
    """The gid the odoo role gives the image's user, and where that came from."""
    configured = tenant.setting(state.name, "odoo_image_gid")
    if isinstance(configured, int) and configured != 0:
        return configured, "odoo_image_gid"
    # roles/odoo/vars/main.yml: _odoo_image_user_file, the role's record of the image's uid and gid.
    known = state.read_json("/var/lib/odoo-hosting-image-user.json")
    if known and "gid" in known:
        return int(known["gid"]), "/var/lib/odoo-hosting-image-user.json"
    # Older deployments keep no record: the role gives the filestore volume to the same user.
    volume = f"/var/lib/docker/volumes/{tenant.text(state.name, 'odoo_data_volume')}/_data"
    found = state.stats((volume,)).get(volume)
    assert found, f"{state.name}: cannot tell the Odoo image's group: no {volume} and no image-user record"
    return found["gid"], f"the owner of {volume}"


def test_secret_file_mode_and_owner(tenant: Tenant, file_case: FileCase) -> None:
    """Files with secrets or private keys, and their directories, have the role's owner and mode, nothing wider."""
    state = tenant.state(file_case.host)
    stats = state.stats(tuple(case.path for case in _file_plan(tenant, file_case.host)))
    matches = {path: stat for path, stat in stats.items() if fnmatch.fnmatchcase(path, file_case.path)}
    if file_case.mode is None:
        assert not matches, (
            f"{file_case.host}: {', '.join(matches)} exists ({file_case.what}); it must not be on this host"
        )
        return
    if not matches and file_case.presence == OPTIONAL:
        pytest.skip(f"{file_case.host}: {file_case.path} is not there ({file_case.what}, written when needed)")
    assert matches, f"{file_case.host}: {file_case.path} ({file_case.what}) is missing"
    group, group_source = file_case.group, ""
    if group == ODOO_GID:
        gid, source = _odoo_gid(tenant, state)
        group, group_source = f"gid {gid}", f" (from {source})"
    for path, stat in sorted(matches.items()):
        found_group = f"gid {stat['gid']}" if file_case.group == ODOO_GID else stat["group"]
        found = f"{stat['mode']:04o} {stat['owner']}:{found_group}"
        expected = f"{file_case.mode:04o} {file_case.owner}:{group}"
        assert found == expected, (
            f"{file_case.host}: {path} ({file_case.what}) is {found}; expected {expected}{group_source}"
        )


# ---------------------------------------------------------------------------
# Packages
# ---------------------------------------------------------------------------
# The upstream version (its leading components) of each Debian package the
# roles install from the release's own archive; PostgreSQL's major is the
# release's unless the inventory sets patroni_postgresql_version.
DEBIAN_VERSIONS: dict[str, dict[str, str]] = {
    "12": {"redis-server": "7", "redis-sentinel": "7", "etcd-server": "3.4", "etcd-client": "3.4",
           "haproxy": "2.6", "pgbouncer": "1.18", "docker.io": "20.10", "postgresql": "15"},
    "13": {"redis-server": "8", "redis-sentinel": "8", "etcd-server": "3.5", "etcd-client": "3.5",
           "haproxy": "3.0", "pgbouncer": "1.24", "docker.io": "26", "postgresql": "17"},
}
# In a package's name: the release's PostgreSQL (DEBIAN_VERSIONS), the
# default of patroni_postgresql_version (roles/patroni/defaults/main.yml).
RELEASE_POSTGRESQL = "{postgresql}"
# The version comes from the host's release (DEBIAN_VERSIONS).
RELEASE = "the release's"
ABSENT = "not installed"


@dataclass(frozen=True)
class PackageCase:
    host: str
    package: str
    version: str  # RELEASE, ABSENT, or the upstream version's leading components
    exact: bool = False
    source: str = field(default="", compare=False)

    @property
    def id(self) -> str:
        return f"{self.host}:{self.package}"


def _packages_of(tenant: Tenant, host: str) -> list[PackageCase]:
    roles = tenant.roles(host)
    packages: list[PackageCase] = []

    def want(package: str, version: str, source: str, exact: bool = False) -> None:
        packages.append(PackageCase(host, package, version, exact, source))

    if "db" in roles:
        if "patroni_postgresql_version" in tenant.hostvars(host):
            postgresql = tenant.text(host, "patroni_postgresql_version")
            source = "patroni_postgresql_version"
        else:
            postgresql, source = RELEASE_POSTGRESQL, "patroni_postgresql_version's default, the release's"
        for package in (f"postgresql-{postgresql}", f"postgresql-client-{postgresql}"):
            want(package, RELEASE if postgresql == RELEASE_POSTGRESQL else postgresql, source)
        want("etcd-server", RELEASE, "roles/etcd/vars/main.yml")
        want("etcd-client", RELEASE, "roles/etcd/vars/main.yml")
        want("pgbouncer", RELEASE, "roles/pgbouncer/vars/main.yml")
        # roles/exporters/tasks/pgbouncer_bookworm.yml: Debian 13's exporter, one pinned .deb, on Debian 12.
        deb = tenant.text(host, "exporters_pgbouncer_bookworm_deb")
        want("prometheus-pgbouncer-exporter", deb.split("_")[1], f"exporters_pgbouncer_bookworm_deb on Debian 12 ({deb})",
             exact=True)
    if "redis" in roles:
        want("redis-server", RELEASE, "roles/redis/vars/main.yml")
    if "sentinel" in roles:
        want("redis-sentinel", RELEASE, "roles/redis/vars/main.yml")
        if "redis" not in roles:
            want("redis-server", ABSENT, "a Sentinel-only host runs no Redis server (roles/redis/tasks/install.yml)")
    if "app" in roles:
        want("haproxy", RELEASE, "roles/haproxy/tasks/install.yml")
        if tenant.text(host, "docker_source") == "debian":
            want("docker.io", RELEASE, "roles/docker/vars/main.yml (docker_source: debian)")
    return packages


@cache
def _package_plan(tenant: Tenant, host: str) -> tuple[PackageCase, ...]:
    return tuple(_packages_of(tenant, host))


def package_cases(tenant: Tenant) -> list[PackageCase]:
    return [case for host in tenant.hosts for case in _package_plan(tenant, host)]


def _debian_release(state: HostState) -> str:
    release = state.os_release
    assert release.get("ID") == "debian" and release.get("VERSION_ID") in DEBIAN_VERSIONS, (
        f"{state.name}: runs {release.get('PRETTY_NAME', 'an unknown system')}; the roles target Debian "
        f"{' and '.join(sorted(DEBIAN_VERSIONS))}"
    )
    return release["VERSION_ID"]


def _upstream(version: str) -> str:
    """A Debian version without its epoch and Debian revision: 5:7.0.15-1~deb12u10 -> 7.0.15."""
    return re.sub(r"^[0-9]+:", "", version).rsplit("-", 1)[0]


def test_package_version(tenant: Tenant, package_case: PackageCase) -> None:
    """The packages the roles install are there, in the version they target on this Debian release."""
    state = tenant.state(package_case.host)
    release = _debian_release(state)
    postgresql = DEBIAN_VERSIONS[release]["postgresql"]
    names = tuple(case.package.replace(RELEASE_POSTGRESQL, postgresql) for case in _package_plan(tenant, package_case.host))
    package = package_case.package.replace(RELEASE_POSTGRESQL, postgresql)
    found = state.packages(names).get(package)
    installed = found is not None and found["status"].startswith("ii")
    if package_case.version == ABSENT:
        assert not installed, (
            f"{package_case.host}: {package} {found and found['version']} is installed; "
            f"expected {ABSENT} ({package_case.source})"
        )
        return
    assert installed, (
        f"{package_case.host}: {package} is not installed "
        f"(dpkg: {found['status'] if found else 'unknown package'}; {package_case.source})"
    )
    version = package_case.version
    if package_case.exact:
        if release != "12":
            return  # the pin is Debian 12's only; other releases install their own package
        matches = re.sub(r"^[0-9]+:", "", found["version"]) == version
    else:
        if version == RELEASE:
            version = postgresql if package != package_case.package else DEBIAN_VERSIONS[release][package]
        upstream = _upstream(found["version"])
        matches = upstream == version or upstream.startswith(version + ".")
    assert matches, (
        f"{package_case.host}: {package} is {found['version']}; expected "
        f"{'exactly ' if package_case.exact else ''}{version}{'' if package_case.exact else '.x'} "
        f"on Debian {release} ({package_case.source})"
    )


def patroni_cases(tenant: Tenant) -> list[HostCase]:
    return [HostCase(host) for host in tenant.hosts if "db" in tenant.roles(host)]


def test_patroni_version(tenant: Tenant, patroni_case: HostCase) -> None:
    """Patroni in its venv is the version roles/patroni/defaults/main.yml pins (patroni_version)."""
    host = patroni_case.host
    method = tenant.text(host, "patroni_install_method")
    if method != "pip":
        pytest.skip(f"{host}: patroni_install_method is {method}: Debian's package, no pinned version")
    expected = tenant.text(host, "patroni_version")
    executable = f"{tenant.text(host, 'patroni_venv_dir')}/bin/patroni"
    result = tenant.state(host).run("%s --version", executable, ok=(0, 1, 126, 127))
    found = (result.stdout.strip() or result.stderr.strip() or f"exit code {result.rc}")
    assert found == f"patroni {expected}", (
        f"{host}: {executable} --version says {found!r}; expected patroni {expected} (patroni_version)"
    )
