"""SARIF 2.1.0 for code scanning: one result per finding, the rule base as tool metadata.

Each result carries a `partialFingerprints` id hashed from what identifies
the problem (code, path, line, name): no timestamps, no run numbers, so the
same finding on the same line keeps its id from one run to the next.
"""

from __future__ import annotations

import hashlib
import json
import os
from typing import Any
from urllib.parse import quote

from modeldoctor import __version__
from modeldoctor.ftypes import Finding, Report, Rule, Severity
from modeldoctor.positions import to_output
from modeldoctor.record import Location
from modeldoctor.report import view
from modeldoctor.report.json_report import finding_json, trial_json

SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}
FINGERPRINT = "modeldoctor/v1"
PROPERTIES = ("family", "confidence", "evidence", "layer", "epoch", "fit", "primary", "caused_by")


def uri(path: str) -> str:
    """A relative path stays relative (to the repository root); anything else becomes a file URI."""
    shown = view.display_path(path)
    if os.path.isabs(shown):
        return "file://" + quote(shown.replace(os.sep, "/"))
    return quote(shown)


def fingerprint(finding: Finding, location: Location | None) -> str:
    path = view.display_path(location.path) if location else ""
    line = location.line if location else 0
    key = "\0".join((finding.code, path, str(line), finding.name))
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]


def help_texts(rule: Rule) -> tuple[str, str]:
    """The rule's whole card as plain text and as Markdown (ruff's sections)."""
    e = rule.explanation
    refs = list(e.references)
    text = (f"{e.what}\n\nWhy is this bad?\n{e.why}\n\nExample:\n{e.example}\n\nFix safety:\n{e.fix_safety}"
            + ("\n\nReferences:\n" + "\n".join(f"- {r}" for r in refs) if refs else ""))
    markdown = (f"## What it does\n{e.what}\n\n## Why is this bad?\n{e.why}\n\n## Example\n```python\n{e.example}\n```"
                f"\n\n## Fix safety\n{e.fix_safety}"
                + ("\n\n## References\n" + "\n".join(f"- {r}" for r in refs) if refs else ""))
    return text, markdown


def rule_descriptor(code: str, rule: Rule | None, finding: Finding) -> dict[str, Any]:
    if rule is None:
        return {"id": code, "name": finding.name, "shortDescription": {"text": finding.name},
                "defaultConfiguration": {"level": LEVELS[finding.severity]},
                "properties": {"tags": ["modeldoctor", finding.family.value]}}
    text, markdown = help_texts(rule)
    descriptor: dict[str, Any] = {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": f"{rule.explanation.what} {rule.explanation.why}"},
        "help": {"text": text, "markdown": markdown},
        "defaultConfiguration": {"level": LEVELS[rule.severity], "enabled": rule.default},
        "properties": {"tags": ["modeldoctor", rule.family.value],
                       "cures": [c.transform for c in rule.cures if c.transform]},
    }
    links = [r for r in rule.explanation.references if r.startswith(("https://", "http://"))]
    if links:
        descriptor["helpUri"] = links[0]
    return descriptor


def result(report: Report, finding: Finding, code: str, index: int) -> dict[str, Any]:
    location = view.where(report, finding) or Location(report.script, 1, 0)
    position = to_output(location)
    assert position is not None
    data = finding_json(finding)
    properties = {("causedBy" if k == "caused_by" else k): data[k] for k in PROPERTIES}
    cure = view.cure_for(report, finding)
    if cure is not None:
        properties["cure"] = {"rationale": cure.rationale, "call": cure.call,
                              "applicability": cure.applicability, "status": cure.status}
    place: dict[str, Any] = {"physicalLocation": {
        "artifactLocation": {"uri": uri(location.path)},
        "region": {"startLine": position["line"], "startColumn": position["column"]},
    }}
    if location.cell is not None:  # a notebook: the region's line and column are in this cell
        place |= {"message": {"text": view.place(location)}, "properties": {"cell": location.cell}}
    return {
        "ruleId": code,
        "ruleIndex": index,
        "level": LEVELS[finding.severity],
        "message": {"text": finding.message},
        "locations": [place],
        "partialFingerprints": {FINGERPRINT: fingerprint(finding, location)},
        "properties": properties,
    }


def sarif_document(report: Report) -> dict[str, Any]:
    codes: list[str] = []
    descriptors = []
    results = []
    for finding in report.findings:
        code = finding.code or finding.name
        if code not in codes:
            codes.append(code)
            descriptors.append(rule_descriptor(code, report.rules.get(finding.code), finding))
        results.append(result(report, finding, code, codes.index(code)))
    return {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "modeldoctor", "version": __version__, "semanticVersion": __version__,
                                "rules": descriptors}},
            "columnKind": "unicodeCodePoints",
            "results": results,
            # fix --verify: every cure tried, with the same fields as the JSON report's "trials"
            **({"properties": {"trials": [trial_json(t) for t in report.trials]}} if report.trials else {}),
        }],
    }


def render_sarif(report: Report) -> str:
    return json.dumps(sarif_document(report), indent=2, ensure_ascii=False, allow_nan=False)
