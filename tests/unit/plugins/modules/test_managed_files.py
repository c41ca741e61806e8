"""managed_files' main() against real files in tmp_path: state, idempotence, check and diff, validate, refusals."""

import grp
import json
import os
import pwd
import stat

import pytest
from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.testing import patch_module_args

from ansible_collections.sysgenpro.odoo_hosting.plugins.modules import managed_files

# The current user's names, so that owner and group are managed (and unchanged) under any user.
OWNER = pwd.getpwuid(os.getuid()).pw_name
GROUP = grp.getgrgid(os.getgid()).gr_name
TEMPORARY_PREFIX = '.managed_files.'


def run(files, capsys, check=False, diff=False):
    args = dict(files=files)
    if check:
        args['_ansible_check_mode'] = True
    if diff:
        args['_ansible_diff'] = True
    with patch_module_args(args):
        with pytest.raises(SystemExit):
            managed_files.main()
    return json.loads(capsys.readouterr().out)


def mode_of(path):
    return '%04o' % stat.S_IMODE(os.lstat(str(path)).st_mode)


def snapshot(top):
    """Every path under top with its mode and (for files) content: what a check-mode run must not touch."""
    result = {}
    for directory, dirnames, filenames in os.walk(str(top)):
        for name in dirnames + filenames:
            path = os.path.join(directory, name)
            content = None
            if os.path.isfile(path):
                with open(path, 'rb') as handle:
                    content = handle.read()
            result[os.path.relpath(path, str(top))] = (mode_of(path), content)
    return result


def leftovers(directory):
    return [name for name in os.listdir(str(directory)) if name.startswith(TEMPORARY_PREFIX)]


def conf(path, content='port = 5432\n', mode='0640', **extra):
    entry = dict(path=str(path), content=content, owner=OWNER, group=GROUP, mode=mode)
    entry.update(extra)
    return entry


def directory(path, mode='0750'):
    return dict(path=str(path), state='directory', owner=OWNER, group=GROUP, mode=mode)


@pytest.fixture
def layout(tmp_path):
    """A directory and a 0640 file in it, as the first run of a role leaves them."""
    app = tmp_path / 'app'
    app.mkdir(mode=0o750)
    os.chmod(str(app), 0o750)
    (app / 'app.conf').write_text('port = 5432\n')
    os.chmod(str(app / 'app.conf'), 0o640)
    return app


# --- bringing entries to their state ---------------------------------------------

def test_creates_a_directory_then_a_file_in_it(tmp_path, capsys):
    app = tmp_path / 'app'
    result = run([directory(app), conf(app / 'app.conf')], capsys)
    assert not result.get('failed'), result
    assert result['changed'] is True
    assert result['changed_paths'] == [str(app), str(app / 'app.conf')]
    assert result['files'] == [dict(path=str(app), state='directory', changed=True),
                               dict(path=str(app / 'app.conf'), state='file', changed=True)]
    assert app.is_dir() and mode_of(app) == '0750'
    assert (app / 'app.conf').read_text() == 'port = 5432\n'
    assert mode_of(app / 'app.conf') == '0640'
    assert os.stat(str(app / 'app.conf')).st_uid == os.getuid()
    assert leftovers(app) == []


def test_a_second_identical_run_changes_nothing(tmp_path, capsys):
    app = tmp_path / 'app'
    entries = [directory(app), conf(app / 'app.conf'), conf(app / 'empty.conf', content='')]
    first = run(entries, capsys)
    assert first['changed'] is True
    before = snapshot(tmp_path)
    second = run(entries, capsys)
    assert second['changed'] is False
    assert second['changed_paths'] == []
    assert [entry['changed'] for entry in second['files']] == [False, False, False]
    assert snapshot(tmp_path) == before


def test_new_content_replaces_the_old(layout, capsys):
    target = layout / 'app.conf'
    result = run([directory(layout), conf(target, content='port = 6432\n')], capsys)
    assert result['changed_paths'] == [str(target)]
    assert target.read_text() == 'port = 6432\n'
    assert mode_of(target) == '0640'
    assert leftovers(layout) == []


def test_only_the_mode_changes(layout, capsys):
    target = layout / 'app.conf'
    inode = os.stat(str(target)).st_ino
    result = run([conf(target, mode='0600')], capsys)
    assert result['changed_paths'] == [str(target)]
    assert mode_of(target) == '0600'
    assert target.read_text() == 'port = 5432\n'
    assert os.stat(str(target)).st_ino == inode, 'unchanged content is not rewritten'


def test_a_directory_mode_changes(layout, capsys):
    result = run([directory(layout, mode='0700')], capsys)
    assert result['changed_paths'] == [str(layout)]
    assert mode_of(layout) == '0700'


@pytest.mark.parametrize('present', [True, False], ids=['existing', 'missing'])
def test_attributes_only_of_a_file_without_content(layout, present, capsys):
    target = layout / ('app.conf' if present else 'key.pem')
    entry = dict(path=str(target), owner=OWNER, group=GROUP, mode='0600')
    result = run([entry], capsys)
    if present:
        assert result['changed_paths'] == [str(target)] and mode_of(target) == '0600'
        assert target.read_text() == 'port = 5432\n'
    else:
        assert result['failed']
        assert result['msg'] == 'Cannot set the attributes of %s: it does not exist' % target


@pytest.mark.parametrize('kind', ['file', 'empty-directory', 'symlink', 'missing'])
def test_absent(tmp_path, kind, capsys):
    target = tmp_path / 'gone'
    if kind == 'file':
        target.write_text('old\n')
    elif kind == 'empty-directory':
        target.mkdir()
    elif kind == 'symlink':
        (tmp_path / 'kept').write_text('kept\n')
        target.symlink_to(tmp_path / 'kept')
    result = run([dict(path=str(target), state='absent')], capsys)
    assert not result.get('failed'), result
    assert result['changed'] is (kind != 'missing')
    assert result['changed_paths'] == ([] if kind == 'missing' else [str(target)])
    assert not os.path.lexists(str(target))
    if kind == 'symlink':
        assert (tmp_path / 'kept').read_text() == 'kept\n', 'the link goes, not what it points to'


def test_absent_refuses_a_directory_with_files(layout, capsys):
    result = run([dict(path=str(layout), state='absent')], capsys)
    assert result['failed']
    assert result['msg'].startswith('Cannot remove %s: ' % layout)
    assert (layout / 'app.conf').exists()


# --- check mode and diff ---------------------------------------------------------

def test_check_mode_reports_and_changes_nothing(layout, tmp_path, capsys):
    (layout / 'old.conf').write_text('old\n')
    entries = [
        directory(tmp_path / 'new'),
        conf(tmp_path / 'new' / 'new.conf'),
        conf(layout / 'app.conf', content='port = 6432\n'),
        conf(layout / 'mode.conf', mode='0600'),
        dict(path=str(layout / 'old.conf'), state='absent'),
        directory(layout),
    ]
    (layout / 'mode.conf').write_text('port = 5432\n')
    os.chmod(str(layout / 'mode.conf'), 0o644)
    before = snapshot(tmp_path)
    result = run(entries, capsys, check=True)
    assert not result.get('failed'), result
    assert result['changed'] is True
    assert result['changed_paths'] == [entry['path'] for entry in entries[:5]]
    assert snapshot(tmp_path) == before
    assert leftovers(layout) == []


def test_check_mode_of_an_unchanged_set(layout, capsys):
    result = run([directory(layout), conf(layout / 'app.conf')], capsys, check=True)
    assert result['changed'] is False and result['changed_paths'] == []


def test_diff_shows_content_and_attributes_before_and_after(layout, tmp_path, capsys):
    (layout / 'old.conf').write_text('old\n')
    os.chmod(str(layout / 'old.conf'), 0o644)
    entries = [
        conf(layout / 'app.conf', content='port = 6432\n'),
        conf(layout / 'new.conf', content='new\n'),
        dict(path=str(layout / 'old.conf'), state='absent'),
        directory(layout, mode='0700'),
        directory(tmp_path / 'made', mode='0755'),
    ]
    result = run(entries, capsys, diff=True)
    assert not result.get('failed'), result
    diffs = result['diff']
    assert [item['before_header'] for item in diffs] == [entry['path'] for entry in entries]
    assert all(item['after_header'] == item['before_header'] for item in diffs)
    assert (diffs[0]['before'], diffs[0]['after']) == ('port = 5432\n', 'port = 6432\n')
    assert (diffs[1]['before'], diffs[1]['after']) == ('', 'new\n')
    uid_gid = 'uid=%d gid=%d' % (os.getuid(), os.getgid())
    assert (diffs[2]['before'], diffs[2]['after']) == ('%s mode=0644\n' % uid_gid, '')
    assert (diffs[3]['before'], diffs[3]['after']) == ('%s mode=0750\n' % uid_gid,
                                                       'owner=%s group=%s mode=0700\n' % (OWNER, GROUP))
    assert (diffs[4]['before'], diffs[4]['after']) == ('', 'owner=%s group=%s mode=0755\n' % (OWNER, GROUP))


def test_diff_of_a_mode_only_change_shows_the_attributes(layout, capsys):
    result = run([conf(layout / 'app.conf', mode='0600')], capsys, diff=True)
    assert result['diff'] == [dict(before_header=str(layout / 'app.conf'), after_header=str(layout / 'app.conf'),
                                   before='uid=%d gid=%d mode=0640\n' % (os.getuid(), os.getgid()),
                                   after='owner=%s group=%s mode=0600\n' % (OWNER, GROUP))]


def test_diff_in_check_mode(layout, capsys):
    result = run([conf(layout / 'app.conf', content='port = 6432\n')], capsys, check=True, diff=True)
    assert result['diff'][0]['before'] == 'port = 5432\n'
    assert result['diff'][0]['after'] == 'port = 6432\n'
    assert (layout / 'app.conf').read_text() == 'port = 5432\n'


def test_no_diff_without_a_change_or_without_diff_mode(layout, capsys):
    assert 'diff' not in run([conf(layout / 'app.conf')], capsys, diff=True)
    assert 'diff' not in run([conf(layout / 'app.conf', content='x\n')], capsys)


# --- validate --------------------------------------------------------------------

def test_a_refused_file_never_lands(layout, capsys):
    target = layout / 'app.conf'
    result = run([conf(target, content='bad\n', mode='0600', validate='grep -q good %s')], capsys)
    assert result['failed']
    assert result['msg'].startswith('Cannot write %s: grep refused it' % target)
    assert result['rc'] == 1
    assert target.read_text() == 'port = 5432\n'
    assert mode_of(target) == '0640'
    assert leftovers(layout) == []


def test_an_accepted_file_lands(layout, capsys, monkeypatch):
    checked = []
    original = AnsibleModule.run_command

    def watching(module, args, **kwargs):
        temporary = args.split()[-1]
        with open(temporary) as handle:
            checked.append((os.path.dirname(temporary), os.path.basename(temporary), mode_of(temporary), handle.read()))
        return original(module, args, **kwargs)

    monkeypatch.setattr(AnsibleModule, 'run_command', watching)
    target = layout / 'app.conf'
    result = run([conf(target, content='good\n', validate='grep -q good %s')], capsys)
    assert result['changed_paths'] == [str(target)]
    assert target.read_text() == 'good\n'
    # The validator read the new content, beside the target, with the target's final mode.
    [(where, name, mode, content)] = checked
    assert (where, mode, content) == (str(layout), '0640', 'good\n')
    assert name.startswith(TEMPORARY_PREFIX)
    assert leftovers(layout) == []


# --- a new file is never more open than asked ---------------------------------------

@pytest.fixture
def chmods(monkeypatch):
    """Every mode a temporary file of managed_files is given, whoever gives it."""
    seen = []
    for name in ('chmod', 'fchmod', 'lchmod'):
        original = getattr(os, name, None)
        if original is None:
            continue

        def spy(path, mode, *args, _original=original, **kwargs):
            if not isinstance(path, int):
                base = os.path.basename(os.fsdecode(path))
                if base.startswith(TEMPORARY_PREFIX):
                    seen.append(stat.S_IMODE(mode))
            return _original(path, mode, *args, **kwargs)
        monkeypatch.setattr(os, name, spy)
    return seen


def test_a_new_file_is_never_wider_than_asked(tmp_path, capsys, chmods):
    target = tmp_path / 'secret.key'
    old_umask = os.umask(0)
    try:
        result = run([conf(target, content='secret\n', mode='0640')], capsys)
    finally:
        os.umask(old_umask)
    assert result['changed_paths'] == [str(target)]
    assert mode_of(target) == '0640'
    assert all(mode & ~0o640 == 0 for mode in chmods), ['%04o' % mode for mode in chmods]
    assert leftovers(tmp_path) == []


def test_narrowing_a_file_never_shows_new_content_under_the_old_mode(layout, capsys, chmods):
    target = layout / 'app.conf'
    os.chmod(str(target), 0o644)
    result = run([conf(target, content='password = s3cret\n', mode='0600')], capsys)
    assert result['changed_paths'] == [str(target)]
    assert mode_of(target) == '0600'
    assert all(mode & ~0o600 == 0 for mode in chmods), ['%04o' % mode for mode in chmods]


def test_new_content_keeps_the_mode_when_none_is_asked(layout, capsys):
    target = layout / 'app.conf'
    os.chmod(str(target), 0o604)
    entry = dict(path=str(target), content='port = 6432\n')
    assert run([entry], capsys)['changed_paths'] == [str(target)]
    assert mode_of(target) == '0604'


def test_a_new_file_without_mode_is_private(tmp_path, capsys):
    target = tmp_path / 'new.conf'
    assert run([dict(path=str(target), content='x\n')], capsys)['changed'] is True
    assert mode_of(target) == '0600'


# --- refusals --------------------------------------------------------------------

def test_a_missing_parent_directory(tmp_path, capsys):
    target = tmp_path / 'missing' / 'app.conf'
    result = run([conf(target)], capsys)
    assert result['failed']
    assert result['msg'] == 'Cannot write %s: the directory %s does not exist' % (target, tmp_path / 'missing')
    assert not (tmp_path / 'missing').exists()


def test_missing_parents_of_a_directory_are_created(tmp_path, capsys):
    target = tmp_path / 'missing' / 'app'
    result = run([directory(target, mode='0700')], capsys)
    assert result['changed_paths'] == [str(target)]
    assert target.is_dir() and mode_of(target) == '0700'


def test_a_directory_that_cannot_be_created(tmp_path, capsys):
    (tmp_path / 'plain').write_text('')
    target = tmp_path / 'plain' / 'app'
    result = run([directory(target)], capsys)
    assert result['failed']
    assert result['msg'].startswith('Cannot create the directory %s: ' % target)


def test_a_directory_where_a_file_should_be(layout, capsys):
    result = run([conf(layout)], capsys)
    assert result['failed']
    assert result['msg'] == 'Cannot write the file %s: a directory is there' % layout
    assert layout.is_dir()


def test_a_file_where_a_directory_should_be(layout, capsys):
    target = layout / 'app.conf'
    result = run([directory(target)], capsys)
    assert result['failed']
    assert result['msg'] == 'Cannot make %s a directory: something else is there' % target
    assert target.read_text() == 'port = 5432\n'


def test_bad_entries_are_refused_before_anything_changes(tmp_path, capsys):
    entries = [directory(tmp_path / 'app'), dict(path='relative.conf', content='x'), directory(tmp_path / 'app')]
    result = run(entries, capsys)
    assert result['failed']
    assert result['msg'] == ('Cannot manage the files: files[1] (relative.conf): path must be absolute; '
                             'files[2] (%s): the path is listed twice' % (tmp_path / 'app'))
    assert not (tmp_path / 'app').exists()


@pytest.mark.parametrize('entry,message', [
    (dict(state='link'), 'value of state must be one of: file, directory, absent'),
    (dict(mystery=1), 'mystery'),
])
def test_argument_spec_refusals(tmp_path, entry, message, capsys):
    result = run([dict(path=str(tmp_path / 'x'), **entry)], capsys)
    assert result['failed'] and message in result['msg']
