"""How static checks are declared and found: a decorator marks a function, a walk collects them.

A check is a function `(script, limits) -> Iterable[Hit]` in a module of
`modeldoctor.static.checks`, marked with `@static_check("rule-name")`. Its
module may carry `VALID` and `INVALID` source snippets: they are its tests.
The finding's code, family and severity come from the rule file of that name;
`check_rules` proves every check has one (a check without a rule is an error,
as a detector without one is, never a finding without a code).
"""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from modeldoctor.rules import Catalog
from modeldoctor.static.facts import KCall, MethodCall, Script
from modeldoctor.static.thresholds import StaticThresholds


@dataclass(frozen=True)
class Hit:
    """What a check saw: the message, where (a node or a call), the literal values as evidence."""

    message: str
    at: ast.AST | KCall | MethodCall
    evidence: dict[str, Any] = field(default_factory=dict)
    confidence: float = 0.8
    layer: str | None = None


Check = Callable[[Script, StaticThresholds], Iterable[Hit]]


def static_check(name: str, seen_at_run: tuple[str, ...] = ()) -> Callable[[Check], Check]:
    """Mark a check of the rule `name`. `seen_at_run` names the run-time findings that see the same mistake
    from the run (a learning rate out of range: learning-rate-too-high/-too-low): when a run reports one of
    them, or the finding of the same name, this check's finding adds nothing to that run's report."""

    def mark(fn: Check) -> Check:
        fn.rule_name = name  # type: ignore[attr-defined]
        fn.seen_at_run = seen_at_run  # type: ignore[attr-defined]
        return fn

    return mark


def run_twins() -> dict[str, frozenset[str]]:
    """Static finding name -> the run-time finding names that make it redundant in a run's report (its own
    name included: a run-time `loss-activation-mismatch` wins over the source's)."""
    twins: dict[str, frozenset[str]] = {}
    for check in all_checks():
        name: str = check.rule_name  # type: ignore[attr-defined]
        twins[name] = frozenset({name, *getattr(check, "seen_at_run", ())})
    return twins


def all_checks() -> list[Check]:
    """Every marked function of every module of `modeldoctor.static.checks`, in module order."""
    from modeldoctor.static import checks

    found: list[Check] = []
    for info in sorted(pkgutil.iter_modules(checks.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{checks.__name__}.{info.name}")
        for value in vars(module).values():
            if callable(value) and hasattr(value, "rule_name") and value not in found:
                found.append(value)
    return found


def check_modules() -> list[Any]:
    from modeldoctor.static import checks

    return [
        importlib.import_module(f"{checks.__name__}.{info.name}")
        for info in sorted(pkgutil.iter_modules(checks.__path__), key=lambda m: m.name)
    ]


def check_rules(checks: Iterable[Check], catalog: Catalog) -> None:
    """Raise RuleError naming the check's module unless every check has a rule file of its name."""
    for check in checks:
        name: str = check.rule_name  # type: ignore[attr-defined]
        catalog.require(name, f"static check '{name}' ({inspect.getfile(check)})")
