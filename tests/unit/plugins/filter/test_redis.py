"""The redis_fields filter: redis-cli's name / value lines read as a mapping, from the field 'name' on."""

import pytest

FILTER = "redis"  # imported by the fixture flt (conftest.py)

# SENTINEL MASTER odoo as Redis 7.0's Sentinel answers it, one element a line as redis-cli prints it without a tty.
MASTER = {
    "name": "odoo", "ip": "10.20.0.11", "port": "6379", "runid": "5b3c1f0e9d8a7c6b5a4f3e2d1c0b9a8f7e6d5c4b",
    "flags": "master", "link-pending-commands": "0", "link-refcount": "1", "last-ping-sent": "0",
    "last-ok-ping-reply": "412", "last-ping-reply": "412", "down-after-milliseconds": "5000", "info-refresh": "3920",
    "role-reported": "master", "role-reported-time": "7213458", "config-epoch": "2", "num-slaves": "2",
    "num-other-sentinels": "2", "quorum": "2", "failover-timeout": "60000", "parallel-syncs": "1",
}
MASTER_LINES = [line for pair in MASTER.items() for line in pair]
CKQUORUM_OK = "OK 3 usable Sentinels. Quorum and failover authorization can be reached"


def test_filter_is_registered(flt):
    assert flt.FilterModule().filters()["redis_fields"] is flt.redis_fields


def test_the_answer_alone(flt):
    assert flt.redis_fields(MASTER_LINES) == MASTER


def test_the_auth_line_before_the_answer_is_skipped(flt):
    """sentinel_forget.yml's session: AUTH, then SENTINEL MASTER. Read from the AUTH line on, every name would be a
    value and every value a name ({'OK': 'name', 'odoo': 'ip', ...})."""
    fields = flt.redis_fields(["OK"] + MASTER_LINES)
    assert fields == MASTER
    assert "OK" not in fields
    assert fields["num-other-sentinels"] == "2"


def test_every_answer_before_the_answer_and_the_quorum_after_it_are_left_out(flt):
    """state.yml's session: three AUTH (the first two refused here), SENTINEL MASTER, then SENTINEL CKQUORUM, whose
    one line is left without a value."""
    lines = ["WRONGPASS invalid username-password pair or user is disabled.",
             "WRONGPASS invalid username-password pair or user is disabled.", "OK"] + MASTER_LINES + [CKQUORUM_OK]
    fields = flt.redis_fields(lines)
    assert fields == MASTER
    assert CKQUORUM_OK not in fields and CKQUORUM_OK not in fields.values()


def test_an_odd_last_line_is_ignored(flt):
    assert flt.redis_fields(["OK", "name", "odoo", "ip", "10.20.0.11", "port"]) == {"name": "odoo", "ip": "10.20.0.11"}


@pytest.mark.parametrize("lines", [
    pytest.param([], id="no-output"),
    pytest.param(["OK", "ERR No such master with that name"], id="unknown-master"),
    pytest.param(["WRONGPASS invalid username-password pair or user is disabled.",
                  "NOAUTH Authentication required."], id="refused-login"),
    pytest.param(["OK", "OK", "OK", "ERR No such master with that name", "ERR No such master with that name"],
                 id="state-session-unknown-master"),
    pytest.param(["OK", "ip", "10.20.0.11", "port", "6379"], id="pairs-without-name"),
])
def test_without_the_field_name_the_answer_is_empty(flt, lines):
    assert flt.redis_fields(lines) == {}


def test_the_pairs_start_at_the_first_line_named_first(flt):
    """A master named 'name': its value line is 'name' too, and must not start the pairs again."""
    assert flt.redis_fields(["OK", "name", "name", "ip", "10.20.0.11"]) == {"name": "name", "ip": "10.20.0.11"}


def test_first_names_another_answer(flt):
    lines = ["OK", "maxmemory", "268435456", "maxmemory-policy", "allkeys-lru"]
    assert flt.redis_fields(lines, first="maxmemory") == {"maxmemory": "268435456", "maxmemory-policy": "allkeys-lru"}
    assert flt.redis_fields(lines) == {}
    assert flt.redis_fields(["OK"] + MASTER_LINES, first="ip") == {
        key: value for key, value in MASTER.items() if key != "name"}


def test_a_tuple_of_lines_is_read_as_a_list(flt):
    assert flt.redis_fields(tuple(["OK"] + MASTER_LINES)) == MASTER


@pytest.mark.parametrize("lines, first", [
    pytest.param("OK\nname\nodoo", "name", id="stdout-not-stdout_lines"),
    pytest.param({"stdout_lines": ["name", "odoo"]}, "name", id="the-result-not-its-lines"),
    pytest.param(None, "name", id="none"),
    pytest.param(["name", 1], "name", id="a-line-not-a-string"),
    pytest.param(["name", "odoo"], ["name"], id="first-not-a-string"),
])
def test_wrong_input_is_refused_loudly(flt, lines, first):
    with pytest.raises(flt.AnsibleFilterError, match="redis_fields"):
        flt.redis_fields(lines, first)
