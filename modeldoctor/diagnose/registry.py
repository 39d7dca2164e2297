"""How detectors are declared and found: a decorator marks a function, a walk collects them.

No hand-kept table: adding a diagnosis is adding a decorated function in a
module of `modeldoctor.diagnose.detectors` (plus its rule file, thresholds
and fixture). Everything else the doctor knows about a finding is declared
once, on its decorator, and read from here by the ranking and the verifier:

    @detector("exploding-gradients", Family.LEARNING,
              causes=("learning-rate-too-high", "unscaled-inputs", "poor-initialization"),
              rank=(Band.GRADIENTS, 1), weaker=("grad_to_weight_median", True))

- `causes`: the findings that can explain this one. When one of them is also
  found, this finding is not primary and lists it in `caused_by`. A `Band`
  stands for every finding ranked in that band, in rank order
  (`causes=(Band.GRADIENTS, Band.SETUP)`).
- `rank`: where the finding sorts among findings of equal standing (the
  ranking sorts primary first, then by severity, then by rank, then by fit).
  It is a band and a position within the band, `(Band.SETUP, 2)`. Bands run
  setup < nan < gradients < curve < generalization < prediction; positions
  are numbers, so a plugin slots in between two detectors with a fraction
  (`(Band.SETUP, 2.5)`) and nobody renumbers. A detector without a rank sorts
  after every ranked one, by name.
- `reads`: the sampled signals the detector needs (`Signal.GRADIENTS`…). A fit
  whose record says a signal was not observed (an input pipeline the probe
  could not take a batch from, a backend error) gets a note in the report
  naming the findings it therefore did not judge.
- `weaker`: the evidence key that says how bad the finding is and whether a
  higher value is worse, `("grad_to_weight_median", True)`; the verifier
  calls a cure "clearly weaker" on it. Without one, a finding that is still
  there after a cure is never clearly weaker.
- `decisive`: when the finding, seen on a fit still training, is settled so
  that the rest of the run could not change the verdict (`Decisive`): the
  live diagnosis (`diagnose.live`) then stops training and says why. A
  finding without it never stops a run: it is judged on the whole curve.

`check_detectors` proves, where the detectors meet the rule catalog, that
every detector has a rule of its own family and names only known causes.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any, Protocol, TypeVar

from modeldoctor.diagnose.series import schedule
from modeldoctor.ftypes import Family, Finding, Severity
from modeldoctor.record import Location, Signal
from modeldoctor.rules import Catalog, RuleError


class Band(str, Enum):
    """Where a finding ranks, coarsely; declaration order is rank order."""

    SETUP = "setup"  # mistakes in how training is set up: they are the cause when they co-occur
    NAN = "nan"
    GRADIENTS = "gradients"
    CURVE = "curve"  # what the loss curve shows
    GENERALIZATION = "generalization"
    PREDICTION = "prediction"


def always(finding: Finding, fit: Any, t: Any) -> bool:
    return True


@dataclass(frozen=True)
class Decisive:
    """When a finding seen part-way is final: it is the primary finding at `held` consecutive epoch ends
    (0: at any look, a sampled step included) and `when(finding, fit, thresholds)` holds.

    `why` is the reason in the report's words: "stopped at epoch 2 of 40: dying-relu was decisive (<why>)".
    """

    why: str
    held: int = 1
    when: Callable[[Finding, Any, Any], bool] = always


# Decisive once the first epoch has shown what they do: the code and the data are as they were at the start.
SETTLED = Decisive("a fact of the code or the data, fixed before training started: the rest of the run cannot "
                   "change it")


def seen_for(samples: int = 0, epochs: int = 0) -> Callable[[Finding, Any, Any], bool]:
    """A `Decisive.when` asking for enough evidence first: this many sampled steps and completed epochs."""

    def enough(finding: Finding, fit: Any, t: Any) -> bool:
        return len(schedule(fit)) >= samples and len(fit.epochs) >= epochs

    return enough


@dataclass(frozen=True)
class DetectorInfo:
    name: str
    family: Family
    needs: str  # "curves": epoch logs only; "run": a probed run; "runs": several seeded runs
    # Judges how training ended ("still falling", "ends high"): meaningless on a fit stopped part-way.
    whole_curve: bool = False
    causes: tuple[str | Band, ...] = ()  # findings (or whole bands) that can explain this one
    rank: tuple[Band, float] | None = None  # band and position within it; None sorts last, by name
    weaker: tuple[str, bool] | None = None  # evidence key of how bad, and whether higher is worse
    reads: tuple[Signal, ...] = ()  # sampled signals it judges from; without them it cannot speak
    decisive: Decisive | None = None  # when a fit still training can stop on it (see `Decisive`)

    def sort_key(self) -> tuple[int, float, str]:
        """The rank as a sort key: band, position, then name (so equal ranks and no rank stay deterministic)."""
        if self.rank is None:
            return (len(Band), 0.0, self.name)
        band, position = self.rank
        return (list(Band).index(band), position, self.name)


DetectorFn = TypeVar("DetectorFn", bound=Callable[..., Any])


class Detector(Protocol):
    """A function marked by `@detector`, as the walk hands it out: callers read its `detector_info` typed."""

    detector_info: DetectorInfo

    def __call__(self, *args: Any, **kwargs: Any) -> Finding | None: ...


def detector(name: str, family: Family, needs: str = "run", whole_curve: bool = False, *,
             causes: Sequence[str | Band] = (), rank: tuple[Band, float] | None = None,
             weaker: tuple[str, bool] | None = None,
             reads: Sequence[Signal] = (),
             decisive: Decisive | None = None) -> Callable[[DetectorFn], DetectorFn]:
    """Mark a detector and declare its finding's facts (see the module docstring)."""
    info = DetectorInfo(name, family, needs, whole_curve, tuple(causes), rank, weaker, tuple(reads), decisive)

    def mark(fn: DetectorFn) -> DetectorFn:
        fn.detector_info = info  # type: ignore[attr-defined]
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
    """The built-in detectors, then those of every plugin module loaded (`[tool.modeldoctor] plugins`)."""
    from modeldoctor import plugins
    from modeldoctor.diagnose import detectors

    found_fns: list[Detector] = []
    builtin = [importlib.import_module(f"{detectors.__name__}.{info.name}")
               for info in sorted(pkgutil.iter_modules(detectors.__path__), key=lambda m: m.name)]
    for module in (*builtin, *plugins.loaded()):
        for value in vars(module).values():
            if callable(value) and hasattr(value, "detector_info") and value not in found_fns:
                found_fns.append(value)
    return found_fns


def infos(detectors: Sequence[Detector] | None = None) -> dict[str, DetectorInfo]:
    """What each finding's detector declares, by finding name (the built-in detectors unless given)."""
    return {d.detector_info.name: d.detector_info for d in (all_detectors() if detectors is None else detectors)}


def expand_causes(info: DetectorInfo, known: dict[str, DetectorInfo]) -> tuple[str, ...]:
    """The finding names that can cause `info`'s finding: bands become their findings in rank order."""
    names: list[str] = []
    for cause in info.causes:
        if isinstance(cause, Band):
            members = sorted((i for i in known.values() if i.rank is not None and i.rank[0] is cause),
                             key=DetectorInfo.sort_key)
            names += [i.name for i in members]
        else:
            names.append(cause)
    return tuple(dict.fromkeys(n for n in names if n != info.name))


def check_detectors(detectors: Sequence[Detector], catalog: Catalog) -> None:
    """Raise RuleError unless every detector has a rule of its own family and names only known causes.

    The message names the detector's module and the rule file, so a plugin
    whose finding has no rule fails here, not later as a finding without a code.
    """
    known = {d.detector_info.name for d in detectors}
    for detect in detectors:
        info = detect.detector_info
        where = f"detector '{info.name}' ({_module_file(detect)})"
        rule = catalog.require(info.name, where)
        if rule.family is not info.family:
            raise RuleError(f"{where} declares family '{info.family.value}' but its rule {rule.path} "
                            f"says '{rule.family.value}'")
        unknown = [c for c in info.causes if not isinstance(c, Band) and c not in known]
        if unknown:
            raise RuleError(f"{where}: unknown cause(s) {', '.join(unknown)}; known findings: "
                            f"{', '.join(sorted(known))}")
        if info.weaker is not None and not (isinstance(info.weaker[0], str) and isinstance(info.weaker[1], bool)):
            raise RuleError(f"{where}: weaker must be (evidence key, higher is worse), got {info.weaker!r}")


def _module_file(fn: Any) -> str:
    try:
        return inspect.getfile(fn)
    except TypeError:
        return str(getattr(fn, "__module__", fn))
