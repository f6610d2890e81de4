"""deploy/: the Grafana dashboard and the Prometheus alert rules (docs/operations.md,
"Dashboard and alerts") are valid, and name only metrics a live server exports."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from parley_client import http_request

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
RULES = DEPLOY / "prometheus" / "alerts.yml"
DASHBOARD = DEPLOY / "grafana" / "parley.json"
# Series Prometheus makes itself, not Parley.
PROMETHEUS_OWN = {"up"}
NAME = re.compile(r"\b(parley_[a-z0-9_]+|up)\b")


def promtool() -> str:
    path = shutil.which("promtool")
    if not path:
        pytest.fail("promtool not found: scripts/install-deps.sh installs Debian's prometheus "
                    "package, which has it", pytrace=False)
    return path


def dashboard_exprs() -> list[str]:
    dash = json.loads(DASHBOARD.read_text())
    exprs = [t["expr"] for p in dash["panels"] for t in p.get("targets", [])]
    assert exprs, "the dashboard has no queries"
    return exprs


def rule_exprs() -> list[str]:
    # promtool has parsed the file; the expressions are the `expr:` values (one line or a
    # block), which hold every metric name the rules use.
    return [RULES.read_text()]


def exported(server) -> set[str]:
    r = http_request("127.0.0.1", server.port, "GET", "/metrics")
    assert r.status == 200
    return {line.split("{")[0].split(" ")[0] for line in r.text.splitlines()
            if line and not line.startswith("#")}


def test_the_alert_rules_pass_promtool():
    done = subprocess.run([promtool(), "check", "rules", str(RULES)], capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "SUCCESS" in done.stdout


def test_the_metrics_pass_promtools_lint(server):
    r = http_request("127.0.0.1", server.port, "GET", "/metrics")
    done = subprocess.run([promtool(), "check", "metrics"], input=r.body, capture_output=True,
                          timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr


def test_every_metric_in_the_dashboard_and_the_rules_is_exported(server):
    have = exported(server)
    used = {name for text in dashboard_exprs() + rule_exprs() for name in NAME.findall(text)}
    assert used - PROMETHEUS_OWN, "no Parley metric found in deploy/"
    missing = sorted(used - have - PROMETHEUS_OWN)
    assert not missing, f"deploy/ names metrics that /metrics does not export: {missing}"
    # and the things the issue asks the dashboard to show are there
    for name in ("parley_connections", "parley_send_to_ack_seconds_bucket", "parley_errors_total",
                 "parley_search_index_lag_events", "parley_key_service_failures_total"):
        assert name in used, name
