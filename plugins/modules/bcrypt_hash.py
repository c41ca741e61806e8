#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, SysGenPro hosting engineering
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: bcrypt_hash
short_description: A bcrypt hash of a password, the same one from run to run while it still verifies
version_added: 1.0.0
description:
  - Returns a bcrypt hash of O(password) for a file that checks HTTP basic auth (the Prometheus
    exporter-toolkit's C(basic_auth_users)).
  - Looks first in the files O(keep_from) for a bcrypt hash of the same cost that verifies
    O(password), and returns it unchanged; only when none does is a new hash made, with a random
    salt. A run whose password did not change therefore writes the same files again.
  - Hashes on the managed host with the C library's C(crypt(3)) (libxcrypt, Debian's C(libcrypt1)),
    so the controller needs no passlib and the host no Python package.
  - Changes nothing.
options:
  password:
    description:
      - The password, 1 to 72 bytes (bcrypt ignores what follows).
    type: str
    required: true
  cost:
    description:
      - bcrypt cost (log2 of the rounds), 4 to 31.
    type: int
    default: 10
  keep_from:
    description:
      - Files that may hold a hash of the password already; a file that is missing or unreadable
        holds none.
    type: list
    elements: path
    default: []
attributes:
  check_mode:
    support: full
    description: Returns the same in check mode.
  diff_mode:
    support: none
    description: The hash is a secret's digest; nothing is shown.
author:
  - SysGenPro hosting engineering (@sysgenpro)
'''

EXAMPLES = r'''
- name: Hash the exporters' basic auth password, keeping the hash in place when it still verifies
  sysgenpro.odoo_hosting.bcrypt_hash:
    password: "{{ exporters_web_password }}"
    keep_from: [/etc/prometheus-exporters/prometheus-node-exporter.web.yml]
  register: __exporters_web_hash
  no_log: true
'''

RETURN = r'''
hash:
  description: The bcrypt hash.
  returned: success
  type: str
  sample: $2b$10$abcdefghijklmnopqrstuu5Bg1oW2o0Bfe5nFf2RJwvsQ8cZ0fjXO
kept:
  description: Whether the hash was found in O(keep_from) (otherwise it is new).
  returned: success
  type: bool
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.sysgenpro.odoo_hosting.plugins.module_utils.bcrypt import BcryptError, hash_keeping


def read_texts(paths):
    texts = []
    for path in paths:
        try:
            with open(path, 'r', encoding='utf-8', errors='replace') as handle:
                texts.append(handle.read(256 * 1024))
        except OSError:
            continue
    return texts


def main():
    module = AnsibleModule(
        argument_spec=dict(
            password=dict(type='str', required=True, no_log=True),
            cost=dict(type='int', default=10),
            keep_from=dict(type='list', elements='path', default=[]),
        ),
        supports_check_mode=True,
    )
    try:
        hashed, kept = hash_keeping(module.params['password'], module.params['cost'],
                                    read_texts(module.params['keep_from']))
    except BcryptError as e:
        module.fail_json(msg='Cannot hash the password with bcrypt: %s' % e)
    module.exit_json(changed=False, hash=hashed, kept=kept)


if __name__ == '__main__':
    main()
