"""host_state's main(): canned dpkg-query and systemctl answers, real paths and searches in tmp_path."""

import grp
import hashlib
import json
import os
import pwd

import pytest
from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.testing import patch_module_args

from ansible_collections.sysgenpro.odoo_hosting.plugins.modules import host_state

DPKG_FORMAT = r'-f=${Package}\t${db:Status-Status}\t${Version}\n'
SHOW = '--property=Id,LoadState,ActiveState,SubState,UnitFileState'

DPKG_OUTPUT = ('etcd-server\tinstalled\t3.4.23-4+b5\n'
               'etcd-client\tconfig-files\t3.4.23-4+b5\n'
               'libc6:amd64\tinstalled\t2.36-9+deb12u14\n')
SYSTEMCTL_OUTPUT = ('Id=etcd.service\nLoadState=loaded\nActiveState=active\nSubState=running\nUnitFileState=enabled\n'
                    '\n'
                    'Id=nosuch.service\nLoadState=not-found\nActiveState=inactive\nSubState=dead\nUnitFileState=\n'
                    '\n'
                    'Id=guard.timer\nLoadState=loaded\nActiveState=active\nSubState=waiting\nUnitFileState=enabled\n')


@pytest.fixture
def commands(monkeypatch):
    """Replaces AnsibleModule.run_command: records each argv, answers from `answers` (argv[0] -> rc, out, err)."""
    calls = []
    answers = {
        'dpkg-query': (1, DPKG_OUTPUT, 'dpkg-query: no packages found matching nosuch\n'),
        'systemctl': (0, SYSTEMCTL_OUTPUT, ''),
    }

    def run_command(module, args, **kwargs):
        calls.append(args)
        return answers[args[0]]

    monkeypatch.setattr(AnsibleModule, 'run_command', run_command)
    return calls, answers


def run(args, capsys):
    with patch_module_args(args):
        with pytest.raises(SystemExit):
            host_state.main()
    return json.loads(capsys.readouterr().out)


# --- packages and units ---------------------------------------------------------

def test_packages_and_units(commands, capsys):
    calls, _answers = commands
    result = run(dict(packages=['etcd-server', 'etcd-client', 'libc6', 'nosuch'],
                      services=['etcd', 'nosuch.service', 'guard.timer']), capsys)
    assert not result.get('failed'), result
    assert result['changed'] is False
    assert calls == [
        ['dpkg-query', '-W', DPKG_FORMAT, 'etcd-server', 'etcd-client', 'libc6', 'nosuch'],
        ['systemctl', 'show', SHOW, 'etcd.service', 'nosuch.service', 'guard.timer'],
    ]
    assert result['packages'] == {'etcd-server': '3.4.23-4+b5', 'etcd-client': None, 'libc6': '2.36-9+deb12u14', 'nosuch': None}
    assert result['services'] == {
        'etcd': dict(load='loaded', active='active', sub='running', enabled='enabled'),
        'nosuch.service': dict(load='not-found', active='inactive', sub='dead', enabled=''),
        'guard.timer': dict(load='loaded', active='active', sub='waiting', enabled='enabled'),
    }


def test_nothing_asked_runs_nothing(commands, capsys):
    calls, _answers = commands
    result = run({}, capsys)
    assert calls == []
    assert result == dict(changed=False, packages={}, services={}, paths={}, stats={}, contents={}, search=[],
                          invocation=result['invocation'])


def test_check_mode_reads_the_same(commands, capsys):
    args = dict(packages=['etcd-server'], services=['etcd'])
    normal = run(args, capsys)
    checked = run(dict(args, _ansible_check_mode=True), capsys)
    assert (checked['packages'], checked['services']) == (normal['packages'], normal['services'])
    assert checked['changed'] is False
    calls, _answers = commands
    assert calls[0] == calls[2] and calls[1] == calls[3]


@pytest.mark.parametrize('rc', [0, 1], ids=['all-known', 'some-unknown'])
def test_dpkg_query_rc_0_and_1_are_answers(commands, rc, capsys):
    _calls, answers = commands
    answers['dpkg-query'] = (rc, DPKG_OUTPUT, '')
    assert run(dict(packages=['etcd-server']), capsys)['packages'] == {'etcd-server': '3.4.23-4+b5'}


def test_dpkg_query_failure(commands, capsys):
    _calls, answers = commands
    answers['dpkg-query'] = (2, '', 'dpkg-query: error: failed to open package info file /var/lib/dpkg/status\n')
    result = run(dict(packages=['etcd-server']), capsys)
    assert result['failed']
    assert result['msg'].startswith('Cannot read the installed packages: dpkg-query: ')
    assert result['msg'].endswith('error: failed to open package info file /var/lib/dpkg/status')


def test_systemctl_failure(commands, capsys):
    _calls, answers = commands
    answers['systemctl'] = (1, '', 'System has not been booted with systemd as init system (PID 1). Can\'t operate.\n')
    result = run(dict(services=['etcd']), capsys)
    assert result['failed']
    assert result['msg'] == ('Cannot read the state of the units: systemctl show: '
                             'System has not been booted with systemd as init system (PID 1). Can\'t operate.')


# --- paths, stats, contents --------------------------------------------------------

@pytest.fixture
def tree(tmp_path):
    (tmp_path / 'file.txt').write_text('line one\nport = 5432\n')
    os.chmod(str(tmp_path / 'file.txt'), 0o640)
    (tmp_path / 'dir').mkdir()
    os.chmod(str(tmp_path / 'dir'), 0o750)
    (tmp_path / 'link').symlink_to(tmp_path / 'file.txt')
    os.mkfifo(str(tmp_path / 'fifo'))
    return tmp_path


def test_path_kinds(tree, commands, capsys):
    names = ['file.txt', 'dir', 'link', 'fifo', 'missing', 'missing/below']
    result = run(dict(paths=[str(tree / name) for name in names]), capsys)
    assert result['paths'] == {
        str(tree / 'file.txt'): 'file',
        str(tree / 'dir'): 'directory',
        str(tree / 'link'): 'link',
        str(tree / 'fifo'): 'other',
        str(tree / 'missing'): None,
        str(tree / 'missing' / 'below'): None,
    }
    assert commands[0] == []


def test_stats(tree, commands, capsys):
    owner = pwd.getpwuid(os.getuid()).pw_name
    group = grp.getgrgid(os.getgid()).gr_name
    result = run(dict(stats=[str(tree / name) for name in ('file.txt', 'dir', 'link', 'missing')]), capsys)
    assert result['stats'] == {
        str(tree / 'file.txt'): dict(kind='file', owner=owner, group=group, mode='0640',
                                     checksum=hashlib.sha1(b'line one\nport = 5432\n').hexdigest()),
        str(tree / 'dir'): dict(kind='directory', owner=owner, group=group, mode='0750', checksum=None),
        str(tree / 'link'): dict(kind='link', owner=owner, group=group, mode='0777', checksum=None),
        str(tree / 'missing'): None,
    }


def test_contents(tree, commands, capsys):
    result = run(dict(contents=[str(tree / 'file.txt'), str(tree / 'dir'), str(tree / 'missing')]), capsys)
    assert result['contents'] == {str(tree / 'file.txt'): 'line one\nport = 5432\n', str(tree / 'dir'): None,
                                  str(tree / 'missing'): None}


def test_a_content_too_large_is_refused(tmp_path, commands, capsys):
    big = tmp_path / 'big.pem'
    big.write_bytes(b'x' * (256 * 1024 + 1))
    result = run(dict(contents=[str(big)]), capsys)
    assert result['failed']
    assert result['msg'] == 'Cannot read %s: it is larger than 262144 bytes' % big


def test_a_content_at_the_limit_is_read(tmp_path, commands, capsys):
    big = tmp_path / 'big.pem'
    big.write_bytes(b'x' * (256 * 1024))
    assert len(run(dict(contents=[str(big)]), capsys)['contents'][str(big)]) == 256 * 1024


# --- search ------------------------------------------------------------------------

@pytest.mark.parametrize('name,text,line,found', [
    ('file.txt', 'port = 5432', False, True),
    ('file.txt', 'port = 5432', True, True),
    ('file.txt', 'port', False, True),
    ('file.txt', 'port', True, False),
    ('file.txt', 'one\nport', False, True),
    ('file.txt', 'line one\nport = 5432', True, False),
    ('file.txt', 'Port', False, False),
    ('file.txt', 'port = 6432', False, False),
    ('link', 'port = 5432', True, True),
    ('missing', 'port', False, False),
    ('dir', 'port', False, False),
], ids=['substring', 'whole-line', 'part-of-a-line', 'part-is-not-a-line', 'across-lines', 'two-lines-are-not-a-line',
        'case-matters', 'absent', 'through-a-link', 'missing-file', 'unreadable-directory'])
def test_search(tree, commands, name, text, line, found, capsys):
    result = run(dict(search=[dict(path=str(tree / name), text=text, line=line)]), capsys)
    assert result['search'] == [found]


def test_search_defaults_to_a_substring_and_keeps_the_order(tree, commands, capsys):
    result = run(dict(search=[dict(path=str(tree / 'file.txt'), text='port'),
                              dict(path=str(tree / 'missing'), text='port'),
                              dict(path=str(tree / 'file.txt'), text='line one', line=True)]), capsys)
    assert result['search'] == [True, False, True]


@pytest.mark.skipif(os.geteuid() == 0, reason='root reads a file whatever its mode')
def test_search_in_a_file_without_read_permission(tree, commands, capsys):
    os.chmod(str(tree / 'file.txt'), 0)
    result = run(dict(search=[dict(path=str(tree / 'file.txt'), text='port')]), capsys)
    assert result['search'] == [False]


def test_search_needs_path_and_text(commands, capsys):
    result = run(dict(search=[dict(path='/etc/hosts')]), capsys)
    assert result['failed'] and 'text' in result['msg']
