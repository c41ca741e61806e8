# -*- coding: utf-8 -*-
# Copyright: (c) 2026, SysGenPro hosting engineering
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure helpers of the managed_files module: input checks and diff text."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

_MODE = re.compile(r'^0?[0-7]{3,4}$')


def check_entries(entries):
    """Returns the problems of a list of managed_files entries (empty when they are sound)."""
    problems = []
    seen = set()
    for index, entry in enumerate(entries):
        where = "files[%d] (%s)" % (index, entry.get('path'))
        path = entry.get('path') or ''
        if not path.startswith('/'):
            problems.append("%s: path must be absolute" % where)
        if path in seen:
            problems.append("%s: the path is listed twice" % where)
        seen.add(path)
        state = entry.get('state') or 'file'
        if state != 'file' and entry.get('content') is not None:
            problems.append("%s: only a file takes content" % where)
        if state != 'file' and entry.get('validate'):
            problems.append("%s: only a file can be validated" % where)
        mode = entry.get('mode')
        if mode is not None and not _MODE.match(str(mode)):
            problems.append("%s: mode %r is not an octal string such as '0640'" % (where, mode))
        if entry.get('validate') and '%s' not in entry['validate']:
            problems.append("%s: validate needs %%s where the file's temporary path goes" % where)
    return problems


def describe(attributes):
    """One line for a diff: the owner, group and mode an entry has or is given (nothing: absent)."""
    if attributes is None:
        return ''
    parts = []
    for key, label in (('owner', 'owner'), ('uid', 'uid'), ('group', 'group'), ('gid', 'gid'), ('mode', 'mode')):
        if attributes.get(key) is not None:
            parts.append('%s=%s' % (label, attributes[key]))
    return ' '.join(parts) + '\n'
