"""Every static check's own VALID and INVALID snippets are its tests (one case each, named after the check)."""

from __future__ import annotations

import pytest

from modeldoctor.rules import load_catalog
from modeldoctor.static import check_source
from modeldoctor.static.registry import all_checks, check_modules

CATALOG = load_catalog()


def _cases(kind: str) -> list:
    cases = []
    for module in check_modules():
        names = [v.rule_name for v in vars(module).values() if callable(v) and hasattr(v, "rule_name")]
        for name in names:
            for i, source in enumerate(getattr(module, kind, [])):
                cases.append(pytest.param(name, source, id=f"{name}-{kind.lower()}-{i}"))
    return cases


def _codes(source: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for finding in check_source(source, "snippet.py", CATALOG):
        found.setdefault(finding.name, []).append(finding.message)
    return found


@pytest.mark.parametrize(("name", "source"), _cases("INVALID"))
def test_check_fires_on_its_invalid_snippets(name: str, source: str) -> None:
    assert name in _codes(source), source


@pytest.mark.parametrize(("name", "source"), _cases("VALID"))
def test_check_stays_silent_on_its_valid_snippets(name: str, source: str) -> None:
    assert name not in _codes(source), source


def test_every_check_has_a_rule_file_and_examples_both_ways() -> None:
    for check in all_checks():
        rule = CATALOG.by_name(check.rule_name)
        assert rule is not None, f"no rule file named {check.rule_name}"
        module = __import__(check.__module__, fromlist=["VALID"])
        assert getattr(module, "VALID", None) and getattr(module, "INVALID", None), check.__module__


def test_static_rule_codes_are_md4xx_in_order() -> None:
    static_only = [r for r in CATALOG.rules if r.code.startswith("MD4")]
    codes = [r.code for r in static_only]
    assert codes == [f"MD{401 + i}" for i in range(len(codes))]
    assert {r.name for r in static_only} <= {c.rule_name for c in all_checks()}


def test_findings_take_code_family_and_severity_from_the_rule() -> None:
    (finding,) = check_source("import keras\nd = keras.layers.Dropout(0.8)\n", "t.py", CATALOG)
    rule = CATALOG.by_name("high-dropout-rate")
    assert (finding.code, finding.family, finding.severity) == (rule.code, rule.family, rule.severity)
    assert finding.evidence["rate"] == 0.8


def test_a_check_whose_rule_is_not_in_the_catalog_is_an_error_naming_the_check(tmp_path) -> None:
    from modeldoctor.rules import Catalog, RuleError
    from modeldoctor.static import check_paths

    partial = Catalog(tuple(r for r in CATALOG.rules if r.name != "high-dropout-rate"))
    source = "import keras\nd = keras.layers.Dropout(0.8)\n"
    message = r"static check 'high-dropout-rate' \(.*dropout.py\): no rule file names 'high-dropout-rate'"
    with pytest.raises(RuleError, match=message):
        check_source(source, "t.py", partial)
    (tmp_path / "t.py").write_text(source)
    with pytest.raises(RuleError, match=message):  # before any file, not one error entry per file
        check_paths([tmp_path], partial)


def test_thresholds_override_the_defaults() -> None:
    source = "import keras\nd = keras.layers.Dropout(0.6)\n"
    assert check_source(source, "t.py", CATALOG)
    assert not check_source(source, "t.py", CATALOG, thresholds={"dropout_rate_max": 0.7, "vanish_ratio": 1})
