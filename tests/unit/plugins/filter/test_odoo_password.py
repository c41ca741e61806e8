"""The odoo_pbkdf2_sha512 filter: a stored hash kept while it matches, a new salt otherwise, loud refusals."""

import base64
import hashlib


import pytest
import yaml

PASSWORD = "test-only-master-password"
ROUNDS = 1000  # small, to keep the tests fast; the role's 600000 is checked once below


def reference_hash(password, salt, rounds):
    """The hash computed here, independently of the code under test."""
    def ab64(raw):
        return base64.b64encode(raw).decode("ascii").rstrip("=").replace("+", ".")
    digest = hashlib.pbkdf2_hmac("sha512", password.encode("utf-8"), salt, rounds)
    return "$pbkdf2-sha512$%d$%s$%s" % (rounds, ab64(salt), ab64(digest))


def unab64(text):
    text = text.replace(".", "+")
    return base64.b64decode(text + "=" * (-len(text) % 4))


def salt_of(hashed):
    return unab64(hashed.split("$")[3])


STORED = reference_hash(PASSWORD, b"0123456789abcdef", ROUNDS)


FILTER = "odoo_password"  # imported by the fixture flt (conftest.py)


@pytest.fixture
def fixed_salt(monkeypatch, flt):
    """os.urandom in the filter returns a known salt, and each size it was asked for is recorded."""
    asked = []

    def urandom(size):
        asked.append(size)
        return bytes(range(size))
    monkeypatch.setattr(flt.os, "urandom", urandom)
    return asked


def test_known_vector_with_a_fixed_salt(flt, fixed_salt):
    hashed = flt.odoo_pbkdf2_sha512(PASSWORD, rounds=ROUNDS)
    assert hashed == reference_hash(PASSWORD, bytes(range(16)), ROUNDS)
    assert fixed_salt == [16]


def test_odoos_rounds_by_default(flt, fixed_salt):
    assert flt.odoo_pbkdf2_sha512(PASSWORD) == reference_hash(PASSWORD, bytes(range(16)), 600000)


def test_a_fresh_hash_verifies_with_the_reference_computation(flt):
    hashed = flt.odoo_pbkdf2_sha512(PASSWORD, rounds=ROUNDS)
    assert hashed == reference_hash(PASSWORD, salt_of(hashed), ROUNDS)
    assert len(salt_of(hashed)) == 16


def test_passlib_accepts_the_filters_hash(flt):
    passlib_hash = pytest.importorskip(
        "passlib.hash", reason="passlib is not installed; the module_utils tests check a vector made by passlib")
    hashed = flt.odoo_pbkdf2_sha512(PASSWORD, rounds=ROUNDS)
    assert passlib_hash.pbkdf2_sha512.verify(PASSWORD, hashed)
    assert not passlib_hash.pbkdf2_sha512.verify(PASSWORD + "x", hashed)


@pytest.mark.parametrize("rounds", [ROUNDS, str(ROUNDS)])
def test_a_matching_current_hash_is_kept(flt, fixed_salt, rounds):
    assert flt.odoo_pbkdf2_sha512(PASSWORD, current=STORED, rounds=rounds) == STORED
    assert fixed_salt == []


@pytest.mark.parametrize("password, current, rounds", [
    (PASSWORD + "x", STORED, ROUNDS),          # the password changed
    (PASSWORD.upper(), STORED, ROUNDS),
    (PASSWORD, STORED, ROUNDS + 1),            # the rounds changed
    (PASSWORD, STORED, 600000),
    (PASSWORD, "", ROUNDS),                    # nothing stored yet
    (PASSWORD, None, ROUNDS),
    (PASSWORD, PASSWORD, ROUNDS),              # plain text, as Odoo's first admin/admin
    (PASSWORD, "admin", ROUNDS),
    (PASSWORD, "$2b$12$abc", ROUNDS),          # another scheme
    (PASSWORD, "$pbkdf2-sha512$1000$not*base64$x", ROUNDS),
    (PASSWORD, STORED.replace("$1000$", "$01000$"), ROUNDS),
    (PASSWORD, STORED + "\n", ROUNDS),
    (PASSWORD, STORED[:-1], ROUNDS),
    (PASSWORD, 1000, ROUNDS),                  # not a string at all
    (PASSWORD, ["$pbkdf2-sha512"], ROUNDS),
])
def test_anything_else_gets_a_new_salt(flt, fixed_salt, password, current, rounds):
    hashed = flt.odoo_pbkdf2_sha512(password, current=current, rounds=rounds)
    assert hashed == reference_hash(password, bytes(range(16)), int(rounds))
    assert hashed != current and fixed_salt == [16]


def test_two_new_hashes_have_two_salts(flt):
    first = flt.odoo_pbkdf2_sha512(PASSWORD, rounds=ROUNDS)
    second = flt.odoo_pbkdf2_sha512(PASSWORD, rounds=ROUNDS)
    assert first != second and salt_of(first) != salt_of(second)
    # ... and each is kept from then on.
    assert flt.odoo_pbkdf2_sha512(PASSWORD, current=second, rounds=ROUNDS) == second


@pytest.mark.parametrize("password, rounds, message", [
    ("", ROUNDS, "it is empty"),
    (None, ROUNDS, "it must be a string, got null"),
    (1234, ROUNDS, "it must be a string, got int"),
    (True, ROUNDS, "it must be a string, got bool"),
    (b"bytes", ROUNDS, "it must be a string, got bytes"),
    (["a"], ROUNDS, "it must be a string, got list"),
    (PASSWORD, 0, "rounds must be at least 1, got 0"),
    (PASSWORD, -5, "rounds must be at least 1, got -5"),
    (PASSWORD, "0", "rounds must be at least 1, got 0"),
    (PASSWORD, "many", "rounds must be an integer, got 'many'"),
    (PASSWORD, 1.5, "rounds must be an integer, got 1.5"),
    (PASSWORD, None, "rounds must be an integer, got None"),
    (PASSWORD, True, "rounds must be an integer, got True"),
])
def test_refusals(flt, fixed_salt, password, rounds, message):
    with pytest.raises(flt.AnsibleFilterError) as caught:
        flt.odoo_pbkdf2_sha512(password, current=STORED, rounds=rounds)
    assert str(caught.value).startswith("Cannot hash the password with odoo_pbkdf2_sha512: ")
    assert message in str(caught.value)
    assert fixed_salt == []


def test_the_filter_is_registered_under_its_documented_name(flt):
    assert flt.FilterModule().filters() == {"odoo_pbkdf2_sha512": flt.odoo_pbkdf2_sha512}
    documented = yaml.safe_load(flt.DOCUMENTATION)
    assert documented["name"] == "odoo_pbkdf2_sha512"
    assert sorted(documented["options"]) == ["_input", "current", "rounds"]
    assert documented["options"]["rounds"]["default"] == flt.DEFAULT_ROUNDS == 600000
    yaml.safe_load(flt.EXAMPLES)
    assert list(yaml.safe_load(flt.RETURN)) == ["_value"]
