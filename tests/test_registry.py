"""A finding is declared once: causes, rank and "weaker" evidence live on its detector, checked against its rule."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from modeldoctor.diagnose import diagnose_run
from modeldoctor.diagnose.ranking import rank
from modeldoctor.diagnose.registry import (
    Band,
    DetectorInfo,
    all_detectors,
    check_detectors,
    detector,
    expand_causes,
    infos,
)
from modeldoctor.diagnose.thresholds import Thresholds
from modeldoctor.ftypes import Family, Finding, Severity
from modeldoctor.rules import Catalog, RuleError, load_catalog
from modeldoctor.static.registry import all_checks, check_rules, static_check
from modeldoctor.verify import weaker
from records import fit, run

CATALOG = load_catalog()
HERE = Path(__file__).name


def finding(name: str, family: Family = Family.LEARNING, severity: Severity = Severity.WARNING,
            fit: int = 0) -> Finding:
    return Finding(name=name, family=family, severity=severity, confidence=0.9, message=name, fit=fit)


def test_builtin_detectors_and_static_checks_agree_with_the_builtin_rules():
    check_detectors(all_detectors(), CATALOG)
    check_rules(all_checks(), CATALOG)


def test_a_detector_whose_finding_has_no_rule_names_its_module():
    @detector("made-up-finding", Family.LEARNING)
    def made_up(fit, t):
        return None

    with pytest.raises(RuleError, match="detector 'made-up-finding'") as error:
        check_detectors([*all_detectors(), made_up], CATALOG)
    assert HERE in str(error.value) and "no rule file names 'made-up-finding'" in str(error.value)


def test_a_detector_whose_family_differs_from_its_rule_names_both_files():
    @detector("nan-loss", Family.GENERALIZATION)
    def wrong_family(fit, t):
        return None

    with pytest.raises(RuleError, match="family 'generalization'") as error:
        check_detectors([wrong_family], CATALOG)
    assert HERE in str(error.value) and "MD101-nan-loss.toml" in str(error.value)


def test_a_cause_must_be_a_known_finding():
    @detector("nan-loss", Family.LEARNING, causes=("exploding-gradient",))
    def typo(fit, t):
        return None

    with pytest.raises(RuleError, match="unknown cause\\(s\\) exploding-gradient"):
        check_detectors([*all_detectors(), typo], CATALOG)


def test_a_bad_weaker_declaration_is_an_error():
    @detector("nan-loss", Family.LEARNING, weaker=("grad_to_weight_median", "higher"))  # type: ignore[arg-type]
    def bad(fit, t):
        return None

    with pytest.raises(RuleError, match="weaker must be"):
        check_detectors([bad], CATALOG)


def test_diagnosis_with_a_rule_missing_is_an_error_not_a_finding_without_code():
    partial = Catalog(tuple(r for r in CATALOG.rules if r.name != "nan-loss"))
    record = run(fit([1.0, math.nan], stopped_on_nan=True, nan_step=1, nan_epoch=1))
    with pytest.raises(RuleError, match="detector 'nan-loss' .*curves.py.*no rule file names 'nan-loss'"):
        diagnose_run(record, Thresholds(), partial)


def test_a_static_check_without_a_rule_is_an_error_too():
    @static_check("made-up-check")
    def made_up(script, limits):
        return ()

    with pytest.raises(RuleError, match="static check 'made-up-check'") as error:
        check_rules([made_up], CATALOG)
    assert HERE in str(error.value)


def test_every_builtin_detector_declares_a_distinct_rank():
    declared = infos()
    assert all(info.rank is not None for info in declared.values()), [
        n for n, i in declared.items() if i.rank is None]
    assert len({info.rank for info in declared.values()}) == len(declared)


def test_bands_sort_in_declaration_order_and_positions_within_them():
    declared = infos()
    order = [i.name for i in sorted(declared.values(), key=DetectorInfo.sort_key)]
    assert order[0] == "non-finite-data" and order[-1] == "high-variance"
    assert order.index("poor-initialization") < order.index("nan-loss") < order.index("exploding-gradients")
    assert order.index("saturated-activations") < order.index("stalled-loss") < order.index("overfitting")


def test_a_plugin_slots_between_two_ranks_without_renumbering():
    plugin = DetectorInfo("shuffled-labels", Family.LEARNING, "run", rank=(Band.SETUP, 1.5))
    declared = {**infos(), plugin.name: plugin}
    findings = [finding("learning-rate-too-high"), finding("shuffled-labels"), finding("non-finite-data")]
    assert [f.name for f in rank(findings, declared)] == ["non-finite-data", "shuffled-labels",
                                                           "learning-rate-too-high"]


def test_a_band_as_a_cause_means_every_finding_ranked_in_it_including_plugins():
    plugin = DetectorInfo("shuffled-labels", Family.LEARNING, "run", rank=(Band.SETUP, 1.5))
    declared = {**infos(), plugin.name: plugin}
    nan = expand_causes(declared["nan-loss"], declared)
    assert nan[0] == "exploding-gradients" and nan[1:3] == ("non-finite-data", "shuffled-labels")
    (ranked, cause) = rank([finding("nan-loss", severity=Severity.ERROR), finding("shuffled-labels")], declared)
    assert (ranked.name, ranked.primary) == ("shuffled-labels", True)
    assert cause.caused_by == ("shuffled-labels",) and not cause.primary


def test_a_finding_without_a_declared_rank_sorts_last_by_name():
    declared = {**infos(),
                "zz-plugin": DetectorInfo("zz-plugin", Family.LEARNING, "run"),
                "aa-plugin": DetectorInfo("aa-plugin", Family.LEARNING, "run")}
    names = ["zz-plugin", "high-variance", "aa-plugin", "unknown-to-all"]
    for order in (names, names[::-1]):
        ranked = rank([finding(n) for n in order], declared)
        assert [f.name for f in ranked] == ["high-variance", "aa-plugin", "unknown-to-all", "zz-plugin"]


def test_ranking_keeps_primary_then_severity_then_rank_then_fit():
    findings = [finding("overfitting", Family.GENERALIZATION, fit=1), finding("exploding-gradients"),
                finding("overfitting", Family.GENERALIZATION, fit=0), finding("oscillating-loss"),
                finding("learning-rate-too-low", severity=Severity.INFO),
                finding("non-finite-data", severity=Severity.ERROR)]
    ranked = rank(findings)
    assert [(f.name, f.fit) for f in ranked] == [
        ("non-finite-data", 0), ("exploding-gradients", 0), ("overfitting", 0), ("overfitting", 1),
        ("learning-rate-too-low", 0), ("oscillating-loss", 0)]
    assert [f.primary for f in ranked] == [True, True, True, True, True, False]
    assert ranked[-1].caused_by == ("exploding-gradients", "non-finite-data")


def test_weaker_reads_the_evidence_key_its_detector_declares():
    assert dict(infos())["exploding-gradients"].weaker == ("grad_to_weight_median", True)
    assert weaker("exploding-gradients", {"grad_to_weight_median": 10.0}, {"grad_to_weight_median": 4.0})
    assert not weaker("exploding-gradients", {"grad_to_weight_median": 10.0}, {"grad_to_weight_median": 6.0})
    assert weaker("stalled-loss", {"improvement": 0.01}, {"improvement": 0.05})  # lower is worse
    assert not weaker("dying-relu", {"dead_share": 1.0}, {"dead_share": 0.0})  # nothing declared: never weaker
    assert not weaker("made-up-finding", {"x": 1.0}, {"x": 0.0})

