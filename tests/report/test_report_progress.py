"""Progress on stderr: a transient status line on a terminal, nothing elsewhere."""

from __future__ import annotations

import io
import math

from modeldoctor.report.progress import Progress, describe


def test_describe_epoch_events() -> None:
    assert describe({"event": "epoch", "fit": 0, "epoch": 3, "epochs": 20, "loss": 0.41}) == \
        "fit 1 · epoch 3/20 · loss 0.41"
    assert describe({"event": "epoch", "fit": 1, "epoch": 2, "epochs": None, "loss": None}) == "fit 2 · epoch 2"
    assert describe({"event": "epoch", "fit": 0, "epoch": 1, "epochs": 5, "loss": math.nan}) == \
        "fit 1 · epoch 1/5 · loss nan"
    assert describe({"event": "fit-end", "fit": 0, "epoch": 5, "epochs": 5, "loss": 0.1}) == \
        "fit 1 · epoch 5/5 · loss 0.1 · done"
    assert describe({"event": "sampling failed: RuntimeError()"}) is None


class _Pipe(io.StringIO):
    def isatty(self) -> bool:
        return False


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_nothing_is_written_when_stderr_is_not_a_terminal() -> None:
    stream = _Pipe()
    with Progress(stream=stream) as progress:
        progress({"event": "epoch", "fit": 0, "epoch": 1, "epochs": 2, "loss": 1.0})
    assert not progress.enabled
    assert progress.last == "fit 1 · epoch 1/2 · loss 1"
    assert stream.getvalue() == ""


def test_a_terminal_gets_a_status_line_that_is_removed_at_the_end() -> None:
    stream = _Terminal()
    with Progress(stream=stream) as progress:
        progress({"event": "epoch", "fit": 0, "epoch": 1, "epochs": 20, "loss": 0.41})
        progress({"event": "epoch", "fit": 0, "epoch": 2, "epochs": 20, "loss": 0.38})
    written = stream.getvalue()
    assert progress.enabled
    assert "fit 1 · epoch" in written
    assert written.endswith("\x1b[2K")  # transient: the line is erased when the run ends


def test_unknown_events_start_nothing() -> None:
    stream = _Terminal()
    with Progress(stream=stream) as progress:
        progress({"event": "sampling failed: boom"})
    assert stream.getvalue() == "" and progress.last is None
