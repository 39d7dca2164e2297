"""What every report format shows, computed once: order, places, cures, counts, numbers.

The renderers (text, HTML, Markdown, SARIF, GitHub) only lay these values
out, so they agree on which finding comes first, which cure is prescribed
and how a number is written.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from modeldoctor.ftypes import Family, Finding, Measure, Prescription, Report, Scope, Severity
from modeldoctor.record import FitRecord, Location

SourceLines = Callable[[str], list[str]]

FAMILY_TITLES = {
    Family.LEARNING: "Learning",
    Family.GENERALIZATION: "Generalization",
    Family.PREDICTION: "Prediction",
    Family.LEGACY: "Legacy code",
}
FAMILY_BLURBS = {
    Family.LEARNING: "the model cannot fit the training data, or fits it slowly",
    Family.GENERALIZATION: "it fits the training data but not held-out data",
    Family.PREDICTION: "the final model varies a lot from run to run",
    Family.LEGACY: "Keras 2 spellings that Keras 3 removed or changed: the script stops, or trains differently",
}
SEVERITY_ORDER = (Severity.ERROR, Severity.WARNING, Severity.INFO)


# -- places -----------------------------------------------------------------


def display_path(path: str, base: Path | None = None) -> str:
    """A path as people and CI tools want it: relative to the working folder when inside it."""
    if not os.path.isabs(path):
        return path.replace(os.sep, "/")
    root = str(base or Path.cwd())
    if path.startswith(root.rstrip(os.sep) + os.sep):
        return os.path.relpath(path, root).replace(os.sep, "/")
    return path


def fit_of(report: Report, finding: Finding) -> FitRecord | None:
    for run in report.runs:
        if 0 <= finding.fit < len(run.fits):
            return run.fits[finding.fit]
    return None


def where(report: Report, finding: Finding) -> Location | None:
    """The finding's own place, else its fit call's (e.g. a curve finding), else nothing."""
    if finding.location is not None:
        return finding.location
    fit = fit_of(report, finding)
    return fit.location if fit is not None else None


def place(location: Location | None) -> str:
    """`path:line:col`, 1-based, for people."""
    if location is None:
        return ""
    cell = f"cell {location.cell}:" if location.cell is not None else ""  # a notebook's: ruff's spelling
    return f"{display_path(location.path)}:{cell}{location.line}:{location.column + 1}"


class Sources:
    """Lines of the user's files, read once; a file that cannot be read has no lines."""

    def __init__(self, source_lines: SourceLines | None = None) -> None:
        self._read = source_lines or _read_lines
        self._cache: dict[str, list[str]] = {}

    def line(self, location: Location | None) -> str | None:
        if location is None:
            return None
        key = location.path if location.cell is None else f"{location.path}\0{location.cell}"
        if key not in self._cache:
            try:
                self._cache[key] = list(self._read(location.path) if location.cell is None
                                        else _cell_lines(location.path, location.cell))
            except (OSError, UnicodeDecodeError, ValueError):
                self._cache[key] = []
        lines = self._cache[key]
        if not 1 <= location.line <= len(lines):
            return None
        return lines[location.line - 1].rstrip().expandtabs(4)


def _read_lines(path: str) -> list[str]:
    return Path(path).read_text(encoding="utf-8").splitlines()


def _cell_lines(path: str, cell: int) -> list[str]:
    from modeldoctor.notebook import virtual_script

    return (virtual_script(path).cell_source(cell) or "").splitlines()


# -- order and words ----------------------------------------------------------


def grouped(findings: Sequence[Finding]) -> list[tuple[Family, list[Finding]]]:
    """Findings by family: the family of the first (most primary) finding first, primaries first inside."""
    groups: dict[Family, list[Finding]] = {}
    for finding in findings:
        groups.setdefault(finding.family, []).append(finding)
    return [(family, sorted(items, key=lambda f: not f.primary)) for family, items in groups.items()]


def rule_label(report: Report, name: str) -> str:
    """`MD102 exploding-gradients` for a finding name, or the bare name when no rule is known."""
    for rule in report.rules.values():
        if rule.name == name:
            return f"{rule.code} {rule.name}"
    return name


def title(finding: Finding) -> str:
    return f"{finding.code} {finding.name}".strip()


def plural(count: int, word: str) -> str:
    if word == "info":
        return f"{count} info"
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def severity_counts(findings: Sequence[Finding]) -> list[tuple[Severity, int]]:
    return [(s, n) for s in SEVERITY_ORDER if (n := sum(1 for f in findings if f.severity is s))]


def summary_line(report: Report) -> str:
    """`3 findings (1 error, 2 warnings) in train.py`, or what "no findings" covers: healthy only for a whole run."""
    script = display_path(report.script)
    if report.findings:
        counts = ", ".join(plural(n, s.value) for s, n in severity_counts(report.findings))
        line = f"{plural(len(report.findings), 'finding')} ({counts}) in {script}"
        return line + (" (partial run: diagnosed on the epochs recorded)" if report.scope is Scope.PARTIAL else "")
    if report.scope is Scope.PARTIAL:
        return (f"no findings in the epochs recorded of {script}, but training stopped early: "
                "too little was observed to call it healthy")
    if report.scope is Scope.SOURCE:
        return f"no findings in {script} (source checks only: no training was run)"
    if report.scope is Scope.HISTORY:
        return f"no findings in {script}: the curves look healthy (a history holds no gradients or activations)"
    if any("too few to judge" in note or note.startswith("not judged") for note in report.notes):
        return f"no findings in {script} in what could be judged (the notes say what could not)"
    return f"no findings in {script}: training looks healthy"


def healthy(report: Report) -> bool:
    """Nothing found in training that was observed whole: the only case the word "healthy" is used for."""
    return not report.findings and report.scope is Scope.RUN


def run_notes(report: Report) -> list[str]:
    """Partial runs first, the report's own notes, then any run that did not end normally."""
    notes = [f"partial: {text}" for text in report.partial]
    notes += list(report.notes)
    for i, run in enumerate(report.runs):
        if report.partial:
            break  # the partial lines already say how each run ended
        if run.exit.status != "ok":
            what = run.exit.exception_type or run.exit.status
            message = f": {run.exit.message}" if run.exit.message else ""
            notes.append(f"run {i + 1} ended with {what}{message}")
    return notes


# -- cures --------------------------------------------------------------------


@dataclass(frozen=True)
class CureView:
    rationale: str
    transform: str | None
    call: str  # e.g. gradient_clipping(clipnorm=1.0)
    applicability: str
    status: str  # applied | declined | prescribed | suggested
    declined: str | None = None
    edits: tuple[str, ...] = ()


def prescription_for(report: Report, finding: Finding) -> Prescription | None:
    for p in report.prescriptions:
        if p.finding == finding:
            return p
    key = (finding.name, finding.fit, finding.layer)
    return next((p for p in report.prescriptions if (p.finding.name, p.finding.fit, p.finding.layer) == key), None)


def cure_for(report: Report, finding: Finding) -> CureView | None:
    """The matching prescription, else the rule's first cure as a suggestion."""
    p = prescription_for(report, finding)
    if p is not None:
        status = "applied" if p.applied else "declined" if p.declined else "prescribed"
        params = p.params or p.cure.params
        return CureView(p.cure.rationale, p.cure.transform, call(p.cure.transform, params),
                        p.cure.applicability.value, status, p.declined, tuple(p.edits))
    rule = report.rules.get(finding.code)
    if rule is None or not rule.cures:
        return None
    cure = rule.cures[0]
    return CureView(cure.rationale, cure.transform, call(cure.transform, cure.params),
                    cure.applicability.value, "suggested")


@dataclass(frozen=True)
class Advice:
    """A display-only cure with a complete code example: what a practitioner would do by hand."""

    rationale: str
    example: str


def advice_for(report: Report, finding: Finding) -> tuple[Advice, ...]:
    """The display-only cures of the finding's rule that come with code (transfer learning, ensembles...)."""
    rule = report.rules.get(finding.code)
    return tuple(Advice(c.rationale, c.example.strip()) for c in (rule.cures if rule else ()) if c.example)


def call(transform: str | None, params: dict[str, Any]) -> str:
    if transform is None:
        return "advice only"
    args = ", ".join(f"{k}={_short(v)}" for k, v in params.items())
    return f"{transform}({args})"


def _short(value: Any, limit: int = 60) -> str:
    """A parameter as the report shows it: a migration rule's whole table (`modules={...13 entries}`) is
    its rule file's business (`explain` prints it); the report names it."""
    text = repr(value)
    if len(text) <= limit or not isinstance(value, dict | list):
        return text
    n = len(value)
    return f"{{…{n} {'entry' if n == 1 else 'entries'}}}" if isinstance(value, dict) else f"[…{n} item{'s' * (n != 1)}]"


# -- numbers ------------------------------------------------------------------


def fmt_number(value: float | int | None) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int):
        return str(value)
    if math.isnan(value):
        return "nan"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    return f"{value:.4g}"


def fmt_value(value: Any) -> str:
    if value is None or isinstance(value, (int, float)):
        return fmt_number(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(fmt_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {fmt_value(v)}" for k, v in value.items()) + "}"
    return str(value)


def evidence_items(finding: Finding) -> list[tuple[str, str]]:
    return [(str(k), fmt_value(v)) for k, v in finding.evidence.items()]


def confidence(finding: Finding) -> str:
    return f"{finding.confidence:.0%}"


def diff_lines(diff: str) -> list[tuple[str, str]]:
    """Each line of a unified diff with its kind: add, del, hunk, file or context."""
    kinds = []
    for line in diff.splitlines():
        if line.startswith(("+++", "---")):
            kind = "file"
        elif line.startswith("@@"):
            kind = "hunk"
        elif line.startswith("+"):
            kind = "add"
        elif line.startswith("-"):
            kind = "del"
        else:
            kind = "context"
        kinds.append((kind, line))
    return kinds


def diff_stat(diff: str) -> tuple[int, int]:
    kinds = [kind for kind, _ in diff_lines(diff)]
    return kinds.count("add"), kinds.count("del")



# -- cures tried (fix --verify) ---------------------------------------------------


@dataclass(frozen=True)
class TrialView:
    round: int
    title: str
    call: str
    verdict: str  # accepted | rejected | failed | declined
    before: str
    after: str
    reason: str
    seeds: int
    wall_time: str


def measure_text(measure: Measure | None) -> str:
    if measure is None:
        return "-"
    spread = f"{measure.spread:.2g}" if math.isfinite(measure.spread) else fmt_number(measure.spread)
    return f"{measure.name} {fmt_number(measure.mean)} ± {spread}"


def trial_line(t: TrialView) -> str:
    """One trial on one line: the stderr table of `fix --verify`, the text report, CI logs."""
    ran = f", {t.seeds} seeds, {t.wall_time}" if t.verdict != "declined" else ""
    return f"{t.title} → {t.call}: {t.verdict.upper()} ({t.before} → {t.after}{ran}): {t.reason}"


def measures_text(finding: Measure | None, target: Measure | None) -> str:
    """The finding's own measure (when it is not the task metric itself), then the task metric."""
    if target is None or finding is None or finding.name == target.name:
        return measure_text(target)
    return f"{measure_text(finding)}; {measure_text(target)}"


def trial_views(report: Report) -> list[TrialView]:
    return [TrialView(t.round, f"{t.code} {t.finding}".strip(), call(t.transform or None, t.params), t.verdict,
                      measures_text(t.measure_before, t.before), measures_text(t.measure_after, t.after), t.reason,
                      len(t.seeds), f"{t.wall_time:.0f} s")
            for t in report.trials]


def fit_facts(report: Report, finding: Finding) -> list[str]:
    """"fit N" means something only when there was a run (not for static findings)."""
    return [f"fit {finding.fit + 1}"] if report.runs else []
