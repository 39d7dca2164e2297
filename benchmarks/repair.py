"""Repair success over the buggy fixtures with `fix --verify`.

For each problem fixture (and each written for `fix --verify` alone,
`[verify]` in labels.toml): verify cures (2 seeds by default, more for a
fixture labelled with several runs), and report whether the labelled
finding was repaired (gone and the target not worse), the change of the
target metric (signed so that positive is better: accuracy up or loss
down), and the time cost relative to one plain run of the script, in total and
per verified finding (per cure kept; a fixture with none counts as one).

Each fixture is verified once per mode (`--modes`, all by default, one after
another per fixture so that a busy machine slows them alike): `sequential`
(one candidate cure after another on the local pool, the behaviour before
#18), `batched` (every candidate of a finding at once on the local pool,
the rest cancelled once one is accepted), `ray` (batched, as tasks on a
local single-node Ray with as many CPUs as pool jobs, started once; its
start-up time is printed apart) and `warm` (batched on a local pool whose trials
are forked from an interpreter per seed that has imported TensorFlow once, as
`fix --verify` does by default; a new pool per fixture, its interpreters'
start-up counted). The repair outcome must be the same in
every mode. At the end, per cure (finding → transform): how often it was
tried (run, not declined), declined and accepted, over every fixture and mode.

    python benchmarks/repair.py [--seeds 2] [--budget 300] [--modes sequential,batched,warm,ray] [FIXTURE ...]
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
from modeldoctor.verify import Verifier  # noqa: E402
from modeldoctor.verify.judgement import Verification  # noqa: E402
from modeldoctor.verify.schedule import Schedule  # noqa: E402
from modeldoctor.verify.trials import LocalPool, TrialRunner, default_jobs  # noqa: E402

MODES = ("sequential", "batched", "warm", "ray")


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
    verified: int = 1  # cures kept (at least 1: a fixture with none costs its whole time)
    mode: str = "sequential"
    trials: tuple[Trial, ...] = ()  # every trial of the fixture's verification

    @property
    def cost_per_finding(self) -> float:
        return self.cost / max(self.verified, 1)

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
        return (f"{Path(self.fixture).name[:40]:40} {self.mode:10} {self.finding:24} {cure:20} {self.outcome:8} "
                f"{target:34} x{self.cost:5.1f} x{self.cost_per_finding:5.1f}")


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
    lines.append(f"time cost relative to one plain run: median x{statistics.median(r.cost for r in rows):.1f}, "
                 f"per verified finding x{statistics.median(r.cost_per_finding for r in rows):.1f}")
    return lines


def table(rows: list[Row], modes: list[str]) -> list[str]:
    """Markdown: per fixture and mode, the cost per verified finding; then the medians and repair rates."""
    fixtures = list(dict.fromkeys(r.fixture for r in rows))
    cell = {(r.fixture, r.mode): r for r in rows}
    lines = ["| fixture | " + " | ".join(f"{m}: outcome, x per verified finding (total)" for m in modes) + " |",
             "| --- |" + " --- |" * len(modes)]
    for fixture in fixtures:
        cells = [f"{c.outcome}, x{c.cost_per_finding:.1f} (x{c.cost:.1f})" if (c := cell.get((fixture, m))) else "-"
                 for m in modes]
        lines.append(f"| {Path(fixture).name} | " + " | ".join(cells) + " |")
    medians, rates = [], []
    for mode in modes:
        mine = [r for r in rows if r.mode == mode]
        medians.append(f"x{statistics.median(r.cost_per_finding for r in mine):.1f}" if mine else "-")
        rates.append(f"{sum(r.outcome == 'gone' for r in mine)}/{len(mine)} gone, "
                     f"{sum(r.outcome == 'weaker' for r in mine)} weaker")
    lines.append("| **median per verified finding** | " + " | ".join(medians) + " |")
    lines.append("| **repaired** | " + " | ".join(rates) + " |")
    return lines


def cures(rows: list[Row]) -> list[str]:
    """Markdown: per cure, how often it was tried (ran), declined, and accepted."""
    counts: dict[tuple[str, str], list[int]] = {}
    for row in rows:
        for trial in row.trials:
            tally = counts.setdefault((trial.finding, trial.transform), [0, 0, 0])
            tally[0] += trial.verdict in ("accepted", "rejected", "failed")
            tally[1] += trial.verdict == "declined"
            tally[2] += trial.verdict == "accepted"
    lines = ["| finding → cure | tried | declined | accepted |", "| --- | --- | --- | --- |"]
    for (finding, transform), (tried, declined, accepted) in sorted(counts.items()):
        lines.append(f"| {finding} → {transform} | {tried} | {declined} | {accepted} |")
    return lines


def runner_for(mode: str, jobs: int) -> TrialRunner | None:
    """Ray is started once (its start-up printed apart); a local pool is opened per fixture, as `fix --verify`
    opens one per run: a warm pool's interpreters must not carry over from one fixture to the next."""
    if mode != "ray":
        return None
    from modeldoctor.verify.ray_runner import RayRunner

    started = time.perf_counter()
    runner = RayRunner(None, jobs).start()
    print(f"local Ray with {jobs} CPUs started in {time.perf_counter() - started:.1f} s (not counted below)")
    return runner


def verify(script: Path, seeds: int, budget: float, runner: TrialRunner, mode: str) -> tuple[Verification, float]:
    schedule = Schedule.SEQUENTIAL if mode == "sequential" else Schedule.BATCHED
    verifier = Verifier(script=script, args=(), options=RunOptions(quiet=True, timeout=300), seeds=seeds,
                        catalog=load_catalog(), thresholds=Thresholds(), transforms=available(), runner=runner,
                        unsafe=True, budget=budget, schedule=schedule)
    started = time.perf_counter()
    result = verifier.verify(script.read_text())
    return result, time.perf_counter() - started  # a warm pool's interpreters start inside this time


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seeds", type=int, default=2, help="seeds per trial (a fixture labelled with more runs gets those)")
    parser.add_argument("--budget", type=float, default=300)
    parser.add_argument("--modes", default=",".join(MODES), help=f"comma-separated, of {', '.join(MODES)}")
    parser.add_argument("fixtures", nargs="*")
    args = parser.parse_args()
    modes = [m for m in args.modes.split(",") if m]
    tables = tomllib.loads((ROOT / "fixtures" / "labels.toml").read_text())
    labels = {**tables["problems"], **tables.get("verify", {})}  # the verify-only fixtures count too
    jobs = default_jobs()
    runners = {mode: runner_for(mode, jobs) for mode in modes}
    rows = []
    print(f"{'fixture':40} {'mode':10} {'finding':24} {'cure kept':20} {'outcome':8} {'target before → after':34} "
          f"{'cost':>6} {'/found':>6}")
    try:
        for relative in args.fixtures or sorted(labels):
            script = ROOT / "fixtures" / relative
            label = labels[relative]["primary"]
            seeds = max(args.seeds, labels[relative].get("runs", 1))
            plain = plain_run(script)
            for mode in modes:
                runner = runners[mode] or LocalPool(jobs, warm=mode == "warm")
                try:
                    result, wall = verify(script, seeds, args.budget, runner, mode)
                finally:
                    if runners[mode] is None:
                        runner.close()
                kept = next((t for t in result.trials if t.finding == label and t.verdict == "accepted"), None)
                rows.append(Row(relative, label, kept, wall / plain, len(result.accepted), mode, result.trials))
                print(rows[-1].line(), flush=True)
    finally:
        for shared in runners.values():
            if shared is not None:
                shared.close()
    for mode in modes:
        print(f"\n{mode}:\n" + "\n".join(summary([r for r in rows if r.mode == mode])))
    print("\n" + "\n".join(table(rows, modes)))
    print("\n" + "\n".join(cures(rows)))


if __name__ == "__main__":
    main()
