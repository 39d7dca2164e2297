"""Shared helpers for the transform tests, parameterised by the transform's spec.

Imported as `import harness`: tests/transforms has no __init__.py, so pytest
(in its default "prepend" import mode) puts this directory on sys.path before
it imports the test modules here, under `pytest tests/transforms` as under the
full `pytest -n 2` run.

Each test module binds the spec once, e.g.

    SPEC = available()["dropout"]
    apply = functools.partial(harness.apply, SPEC)
    declined = functools.partial(harness.declined, SPEC)

Keyword arguments given to `functools.partial` act as defaults the test can
override (`partial(harness.apply, SPEC, batch_size=64)`).
"""

from __future__ import annotations

import libcst as cst

from modeldoctor.ftypes import Target
from modeldoctor.transforms.engine.base import Outcome, TransformSpec, run


def apply(spec: TransformSpec, source: str, targets: tuple[Target, ...] = (), /, **params) -> Outcome:
    """Run the transform, check the output parses, and that a second run changes nothing."""
    outcome = run(spec, source, params, targets)
    cst.parse_module(outcome.source)
    again = run(spec, outcome.source, params, targets)
    # Both forms of "changes nothing" the modules used to check one or the other of.
    assert again.source == outcome.source
    assert not again.changed
    return outcome


def unchanged(outcome: Outcome, source: str) -> str:
    """The outcome left `source` as it was, with no edits and a reason; return the reason."""
    assert outcome.source == source
    assert not outcome.edits
    assert outcome.declined
    return outcome.declined


def declined(spec: TransformSpec, source: str, targets: tuple[Target, ...] = (), /, **params) -> str:
    """Through `apply` (so the parse and second-run checks hold too), then declined and unchanged."""
    return unchanged(apply(spec, source, targets, **params), source)


def declined_by_run(spec: TransformSpec, source: str, targets: tuple[Target, ...] = (), /, **params) -> str:
    """A single plain `run`, then declined and unchanged (no parse or second-run check)."""
    return unchanged(run(spec, source, params, targets), source)


def target_at(source: str, kind: str, needle: str, occurrence: int = 0, class_name: str | None = None) -> Target:
    """The target the probe would report for the call starting at the `occurrence`-th line holding `needle`."""
    hits = [(n, line.index(needle)) for n, line in enumerate(source.splitlines(), 1) if needle in line]
    line, column = hits[occurrence]
    return Target(kind=kind, line=line, column=column, class_name=class_name)


def layer_at(source: str, needle: str, occurrence: int = 0, class_name: str | None = None) -> Target:
    """A `layer` target at `needle` (see `target_at`)."""
    return target_at(source, "layer", needle, occurrence, class_name)
