"""SARIF 2.1.0: valid against the official schema, one result per finding, stable ids."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from modeldoctor.ftypes import Report, Severity
from modeldoctor.record import Location
from modeldoctor.report import render
from modeldoctor.report.sarif import fingerprint

from . import sample

ROOT = Path(__file__).resolve().parents[2]
# The official OASIS schema lives beside the repository (../shared/schemas); it is
# read from there, never copied into the project.
SCHEMA = ROOT.parent / "shared" / "schemas" / "sarif-schema-2.1.0.json"


def sarif(report: Report) -> dict:
    return json.loads(render(report, "sarif"))


@pytest.fixture(scope="module")
def validator():
    jsonschema = pytest.importorskip("jsonschema", reason="jsonschema is not installed (pip install -e '.[test]')")
    if not SCHEMA.is_file():
        pytest.skip(f"the SARIF 2.1.0 schema is not at {SCHEMA} (../shared/schemas is absent on this machine)")
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


def _errors(validator, document: dict) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(document)]


def test_sample_is_valid_sarif(validator, report: Report) -> None:
    assert _errors(validator, sarif(report)) == []


@pytest.mark.parametrize("make", [sample.healthy, lambda: Report(script="train.py"), sample.hostile])
def test_other_reports_are_valid_sarif(validator, make) -> None:
    assert _errors(validator, sarif(make())) == []


def test_absolute_path_outside_the_working_folder_is_a_valid_file_uri(validator, report: Report) -> None:
    moved = dataclasses.replace(report.findings[0], location=Location("/elsewhere/my project/train.py", 14, 8))
    document = sarif(dataclasses.replace(report, findings=(moved,)))
    assert _errors(validator, document) == []
    location = document["runs"][0]["results"][0]["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"] == "file:///elsewhere/my%20project/train.py"


def test_one_result_per_finding_with_1_based_region(report: Report) -> None:
    run = sarif(report)["runs"][0]
    results = run["results"]
    assert [r["ruleId"] for r in results] == ["MD102", "MD108", "MD201", "MD301"]
    assert [r["level"] for r in results] == ["error", "warning", "warning", "warning"]
    first = results[0]
    assert first["message"]["text"] == report.findings[0].message
    physical = first["locations"][0]["physicalLocation"]
    assert physical["artifactLocation"]["uri"] == "train.py"
    assert physical["region"] == {"startLine": 14, "startColumn": 9}  # column 8 (0-based) in the record
    assert results[1]["locations"][0]["physicalLocation"]["region"]["startLine"] == 22  # the fit call's line
    assert all(run["tool"]["driver"]["rules"][r["ruleIndex"]]["id"] == r["ruleId"] for r in results)


def test_info_findings_are_notes(report: Report) -> None:
    info = dataclasses.replace(report.findings[3], severity=Severity.INFO)
    assert sarif(dataclasses.replace(report, findings=(info,)))["runs"][0]["results"][0]["level"] == "note"


def test_rules_carry_the_rule_base_metadata(report: Report) -> None:
    rules = {r["id"]: r for r in sarif(report)["runs"][0]["tool"]["driver"]["rules"]}
    assert list(rules) == ["MD102", "MD108", "MD201", "MD301"]
    rule, source = rules["MD201"], sample.RULES["MD201"]
    assert rule["name"] == "overfitting"
    assert rule["shortDescription"]["text"] == source.summary
    assert rule["fullDescription"]["text"] == f"{source.explanation.what} {source.explanation.why}"
    assert source.explanation.fix_safety in rule["help"]["text"]
    assert "## Why is this bad?" in rule["help"]["markdown"]
    assert rule["defaultConfiguration"]["level"] == "warning"
    assert rule["helpUri"] == "https://keras.io/api/callbacks/early_stopping/"


def test_fingerprints_are_stable_and_identify_code_path_line_and_name(report: Report) -> None:
    first = sarif(report)["runs"][0]["results"]
    again = sarif(sample.report())["runs"][0]["results"]
    assert [r["partialFingerprints"] for r in first] == [r["partialFingerprints"] for r in again]
    assert len({r["partialFingerprints"]["modeldoctor/v1"] for r in first}) == len(first)
    finding = report.findings[0]
    location = finding.location
    reworded = dataclasses.replace(finding, message="other words", evidence={}, confidence=0.1, epoch=5)
    assert fingerprint(reworded, location) == fingerprint(finding, location)
    assert fingerprint(finding, dataclasses.replace(location, line=15)) != fingerprint(finding, location)
