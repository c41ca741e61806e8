# -*- coding: utf-8 -*-
# Copyright: (c) 2025, SysGenPro hosting engineering
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Passwords hashed the way Odoo stores them: passlib's pbkdf2_sha512.

Odoo checks ``admin_passwd`` (odoo.conf) and ``res_users.password`` with
passlib's ``pbkdf2_sha512``, whose hashes read
``$pbkdf2-sha512$<rounds>$<salt>$<digest>``: PBKDF2-HMAC-SHA512 of the UTF-8
password, a 64-byte digest, salt and digest in passlib's "adapted base64"
(standard base64 without padding, ``.`` in place of ``+``).

Pure functions of the standard library, so that they can be unit-tested
without passlib and without Ansible.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import hashlib
import hmac
import re

IDENT = 'pbkdf2-sha512'
DIGEST_SIZE = 64
SALT_SIZE = 16
# passlib refuses zero-padded rounds (and 0).
_ROUNDS_RE = re.compile(r'\A[1-9][0-9]*\Z')


def ab64_encode(raw):
    """passlib's adapted base64 of ``raw`` (bytes): no padding, ``.`` for ``+``."""
    return base64.b64encode(raw).decode('ascii').rstrip('=').replace('+', '.')


def ab64_decode(text):
    """The bytes of passlib's adapted base64 ``text``; ValueError when it is not that."""
    standard = text.replace('.', '+')
    if '+' in text or '=' in text or len(standard) % 4 == 1:
        raise ValueError('not adapted base64: %r' % (text,))
    try:
        return base64.b64decode(standard + '=' * (-len(standard) % 4), validate=True)
    except (TypeError, ValueError):  # binascii.Error is a ValueError
        raise ValueError('not adapted base64: %r' % (text,))


def pbkdf2_sha512_digest(password, salt, rounds):
    """The raw 64-byte PBKDF2-HMAC-SHA512 digest of ``password`` (str)."""
    return hashlib.pbkdf2_hmac('sha512', password.encode('utf-8'), salt, rounds)


def hash_password(password, salt, rounds):
    """The ``$pbkdf2-sha512$...`` hash of ``password`` with the given ``salt`` (bytes) and ``rounds``."""
    return '$%s$%d$%s$%s' % (IDENT, rounds, ab64_encode(salt),
                             ab64_encode(pbkdf2_sha512_digest(password, salt, rounds)))


def parse_hash(hashed):
    """``(rounds, salt, digest)`` of a pbkdf2-sha512 hash as passlib writes it, or None.

    None for anything else: another scheme, plain text, a zero-padded or
    non-positive rounds count, a salt or digest that is not adapted base64,
    a digest that is not 64 bytes.
    """
    if not isinstance(hashed, str):
        return None
    parts = hashed.split('$')
    if len(parts) != 5 or parts[0] != '' or parts[1] != IDENT:
        return None
    rounds_text, salt_text, digest_text = parts[2:]
    if not _ROUNDS_RE.match(rounds_text):
        return None
    try:
        salt = ab64_decode(salt_text)
        digest = ab64_decode(digest_text)
    except ValueError:
        return None
    if len(digest) != DIGEST_SIZE:
        return None
    return int(rounds_text), salt, digest


def verify_password(password, hashed, rounds=None):
    """Whether ``hashed`` is a pbkdf2-sha512 hash of ``password``.

    With ``rounds``, the hash must also use that many rounds; the comparison
    is made on the whole hash, so that only a hash written exactly as this
    module writes it is kept.
    """
    parsed = parse_hash(hashed)
    if parsed is None:
        return False
    stored_rounds, salt = parsed[0], parsed[1]
    if rounds is not None and stored_rounds != rounds:
        return False
    expected = hash_password(password, salt, stored_rounds)
    return hmac.compare_digest(expected.encode('ascii'), hashed.encode('ascii'))
