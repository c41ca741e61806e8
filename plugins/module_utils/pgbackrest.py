# -*- coding: utf-8 -*-
# Copyright: (c) 2026, SysGenPro hosting engineering
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read ``pgbackrest info --output=json`` and judge a point-in-time recovery target against it.

Pure functions, no I/O: the filter plugin ``pgbackrest_restore_target`` and its
unit tests use them.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import re

# 2026-03-01 14:05:00+01:00, 2026-03-01T14:05:00.5Z, 2026-03-01 14:05:00 UTC, 2026-03-01 14:05:00+0100, ...+01
_TARGET = re.compile(
    r'^(?P<date>\d{4}-\d{2}-\d{2})[ T](?P<time>\d{2}:\d{2}:\d{2})(?P<fraction>\.\d{1,6})?'
    r'\s*(?P<zone>Z|UTC|[+-]\d{2}(?::?\d{2})?)$')

LATEST = ('', 'latest')


def parse_target_time(text):
    """Seconds since the epoch of a target written with a date, a time and an explicit UTC offset.

    Raises ValueError when the text is not such a time: a time without an
    offset would be read in the database server's time zone, which is
    exactly the kind of ambiguity a restore must not have.
    """
    match = _TARGET.match(text.strip()) if isinstance(text, str) else None
    if not match:
        raise ValueError('%r is not a time with a UTC offset such as 2026-03-01 14:05:00+00:00' % (text,))
    zone = match.group('zone')
    if zone in ('Z', 'UTC'):
        offset = datetime.timedelta(0)
    else:
        sign = -1 if zone[0] == '-' else 1
        digits = zone[1:].replace(':', '')
        hours, minutes = int(digits[:2]), int(digits[2:] or 0)
        if hours > 14 or minutes > 59:
            raise ValueError('%r has an impossible UTC offset' % (text,))
        offset = sign * datetime.timedelta(hours=hours, minutes=minutes)
    naive = datetime.datetime.strptime(match.group('date') + ' ' + match.group('time'), '%Y-%m-%d %H:%M:%S')
    moment = naive.replace(tzinfo=datetime.timezone(offset))
    fraction = float(match.group('fraction') or 0)
    return moment.timestamp() + fraction


def format_target_time(epoch):
    """The target as pgBackRest passes it to recovery_target_time: UTC, explicit offset."""
    moment = datetime.datetime.fromtimestamp(epoch, tz=datetime.timezone.utc)
    text = moment.strftime('%Y-%m-%d %H:%M:%S')
    if moment.microsecond:
        text += ('.%06d' % moment.microsecond).rstrip('0')
    return text + '+00'


def stanza_entry(info, stanza):
    for entry in info or []:
        if isinstance(entry, dict) and entry.get('name') == stanza:
            return entry
    return None


def backup_window(info, stanza):
    """(oldest stop, newest stop) of the stanza's good backups, in seconds since the epoch, or None without any."""
    entry = stanza_entry(info, stanza) or {}
    stops = [((backup.get('timestamp') or {}).get('stop'))
             for backup in entry.get('backup') or [] if not backup.get('error')]
    stops = [stop for stop in stops if isinstance(stop, (int, float))]
    if not stops:
        return None
    return min(stops), max(stops)


def judge_restore_target(info, stanza, target, now, variable='restore_target_time'):
    """Decide a restore request: a dict with ``problems`` (messages naming ``variable``), ``type`` and ``target``.

    ``target`` empty or ``latest``: recover to the end of the archive. Otherwise a time with an offset,
    which must not be in the future and must not be before the end of the oldest backup (nothing
    older can be rebuilt).
    """
    result = {'problems': [], 'type': 'default', 'target': '', 'target_epoch': None,
              'earliest_epoch': None, 'newest_backup_epoch': None}
    entry = stanza_entry(info, stanza)
    if entry is None:
        result['problems'].append('pgbackrest info shows no stanza %s: nothing to restore.' % stanza)
        return result
    window = backup_window(info, stanza)
    if window is None:
        result['problems'].append('stanza %s has no completed backup: nothing to restore.' % stanza)
        return result
    result['earliest_epoch'], result['newest_backup_epoch'] = window
    target = '' if target is None else str(target).strip()
    if target.lower() in LATEST:
        return result
    try:
        epoch = parse_target_time(target)
    except ValueError as exc:
        result['problems'].append('%s: %s.' % (variable, exc))
        return result
    if epoch > now:
        result['problems'].append('%s (%s) is in the future (now: %s): a recovery cannot reach it.'
                                  % (variable, target, format_target_time(now)))
    if epoch < window[0]:
        result['problems'].append('%s (%s) is before the end of the oldest backup (%s): nothing older can be rebuilt.'
                                  % (variable, target, format_target_time(window[0])))
    result.update({'type': 'time', 'target': format_target_time(epoch), 'target_epoch': epoch})
    return result
