"""The tenant, as the host-state tests see it: its hosts, their groups and settings.

verify.yml runs the tests on the controller, against the scenario's VMs:

    python -m pytest -q -p no:cacheprovider molecule/tenant/tests \
        --ansible-inventory="$MOLECULE_INVENTORY_FILE" --hosts='ansible://all'

The hosts come from the inventory named by --ansible-inventory (testinfra's
AnsibleRunner, which reaches community.docker.docker hosts with its docker
backend), limited to the ansible://<pattern> entries of --hosts. The groups
make the topology the way playbooks/vars/topology.yml does: Redis runs on
odoo_redis (odoo_db when that group is absent or empty), a Sentinel on every
Redis host and every odoo_app host. Hosts in none of the tenant's groups (the
scenario's outsider) are skipped.

A setting is the inventory's value, else the role default of the role whose
prefix it carries (roles/<role>/defaults/main.yml): the tests read the
roles' contract instead of repeating it. Inventory values are not templated;
a templated value the tests cannot evaluate fails the case that needs it.

Every test argument named `<kind>_case` is parametrized with the list that
the test module's `<kind>_cases(tenant)` returns (objects with an `id`):
one case per host and item, so that a failure names both.
"""

from __future__ import annotations

import ipaddress
import json
import re
import shlex
from functools import cached_property
from pathlib import Path
from typing import Any, Callable
from urllib.parse import urlparse

import pytest
import testinfra
import yaml
from testinfra.utils.ansible_runner import AnsibleRunner

COLLECTION_ROOT = Path(__file__).resolve().parents[3]

# The address Ansible's facts call default_ipv4, as the inventory writes it.
_DEFAULT_IPV4_TEMPLATE = re.compile(r"^\{\{\s*ansible_facts\[(['\"])default_ipv4\1\]\[(['\"])address\2\]\s*\}\}$")
# Paths the tests pass to a remote shell unquoted (so that globs expand).
_PLAIN_PATH = re.compile(r"^/[A-Za-z0-9_./*-]+$")


class Unresolved(AssertionError):
    """A setting the tests cannot turn into a value (a template they do not evaluate): the case fails."""


def _itergroup(inventory: dict[str, Any], group: str) -> list[str]:
    """The hosts of a group and of its children, in inventory order, each once."""
    found: list[str] = []
    entry = inventory.get(group, {})
    for host in entry.get("hosts", []):
        if host not in found:
            found.append(host)
    for child in entry.get("children", []):
        for host in _itergroup(inventory, child):
            if host not in found:
                found.append(host)
    return found


class HostState:
    """What the tests read on one host, each read once however many cases use it."""

    def __init__(self, tenant: Tenant, name: str):
        self.name = name
        self.tenant = tenant
        self.host = testinfra.get_host(f"ansible://{name}", ansible_inventory=tenant.inventory_path)
        self._memo: dict[Any, Any] = {}

    def once(self, key: Any, read: Callable[[], Any]) -> Any:
        """read(), the first time `key` is asked for on this host; its answer afterwards."""
        if key not in self._memo:
            self._memo[key] = read()
        return self._memo[key]

    def run(self, command: str, *args: str, ok: tuple[int, ...] = (0,)):
        """Run a command on the host; an exit code outside `ok` fails the test with the host's name."""
        result = self.host.run(command, *args)
        assert result.rc in ok, (
            f"{self.name}: cannot read the host state, `{command % args if args else command}` exited {result.rc}: "
            f"{result.stderr.strip() or result.stdout.strip()}"
        )
        return result

    @cached_property
    def os_release(self) -> dict[str, str]:
        found = {}
        for line in self.run("cat /etc/os-release").stdout.splitlines():
            key, equals, value = line.partition("=")
            if equals:
                found[key] = shlex.split(value)[0] if value else ""
        return found

    @cached_property
    def default_ipv4(self) -> str:
        """The address Ansible's default_ipv4 fact holds: the source address of the default route."""
        # Ansible's facts ask the same question (ip -4 route get 8.8.8.8); nothing is sent.
        route = self.run("ip -4 -o route get 8.8.8.8").stdout
        found = re.search(r"\bsrc (\S+)", route)
        assert found, f"{self.name}: no default IPv4 route, so no service address (ip -4 route get: {route.strip()!r})"
        return found.group(1)

    @cached_property
    def service_address(self) -> str:
        """The address every role binds to (playbooks/tasks/facts.yml): the inventory's, else default_ipv4."""
        for name in ("odoo_hosting_service_address", "db_service_address"):
            value = self.tenant.hostvars(self.name).get(name)
            if value:
                return self.tenant.address(self, value, name)
        return self.default_ipv4

    @cached_property
    def listeners(self) -> list[tuple[str, int]]:
        """(address, port) of every listening TCP socket, as ss prints them ('*' for every address)."""
        found = []
        for line in self.run("ss -Hltn").stdout.splitlines():
            fields = line.split()
            if len(fields) < 4:
                continue
            address, port = fields[3].rsplit(":", 1)
            found.append((address, int(port)))
        return found

    def units(self, names: tuple[str, ...]) -> dict[str, dict[str, str]]:
        """systemctl show's LoadState, ActiveState, SubState and UnitFileState of each unit, in one call."""
        def read() -> dict[str, dict[str, str]]:
            output = self.run("systemctl show -p Id -p LoadState -p ActiveState -p SubState -p UnitFileState -- "
                              + " ".join(shlex.quote(name) for name in names)).stdout
            blocks = [block for block in output.strip().split("\n\n") if block.strip()]
            assert len(blocks) == len(names), f"{self.name}: systemctl show answered {len(blocks)} units for {len(names)}"
            return {name: dict(line.split("=", 1) for line in block.splitlines())
                    for name, block in zip(names, blocks)}
        return self.once(("units", names), read)

    def stats(self, paths: tuple[str, ...]) -> dict[str, dict[str, Any]]:
        """Mode, owner and type of each path (globs expanded), in one call; absent paths are left out."""
        def read() -> dict[str, dict[str, Any]]:
            for path in paths:
                assert _PLAIN_PATH.match(path), f"not a plain path: {path!r}"
            # rc 1: some path is absent, which the tests report themselves.
            output = self.run("stat -c %s -- " + " ".join(paths), "%n|%a|%U|%G|%u|%g|%F", ok=(0, 1)).stdout
            found = {}
            for line in output.splitlines():
                name, mode, owner, group, uid, gid, kind = line.split("|")
                found[name] = {"mode": int(mode, 8), "owner": owner, "group": group,
                               "uid": int(uid), "gid": int(gid), "type": kind}
            return found
        return self.once(("stats", paths), read)

    def packages(self, names: tuple[str, ...]) -> dict[str, dict[str, str]]:
        """Version and dpkg status of each package dpkg knows, in one call."""
        def read() -> dict[str, dict[str, str]]:
            # rc 1: some package is unknown to dpkg, which the tests report themselves.
            output = self.run("dpkg-query -W -f %s -- " + " ".join(shlex.quote(name) for name in names),
                              "${Package}\t${Version}\t${db:Status-Abbrev}\n", ok=(0, 1)).stdout
            found = {}
            for line in output.splitlines():
                name, version, status = line.split("\t")
                found[name] = {"version": version, "status": status.strip()}
            return found
        return self.once(("packages", names), read)

    def read_json(self, path: str) -> Any:
        """The JSON document in a file of the host, or None when the file is absent."""
        def read() -> Any:
            result = self.run("cat -- %s", path, ok=(0, 1))
            return json.loads(result.stdout) if result.rc == 0 else None
        return self.once(("json", path), read)


class Tenant:
    """The inventory's tenant: hosts, the topology derived from the groups, settings, host states."""

    def __init__(self, inventory_path: str, host_specs: str):
        self.inventory_path = inventory_path
        self.runner = AnsibleRunner.get_runner(inventory_path)
        inventory = self.runner.inventory
        self.db_hosts = _itergroup(inventory, "odoo_db")
        self.redis_hosts = _itergroup(inventory, "odoo_redis") or self.db_hosts
        self.app_hosts = _itergroup(inventory, "odoo_app")
        self.sentinel_hosts = self.redis_hosts + [host for host in self.app_hosts if host not in self.redis_hosts]
        self.backup_hosts = _itergroup(inventory, "odoo_backup")
        # pgBackRest's TLS server runs on the backup host and, when there is one, on every DB host.
        self.pgbackrest_hosts = (self.db_hosts + self.backup_hosts) if self.backup_hosts else []
        self.selected = self._select(host_specs)
        self._states: dict[str, HostState] = {}
        self._defaults: dict[str, dict[str, Any]] = {}

    def _select(self, host_specs: str) -> list[str]:
        selected: list[str] = []
        for spec in host_specs.split(","):
            url = urlparse(spec.strip())
            if url.scheme != "ansible":
                raise pytest.UsageError(f"--hosts: {spec!r} is not ansible://<pattern>; the tests read the inventory's groups")
            for host in self.runner.get_hosts(url.netloc or "all"):
                if host not in selected:
                    selected.append(host)
        return selected

    @property
    def hosts(self) -> list[str]:
        """The selected hosts that belong to the tenant."""
        return [host for host in self.selected if self.roles(host)]

    def roles(self, host: str) -> frozenset[str]:
        """What the host runs: db, redis, sentinel, app, backup, pgbackrest (empty: not a tenant host)."""
        return frozenset(kind for kind, hosts in (("db", self.db_hosts), ("redis", self.redis_hosts),
                                                  ("sentinel", self.sentinel_hosts), ("app", self.app_hosts),
                                                  ("backup", self.backup_hosts), ("pgbackrest", self.pgbackrest_hosts))
                         if host in hosts)

    def hostvars(self, host: str) -> dict[str, Any]:
        return self.runner.get_variables(host)

    def role_defaults(self, role: str) -> dict[str, Any]:
        if role not in self._defaults:
            path = COLLECTION_ROOT / "roles" / role / "defaults" / "main.yml"
            self._defaults[role] = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        return self._defaults[role]

    def setting(self, host: str, name: str) -> Any:
        """The inventory's value of a role variable, else the default of the role its prefix names."""
        hostvars = self.hostvars(host)
        if name in hostvars:
            return hostvars[name]
        defaults = self.role_defaults(name.split("_", 1)[0])
        if name not in defaults:
            raise Unresolved(f"{host}: {name} is neither in the inventory nor in roles/{name.split('_', 1)[0]}/defaults/main.yml")
        return defaults[name]

    def port(self, host: str, name: str) -> int:
        value = self.setting(host, name)
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, str) and value.isdigit():
            return int(value)
        raise Unresolved(f"{host}: {name} = {value!r} is not a port number the tests can read")

    def flag(self, host: str, name: str) -> bool:
        value = self.setting(host, name)
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "yes", "false", "no"):
            return value.lower() in ("true", "yes")
        raise Unresolved(f"{host}: {name} = {value!r} is not a boolean the tests can read")

    def text(self, host: str, name: str) -> str:
        value = self.setting(host, name)
        if not isinstance(value, (str, int, float)) or "{{" in str(value):
            raise Unresolved(f"{host}: {name} = {value!r} is a template the tests do not evaluate")
        return str(value)

    def address(self, state: HostState, value: Any, name: str) -> str:
        """An address setting's value on a host: a literal IP, or the default_ipv4 fact's template."""
        if isinstance(value, str) and _DEFAULT_IPV4_TEMPLATE.match(value.strip()):
            return state.default_ipv4
        try:
            return str(ipaddress.ip_address(str(value).strip()))
        except ValueError:
            raise Unresolved(f"{state.name}: {name} = {value!r} is neither an IP address nor the default_ipv4 fact") from None

    def state(self, host: str) -> HostState:
        if host not in self._states:
            self._states[host] = HostState(self, host)
        return self._states[host]


_TENANTS: dict[tuple[str, str], Tenant] = {}


def _tenant(config: pytest.Config) -> Tenant:
    inventory = config.option.ansible_inventory
    if not inventory:
        raise pytest.UsageError("the host-state tests need --ansible-inventory (Molecule's inventory file)")
    key = (inventory, config.option.hosts or "ansible://all")
    if key not in _TENANTS:
        _TENANTS[key] = Tenant(*key)
    return _TENANTS[key]


@pytest.fixture(scope="session")
def tenant(request: pytest.FixtureRequest) -> Tenant:
    return _tenant(request.config)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    for argname in metafunc.fixturenames:
        if argname.endswith("_case"):
            cases = getattr(metafunc.module, argname + "s")(_tenant(metafunc.config))
            metafunc.parametrize(argname, cases, ids=[case.id for case in cases])
