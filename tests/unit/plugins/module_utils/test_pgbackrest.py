"""Point-in-time recovery targets judged against pgbackrest info: parsing, the window, the refusals."""

import pytest

from ansible_collections.sysgenpro.odoo_hosting.plugins.module_utils.pgbackrest import (
    backup_window,
    format_target_time,
    judge_restore_target,
    parse_target_time,
)

# 2026-03-01 12:00:00 UTC
NOON = 1772366400.0
INFO = [{"name": "odoo", "backup": [
    {"type": "full", "error": False, "timestamp": {"start": NOON - 7200, "stop": NOON - 7000}},
    {"type": "incr", "error": False, "timestamp": {"start": NOON - 600, "stop": NOON - 550}},
    {"type": "incr", "error": True, "timestamp": {"start": NOON - 90000, "stop": NOON - 89000}},
]}]


@pytest.mark.parametrize(
    ("text", "epoch"),
    [
        ("2026-03-01 12:00:00+00:00", NOON),
        ("2026-03-01 12:00:00Z", NOON),
        ("2026-03-01T12:00:00 UTC", NOON),
        ("2026-03-01 13:00:00+01", NOON),
        ("2026-03-01 13:30:00+0130", NOON),
        ("2026-03-01 07:00:00-05:00", NOON),
        ("2026-03-01 12:00:00.25+00", NOON + 0.25),
    ],
)
def test_target_times_with_an_offset_are_read(text, epoch):
    assert parse_target_time(text) == epoch


@pytest.mark.parametrize("text", ["2026-03-01 12:00:00", "yesterday", "2026-03-01", "2026-13-01 12:00:00Z",
                                  "2026-03-01 12:00:00+25:00", None, 1772366400])
def test_target_times_without_an_offset_or_impossible_are_refused(text):
    with pytest.raises(ValueError):
        parse_target_time(text)


def test_target_is_passed_on_in_utc():
    assert format_target_time(NOON) == "2026-03-01 12:00:00+00"
    assert format_target_time(NOON + 0.5) == "2026-03-01 12:00:00.5+00"


def test_window_ignores_failed_backups():
    assert backup_window(INFO, "odoo") == (NOON - 7000, NOON - 550)
    assert backup_window(INFO, "other") is None


@pytest.mark.parametrize(
    ("target", "kind", "problem"),
    [
        ("", "default", None),
        ("latest", "default", None),
        ("2026-03-01 11:00:00+00", "time", None),
        ("2026-03-01 12:00:01+00", "time", "is in the future"),
        ("2026-03-01 09:00:00+00", "time", "is before the end of the oldest backup"),
        ("2026-03-01 11:00:00", "default", "is not a time with a UTC offset"),
    ],
    ids=["empty", "latest", "inside", "future", "too-old", "no-offset"],
)
def test_restore_targets_are_judged(target, kind, problem):
    result = judge_restore_target(INFO, "odoo", target, NOON)
    assert result["type"] == kind
    if problem is None:
        assert result["problems"] == []
    else:
        assert len(result["problems"]) == 1
        assert problem in result["problems"][0] and result["problems"][0].startswith("restore_target_time")
    assert result["earliest_epoch"] == NOON - 7000


def test_no_stanza_or_no_backup_is_refused():
    assert "no stanza odoo" in judge_restore_target([], "odoo", "", NOON)["problems"][0]
    assert "no completed backup" in judge_restore_target([{"name": "odoo", "backup": []}], "odoo", "", NOON)["problems"][0]
