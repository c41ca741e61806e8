#!/usr/bin/python3
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, SysGenPro hosting engineering
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Scheduled pgBackRest backups, backup metrics and the restore drill of one tenant.

Installed by the backup role on the repository host as /usr/local/sbin/odoo-backup
and run by its systemd units, as root; every pgBackRest, pg_ctl and psql
command runs as the repository's user (--user). Standard library only.

    odoo-backup backup --type full --stanza odoo --user pgbackrest --repo 1 [--repo 2]
    odoo-backup metrics --stanza odoo --user pgbackrest
    odoo-backup restore-verify --stanza odoo --user pgbackrest --config /etc/pgbackrest/restore-verify.conf ...

Each writes its result for the node exporter's textfile collector
(<textfile-dir>/odoo_backup_*.prom, through a temporary file and a rename, so
the collector never reads half a file) and exits non-zero when it failed.
"""

from __future__ import absolute_import, division, print_function

import argparse
import fcntl
import json
import os
import pwd
import re
import shutil
import subprocess
import sys
import tempfile
import time

BACKUP_TYPES = ('full', 'diff', 'incr')
# Names that reach a command line or a SQL text are checked against these.
_NAME = re.compile(r'^[A-Za-z0-9_][A-Za-z0-9_.-]{0,62}$')
_TABLE = re.compile(r'^[a-z_][a-z0-9_]{0,62}$')


# --- Prometheus text format ---------------------------------------------------------

def _label_value(value):
    return str(value).replace('\\', '\\\\').replace('"', '\\"').replace('\n', '\\n')


def format_metrics(samples, help_texts=None):
    """Text exposition of ``samples``: a list of (name, labels dict, value), grouped by name in first-seen order."""
    help_texts = help_texts or {}
    order = []
    by_name = {}
    for name, labels, value in samples:
        if name not in by_name:
            order.append(name)
            by_name[name] = []
        by_name[name].append((labels, value))
    lines = []
    for name in order:
        if name in help_texts:
            lines.append('# HELP %s %s' % (name, help_texts[name]))
        lines.append('# TYPE %s gauge' % name)
        for labels, value in by_name[name]:
            label_text = ','.join('%s="%s"' % (key, _label_value(labels[key])) for key in sorted(labels))
            if isinstance(value, bool):
                value = int(value)
            if isinstance(value, float):
                value_text = repr(round(value, 3))
            else:
                value_text = str(value)
            lines.append('%s%s %s' % (name, '{%s}' % label_text if label_text else '', value_text))
    return '\n'.join(lines) + '\n'


def write_textfile(directory, name, text):
    """Write ``text`` to ``directory/name`` atomically (temporary file beside it, fsync, rename), mode 0644."""
    if not name.endswith('.prom') or '/' in name:
        raise ValueError('a textfile collector file is a plain name ending in .prom: %r' % name)
    handle, temporary = tempfile.mkstemp(prefix='.%s.' % name, suffix='.tmp', dir=directory)
    try:
        with os.fdopen(handle, 'w') as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, 0o644)
        os.replace(temporary, os.path.join(directory, name))
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise


def read_metric(path, name, labels=None):
    """The value of metric ``name`` (with exactly ``labels``) in a textfile written earlier, or None."""
    labels = labels or {}
    try:
        with open(path) as stream:
            text = stream.read()
    except OSError:
        return None
    wanted = format_metrics([(name, labels, 0)]).splitlines()[-1].rsplit(' ', 1)[0]
    for line in text.splitlines():
        if line.startswith('#'):
            continue
        head, _sep, value = line.rpartition(' ')
        if head == wanted:
            try:
                return float(value)
            except ValueError:
                return None
    return None


# --- pgBackRest info -----------------------------------------------------------------

def stanza_info(info, stanza):
    """The entry of ``stanza`` in ``pgbackrest info --output=json`` (a list), or None."""
    for entry in info or []:
        if entry.get('name') == stanza:
            return entry
    return None


def _backup_repo(backup):
    database = backup.get('database') or {}
    return database.get('repo-key', 1)


def latest_backups(entry):
    """{(type, repo): newest backup dict} of the stanza entry, by stop time; errored backups left out."""
    latest = {}
    for backup in (entry or {}).get('backup') or []:
        if backup.get('error'):
            continue
        key = (backup.get('type'), _backup_repo(backup))
        stop = (backup.get('timestamp') or {}).get('stop') or 0
        if key not in latest or stop > (latest[key].get('timestamp') or {}).get('stop', 0):
            latest[key] = backup
    return latest


def info_samples(info, stanza, now):
    """Metric samples of the stanza's backups: status, count, and per type and repository the last completion."""
    entry = stanza_info(info, stanza)
    base = {'stanza': stanza}
    if entry is None:
        return [('odoo_backup_stanza_status_code', base, 99), ('odoo_backup_count', base, 0)]
    samples = [('odoo_backup_stanza_status_code', base, (entry.get('status') or {}).get('code', 99))]
    backups = [b for b in entry.get('backup') or [] if not b.get('error')]
    samples.append(('odoo_backup_count', base, len(backups)))
    for (backup_type, repo), backup in sorted(latest_backups(entry).items(), key=lambda item: (str(item[0][0]), item[0][1])):
        labels = {'stanza': stanza, 'type': backup_type, 'repo': str(repo)}
        stop = (backup.get('timestamp') or {}).get('stop') or 0
        start = (backup.get('timestamp') or {}).get('start') or stop
        samples.append(('odoo_backup_last_completion_timestamp_seconds', labels, stop))
        samples.append(('odoo_backup_last_age_seconds', labels, max(0, int(now - stop))))
        samples.append(('odoo_backup_last_duration_seconds', labels, max(0, stop - start)))
        size = ((backup.get('info') or {}).get('repository') or {}).get('delta')
        if size is not None:
            samples.append(('odoo_backup_last_repository_bytes', labels, size))
    stops = [(b.get('timestamp') or {}).get('stop') for b in backups if (b.get('timestamp') or {}).get('stop')]
    if stops:
        # The earliest time a point-in-time recovery can reach.
        samples.append(('odoo_backup_oldest_completion_timestamp_seconds', base, min(stops)))
    return samples


HELP = {
    'odoo_backup_stanza_status_code': 'pgBackRest info status code of the stanza (0 ok, 99 unknown or unreadable).',
    'odoo_backup_count': 'Backups of the stanza in all repositories.',
    'odoo_backup_last_completion_timestamp_seconds': 'When the newest backup of this type in this repository finished.',
    'odoo_backup_last_age_seconds': 'Age of that backup when this file was written (alert on time() - the timestamp).',
    'odoo_backup_last_duration_seconds': 'How long that backup took.',
    'odoo_backup_last_repository_bytes': 'Bytes that backup added to the repository.',
    'odoo_backup_oldest_completion_timestamp_seconds': 'The earliest time a point-in-time recovery can reach.',
    'odoo_backup_info_success': '1 when pgbackrest info answered.',
    'odoo_backup_run_success': '1 when the last scheduled backup of this type and repository succeeded.',
    'odoo_backup_run_timestamp_seconds': 'When the last scheduled backup of this type and repository ended.',
    'odoo_backup_run_duration_seconds': 'How long it took, every attempt included.',
    'odoo_backup_run_attempts': 'Attempts it took.',
    'odoo_backup_restore_verify_success': '1 when the last restore drill passed every step.',
    'odoo_backup_restore_verify_timestamp_seconds': 'When the last restore drill ended.',
    'odoo_backup_restore_verify_duration_seconds': 'How long the last restore drill took.',
    'odoo_backup_restore_verify_last_success_timestamp_seconds': 'When a restore drill last passed.',
    'odoo_backup_restore_verify_step_success': '1 when this step of the last drill passed.',
    'odoo_backup_restore_verify_table_rows': 'Rows of the table in the restored database.',
    'odoo_backup_restore_verify_backup_timestamp_seconds': 'When the backup the drill restored had finished.',
}


# --- Running commands as the repository's user ---------------------------------------

class Runner(object):
    """Runs a command as ``user`` (from root) with a small fixed environment; returns (rc, stdout, stderr)."""

    def __init__(self, user):
        self.user = user
        entry = pwd.getpwnam(user)
        self.uid = entry.pw_uid
        self.gid = entry.pw_gid
        self.env = {'PATH': '/usr/sbin:/usr/bin:/sbin:/bin', 'LANG': 'C.UTF-8', 'HOME': entry.pw_dir}

    def __call__(self, argv, timeout=None):
        kwargs = {}
        if os.geteuid() == 0 and self.uid != 0:
            kwargs = {'user': self.uid, 'group': self.gid, 'extra_groups': []}
        try:
            process = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=self.env,
                                     timeout=timeout, check=False, universal_newlines=True, cwd='/', **kwargs)
        except subprocess.TimeoutExpired:
            return 124, '', '%s: timed out after %s s' % (argv[0], timeout)
        except OSError as exc:
            return 127, '', '%s: %s' % (argv[0], exc)
        return process.returncode, process.stdout, process.stderr


def log(message):
    print(message, flush=True)


def fail(message):
    print('ERROR: %s' % message, file=sys.stderr, flush=True)


# --- backup ---------------------------------------------------------------------------

def run_backup(run, stanza, backup_type, repos, retries, retry_delay, sleep=time.sleep, clock=time.time):
    """Back up to each repository in turn, each tried 1 + ``retries`` times; returns the samples and whether all passed."""
    samples = []
    all_ok = True
    for repo in repos:
        labels = {'stanza': stanza, 'type': backup_type, 'repo': str(repo)}
        started = clock()
        attempts = 0
        ok = False
        while attempts <= retries:
            attempts += 1
            rc, out, err = run(['pgbackrest', '--stanza=%s' % stanza, '--type=%s' % backup_type, '--repo=%d' % repo,
                                '--log-level-console=info', 'backup'])
            for line in (out + err).splitlines():
                log(line)
            if rc == 0:
                ok = True
                break
            fail('%s backup of stanza %s to repo%d failed (attempt %d of %d, exit %d)'
                 % (backup_type, stanza, repo, attempts, retries + 1, rc))
            if attempts <= retries:
                sleep(retry_delay)
        ended = clock()
        all_ok = all_ok and ok
        samples += [('odoo_backup_run_success', labels, ok),
                    ('odoo_backup_run_timestamp_seconds', labels, int(ended)),
                    ('odoo_backup_run_duration_seconds', labels, round(ended - started, 3)),
                    ('odoo_backup_run_attempts', labels, attempts)]
    return samples, all_ok


def read_info(run, stanza, config=None):
    """``pgbackrest info --output=json`` of the stanza, parsed, or None when it fails."""
    argv = ['pgbackrest'] + (['--config=%s' % config] if config else []) + ['--stanza=%s' % stanza, '--output=json', 'info']
    rc, out, err = run(argv, timeout=300)
    if rc != 0:
        fail('pgbackrest info failed (exit %d): %s' % (rc, err.strip()))
        return None
    try:
        return json.loads(out)
    except ValueError as exc:
        fail('pgbackrest info did not answer JSON: %s' % exc)
        return None


def write_info_metrics(run, stanza, textfile_dir, clock=time.time):
    info = read_info(run, stanza)
    samples = [('odoo_backup_info_success', {'stanza': stanza}, info is not None)]
    if info is not None:
        samples += info_samples(info, stanza, clock())
    write_textfile(textfile_dir, 'odoo_backup_info.prom', format_metrics(samples, HELP))
    return info is not None


# --- restore-verify --------------------------------------------------------------------

def check_scratch_dir(path):
    """Refuse a scratch directory whose removal could hurt: it must be absolute, deep and not a system path."""
    real = os.path.realpath(path)
    if not os.path.isabs(path) or real.count('/') < 3 or real in ('/var/lib', '/var/lib/postgresql', '/var/lib/pgbackrest'):
        raise ValueError('the scratch directory must be an absolute path at least three levels deep of its own: %r' % path)
    return real


def schema_queries(min_rows):
    """SQL run in each restored database: the Odoo marker table, then a count per table (names checked)."""
    for table in min_rows:
        if not _TABLE.match(table):
            raise ValueError('not a plain table name: %r' % table)
    queries = [('schema', "SELECT to_regclass('public.ir_module_module') IS NOT NULL")]
    for table in sorted(min_rows):
        queries.append((table, 'SELECT count(*) FROM public.%s' % table))
    return queries


def judge_database(database, answers, min_rows):
    """Problems found in one database from its answers ({'schema': 't'|'f', table: 'count' or None})."""
    problems = []
    if answers.get('schema') != 't':
        problems.append('%s has no ir_module_module table: not an Odoo database, or an empty restore' % database)
    for table, least in sorted(min_rows.items()):
        count = answers.get(table)
        if count is None:
            if least > 0:
                problems.append('%s: cannot count %s' % (database, table))
        elif int(count) < least:
            problems.append('%s: %s holds %s rows, fewer than %d' % (database, table, count, least))
    return problems


class RestoreDrill(object):
    """One restore drill; every step notes its result, and the whole is written as metrics."""

    def __init__(self, run, args, clock=time.time, sleep=time.sleep):
        self.run = run
        self.args = args
        self.clock = clock
        self.sleep = sleep
        self.scratch = check_scratch_dir(args.scratch_dir)
        self.data_dir = os.path.join(self.scratch, 'data')
        self.run_dir = os.path.join(self.scratch, 'run')
        self.steps = []
        self.rows = []
        self.backup_stop = None

    def step(self, name, ok, detail=''):
        self.steps.append((name, bool(ok)))
        (log if ok else fail)('%s: %s%s' % (name, 'ok' if ok else 'FAILED', (' - ' + detail) if detail else ''))
        return ok

    def pg_ctl(self, *argv, **kwargs):
        return self.run([os.path.join(self.args.pg_bin_dir, 'pg_ctl'), '-D', self.data_dir] + list(argv), **kwargs)

    def clean(self):
        if os.path.exists(os.path.join(self.data_dir, 'postmaster.pid')):
            self.pg_ctl('-m', 'immediate', '-w', '-t', '60', 'stop', timeout=120)
        for path in (self.data_dir, self.run_dir):
            if os.path.lexists(path):
                shutil.rmtree(path)

    def restore(self):
        info = read_info(self.run, self.args.stanza, self.args.config)
        entry = stanza_info(info, self.args.stanza) if info else None
        backups = [b for b in (entry or {}).get('backup') or [] if not b.get('error')]
        if not backups:
            return self.step('restore', False, 'no backup of stanza %s in the repositories' % self.args.stanza)
        self.backup_stop = max((b.get('timestamp') or {}).get('stop') or 0 for b in backups)
        restore_command = 'pgbackrest --config=%s --stanza=%s archive-get %%f "%%p"' % (self.args.config, self.args.stanza)
        rc, out, err = self.run(['pgbackrest', '--config=%s' % self.args.config, '--stanza=%s' % self.args.stanza,
                                 '--repo=%d' % self.args.repo[0], '--pg1-path=%s' % self.data_dir,
                                 '--type=immediate', '--target-action=promote', '--archive-mode=off',
                                 '--recovery-option=restore_command=%s' % restore_command,
                                 '--log-level-console=info', 'restore'], timeout=self.args.timeout)
        return self.step('restore', rc == 0, (err or out).strip()[-2000:] if rc else '')

    def start(self):
        os.makedirs(self.run_dir, mode=0o700)
        hba = os.path.join(self.run_dir, 'pg_hba.conf')
        # Socket only, in a directory only the repository's user can enter.
        with open(hba, 'w') as stream:
            stream.write('local all all trust\n')
        entry = pwd.getpwnam(self.args.user)
        for path in (self.run_dir, hba):
            os.chown(path, entry.pw_uid, entry.pw_gid)
        options = ' '.join([
            '-c port=%d' % self.args.port, "-c listen_addresses=''", '-c unix_socket_directories=%s' % self.run_dir,
            '-c hba_file=%s' % hba, '-c archive_mode=off', '-c hot_standby=off', '-c ssl=off',
            '-c logging_collector=off', '-c shared_buffers=128MB', '-c cluster_name=odoo-restore-verify'])
        rc, out, err = self.pg_ctl('-l', os.path.join(self.run_dir, 'postgresql.log'), '-w', '-t', str(self.args.timeout),
                                   '-o', options, 'start', timeout=self.args.timeout + 60)
        if rc != 0:
            return self.step('start', False, self.server_log_tail() or (err or out).strip())
        # pg_ctl -w returns once the postmaster runs, which during recovery
        # with hot_standby off is before it accepts connections: ask until
        # recovery has ended and the target action has promoted it.
        deadline = self.clock() + self.args.timeout
        while True:
            answer = self.psql('postgres', 'SELECT pg_is_in_recovery()', quiet=True)
            if answer == 'f' or self.clock() >= deadline:
                break
            self.sleep(1)
        return self.step('start', answer == 'f', 'pg_is_in_recovery: %s' % answer)

    def server_log_tail(self):
        try:
            with open(os.path.join(self.run_dir, 'postgresql.log')) as stream:
                return stream.read()[-2000:]
        except OSError:
            return ''

    def psql(self, database, sql, quiet=False):
        rc, out, err = self.run([os.path.join(self.args.pg_bin_dir, 'psql'), '-X', '-A', '-t', '-q', '-h', self.run_dir,
                                 '-p', str(self.args.port), '-U', self.args.db_user, '-d', database, '-c', sql], timeout=600)
        if rc != 0:
            if not quiet:
                fail('psql %s: %s' % (database, err.strip()))
            return None
        return out.strip()

    def check_databases(self):
        ok = True
        queries = schema_queries(self.args.min_rows)
        for database in self.args.database:
            answers = {}
            for name, sql in queries:
                answers[name] = self.psql(database, sql)
            for table in sorted(self.args.min_rows):
                # Anything but a count (an error, no answer) is no count.
                if not (answers.get(table) or '').isdigit():
                    answers[table] = None
                else:
                    self.rows.append((database, table, int(answers[table])))
            problems = judge_database(database, answers, self.args.min_rows)
            ok = self.step('schema %s' % database, not problems, '; '.join(problems)) and ok
        return ok

    def stop(self):
        rc, out, err = self.pg_ctl('-m', 'fast', '-w', '-t', '120', 'stop', timeout=180)
        return self.step('stop', rc == 0, (err or out).strip())

    def verify(self):
        ok = True
        for repo in self.args.repo:
            rc, out, err = self.run(['pgbackrest', '--config=%s' % self.args.config, '--stanza=%s' % self.args.stanza,
                                     '--repo=%d' % repo, '--log-level-console=info', 'verify'], timeout=self.args.timeout)
            text = out + err
            errors = [line for line in text.splitlines() if ' ERROR:' in line or ' WARN:' in line]
            ok = self.step('verify repo%d' % repo, rc == 0 and not errors, '; '.join(errors)[-2000:]) and ok
        return ok

    def drill(self):
        """Every step in order; a failed restore or start skips the database checks, the stop always runs."""
        self.clean()
        started = False
        try:
            if self.restore():
                started = self.start()
                if started:
                    self.check_databases()
        finally:
            if os.path.exists(os.path.join(self.data_dir, 'postmaster.pid')):
                self.stop()
        self.verify()
        passed = all(ok for _name, ok in self.steps)
        if passed:
            # Keep the scratch copy of a failed drill for a look; the next drill removes it.
            self.clean()
        return passed

    def samples(self, passed, started_at, ended_at, previous_success):
        base = {'stanza': self.args.stanza}
        samples = [('odoo_backup_restore_verify_success', base, passed),
                   ('odoo_backup_restore_verify_timestamp_seconds', base, int(ended_at)),
                   ('odoo_backup_restore_verify_duration_seconds', base, round(ended_at - started_at, 3))]
        last_success = int(ended_at) if passed else previous_success
        if last_success is not None:
            samples.append(('odoo_backup_restore_verify_last_success_timestamp_seconds', base, int(last_success)))
        if self.backup_stop:
            samples.append(('odoo_backup_restore_verify_backup_timestamp_seconds', base, self.backup_stop))
        for name, ok in self.steps:
            samples.append(('odoo_backup_restore_verify_step_success', dict(base, step=name), ok))
        for database, table, count in self.rows:
            samples.append(('odoo_backup_restore_verify_table_rows', dict(base, database=database, table=table), count))
        return samples


# --- command line ---------------------------------------------------------------------

def _min_rows(text):
    table, sep, count = text.partition('=')
    if not sep or not _TABLE.match(table) or not count.isdigit():
        raise argparse.ArgumentTypeError('expected TABLE=ROWS, e.g. res_users=1: %r' % text)
    return table, int(count)


def _database(text):
    if not _NAME.match(text):
        raise argparse.ArgumentTypeError('not a database name: %r' % text)
    return text


def _stanza(text):
    if not re.match(r'^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$', text):
        raise argparse.ArgumentTypeError('not a stanza name: %r' % text)
    return text


def parse_args(argv):
    parser = argparse.ArgumentParser(prog='odoo-backup', description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest='command')
    commands.required = True
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument('--stanza', type=_stanza, required=True)
    common.add_argument('--user', default='pgbackrest', help='run pgBackRest and PostgreSQL as this user')
    common.add_argument('--textfile-dir', default='/var/lib/prometheus/node-exporter')

    backup = commands.add_parser('backup', parents=[common], help='take a backup (scheduled by the timers)')
    backup.add_argument('--type', choices=BACKUP_TYPES, required=True)
    backup.add_argument('--repo', type=int, action='append', default=None, help='repository number; repeat for several')
    backup.add_argument('--retries', type=int, default=1)
    backup.add_argument('--retry-delay', type=int, default=120)
    backup.add_argument('--lock-file', default='/var/lib/pgbackrest-lock/odoo-backup.lock')
    backup.add_argument('--lock-wait', type=int, default=6 * 3600, help='seconds to wait for a running backup')

    commands.add_parser('metrics', parents=[common], help='write the backup age metrics from pgbackrest info')

    verify = commands.add_parser('restore-verify', parents=[common], help='the restore drill')
    verify.add_argument('--config', required=True, help='pgBackRest configuration of the drill')
    verify.add_argument('--scratch-dir', required=True)
    verify.add_argument('--pg-bin-dir', required=True)
    verify.add_argument('--port', type=int, default=55432)
    verify.add_argument('--db-user', default='postgres', help='PostgreSQL role the checks log in as (trust, socket only)')
    verify.add_argument('--repo', type=int, action='append', default=None)
    verify.add_argument('--database', type=_database, action='append', default=[])
    verify.add_argument('--min-rows', type=_min_rows, action='append', default=[])
    verify.add_argument('--timeout', type=int, default=3600)
    args = parser.parse_args(argv)
    if getattr(args, 'repo', None) is None and args.command != 'metrics':
        args.repo = [1]
    if args.command == 'restore-verify':
        args.min_rows = dict(args.min_rows)
    return args


def _wait_for_lock(path, wait, sleep=time.sleep):
    handle = open(path, 'a')
    deadline = time.time() + wait
    while True:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return handle
        except OSError:
            if time.time() >= deadline:
                handle.close()
                return None
            sleep(5)


def main(argv=None, runner=Runner):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    run = runner(args.user)
    if args.command == 'metrics':
        return 0 if write_info_metrics(run, args.stanza, args.textfile_dir) else 1

    if args.command == 'backup':
        lock = _wait_for_lock(args.lock_file, args.lock_wait)
        if lock is None:
            fail('another backup of stanza %s still runs after %d s: this %s backup did not start'
                 % (args.stanza, args.lock_wait, args.type))
            samples = [('odoo_backup_run_success', {'stanza': args.stanza, 'type': args.type, 'repo': str(repo)}, False)
                       for repo in args.repo]
            write_textfile(args.textfile_dir, 'odoo_backup_run_%s.prom' % args.type, format_metrics(samples, HELP))
            return 1
        try:
            samples, ok = run_backup(run, args.stanza, args.type, args.repo, args.retries, args.retry_delay)
        finally:
            lock.close()
        write_textfile(args.textfile_dir, 'odoo_backup_run_%s.prom' % args.type, format_metrics(samples, HELP))
        # The age metrics follow the new backup at once (best effort: the
        # backup's own result is what decides the exit code).
        write_info_metrics(run, args.stanza, args.textfile_dir)
        return 0 if ok else 1

    path = os.path.join(args.textfile_dir, 'odoo_backup_restore_verify.prom')
    previous = read_metric(path, 'odoo_backup_restore_verify_last_success_timestamp_seconds', {'stanza': args.stanza})
    started_at = time.time()
    drill = RestoreDrill(run, args)
    passed = drill.drill()
    ended_at = time.time()
    write_textfile(args.textfile_dir, 'odoo_backup_restore_verify.prom',
                   format_metrics(drill.samples(passed, started_at, ended_at, previous), HELP))
    (log if passed else fail)('restore drill of stanza %s %s in %.0f s'
                              % (args.stanza, 'passed' if passed else 'FAILED', ended_at - started_at))
    return 0 if passed else 1


if __name__ == '__main__':
    sys.exit(main())
