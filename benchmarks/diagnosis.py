"""Diagnosis quality over fixtures/: per-finding precision and recall, and time to diagnosis.

Each fixture in fixtures/labels.toml is run once under the probe. A finding
counts as predicted for a fixture when it is the *primary* finding reported;
expected when it is the fixture's label. Healthy fixtures count as negatives
for every finding. Time to diagnosis: the first epoch after which the
recorded prefix of the run already yields the expected primary finding.

    python benchmarks/diagnosis.py
"""

from __future__ import annotations

import dataclasses
import sys
import time
import tomllib
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from modeldoctor.checkup import run_records  # noqa: E402
from modeldoctor.diagnose import diagnose_runs  # noqa: E402
from modeldoctor.diagnose.thresholds import Thresholds  # noqa: E402
from modeldoctor.record import RunRecord  # noqa: E402
from modeldoctor.rules import load_catalog  # noqa: E402
from modeldoctor.run.runner import RunOptions  # noqa: E402


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


def main() -> None:
    labels = tomllib.loads((ROOT / "fixtures" / "labels.toml").read_text())
    catalog, thresholds = load_catalog(), Thresholds()
    expected: dict[str, str | None] = {k: None for k in labels["healthy"]}
    expected.update({k: v["primary"] for k, v in labels["problems"].items()})
    runs = {k: v.get("runs", 1) for k, v in labels["problems"].items()}
    tp, fp, fn = Counter(), Counter(), Counter()
    timing = []
    for relative, label in sorted(expected.items()):
        started = time.perf_counter()
        records = run_records(ROOT / "fixtures" / relative, [], RunOptions(quiet=True, timeout=300),
                              runs.get(relative, 1))
        findings = diagnose_runs(records, thresholds, catalog)
        primary = findings[0].name if findings else None
        wall = time.perf_counter() - started
        if primary == label and label is not None:
            tp[label] += 1
        else:
            if primary is not None:
                fp[primary] += 1
            if label is not None:
                fn[label] += 1
        known_at = None
        if label is not None and runs.get(relative, 1) == 1:
            total = len(records[0].fits[-1].epochs)
            for epoch in range(1, total + 1):
                early = diagnose_runs([prefix(records[0], epoch)], thresholds, catalog)
                if early and early[0].name == label:
                    known_at = (epoch, total)
                    break
        timing.append((relative, label, primary, known_at, wall))
        print(f"{relative:55} expected {label or '-':26} got {primary or '-':26} {wall:5.1f} s", flush=True)

    print("\nper-finding precision and recall (primary finding)")
    print(f"{'finding':28} {'precision':>9} {'recall':>7}")
    for name in sorted(set(tp) | set(fp) | set(fn)):
        p = tp[name] / (tp[name] + fp[name]) if tp[name] + fp[name] else float("nan")
        r = tp[name] / (tp[name] + fn[name]) if tp[name] + fn[name] else float("nan")
        print(f"{name:28} {p:9.2f} {r:7.2f}")
    total_tp, total_fp, total_fn = sum(tp.values()), sum(fp.values()), sum(fn.values())
    print(f"{'overall':28} {total_tp / max(total_tp + total_fp, 1):9.2f} {total_tp / max(total_tp + total_fn, 1):7.2f}")
    print("\ntime to diagnosis (first epoch whose prefix already gives the expected primary finding)")
    for relative, label, _, known_at, _ in timing:
        if label is not None:
            when = f"epoch {known_at[0]} of {known_at[1]} ({known_at[0] / known_at[1]:.0%} of training)" if known_at \
                else "needs several runs" if runs.get(relative, 1) > 1 else "not reached"
            print(f"  {label:28} {when}")


if __name__ == "__main__":
    main()
