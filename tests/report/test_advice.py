"""Display-only cures with a complete Keras 3 example (ensembles, transfer learning, layer-wise pretraining):
shown by `explain` and in every report format, and valid Python (never run: no weights are downloaded)."""

from __future__ import annotations

import ast
import html
import json

import pytest

from modeldoctor.explain import explain_rule
from modeldoctor.ftypes import Applicability, Family, Finding, Report, Severity
from modeldoctor.report import render
from modeldoctor.rules import load_catalog

CATALOG = load_catalog()
WITH_CODE = [(rule.code, cure) for rule in CATALOG.rules for cure in rule.cures if cure.example]


def test_the_advice_with_code_is_on_the_rules_that_call_for_it():
    assert sorted({code for code, _ in WITH_CODE}) == ["MD202", "MD301"]
    shown = " ".join(cure.example for _, cure in WITH_CODE)
    assert "keras.applications" in shown and "backbone.trainable = False" in shown
    assert "def pretrain_layerwise" in shown and "def ensemble_predict" in shown


@pytest.mark.parametrize("code, cure", WITH_CODE, ids=[f"{c}-{i}" for i, (c, _) in enumerate(WITH_CODE)])
def test_every_advice_example_is_display_only_and_parses(code, cure):
    assert cure.applicability is Applicability.DISPLAY_ONLY and cure.transform is None
    ast.parse(cure.example)


def test_explain_prints_the_code():
    card = explain_rule(CATALOG.by_code("MD202"))
    assert card.count(", in code (display-only: shown, never applied)") == 2
    assert "    backbone.trainable = False  # keep what it learned on ImageNet" in card


def test_every_format_shows_the_advice_of_a_finding():
    rule = CATALOG.by_code("MD301")
    finding = Finding(code="MD301", name="high-variance", family=Family.PREDICTION, severity=Severity.WARNING,
                      confidence=0.8, message="final validation accuracy varies", evidence={"spread": 0.08})
    report = Report(script="train.py", findings=(finding,), rules={"MD301": rule})
    line = "return np.mean([member.predict(x, verbose=0) for member in members], axis=0)"
    assert line in render(report, "text")
    assert "```python\n" in render(report, "markdown") and line in render(report, "markdown")
    assert html.escape(line, quote=False) in render(report, "html").replace("&#34;", '"').replace("&#39;", "'")
    (advice,) = json.loads(render(report, "json"))["advice"]["MD301"]
    assert line in advice["example"] and advice["rationale"].startswith("Average the predictions")
