"""The alert rule catalogue (roles/monitoring/files/rules/) is valid, complete and tested.

promtool checks every rule file and runs every test file of tests/unit/alert_rules/;
the catalogue itself is read here: every alert has a severity, a summary and a
description, and appears in some test's exp_alerts with at least one alert expected
(a rule that no test ever sees fire is untested, however many near misses it has).

promtool comes from PATH or from .cache/tools/ (scripts/ensure-promtool.sh, which
scripts/test.sh's unit stage runs first). Without it the module fails under CI=true
and is skipped, with the command to run, elsewhere.
"""

import os
import pathlib
import shutil
import subprocess

import pytest
import yaml

TOP = pathlib.Path(__file__).resolve().parents[2]
RULES_DIR = TOP / "roles" / "monitoring" / "files" / "rules"
TESTS_DIR = pathlib.Path(__file__).resolve().parent / "alert_rules"
SEVERITIES = {"critical", "warning"}

RULE_FILES = sorted(RULES_DIR.glob("*.yml"))
TEST_FILES = sorted(TESTS_DIR.glob("*.test.yml"))


def find_promtool():
    """Path of promtool on PATH or in .cache/tools/, or None."""
    found = shutil.which("promtool")
    if found:
        return found
    cached = TOP / ".cache" / "tools" / "promtool"
    return str(cached) if os.access(cached, os.X_OK) else None


@pytest.fixture(scope="module")
def promtool():
    path = find_promtool()
    if path is None:
        message = "promtool is neither on PATH nor in .cache/tools/: run scripts/ensure-promtool.sh"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return path


def alerts_of(path):
    """The alerting rules of one rule file, as parsed YAML."""
    data = yaml.safe_load(path.read_text()) or {}
    return [rule for group in data.get("groups") or [] for rule in group.get("rules") or [] if "alert" in rule]


def fired_in_tests():
    """Names of the alerts some test case expects to fire (exp_alerts not empty), by test file."""
    fired = {}
    for path in TEST_FILES:
        data = yaml.safe_load(path.read_text()) or {}
        for case in data.get("tests") or []:
            for check in case.get("alert_rule_test") or []:
                if check.get("exp_alerts"):
                    fired.setdefault(check["alertname"], set()).add(path.name)
    return fired


def test_rule_and_test_files_exist():
    assert RULE_FILES, "no rule file in %s" % RULES_DIR
    missing = [p.name for p in RULE_FILES if not (TESTS_DIR / p.name.replace(".yml", ".test.yml")).is_file()]
    assert not missing, "rule files without a test file in tests/unit/alert_rules/: %s" % ", ".join(missing)


@pytest.mark.parametrize("path", RULE_FILES, ids=lambda p: p.name)
def test_promtool_check_rules(promtool, path):
    result = subprocess.run([promtool, "check", "rules", str(path)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("path", TEST_FILES, ids=lambda p: p.name)
def test_promtool_test_rules(promtool, path):
    # rule_files are relative to the test file's directory.
    result = subprocess.run([promtool, "test", "rules", path.name], cwd=path.parent,
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("path", RULE_FILES, ids=lambda p: p.name)
def test_every_alert_is_documented(path):
    problems = []
    for rule in alerts_of(path):
        name = rule["alert"]
        severity = (rule.get("labels") or {}).get("severity")
        if severity not in SEVERITIES:
            problems.append("%s: severity %r is not one of %s" % (name, severity, sorted(SEVERITIES)))
        annotations = rule.get("annotations") or {}
        for key in ("summary", "description"):
            if not str(annotations.get(key) or "").strip():
                problems.append("%s: no %s annotation" % (name, key))
    assert not problems, "\n".join(problems)


def test_alert_names_are_unique():
    names = [rule["alert"] for path in RULE_FILES for rule in alerts_of(path)]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    assert not duplicates, "alerts defined more than once: %s" % ", ".join(duplicates)


@pytest.mark.parametrize("path", RULE_FILES, ids=lambda p: p.name)
def test_every_alert_has_a_firing_test(path):
    fired = fired_in_tests()
    untested = [rule["alert"] for rule in alerts_of(path) if rule["alert"] not in fired]
    assert not untested, "alerts that no test case expects to fire: %s" % ", ".join(untested)


def test_expected_alerts_keep_the_tenant_label():
    """Every expected alert names its tenant: the routing to a tenant's on-call depends on it."""
    problems = []
    for path in TEST_FILES:
        data = yaml.safe_load(path.read_text()) or {}
        for case in data.get("tests") or []:
            for check in case.get("alert_rule_test") or []:
                for alert in check.get("exp_alerts") or []:
                    if not (alert.get("exp_labels") or {}).get("tenant"):
                        problems.append("%s: %s at %s expects no tenant label"
                                        % (path.name, check["alertname"], check["eval_time"]))
    assert not problems, "\n".join(problems)
