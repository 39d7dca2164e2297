"""Every fixture, run for real: its expected finding is reported first; healthy ones get none.

The expectations live in fixtures/labels.toml. False positives are bugs.
"""

from __future__ import annotations

import tomllib

import pytest

from conftest import FIXTURES
from modeldoctor.checkup import run_records
from modeldoctor.diagnose import diagnose_runs
from modeldoctor.diagnose.thresholds import Thresholds
from modeldoctor.rules import load_catalog
from modeldoctor.runner import RunOptions

LABELS = tomllib.loads((FIXTURES / "labels.toml").read_text())


def diagnose_fixture(relative: str, runs: int = 1):
    records = run_records(FIXTURES / relative, [], RunOptions(quiet=True, timeout=300), runs)
    return diagnose_runs(records, Thresholds(), load_catalog())


@pytest.mark.parametrize("relative", sorted(LABELS["healthy"]))
def test_healthy_fixture_has_no_finding(relative):
    findings = diagnose_fixture(relative)
    assert findings == [], [f"{f.name}: {f.message}" for f in findings]


@pytest.mark.parametrize("relative", sorted(LABELS["problems"]))
def test_fixture_reports_its_finding_first(relative):
    label = LABELS["problems"][relative]
    findings = diagnose_fixture(relative, label.get("runs", 1))
    names = [f.name for f in findings]
    assert names and names[0] == label["primary"], names
    assert findings[0].primary and findings[0].code.startswith("MD")
    assert findings[0].evidence, "a finding carries the numbers that triggered it"
    assert findings[0].location is not None and findings[0].location.path.endswith(relative.split("/")[-1])
    unexpected = set(names) - {label["primary"], *label.get("also", [])}
    assert not unexpected, f"unexpected findings {unexpected}: {[f.message for f in findings]}"
    for finding in findings[1:]:
        if not finding.primary:
            assert set(finding.caused_by) <= set(names)
