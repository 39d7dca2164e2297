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
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from modeldoctor.diagnose.thresholds import Thresholds  # noqa: E402
from modeldoctor.rules import load_catalog  # noqa: E402
from modeldoctor.runner import RunOptions  # noqa: E402
from modeldoctor.transforms import available  # noqa: E402
from modeldoctor.trials import LocalPool, default_jobs  # noqa: E402
from modeldoctor.verify import Verifier  # noqa: E402


def plain_run(script: Path) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, str(script)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2"), check=False)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seeds", type=int, default=2, help="seeds per trial (a fixture labelled with more runs gets those)")
    parser.add_argument("--budget", type=float, default=300)
    parser.add_argument("fixtures", nargs="*")
    args = parser.parse_args()
    labels = tomllib.loads((ROOT / "fixtures" / "labels.toml").read_text())["problems"]
    chosen = args.fixtures or sorted(labels)
    rows = []
    print(f"{'fixture':40} {'finding':24} {'cure kept':20} {'outcome':8} {'target before → after':34} {'cost':>6}")
    for relative in chosen:
        script = ROOT / "fixtures" / relative
        label = labels[relative]["primary"]
        seeds = max(args.seeds, labels[relative].get("runs", 1))
        verifier = Verifier(script=script, args=(), options=RunOptions(quiet=True, timeout=300), seeds=seeds,
                            catalog=load_catalog(), thresholds=Thresholds(), transforms=available(),
                            runner=LocalPool(default_jobs()), unsafe=True, budget=args.budget)
        plain = plain_run(script)
        started = time.perf_counter()
        result = verifier.verify(script.read_text())
        cost = (time.perf_counter() - started) / plain
        trials = [t for t in result.trials if t.finding == label]
        accepted = next((t for t in trials if t.verdict == "accepted"), None)
        outcome = "none" if accepted is None else "gone" if accepted.evidence_after is None else "weaker"
        gain = None
        target = ""
        if accepted is not None and accepted.after is not None:
            before, after = accepted.before, accepted.after
            # positive = better, whichever way the target measure points
            gain = (after.mean - before.mean) * (1 if before.higher_is_better else -1)
            target = f"{before.name} {before.mean:.4g} → {after.mean:.4g}"
        ratio = accepted.after.mean / accepted.before.mean if accepted and accepted.after and accepted.before.mean else None
        rows.append((relative, outcome, gain, cost, accepted.before.name if accepted else "", ratio))
        cure = accepted.transform if accepted else "-"
        print(f"{Path(relative).name[:40]:40} {label:24} {cure:20} {outcome:8} {target:34} x{cost:5.1f}", flush=True)
    gone = sum(r[1] == "gone" for r in rows)
    weaker = sum(r[1] == "weaker" for r in rows)
    print(f"\nrepair success rate (finding gone, target not worse): {gone}/{len(rows)} = {gone / max(len(rows), 1):.0%}"
          f"; clearly weaker: {weaker}")
    # one summary per target measure: accuracies average in points; losses of 0.03 and of 5e8 only as ratios
    for name in sorted({r[4] for r in rows if r[2] is not None}):
        kept = [r for r in rows if r[4] == name and r[2] is not None and r[2] == r[2]]
        if name.endswith("accuracy"):
            print(f"mean change of {name} over kept cures ({len(kept)}): {statistics.mean(r[2] for r in kept):+.4f}")
        else:
            ratios = [r[5] for r in kept if r[5] is not None]
            print(f"median {name} after/before over kept cures ({len(kept)}): x{statistics.median(ratios):.3f}")
    print(f"time cost relative to one plain run: median x{statistics.median(r[3] for r in rows):.1f}")


if __name__ == "__main__":
    main()
