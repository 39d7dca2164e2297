"""Decide whether a run can be diagnosed, and say clearly why not.

Every way a run can fail to give a diagnosis (syntax error, crash before
training, no `fit`, not a Keras script, a hang) becomes one `CannotDiagnose`
with what happened and what to do; the CLI turns it into exit code 2.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from modeldoctor.record import RunRecord
from modeldoctor.runner import RunOutcome

TRACEBACK_LINES = 12


@dataclass
class CannotDiagnose(Exception):
    what: str
    hint: str
    detail: str = ""

    def __str__(self) -> str:
        text = f"{self.what}\n  hint: {self.hint}"
        return f"{text}\n{self.detail.rstrip()}" if self.detail else text


def check_script(path: Path) -> str:
    """Read the script and prove it parses before anything is run."""
    if not path.is_file():
        raise CannotDiagnose(f"{path}: no such file", "pass the path of a Python training script")
    try:
        source = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CannotDiagnose(f"{path}: cannot be read ({exc})", "check the file's permissions and encoding")
    try:
        compile(source, str(path), "exec", dont_inherit=True)
    except SyntaxError as exc:
        where = f"{path}:{exc.lineno}:{(exc.offset or 0)}"
        raise CannotDiagnose(
            f"{where}: SyntaxError: {exc.msg}",
            "fix the syntax error; modeldoctor only runs scripts that parse",
            _tail(exc.text),
        ) from None
    return source


def _tail(text: str | None, lines: int = TRACEBACK_LINES) -> str:
    if not text:
        return ""
    return "\n".join("  | " + line for line in text.rstrip().splitlines()[-lines:])


def usable_record(outcome: RunOutcome, script: Path, timeout: float | None) -> RunRecord:
    """The run record, if it holds at least one `fit`; otherwise why not."""
    record = outcome.record
    if outcome.timed_out:
        raise CannotDiagnose(
            f"{script}: timed out after {timeout:g} s; the script and its children were stopped",
            "shorten the probe with --epochs N / --max-steps N, or allow more with --timeout SECONDS",
            _tail(outcome.stderr_tail),
        )
    if record is None:
        raise CannotDiagnose(
            f"{script}: the run ended (exit status {outcome.returncode}) before modeldoctor could record it",
            "run the script on its own to see why it was killed (out of memory, a signal, os._exit)",
            _tail(outcome.stderr_tail),
        )
    if record.fits:
        return record
    if record.exit.status == "error":
        raise CannotDiagnose(
            f"{script}: crashed with {record.exit.exception_type} before any fit call: {record.exit.message}",
            "fix the error below (the script's own traceback), then run modeldoctor again",
            _tail(record.exit.traceback),
        )
    if record.exit.status == "exit":
        raise CannotDiagnose(
            f"{script}: exited with status {record.exit.returncode} before any fit call: {record.exit.message}",
            "check the arguments the script expects: pass them after `--`",
            _tail(outcome.stderr_tail),
        )
    if not record.keras_imported:
        raise CannotDiagnose(
            f"{script}: not a Keras script: it ran to the end without importing keras",
            "modeldoctor diagnoses Keras training scripts; for a source-only look use --static",
        )
    raise CannotDiagnose(
        f"{script}: ran to the end without calling Model.fit, so there is no training to diagnose",
        "point modeldoctor at the script that trains (calls model.fit), or guard training behind __main__",
    )
