"""Name rules, SCRAM verifiers and SQL composition of odoo_tenant_db (no server needed)."""

import base64
import hashlib
import hmac

import pytest

from ansible_collections.sysgenpro.odoo_hosting.plugins.module_utils import tenant_db as td


@pytest.mark.parametrize("name", ["acme", "acme_prod", "Acme-2024.prod", "0tenant", "a" * 63, "ab"])
def test_database_names_accepted(name):
    assert td.validate_database_name(name) == name


@pytest.mark.parametrize("name,reason", [
    ("", "does not match"),
    ("a", "does not match"),  # Odoo's rule needs two characters
    ("_acme", "does not match"),
    ("acme prod", "does not match"),
    ('acme"; DROP DATABASE postgres; --', "does not match"),
    ("acme'", "does not match"),
    ("acme\n", "does not match"),
    ("acmé", "does not match"),
    ("a" * 64, "63-byte limit"),
    ("postgres", "is reserved"),
    ("template0", "is reserved"),
    ("Template1", "is reserved"),
])
def test_database_names_refused(name, reason):
    with pytest.raises(td.InvalidName, match=reason):
        td.validate_database_name(name)


@pytest.mark.parametrize("name", ["odoo", "odoo_acme", "_odoo", "odoo.acme-1", "o" * 63])
def test_role_names_accepted(name):
    assert td.validate_role_name(name) == name


@pytest.mark.parametrize("name,reason", [
    ("", "does not match"),
    ("1odoo", "does not match"),
    ('x" SUPERUSER; --', "does not match"),
    ("o" * 64, "63-byte limit"),
    ("postgres", "is reserved"),
    ("PUBLIC", "is reserved"),
    ("current_user", "is reserved"),
    ("pg_monitor", "is reserved"),
])
def test_role_names_refused(name, reason):
    with pytest.raises(td.InvalidName, match=reason):
        td.validate_role_name(name)


@pytest.mark.parametrize("name,ok", [("pg_trgm", True), ("unaccent", True), ("uuid-ossp", True),
                                     ("pg_trgm; DROP", False), ("", False), ('a"b', False)])
def test_extension_names(name, ok):
    if ok:
        assert td.validate_extension_name(name) == name
    else:
        with pytest.raises(td.InvalidName):
            td.validate_extension_name(name)


@pytest.mark.parametrize("value,ok", [("UTF8", True), ("C", True), ("en_US.UTF-8", True), ("sr_RS@latin", True),
                                      ("C'; SELECT 1; --", False), ("", False), ("en US", False)])
def test_settings(value, ok):
    if ok:
        assert td.validate_setting("lc_collate", value) == value
    else:
        with pytest.raises(td.InvalidName, match="^lc_collate "):
            td.validate_setting("lc_collate", value)


@pytest.mark.parametrize("left,right,same", [
    ("UTF8", "utf-8", True), ("UTF8", "UTF_8", True), ("UTF8", "LATIN1", False),
])
def test_normalize_encoding(left, right, same):
    assert (td.normalize_encoding(left) == td.normalize_encoding(right)) is same


@pytest.mark.parametrize("left,right,same", [
    ("C", "C", True), ("C.UTF-8", "C.utf8", True), ("en_US.UTF-8", "en_US.utf8", True),
    ("sr_RS.UTF-8@latin", "sr_RS.utf8@latin", True), ("C", "C.UTF-8", False), ("en_US.UTF-8", "en_GB.UTF-8", False),
])
def test_normalize_locale(left, right, same):
    assert (td.normalize_locale(left) == td.normalize_locale(right)) is same


def test_mismatches():
    current = dict(encoding="LATIN1", lc_collate="C.UTF-8", lc_ctype="C")
    wanted = dict(encoding="UTF8", lc_collate="C", lc_ctype="C")
    assert td.mismatches(current, wanted) == ["encoding is LATIN1, not UTF8", "lc_collate is C.UTF-8, not C"]
    assert td.mismatches(dict(encoding="UTF8", lc_collate="C", lc_ctype="C"), wanted) == []


@pytest.mark.parametrize("row, problems", [
    ((True, "SCRAM", False, False, False, False, []), []),
    ((True, None, False, True, False, True, ["pg_monitor"]), ["has REPLICATION, BYPASSRLS", "is a member of pg_monitor"]),
    ((False, None, False, False, True, False, None), ["has CREATEROLE"]),
    # A superuser is a member of every role: its memberships say nothing more.
    ((True, None, True, False, False, False, ["pg_monitor", "replicator"]), ["has SUPERUSER"]),
    ((True, None, False, False, False, False, ["ops_admins", "pg_read_all_data"]),
     ["is a member of ops_admins, pg_read_all_data"]),
])
def test_owner_privileges(row, problems):
    role = td.role_state(row)
    assert role["can_login"] is row[0]
    assert td.owner_privileges(role) == problems


def test_role_state_missing():
    assert td.role_state(None) is None


def test_database_state():
    assert td.database_state(None) is None
    assert td.database_state(("odoo", "UTF8", "C", "C", -1, 7000)) == dict(
        owner="odoo", encoding="UTF8", lc_collate="C", lc_ctype="C", connection_limit=-1, size=7000)


# --- SASLprep and SCRAM -------------------------------------------------------------

@pytest.mark.parametrize("raw,prepared", [
    ("user", "user"),
    ("I\u00adX", "IX"),           # RFC 4013 example: soft hyphen mapped to nothing
    ("\u00aa", "a"),              # NFKC
    ("\u2168", "IX"),             # NFKC
    ("a\u00a0b", "a b"),          # non-ASCII space mapped to space
    ("\u0007", "\u0007"),         # prohibited: PostgreSQL keeps the raw password
    ("\u0627\u0031", "\u0627\u0031"),  # bidi rule broken: raw password
    ("\u00ad", "\u00ad"),         # empty after mapping: raw password
])
def test_saslprep(raw, prepared):
    assert td.saslprep(raw) == prepared


def test_scram_against_rfc7677():
    """RFC 7677's exchange (user 'user', password 'pencil') checks the keys in the verifier."""
    salt = base64.b64decode("W22ZaJ0SNY7soEsUEjb6gQ==")
    verifier = td.scram_verifier("pencil", salt=salt, iterations=4096)
    assert verifier.startswith("SCRAM-SHA-256$4096:W22ZaJ0SNY7soEsUEjb6gQ==$")
    stored_key, server_key = [base64.b64decode(part) for part in verifier.split("$")[2].split(":")]
    auth_message = (b"n=user,r=rOprNGfwEbeRWgbNEkqO,"
                    b"r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096,"
                    b"c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0")
    server_signature = hmac.new(server_key, auth_message, hashlib.sha256).digest()
    assert base64.b64encode(server_signature) == b"6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="
    client_signature = hmac.new(stored_key, auth_message, hashlib.sha256).digest()
    proof = base64.b64decode("dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=")
    client_key = bytes(a ^ b for a, b in zip(proof, client_signature))
    assert hashlib.sha256(client_key).digest() == stored_key


def test_scram_salts_differ():
    assert td.scram_verifier("secret-a") != td.scram_verifier("secret-a")


@pytest.mark.parametrize("stored,password,matches", [
    (td.scram_verifier("right", salt=b"0123456789abcdef"), "right", True),
    (td.scram_verifier("right", salt=b"0123456789abcdef"), "wrong", False),
    (td.scram_verifier("I\u00adX", salt=b"0123456789abcdef"), "IX", True),
    ("md5" + hashlib.md5(b"rightodoo").hexdigest(), "right", False),
    ("right", "right", False),
    (None, "right", False),
    ("SCRAM-SHA-256$4096:not base64!$x:y", "right", False),
])
def test_password_matches(stored, password, matches):
    assert td.password_matches(stored, password) is matches


# --- SQL composition -----------------------------------------------------------------

@pytest.mark.parametrize("statement,text", [
    (td.create_role("odoo_acme", "SCRAM-SHA-256$v"),
     "CREATE ROLE \"odoo_acme\" WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION "
     "PASSWORD 'SCRAM-SHA-256$v'"),
    (td.set_role_password("odoo_acme", td.MASK), "ALTER ROLE \"odoo_acme\" WITH PASSWORD '********'"),
    (td.allow_role_login("odoo_acme"), 'ALTER ROLE "odoo_acme" WITH LOGIN'),
    (td.drop_role("odoo_acme"), 'DROP ROLE "odoo_acme"'),
    (td.create_database("acme", "odoo_acme", "template0", "UTF8", "C", "C", 50),
     "CREATE DATABASE \"acme\" WITH OWNER \"odoo_acme\" TEMPLATE \"template0\" ENCODING 'UTF8' "
     "LC_COLLATE 'C' LC_CTYPE 'C' CONNECTION LIMIT 50"),
    (td.set_connection_limit("acme", 7), 'ALTER DATABASE "acme" WITH CONNECTION LIMIT 7'),
    (td.set_database_owner("acme", "odoo_acme"), 'ALTER DATABASE "acme" OWNER TO "odoo_acme"'),
    (td.drop_database("acme", 150000), 'DROP DATABASE "acme" WITH (FORCE)'),
    (td.drop_database("acme", 120000), 'DROP DATABASE "acme"'),
    (td.create_extension("uuid-ossp"), 'CREATE EXTENSION IF NOT EXISTS "uuid-ossp"'),
])
def test_statements(statement, text):
    assert statement.as_string() == text


def test_composition_quotes_what_validation_would_refuse():
    """Defence in depth: even an unvalidated hostile value stays one identifier or one literal."""
    statement = td.create_database('a"; DROP DATABASE postgres; --', "o'wner", "template0",
                                   "UTF8' --", "C", "C", -1)
    assert statement.as_string().startswith(
        'CREATE DATABASE "a""; DROP DATABASE postgres; --" WITH OWNER "o\'wner" TEMPLATE "template0" '
        "ENCODING 'UTF8'' --'")
