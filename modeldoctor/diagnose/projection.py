"""When a finding judged on the whole curve can be called part-way: it holds on every likely rest of the run.

slow-convergence and underfitting judge how training *ended* ("still falling",
"plateaued high"), so a fit stopped part-way cannot show them directly. What
it can show is its pace. The rest of the loss curve is projected twice, to
the epochs the fit was given:

- straight on, at the pace of the last of two equal windows of the epochs seen (a loss that
  never slows down: the most it can still fall);
- slowing down as it has been slowing: the pace decays by the ratio of the
  last window's drop to the window's before it, window after window (a curve that keeps
  flattening at the rate it flattens).

A curve that went up in the recent window is not projected at all
(`bouncing`). The detector, the same pure function as at the end, is asked on both
projected curves with its thresholds made stricter by a margin. Only when it
finds its finding on both is the finding confirmed: a curve that could still
go either way is left to run. Learning curves flatten, rarely steepen: the
projections bracket the curves training produces, not every curve there is.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from typing import Any

from modeldoctor.diagnose.thresholds import Thresholds
from modeldoctor.ftypes import Finding
from modeldoctor.record import FitRecord

Margin = Callable[[Thresholds], Thresholds]

# The share of a fit's epochs seen (and at least 10) before a projection may confirm anything. A tenth, not more:
# on the long workloads (benchmarks/workloads/long, 300-600 epochs) the projections themselves hold slow-convergence
# back to 17% of the fit, and a loss flat at a constant prediction's level for a tenth of the fit is underfitting on
# every one of them. Held out: a 40% learning-rate warmup (a crawl, then fast) and a sine regression sitting near its
# targets' variance for 30 of 300 epochs were confirmed at no share down to 5%; 83 short fixtures and corpus
# scripts stop where they did at a fifth. What no projection can see is a loss perfectly flat for a tenth of the
# fit that then drops: that one is called a plateau.
SETTLED_SHARE = 0.1


def projections(fit: FitRecord) -> list[FitRecord]:
    """The fit as if it had run all its epochs: straight on at its recent pace, and slowing as it slows.

    Empty when there is nothing to project: the length of the fit is unknown, it is over, or its
    loss curve is too short or not finite.
    """
    planned = fit.fit_args.epochs
    losses = [e.get("loss") for e in fit.epochs]
    seen = len(losses)
    if not planned or seen >= planned or seen < 4 or any(v is None or not math.isfinite(v) for v in losses):
        return []
    values = [float(v) for v in losses]  # type: ignore[arg-type]
    window = (seen - 1) // 2  # the last two windows of this many epochs: the recent pace, and the one before
    recent = values[-1 - window] - values[-1]
    before = values[-1 - 2 * window] - values[-1 - window]
    ratio = 1.0 if before <= 0 or recent >= before else max(0.0, recent / before)
    pace = recent / window
    return [_extended(fit, values[-1], pace, decay, planned - seen)
            for decay in (1.0, ratio ** (1 / window))]


def _extended(fit: FitRecord, last: float, pace: float, decay: float, epochs: int) -> FitRecord:
    extra = []
    loss = last
    for k in range(1, epochs + 1):
        loss -= pace * decay**k
        extra.append({"loss": loss})
    return dataclasses.replace(fit, epochs=[*fit.epochs, *extra], completed=True, decided=None)


def bouncing(fit: FitRecord, t: Thresholds) -> bool:
    """The loss rose in the recent window (by more than an oscillation's rise) or ends it higher than it began:
    a curve going up is not settled (a rate schedule that grows, an oscillation starting), so no pace of it
    is projected."""
    losses = [e.get("loss") for e in fit.epochs]
    window = losses[-1 - max(1, (len(losses) - 1) // 2):]
    if any(v is None or not math.isfinite(v) for v in window):
        return True
    rises = any(b > a * (1 + t.oscillation_rise_size) for a, b in zip(window, window[1:]))  # type: ignore[operator]
    return rises or window[-1] > window[0]  # type: ignore[operator]


def holds_to_the_end(detect: Callable[[FitRecord, Thresholds], Finding | None], margin: Margin,
                     share: float, min_epochs: int) -> Callable[[Finding, Any, Thresholds], bool]:
    """A `Decisive.when` for a finding judged on the whole curve: at least `share` of the fit's epochs (and
    `min_epochs`) are done, and `detect` finds it on both projections of the rest under `margin(thresholds)`."""

    def confirmed(finding: Finding, fit: FitRecord, t: Thresholds) -> bool:
        planned = fit.fit_args.epochs
        if not planned or len(fit.epochs) < max(min_epochs, math.ceil(share * planned)) or bouncing(fit, t):
            return False
        rests = projections(fit)
        strict = margin(t)
        return bool(rests) and all(detect(rest, strict) is not None for rest in rests)

    return confirmed
