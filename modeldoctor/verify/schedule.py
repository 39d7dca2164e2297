"""The trials of one verification in flight: what was sent, what came back, what was cancelled.

A run is known by what it runs: (source, seed). Asking twice for the same
run (a cure sent ahead while the untreated seeds still ran, then asked for
again) reuses the one in flight, so sending work early never changes what
is judged: the verdicts depend on the sources and seeds alone, not on when
or where they ran. `Board` is what the progress table shows.
"""

from __future__ import annotations

import dataclasses
import statistics
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path

from modeldoctor.diagnose.live import LiveSettings
from modeldoctor.run.runner import RunOptions, RunOutcome
from modeldoctor.verify.trials import Handle, LostRun, TrialJob, TrialRunner, lost


class Schedule(str, Enum):
    """How candidate cures are sent: all of a finding's at once (`batched`), or one after another."""

    BATCHED = "batched"
    SEQUENTIAL = "sequential"


@dataclass
class Row:
    label: str
    seeds: int
    done: int = 0
    state: str = "running"  # running | cancelled | a verdict


@dataclass
class Board:
    """The live trial table: one row per source sent, and the runs and time cancellations saved."""

    runner: str
    rows: dict[str, Row] = field(default_factory=dict)
    runs_done: int = 0
    runs_sent: int = 0
    cancelled: int = 0  # runs no longer needed once a cure was accepted (or the budget was spent)
    saved: float = 0.0  # trial-seconds not spent on them: cancelled runs times the mean run
    missed: int = 0  # runs sent ahead for what the first untreated seed showed, that the whole diagnosis did not want
    decided: int = 0  # treated runs that stopped early: the finding they treat came back decisive

    def headline(self) -> str:
        text = f"trials on {self.runner}: {self.runs_done} of {self.runs_sent} runs done"
        if self.decided:
            text += f", {self.decided} stopped early (the treated finding came back decisive)"
        if self.cancelled:
            text += f", {self.cancelled} cancelled"
        if self.cancelled or self.decided:
            text += f" (~{self.saved:.0f} s of trial time saved)"
        if self.missed:
            text += f", {self.missed} sent ahead in vain"
        return text


@dataclass
class Trials:
    """Sends (source, seed) runs to the runner in batches, and collects them as they finish."""

    runner: TrialRunner
    script: Path
    cwd: Path
    args: tuple[str, ...]
    options: RunOptions
    seeds: int
    python: str | None = None
    on_change: Callable[[Board], None] = lambda board: None
    board: Board = field(init=False)
    _handles: dict[tuple[str, int], Handle] = field(default_factory=dict, init=False)
    _outcomes: dict[Handle, RunOutcome] = field(default_factory=dict, init=False)
    _pending: set[Handle] = field(default_factory=set, init=False)

    def __post_init__(self) -> None:
        self.board = Board(self.runner.name)

    def job(self, source: str, seed: int, live: LiveSettings | None = None) -> TrialJob:
        return TrialJob(source, self.script, self.cwd, self.args,
                        dataclasses.replace(self.options, seed=seed, live=live), self.python)

    def send(self, batch: Sequence[tuple[str, str]], live: LiveSettings | None = None) -> None:
        """(label, source) pairs, every seed of each, as one submission; runs already sent are reused.
        `live`: the treated runs stop once the finding they treat is decisive again (no need to see the rest)."""
        jobs = []
        for label, source in batch:
            self.board.rows.setdefault(source, Row(label, self.seeds))
            if self.board.rows[source].state == "cancelled":
                self.board.rows[source].state = "running"
            jobs += [self.job(source, seed, live) for seed in range(self.seeds)
                     if (source, seed) not in self._handles]
        if not jobs:
            return
        for handle in self.runner.submit(jobs):
            assert handle.job.seed is not None
            self._handles[(handle.job.source, handle.job.seed)] = handle
            self._pending.add(handle)
        self.board.runs_sent += len(jobs)
        self.on_change(self.board)

    def _handle(self, source: str, seed: int) -> Handle:
        return self._handles[(source, seed)]

    def complete(self, source: str) -> bool:
        return all(self._handle(source, seed) in self._outcomes for seed in range(self.seeds))

    def collect(self, source: str, enough: Callable[[RunOutcome], bool] = lambda outcome: False
                ) -> list[RunOutcome]:
        """Every seed's outcome of `source`, in seed order, waiting for the ones still running; or, as soon
        as one outcome is `enough` to judge, the ones back so far (the others are cancelled)."""
        handles = [self._handle(source, seed) for seed in range(self.seeds)]
        while not self.complete(source):
            if any(enough(self._outcomes[h]) for h in handles if h in self._outcomes):
                self.drop(source)
                break
            self.wait(set(handles) & self._pending)
        return [self._outcomes[h] for h in handles if h in self._outcomes]

    def decided(self, wall_time: float) -> None:
        """A treated run stopped early: the trial time it did not spend, against a whole untreated run."""
        whole = [o.wall_time for o in self._outcomes.values() if not isinstance(o, LostRun)
                 and o.record is not None and o.record.exit.status == "ok"]
        self.board.decided += 1
        self.board.saved += max(0.0, (statistics.mean(whole) if whole else wall_time) - wall_time)
        self.on_change(self.board)

    def drop(self, source: str) -> None:
        """Cancel what still runs of `source`: it is judged already."""
        self.keep_only(s for s in {h.job.source for h in self._pending} if s != source)

    def more(self, source: str) -> list[RunOutcome]:
        """Wait until one more seed of `source` is back; the outcomes back so far (to look ahead while the
        others still run)."""
        handles = [self._handle(source, seed) for seed in range(self.seeds)]
        back = sum(h in self._outcomes for h in handles)
        while sum(h in self._outcomes for h in handles) == back and not self.complete(source):
            self.wait(set(handles) & self._pending)
        return [self._outcomes[h] for h in handles if h in self._outcomes]

    def wait(self, wanted: set[Handle]) -> None:
        finished = self.runner.wait(wanted)
        if not finished:  # a runner that no longer knows them: they will never come back
            finished = [(handle, lost("the runner lost track of it")) for handle in wanted]
        for handle, outcome in finished:
            self._pending.discard(handle)
            self._outcomes[handle] = outcome
            self.board.runs_done += 1
            row = self.board.rows.get(handle.job.source)
            if row is not None:
                row.done += 1
        self.on_change(self.board)

    def label(self, source: str, state: str) -> None:
        if source in self.board.rows:
            self.board.rows[source].state = state
            self.on_change(self.board)

    def keep_only(self, sources: Iterable[str], ahead: bool = False) -> None:
        """Cancel every run still pending whose source is not among `sources` (`ahead`: runs sent ahead)."""
        keep = set(sources)
        dropped = [h for h in self._pending if h.job.source not in keep]
        if not dropped:
            return
        self.runner.cancel(dropped)
        self._pending.difference_update(dropped)
        for handle in dropped:
            assert handle.job.seed is not None
            del self._handles[(handle.job.source, handle.job.seed)]
            self.board.rows[handle.job.source].state = "cancelled"
        ran = [o.wall_time for o in self._outcomes.values() if not isinstance(o, LostRun)]
        if ahead:
            self.board.missed += len(dropped)
        else:
            self.board.cancelled += len(dropped)
            self.board.saved += len(dropped) * (statistics.mean(ran) if ran else 0.0)
        self.on_change(self.board)

    def close(self) -> None:
        self.keep_only(())
