# -*- coding: utf-8 -*-
# Copyright: (c) 2026, SysGenPro hosting engineering
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The patroni_restart_lowers filter: whether members' pending restarts lower any of the named settings."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: patroni_restart_lowers
short_description: Tell whether Patroni members' pending restarts lower any of the named settings
version_added: 1.0.0
author: SysGenPro hosting engineering (@sysgenpro)
description:
  - Takes members of Patroni's C(/cluster) answer and a list of PostgreSQL setting names, and returns true when the
    C(pending_restart_reason) of any member gives one of those settings a new value lower than its old one.
  - Values are compared as integers, read as Jinja's C(int) filter reads them (C("151") is 151, C("1.5") is 1, a
    value that is no number is 0).
  - A member without C(pending_restart_reason) (no pending restart, or a Patroni that does not give the reason)
    lowers nothing.
  - C(roles/patroni/tasks/restart_pending.yml) restarts the leader first when it lowers a setting that a hot
    standby may not have below its primary's (C(max_connections), C(max_worker_processes) and the like).
options:
  _input:
    description: Members of Patroni's C(/cluster) answer (each a dict; only C(pending_restart_reason) is read).
    type: list
    elements: dict
    required: true
  settings:
    description: The names of the settings to look for.
    type: list
    elements: string
    required: true
"""

EXAMPLES = r"""
- name: Restart the leader first when it lowers a hot-standby floor setting
  ansible.builtin.debug:
    msg: "{{ 'leader first' if __leader_lowers else 'replicas first' }}"
  vars:
    __leader_lowers: >-
      {{ __cluster.json.members | selectattr('role', 'equalto', 'leader')
         | sysgenpro.odoo_hosting.patroni_restart_lowers(['max_connections', 'max_worker_processes']) }}
"""

RETURN = r"""
_value:
  description: True when a member's pending restart lowers one of the settings.
  type: bool
"""

from collections.abc import Mapping

from ansible.errors import AnsibleFilterError


def _as_int(value):
    """An integer as Jinja's ``int`` filter makes it: int, else int of the float, else 0."""
    try:
        return int(value)
    except (TypeError, ValueError):
        try:
            return int(float(value))
        except (TypeError, ValueError):
            return 0


def patroni_restart_lowers(members, settings):
    """True when the ``pending_restart_reason`` of any of ``members`` lowers one of ``settings``."""
    if isinstance(members, (str, bytes, Mapping)) or not hasattr(members, '__iter__'):
        raise AnsibleFilterError('patroni_restart_lowers: the input must be a list of members of /cluster')
    if isinstance(settings, (str, bytes, Mapping)) or not hasattr(settings, '__iter__'):
        raise AnsibleFilterError('patroni_restart_lowers: settings must be a list of setting names')
    settings = set(settings)
    for member in members:
        if not isinstance(member, Mapping):
            raise AnsibleFilterError('patroni_restart_lowers: each member must be a mapping, got %r' % (member,))
        reasons = member.get('pending_restart_reason') or {}
        if not isinstance(reasons, Mapping):
            raise AnsibleFilterError('patroni_restart_lowers: the pending_restart_reason of %s must be a mapping, got %r'
                                     % (member.get('name'), reasons))
        for name, change in reasons.items():
            if name not in settings:
                continue
            try:
                new_value, old_value = change['new_value'], change['old_value']
            except (KeyError, TypeError):
                raise AnsibleFilterError('patroni_restart_lowers: the pending_restart_reason of %s for %s has no '
                                         'old_value and new_value: %r' % (member.get('name'), name, change))
            if _as_int(new_value) < _as_int(old_value):
                return True
    return False


class FilterModule(object):
    def filters(self):
        return {'patroni_restart_lowers': patroni_restart_lowers}
