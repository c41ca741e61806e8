#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2025, SysGenPro hosting engineering
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: odoo_worker_tuning
short_description: Size Odoo workers, memory and time limits, and database connections for a host
version_added: 1.0.0
description:
  - Computes, for one Odoo app host and a tenant profile, the Odoo settings C(workers),
    C(max_cron_threads), C(limit_memory_soft), C(limit_memory_hard), C(limit_time_cpu),
    C(limit_time_real), C(limit_time_real_cron), C(limit_request), C(db_maxconn) and (Odoo 17 and
    later) C(db_maxconn_gevent); the PgBouncer pool and PostgreSQL C(max_connections) those need;
    and a memory limit for the Odoo container.
  - Optionally sizes a second Odoo container on the same host, the integration pool
    C(odoo-integration), which serves only machine clients (carrier APIs, EDI, XML-RPC and JSON-RPC)
    so that long integration calls never occupy the users' workers. It has its own workers, master
    and gevent process, memory and time limits, and no cron; it shares the host's CPU, memory and
    connection budget with the users' Odoo, which keeps the first claim. See O(integration_concurrent_calls).
  - Optionally sizes a third Odoo container on the same host, the job pool C(odoo-jobs), which runs
    OCA's C(queue_job) as a server-wide module. Its HTTP workers run the jobs, one worker per running
    job, so its worker count is the root channel's capacity; besides its master and gevent process it
    runs the job runner, which holds one direct database connection per database. No cron. It comes
    after the users' workers and the integration pool. See O(jobs_capacity).
  - Reads the CPU count and memory of the host running the module from C(/proc) and lowers them to
    the cgroup limits of its own process (so inside a container, the container's limits). Set
    O(cpu_count) and O(memory_mb) to size another machine.
  - Follows the sizing rules of Odoo's deployment guide - at most (2 x CPU) + 1 processes, about
    6 concurrent users per worker, 80 % light requests at 150 MB and 20 % heavy ones at 1 GB.
    When memory or the connection budget binds, it lowers the worker count and warns; when even one
    worker does not fit, it fails with the arithmetic in the message.
  - Changes nothing on the host; the results are meant for templates and container settings.
  - The arithmetic is described in the collection's C(docs/modules.md).
options:
  concurrent_users:
    description:
      - Concurrent users expected on this host (users with a request in flight or about to send one,
        not named users).
    type: int
    required: true
  heavy_request_ratio:
    description:
      - Share of heavy requests (reports, imports, large computations), between 0 and 1.
    type: float
    default: 0.2
  cron_load:
    description:
      - Scheduled-action load this host's Odoo carries, as cron worker processes - V(none) 0,
        V(light) 1, V(normal) 2 (Odoo's default), V(heavy) 4.
      - Use V(none) on app hosts whose Odoo does not run cron jobs.
    type: str
    choices: [none, light, normal, heavy]
    default: normal
  reserved_memory_mb:
    description:
      - Memory in MiB kept for everything else on the host (operating system, Docker, Traefik,
        HAProxy, Redis Sentinel, exporters).
    type: int
    default: 512
  db_connection_budget:
    description:
      - Most PostgreSQL connections the tenant's Odoo processes may hold, all app hosts together.
      - Every Odoo process has its own pool of C(db_maxconn) connections; the module counts them all.
    type: int
    default: 200
  app_hosts:
    description:
      - Number of app hosts sized like this one; the connection budget is shared between them.
    type: int
    default: 1
  db_extra_connections:
    description:
      - PostgreSQL connections to keep beyond Odoo's and the superuser reserve - Patroni, exporters,
        backups, administrators.
    type: int
    default: 20
  odoo_version:
    description:
      - Odoo version, for example V(17.0). From 17 on, C(db_maxconn_gevent) is returned.
    type: str
    default: '17.0'
  cpu_count:
    description:
      - CPU count to size for, instead of the one detected.
    type: int
  memory_mb:
    description:
      - Memory in MiB to size for, instead of the one detected.
    type: int
  users_per_worker:
    description:
      - Concurrent users one worker serves; Odoo's guide says about 6.
    type: int
    default: 6
  light_worker_memory_mb:
    description:
      - Resident memory of a worker serving light requests; Odoo's guide says about 150 MB.
    type: int
    default: 150
  heavy_worker_memory_mb:
    description:
      - Resident memory of a worker serving a heavy request; Odoo's guide says about 1 GB.
      - C(limit_memory_soft) is twice this (Odoo's default 2048 MiB at 1024) and C(limit_memory_hard)
        1.25 times the soft limit, both capped by the memory left for Odoo.
    type: int
    default: 1024
  limit_time_cpu:
    description:
      - CPU seconds a request may use (Odoo's deployment guide sample - 600).
    type: int
    default: 600
  limit_time_real:
    description:
      - Wall-clock seconds a request may take (Odoo's deployment guide sample - 1200).
    type: int
    default: 1200
  limit_time_real_cron:
    description:
      - Wall-clock seconds a cron job may take; V(0) means no limit, V(-1) uses O(limit_time_real).
    type: int
    default: 3600
  limit_request:
    description:
      - Requests a worker serves before it is recycled (Odoo's deployment guide sample - 8192).
    type: int
    default: 8192
  integration_concurrent_calls:
    description:
      - Integration calls expected in flight at once on this host. A machine client keeps its call
        in flight the whole time (no think time), so the integration pool gets one worker per call.
      - The integration pool's workers, master and gevent process count in the CPU rule, the expected
        memory, the connection budget, the PgBouncer pool and PostgreSQL C(max_connections). When the
        host cannot carry them all, the integration pool is lowered first, but never below one worker.
      - V(0) means no integration pool; the results are then the same as without these options and
        RV(integration) is empty.
    type: int
    default: 0
  integration_heavy_request_ratio:
    description:
      - Share of heavy calls (imports, large reads) among the integration calls, between 0 and 1;
        used for the integration pool's expected memory.
    type: float
    default: 0.5
  integration_limit_time_cpu:
    description:
      - CPU seconds an integration call may use.
      - Half the users' default - a machine client usually gives up and retries long before 10
        minutes, so a call still running after that only holds one of the pool's few workers.
        Split long imports into batches rather than raising this.
    type: int
    default: 300
  integration_limit_time_real:
    description:
      - Wall-clock seconds an integration call may take; at least O(integration_limit_time_cpu).
    type: int
    default: 600
  jobs_capacity:
    description:
      - Jobs running at once on this host - the job pool's HTTP workers, and the capacity to give
        C(queue_job)'s root channel. Each running job holds one worker of C(odoo-jobs) to its end.
      - The job pool's workers, master, gevent process and job runner count in the CPU rule, the
        expected memory, the connection budget, the PgBouncer pool and PostgreSQL C(max_connections).
        The users' workers and then the integration pool come first; when the host cannot carry them
        all, the job pool is lowered first, but never below one worker.
      - V(0) means no job pool; the results are then the same as without these options and
        RV(jobs) is not returned.
    type: int
    default: 0
  jobs_heavy_request_ratio:
    description:
      - Share of heavy jobs (imports, invoicing runs, report batches) among the jobs, between 0 and 1;
        used for the job pool's expected memory.
    type: float
    default: 0.5
  jobs_limit_time_cpu:
    description:
      - CPU seconds a job may use.
      - Three times the users' default - nobody waits for a job in a browser, and imports or
        invoicing runs split into jobs still take minutes each.
    type: int
    default: 1800
  jobs_limit_time_real:
    description:
      - Wall-clock seconds a job may take; at least O(jobs_limit_time_cpu).
    type: int
    default: 3600
  jobs_databases:
    description:
      - Databases the job runner listens on; it holds one direct connection to each, outside the
        pools, on every host (only one host's runner is master at a time, the others keep retrying).
      - One tenant database per tenant gives the default.
    type: int
    default: 1
attributes:
  check_mode:
    description: Computes the same results in check mode.
    support: full
  diff_mode:
    description: Does not return a diff; it changes nothing.
    support: none
seealso:
  - name: Odoo deployment guide
    description: The worker and memory rules of thumb this module applies.
    link: https://www.odoo.com/documentation/17.0/administration/on_premise/deploy.html#worker-number-calculation
author:
  - SysGenPro hosting engineering (@sysgenpro)
'''

EXAMPLES = r'''
- name: Size Odoo for this app host
  sysgenpro.odoo_hosting.odoo_worker_tuning:
    concurrent_users: 60
    cron_load: light
    app_hosts: "{{ groups['odoo_app'] | length }}"
  register: __odoo_tuning

- name: Write the sizing into odoo.conf
  community.general.ini_file:
    path: /etc/odoo/odoo.conf
    section: options
    option: "{{ item.key }}"
    value: "{{ item.value }}"
    mode: "0640"
  loop: "{{ __odoo_tuning.odoo_config | dict2items }}"

- name: Size a machine that is not the one running the module
  sysgenpro.odoo_hosting.odoo_worker_tuning:
    cpu_count: 16
    memory_mb: 65536
    concurrent_users: 200
    heavy_request_ratio: 0.3
    cron_load: heavy
    db_connection_budget: 400
  delegate_to: localhost

- name: Size this host with an integration pool for 4 carrier and EDI calls at once
  sysgenpro.odoo_hosting.odoo_worker_tuning:
    concurrent_users: 60
    cron_load: light
    integration_concurrent_calls: 4
  register: __odoo_tuning

- name: Size this host with a job pool running 3 queue_job jobs at once
  sysgenpro.odoo_hosting.odoo_worker_tuning:
    concurrent_users: 60
    cron_load: light
    jobs_capacity: 3
  register: __odoo_tuning
'''

RETURN = r'''
odoo_config:
  description: Odoo configuration options, with memory limits in bytes as odoo.conf expects them.
  returned: success
  type: dict
  sample:
    workers: 8
    max_cron_threads: 1
    limit_memory_soft: 2147483648
    limit_memory_hard: 2684354560
    limit_time_cpu: 600
    limit_time_real: 1200
    limit_time_real_cron: 3600
    limit_request: 8192
    db_maxconn: 8
    db_maxconn_gevent: 16
pgbouncer:
  description: PgBouncer settings for the tenant's pool (session mode - one server connection per client).
  returned: success
  type: dict
  sample: {default_pool_size: 96, max_client_conn: 116}
postgresql:
  description: PostgreSQL settings the pools need.
  returned: success
  type: dict
  sample: {max_connections: 119}
container_memory_limit_mb:
  description:
    - Memory limit for the Odoo container in MiB - the expected load plus room for one worker to grow
      to C(limit_memory_hard), never more than the memory left after O(reserved_memory_mb).
  returned: success
  type: int
  sample: 5460
host:
  description: The CPU count and memory sized for, and where each came from (V(cpus), V(meminfo), V(cgroup), V(option)).
  returned: success
  type: dict
  sample: {cpu_count: 4, memory_mb: 16384, cpu_source: option, memory_source: option}
capacity:
  description: What the result carries - concurrent users, expected and available memory (MiB), connections.
  returned: success
  type: dict
  contains:
    concurrent_users:
      description: Concurrent users the users' workers carry.
      type: int
    memory_available_mb:
      description: Memory left for Odoo after O(reserved_memory_mb).
      type: int
    memory_expected_mb:
      description: Expected resident memory of the users' Odoo and, when they are on, the integration and job pools.
      type: int
    db_connections_per_host:
      description: Connections all Odoo processes of this host may hold, the integration and job pools' included.
      type: int
    db_connections_total:
      description: O(app_hosts) times RV(capacity.db_connections_per_host).
      type: int
    integration_concurrent_calls:
      description: Integration calls carried at once.
      returned: when O(integration_concurrent_calls) is above 0
      type: int
    integration_workers:
      description: Workers of the integration pool (one per call).
      returned: when O(integration_concurrent_calls) is above 0
      type: int
    integration_memory_expected_mb:
      description: Expected resident memory of the integration pool.
      returned: when O(integration_concurrent_calls) is above 0
      type: int
    integration_db_connections_per_host:
      description: Connections the integration pool's processes may hold on this host.
      returned: when O(integration_concurrent_calls) is above 0
      type: int
    jobs_capacity:
      description: Jobs carried at once - the capacity to give C(queue_job)'s root channel.
      returned: when O(jobs_capacity) is above 0
      type: int
    jobs_workers:
      description: Workers of the job pool (one per running job).
      returned: when O(jobs_capacity) is above 0
      type: int
    jobs_memory_expected_mb:
      description: Expected resident memory of the job pool, its runner included.
      returned: when O(jobs_capacity) is above 0
      type: int
    jobs_db_connections_per_host:
      description: Connections the job pool's processes and its runner may hold on this host.
      returned: when O(jobs_capacity) is above 0
      type: int
  sample:
    concurrent_users: 48
    memory_available_mb: 15872
    memory_expected_mb: 3224
    db_connections_per_host: 96
    db_connections_total: 96
integration:
  description:
    - The integration pool's container, when O(integration_concurrent_calls) is above 0; V({}) when
      it is 0 (no integration pool).
    - Its connections are already counted in RV(pgbouncer), RV(postgresql) and RV(capacity).
  returned: success
  type: dict
  contains:
    odoo_config:
      description:
        - Options for the integration container's Odoo, all settable on its command line, memory
          limits in bytes. C(max_cron_threads) is 0 - scheduled actions stay in the users' Odoo.
          C(db_maxconn_gevent) is there for Odoo 17 and later.
      type: dict
    container_memory_limit_mb:
      description:
        - Memory limit for the integration container in MiB - its expected load plus room for one
          worker to grow to C(limit_memory_hard), never more than the memory left after
          O(reserved_memory_mb) and the users' Odoo's expected load.
      type: int
  sample:
    odoo_config:
      workers: 1
      max_cron_threads: 0
      limit_memory_soft: 2147483648
      limit_memory_hard: 2684354560
      limit_time_cpu: 300
      limit_time_real: 600
      limit_request: 8192
      db_maxconn: 8
      db_maxconn_gevent: 16
    container_memory_limit_mb: 2860
jobs:
  description:
    - The job pool's container, when O(jobs_capacity) is above 0.
    - Its connections, the runner's included, are already counted in RV(pgbouncer), RV(postgresql)
      and RV(capacity).
  returned: when O(jobs_capacity) is above 0
  type: dict
  contains:
    odoo_config:
      description:
        - Options for the job container's Odoo, all settable on its command line, memory limits in
          bytes - the users' options with the job pool's C(workers), C(limit_time_cpu) and
          C(limit_time_real). C(max_cron_threads) is 0 - scheduled actions stay in the users' Odoo.
          C(db_maxconn_gevent) is there for Odoo 17 and later.
      type: dict
    container_memory_limit_mb:
      description:
        - Memory limit for the job container in MiB - its expected load plus room for one worker
          to grow to C(limit_memory_hard), never more than the memory left after
          O(reserved_memory_mb) and the other containers' expected load.
      type: int
  sample:
    odoo_config:
      workers: 2
      max_cron_threads: 0
      limit_memory_soft: 2147483648
      limit_memory_hard: 2684354560
      limit_time_cpu: 1800
      limit_time_real: 3600
      limit_request: 8192
      db_maxconn: 8
      db_maxconn_gevent: 16
    container_memory_limit_mb: 3597
arithmetic:
  description: The computation, one step per line.
  returned: success
  type: list
  elements: str
'''

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.sysgenpro.odoo_hosting.plugins.module_utils.worker_tuning import (
    CRON_LOAD_THREADS,
    DEFAULT_PROFILE,
    TuningRefused,
    compute_tuning,
    detect_host,
    odoo_major_version,
)


class WorkerTuning(object):
    """Gathers the host and the profile, and hands them to the pure sizing function."""

    def __init__(self, module):
        self.module = module
        self.params = module.params

    def host(self):
        params = self.params
        detected = None
        if params['cpu_count'] is None or params['memory_mb'] is None:
            try:
                detected = detect_host()
            except ValueError as exc:
                self.module.fail_json(msg='Cannot read the host\'s CPU and memory: %s; set cpu_count and memory_mb'
                                          % exc)
        host = dict(detected or {})
        if params['cpu_count'] is not None:
            host.update(cpu_count=params['cpu_count'], cpu_source='option')
        if params['memory_mb'] is not None:
            host.update(memory_mb=params['memory_mb'], memory_source='option')
        return host

    def profile(self):
        params = self.params
        profile = dict(DEFAULT_PROFILE)
        for key in DEFAULT_PROFILE:
            if key in params and params[key] is not None:
                profile[key] = params[key]
        profile['concurrent_users'] = params['concurrent_users']
        profile['cron_threads'] = CRON_LOAD_THREADS[params['cron_load']]
        profile['odoo_major'] = odoo_major_version(params['odoo_version'])
        return profile

    @staticmethod
    def container(pool):
        """A pool's container settings as the module returns them."""
        return dict(odoo_config=pool['odoo'], container_memory_limit_mb=pool['container_memory_limit_mb'])

    def integration(self, tuning):
        """The integration pool's container settings, or {} when there is none."""
        pool = tuning.get('integration')
        if not pool:
            return {}
        return self.container(pool)

    def run(self):
        host = self.host()
        try:
            tuning = compute_tuning(host, self.profile())
        except TuningRefused as exc:
            self.module.fail_json(msg=str(exc), host=host)
        for warning in tuning['warnings']:
            self.module.warn(warning)
        result = dict(
            changed=False,
            odoo_config=tuning['odoo'],
            pgbouncer=tuning['pgbouncer'],
            postgresql=tuning['postgresql'],
            container_memory_limit_mb=tuning['container_memory_limit_mb'],
            host=host,
            capacity=tuning['capacity'],
            integration=self.integration(tuning),
            arithmetic=tuning['arithmetic'],
        )
        if 'jobs' in tuning:
            result['jobs'] = self.container(tuning['jobs'])
        return result


def main():
    module = AnsibleModule(
        argument_spec=dict(
            concurrent_users=dict(type='int', required=True),
            heavy_request_ratio=dict(type='float', default=DEFAULT_PROFILE['heavy_request_ratio']),
            cron_load=dict(type='str', default='normal', choices=sorted(CRON_LOAD_THREADS)),
            reserved_memory_mb=dict(type='int', default=DEFAULT_PROFILE['reserved_memory_mb']),
            db_connection_budget=dict(type='int', default=DEFAULT_PROFILE['db_connection_budget']),
            app_hosts=dict(type='int', default=DEFAULT_PROFILE['app_hosts']),
            db_extra_connections=dict(type='int', default=DEFAULT_PROFILE['db_extra_connections']),
            odoo_version=dict(type='str', default='17.0'),
            cpu_count=dict(type='int'),
            memory_mb=dict(type='int'),
            users_per_worker=dict(type='int', default=DEFAULT_PROFILE['users_per_worker']),
            light_worker_memory_mb=dict(type='int', default=DEFAULT_PROFILE['light_worker_memory_mb']),
            heavy_worker_memory_mb=dict(type='int', default=DEFAULT_PROFILE['heavy_worker_memory_mb']),
            limit_time_cpu=dict(type='int', default=DEFAULT_PROFILE['limit_time_cpu']),
            limit_time_real=dict(type='int', default=DEFAULT_PROFILE['limit_time_real']),
            limit_time_real_cron=dict(type='int', default=DEFAULT_PROFILE['limit_time_real_cron']),
            limit_request=dict(type='int', default=DEFAULT_PROFILE['limit_request']),
            integration_concurrent_calls=dict(type='int', default=DEFAULT_PROFILE['integration_concurrent_calls']),
            integration_heavy_request_ratio=dict(type='float',
                                                 default=DEFAULT_PROFILE['integration_heavy_request_ratio']),
            integration_limit_time_cpu=dict(type='int', default=DEFAULT_PROFILE['integration_limit_time_cpu']),
            integration_limit_time_real=dict(type='int', default=DEFAULT_PROFILE['integration_limit_time_real']),
            jobs_capacity=dict(type='int', default=DEFAULT_PROFILE['jobs_capacity']),
            jobs_heavy_request_ratio=dict(type='float', default=DEFAULT_PROFILE['jobs_heavy_request_ratio']),
            jobs_limit_time_cpu=dict(type='int', default=DEFAULT_PROFILE['jobs_limit_time_cpu']),
            jobs_limit_time_real=dict(type='int', default=DEFAULT_PROFILE['jobs_limit_time_real']),
            jobs_databases=dict(type='int', default=DEFAULT_PROFILE['jobs_databases']),
        ),
        supports_check_mode=True,
    )
    try:
        result = WorkerTuning(module).run()
    except TuningRefused as exc:
        module.fail_json(msg=str(exc))
    module.exit_json(**result)


if __name__ == '__main__':
    main()
