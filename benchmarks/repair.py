"""Repair success over the buggy fixtures with `fix --verify`.

For each problem fixture: verify cures (2 seeds by default, more for a
fixture labelled with several runs), and report whether the labelled
finding was repaired (gone and the target not worse), the change of the
target metric (signed so that positive is better: accuracy up or loss
down), and the time cost relative to one plain run of the script.

    python benchmarks/repair.py [--seeds 2] [--budget 300] [FIXTURE ...]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from modeldoctor.diagnose.thresholds import Thresholds  # noqa: E402
from modeldoctor.ftypes import Measure, Trial  # noqa: E402
from modeldoctor.rules import load_catalog  # noqa: E402
from modeldoctor.run.runner import RunOptions  # noqa: E402
from modeldoctor.transforms import available  # noqa: E402
from modeldoctor.verify.trials import LocalPool, default_jobs  # noqa: E402
from modeldoctor.verify import Verifier  # noqa: E402


def plain_run(script: Path) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, str(script)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2"), check=False)
    return time.perf_counter() - started


@dataclass(frozen=True)
class Row:
    """One fixture's result: the cure kept for its labelled finding (if any) and what the repair cost."""

    fixture: str
    finding: str
    kept: Trial | None
    cost: float  # wall time of verify / one plain run

    @property
    def outcome(self) -> str:
        if self.kept is None:
            return "none"
        return "gone" if self.kept.evidence_after is None else "weaker"

    @property
    def measures(self) -> tuple[Measure, Measure] | None:
        return (self.kept.before, self.kept.after) if self.kept and self.kept.after else None

    @property
    def gain(self) -> float | None:
        """Change of the target, positive = better whichever way the measure points."""
        if self.measures is None:
            return None
        before, after = self.measures
        return (after.mean - before.mean) * (1 if before.higher_is_better else -1)

    @property
    def ratio(self) -> float | None:
        if self.measures is None or not self.measures[0].mean:
            return None
        return self.measures[1].mean / self.measures[0].mean

    def line(self) -> str:
        target = ""
        if self.measures is not None:
            before, after = self.measures
            target = f"{before.name} {before.mean:.4g} → {after.mean:.4g}"
        cure = self.kept.transform if self.kept else "-"
        return (f"{Path(self.fixture).name[:40]:40} {self.finding:24} {cure:20} {self.outcome:8} {target:34} "
                f"x{self.cost:5.1f}")


def summary(rows: list[Row]) -> list[str]:
    gone = sum(r.outcome == "gone" for r in rows)
    weaker = sum(r.outcome == "weaker" for r in rows)
    lines = [f"repair success rate (finding gone, target not worse): {gone}/{len(rows)} = "
             f"{gone / max(len(rows), 1):.0%}; clearly weaker: {weaker}"]
    # one summary per target measure: accuracies average in points; losses of 0.03 and of 5e8 only as ratios
    measured = [r for r in rows if r.measures is not None and r.gain == r.gain]
    for name in sorted({r.measures[0].name for r in measured if r.measures}):
        kept = [r for r in measured if r.measures and r.measures[0].name == name]
        if name.endswith("accuracy"):
            lines.append(f"mean change of {name} over kept cures ({len(kept)}): "
                         f"{statistics.mean(r.gain or 0.0 for r in kept):+.4f}")
        else:
            ratios = [r.ratio for r in kept if r.ratio is not None]
            lines.append(f"median {name} after/before over kept cures ({len(kept)}): x{statistics.median(ratios):.3f}")
    lines.append(f"time cost relative to one plain run: median x{statistics.median(r.cost for r in rows):.1f}")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seeds", type=int, default=2, help="seeds per trial (a fixture labelled with more runs gets those)")
    parser.add_argument("--budget", type=float, default=300)
    parser.add_argument("fixtures", nargs="*")
    args = parser.parse_args()
    labels = tomllib.loads((ROOT / "fixtures" / "labels.toml").read_text())["problems"]
    rows = []
    print(f"{'fixture':40} {'finding':24} {'cure kept':20} {'outcome':8} {'target before → after':34} {'cost':>6}")
    for relative in args.fixtures or sorted(labels):
        script = ROOT / "fixtures" / relative
        label = labels[relative]["primary"]
        seeds = max(args.seeds, labels[relative].get("runs", 1))
        verifier = Verifier(script=script, args=(), options=RunOptions(quiet=True, timeout=300), seeds=seeds,
                            catalog=load_catalog(), thresholds=Thresholds(), transforms=available(),
                            runner=LocalPool(default_jobs()), unsafe=True, budget=args.budget)
        plain = plain_run(script)
        started = time.perf_counter()
        result = verifier.verify(script.read_text())
        kept = next((t for t in result.trials if t.finding == label and t.verdict == "accepted"), None)
        rows.append(Row(relative, label, kept, (time.perf_counter() - started) / plain))
        print(rows[-1].line(), flush=True)
    print("\n" + "\n".join(summary(rows)))


if __name__ == "__main__":
    main()
