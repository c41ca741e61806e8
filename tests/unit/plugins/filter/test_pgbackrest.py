"""The pgbackrest_restore_target filter: the module_utils judgement, reachable from Jinja, loud on wrong input."""

import pytest


FILTER = "pgbackrest"  # imported by the fixture flt (conftest.py)


def test_filter_is_registered_and_judges(flt):
    function = flt.FilterModule().filters()["pgbackrest_restore_target"]
    info = [{"name": "odoo", "backup": [{"type": "full", "timestamp": {"start": 0, "stop": 100}}]}]
    assert function(info, "odoo", "1970-01-01 00:05:00Z", now=1000)["target"] == "1970-01-01 00:05:00+00"
    assert function(info, "odoo", "1970-01-01 00:20:00Z", now=1000)["problems"]


def test_filter_refuses_what_is_not_pgbackrest_info(flt):
    with pytest.raises(flt.AnsibleFilterError):
        flt.pgbackrest_restore_target({"name": "odoo"}, "odoo")
