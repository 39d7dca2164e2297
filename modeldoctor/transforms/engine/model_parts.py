"""What `model_sites.Script` finds in a module: its models and the layer sites they are built from.

Plain values, kept apart from the reader so that the inserters and the cures
that take them (insertion.py, input_normalization, batch_normalization,
gaussian_noise) read them without the reading machinery.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import libcst as cst


@dataclass(eq=False)
class Site:
    """A layer the script creates in a form that can take a neighbour."""

    kind: str  # "list" | "add" | "functional"
    value: cst.BaseExpression  # the constructor call, or a name bound to a layer
    layer: str | None  # Keras class, e.g. "Dense"
    statement: cst.SimpleStatementLine | None = None  # add/functional: the line to insert beside
    holder: cst.List | None = None  # list: the Sequential's list
    index: int = 0
    receiver: cst.BaseExpression | None = None  # add: `model` in `model.add(...)`
    name: str | None = None  # functional: the name bound to the layer's output
    tensor: str | None = None  # functional: the name the layer is applied to


@dataclass(eq=False)
class Model:
    style: str  # "sequential" | "functional"
    call: cst.Call
    scope: cst.CSTNode
    statement: cst.SimpleStatementLine | None
    name: str | None
    layers: list[Site] = field(default_factory=list)
    inputs: cst.BaseExpression | None = None
    outputs: tuple[str, ...] = ()
    problem: str | None = None  # why nothing can be inserted at its input
