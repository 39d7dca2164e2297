"""The rule base: every file loads, its examples run as tests, and broken files get clear errors."""

from __future__ import annotations

import textwrap

import libcst as cst
import pytest

from modeldoctor.rules import RuleError, builtin_rules_dir, load_catalog, read_rule
from modeldoctor.transforms import available
from modeldoctor.transforms.base import run

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
            from modeldoctor.transforms import RELATIVE_PARAMS as relative
            assert set(cure.params) - relative <= set(spec.params), (rule.code, cure.params)


def test_every_fixable_rule_has_an_example():
    missing = [r.code for r in CATALOG.rules if any(c.transform for c in r.cures) and not r.examples]
    assert missing == []


def test_codes_and_names_are_unique_and_in_file_names():
    for rule in CATALOG.rules:
        assert rule.path.endswith(f"{rule.code}-{rule.name}.toml")


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
