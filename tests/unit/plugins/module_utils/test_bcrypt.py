"""bcrypt through libcrypt: new hashes verify, wrong passwords do not, a verifying hash is kept."""

import pytest

from ansible_collections.sysgenpro.odoo_hosting.plugins.module_utils import bcrypt

PASSWORD = 'test-only-exporters-web'


def test_new_hash_verifies_and_has_the_cost():
    hashed = bcrypt.new_hash(PASSWORD, 4)
    assert hashed.startswith('$2b$04$')
    assert bcrypt.verifies(PASSWORD, hashed)
    assert not bcrypt.verifies(PASSWORD + 'x', hashed)


def test_two_new_hashes_have_different_salts():
    assert bcrypt.new_hash(PASSWORD, 4) != bcrypt.new_hash(PASSWORD, 4)


@pytest.mark.parametrize('text_of, kept', [
    (lambda good, other: ['basic_auth_users:\n  prometheus: "%s"\n' % good], True),
    (lambda good, other: ['prometheus: %s' % other, 'prometheus: %s' % good], True),
    (lambda good, other: ['prometheus: %s' % other], False),
    (lambda good, other: ['no hash here'], False),
    (lambda good, other: [], False),
])
def test_hash_keeping(text_of, kept):
    good = bcrypt.new_hash(PASSWORD, 4)
    other = bcrypt.new_hash('another-password-entirely', 4)
    hashed, was_kept = bcrypt.hash_keeping(PASSWORD, 4, text_of(good, other))
    assert was_kept is kept
    assert bcrypt.verifies(PASSWORD, hashed)
    assert (hashed == good) is kept


def test_a_hash_of_another_cost_is_not_kept():
    old = bcrypt.new_hash(PASSWORD, 4)
    hashed, kept = bcrypt.hash_keeping(PASSWORD, 5, [old])
    assert not kept and hashed.startswith('$2b$05$')


@pytest.mark.parametrize('password', ['', 'a\0b', 'x' * 73])
def test_bad_passwords_are_refused(password):
    with pytest.raises(bcrypt.BcryptError):
        bcrypt.new_hash(password, 4)


def test_not_a_hash_does_not_verify():
    assert not bcrypt.verifies(PASSWORD, '$1$abc$def')
