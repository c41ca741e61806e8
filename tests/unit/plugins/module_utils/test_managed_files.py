"""managed_files' pure helpers: every problem check_entries finds, and the attribute line of a diff."""

import pytest

from ansible_collections.sysgenpro.odoo_hosting.plugins.module_utils.managed_files import check_entries, describe


def entry(**values):
    """An entry as AnsibleModule hands it over: every option present, unset ones None."""
    result = dict(path='/etc/app/app.conf', state='file', content=None, owner=None, group=None, mode=None, validate=None)
    result.update(values)
    return result


# --- check_entries -------------------------------------------------------------

@pytest.mark.parametrize('entries', [
    [],
    [entry(content='x\n', owner='root', group='app', mode='0640', validate='app --check %s')],
    [entry(path='/etc/app', state='directory', mode='0750'), entry(path='/etc/app/app.conf', content='')],
    [entry(path='/etc/app/key.pem', mode='600')],
    [entry(path='/etc/app/old.conf', state='absent')],
    [entry(mode='2750'), entry(path='/etc/app/b', mode='02750')],
], ids=['none', 'full-file', 'directory-then-file', 'three-digit-mode', 'absent', 'special-bits'])
def test_sound_entries_have_no_problem(entries):
    assert check_entries(entries) == []


@pytest.mark.parametrize('bad,problem', [
    (entry(path='etc/app.conf'), 'files[0] (etc/app.conf): path must be absolute'),
    (entry(path=''), 'files[0] (): path must be absolute'),
    (entry(path=None), 'files[0] (None): path must be absolute'),
    (entry(state='directory', content='x'), 'files[0] (/etc/app/app.conf): only a file takes content'),
    (entry(state='absent', content=''), 'files[0] (/etc/app/app.conf): only a file takes content'),
    (entry(state='directory', validate='true %s'), 'files[0] (/etc/app/app.conf): only a file can be validated'),
    (entry(state='absent', validate='true %s'), 'files[0] (/etc/app/app.conf): only a file can be validated'),
    (entry(mode='640x'), "files[0] (/etc/app/app.conf): mode '640x' is not an octal string such as '0640'"),
    (entry(mode='0890'), "files[0] (/etc/app/app.conf): mode '0890' is not an octal string such as '0640'"),
    (entry(mode='64'), "files[0] (/etc/app/app.conf): mode '64' is not an octal string such as '0640'"),
    (entry(mode='u=rw,g=r'), "files[0] (/etc/app/app.conf): mode 'u=rw,g=r' is not an octal string such as '0640'"),
    (entry(mode='006400'), "files[0] (/etc/app/app.conf): mode '006400' is not an octal string such as '0640'"),
    (entry(validate='app --check'), "files[0] (/etc/app/app.conf): validate needs %s where the file's temporary path goes"),
], ids=['relative', 'empty-path', 'no-path', 'directory-content', 'absent-content', 'directory-validate',
        'absent-validate', 'mode-letters', 'mode-not-octal', 'mode-short', 'mode-symbolic', 'mode-long', 'validate-no-placeholder'])
def test_each_problem_is_named(bad, problem):
    assert check_entries([bad]) == [problem]


def test_a_path_listed_twice():
    problems = check_entries([entry(), entry(path='/etc/app', state='directory'), entry(content='again')])
    assert problems == ['files[2] (/etc/app/app.conf): the path is listed twice']


def test_problems_come_in_order_with_their_index():
    problems = check_entries([
        entry(path='/etc/good', state='directory'),
        entry(path='relative', mode='999'),
        entry(path='/etc/dir', state='directory', content='x', validate='check'),
    ])
    assert problems == [
        'files[1] (relative): path must be absolute',
        "files[1] (relative): mode '999' is not an octal string such as '0640'",
        'files[2] (/etc/dir): only a file takes content',
        'files[2] (/etc/dir): only a file can be validated',
        "files[2] (/etc/dir): validate needs %s where the file's temporary path goes",
    ]


def test_a_missing_state_means_file():
    """check_entries is pure: called without AnsibleModule's defaults, a state-less entry is a file."""
    assert check_entries([{'path': '/etc/app.conf', 'content': 'x'}]) == []
    assert check_entries([{'path': '/etc/app.conf', 'validate': 'true %s'}]) == []


# --- describe ------------------------------------------------------------------

@pytest.mark.parametrize('attributes,line', [
    (None, ''),
    ({}, '\n'),
    (entry(), '\n'),
    (entry(owner='root', group='etcd', mode='0640'), 'owner=root group=etcd mode=0640\n'),
    (entry(mode='0750'), 'mode=0750\n'),
    ({'mode': '0644', 'uid': 0, 'gid': 107}, 'uid=0 gid=107 mode=0644\n'),
    ({'gid': 0, 'group': 'root', 'uid': 1000, 'owner': 'app', 'mode': '0600'}, 'owner=app uid=1000 group=root gid=0 mode=0600\n'),
], ids=['absent', 'empty', 'nothing-given', 'entry', 'mode-only', 'stat', 'order'])
def test_describe(attributes, line):
    assert describe(attributes) == line
