"""The patroni_restart_lowers filter: a pending restart that lowers a named setting, read as Patroni gives it."""

import pytest

FILTER = "patroni"  # imported by the fixture flt (conftest.py)

FLOOR = ["max_connections", "max_worker_processes", "max_wal_senders", "max_prepared_transactions",
         "max_locks_per_transaction"]


def member(name="db-1", **changes):
    """A member of /cluster waiting for a restart, with Patroni's reason: each change as (old, new), strings as Patroni
    sends them."""
    return {"name": name, "role": "leader", "state": "running", "pending_restart": True,
            "pending_restart_reason": {setting: {"old_value": str(old), "new_value": str(new)}
                                       for setting, (old, new) in changes.items()}}


def test_filter_is_registered(flt):
    assert flt.FilterModule().filters()["patroni_restart_lowers"] is flt.patroni_restart_lowers


@pytest.mark.parametrize("changes, lowers", [
    pytest.param({"max_connections": (151, 119)}, True, id="lowered"),
    pytest.param({"max_connections": (119, 151)}, False, id="raised"),
    pytest.param({"max_connections": (151, 151)}, False, id="unchanged"),
    # As numbers, not as strings: "90" < "100" as text, but 90 is lower, and "100" > "90" as text.
    pytest.param({"max_connections": (100, 90)}, True, id="lowered-fewer-digits"),
    pytest.param({"max_connections": (90, 100)}, False, id="raised-more-digits"),
    pytest.param({"shared_buffers": (256, 128)}, False, id="lowered-but-not-named"),
    pytest.param({"archive_mode": ("off", "on")}, False, id="not-a-number-not-named"),
    pytest.param({"max_connections": (119, 151), "max_wal_senders": (10, 5)}, True, id="one-lowered-among-two"),
])
def test_only_a_lowered_named_setting_counts(flt, changes, lowers):
    assert flt.patroni_restart_lowers([member(**changes)], FLOOR) is lowers


def test_the_comparison_is_new_below_old_not_the_reverse(flt):
    """Inverting the comparison turns each answer around."""
    assert flt.patroni_restart_lowers([member(max_connections=(200, 100))], ["max_connections"]) is True
    assert flt.patroni_restart_lowers([member(max_connections=(100, 200))], ["max_connections"]) is False


def test_any_member_that_lowers_is_enough(flt):
    members = [member("db-1", max_connections=(100, 200)), member("db-2", max_locks_per_transaction=(128, 64))]
    assert flt.patroni_restart_lowers(members, FLOOR) is True
    assert flt.patroni_restart_lowers(members, ["max_connections"]) is False


@pytest.mark.parametrize("members", [
    pytest.param([], id="no-member"),
    pytest.param([{"name": "db-1", "role": "leader", "state": "running"}], id="no-pending-restart"),
    pytest.param([{"name": "db-1", "role": "leader", "pending_restart": True}], id="patroni-without-the-reason"),
    pytest.param([{"name": "db-1", "pending_restart": True, "pending_restart_reason": None}], id="null-reason"),
])
def test_without_a_reason_nothing_is_lowered(flt, members):
    assert flt.patroni_restart_lowers(members, FLOOR) is False


@pytest.mark.parametrize("old, new, lowers", [
    pytest.param(200, 100, True, id="integers"),
    pytest.param("200.0", "100.5", True, id="decimal-strings-as-jinja-int"),
    pytest.param("100", "100.9", False, id="decimal-truncated-like-jinja-int"),
    pytest.param("100", "", True, id="empty-new-is-0-like-jinja-int"),
])
def test_values_are_read_as_jinjas_int_reads_them(flt, old, new, lowers):
    reason = {"max_connections": {"old_value": old, "new_value": new}}
    assert flt.patroni_restart_lowers([{"name": "db-1", "pending_restart_reason": reason}], FLOOR) is lowers


def test_settings_can_be_any_iterable_of_names(flt):
    assert flt.patroni_restart_lowers([member(max_connections=(200, 100))], ("max_connections",)) is True


@pytest.mark.parametrize("members, settings", [
    pytest.param({"members": []}, FLOOR, id="the-cluster-answer-not-its-members"),
    pytest.param("db-1", FLOOR, id="a-string-of-members"),
    pytest.param([member(max_connections=(200, 100))], "max_connections", id="a-string-of-settings"),
    pytest.param(["db-1"], FLOOR, id="a-member-that-is-not-a-mapping"),
    pytest.param([{"name": "db-1", "pending_restart_reason": ["max_connections"]}], FLOOR, id="a-reason-not-a-mapping"),
    pytest.param([{"name": "db-1", "pending_restart_reason": {"max_connections": {"new_value": "1"}}}], FLOOR,
                 id="a-change-without-old_value"),
])
def test_wrong_input_is_refused_loudly(flt, members, settings):
    with pytest.raises(flt.AnsibleFilterError, match="patroni_restart_lowers"):
        flt.patroni_restart_lowers(members, settings)
