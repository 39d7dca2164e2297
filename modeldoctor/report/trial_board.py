"""The trial table of `fix --verify` on stderr, updated as trials finish.

In a terminal: a live table (one row per cure sent: runs back, state or
verdict) under a line naming the runner, the runs done and the trial time
cancellations saved; it is replaced by the summary `fix` ends with. Elsewhere
(CI logs, pipes) the verifier's own lines are printed as they come, and the
runner's line once at the end: nothing redraws in a log.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from types import TracebackType
from typing import TYPE_CHECKING, TextIO

from rich.console import Console, Group
from rich.live import Live
from rich.table import Table
from rich.text import Text

if TYPE_CHECKING:
    from modeldoctor.verify.schedule import Board

STYLE = {"accepted": "green", "rejected": "red", "failed": "red", "cancelled": "dim", "diagnosed": "dim"}


def render(board: Board) -> Group:
    table = Table(box=None, pad_edge=False, show_header=False)
    for row in board.rows.values():
        state = row.state if row.state != "running" else ("running" if row.done < row.seeds else "judging")
        table.add_row(row.label, f"{row.done}/{row.seeds} seeds", Text(state, style=STYLE.get(state, "")))
    return Group(Text(board.headline(), style="bold"), table)


class TrialBoard:
    """Callable sink for the verifier's board; `say(fallback)` routes its event lines."""

    def __init__(self, enabled: bool | None = None, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stderr
        stream = self.stream
        self.enabled = stream.isatty() if enabled is None else enabled
        self._console = Console(file=stream, highlight=False, force_terminal=True) if self.enabled else None
        self._live: Live | None = None
        self.last: Board | None = None

    def __call__(self, board: Board) -> None:
        self.last = board
        if self._console is None:
            return
        if self._live is None:
            self._live = Live(render(board), console=self._console, transient=True, refresh_per_second=4,
                              redirect_stdout=False, redirect_stderr=False)
            self._live.start()
        else:
            self._live.update(render(board))

    def say(self, fallback: Callable[[str], None]) -> Callable[[str], None]:
        """The verifier's event lines: shown where no live table is (the table shows the same)."""
        return (lambda message: None) if self.enabled else fallback

    def __enter__(self) -> TrialBoard:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        if self._live is not None:
            self._live.stop()
            self._live = None
        if self.last is not None:
            print(f"modeldoctor: {self.last.headline()}", file=self.stream)
