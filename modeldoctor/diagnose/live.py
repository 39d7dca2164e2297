"""Live diagnosis: the detectors on a fit that is still training, and the moment it can stop.

The probe looks at each epoch's end and at each sampled step. A look runs the
same pure detectors as the final diagnosis on the record so far (those that
judge how training *ended* wait for the end) and ranks what they find. Two
things come out of a look:

- suspicions: findings seen for the first time, which the progress display
  shows while training goes on ("dying-relu suspected at epoch 1 ...");
- a decision: the primary finding is decisive by its detector's own
  declaration (`@detector(decisive=Decisive(...))`), so the rest of the run
  could not change the verdict and training stops.

Only the primary finding can decide: while a possible cause of it is still
unconfirmed, or something ranks above it, the run goes on. Pure Python over
the record; nothing here imports Keras, so the child imports it cheaply.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

from modeldoctor.diagnose import STEP_SIGNALS
from modeldoctor.diagnose.ranking import rank
from modeldoctor.diagnose.registry import Detector, all_detectors
from modeldoctor.diagnose.thresholds import Thresholds
from modeldoctor.ftypes import Finding, Severity
from modeldoctor.record import Decision, FitRecord


def live_detectors() -> list[Detector]:
    """The detectors that can speak on a fit part-way: one run's; those judging how the curve ended only
    when they declare how to confirm it part-way (their finding counts only once that holds)."""
    return [d for d in all_detectors()
            if d.detector_info.needs in ("curves", "run")
            and (not d.detector_info.whole_curve or d.detector_info.decisive is not None)]


@dataclass
class Look:
    """What one look at a fit found: every finding, ranked, the new ones, and a decision if one was reached."""

    findings: list[Finding]
    new: list[Finding]
    decision: Decision | None = None


@dataclass
class LiveDiagnosis:
    """The looks at one fit. `stop_on` limits which findings may stop it (a cure trial stops only on the
    finding it treats); `stop=False` watches and never stops (`--full`)."""

    thresholds: Thresholds
    stop: bool = True
    stop_on: Collection[str] | None = None
    streaks: dict[str, int] = field(default_factory=dict)  # consecutive epoch ends each finding was primary
    seen: set[str] = field(default_factory=set)
    severity: dict[str, str] = field(default_factory=dict)  # the rule base's, by finding name: ranks as at the end
    watch: Collection[str] | None = None  # the findings the user selected (None: all): the others are not looked at
    detectors: list[Detector] = field(default_factory=live_detectors)

    def look(self, fit: FitRecord, epoch_end: bool, step: int, last: bool = False) -> Look:
        """`last`: the fit's last epoch just ended; it ends anyway, so nothing is decided."""
        findings = []
        few = step < self.thresholds.judge_min_steps  # as the final diagnosis: too few steps to judge by
        for detect in self.detectors:
            if few and set(detect.detector_info.reads) & STEP_SIGNALS:
                continue
            try:
                finding = detect(fit, self.thresholds)
            except Exception:  # noqa: BLE001 - a detector failing on a partial record must not stop training
                continue
            rule = detect.detector_info.decisive
            if finding is not None and detect.detector_info.whole_curve and rule is not None \
                    and not rule.when(finding, fit, self.thresholds):
                continue  # how the curve ends is not settled yet: neither a suspicion nor a rival to rank
            if finding is not None and self.watch is not None and finding.name not in self.watch:
                continue  # as the report leaves it out: it neither stops the run nor outranks what was selected
            if finding is not None:
                level = self.severity.get(finding.name)
                findings.append(dataclasses.replace(finding, severity=Severity(level)) if level else finding)
        ranked = rank(findings)
        new = [f for f in ranked if f.name not in self.seen]
        self.seen.update(f.name for f in new)
        primary = ranked[0] if ranked and ranked[0].primary else None
        if epoch_end:
            leading = {primary.name} if primary is not None else set()
            self.streaks = {name: self.streaks.get(name, 0) + 1 for name in leading}
        return Look(ranked, new, None if last else self._decide(primary, fit, epoch_end, step))

    def _decide(self, primary: Finding | None, fit: FitRecord, epoch_end: bool, step: int) -> Decision | None:
        if not self.stop or primary is None:
            return None
        if self.stop_on is not None and primary.name not in self.stop_on:
            return None
        info = next((d.detector_info for d in self.detectors if d.detector_info.name == primary.name), None)
        rule = info.decisive if info is not None else None
        if rule is None or info is None:
            return None
        if info.whole_curve and self.stop_on is not None:
            # A cure trial is judged on how far its finding weakened by the end; a projection says only
            # that the finding will still be there, so it never cuts a trial short.
            return None
        held = self.streaks.get(primary.name, 0)
        if rule.held > 0 and (held < rule.held or not epoch_end):
            return None
        if not rule.when(primary, fit, self.thresholds):
            return None
        return Decision(finding=primary.name, why=rule.why, message=primary.message, epoch=len(fit.epochs),
                        step=step)


@dataclass(frozen=True)
class LiveSettings:
    """What the doctor tells the probe (as JSON in MODELDOCTOR_LIVE): stop or only watch, on which findings,
    with the thresholds and rule severities the final diagnosis will use (so the two rank alike)."""

    stop: bool = True
    stop_on: tuple[str, ...] | None = None
    thresholds: dict[str, float] = field(default_factory=dict, hash=False)
    severity: dict[str, str] = field(default_factory=dict, hash=False)
    watch: tuple[str, ...] | None = None  # the findings the user selected (None: all)

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self))

    @staticmethod
    def from_json(text: str) -> LiveSettings:
        data = json.loads(text)
        stop_on, watch = data.get("stop_on"), data.get("watch")
        return LiveSettings(stop=bool(data.get("stop", True)), stop_on=tuple(stop_on) if stop_on is not None else None,
                            thresholds=dict(data.get("thresholds") or {}), severity=dict(data.get("severity") or {}),
                            watch=tuple(watch) if watch is not None else None)

    def diagnosis(self) -> LiveDiagnosis:
        return LiveDiagnosis(Thresholds().with_overrides(self.thresholds), self.stop, self.stop_on,
                             severity=self.severity, watch=self.watch)


def settings_for(thresholds: Thresholds, catalog: Any, stop: bool, stop_on: tuple[str, ...] | None = None,
                 watch: tuple[str, ...] | None = None) -> LiveSettings:
    """The live settings of a diagnosis judged with these thresholds and this rule base."""
    severity = {rule.name: rule.severity.value for rule in catalog.rules}
    return LiveSettings(stop, stop_on, dataclasses.asdict(thresholds), severity, watch)
