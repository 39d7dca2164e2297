"""Every fixture, run for real: its expected finding is reported first; healthy ones get none.

The expectations live in fixtures/labels.toml. False positives are bugs.
Single-run problem fixtures are diagnosed in test_fix_fixtures.py, on the same
run that is then cured (one training each, not two).
"""

from __future__ import annotations

import tomllib

import pytest

from conftest import FIXTURES
from modeldoctor.checkup import run_records
from modeldoctor.diagnose import diagnose_runs
from modeldoctor.diagnose.thresholds import Thresholds
from modeldoctor.rules import load_catalog
from modeldoctor.run.runner import RunOptions

pytestmark = pytest.mark.slow  # every test here trains a fixture

LABELS = tomllib.loads((FIXTURES / "labels.toml").read_text())


def diagnose_fixture(relative: str, runs: int = 1):
    records = run_records(FIXTURES / relative, [], RunOptions(quiet=True, timeout=300), runs)
    return diagnose_runs(records, Thresholds(), load_catalog())


@pytest.mark.parametrize("relative", sorted(LABELS["healthy"]))
def test_healthy_fixture_has_no_finding(relative):
    findings = diagnose_fixture(relative)
    assert findings == [], [f"{f.name}: {f.message}" for f in findings]


def assert_diagnosis(findings: list[dict], label: dict, script_name: str) -> None:
    """The labelled finding first and primary, with evidence and a location; nothing unexpected."""
    names = [f["name"] for f in findings]
    assert names and names[0] == label["primary"], names
    first = findings[0]
    assert first["primary"] and first["code"].startswith("MD")
    assert first["evidence"], "a finding carries the numbers that triggered it"
    assert first["location"] is not None and first["location"]["path"].endswith(script_name)
    unexpected = set(names) - {label["primary"], *label.get("also", [])}
    assert not unexpected, f"unexpected findings {unexpected}: {[f['message'] for f in findings]}"
    for finding in findings[1:]:
        if not finding["primary"]:
            assert set(finding["caused_by"]) <= set(names)


@pytest.mark.parametrize("relative", sorted(k for k, v in LABELS["problems"].items() if v.get("runs", 1) > 1))
def test_several_runs_fixture_reports_its_finding_first(relative):
    from modeldoctor.report.json_report import finding_json

    label = LABELS["problems"][relative]
    findings = diagnose_fixture(relative, label["runs"])
    assert_diagnosis([finding_json(f) for f in findings], label, relative.split("/")[-1])
