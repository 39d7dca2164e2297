"""The probe is invisible to the script: every model style trains the same with and without it.

Each fixture in fixtures/transparency/ ends by writing one `outcome ...` line to
stderr (the probe keeps a tail of the child's stderr, not its stdout). The line
holds what the probe could disturb and the run does not make random: epochs run,
history keys, parameter counts, configs and signatures Keras derives from
`__init__`. Losses are left out on purpose: the probe's gradient samples draw
from the same seed generators as the script's own random layers.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from conftest import FIXTURES, probe

SCRIPTS = sorted((FIXTURES / "transparency").glob("*.py"))


def outcome_line(stderr: str) -> str:
    """The script's last `outcome` line: TensorFlow's own chatter on stderr comes and goes."""
    lines = [line for line in stderr.splitlines() if line.startswith("outcome ")]
    assert lines, f"no outcome line in stderr:\n{stderr[-3000:]}"
    return lines[-1]


@pytest.mark.slow
@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.stem)
def test_script_runs_the_same_with_and_without_the_probe(script: Path) -> None:
    plain = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=300)
    assert plain.returncode == 0, plain.stderr[-3000:]

    probed = probe(script)
    record = probed.record
    assert record is not None, probed.stderr_tail
    # The probe does not print the script's traceback; the record keeps it.
    assert probed.returncode == 0 and record.exit.status == "ok", record.exit.traceback or probed.stderr_tail
    assert outcome_line(probed.stderr_tail) == outcome_line(plain.stderr)
    assert record.fits and record.fits[0].epochs, "the probe observed at least one epoch"
