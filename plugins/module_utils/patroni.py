# -*- coding: utf-8 -*-
# Copyright: (c) 2025, SysGenPro hosting engineering
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Find the Patroni leader through the Patroni REST API (``GET /cluster``)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

from ansible.module_utils.common.text.converters import to_text
from ansible.module_utils.urls import open_url

LEADER_ROLES = ('leader',)


def leader_from_cluster(document):
    """``(host, port)`` of the leader in a ``/cluster`` document, or None.

    A standby cluster's ``standby_leader`` is not a leader here: it cannot
    create databases.
    """
    for member in document.get('members') or []:
        if member.get('role') in LEADER_ROLES and member.get('state') in (None, 'running', 'streaming'):
            host = member.get('host')
            port = member.get('port')
            if host and port:
                return host, int(port)
    return None


def find_leader(urls, ca_path=None, timeout=10):
    """Ask each Patroni REST URL in turn; return ``(host, port)`` and the errors met.

    Returns ``(None, errors)`` when no URL names a running leader.
    """
    errors = []
    for url in urls:
        endpoint = url.rstrip('/') + '/cluster'
        try:
            response = open_url(endpoint, method='GET', timeout=timeout, ca_path=ca_path,
                                headers={'Accept': 'application/json'})
            document = json.loads(to_text(response.read()))
        except Exception as exc:  # pylint: disable=broad-except  # any failure: try the next URL
            errors.append('%s: %s' % (endpoint, to_text(exc)))
            continue
        leader = leader_from_cluster(document)
        if leader:
            return leader, errors
        errors.append('%s: no running leader among the members' % endpoint)
    return None, errors
