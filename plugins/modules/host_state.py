#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, SysGenPro hosting engineering
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: host_state
short_description: Read, in one call, the packages, systemd units and files a role is about to manage
version_added: 1.0.0
description:
  - Reads the installed version of each package in O(packages) (C(dpkg-query)), the state of each
    systemd unit in O(services) (C(systemctl show)), whether each path in O(paths) exists, the
    attributes and checksum of each path in O(stats), the text of each small file in O(contents)
    (certificates, never keys), and whether each file in O(search) contains a text - in one round
    trip to the host.
  - A role reads its host's state once with it, then skips the package installs, service starts
    and probes whose target is already in place, so that a run that changes nothing costs one read.
  - Changes nothing.
options:
  packages:
    description:
      - Debian package names.
    type: list
    elements: str
    default: []
  services:
    description:
      - systemd unit names (C(.service) is implied when the name has no suffix).
    type: list
    elements: str
    default: []
  paths:
    description:
      - Paths whose existence and type are wanted.
    type: list
    elements: path
    default: []
  stats:
    description:
      - Paths whose type, owner, group, mode and (for files) SHA-1 checksum are wanted.
    type: list
    elements: path
    default: []
  contents:
    description:
      - Text files (at most 256 KiB each) whose content is wanted, such as certificates. Never list
        a file that holds a secret - the content travels back to the controller.
    type: list
    elements: path
    default: []
  search:
    description:
      - Texts to look for in files; a file that does not exist or cannot be read contains nothing.
    type: list
    elements: dict
    default: []
    suboptions:
      path:
        description: The file.
        type: path
        required: true
      text:
        description: The text, found anywhere in the file.
        type: str
        required: true
      line:
        description: Only a whole line equal to O(search[].text) counts.
        type: bool
        default: false
attributes:
  check_mode:
    support: full
    description: Reads the same in check mode.
  diff_mode:
    support: none
    description: Changes nothing, so has nothing to show.
author:
  - SysGenPro hosting engineering (@sysgenpro)
'''

EXAMPLES = r'''
- name: Read what the role is about to manage
  sysgenpro.odoo_hosting.host_state:
    packages: [etcd-server, etcd-client]
    services: [etcd]
    paths: [/var/lib/etcd/default]
  register: __etcd_state

- name: Install etcd when a package is missing
  ansible.builtin.apt:
    name: [etcd-server, etcd-client]
  when: __etcd_state.packages | dict2items | rejectattr('value') | list | length > 0
'''

RETURN = r'''
packages:
  description: Each package's installed version, or null when it is not installed.
  returned: always
  type: dict
  sample: {etcd-server: 3.4.23-4+b5, etcd-client: null}
services:
  description: Each unit's state, keyed by the name given.
  returned: always
  type: dict
  contains:
    load:
      description: LoadState (C(loaded), C(not-found), C(masked)).
      type: str
    active:
      description: ActiveState (C(active), C(inactive), C(failed), ...).
      type: str
    sub:
      description: SubState (C(running), C(exited), C(dead), ...).
      type: str
    enabled:
      description: UnitFileState (C(enabled), C(disabled), C(masked), C(static), ...).
      type: str
  sample: {etcd: {load: loaded, active: active, sub: running, enabled: enabled}}
paths:
  description: For each path, C(file), C(directory), C(link), C(other) or null when absent.
  returned: always
  type: dict
  sample: {/var/lib/etcd/default: null}
stats:
  description: For each path of O(stats), its attributes, or null when it does not exist.
  returned: always
  type: dict
  sample: {/etc/etcd/pki/member.key: {kind: file, owner: etcd, group: etcd, mode: '0600', checksum: 2aae6c35c94fcfb415dbe95f408b9ce91ee846ed}}
contents:
  description: For each path of O(contents), its text, or null when it does not exist.
  returned: always
  type: dict
  sample: {/etc/etcd/pki/ca.crt: "-----BEGIN CERTIFICATE-----\n..."}
search:
  description: For each entry of O(search), in order, whether the text was found.
  returned: always
  type: list
  elements: bool
  sample: [true]
'''

import grp
import hashlib
import os
import pwd
import stat

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_bytes, to_text

from ansible_collections.sysgenpro.odoo_hosting.plugins.module_utils.host_state import (
    SHOW_PROPERTIES,
    parse_dpkg_query,
    parse_systemctl_show,
    unit_name,
)


def read_packages(module, names):
    if not names:
        return {}
    # dpkg-query exits 1 when a name is unknown; the others are still printed.
    rc, out, err = module.run_command(['dpkg-query', '-W', '-f=${Package}\\t${db:Status-Status}\\t${Version}\\n'] + names)
    if rc not in (0, 1):
        module.fail_json(msg="Cannot read the installed packages: dpkg-query: %s" % err.strip())
    return parse_dpkg_query(names, out)


def read_services(module, names):
    if not names:
        return {}
    rc, out, err = module.run_command(['systemctl', 'show', '--property=' + ','.join(SHOW_PROPERTIES)]
                                      + [unit_name(name) for name in names])
    if rc != 0:
        module.fail_json(msg="Cannot read the state of the units: systemctl show: %s" % err.strip())
    return parse_systemctl_show(names, out)


def path_kind(path):
    try:
        mode = os.lstat(path).st_mode
    except OSError:
        return None
    if stat.S_ISLNK(mode):
        return 'link'
    if stat.S_ISDIR(mode):
        return 'directory'
    if stat.S_ISREG(mode):
        return 'file'
    return 'other'


_CONTENT_LIMIT = 256 * 1024


def name_of(lookup, number):
    try:
        return lookup(number)[0]
    except KeyError:
        return str(number)


def path_stat(path):
    kind = path_kind(path)
    if kind is None:
        return None
    st = os.lstat(path)
    result = dict(kind=kind, owner=name_of(pwd.getpwuid, st.st_uid), group=name_of(grp.getgrgid, st.st_gid),
                  mode='%04o' % stat.S_IMODE(st.st_mode), checksum=None)
    if kind == 'file':
        digest = hashlib.sha1()
        with open(path, 'rb') as handle:
            for block in iter(lambda: handle.read(65536), b''):
                digest.update(block)
        result['checksum'] = digest.hexdigest()
    return result


def read_content(module, path):
    if path_kind(path) != 'file':
        return None
    if os.path.getsize(path) > _CONTENT_LIMIT:
        module.fail_json(msg="Cannot read %s: it is larger than %d bytes" % (path, _CONTENT_LIMIT))
    with open(path, 'rb') as handle:
        return to_text(handle.read(), errors='surrogate_or_strict')


def contains(entry):
    try:
        with open(entry['path'], 'rb') as handle:
            data = handle.read()
    except (IOError, OSError):
        return False
    text = to_bytes(entry['text'], errors='surrogate_or_strict')
    if entry['line']:
        return text in data.splitlines()
    return text in data


def main():
    module = AnsibleModule(
        argument_spec=dict(
            packages=dict(type='list', elements='str', default=[]),
            services=dict(type='list', elements='str', default=[]),
            paths=dict(type='list', elements='path', default=[]),
            stats=dict(type='list', elements='path', default=[]),
            contents=dict(type='list', elements='path', default=[]),
            search=dict(type='list', elements='dict', default=[], options=dict(
                path=dict(type='path', required=True),
                text=dict(type='str', required=True, no_log=False),
                line=dict(type='bool', default=False),
            )),
        ),
        supports_check_mode=True,
    )
    module.exit_json(
        changed=False,
        packages=read_packages(module, module.params['packages']),
        services=read_services(module, module.params['services']),
        paths=dict((path, path_kind(path)) for path in module.params['paths']),
        stats=dict((path, path_stat(path)) for path in module.params['stats']),
        contents=dict((path, read_content(module, path)) for path in module.params['contents']),
        search=[contains(entry) for entry in module.params['search']],
    )


if __name__ == '__main__':
    main()
