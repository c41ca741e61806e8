# -*- coding: utf-8 -*-
# Copyright: (c) 2026, SysGenPro hosting engineering
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The etcd_initial_cluster filter: the initial-cluster settings one etcd member starts with."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: etcd_initial_cluster
short_description: The initial-cluster settings an etcd member starts with, for a new cluster or a member joining one
version_added: 1.0.0
author: SysGenPro hosting engineering (@sysgenpro)
description:
  - Takes the inventory name of one member and returns its C(ETCD_INITIAL_CLUSTER) (C(name=peer URL) pairs) and
    C(ETCD_INITIAL_CLUSTER_STATE), which etcd reads only while the member's data directory is empty.
  - When no member has data (a new cluster), every host of O(hosts), state C(new).
  - When the member has data, etcd ignores both settings, so the values in the settings file in place (O(in_place))
    are kept, so that a converge after the cluster changed does not rewrite (and restart) a running member. Without
    them, the values of a new cluster.
  - When the member has no data while others have (it joins a running cluster), the members the cluster lists
    (O(members), C(etcdctl member list -w json)), the hosts with data, and the joining hosts up to this one in
    O(hosts) order (C(roles/etcd/tasks/join_member.yml) adds them one at a time in that order), state C(existing).
    etcd refuses to join when these differ from the cluster's members after the C(member add).
  - C(unknown) lists the peer URLs of members the cluster lists that are no host of O(hosts).
options:
  _input:
    description: The member's inventory name.
    type: string
    required: true
  hosts:
    description: Every member's inventory name, in inventory order (C(etcd_cluster_hosts)).
    type: list
    elements: string
    required: true
  addresses:
    description: Each member's peer address, by inventory name.
    type: dict
    required: true
  peer_port:
    description: The peer port, the same on every member.
    type: int
    required: true
  with_data:
    description: The members whose data directory holds a member (C(<data dir>/member) exists).
    type: list
    elements: string
    required: true
  members:
    description: The running cluster's members as C(etcdctl member list -w json) gives them; empty when not read.
    type: list
    elements: dict
    default: []
  in_place:
    description: The member's settings file as it is on the host, or none.
    type: string
    default: null
"""

EXAMPLES = r"""
- name: Write the member's settings
  ansible.builtin.template:
    src: etcd.env.j2
    dest: /etc/default/etcd
  vars:
    _etcd_initial: >-
      {{ inventory_hostname | sysgenpro.odoo_hosting.etcd_initial_cluster(
           hosts=etcd_cluster_hosts, addresses=__addresses, peer_port=2380, with_data=__with_data,
           members=__members.stdout | from_json | json_query('members'), in_place=__env_in_place) }}
"""

RETURN = r"""
_value:
  description: The settings and the cluster's members that no host of O(hosts) is.
  type: dict
  contains:
    cluster:
      description: The value of C(ETCD_INITIAL_CLUSTER).
      type: string
    state:
      description: The value of C(ETCD_INITIAL_CLUSTER_STATE), C(new) or C(existing).
      type: string
    unknown:
      description: Peer URLs of members of the running cluster that are no host of O(hosts).
      type: list
      elements: string
"""

import re
from collections.abc import Mapping

from ansible.errors import AnsibleFilterError

_IN_PLACE = re.compile(r'^ETCD_INITIAL_CLUSTER(_STATE)?="([^"]*)"\s*$', re.MULTILINE)


def peer_url(address, port):
    """``https://address:port``, an IPv6 address in brackets."""
    address = str(address)
    if ':' in address and not address.startswith('['):
        address = '[%s]' % address
    return 'https://%s:%s' % (address, port)


def _in_place(text):
    """The two settings from a settings file, or None when either is missing."""
    found = {}
    for match in _IN_PLACE.finditer(text or ''):
        found['state' if match.group(1) else 'cluster'] = match.group(2)
    return found if len(found) == 2 else None


def etcd_initial_cluster(host, hosts, addresses, peer_port, with_data, members=None, in_place=None):
    """The ``cluster``, ``state`` and ``unknown`` members for ``host`` (see DOCUMENTATION)."""
    if isinstance(hosts, (str, bytes, Mapping)) or host not in hosts:
        raise AnsibleFilterError('etcd_initial_cluster: hosts must be a list that names %r' % (host,))
    if not isinstance(addresses, Mapping) or any(name not in addresses for name in hosts):
        raise AnsibleFilterError('etcd_initial_cluster: addresses must give the address of each of %s' % ', '.join(hosts))
    urls = dict((name, peer_url(addresses[name], peer_port)) for name in hosts)
    listed = set()
    for member in members or []:
        if not isinstance(member, Mapping):
            raise AnsibleFilterError('etcd_initial_cluster: each member must be a mapping, got %r' % (member,))
        listed.update(member.get('peerURLs') or [])
    known = set(urls.values())
    result = {'unknown': sorted(listed - known)}

    def pairs(names):
        return ','.join('%s=%s' % (name, urls[name]) for name in names)

    with_data = [name for name in hosts if name in set(with_data)]
    if host in with_data:
        result.update(_in_place(in_place) or {'cluster': pairs(hosts), 'state': 'new'})
    elif not with_data:
        result.update({'cluster': pairs(hosts), 'state': 'new'})
    else:
        position = hosts.index(host)
        names = [name for index, name in enumerate(hosts)
                 if name in with_data or urls[name] in listed or index <= position]
        result.update({'cluster': pairs(names), 'state': 'existing'})
    return result


class FilterModule(object):
    def filters(self):
        return {'etcd_initial_cluster': etcd_initial_cluster}
