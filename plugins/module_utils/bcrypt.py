# -*- coding: utf-8 -*-
# Copyright: (c) 2026, SysGenPro hosting engineering
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""bcrypt through the C library's crypt(3) (libxcrypt, in every Debian since 11), without a Python package."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ctypes
import hmac
import re

# $2b$ (or the older $2a$/$2y$), two-digit cost, 22 salt and 31 hash characters.
BCRYPT_PATTERN = re.compile(r'\$2[aby]\$[0-9]{2}\$[./A-Za-z0-9]{53}')
# bcrypt reads the first 72 bytes of a password and ignores the rest.
MAX_PASSWORD_BYTES = 72


class BcryptError(Exception):
    pass


def _libcrypt():
    try:
        lib = ctypes.CDLL('libcrypt.so.1')
    except OSError as e:
        raise BcryptError('libcrypt.so.1 (Debian package libcrypt1) cannot be loaded: %s' % e)
    lib.crypt.restype = ctypes.c_char_p
    lib.crypt.argtypes = [ctypes.c_char_p, ctypes.c_char_p]
    lib.crypt_gensalt.restype = ctypes.c_char_p
    lib.crypt_gensalt.argtypes = [ctypes.c_char_p, ctypes.c_ulong, ctypes.c_char_p, ctypes.c_int]
    return lib


def _check_password(password):
    data = password.encode('utf-8')
    if not data or b'\0' in data or len(data) > MAX_PASSWORD_BYTES:
        raise BcryptError('the password must be 1 to %d bytes without NUL' % MAX_PASSWORD_BYTES)
    return data


def new_hash(password, cost):
    """A bcrypt hash of password with a fresh random salt (crypt_gensalt reads the kernel's random source)."""
    data = _check_password(password)
    if not 4 <= cost <= 31:
        raise BcryptError('the cost must be 4 to 31 (is %d)' % cost)
    lib = _libcrypt()
    setting = lib.crypt_gensalt(b'$2b$', cost, None, 0)
    if not setting:
        raise BcryptError('crypt_gensalt refused $2b$ with cost %d' % cost)
    result = lib.crypt(data, setting)
    if not result or not BCRYPT_PATTERN.fullmatch(result.decode('ascii')):
        raise BcryptError('crypt(3) did not return a bcrypt hash')
    return result.decode('ascii')


def verifies(password, hashed):
    """Whether hashed is a bcrypt hash of password."""
    if not BCRYPT_PATTERN.fullmatch(hashed):
        return False
    data = _check_password(password)
    result = _libcrypt().crypt(data, hashed.encode('ascii'))
    return bool(result) and hmac.compare_digest(result, hashed.encode('ascii'))


def hashes_in(text):
    """Every bcrypt hash written in text, in order."""
    return BCRYPT_PATTERN.findall(text)


def hash_keeping(password, cost, texts):
    """(hash, kept): the first hash of this cost in texts that verifies password, else a new one."""
    for text in texts:
        for candidate in hashes_in(text):
            if candidate[4:6] == '%02d' % cost and verifies(password, candidate):
                return candidate, True
    return new_hash(password, cost), False
