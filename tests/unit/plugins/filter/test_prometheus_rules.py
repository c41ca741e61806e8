"""The prometheus_alert_for filter: the named alerts' for set, other files untouched, loud on wrong input."""

import pathlib
import shutil
import subprocess

import pytest
import yaml

RULES = pathlib.Path(__file__).resolve().parents[4] / "roles" / "monitoring" / "files" / "rules"


FILTER = "prometheus_rules"  # imported by the fixture flt (conftest.py)


def alerts(text):
    return {rule["alert"]: rule for group in yaml.safe_load(text)["groups"] for rule in group["rules"] if "alert" in rule}


def test_named_alert_gets_its_for_others_keep_theirs(flt):
    text = (RULES / "odoo.yml").read_text()
    before = alerts(text)
    after = alerts(flt.prometheus_alert_for(text, {"OdooLoginPageFailing": "1m"}))
    assert before["OdooLoginPageFailing"]["for"] != "1m"
    assert after["OdooLoginPageFailing"]["for"] == "1m"
    assert list(after["OdooLoginPageFailing"])[:3] == ["alert", "expr", "for"]
    for name in set(before) - {"OdooLoginPageFailing"}:
        assert after[name] == before[name]


def test_alert_without_for_gets_one_and_0s_removes_it(flt):
    text = (RULES / "postgresql.yml").read_text()
    assert "for" not in alerts(text)["PatroniLeaderChanged"]
    assert alerts(flt.prometheus_alert_for(text, {"PatroniLeaderChanged": "30s"}))["PatroniLeaderChanged"]["for"] == "30s"
    assert "for" not in alerts(flt.prometheus_alert_for(text, {"PatroniLeaderMissing": "0s"}))["PatroniLeaderMissing"]


def test_file_without_the_alerts_comes_back_byte_for_byte(flt):
    text = (RULES / "node.yml").read_text()
    assert flt.prometheus_alert_for(text, {"OdooLoginPageFailing": "1m"}) is text


def test_names_lists_every_alert_of_the_catalogue(flt):
    names = [name for path in sorted(RULES.glob("*.yml")) for name in flt.prometheus_alert_names(path.read_text())]
    assert "PgBouncerDown" in names and "OdooCronJobsOverdue" in names
    assert len(names) == len(set(names))


def test_wrong_overrides_are_refused(flt):
    from ansible.errors import AnsibleFilterError
    with pytest.raises(AnsibleFilterError, match="mapping"):
        flt.prometheus_alert_for((RULES / "odoo.yml").read_text(), ["OdooLoginPageFailing"])


@pytest.mark.skipif(not (shutil.which("promtool") or pathlib.Path(".cache/tools/promtool").exists()),
                    reason="promtool is fetched by scripts/ensure-promtool.sh")
def test_rewritten_file_passes_promtool(flt, tmp_path):
    promtool = shutil.which("promtool") or str(pathlib.Path(".cache/tools/promtool").resolve())
    target = tmp_path / "odoo.yml"
    target.write_text(flt.prometheus_alert_for((RULES / "odoo.yml").read_text(),
                                               {"OdooLoginPageFailing": "1m", "OdooCronJobsOverdue": "1m"}))
    result = subprocess.run([promtool, "check", "rules", str(target)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_alerts_without_leaves_out_the_named_alerts_only(flt):
    text = (RULES / "node.yml").read_text()
    before = alerts(text)
    after = alerts(flt.prometheus_alerts_without(text, ["NodeClockNotSynchronised"]))
    assert "NodeClockNotSynchronised" in before and "NodeClockNotSynchronised" not in after
    assert set(before) - set(after) == {"NodeClockNotSynchronised"}
    assert flt.prometheus_alerts_without(text, ["OdooLoginPageFailing"]) is text


def test_alerts_without_refuses_a_string(flt):
    from ansible.errors import AnsibleFilterError
    with pytest.raises(AnsibleFilterError, match="list"):
        flt.prometheus_alerts_without((RULES / "node.yml").read_text(), "NodeClockNotSynchronised")
