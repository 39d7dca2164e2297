"""The numbers the static checks compare against, each with its reason.

They share `[tool.modeldoctor.thresholds]` with the run-time detectors
(`modeldoctor.diagnose.thresholds`); names are distinct, so the CLI validates
the table against the union of both sets of names.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


def _t(default: float, reason: str) -> Any:
    return field(default=default, metadata={"reason": reason})


@dataclass(frozen=True)
class StaticThresholds:
    saturating_stack_min: float = _t(4, "at least 4 consecutive sigmoid/tanh hidden layers (vanishing-gradient risk)")
    dropout_rate_max: float = _t(0.5, "a Dropout rate above 0.5 drops most units (Srivastava et al. use 0.5 at most)")
    no_early_stopping_epochs: float = _t(50, "fit for 50 epochs or more with no EarlyStopping callback")

    @classmethod
    def names(cls) -> frozenset[str]:
        return frozenset(f.name for f in dataclasses.fields(cls))

    @classmethod
    def from_overrides(cls, overrides: Mapping[str, Any] | None) -> StaticThresholds:
        """Take the keys this class knows from the shared table; the CLI reports unknown ones."""
        mine = {k: float(v) for k, v in (overrides or {}).items() if k in cls.names()}
        return cls(**mine)

    @staticmethod
    def reasons() -> dict[str, str]:
        return {f.name: f.metadata["reason"] for f in dataclasses.fields(StaticThresholds)}
