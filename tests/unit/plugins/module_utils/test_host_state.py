"""host_state's pure parsers: dpkg-query lines, systemctl show blocks, unit names."""

import pytest

from ansible_collections.sysgenpro.odoo_hosting.plugins.module_utils.host_state import (
    SHOW_PROPERTIES,
    parse_dpkg_query,
    parse_systemctl_show,
    unit_name,
)


# --- unit_name -----------------------------------------------------------------

@pytest.mark.parametrize('name,unit', [
    ('etcd', 'etcd.service'),
    ('etcd.service', 'etcd.service'),
    ('patroni-etcd-leader-guard.timer', 'patroni-etcd-leader-guard.timer'),
    ('docker.socket', 'docker.socket'),
    ('multi-user.target', 'multi-user.target'),
    ('var-lib-docker.mount', 'var-lib-docker.mount'),
    ('certs.path', 'certs.path'),
    ('system.slice', 'system.slice'),
    ('session-1.scope', 'session-1.scope'),
    ('postgresql@16-main', 'postgresql@16-main.service'),
    ('redis-server.conf', 'redis-server.conf.service'),
])
def test_unit_name(name, unit):
    assert unit_name(name) == unit


def test_show_properties_are_the_ones_parsed():
    assert SHOW_PROPERTIES == ('Id', 'LoadState', 'ActiveState', 'SubState', 'UnitFileState')


# --- parse_dpkg_query ------------------------------------------------------------

@pytest.mark.parametrize('output,version', [
    ('etcd-server\tinstalled\t3.4.23-4+b5\n', '3.4.23-4+b5'),
    ('etcd-server\tnot-installed\t\n', None),
    ('etcd-server\tconfig-files\t3.4.23-4+b5\n', None),
    ('etcd-server\thalf-configured\t3.4.23-4+b5\n', None),
    ('etcd-server\tunpacked\t3.4.23-4+b5\n', None),
    ('etcd-server:amd64\tinstalled\t3.4.23-4+b5\n', '3.4.23-4+b5'),
    ('', None),
], ids=['installed', 'not-installed', 'config-files', 'half-configured', 'unpacked', 'multiarch', 'unknown'])
def test_one_package(output, version):
    assert parse_dpkg_query(['etcd-server'], output) == {'etcd-server': version}


def test_several_packages_keep_the_order_asked():
    output = ('libc6:amd64\tinstalled\t2.36-9+deb12u14\n'
              'libc6:i386\tconfig-files\t2.36-9+deb12u13\n'
              'postgresql-16\tinstalled\t16.9-1.pgdg120+1\n'
              'etcd-client\tnot-installed\t\n')
    names = ['postgresql-16', 'etcd-client', 'libc6', 'nosuch']
    result = parse_dpkg_query(names, output)
    assert result == {'postgresql-16': '16.9-1.pgdg120+1', 'etcd-client': None, 'libc6': '2.36-9+deb12u14', 'nosuch': None}
    assert list(result) == names


def test_a_multiarch_package_installed_for_one_arch_counts():
    """The order of dpkg's lines does not matter: a config-files line never hides an installed one."""
    output = 'libc6:amd64\tinstalled\t2.36\nlibc6:i386\tconfig-files\t2.35\n'
    assert parse_dpkg_query(['libc6'], output) == {'libc6': '2.36'}
    assert parse_dpkg_query(['libc6'], '\n'.join(reversed(output.splitlines()))) == {'libc6': '2.36'}


@pytest.mark.parametrize('noise', [
    'dpkg-query: no packages found matching nosuch\n',
    'etcd-server installed 3.4\n',
    'etcd-server\tinstalled\n',
    '\n\n',
], ids=['message', 'spaces', 'two-fields', 'blank'])
def test_lines_of_another_shape_are_ignored(noise):
    assert parse_dpkg_query(['etcd-server', 'nosuch'], noise + 'nosuch2\tinstalled\t1\n') == {'etcd-server': None, 'nosuch': None}


def test_a_package_not_asked_is_not_returned():
    assert parse_dpkg_query([], 'etcd-server\tinstalled\t3.4\n') == {}


# --- parse_systemctl_show ---------------------------------------------------------

ETCD = 'Id=etcd.service\nLoadState=loaded\nActiveState=active\nSubState=running\nUnitFileState=enabled\n'
NOSUCH = 'Id=nosuch.service\nLoadState=not-found\nActiveState=inactive\nSubState=dead\nUnitFileState=\n'
TIMER = ('Id=patroni-etcd-leader-guard.timer\nLoadState=loaded\nActiveState=active\nSubState=waiting\n'
         'UnitFileState=enabled\n')
TRANSIENT = 'Id=run-r1.service\nLoadState=loaded\nActiveState=active\nSubState=exited\nUnitFileState=\n'


def state(load, active, sub, enabled):
    return dict(load=load, active=active, sub=sub, enabled=enabled)


def test_several_blocks():
    output = '\n'.join([ETCD, NOSUCH, TIMER])
    result = parse_systemctl_show(['etcd', 'nosuch', 'patroni-etcd-leader-guard.timer'], output)
    assert result == {
        'etcd': state('loaded', 'active', 'running', 'enabled'),
        'nosuch': state('not-found', 'inactive', 'dead', ''),
        'patroni-etcd-leader-guard.timer': state('loaded', 'active', 'waiting', 'enabled'),
    }
    assert list(result) == ['etcd', 'nosuch', 'patroni-etcd-leader-guard.timer']


def test_a_unit_without_a_file_has_an_empty_unit_file_state():
    assert parse_systemctl_show(['run-r1'], TRANSIENT) == {'run-r1': state('loaded', 'active', 'exited', '')}


def test_blocks_are_matched_by_id_whatever_their_order():
    output = '\n'.join([TIMER, NOSUCH, ETCD])
    result = parse_systemctl_show(['etcd.service', 'nosuch', 'patroni-etcd-leader-guard.timer'], output)
    assert result['etcd.service']['sub'] == 'running'
    assert result['nosuch']['load'] == 'not-found'
    assert result['patroni-etcd-leader-guard.timer']['sub'] == 'waiting'


def test_an_alias_is_matched_by_position():
    """systemctl reports an alias under its real Id (sshd -> ssh.service): the block in its place is it."""
    ssh = 'Id=ssh.service\nLoadState=loaded\nActiveState=active\nSubState=running\nUnitFileState=enabled\n'
    result = parse_systemctl_show(['etcd', 'sshd'], '\n'.join([ETCD, ssh]))
    assert result['sshd'] == state('loaded', 'active', 'running', 'enabled')


def test_properties_in_any_order_and_values_with_equals_signs():
    output = 'UnitFileState=enabled\nSubState=running\nId=etcd.service\nActiveState=active\nLoadState=loaded\nDescription=a=b\n'
    assert parse_systemctl_show(['etcd'], output) == {'etcd': state('loaded', 'active', 'running', 'enabled')}


@pytest.mark.parametrize('output', ['', '\n\n'], ids=['empty', 'blank-lines'])
def test_no_block_gives_empty_states(output):
    assert parse_systemctl_show(['etcd', 'redis'], output) == {'etcd': state('', '', '', ''), 'redis': state('', '', '', '')}


def test_extra_blank_lines_between_blocks():
    output = '\n\n' + ETCD + '\n\n\n' + NOSUCH + '\n'
    result = parse_systemctl_show(['etcd', 'nosuch'], output)
    assert result['etcd']['active'] == 'active' and result['nosuch']['load'] == 'not-found'
