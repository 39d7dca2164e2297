"""Time to a diagnosis: `check` stopping early on a decisive finding, against the full run and a plain run.

For every single-run problem fixture (fixtures/labels.toml) and the long
workloads (benchmarks/workloads/long/, hundreds of epochs), it runs the
script plainly, under `modeldoctor check --full` and under `modeldoctor
check` (which stops once a finding is decisive), and prints the wall times,
the epoch each early run stopped at, and whether the primary finding is the
same. Runs alternate, so that machine noise hits the three alike.

    python benchmarks/time_to_diagnosis.py [--repeat 1] [--only long] [SCRIPT ...]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LABELS = tomllib.loads((ROOT / "fixtures" / "labels.toml").read_text())["problems"]
LONG = sorted((ROOT / "benchmarks" / "workloads" / "long").glob("*.py"))


@dataclass
class Row:
    script: str
    plain: float
    full: float
    early: float
    primary_full: str | None
    primary_early: str | None
    stopped: str  # "epoch 1 of 300 (dying-relu)" or "ran to the end"

    @property
    def same(self) -> bool:
        return self.primary_full == self.primary_early


def timed(cmd: list[str]) -> tuple[float, str]:
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    start = time.perf_counter()
    done = subprocess.run(cmd, check=False, capture_output=True, text=True, env=env, cwd=ROOT)
    return time.perf_counter() - start, done.stdout


def diagnosed(stdout: str, planned: list[int] | None = None) -> tuple[str | None, str]:
    """The primary finding, and where the run stopped (`planned`: each fit's epochs in the full run)."""
    try:
        report = json.loads(stdout)
    except json.JSONDecodeError:
        return "(no report)", "-"
    primary = report["findings"][0]["name"] if report["findings"] else None
    for run in report["runs"]:
        for i, fit in enumerate(run["fits"]):
            if fit.get("decided"):
                of = f" of {planned[i]}" if planned and i < len(planned) else ""
                return primary, f"epoch {fit['decided']['epoch']}{of} ({fit['decided']['finding']})"
    return primary, "ran to the end"


def epochs_run(stdout: str) -> list[int]:
    try:
        return [fit["epochs"] for run in json.loads(stdout)["runs"] for fit in run["fits"]]
    except (json.JSONDecodeError, KeyError, TypeError):
        return []


def measure(script: Path, repeat: int) -> Row:
    check = [sys.executable, "-m", "modeldoctor", "check", "--quiet", "--format", "json", str(script)]
    plain, full, early = [], [], []
    for _ in range(repeat):
        plain.append(timed([sys.executable, str(script)])[0])
        seconds, out_full = timed([*check, "--full"])
        full.append(seconds)
        seconds, out_early = timed(check)
        early.append(seconds)
    primary_full, _ = diagnosed(out_full)
    primary_early, stopped = diagnosed(out_early, epochs_run(out_full))
    name = str(script.relative_to(ROOT / "fixtures")) if script.is_relative_to(ROOT / "fixtures") else script.name
    return Row(name, statistics.median(plain), statistics.median(full), statistics.median(early), primary_full,
               primary_early, stopped)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--only", choices=("fixtures", "long"))
    parser.add_argument("scripts", nargs="*", type=Path)
    args = parser.parse_args()
    fixtures = [ROOT / "fixtures" / k for k, v in sorted(LABELS.items()) if v.get("runs", 1) == 1]
    scripts = args.scripts or {"fixtures": fixtures, "long": LONG, None: fixtures + LONG}[args.only]
    rows = []
    for script in scripts:
        row = measure(script, args.repeat)
        rows.append(row)
        print(f"{row.script:52} plain {row.plain:6.1f} s  full {row.full:6.1f} s  early {row.early:6.1f} s  "
              f"{row.stopped}  {'same' if row.same else 'DIFFERENT'}", flush=True)
    print()
    print("| script | plain s | full s | early s | early / full | early / plain | stopped at | primary (full) "
          "| same |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | --- | --- | --- |")
    for r in rows:
        print(f"| {r.script} | {r.plain:.1f} | {r.full:.1f} | {r.early:.1f} | {r.early / r.full:.2f} | "
              f"{r.early / r.plain:.2f} | {r.stopped} | {r.primary_full} | {'yes' if r.same else 'NO'} |")
    stopped = [r for r in rows if r.stopped.startswith("epoch")]
    print()
    print(f"primary finding unchanged: {sum(r.same for r in rows)}/{len(rows)}; stopped early: "
          f"{len(stopped)}/{len(rows)}")
    if stopped:
        print(f"stopped runs: median early/full {statistics.median(r.early / r.full for r in stopped):.2f}, "
              f"median early/plain {statistics.median(r.early / r.plain for r in stopped):.2f}")
    long = [r for r in rows if r.plain >= 10]
    if long:
        print(f"plain run >= 10 s: median early/full {statistics.median(r.early / r.full for r in long):.2f}")


if __name__ == "__main__":
    main()
