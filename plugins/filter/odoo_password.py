# -*- coding: utf-8 -*-
# Copyright: (c) 2025, SysGenPro hosting engineering
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The odoo_pbkdf2_sha512 filter: a password hashed as Odoo stores it, on the controller."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: odoo_pbkdf2_sha512
short_description: Hash a password the way Odoo stores it, keeping a stored hash that still matches
version_added: 1.0.0
author: SysGenPro hosting engineering (@sysgenpro)
description:
  - Returns the passlib C(pbkdf2_sha512) hash of the input password, written
    C($pbkdf2-sha512$<rounds>$<salt>$<digest>), which is how Odoo checks C(admin_passwd)
    in C(odoo.conf) and C(res_users.password).
  - When O(current) is already a pbkdf2-sha512 hash of the password with O(rounds) rounds, it is
    returned unchanged, so that an unchanged password leaves the file or the row that holds it unchanged.
  - Otherwise the hash is made with a new random 16-byte salt (C(os.urandom)), so two calls give two
    different hashes. Use the filter once, in C(ansible.builtin.set_fact), and read the fact after.
  - Runs on the controller with the Python standard library; passlib is not needed.
options:
  _input:
    description: The password, in clear text.
    type: string
    required: true
  current:
    description:
      - The hash stored so far, if any.
      - Anything that is not a pbkdf2-sha512 hash of the password with O(rounds) rounds
        (empty, plain text, another scheme, other rounds) is replaced by a new hash.
    type: string
  rounds:
    description:
      - The number of PBKDF2 iterations.
      - Odoo 17 and later hash with 600000.
    type: int
    default: 600000
notes:
  - Set C(no_log=true) on the tasks that use this filter, as on every task that handles the password.
"""

EXAMPLES = r"""
- name: Hash the master password, keeping the hash in odoo.conf when it still matches
  ansible.builtin.set_fact:
    odoo_admin_passwd_hash: >-
      {{ odoo_admin_passwd | sysgenpro.odoo_hosting.odoo_pbkdf2_sha512(current=stored_hash, rounds=600000) }}
  no_log: true

- name: A fresh hash with Odoo's default rounds
  ansible.builtin.set_fact:
    admin_hash: "{{ 'test-only-password' | sysgenpro.odoo_hosting.odoo_pbkdf2_sha512 }}"
  no_log: true
  # admin_hash => "$pbkdf2-sha512$600000$<22 characters of salt>$<86 characters of digest>"
"""

RETURN = r"""
_value:
  description:
    - O(current) when it is a pbkdf2-sha512 hash of the password with O(rounds) rounds,
      otherwise a new hash C($pbkdf2-sha512$<rounds>$<salt>$<digest>) (salt and digest in passlib's adapted base64).
  type: string
"""

import os

from ansible.errors import AnsibleFilterError

from ansible_collections.sysgenpro.odoo_hosting.plugins.module_utils.odoo_password import (
    SALT_SIZE,
    hash_password,
    verify_password,
)

DEFAULT_ROUNDS = 600000

# A vaulted variable may reach the filter still encrypted: an EncryptedString
# (ansible-core 2.19) or an AnsibleVaultEncryptedUnicode (older releases).
try:
    from ansible.parsing.vault import EncryptedString as _VaultString
except ImportError:
    from ansible.parsing.yaml.objects import AnsibleVaultEncryptedUnicode as _VaultString


def _type_name(value):
    """The plain type of ``value`` (``int``, not ansible-core's tagged subclass of it)."""
    if value is None:
        return 'null'
    for native in (bool, int, float, bytes, list, dict):
        if isinstance(value, native):
            return native.__name__
    return type(value).__name__


def _password_text(password):
    if isinstance(password, _VaultString):
        password = str(password)
    if not isinstance(password, str):
        raise AnsibleFilterError(
            'Cannot hash the password with odoo_pbkdf2_sha512: it must be a string, got %s'
            % _type_name(password))
    if not password:
        raise AnsibleFilterError('Cannot hash the password with odoo_pbkdf2_sha512: it is empty')
    return password


def _rounds_count(rounds):
    try:
        if isinstance(rounds, bool) or not isinstance(rounds, (int, str)):
            raise TypeError(rounds)
        count = int(rounds)
    except (TypeError, ValueError):
        raise AnsibleFilterError(
            'Cannot hash the password with odoo_pbkdf2_sha512: rounds must be an integer, got %r' % (rounds,))
    if count < 1:
        raise AnsibleFilterError(
            'Cannot hash the password with odoo_pbkdf2_sha512: rounds must be at least 1, got %d' % count)
    return count


def odoo_pbkdf2_sha512(password, current=None, rounds=DEFAULT_ROUNDS):
    """``current`` when it is a hash of ``password`` with ``rounds`` rounds, else a new salted hash."""
    password = _password_text(password)
    rounds = _rounds_count(rounds)
    if isinstance(current, _VaultString):
        current = str(current)
    if isinstance(current, str) and verify_password(password, current, rounds):
        return current
    return hash_password(password, os.urandom(SALT_SIZE), rounds)


class FilterModule(object):
    """Password hashes as Odoo stores them."""

    def filters(self):
        return {
            'odoo_pbkdf2_sha512': odoo_pbkdf2_sha512,
        }
