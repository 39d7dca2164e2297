"""Migration rules (the legacy family): Keras 2 spellings that Keras 3 removed or changed, found in the source.

A migration rule is data: its `[legacy]` table names a `kind` and the old and
new spellings, e.g.

    [legacy]
    kind = "keyword"
    callees = ["keras.optimizers.*"]
    renames = { lr = "learning_rate" }

The finder of that kind (a function here, `FINDERS[kind]`) reads the table to
report each use; the rule's cure (a transform taking the same keys) reads the
same table to rewrite it. Adding a rename Keras 3 made is one rule file, with
its before/after examples as its tests; a new *kind* of change is one finder
and one transform.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from modeldoctor.ftypes import Rule
from modeldoctor.static.facts import Script
from modeldoctor.static.legacy import generic, specific
from modeldoctor.static.registry import Hit

Finder = Callable[[Script, dict[str, Any]], Iterator[Hit]]

FINDERS: dict[str, Finder] = {**generic.FINDERS, **specific.FINDERS}


def legacy_rules(rules: tuple[Rule, ...]) -> list[Rule]:
    """The migration rules of a catalog; a `[legacy]` kind no finder knows is a RuleError, at load."""
    from modeldoctor.rules import RuleError

    found = [rule for rule in rules if rule.legacy is not None]
    for rule in found:
        assert rule.legacy is not None
        if rule.legacy["kind"] not in FINDERS:
            raise RuleError(f"{rule.path} [legacy]: key 'kind' is {rule.legacy['kind']!r}; "
                            f"expected one of {', '.join(sorted(FINDERS))}")
    return found


def find(script: Script, rule: Rule) -> Iterator[Hit]:
    """Every place in the script that uses what this migration rule names."""
    assert rule.legacy is not None
    yield from FINDERS[rule.legacy["kind"]](script, rule.legacy)
