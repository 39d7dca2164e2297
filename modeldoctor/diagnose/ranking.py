"""Order findings so the root cause comes first, the others as its supporting evidence.

NaN because of exploding gradients because of a learning rate that is too
high: one primary finding (the learning rate), the others marked as caused by
it. A finding is primary when none of its known causes was also found.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from modeldoctor.ftypes import Family, Finding, Severity

# Corrupted data first: no setting of the model explains away a NaN in the rows it trains on.
SETUP = ("non-finite-data", "learning-rate-too-high", "learning-rate-too-low", "loss-activation-mismatch",
         "unscaled-inputs", "poor-initialization")
GRADIENTS = ("exploding-gradients", "vanishing-gradients", "dying-relu", "saturated-activations")

# finding -> the findings that can cause it
CAUSES: dict[str, tuple[str, ...]] = {
    "nan-loss": ("exploding-gradients", *SETUP),
    "exploding-gradients": ("learning-rate-too-high", "unscaled-inputs", "poor-initialization"),
    "vanishing-gradients": ("saturated-activations", "poor-initialization", "dying-relu"),
    "saturated-activations": ("unscaled-inputs", "poor-initialization", "learning-rate-too-high"),
    # a row holding a NaN makes every unit of the first layer output 0 where ReLU is a max that drops NaN
    "dying-relu": ("learning-rate-too-high", "poor-initialization", "unscaled-inputs", "non-finite-data"),
    "stalled-loss": (*GRADIENTS, *SETUP, "nan-loss"),
    "slow-convergence": (*GRADIENTS, *SETUP),
    "oscillating-loss": ("learning-rate-too-high", "exploding-gradients", "unscaled-inputs", "nan-loss",
                         "non-finite-data"),
    # zeroed or NaN rows are wrong examples: a poor fit of them is the data's fault, not the model's capacity
    "underfitting": ("non-finite-data",),
    # the epoch that went NaN is validated with destroyed weights: its validation metrics are the NaN's doing
    "overfitting": ("nan-loss",),
    "generalization-gap": ("overfitting", "nan-loss"),
    # ||dw||/||w|| is large when ||w|| is tiny: tiny initial weights look like a high rate
    "learning-rate-too-high": ("poor-initialization",),
}

# Among primaries: setup mistakes first (they are the cause when they co-occur), then symptoms.
ORDER = (*SETUP, "nan-loss", *GRADIENTS, "stalled-loss", "oscillating-loss", "slow-convergence",
         "overfitting", "generalization-gap", "underfitting", "high-variance")
SEVERITY = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}


def rank(findings: Sequence[Finding]) -> list[Finding]:
    names = {f.name for f in findings}
    learning = any(f.family is Family.LEARNING for f in findings)
    kept = [f for f in findings if not (f.name == "underfitting" and learning)]
    marked = []
    for finding in kept:
        causes = tuple(c for c in CAUSES.get(finding.name, ()) if c in names and c != finding.name)
        marked.append(dataclasses.replace(finding, primary=not causes, caused_by=causes))

    def key(f: Finding) -> tuple[int, int, int, int]:
        order = ORDER.index(f.name) if f.name in ORDER else len(ORDER)
        return (0 if f.primary else 1, SEVERITY[f.severity] if f.primary else 0, order, f.fit)

    return sorted(marked, key=key)
