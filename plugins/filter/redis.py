# -*- coding: utf-8 -*-
# Copyright: (c) 2026, SysGenPro hosting engineering
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The redis_fields filter: redis-cli's name / value answer lines (SENTINEL MASTER and the like) as a mapping."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: redis_fields
short_description: Read redis-cli's name / value answer lines as a mapping
version_added: 1.0.0
author: SysGenPro hosting engineering (@sysgenpro)
description:
  - Takes the lines redis-cli prints for a session (C(stdout_lines) of a C(command) task that sends it commands on its
    standard input) and returns the name / value pairs of the answer that starts with the field O(first), as a
    mapping of strings.
  - Redis answers C(SENTINEL MASTER) (and C(CONFIG GET)) with a flat list that redis-cli prints one element a line,
    a name then its value; the answers of commands sent before it (C(OK) for C(AUTH), or an error) come first.
  - Lines before the first line equal to O(first) are skipped; without such a line (the command answered an error,
    the session could not log in) the result is an empty mapping.
  - From O(first) on, lines are read two by two; an odd last line (the one-line answer of a command sent after, such
    as C(SENTINEL CKQUORUM)) is ignored. When a name comes twice, its last value wins.
options:
  _input:
    description: The lines redis-cli printed, one answer element a line.
    type: list
    elements: string
    required: true
  first:
    description: The name of the answer's first field, where the pairs begin.
    type: string
    default: name
"""

EXAMPLES = r"""
- name: Read the Sentinel's view of the master
  ansible.builtin.command:
    argv: [redis-cli, -p, "26379"]
    stdin: |-
      AUTH admin "{{ redis_admin_password }}"
      SENTINEL MASTER odoo
  register: __sentinel_master
  changed_when: false

- name: Show the master's address and the number of replicas the Sentinel knows
  ansible.builtin.debug:
    msg: "{{ __fields['ip'] }}:{{ __fields['port'] }}, {{ __fields['num-slaves'] }} replicas"
  vars:
    # ['OK', 'name', 'odoo', 'ip', '10.0.0.5', 'port', '6379', ...] -> {'name': 'odoo', 'ip': '10.0.0.5', ...}
    __fields: "{{ __sentinel_master.stdout_lines | sysgenpro.odoo_hosting.redis_fields }}"
"""

RETURN = r"""
_value:
  description:
    - The answer's fields, name to value, both strings as redis-cli printed them.
    - Empty when no line equals O(first).
  type: dict
"""

from ansible.errors import AnsibleFilterError


def redis_fields(lines, first='name'):
    """The name / value pairs of ``lines`` from the first line equal to ``first``, as a dict; {} without one."""
    if not isinstance(lines, (list, tuple)):
        raise AnsibleFilterError('redis_fields: the input must be the list of redis-cli output lines, got %s'
                                 % type(lines).__name__)
    if not isinstance(first, str):
        raise AnsibleFilterError('redis_fields: first must be the name of a field, got %r' % (first,))
    for line in lines:
        if not isinstance(line, str):
            raise AnsibleFilterError('redis_fields: each line must be a string, got %r' % (line,))
    if first not in lines:
        return {}
    fields = lines[lines.index(first):]
    # zip stops at the shorter list: an odd last line has no value and is left out.
    return dict(zip(fields[0::2], fields[1::2]))


class FilterModule(object):
    def filters(self):
        return {'redis_fields': redis_fields}
