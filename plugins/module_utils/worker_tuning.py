# -*- coding: utf-8 -*-
# Copyright: (c) 2025, SysGenPro hosting engineering
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Odoo worker sizing: pure arithmetic, plus the reading of a host's CPU and memory.

The rules of thumb come from Odoo's deployment guide ("Builtin server" and
"Configuration sample" sections):

- workers: (#CPU x 2) + 1 processes at most, cron workers included; one worker
  serves about 6 concurrent users;
- memory: 80 % of requests are light (about 150 MB per worker), 20 % heavy
  (about 1 GB), so a worker needs 0.8 x 150 + 0.2 x 1024 MiB on average.

What the guide leaves open is decided here and documented in docs/modules.md:
the master and gevent processes, the connection pools of every process, the
memory limits on small hosts, the integration pool, the job pool, and when to
degrade or refuse.

The integration pool (container ``odoo-integration``, optional) is a second
Odoo server on the app host for machine clients only: its own prefork workers,
master and gevent process, no cron. A machine client keeps its call in flight
the whole time, so it needs one worker per concurrent call; it shares the
host's CPU, memory and connection budget with the users' Odoo, which keeps
the first claim on all three.

The job pool (container ``odoo-jobs``, optional) is a third Odoo server on the
app host with OCA's queue_job as a server-wide module: its HTTP workers run the
jobs, one worker per running job (queue_job's runner posts each job to the
container's own ``/queue_job/runjob``), so the root channel's capacity is its
worker count. Besides its master and gevent process it has one more, the job
runner, which holds one direct connection per database (LISTEN and an advisory
lock) and no pool. No cron. It comes after the users' workers and after the
integration pool.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import math
import os

MIB = 1024 * 1024

CRON_LOAD_THREADS = {'none': 0, 'light': 1, 'normal': 2, 'heavy': 4}

# Odoo's defaults for limit_memory_soft / limit_memory_hard (2048 / 2560 MiB)
# are 2 x and 2.5 x the guide's 1 GiB heavy-worker estimate; the ratios keep
# them tied to heavy_worker_memory_mb.
SOFT_LIMIT_PER_HEAVY = 2.0
HARD_LIMIT_PER_SOFT = 1.25
# Odoo's own former defaults (soft 640 MB, hard 768 MB) are the floor: an Odoo
# process with less address space fails to start or to render a report.
MIN_LIMIT_MEMORY_HARD_MB = 768

# Connection pools: every Odoo process has its own (db_maxconn). A prefork
# process runs one request at a time and rarely holds more than two cursors.
DB_MAXCONN_MIN = 2
DB_MAXCONN_MAX = 8
# The gevent process multiplexes every websocket of the host: from Odoo 17 on
# (db_maxconn_gevent) it gets this many times db_maxconn.
GEVENT_POOL_FACTOR = 2
# PostgreSQL's superuser_reserved_connections default.
SUPERUSER_RESERVED_CONNECTIONS = 3
POSTGRESQL_MIN_MAX_CONNECTIONS = 100
PGBOUNCER_CLIENT_HEADROOM = 20

# The integration pool's options, with the values that mean "no pool" or suit
# machine clients: integration calls should fail fast (the client has usually
# given up and will retry), not hold one of few workers for 20 minutes.
INTEGRATION_DEFAULTS = dict(
    integration_concurrent_calls=0,
    integration_heavy_request_ratio=0.5,
    integration_limit_time_cpu=300,
    integration_limit_time_real=600,
)

# The job pool's options, with the values that mean "no pool" or suit queue_job's
# jobs: often heavy (imports, invoicing runs, report batches) and allowed to run
# long, since nobody waits for them in a browser. jobs_databases: the databases
# the runner listens on, one per tenant here.
JOBS_DEFAULTS = dict(
    jobs_capacity=0,
    jobs_heavy_request_ratio=0.5,
    jobs_limit_time_cpu=1800,
    jobs_limit_time_real=3600,
    jobs_databases=1,
)


class TuningRefused(ValueError):
    """The host cannot carry the profile; the message carries the arithmetic."""


def _fmt(value):
    """Numbers for messages: integers without a fraction, others with one decimal."""
    if float(value).is_integer():
        return '%d' % value
    return '%.1f' % value


def average_worker_memory_mb(profile):
    """The guide's formula: light share x light estimate + heavy share x heavy estimate."""
    heavy = profile['heavy_request_ratio']
    return (1 - heavy) * profile['light_worker_memory_mb'] + heavy * profile['heavy_worker_memory_mb']


def expected_memory_mb(workers, cron, profile):
    """Resident memory of one Odoo instance: workers and cron at the average, master and gevent light."""
    return (workers + cron) * average_worker_memory_mb(profile) + 2 * profile['light_worker_memory_mb']


def integration_average_memory_mb(profile):
    """The guide's formula with the integration pool's own heavy share."""
    return average_worker_memory_mb(dict(profile, heavy_request_ratio=profile['integration_heavy_request_ratio']))


def integration_memory_mb(integration_workers, profile):
    """Resident memory of the integration pool: workers at its average, its master and gevent light; 0 when off."""
    if not integration_workers:
        return 0
    return (integration_workers * integration_average_memory_mb(profile)
            + 2 * profile['light_worker_memory_mb'])


def jobs_average_memory_mb(profile):
    """The guide's formula with the job pool's own heavy share."""
    return average_worker_memory_mb(dict(profile, heavy_request_ratio=profile['jobs_heavy_request_ratio']))


def jobs_memory_mb(job_workers, profile):
    """Resident memory of the job pool: workers at its average, master, gevent and runner light; 0 when off."""
    if not job_workers:
        return 0
    return job_workers * jobs_average_memory_mb(profile) + 3 * profile['light_worker_memory_mb']


def pool_weight(workers, cron, odoo_major):
    """How many db_maxconn-sized pools one instance holds (gevent counts double from Odoo 17)."""
    gevent = GEVENT_POOL_FACTOR if odoo_major >= 17 else 1
    return workers + cron + 1 + gevent


def integration_pool_weight(integration_workers, odoo_major):
    """The pools of the integration pool's workers, master and gevent process; 0 when off."""
    if not integration_workers:
        return 0
    return pool_weight(integration_workers, 0, odoo_major)


def jobs_pool_weight(job_workers, odoo_major):
    """The pools of the job pool's HTTP workers, master and gevent process; 0 when off. The runner has none."""
    if not job_workers:
        return 0
    return pool_weight(job_workers, 0, odoo_major)


def runner_connections(job_workers, profile):
    """The job runner's direct connections, one per database it listens on; 0 when there is no job pool."""
    if not job_workers:
        return 0
    return profile['jobs_databases']


def db_maxconn_for(workers, cron, profile, integration_workers=0, job_workers=0):
    """The per-process pool that keeps all app hosts within the connection budget."""
    per_host = profile['db_connection_budget'] // profile['app_hosts'] - runner_connections(job_workers, profile)
    pools = (pool_weight(workers, cron, profile['odoo_major'])
             + integration_pool_weight(integration_workers, profile['odoo_major'])
             + jobs_pool_weight(job_workers, profile['odoo_major']))
    return min(DB_MAXCONN_MAX, per_host // pools)


def _processes(workers, cron, integration_workers, job_workers=0):
    """'8 workers + 1 cron', and the integration and job workers when there are any."""
    text = '%d workers + %d cron' % (workers, cron)
    if integration_workers:
        text += ' + %d integration workers' % integration_workers
    if job_workers:
        text += ' + %d job workers (+ runner)' % job_workers
    return text


def _validate(host, profile):
    checks = [
        (host['cpu_count'] >= 1, 'cpu_count must be at least 1'),
        (host['memory_mb'] >= 1, 'memory_mb must be at least 1'),
        (profile['concurrent_users'] >= 1, 'concurrent_users must be at least 1'),
        (0 <= profile['heavy_request_ratio'] <= 1, 'heavy_request_ratio must be between 0 and 1'),
        (profile['cron_threads'] >= 0, 'cron threads cannot be negative'),
        (profile['reserved_memory_mb'] >= 0, 'reserved_memory_mb cannot be negative'),
        (profile['db_connection_budget'] >= 1, 'db_connection_budget must be at least 1'),
        (profile['app_hosts'] >= 1, 'app_hosts must be at least 1'),
        (profile['users_per_worker'] >= 1, 'users_per_worker must be at least 1'),
        (profile['light_worker_memory_mb'] >= 1, 'light_worker_memory_mb must be at least 1'),
        (profile['heavy_worker_memory_mb'] >= profile['light_worker_memory_mb'],
         'heavy_worker_memory_mb must be at least light_worker_memory_mb'),
        (profile['limit_time_cpu'] >= 1, 'limit_time_cpu must be at least 1'),
        (profile['limit_time_real'] >= profile['limit_time_cpu'],
         'limit_time_real must be at least limit_time_cpu'),
        (profile['limit_time_real_cron'] >= -1, 'limit_time_real_cron must be -1, 0 or more'),
        (profile['limit_request'] >= 1, 'limit_request must be at least 1'),
        (profile['db_extra_connections'] >= 0, 'db_extra_connections cannot be negative'),
        (profile['integration_concurrent_calls'] >= 0, 'integration_concurrent_calls cannot be negative'),
        (0 <= profile['integration_heavy_request_ratio'] <= 1,
         'integration_heavy_request_ratio must be between 0 and 1'),
        (profile['integration_limit_time_cpu'] >= 1, 'integration_limit_time_cpu must be at least 1'),
        (profile['integration_limit_time_real'] >= profile['integration_limit_time_cpu'],
         'integration_limit_time_real must be at least integration_limit_time_cpu'),
        (profile['jobs_capacity'] >= 0, 'jobs_capacity cannot be negative'),
        (0 <= profile['jobs_heavy_request_ratio'] <= 1, 'jobs_heavy_request_ratio must be between 0 and 1'),
        (profile['jobs_limit_time_cpu'] >= 1, 'jobs_limit_time_cpu must be at least 1'),
        (profile['jobs_limit_time_real'] >= profile['jobs_limit_time_cpu'],
         'jobs_limit_time_real must be at least jobs_limit_time_cpu'),
        (profile['jobs_databases'] >= 1, 'jobs_databases must be at least 1'),
    ]
    for ok, message in checks:
        if not ok:
            raise TuningRefused('Cannot size Odoo: %s' % message)


def compute_tuning(host, profile):
    """Size one Odoo app host.

    ``host``: ``cpu_count``, ``memory_mb``. ``profile``: see DEFAULT_PROFILE (the
    ``integration_*`` and ``jobs_*`` keys may be left out: no integration pool,
    no job pool). Returns a dict (odoo, pgbouncer, postgresql,
    container_memory_limit_mb, capacity, arithmetic, warnings, and integration
    and jobs when those pools are on). Raises TuningRefused with the arithmetic
    when the host cannot carry the profile.
    """
    profile = dict(dict(INTEGRATION_DEFAULTS, **JOBS_DEFAULTS), **profile)
    _validate(host, profile)
    cpus = host['cpu_count']
    memory = host['memory_mb']
    users = profile['concurrent_users']
    per_worker = profile['users_per_worker']
    light = profile['light_worker_memory_mb']
    average = average_worker_memory_mb(profile)
    calls = profile['integration_concurrent_calls']
    capacity = profile['jobs_capacity']
    warnings = []
    arithmetic = []

    available = memory - profile['reserved_memory_mb']
    label = 'a host with %d CPU and %d MiB' % (cpus, memory)
    if available <= 0:
        raise TuningRefused('Cannot size Odoo for %s: %d MiB - %d MiB reserved = %d MiB leaves no memory for Odoo'
                            % (label, memory, profile['reserved_memory_mb'], available))
    arithmetic.append('memory for Odoo = %d MiB - %d MiB reserved = %d MiB'
                      % (memory, profile['reserved_memory_mb'], available))

    cron = profile['cron_threads']
    if cron > 2 * cpus:
        warnings.append('CPU binds: %d cron threads asked, %d CPU carry at most %d next to one worker'
                        % (cron, cpus, 2 * cpus))
        cron = 2 * cpus
    needed = int(math.ceil(users / float(per_worker)))
    process_cap = 2 * cpus + 1
    # The users' workers come first, but leave each pool that is on its one worker.
    kept = [term for term, on in (('1 integration worker', calls), ('1 job worker', capacity)) if on]
    if kept:
        cpu_cap = process_cap - cron - len(kept)
        if cpu_cap < 1:
            asked = [term for term, on in (('1 integration worker', calls),
                                           ('1 job worker (jobs_capacity %d)' % capacity, capacity)) if on]
            raise TuningRefused('Cannot size Odoo for %s: 1 worker + %d cron + %s = %d processes, '
                                'over the (2 x %d + 1) = %d that %d CPU carry'
                                % (label, cron, ' + '.join(asked), cron + 1 + len(kept), cpus, process_cap, cpus))
        arithmetic.append('workers needed = ceil(%d users / %d per worker) = %d; CPU allows (2 x %d + 1) - %d cron '
                          '- %s = %d; workers = %d'
                          % (users, per_worker, needed, cpus, cron, ' - '.join(kept), cpu_cap, min(needed, cpu_cap)))
    else:
        cpu_cap = max(1, process_cap - cron)
        arithmetic.append('workers needed = ceil(%d users / %d per worker) = %d; CPU allows (2 x %d + 1) - %d cron '
                          '= %d; workers = %d' % (users, per_worker, needed, cpus, cron, cpu_cap, min(needed, cpu_cap)))
    workers = min(needed, cpu_cap)
    if needed > cpu_cap:
        warnings.append('CPU binds: %d concurrent users need %d workers, %d CPU carry %d workers + %d cron%s; '
                        'expect queued requests beyond about %d users'
                        % (users, needed, cpus, cpu_cap, cron, ''.join(' + ' + term for term in kept),
                           cpu_cap * per_worker))
    integration = 0
    if calls:
        # A machine client has no think time: one worker per call in flight.
        left = process_cap - workers - cron - (1 if capacity else 0)
        integration = min(calls, left)
        arithmetic.append('integration workers needed = %d concurrent calls (one worker each); CPU leaves '
                          '(2 x %d + 1) - %d workers - %d cron%s = %d; integration workers = %d'
                          % (calls, cpus, workers, cron, ' - 1 job worker' if capacity else '', left, integration))
    jobs = 0
    if capacity:
        # A running job holds one HTTP worker of odoo-jobs from start to end.
        left = process_cap - workers - cron - integration
        jobs = min(capacity, left)
        arithmetic.append('job workers needed = %d jobs at once (one worker each); CPU leaves '
                          '(2 x %d + 1) - %d workers - %d cron%s = %d; job workers = %d'
                          % (capacity, cpus, workers, cron,
                             ' - %d integration workers' % integration if calls else '', left, jobs))
    if calls > integration:
        warnings.append('CPU binds: %d integration calls need %d integration workers, %d CPU carry %s; '
                        'expect integration calls to queue beyond %d at once'
                        % (calls, calls, cpus, _processes(workers, cron, integration, jobs), integration))
    if capacity > jobs:
        warnings.append('CPU binds: %d jobs at once need %d job workers, %d CPU carry %s; '
                        'expect jobs to wait in their queue_job channel beyond %d at once'
                        % (capacity, capacity, cpus, _processes(workers, cron, integration, jobs), jobs))
    arithmetic.append('average worker memory = %s x %d + %s x %d = %s MiB'
                      % (_fmt(1 - profile['heavy_request_ratio']), light, _fmt(profile['heavy_request_ratio']),
                         profile['heavy_worker_memory_mb'], _fmt(average)))
    integration_average = integration_average_memory_mb(profile)
    if calls:
        arithmetic.append('integration average worker memory = %s x %d + %s x %d = %s MiB'
                          % (_fmt(1 - profile['integration_heavy_request_ratio']), light,
                             _fmt(profile['integration_heavy_request_ratio']), profile['heavy_worker_memory_mb'],
                             _fmt(integration_average)))
    jobs_average = jobs_average_memory_mb(profile)
    if capacity:
        arithmetic.append('job average worker memory = %s x %d + %s x %d = %s MiB'
                          % (_fmt(1 - profile['jobs_heavy_request_ratio']), light,
                             _fmt(profile['jobs_heavy_request_ratio']), profile['heavy_worker_memory_mb'],
                             _fmt(jobs_average)))

    def host_memory(w, c, i, j):
        return expected_memory_mb(w, c, profile) + integration_memory_mb(i, profile) + jobs_memory_mb(j, profile)

    def memory_fits(w, c, i, j):
        return host_memory(w, c, i, j) <= available

    def pools_fit(w, c, i, j):
        return db_maxconn_for(w, c, profile, i, j) >= DB_MAXCONN_MIN

    def pools(w, c, i, j):
        return (pool_weight(w, c, profile['odoo_major']) + integration_pool_weight(i, profile['odoo_major'])
                + jobs_pool_weight(j, profile['odoo_major']))

    def binds(w, c, i, j):
        return 'Memory' if not memory_fits(w, c, i, j) else 'The connection budget'

    # Degrade the job pool first, then the integration pool (each down to one worker),
    # then the users' workers, then cron.
    wanted = (workers, cron, integration, jobs)
    while not (memory_fits(workers, cron, integration, jobs) and pools_fit(workers, cron, integration, jobs)):
        if jobs > 1:
            jobs -= 1
        elif integration > 1:
            integration -= 1
        elif workers > 1:
            workers -= 1
        elif cron > 1:
            cron -= 1
        else:
            _refuse(label, (workers, cron, integration, jobs), available, profile)
    if jobs != wanted[3]:
        warnings.append('%s binds: %s would need %s MiB of %d MiB and %d pools; the job pool degraded to '
                        '%d workers, %d jobs at once'
                        % (binds(*wanted), _processes(*wanted), _fmt(host_memory(*wanted)), available,
                           pools(*wanted), jobs, jobs))
    if integration != wanted[2]:
        before = wanted[:3] + (jobs,)
        warnings.append('%s binds: %s would need %s MiB of %d MiB and %d pools; the integration pool degraded to '
                        '%d workers, about %d concurrent integration calls'
                        % (binds(*before), _processes(*before), _fmt(host_memory(*before)),
                           available, pools(*before), integration, integration))
    if (workers, cron) != wanted[:2]:
        before = wanted[:2] + (integration, jobs)
        warnings.append('%s binds: %s would need %s MiB of %d MiB and %d pools; degraded to '
                        '%d workers + %d cron, about %d concurrent users'
                        % (binds(*before), _processes(*before), _fmt(host_memory(*before)),
                           available, pools(*before), workers, cron, workers * per_worker))
    expected = expected_memory_mb(workers, cron, profile)
    integration_expected = integration_memory_mb(integration, profile)
    jobs_expected = jobs_memory_mb(jobs, profile)
    arithmetic.append('expected memory = (%d workers + %d cron) x %s + 2 x %d (master, gevent) = %s MiB'
                      % (workers, cron, _fmt(average), light, _fmt(expected)))
    if integration:
        step = ('integration expected memory = %d workers x %s + 2 x %d (master, gevent) = %s MiB'
                % (integration, _fmt(integration_average), light, _fmt(integration_expected)))
        if not jobs:
            step += ('; host expected = %s + %s = %s MiB'
                     % (_fmt(expected), _fmt(integration_expected), _fmt(expected + integration_expected)))
        arithmetic.append(step)
    if jobs:
        terms = [expected] + ([integration_expected] if integration else []) + [jobs_expected]
        arithmetic.append('job expected memory = %d workers x %s + 3 x %d (master, gevent, runner) = %s MiB; '
                          'host expected = %s = %s MiB'
                          % (jobs, _fmt(jobs_average), light, _fmt(jobs_expected),
                             ' + '.join(_fmt(term) for term in terms), _fmt(expected + integration_expected
                                                                            + jobs_expected)))

    soft_default = int(SOFT_LIMIT_PER_HEAVY * profile['heavy_worker_memory_mb'])
    hard = min(int(soft_default * HARD_LIMIT_PER_SOFT), available)
    if hard < MIN_LIMIT_MEMORY_HARD_MB:
        raise TuningRefused('Cannot size Odoo for %s: limit_memory_hard would be min(%d, %d MiB available) = %d MiB, '
                            'below the %d MiB an Odoo process needs'
                            % (label, int(soft_default * HARD_LIMIT_PER_SOFT), available, hard,
                               MIN_LIMIT_MEMORY_HARD_MB))
    soft = min(soft_default, hard * 4 // 5)
    arithmetic.append('limit_memory_hard = min(%d, %d available) = %d MiB; limit_memory_soft = min(%d, 0.8 x hard)'
                      ' = %d MiB (virtual memory per process)'
                      % (int(soft_default * HARD_LIMIT_PER_SOFT), available, hard, soft_default, soft))
    # Each container may grow by one worker to its hard limit, but never into the others' expected memory.
    container = int(math.ceil(min(available - integration_expected - jobs_expected, expected + hard - average)))
    integration_others = ' - %s job expected' % _fmt(jobs_expected) if jobs else ''
    if integration or jobs:
        others = ((' - %s integration expected' % _fmt(integration_expected) if integration else '')
                  + integration_others)
        arithmetic.append('container memory limit = min(%d available%s, %s expected + (%d hard - %s average)) = %d MiB'
                          % (available, others, _fmt(expected), hard, _fmt(average), container))
    else:
        arithmetic.append('container memory limit = min(%d available, %s expected + (%d hard - %s average)) = %d MiB'
                          % (available, _fmt(expected), hard, _fmt(average), container))
    if integration:
        integration_container = int(math.ceil(min(available - expected - jobs_expected,
                                                  integration_expected + hard - integration_average)))
        arithmetic.append('integration container memory limit = min(%d available - %s expected%s, %s integration '
                          'expected + (%d hard - %s integration average)) = %d MiB'
                          % (available, _fmt(expected), integration_others, _fmt(integration_expected), hard,
                             _fmt(integration_average), integration_container))
    if jobs:
        jobs_container = int(math.ceil(min(available - expected - integration_expected,
                                           jobs_expected + hard - jobs_average)))
        arithmetic.append('job container memory limit = min(%d available - %s expected%s, %s job expected '
                          '+ (%d hard - %s job average)) = %d MiB'
                          % (available, _fmt(expected),
                             ' - %s integration expected' % _fmt(integration_expected) if integration else '',
                             _fmt(jobs_expected), hard, _fmt(jobs_average), jobs_container))

    odoo_major = profile['odoo_major']
    db_maxconn = db_maxconn_for(workers, cron, profile, integration, jobs)
    gevent_pool = db_maxconn * GEVENT_POOL_FACTOR if odoo_major >= 17 else db_maxconn
    processes = workers + cron + 1
    per_host = processes * db_maxconn + gevent_pool
    if integration:
        integration_connections = (integration + 1) * db_maxconn + gevent_pool
        per_host += integration_connections
    runner = runner_connections(jobs, profile)
    if jobs:
        jobs_connections = (jobs + 1) * db_maxconn + gevent_pool + runner
        per_host += jobs_connections
    total = per_host * profile['app_hosts']
    if integration or jobs:
        share = '(%d budget / %d app hosts)' % (profile['db_connection_budget'], profile['app_hosts'])
        if jobs:
            share = '(%s - %d runner)' % (share, runner)
        weights = '%d' % pool_weight(workers, cron, odoo_major)
        held = '(%d workers + %d cron + 1 master) x %d + %d gevent' % (workers, cron, db_maxconn, gevent_pool)
        if integration:
            weights += ' + %d integration' % integration_pool_weight(integration, odoo_major)
            held += (' + (%d integration workers + 1 master) x %d + %d integration gevent'
                     % (integration, db_maxconn, gevent_pool))
        if jobs:
            weights += ' + %d jobs' % jobs_pool_weight(jobs, odoo_major)
            held += (' + (%d job workers + 1 master) x %d + %d job gevent + %d runner'
                     % (jobs, db_maxconn, gevent_pool, runner))
        arithmetic.append('db_maxconn = min(%d, %s / (%s) pools) = %d' % (DB_MAXCONN_MAX, share, weights, db_maxconn))
        arithmetic.append('connections per host = %s = %d; x %d app hosts = %d'
                          % (held, per_host, profile['app_hosts'], total))
    else:
        arithmetic.append('db_maxconn = min(%d, (%d budget / %d app hosts) / %d pools) = %d'
                          % (DB_MAXCONN_MAX, profile['db_connection_budget'], profile['app_hosts'],
                             pool_weight(workers, cron, odoo_major), db_maxconn))
        arithmetic.append('connections per host = (%d workers + %d cron + 1 master) x %d + %d gevent = %d; '
                          'x %d app hosts = %d'
                          % (workers, cron, db_maxconn, gevent_pool, per_host, profile['app_hosts'], total))
    max_connections = max(POSTGRESQL_MIN_MAX_CONNECTIONS,
                          total + SUPERUSER_RESERVED_CONNECTIONS + profile['db_extra_connections'])
    arithmetic.append('max_connections = max(%d, %d + %d superuser reserved + %d extra) = %d'
                      % (POSTGRESQL_MIN_MAX_CONNECTIONS, total, SUPERUSER_RESERVED_CONNECTIONS,
                         profile['db_extra_connections'], max_connections))

    odoo = dict(
        workers=workers,
        max_cron_threads=cron,
        limit_memory_soft=soft * MIB,
        limit_memory_hard=hard * MIB,
        limit_time_cpu=profile['limit_time_cpu'],
        limit_time_real=profile['limit_time_real'],
        limit_time_real_cron=profile['limit_time_real_cron'],
        limit_request=profile['limit_request'],
        db_maxconn=db_maxconn,
    )
    if odoo_major >= 17:
        odoo['db_maxconn_gevent'] = gevent_pool
    result = dict(
        odoo=odoo,
        pgbouncer=dict(default_pool_size=total, max_client_conn=total + PGBOUNCER_CLIENT_HEADROOM),
        postgresql=dict(max_connections=max_connections),
        container_memory_limit_mb=container,
        capacity=dict(concurrent_users=workers * per_worker, memory_available_mb=available,
                      memory_expected_mb=int(math.ceil(expected + integration_expected + jobs_expected)),
                      db_connections_per_host=per_host, db_connections_total=total),
        arithmetic=arithmetic,
        warnings=warnings,
    )
    if integration:
        # The users' settings with the pool's own workers and time limits. Scheduled
        # actions stay in the users' Odoo: Odoo's own default would start 2 cron
        # workers here, and limit_time_real_cron has nothing to limit.
        integration_odoo = dict(odoo, workers=integration, max_cron_threads=0,
                                limit_time_cpu=profile['integration_limit_time_cpu'],
                                limit_time_real=profile['integration_limit_time_real'])
        del integration_odoo['limit_time_real_cron']
        result['integration'] = dict(odoo=integration_odoo, container_memory_limit_mb=integration_container)
        result['capacity'].update(integration_concurrent_calls=integration, integration_workers=integration,
                                  integration_memory_expected_mb=int(math.ceil(integration_expected)),
                                  integration_db_connections_per_host=integration_connections)
    if jobs:
        # Likewise for odoo-jobs: its HTTP workers run the jobs (one each, so the
        # root channel's capacity is their count), with the jobs' time limits.
        jobs_odoo = dict(odoo, workers=jobs, max_cron_threads=0, limit_time_cpu=profile['jobs_limit_time_cpu'],
                         limit_time_real=profile['jobs_limit_time_real'])
        del jobs_odoo['limit_time_real_cron']
        result['jobs'] = dict(odoo=jobs_odoo, container_memory_limit_mb=jobs_container)
        result['capacity'].update(jobs_capacity=jobs, jobs_workers=jobs,
                                  jobs_memory_expected_mb=int(math.ceil(jobs_expected)),
                                  jobs_db_connections_per_host=jobs_connections)
    return result


def _refuse(label, processes, available, profile):
    workers, cron, integration, jobs = processes
    expected = (expected_memory_mb(workers, cron, profile) + integration_memory_mb(integration, profile)
                + jobs_memory_mb(jobs, profile))
    pools = []
    pool_terms = ''
    if integration:
        pools.append('%d integration worker' % integration)
        pool_terms += (' + %d x %s MiB + 2 x %d MiB (integration master, gevent)'
                       % (integration, _fmt(integration_average_memory_mb(profile)),
                          profile['light_worker_memory_mb']))
    if jobs:
        pools.append('%d job worker (jobs_capacity %d)' % (jobs, profile['jobs_capacity']))
        pool_terms += (' + %d x %s MiB + 3 x %d MiB (job master, gevent, runner)'
                       % (jobs, _fmt(jobs_average_memory_mb(profile)), profile['light_worker_memory_mb']))
    who = '%d worker + %d cron' % (workers, cron)
    if pools:
        who += ', ' if len(pools) > 1 else ' and '
        who += ' and '.join(pools)
    if expected > available:
        raise TuningRefused(
            'Cannot size Odoo for %s: even %s need (%d + %d) x %s MiB + 2 x %d MiB (master, gevent)%s '
            '= %s MiB, but only %d MiB - %d MiB reserved = %d MiB is available'
            % (label, who, workers, cron, _fmt(average_worker_memory_mb(profile)),
               profile['light_worker_memory_mb'], pool_terms, _fmt(expected),
               available + profile['reserved_memory_mb'], profile['reserved_memory_mb'], available))
    weight = (pool_weight(workers, cron, profile['odoo_major'])
              + integration_pool_weight(integration, profile['odoo_major'])
              + jobs_pool_weight(jobs, profile['odoo_major']))
    runner = runner_connections(jobs, profile)
    if runner:
        raise TuningRefused(
            'Cannot size Odoo for %s: even %s hold %d connection pools of at least %d and %d runner connection, '
            '(%d + %d) x %d app hosts = %d connections, over the db_connection_budget of %d'
            % (label, who, weight, DB_MAXCONN_MIN, runner, weight * DB_MAXCONN_MIN, runner, profile['app_hosts'],
               (weight * DB_MAXCONN_MIN + runner) * profile['app_hosts'], profile['db_connection_budget']))
    raise TuningRefused(
        'Cannot size Odoo for %s: even %s hold %d connection pools of at least %d, '
        '%d x %d app hosts = %d connections, over the db_connection_budget of %d'
        % (label, who, weight, DB_MAXCONN_MIN, weight * DB_MAXCONN_MIN, profile['app_hosts'],
           weight * DB_MAXCONN_MIN * profile['app_hosts'], profile['db_connection_budget']))


DEFAULT_PROFILE = dict(
    heavy_request_ratio=0.2,
    cron_threads=CRON_LOAD_THREADS['normal'],
    reserved_memory_mb=512,
    db_connection_budget=200,
    app_hosts=1,
    odoo_major=17,
    users_per_worker=6,
    light_worker_memory_mb=150,
    heavy_worker_memory_mb=1024,
    limit_time_cpu=600,
    limit_time_real=1200,
    limit_time_real_cron=3600,
    limit_request=8192,
    db_extra_connections=20,
)
DEFAULT_PROFILE.update(INTEGRATION_DEFAULTS)
DEFAULT_PROFILE.update(JOBS_DEFAULTS)


def odoo_major_version(version):
    """17 for '17.0', 'saas~17.2', 17 or '17'."""
    text = str(version).rsplit('~', maxsplit=1)[-1]
    head = text.split('.')[0]
    if not head.isdigit():
        raise TuningRefused('Cannot size Odoo: odoo_version %r is not a version such as 17.0' % (version,))
    return int(head)


# --- Reading the host ------------------------------------------------------

def parse_meminfo_mb(text):
    """MemTotal of /proc/meminfo, in MiB."""
    for line in text.splitlines():
        if line.startswith('MemTotal:'):
            return int(line.split()[1]) // 1024
    raise ValueError('no MemTotal line in /proc/meminfo')


def parse_memory_limit_mb(text):
    """cgroup v2 memory.max or v1 memory.limit_in_bytes, in MiB; None when unlimited."""
    value = text.strip()
    if not value or value == 'max':
        return None
    limit = int(value)
    # cgroup v1 writes "unlimited" as a page-aligned huge number.
    if limit >= 2 ** 62:
        return None
    return limit // MIB


def parse_cpu_max(text):
    """cgroup v2 cpu.max (``quota period``) as a CPU count; None when unlimited."""
    fields = text.split()
    if not fields or fields[0] == 'max':
        return None
    period = int(fields[1]) if len(fields) > 1 else 100000
    return _cpus(int(fields[0]), period)


def _cpus(quota, period):
    if quota <= 0 or period <= 0:
        return None
    return max(1, int(quota // period))


def parse_proc_cgroup(text):
    """/proc/self/cgroup as ``{controller: path}``; cgroup v2 under the key ''."""
    paths = {}
    for line in text.splitlines():
        parts = line.strip().split(':', 2)
        if len(parts) != 3:
            continue
        for controller in parts[1].split(','):
            paths[controller] = parts[2]
    return paths


def _read(path):
    try:
        with open(path) as handle:
            return handle.read()
    except (IOError, OSError):
        return None


def _ancestors(base, relative):
    """``base/relative`` and each parent directory up to ``base``."""
    parts = [part for part in (relative or '/').split('/') if part]
    for depth in range(len(parts), -1, -1):
        yield os.path.join(base, *parts[:depth])


def cgroup_limits(root='/'):
    """The tightest CPU and memory limits of the calling process's cgroups (v2 or v1)."""
    proc = _read(os.path.join(root, 'proc/self/cgroup')) or ''
    paths = parse_proc_cgroup(proc)
    cgroup = os.path.join(root, 'sys/fs/cgroup')
    cpus = []
    memories = []
    if '' in paths:
        for directory in _ancestors(cgroup, paths['']):
            memory = _read(os.path.join(directory, 'memory.max'))
            cpu = _read(os.path.join(directory, 'cpu.max'))
            if memory is not None and parse_memory_limit_mb(memory) is not None:
                memories.append(parse_memory_limit_mb(memory))
            if cpu is not None and parse_cpu_max(cpu) is not None:
                cpus.append(parse_cpu_max(cpu))
    if 'memory' in paths:
        for directory in _ancestors(os.path.join(cgroup, 'memory'), paths['memory']):
            memory = _read(os.path.join(directory, 'memory.limit_in_bytes'))
            if memory is not None and parse_memory_limit_mb(memory) is not None:
                memories.append(parse_memory_limit_mb(memory))
    for controller in ('cpu', 'cpu,cpuacct'):
        if 'cpu' not in paths:
            break
        for directory in _ancestors(os.path.join(cgroup, controller), paths['cpu']):
            quota = _read(os.path.join(directory, 'cpu.cfs_quota_us'))
            period = _read(os.path.join(directory, 'cpu.cfs_period_us'))
            if quota is not None and period is not None:
                found = _cpus(int(quota), int(period))
                if found is not None:
                    cpus.append(found)
    return (min(cpus) if cpus else None), (min(memories) if memories else None)


def detect_host(root='/', online_cpus=None):
    """CPU count and memory of the host, lowered to the cgroup limits that apply.

    ``online_cpus`` defaults to the CPUs this process may run on.
    """
    if online_cpus is None:
        try:
            online_cpus = len(os.sched_getaffinity(0))
        except AttributeError:
            online_cpus = os.cpu_count() or 1
    meminfo = _read(os.path.join(root, 'proc/meminfo'))
    if meminfo is None:
        raise ValueError('cannot read %s' % os.path.join(root, 'proc/meminfo'))
    memory = parse_meminfo_mb(meminfo)
    cpu_limit, memory_limit = cgroup_limits(root)
    return dict(
        cpu_count=min(online_cpus, cpu_limit) if cpu_limit else online_cpus,
        memory_mb=min(memory, memory_limit) if memory_limit else memory,
        cpu_source='cgroup' if cpu_limit and cpu_limit < online_cpus else 'cpus',
        memory_source='cgroup' if memory_limit and memory_limit < memory else 'meminfo',
    )
