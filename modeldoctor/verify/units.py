"""The task metric of a cure that rescaled the targets, in the untreated targets' units.

`scale_targets` trains on (y - mean) / std: the treated runs' validation
loss is then a loss on targets about 1/std the size, and comparing it with
the untreated loss would accept any such cure (a loss of 4.9e8 "falls" to
0.04 by the change of units alone, however well the model fits). A loss
grows with the targets' scale by a known power for the losses whose errors
are plain differences (squared: 2, absolute: 1), so the treated values are
put back into the untreated units by the ratio of the recorded label spreads.
For any other loss (huber, log-cosh, percentage errors) no such power holds:
the task metric is then not compared, and the verdict says so. Accuracies
are unit-free and never rescaled.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence

from modeldoctor.ftypes import Measure
from modeldoctor.record import RunRecord
from modeldoctor.vocabulary import loss_name

# canonical loss -> the power of the targets' scale it grows with
SCALE_POWER = {"mean_squared_error": 2.0, "mean_absolute_error": 1.0}
SAME_SCALE = 2.0  # label spreads within this factor of each other: the same units (seeds draw different rows)
LOSS_KEYS = ("loss", "val_loss")


def target_spread(records: Sequence[RunRecord]) -> float | None:
    """The median recorded spread of the targets a last fit trained on; None: not recorded."""
    spreads = [r.fits[-1].labels.std for r in records
               if r.fits and r.fits[-1].labels is not None and r.fits[-1].labels.std > 0]
    return statistics.median(spreads) if spreads else None


def _loss(records: Sequence[RunRecord]) -> str | None:
    names = {loss_name(r.fits[-1].model.loss.name) for r in records if r.fits and r.fits[-1].model.loss}
    return names.pop() if len(names) == 1 else None


def in_untreated_units(after: Measure, before_records: Sequence[RunRecord],
                       after_records: Sequence[RunRecord]) -> tuple[Measure | None, str | None]:
    """`after` in the untreated targets' units, and what was done to it (None: nothing, the units are the same).

    The Measure is None when it cannot be compared (a loss with no known power): the caller then judges on
    the finding's own measure alone."""
    if after.name not in LOSS_KEYS:
        return after, None
    before_spread, after_spread = target_spread(before_records), target_spread(after_records)
    if not before_spread or not after_spread or 1 / SAME_SCALE <= before_spread / after_spread <= SAME_SCALE:
        return after, None
    ratio = before_spread / after_spread
    power = SCALE_POWER.get(_loss(after_records) or "")
    if power is None:
        return (None,
                f"{after.name} is on targets scaled by 1/{ratio:.3g} and its loss has no known power of the "
                "targets' scale: not compared")
    factor = ratio**power
    scaled = Measure(after.name, after.higher_is_better, tuple(v * factor for v in after.values),
                     tuple(tuple(v * factor for v in curve) for curve in after.curves))
    return scaled, (f"{after.name} of the treated runs is on targets scaled by 1/{ratio:.3g}: compared in the "
                    f"untreated targets' units (x {factor:.3g})")
