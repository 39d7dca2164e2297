"""The child's stderr as the user sees it: TensorFlow's C++ log lines dropped, everything else as it came."""

from __future__ import annotations

import io
from collections import deque

from modeldoctor.run.runner import _pump

CHATTER = (b"WARNING: All log messages before absl::InitializeLog() is called are written to STDERR\n"
           b"I0000 00:00:1796176473.067200    6857 port.cc:153] oneDNN custom operations are on.\n"
           b"E0000 00:00:1796176473.1 12 cuda_executor.cc:1228] failed call to cuInit\n")


class Chunks(io.RawIOBase):
    """A pipe that delivers the bytes in the pieces given (as read1 does)."""

    def __init__(self, pieces: list[bytes]) -> None:
        self.pieces = list(pieces)

    def read1(self, size: int = -1) -> bytes:
        return self.pieces.pop(0) if self.pieces else b""


def pumped(pieces: list[bytes], quiet: bool = True) -> tuple[bytes, bytes]:
    sink, tail = io.BytesIO(), deque()
    _pump(Chunks(pieces), sink, tail, quiet)
    return sink.getvalue(), b"".join(tail)


def test_tensorflow_log_lines_are_dropped_and_the_scripts_own_lines_kept():
    shown, tail = pumped([CHATTER + b"my own warning\n", b"Epoch 1/3\n"])
    assert shown == tail == b"my own warning\nEpoch 1/3\n"


def test_a_line_split_across_reads_is_judged_whole():
    shown, _ = pumped([CHATTER[:30], CHATTER[30:100], CHATTER[100:] + b"kept\n"])
    assert shown == b"kept\n"


def test_a_progress_bar_without_newline_passes_at_once():
    shown, _ = pumped([b"\r 3/10 [====>", b"\r 4/10 [=====>"])
    assert shown == b"\r 3/10 [====>\r 4/10 [=====>"


def test_verbose_keeps_everything():
    shown, _ = pumped([CHATTER], quiet=False)
    assert shown == CHATTER
