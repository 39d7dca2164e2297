"""Findings about the training data itself, read from the statistics the probe takes before `fit`.

A defect in the data is a fact of the data: it is reported from the data,
whatever the loss curve does. Missing values (NaN) make the loss NaN on one
CPU and are silently turned into zeros by another (oneDNN's ReLU is a max
that drops NaN), so a diagnosis that waited for a NaN loss would depend on
the machine.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from modeldoctor.diagnose.registry import Band, Decisive, detector, found
from modeldoctor.diagnose.thresholds import Thresholds
from modeldoctor.ftypes import Family, Finding
from modeldoctor.record import ArrayStats, FitRecord, LabelStats, Signal


@dataclass(frozen=True)
class Count:
    """NaN/Inf values of one array (inputs or targets) over the rows the probe checked."""

    side: str  # "input" or "target"
    nonfinite: int
    values: int
    rows: int  # rows holding at least one NaN/Inf
    checked_rows: int

    @property
    def share(self) -> float:
        return self.nonfinite / self.values if self.values else 0.0


def _count(side: str, stats: ArrayStats | LabelStats | None) -> Count | None:
    if stats is None or not stats.nonfinite or not stats.shape:
        return None
    # Records from before `checked_rows` counted over the sampled rows only.
    checked = stats.checked_rows or stats.sampled_rows or stats.shape[0]
    return Count(side, stats.nonfinite, checked * math.prod(stats.shape[1:]), stats.nonfinite_rows, checked)


PIPELINES = {"dataset": "dataset", "pydataset": "PyDataset", "generator": "generator", "dataloader": "DataLoader"}


def _percent(share: float) -> str:
    return f"{share * 100:.2f} %" if share >= 1e-4 else "< 0.01 %"


def _phrase(count: Count) -> str:
    several = count.values > count.checked_rows  # more than one value per row: say how many rows are hit
    rows = f", in {count.rows:,} of {count.checked_rows:,} rows" if count.rows and several else ""
    return f"{count.nonfinite:,} of {count.values:,} {count.side} values ({_percent(count.share)}{rows})"


# Corrupted data ranks first: no setting of the model explains away a NaN in the rows it trains on.
@detector("non-finite-data", Family.LEARNING, rank=(Band.SETUP, 1), weaker=("worst_share", True),
          reads=(Signal.INPUTS,),
          decisive=Decisive("NaN/Inf values in the training data stay there however long it trains"))
def non_finite_data(fit: FitRecord, t: Thresholds) -> Finding | None:
    """Any NaN/Inf in the training inputs or targets: no threshold, one corrupted value is a defect."""
    counts = [c for c in (_count("input", fit.inputs), _count("target", fit.labels)) if c is not None]
    if not counts:
        return None
    where = " and ".join(f"{c.side}s" for c in counts)
    evidence: dict[str, Any] = {"where": where}
    for c in counts:
        evidence.update({f"{c.side}s_nonfinite": c.nonfinite, f"{c.side}s_values": c.values,
                         f"{c.side}s_share": float(f"{c.share:.4g}"), f"{c.side}s_rows": c.rows,
                         f"{c.side}s_checked_rows": c.checked_rows})
    evidence["worst_share"] = float(f"{max(c.share for c in counts):.4g}")
    pipeline = PIPELINES.get(fit.fit_args.data_kind)  # the probe read only the first batch of a pipeline
    evidence["checked"] = f"the first batch of the {pipeline}" if pipeline else "every row"
    verb = "is" if len(counts) == 1 and counts[0].nonfinite == 1 else "are"
    scope = f"the first batch of the training {pipeline}" if pipeline else "the training data"
    message = f"{' and '.join(_phrase(c) for c in counts)} {verb} NaN/Inf in {scope} of fit {fit.index}"
    return found(non_finite_data, message, evidence, 1.0, fit.location, epoch=0, fit=fit.index)
