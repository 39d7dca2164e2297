"""Findings that need several runs with different seeds."""

from __future__ import annotations

import statistics
from collections.abc import Sequence

from modeldoctor.diagnose.registry import Band, detector, found
from modeldoctor.diagnose.series import accuracy_key, finite, kept_value, r
from modeldoctor.diagnose.thresholds import Thresholds
from modeldoctor.ftypes import Family, Finding
from modeldoctor.record import RunRecord


@detector("high-variance", Family.PREDICTION, needs="runs", rank=(Band.PREDICTION, 1), weaker=("spread", True))
def high_variance(runs: Sequence[RunRecord], t: Thresholds) -> Finding | None:
    fits = [run.fits[-1] for run in runs if run.fits and run.fits[-1].epochs]
    if len(fits) < 2:
        return None
    losses = finite(kept_value(fit, "val_loss", False) for fit in fits)
    if len(losses) < len(fits):
        return None  # a run that diverged is nan-loss's finding, not a spread
    mean, spread = statistics.mean(losses), statistics.stdev(losses)
    evidence = {"runs": len(fits), "seeds": [run.seed for run in runs], "final_val_loss": [r(v) for v in losses],
                "val_loss_mean": r(mean), "val_loss_std": r(spread), "threshold_cv": t.variance_loss_cv}
    cv = spread / mean if mean > 0 else 0.0
    # `spread` is the number judged against its threshold: the accuracy's std when there is an
    # accuracy-like metric (a loss near zero has a large relative spread that means nothing for
    # the predictions), else the loss's coefficient of variation.
    judged, limit = cv, t.variance_loss_cv
    message = (f"final validation loss varies across {len(fits)} seeds: {mean:.4g} ± {spread:.2g} "
               f"({cv:.0%} of the mean)")
    key = accuracy_key(fits[0])
    if key:
        values = finite(kept_value(fit, f"val_{key}", True) for fit in fits)
        if len(values) == len(fits):
            judged, limit = statistics.stdev(values), t.variance_metric_std
            evidence.update({f"final_val_{key}": [r(v) for v in values], f"val_{key}_std": r(judged),
                             "threshold_metric_std": limit})
            message = (f"final validation {key} varies across {len(fits)} seeds: "
                       f"{statistics.mean(values):.3f} ± {judged:.3f}")
    evidence["spread"] = r(judged)
    if judged <= limit:
        return None
    return found(high_variance, message, evidence, 0.8, fits[0].location, fit=fits[0].index)
