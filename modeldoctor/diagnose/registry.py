"""How detectors are declared and found: a decorator marks a function, a walk collects them.

No hand-kept table: adding a diagnosis is adding a decorated function in a
module of `modeldoctor.diagnose.detectors` (plus its rule file and fixture).
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from modeldoctor.ftypes import Family, Finding, Severity
from modeldoctor.record import Location


@dataclass(frozen=True)
class DetectorInfo:
    name: str
    family: Family
    needs: str  # "curves": epoch logs only; "run": a probed run; "runs": several seeded runs
    # Judges how training ended ("still falling", "ends high"): meaningless on a fit stopped part-way.
    whole_curve: bool = False


DetectorFn = TypeVar("DetectorFn", bound=Callable[..., Any])


class Detector(Protocol):
    """A function marked by `@detector`, as the walk hands it out: callers read its `detector_info` typed."""

    detector_info: DetectorInfo

    def __call__(self, *args: Any, **kwargs: Any) -> Finding | None: ...


def detector(name: str, family: Family, needs: str = "run",
             whole_curve: bool = False) -> Callable[[DetectorFn], DetectorFn]:
    def mark(fn: DetectorFn) -> DetectorFn:
        fn.detector_info = DetectorInfo(name, family, needs, whole_curve)  # type: ignore[attr-defined]
        return fn

    return mark


def found(
    fn_or_info: Any,
    message: str,
    evidence: dict[str, Any],
    confidence: float = 0.9,
    location: Location | None = None,
    layer: str | None = None,
    epoch: int | None = None,
    fit: int = 0,
) -> Finding:
    """A finding from a detector; code and severity are stamped from the rule base later."""
    info: DetectorInfo = getattr(fn_or_info, "detector_info", fn_or_info)
    return Finding(
        name=info.name,
        family=info.family,
        severity=Severity.WARNING,
        confidence=confidence,
        message=message,
        evidence=evidence,
        location=location,
        layer=layer,
        epoch=epoch,
        fit=fit,
    )


def all_detectors() -> list[Detector]:
    from modeldoctor.diagnose import detectors

    found_fns: list[Detector] = []
    for info in sorted(pkgutil.iter_modules(detectors.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{detectors.__name__}.{info.name}")
        for value in vars(module).values():
            if callable(value) and hasattr(value, "detector_info") and value not in found_fns:
                found_fns.append(value)
    return found_fns
