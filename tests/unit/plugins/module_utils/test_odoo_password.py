"""pbkdf2-sha512 as passlib writes it: encoding, hashing with a given salt, verifying, parsing."""

import base64
import hashlib

import pytest

from ansible_collections.sysgenpro.odoo_hosting.plugins.module_utils import odoo_password as op

# Made by passlib 1.7.4: pbkdf2_sha512.using(rounds=1000, salt=b"standin-fixed-salt")
# .hash("s3cret Pässword") (the same vector as tests/unit/odoo_standin/test_login.py).
PASSLIB_1000 = ("$pbkdf2-sha512$1000$c3RhbmRpbi1maXhlZC1zYWx0$RymQ5spnK/KphOL7SMIt7ZVfsWylebZ9cJR"
                "w.rEOvI/Fnr.EZEFgim9KolfgGVWE6GmBKWGgib91VtTn0pfx5w")
SALT = bytes(range(16))
DIGEST_AB64 = "A" * 86  # 64 zero bytes


def reference_hash(password, salt, rounds):
    """The hash computed here, independently of the code under test."""
    def ab64(raw):
        return base64.b64encode(raw).decode("ascii").rstrip("=").replace("+", ".")
    digest = hashlib.pbkdf2_hmac("sha512", password.encode("utf-8"), salt, rounds)
    return "$pbkdf2-sha512$%d$%s$%s" % (rounds, ab64(salt), ab64(digest))


# --- adapted base64 ------------------------------------------------------------

@pytest.mark.parametrize("raw, text", [
    (b"", ""),
    (b"\xfb", ".w"),
    (b"\xfb\xff", "./8"),
    (b"\xfb\xef\xbe", "...."),
    (b"standin-fixed-salt", "c3RhbmRpbi1maXhlZC1zYWx0"),
    (bytes(64), DIGEST_AB64),
])
def test_ab64_round_trip(raw, text):
    assert op.ab64_encode(raw) == text
    assert op.ab64_decode(text) == raw


@pytest.mark.parametrize("text", ["c2F+dA", "c2FsdA==", "c2F*dA", "c2F sdA", "c2Fsd", "é"])
def test_ab64_decode_refuses_what_is_not_adapted_base64(text):
    with pytest.raises(ValueError):
        op.ab64_decode(text)


# --- hashing with a given salt -------------------------------------------------

@pytest.mark.parametrize("password, salt, rounds", [
    ("s3cret Pässword", b"standin-fixed-salt", 1000),
    ("test-only-master-password", SALT, 1),
    ("test-only-master-password", SALT, 600000),
    ("x", b"", 7),
    ("ünïcødé ✓ password", b"\xff" * 16, 1000),
])
def test_hash_matches_the_reference_computation(password, salt, rounds):
    assert op.hash_password(password, salt, rounds) == reference_hash(password, salt, rounds)


def test_hash_matches_a_vector_made_by_passlib():
    assert op.hash_password("s3cret Pässword", b"standin-fixed-salt", 1000) == PASSLIB_1000


def test_the_hash_has_passlibs_shape():
    hashed = op.hash_password("test-only-password", SALT, 600000)
    empty, ident, rounds, salt, digest = hashed.split("$")
    assert (empty, ident, rounds) == ("", "pbkdf2-sha512", "600000")
    assert (len(salt), len(digest)) == (22, 86)
    assert "+" not in hashed and "=" not in hashed


def test_passlib_accepts_the_hash():
    passlib_hash = pytest.importorskip(
        "passlib.hash", reason="passlib is not installed; the vector made by passlib covers its format")
    hashed = op.hash_password("test-only-password", SALT, 1000)
    assert passlib_hash.pbkdf2_sha512.verify("test-only-password", hashed)
    assert not passlib_hash.pbkdf2_sha512.verify("test-only-passwordX", hashed)


# --- parsing -------------------------------------------------------------------

def test_parse_gives_rounds_salt_and_digest():
    assert op.parse_hash(PASSLIB_1000)[:2] == (1000, b"standin-fixed-salt")
    assert len(op.parse_hash(PASSLIB_1000)[2]) == 64


@pytest.mark.parametrize("hashed", [
    None,
    42,
    b"$pbkdf2-sha512$1000$c2FsdA$" + b"A" * 86,
    "",
    "admin",
    "$2b$12$abc",
    "$pbkdf2-sha256$1000$c2FsdA$" + "A" * 43,
    "$pbkdf2-sha512$01000$c2FsdA$" + DIGEST_AB64,  # zero-padded rounds
    "$pbkdf2-sha512$0$c2FsdA$" + DIGEST_AB64,
    "$pbkdf2-sha512$-1$c2FsdA$" + DIGEST_AB64,
    "$pbkdf2-sha512$x$c2FsdA$" + DIGEST_AB64,
    "$pbkdf2-sha512$１０００$c2FsdA$" + DIGEST_AB64,  # non-ASCII digits
    "$pbkdf2-sha512$1000$c2FsdA$short",
    "$pbkdf2-sha512$1000$c2FsdA$" + "A" * 40,  # digest not 64 bytes
    "$pbkdf2-sha512$1000$c2FsdA",
    "$pbkdf2-sha512$1000$c2F*dA$" + DIGEST_AB64,
    "$pbkdf2-sha512$1000$c2F+dA$" + DIGEST_AB64,
    "x$pbkdf2-sha512$1000$c2FsdA$" + DIGEST_AB64,
    PASSLIB_1000 + "$",
])
def test_parse_refuses_anything_else(hashed):
    assert op.parse_hash(hashed) is None


# --- verifying -----------------------------------------------------------------

@pytest.mark.parametrize("password, hashed, rounds, expected", [
    ("s3cret Pässword", PASSLIB_1000, None, True),
    ("s3cret Pässword", PASSLIB_1000, 1000, True),
    ("s3cret Pässword", PASSLIB_1000, 600000, False),
    ("s3cret Password", PASSLIB_1000, None, False),
    ("s3cret Pässword ", PASSLIB_1000, None, False),
    ("", PASSLIB_1000, None, False),
    ("admin", "admin", None, False),
    ("x", "", None, False),
    ("x", None, None, False),
    # The right digest behind a salt spelled another way is not kept.
    ("s3cret Pässword", PASSLIB_1000.replace("$1000$", "$01000$"), None, False),
])
def test_verify(password, hashed, rounds, expected):
    assert op.verify_password(password, hashed, rounds) is expected


def test_verify_what_hash_made():
    hashed = op.hash_password("test-only-password", SALT, 600000)
    assert op.verify_password("test-only-password", hashed, 600000)
    assert not op.verify_password("test-only-password", hashed, 1000)
    assert not op.verify_password("test-only-passwordX", hashed, 600000)
