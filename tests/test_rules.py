"""The rule base: every file loads, its examples run as tests, and broken files get clear errors."""

from __future__ import annotations

import os
import re
import textwrap

import libcst as cst
import pytest

from modeldoctor.rules import RuleError, builtin_rules_dir, load_catalog, read_rule
from modeldoctor.transforms import available
from modeldoctor.transforms.engine.base import run

CATALOG = load_catalog()
TRANSFORMS = available()
EXAMPLES = [(rule, example) for rule in CATALOG.rules for example in rule.examples]


@pytest.mark.parametrize("rule, example", EXAMPLES, ids=[f"{r.code}-{e.title[:40]}" for r, e in EXAMPLES])
def test_rule_example_is_what_its_cure_does(rule, example):
    cure = rule.cures[example.cure]
    spec = TRANSFORMS[cure.transform]
    params = {k: v for k, v in {**cure.params, **example.params}.items() if k in spec.params}
    once = run(spec, example.before, params)
    assert once.source == example.after, once.declined
    cst.parse_module(once.source)
    twice = run(spec, once.source, params)
    assert twice.source == once.source and not twice.changed


def test_every_rule_names_a_known_transform_with_known_parameters():
    for rule in CATALOG.rules:
        for cure in rule.cures:
            if cure.transform is None:
                continue
            spec = TRANSFORMS.get(cure.transform)
            assert spec is not None, f"{rule.code}: unknown transform {cure.transform}"
            assert set(cure.params) <= set(spec.params) | set(spec.relative), (rule.code, cure.params)


def test_every_fixable_rule_has_an_example():
    missing = [r.code for r in CATALOG.rules if any(c.transform for c in r.cures) and not r.examples]
    assert missing == []


def test_codes_and_names_are_unique_and_in_file_names():
    codes = [rule.code for rule in CATALOG.rules]
    names = [rule.name for rule in CATALOG.rules]
    assert len(codes) == len(list(builtin_rules_dir().glob("*.toml"))), "one rule per file, every file loaded"
    assert len(set(codes)) == len(codes), sorted(c for c in set(codes) if codes.count(c) > 1)
    assert len(set(names)) == len(names), sorted(n for n in set(names) if names.count(n) > 1)
    for rule in CATALOG.rules:
        assert os.path.basename(rule.path) == f"{rule.code}-{rule.name}.toml"
        assert re.fullmatch(r"MD\d{3}", rule.code) and re.fullmatch(r"[a-z]+(-[a-z]+)*", rule.name), rule.path


def _write(tmp_path, body: str):
    folder = tmp_path / "rules"
    folder.mkdir(exist_ok=True)
    path = folder / "MD901-my-rule.toml"
    path.write_text(textwrap.dedent(body))
    return folder, path


GOOD = """\
code = "MD901"
name = "my-rule"
family = "learning"
severity = "warning"
summary = "A user's own rule."

[explanation]
what = "w"
why = "y"
example = "e"
fix_safety = "f"
references = []

[[cures]]
transform = "dropout"
applicability = "unsafe"
params = { rate = 0.2 }
rationale = "r"
"""


def test_user_rule_folder_adds_rules(tmp_path):
    folder, _ = _write(tmp_path, GOOD)
    catalog = load_catalog([folder])
    assert catalog.by_code("MD901").name == "my-rule" and catalog.by_name("overfitting") is not None


@pytest.mark.parametrize(
    "change, message",
    [
        (("[explanation]\nwhat", "[explanation]\nwhot"), "missing key 'what'"),
        (('family = "learning"', 'family = "learnin"'), "key 'family' is 'learnin'; expected one of"),
        (('code = "MD901"', 'code = "X1"'), "key 'code' is 'X1'"),
        (('summary = "A user', 'sumary = "A user'), "unknown key(s) sumary"),
        (('applicability = "unsafe"', 'applicability = "maybe"'), "key 'applicability' is 'maybe'"),
        (('family = "learning"', 'family = "learning"\ndefault = "no"'), "key 'default' must be true or false"),
    ],
)
def test_broken_rule_files_name_the_file_and_key(tmp_path, change, message):
    folder, path = _write(tmp_path, GOOD.replace(*change))
    with pytest.raises(RuleError) as error:
        load_catalog([folder])
    assert str(path) in str(error.value) and message in str(error.value)


def test_unknown_transform_and_bad_parameter_are_caught_on_load(tmp_path):
    from modeldoctor.transforms import validate_cure

    folder, path = _write(tmp_path, GOOD.replace('transform = "dropout"', 'transform = "dropuot"'))
    with pytest.raises(RuleError, match="unknown transform 'dropuot'"):
        load_catalog([folder], check_cure=validate_cure)
    _write(tmp_path, GOOD.replace("rate = 0.2", "rat = 0.2"))
    with pytest.raises(RuleError, match=r"MD901-my-rule.toml \[\[cures\]\] #1: transform 'dropout' has no parameter rat"):
        load_catalog([folder], check_cure=validate_cure)
    assert len(load_catalog(check_cure=validate_cure).rules) == len(CATALOG.rules)


def test_builtin_rules_are_valid_toml_with_every_section():
    for path in sorted(builtin_rules_dir().glob("*.toml")):
        rule = read_rule(path)
        assert rule.explanation.what and rule.explanation.why and rule.explanation.fix_safety


# Safety is the transform's: a rule may make a cure stricter, never safer.


def test_a_rule_that_marks_an_unsafe_transform_safe_is_an_error_naming_file_and_cure(tmp_path):
    from modeldoctor.transforms import validate_cure

    folder, path = _write(tmp_path, GOOD.replace('applicability = "unsafe"', 'applicability = "safe"'))
    load_catalog([folder])  # without checking cures, the file itself is well-formed
    with pytest.raises(RuleError) as error:
        load_catalog([folder], check_cure=validate_cure)
    message = str(error.value)
    assert f"{path} [[cures]] #1" in message and "key 'applicability' is 'safe'" in message
    assert "transform 'dropout' is unsafe" in message


def test_safety_that_depends_on_the_parameters_is_judged_with_the_rules_parameters(tmp_path):
    from modeldoctor.transforms import validate_cure

    callback = GOOD.replace('transform = "dropout"', 'transform = "add_callback"')
    safe = callback.replace('applicability = "unsafe"', 'applicability = "safe"')
    folder, _ = _write(tmp_path, safe.replace("rate = 0.2", 'callback = "TerminateOnNaN"'))
    assert load_catalog([folder], check_cure=validate_cure).by_code("MD901").cures[0].applicability.value == "safe"
    _write(tmp_path, safe.replace("rate = 0.2", 'callback = "ReduceLROnPlateau"'))
    with pytest.raises(RuleError, match=r"\[\[cures\]\] #1: key 'applicability' is 'safe', but transform 'add_callback'"):
        load_catalog([folder], check_cure=validate_cure)


def test_a_rule_may_mark_a_safe_transform_unsafe_or_display_only(tmp_path):
    from modeldoctor.transforms import validate_cure

    callback = GOOD.replace('transform = "dropout"', 'transform = "add_callback"').replace("rate = 0.2", "")
    for marked in ("unsafe", "display-only"):
        folder, _ = _write(tmp_path, callback.replace('applicability = "unsafe"', f'applicability = "{marked}"'))
        assert load_catalog([folder], check_cure=validate_cure).by_code("MD901").cures[0].applicability.value == marked


def test_relative_parameters_are_accepted_only_by_a_transform_whose_hook_declares_them(tmp_path):
    from modeldoctor.transforms import validate_cure

    folder, _ = _write(tmp_path, GOOD.replace("rate = 0.2", "factor = 0.5"))
    with pytest.raises(RuleError, match="transform 'dropout' has no parameter factor"):
        load_catalog([folder], check_cure=validate_cure)
    lr = GOOD.replace('transform = "dropout"', 'transform = "set_learning_rate"')
    _write(tmp_path, lr.replace("rate = 0.2", "factor = 0.5"))
    assert load_catalog([folder], check_cure=validate_cure).by_code("MD901").cures[0].params == {"factor": 0.5}
    _write(tmp_path, lr.replace("rate = 0.2", 'factor = "half"'))
    with pytest.raises(RuleError, match="parameter 'factor' of 'set_learning_rate' must be"):
        load_catalog([folder], check_cure=validate_cure)


def test_every_builtin_cure_is_as_safe_as_its_transform_allows():
    from modeldoctor.transforms import validate_cure

    catalog = load_catalog(check_cure=validate_cure)
    safe = {(r.code, c.transform) for r in catalog.rules for c in r.cures if c.applicability.value == "safe"}
    # TerminateOnNaN is the only cure of a training problem that cannot change a finished model; the others
    # that are safe are migrations (the legacy family): the same API under its Keras 3 spelling.
    cures = {(r.code, c.transform) for r in catalog.rules if r.family.value != "legacy" for c in r.cures}
    assert safe & cures == {("MD101", "add_callback")}
    assert {code for code, _ in safe - cures} == {r.code for r in catalog.rules if r.family.value == "legacy"
                                                   and any(c.applicability.value == "safe" for c in r.cures)}
    for rule in catalog.rules:
        for cure in rule.cures:
            if cure.transform is not None:
                assert TRANSFORMS[cure.transform].applicability_for(cure.params).value in ("safe", "unsafe")
