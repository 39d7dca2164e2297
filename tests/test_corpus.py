"""The independent corpus (fixtures/corpus/): half B, held out from calibration, through the real CLI.

Thresholds are set on half A only (benchmarks/diagnosis.py prints both
halves). Here every half-B problem must get its labelled finding first and
every half-B healthy control no finding at all, from `modeldoctor check
--format json` exactly as a user runs it. A known miss is listed in
KNOWN_MISSES with its reason (strict xfail: fixing it fails the test until it
is removed); the fast test below holds the misses under 10 % of the half.
"""

from __future__ import annotations

import json
import tomllib

import pytest

from conftest import FIXTURES, cli
from modeldoctor.rules import load_catalog

CORPUS = FIXTURES / "corpus"
LABELS = tomllib.loads((CORPUS / "labels.toml").read_text())
KNOWN_MISSES: dict[str, str] = {
    "learning/learning_rate_too_high_rmsprop_conv_digits.py":
        "RMSprop at 0.05 on a CNN: the training loss falls smoothly and only the validation loss bounces "
        "(0.35 -> 0.77 -> 0.52); no update ratio above 0.1, no bounce after an early low in the training curve "
        "and no units driven into their tails, so it reads as overfitting",
    "learning/oscillating_loss_small_batch_nesterov_iris.py":
        "Nesterov SGD at 0.2 (a step of 2) bounces but keeps reaching new lows (0.020 late), so neither the "
        "oscillation (late best >= 0.9 x early best) nor the bounce after an early low holds; the noisy "
        "validation loss reads as overfitting",
}


def half(name: str, section: str) -> list[str]:
    return sorted(k for k, v in LABELS[section].items() if v["half"] == name)


def check_json(relative: str, runs: int = 1) -> tuple[int, list[dict]]:
    args = ["check", "--quiet", "--format", "json"] + (["--runs", str(runs)] if runs > 1 else [])
    result = cli(*args, str(CORPUS / relative))
    assert result.returncode in (0, 1), result.stderr[-2000:]
    return result.returncode, json.loads(result.stdout)["findings"]


def test_corpus_is_wide_and_split_in_halves():
    """At least 40 problems and 12 healthy controls, every label a known runtime finding, halves balanced."""
    problems, healthy = LABELS["problems"], LABELS["healthy"]
    assert len(problems) >= 40 and len(healthy) >= 12
    catalog = load_catalog()
    for relative, label in problems.items():
        assert (CORPUS / relative).exists(), relative
        for name in (label["primary"], *label.get("also", [])):
            catalog.require(name, relative)
    for section in ("problems", "healthy"):
        sizes = [len(half(h, section)) for h in "AB"]
        assert abs(sizes[0] - sizes[1]) <= max(2, sum(sizes) // 10), (section, sizes)
    assert set(KNOWN_MISSES) <= set(half("B", "problems"))
    assert len(KNOWN_MISSES) <= 0.1 * len(half("B", "problems")), "the held-out target is 90 % right"


def _problem_param(relative: str):  # noqa: ANN202 - pytest.ParameterSet
    marks = [pytest.mark.xfail(reason=KNOWN_MISSES[relative], strict=True)] if relative in KNOWN_MISSES else []
    return pytest.param(relative, marks=marks, id=relative.split("/")[-1].removesuffix(".py"))


@pytest.mark.slow
@pytest.mark.parametrize("relative", [_problem_param(r) for r in half("B", "problems")])
def test_held_out_problem_gets_its_primary_finding(relative):
    label = LABELS["problems"][relative]
    code, findings = check_json(relative, label.get("runs", 1))
    names = [f["name"] for f in findings]
    assert code == 1 and names and names[0] == label["primary"], names
    first = findings[0]
    assert first["primary"] and first["evidence"], first
    for other in findings[1:]:
        assert other["primary"] or set(other["caused_by"]) <= set(names), other


@pytest.mark.slow
@pytest.mark.parametrize("relative", half("B", "healthy"), ids=lambda r: r.split("/")[-1].removesuffix(".py"))
def test_held_out_healthy_control_gets_no_finding(relative):
    code, findings = check_json(relative)
    assert code == 0 and findings == [], [f"{f['name']}: {f['message']}" for f in findings]
