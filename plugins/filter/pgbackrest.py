# -*- coding: utf-8 -*-
# Copyright: (c) 2026, SysGenPro hosting engineering
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The pgbackrest_restore_target filter: judge a point-in-time recovery target against ``pgbackrest info``."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: pgbackrest_restore_target
short_description: Judge a point-in-time recovery target against the backups pgBackRest holds
version_added: 1.0.0
author: SysGenPro hosting engineering (@sysgenpro)
description:
  - Takes the parsed output of C(pgbackrest info --output=json) and a target time, and returns what
    C(playbooks/restore.yml) needs to refuse a bad request before it stops anything.
  - An empty target or C(latest) recovers to the end of the archive.
  - A time must carry a UTC offset (C(2026-03-01 14:05:00+00:00), C(...Z), C(... UTC)); it is refused when it
    is in the future or before the end of the oldest completed backup.
options:
  _input:
    description: The parsed JSON of C(pgbackrest info --output=json) (a list of stanzas).
    type: list
    elements: dict
    required: true
  stanza:
    description: The stanza to restore.
    type: string
    required: true
  target:
    description: The target time, or empty or C(latest).
    type: string
    default: ""
  now:
    description: Seconds since the epoch that count as now (the controller's clock when not given).
    type: float
"""

EXAMPLES = r"""
- name: Refuse a target the backups cannot reach
  ansible.builtin.assert:
    that: __restore_plan.problems | length == 0
    fail_msg: "{{ __restore_plan.problems | join(' ') }}"
  vars:
    __restore_plan: >-
      {{ __info.stdout | from_json
         | sysgenpro.odoo_hosting.pgbackrest_restore_target(stanza='odoo', target=restore_target_time) }}
"""

RETURN = r"""
_value:
  description: The judgement.
  type: dict
  contains:
    problems:
      description: Messages, each naming restore_target_time or the stanza; empty when the target is sound.
      type: list
      elements: string
    type:
      description: C(time), or C(default) (to the end of the archive).
      type: string
    target:
      description: The target in UTC as pgBackRest gets it (C(2026-03-01 13:05:00+00)), empty for C(default).
      type: string
    target_epoch:
      description: The target in seconds since the epoch, or null.
      type: float
    earliest_epoch:
      description: End of the oldest completed backup (the earliest reachable time), or null.
      type: float
    newest_backup_epoch:
      description: End of the newest completed backup, or null.
      type: float
"""

import time

from ansible.errors import AnsibleFilterError

from ansible_collections.sysgenpro.odoo_hosting.plugins.module_utils.pgbackrest import judge_restore_target


def pgbackrest_restore_target(info, stanza, target='', now=None):
    if not isinstance(info, list):
        raise AnsibleFilterError('pgbackrest_restore_target: the input must be the parsed JSON list of pgbackrest info')
    return judge_restore_target(info, stanza, target, time.time() if now is None else float(now))


class FilterModule(object):
    def filters(self):
        return {'pgbackrest_restore_target': pgbackrest_restore_target}
