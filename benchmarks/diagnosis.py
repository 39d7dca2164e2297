"""Diagnosis quality over fixtures/ and the independent corpus (fixtures/corpus/): accuracy, recall, false alarms.

Each labelled script is run under the probe (`runs` times with different seeds
when its label says so) and diagnosed from its run records, as `check` does.
Per family it prints

- primary-finding accuracy: the labelled finding is the first one reported;
- any-mention recall: the labelled finding is reported at all;
- healthy false-alarm rate: a healthy control got any finding;

then a confusion table (labelled problem x primary finding reported), and the
figures separately for the project's own fixtures (the detectors were first
calibrated on them), corpus half A (where thresholds are set) and corpus half
B (held out: the honest figure). Finally the time to diagnosis on fixtures/.

    python benchmarks/diagnosis.py                      # everything (about 10 minutes on 2 cores)
    python benchmarks/diagnosis.py --records /tmp/rec   # keep run records; a second call re-diagnoses them
    python benchmarks/diagnosis.py --only corpus        # the corpus only
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import sys
import time
import tomllib
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from modeldoctor import record as rec  # noqa: E402
from modeldoctor.checkup import run_records  # noqa: E402
from modeldoctor.diagnose import diagnose_runs  # noqa: E402
from modeldoctor.diagnose.thresholds import Thresholds  # noqa: E402
from modeldoctor.record import RunRecord  # noqa: E402
from modeldoctor.rules import load_catalog  # noqa: E402
from modeldoctor.run.runner import RunOptions  # noqa: E402
from modeldoctor.run.triage import CannotDiagnose  # noqa: E402

FIXTURES = ROOT / "fixtures"
CORPUS = FIXTURES / "corpus"
HEALTHY = "healthy"


@dataclass(frozen=True)
class Case:
    """One labelled script: where it lives, what it should get, and which group it counts in."""

    path: Path
    group: str  # "fixtures", "corpus A" or "corpus B"
    label: str | None  # the primary finding expected; None for a healthy control
    runs: int = 1


@dataclass(frozen=True)
class Outcome:
    case: Case
    names: tuple[str, ...]  # findings reported, ranked
    wall: float
    records: tuple[RunRecord, ...]

    @property
    def primary(self) -> str | None:
        return self.names[0] if self.names else None


def cases(only: str) -> list[Case]:
    found: list[Case] = []
    sources = [("fixtures", FIXTURES), ("corpus", CORPUS)]
    for name, folder in sources:
        if only not in ("all", name):
            continue
        labels = tomllib.loads((folder / "labels.toml").read_text())
        for relative, value in labels["healthy"].items():
            group = f"corpus {value['half']}" if name == "corpus" else name
            found.append(Case(folder / relative, group, None))
        for relative, value in labels["problems"].items():
            group = f"corpus {value['half']}" if name == "corpus" else name
            found.append(Case(folder / relative, group, value["primary"], value.get("runs", 1)))
    return sorted(found, key=lambda c: (c.group, str(c.path)))


def records_for(case: Case, keep: Path | None) -> list[RunRecord]:
    """Run the case (or read the records a previous call kept in `keep`, unless the script changed since)."""
    slug = str(case.path.relative_to(FIXTURES)).replace("/", "__").removesuffix(".py")
    saved = [keep / f"{slug}.{i}.json" for i in range(case.runs)] if keep else []
    if saved and all(p.exists() for p in saved):
        kept = [rec.load(p) for p in saved]
        digest = hashlib.sha256(case.path.read_bytes()).hexdigest()
        if all(record.script_sha256 == digest for record in kept):
            return kept
    records = run_records(case.path, [], RunOptions(quiet=True, timeout=300), case.runs)
    for record, path in zip(records, saved):
        rec.save(record, path)
    return records


def prefix(record: RunRecord, epochs: int) -> RunRecord:
    """The record as it stood after `epochs` epochs of its last fit."""
    fits = []
    for fit in record.fits:
        fits.append(dataclasses.replace(
            fit,
            epochs=fit.epochs[:epochs],
            samples=[s for s in fit.samples if s.epoch < epochs],
            batch_losses=[b for b in fit.batch_losses if b.epoch < epochs],
            stopped_on_nan=fit.stopped_on_nan and (fit.nan_epoch or 0) < epochs,
        ))
    return dataclasses.replace(record, fits=fits)


def family_of(label: str | None) -> str:
    return HEALTHY if label is None else load_catalog().require(label, "label").family.value


def ratio(hits: int, total: int) -> str:
    return f"{hits}/{total} = {hits / total:5.1%}" if total else "-"


def summary(outcomes: Sequence[Outcome], title: str) -> None:
    """Per family: primary accuracy and any-mention recall of problems; false alarms of healthy controls."""
    print(f"\n{title}")
    print(f"{'family':16} {'primary accuracy':>22} {'any-mention recall':>22} {'healthy false alarms':>22}")
    by_family: dict[str, list[Outcome]] = defaultdict(list)
    for outcome in outcomes:
        by_family[family_of(outcome.case.label)].append(outcome)
    problems = [o for o in outcomes if o.case.label is not None]
    healthy = [o for o in outcomes if o.case.label is None]
    for family in sorted(by_family):
        group = by_family[family]
        if family == HEALTHY:
            alarms = sum(1 for o in group if o.names)
            print(f"{family:16} {'':>22} {'':>22} {ratio(alarms, len(group)):>22}")
            continue
        right = sum(1 for o in group if o.primary == o.case.label)
        mentioned = sum(1 for o in group if o.case.label in o.names)
        print(f"{family:16} {ratio(right, len(group)):>22} {ratio(mentioned, len(group)):>22} {'':>22}")
    right = sum(1 for o in problems if o.primary == o.case.label)
    mentioned = sum(1 for o in problems if o.case.label in o.names)
    alarms = sum(1 for o in healthy if o.names)
    print(f"{'all':16} {ratio(right, len(problems)):>22} {ratio(mentioned, len(problems)):>22} "
          f"{ratio(alarms, len(healthy)):>22}")


def confusion(outcomes: Sequence[Outcome]) -> None:
    """Rows: the labelled problem (or healthy); columns: the primary finding reported (or none)."""
    table: dict[str, Counter[str]] = defaultdict(Counter)
    for outcome in outcomes:
        table[outcome.case.label or "(healthy)"][outcome.primary or "(none)"] += 1
    print("\nconfusion: labelled problem (rows) x primary finding reported; the diagonal is right")
    for label in sorted(table):
        cells = ", ".join(f"{name} {count}" + (" ✓" if name == label or (name, label) == ("(none)", "(healthy)")
                                               else "")
                          for name, count in table[label].most_common())
        print(f"  {label:26} {cells}")


def timing(outcomes: Sequence[Outcome]) -> None:
    """Time to diagnosis: the first epoch whose recorded prefix already gives the expected primary finding."""
    catalog, thresholds = load_catalog(), Thresholds()
    print("\ntime to diagnosis on fixtures/ (first epoch whose prefix already gives the expected primary finding)")
    for outcome in outcomes:
        label, records = outcome.case.label, outcome.records
        if label is None or outcome.case.group != "fixtures":
            continue
        if not records:
            continue
        if outcome.case.runs > 1:
            print(f"  {label:28} needs several runs")
            continue
        total = len(records[0].fits[-1].epochs) if records[0].fits else 0
        when = "not reached"
        for epoch in range(1, total + 1):
            early = diagnose_runs([prefix(records[0], epoch)], thresholds, catalog)
            if early and early[0].name == label:
                when = f"epoch {epoch} of {total} ({epoch / total:.0%} of training)"
                break
        print(f"  {label:28} {when}")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", choices=("all", "fixtures", "corpus"), default="all")
    parser.add_argument("--records", type=Path, help="keep run records here; later calls re-diagnose them")
    args = parser.parse_args(argv)
    if args.records:
        args.records.mkdir(parents=True, exist_ok=True)
    catalog, thresholds = load_catalog(), Thresholds()
    outcomes = []
    for case in cases(args.only):
        started = time.perf_counter()
        names: tuple[str, ...]
        try:
            records = records_for(case, args.records)
        except CannotDiagnose as exc:
            print(f"{case.group:9} {str(case.path.relative_to(FIXTURES)):68} could not diagnose: {exc}", flush=True)
            records, names = [], ("(could not diagnose)",)
        else:
            names = tuple(f.name for f in diagnose_runs(records, thresholds, catalog))
        outcome = Outcome(case, names, time.perf_counter() - started, tuple(records))
        outcomes.append(outcome)
        mark = "ok" if outcome.primary == case.label else "MISS"
        print(f"{case.group:9} {str(case.path.relative_to(FIXTURES)):68} expected {case.label or '-':24} "
              f"got {', '.join(names) or '-':50} {mark:4} {outcome.wall:5.1f} s", flush=True)
    for group in sorted({o.case.group for o in outcomes}):
        summary([o for o in outcomes if o.case.group == group], group)
    corpus = [o for o in outcomes if o.case.group.startswith("corpus")]
    if corpus:
        summary(corpus, "corpus, both halves")
    summary(outcomes, "everything")
    confusion(outcomes)
    timing(outcomes)


if __name__ == "__main__":
    main()
