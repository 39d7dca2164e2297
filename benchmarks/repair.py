"""Repair success over the buggy fixtures with `fix --verify`.

For each problem fixture: verify cures (2 seeds by default), and report
whether the labelled finding was repaired (gone and the target not worse),
the change of the target metric, and the time cost relative to one plain run
of the script.

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
    parser.add_argument("--seeds", type=int, default=2)
    parser.add_argument("--budget", type=float, default=300)
    parser.add_argument("fixtures", nargs="*")
    args = parser.parse_args()
    labels = tomllib.loads((ROOT / "fixtures" / "labels.toml").read_text())["problems"]
    chosen = args.fixtures or sorted(k for k, v in labels.items() if v.get("runs", 1) == 1)
    rows = []
    for relative in chosen:
        script = ROOT / "fixtures" / relative
        label = labels[relative]["primary"]
        verifier = Verifier(script=script, args=(), options=RunOptions(quiet=True, timeout=300), seeds=args.seeds,
                            catalog=load_catalog(), thresholds=Thresholds(), transforms=available(),
                            runner=LocalPool(default_jobs()), unsafe=True, budget=args.budget)
        plain = plain_run(script)
        started = time.perf_counter()
        result = verifier.verify(script.read_text())
        cost = (time.perf_counter() - started) / plain
        trials = [t for t in result.trials if t.finding == label]
        accepted = next((t for t in trials if t.verdict == "accepted"), None)
        change = (accepted.after.mean - accepted.before.mean) if accepted and accepted.after else None
        rows.append((relative, label, accepted, change, cost, len(result.trials)))
        cure = accepted.transform if accepted else "none worked"
        print(f"{Path(relative).name:42} {label:26} {cure:20} "
              f"{'' if change is None else f'{accepted.before.name} {change:+.4f}':24} x{cost:5.1f}", flush=True)
    repaired = [r for r in rows if r[2] is not None]
    print(f"\nrepair success rate: {len(repaired)}/{len(rows)} = {len(repaired) / max(len(rows), 1):.0%}")
    changes = [r[3] for r in repaired if r[3] is not None and r[3] == r[3]]
    if changes:
        print(f"mean change of the target metric (accepted cures): {statistics.mean(changes):+.4f}")
    print(f"time cost relative to one plain run: median x{statistics.median(r[4] for r in rows):.1f}")


if __name__ == "__main__":
    main()
