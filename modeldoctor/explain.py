"""`modeldoctor explain CODE`: one rule's card, as ruff's `rule` command prints it."""

from __future__ import annotations

import textwrap

from modeldoctor.ftypes import Rule


def rule_line(rule: Rule) -> str:
    """One line of `modeldoctor rules`: code, name, family, fix or advice, default set or opt-in, summary."""
    fixable = "fix" if any(c.transform for c in rule.cures) else "advice"
    chosen = "default" if rule.default else "opt-in"
    return f"{rule.code}  {rule.name:34} {rule.family.value:15} {fixable:7} {chosen:8} {rule.summary}"


def explain_rule(rule: Rule) -> str:
    e = rule.explanation
    opt_in = ("", f"Not in the default set: reported only when selected (--select {rule.code}, "
                  f"--extend-select {rule.code}, or select/extend-select in [tool.modeldoctor]).")
    parts = [
        f"{rule.code} {rule.name} ({rule.family.value}, {rule.severity.value})",
        "",
        rule.summary,
        *(() if rule.default else opt_in),
        "",
        "What it does",
        textwrap.indent(e.what.strip(), "  "),
        "",
        "Why is this bad?",
        textwrap.indent(e.why.strip(), "  "),
        "",
        "Example",
        textwrap.indent(e.example.strip(), "    "),
        "",
        "Cures (in the order they are tried)",
    ]
    for i, cure in enumerate(rule.cures, 1):
        params = ", ".join(f"{k}={v!r}" for k, v in cure.params.items())
        name = cure.transform or "advice"
        parts.append(f"  {i}. {name}({params}) [{cure.applicability.value}]: {cure.rationale}")
    for i, cure in enumerate(rule.cures, 1):
        if cure.example:
            parts += ["", f"Advice {i}, in code ({cure.applicability.value}: shown, never applied)",
                      textwrap.indent(cure.example.strip(), "    ")]
    for example in rule.examples:
        parts += ["", f"Example fix: {example.title}", "  before:",
                  textwrap.indent(example.before.rstrip(), "    "), "  after:",
                  textwrap.indent(example.after.rstrip(), "    ")]
    parts += ["", "Fix safety", textwrap.indent(e.fix_safety.strip(), "  ")]
    if e.references:
        parts += ["", "References", *[f"  - {ref}" for ref in e.references]]
    return "\n".join(parts)
