"""The doctor's value types: findings and the closed sets they use.

Every dataclass and enum shared across diagnose, rules, transforms and
reports lives here, so no module needs another's internals to talk about a
finding. Run-record types live in `record.py` (they are also the probe's).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from modeldoctor.record import Location, RunRecord


class Family(str, Enum):
    LEARNING = "learning"
    GENERALIZATION = "generalization"
    PREDICTION = "prediction"
    LEGACY = "legacy"  # not a training problem: Keras 2 spellings that Keras 3 removed or changed


class Severity(str, Enum):
    ERROR = "error"  # training is broken: the result is not usable
    WARNING = "warning"  # training works, but badly
    INFO = "info"  # worth a look


class Applicability(str, Enum):
    SAFE = "safe"  # cannot change what the trained model computes
    UNSAFE = "unsafe"  # changes training (most cures): needs --unsafe-fixes
    DISPLAY_ONLY = "display-only"  # advice; no edit can be applied


class Scope(str, Enum):
    """What a report's diagnosis looked at: only a whole run can be called healthy."""

    RUN = "run"  # every fit was observed to its end
    PARTIAL = "partial"  # training was stopped or crashed: diagnosed on the epochs recorded
    HISTORY = "history"  # a saved history: curves only
    SOURCE = "source"  # source checks only: no training was run


@dataclass(frozen=True)
class Finding:
    """One diagnosis. `code` is filled from the rule base; `evidence` holds the numbers."""

    name: str
    family: Family
    severity: Severity
    confidence: float
    message: str
    evidence: dict[str, Any] = field(default_factory=dict)
    location: Location | None = None
    layer: str | None = None
    epoch: int | None = None  # 0-based epoch where the problem is first visible
    code: str = ""
    fit: int = 0
    primary: bool = True
    caused_by: tuple[str, ...] = ()


@dataclass(frozen=True)
class Explanation:
    """The rule's doc, in ruff's sections; one text feeds `explain`, JSON, SARIF and HTML."""

    what: str
    why: str
    example: str
    fix_safety: str
    references: tuple[str, ...] = ()


@dataclass(frozen=True)
class Cure:
    """One way to treat a finding: a transform and its parameters, or advice."""

    transform: str | None
    applicability: Applicability
    rationale: str
    params: dict[str, Any] = field(default_factory=dict)
    # display-only cures: a complete Keras 3 example of the advice (shown by `explain` and in reports)
    example: str = ""


@dataclass(frozen=True)
class Example:
    """Source before and after a cure: run as a test, shown by `explain`.

    `params` overrides the cure's parameters (e.g. an absolute learning rate
    where the cure gives a factor that a real run would resolve).
    """

    title: str
    before: str
    after: str
    cure: int = 0
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Rule:
    code: str
    name: str
    family: Family
    severity: Severity
    summary: str
    explanation: Explanation
    cures: tuple[Cure, ...] = ()
    examples: tuple[Example, ...] = ()
    path: str = ""
    # The legacy API a migration rule finds (its `[legacy]` table: `kind` and what the kind's
    # finder and cure read); None for the other rules. See modeldoctor/static/legacy/.
    legacy: dict[str, Any] | None = None
    # In the default set (reported without --select). Advice that well-written code may lack on purpose
    # (`no-validation-data`, `no-early-stopping`) is opt-in, as linters keep such rules out of their defaults.
    default: bool = True


@dataclass(frozen=True)
class Target:
    """A node the run record located: 1-based line, 0-based column of the call's start."""

    kind: str  # layer | optimizer | compile | fit | model
    line: int
    column: int
    name: str | None = None
    class_name: str | None = None


@dataclass(frozen=True)
class Prescription:
    """A cure chosen for a finding in this script, with resolved parameters and targets."""

    finding: Finding
    rule: Rule
    cure: Cure
    params: dict[str, Any] = field(default_factory=dict)
    targets: tuple[Target, ...] = ()
    applied: bool = False
    declined: str | None = None  # why the transform could not apply
    edits: tuple[str, ...] = ()


@dataclass(frozen=True)
class Measure:
    """The target metric over seeds: final validation loss, or the validation metric if there is one."""

    name: str
    higher_is_better: bool
    values: tuple[float, ...]
    # per seed, the target after each epoch: the before/after curves of a trial (values hold the kept model's)
    curves: tuple[tuple[float, ...], ...] = ()

    @property
    def mean(self) -> float:
        finite = [v for v in self.values if v == v and abs(v) != float("inf")]
        if len(finite) < len(self.values) or not finite:
            return float("-inf") if self.higher_is_better else float("inf")
        return sum(finite) / len(finite)

    @property
    def spread(self) -> float:
        finite = [v for v in self.values if v == v and abs(v) != float("inf")]
        if len(finite) < 2:
            return 0.0
        mean = sum(finite) / len(finite)
        return (sum((v - mean) ** 2 for v in finite) / (len(finite) - 1)) ** 0.5


@dataclass(frozen=True)
class Trial:
    """One cure tried on a temporary copy under several seeds, and the verdict."""

    code: str
    finding: str
    transform: str
    params: dict[str, Any]
    verdict: str  # accepted | rejected | failed | declined
    reason: str
    before: Measure
    after: Measure | None = None
    evidence_before: dict[str, Any] = field(default_factory=dict)
    evidence_after: dict[str, Any] | None = None  # None: the finding is gone
    seeds: tuple[int, ...] = ()
    wall_time: float = 0.0
    edits: tuple[str, ...] = ()
    round: int = 1
    # the measure the finding is about (overfitting: the kept model's val_loss), before and after; `before`
    # and `after` above are the task metric. None: the finding has no such measure, or the cure did not run
    measure_before: Measure | None = None
    measure_after: Measure | None = None


@dataclass(frozen=True)
class Report:
    """Everything a report shows; every output format renders this one value."""

    script: str
    runs: tuple[RunRecord, ...] = ()
    findings: tuple[Finding, ...] = ()
    rules: dict[str, Rule] = field(default_factory=dict)  # code -> rule, for every finding
    prescriptions: tuple[Prescription, ...] = ()
    diff: str = ""
    notes: tuple[str, ...] = ()  # e.g. what could not be judged from a history alone
    trials: tuple[Trial, ...] = ()  # fix --verify: every cure tried, accepted or rejected
    scope: Scope = Scope.RUN
    partial: tuple[str, ...] = ()  # per run that stopped early: `fit 1 (train.py:21) stopped after epoch 3 of 20: …`
