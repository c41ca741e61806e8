"""Password checks as Odoo's CryptContext(['pbkdf2_sha512', 'plaintext']) makes them.

Odoo verifies both the users' passwords (``res_users.password``) and the
database manager's master password (``admin_passwd``) with passlib: a value in
passlib's pbkdf2_sha512 format, ``$pbkdf2-sha512$<rounds>$<salt>$<checksum>``
(salt and checksum in passlib's "ab64": base64 with ``.`` for ``+``, no
padding), is checked by PBKDF2-HMAC-SHA512; any other value is plain text,
compared in constant time. The image has no passlib, so this is hashlib.
"""

import base64
import binascii
import hashlib
import hmac

PREFIX = "$pbkdf2-sha512$"
CHECKSUM_SIZE = 64  # bytes of a SHA-512 digest, as passlib requires
MAX_ROUNDS = 0xFFFFFFFF


class MalformedHash(ValueError):
    """A value that claims the pbkdf2_sha512 format but does not hold it."""


def ab64_decode(text):
    """passlib's ab64: base64 with '.' for '+' and without '=' padding."""
    if len(text) % 4 == 1:
        raise MalformedHash("bad ab64 length")
    try:
        return base64.b64decode(text.replace(".", "+") + "=" * (-len(text) % 4), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise MalformedHash("bad ab64 data: %s" % exc) from None


def ab64_encode(raw):
    return base64.b64encode(raw).decode("ascii").rstrip("=").replace("+", ".")


def parse_pbkdf2_sha512(stored):
    """(rounds, salt, checksum) of a passlib pbkdf2_sha512 hash, or MalformedHash."""
    parts = stored[len(PREFIX):].split("$")
    if len(parts) != 3:
        raise MalformedHash("expected $pbkdf2-sha512$<rounds>$<salt>$<checksum>")
    rounds_text, salt_text, checksum_text = parts
    if not rounds_text.isdigit() or (rounds_text.startswith("0") and rounds_text != "0"):
        raise MalformedHash("rounds must be a decimal number without leading zeros")
    rounds = int(rounds_text)
    if not 1 <= rounds <= MAX_ROUNDS:
        raise MalformedHash("rounds out of range")
    salt, checksum = ab64_decode(salt_text), ab64_decode(checksum_text)
    if len(checksum) != CHECKSUM_SIZE:
        raise MalformedHash("checksum is %d bytes, not %d" % (len(checksum), CHECKSUM_SIZE))
    return rounds, salt, checksum


def hash_pbkdf2_sha512(password, salt, rounds):
    """The passlib-format hash of ``password`` (tests and tools; the stand-in only verifies)."""
    digest = hashlib.pbkdf2_hmac("sha512", password.encode("utf-8"), salt, rounds)
    return "%s%d$%s$%s" % (PREFIX, rounds, ab64_encode(salt), ab64_encode(digest))


def verify(password, stored):
    """True when ``password`` matches ``stored`` (a pbkdf2_sha512 hash or plain text).

    An empty password never matches (Odoo refuses it before any check); a
    stored NULL counts as '' (Odoo's COALESCE). A malformed pbkdf2_sha512 value
    raises MalformedHash (passlib raises ValueError there too).
    """
    if not password:
        return False
    stored = stored or ""
    given = password.encode("utf-8")
    if stored.startswith(PREFIX):
        rounds, salt, checksum = parse_pbkdf2_sha512(stored)
        return hmac.compare_digest(hashlib.pbkdf2_hmac("sha512", given, salt, rounds), checksum)
    return hmac.compare_digest(given, stored.encode("utf-8"))

