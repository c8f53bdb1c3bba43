"""deploy/prometheus: the alert rules pass `promtool check rules` and their unit tests (`promtool test rules`),
and every metric they use is one the code exports. promtool comes with Debian's `prometheus` (.ci/run installs it).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.deploy.exported_metrics import exported_metric_names, metric_names_in

ROOT = Path(__file__).resolve().parents[2]
PROMETHEUS = ROOT / "deploy" / "prometheus"
PROMTOOL = shutil.which("promtool")
needs_promtool = pytest.mark.skipif(PROMTOOL is None, reason="promtool not installed (apt-get install prometheus)")


def _promtool(*args: str) -> subprocess.CompletedProcess[str]:
    assert PROMTOOL is not None
    return subprocess.run([PROMTOOL, *args], cwd=PROMETHEUS, capture_output=True, text=True, timeout=60, check=False)


@needs_promtool
def test_alert_rules_are_valid():
    result = _promtool("check", "rules", "alerts.yml")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


@pytest.mark.slow
@needs_promtool
def test_alert_rules_pass_their_unit_tests():
    result = _promtool("test", "rules", "alerts.test.yml")
    assert result.returncode == 0, result.stdout + result.stderr


def _rules() -> list[dict]:
    return [
        rule for group in yaml.safe_load((PROMETHEUS / "alerts.yml").read_text())["groups"] for rule in group["rules"]
    ]


def test_the_issue_s_alerts_exist_and_each_has_a_tested_case_and_a_runbook_section():
    names = {rule["alert"] for rule in _rules()}
    assert {
        "MutiroesWorkerDown", "MutiroesDeadLettersGrowing", "MutiroesOutboxBacklogOld",
        "MutiroesSchedulerWithoutLeader", "MutiroesBreakerOpen", "MutiroesReplicaLagHigh",
        "MutiroesSentinelNoQuorum", "MutiroesApi5xxRatioHigh", "MutiroesApiLatencyP99High",
    } <= names  # fmt: skip
    tests = yaml.safe_load((PROMETHEUS / "alerts.test.yml").read_text())["tests"]
    fired = {case["alertname"] for test in tests for case in test["alert_rule_test"] if case.get("exp_alerts")}
    assert names == fired, f"alerts without a firing test case: {sorted(names - fired)}"
    operations = (ROOT / "docs" / "operations.md").read_text()
    for rule in _rules():
        anchor = rule["annotations"]["runbook"].split("#", 1)[1]
        assert anchor == rule["alert"].lower()
        assert f"### {rule['alert']}" in operations, f"docs/operations.md has no section for {rule['alert']}"


def test_alert_rules_use_only_metrics_the_code_exports():
    exported = exported_metric_names()
    for rule in _rules():
        unknown = metric_names_in(rule["expr"]) - exported
        assert not unknown, f"{rule['alert']} uses metrics nothing exports: {sorted(unknown)}"
