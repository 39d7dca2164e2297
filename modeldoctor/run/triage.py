"""Decide whether a run can be diagnosed, and say clearly why not.

Every way a run can fail to give a diagnosis (syntax error, crash before
training, no `fit`, not a Keras script, a hang) becomes one `CannotDiagnose`
with what happened and what to do; the CLI turns it into exit code 2.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from modeldoctor.notebook.locations import short_place
from modeldoctor.record import FitRecord, RunRecord, Status, planned_epochs
from modeldoctor.run.runner import RunOutcome

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
    if path.suffix.lower() == ".ipynb":
        from modeldoctor.notebook.triage import notebook_source

        source, where_of = notebook_source(path, CannotDiagnose)
    else:
        try:
            source = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise CannotDiagnose(f"{path}: cannot be read ({exc})", "check the file's permissions and encoding")
        where_of = None
    try:
        compile(source, str(path), "exec", dont_inherit=True)
    except SyntaxError as exc:
        where = where_of(exc.lineno, exc.offset) if where_of else f"{path}:{exc.lineno}:{(exc.offset or 0)}"
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


def observed(fit: FitRecord) -> bool:
    """A fit counts as seen once one epoch ended (or a NaN or the live diagnosis stopped it: decisive)."""
    return bool(fit.epochs) or fit.stopped_on_nan or fit.decided is not None


def _where(record: RunRecord, fit: FitRecord) -> str:
    place = f" ({short_place(fit.location)})" if fit.location else ""
    return f"fit {fit.index + 1}{place}"


ERROR_LINE = re.compile(r"^\s*([A-Za-z_][\w.]*(?:Error|Exception)): (.+)$")
HEADLINE_CHARS = 300


def headline(exception_type: str | None, message: str | None) -> str:
    """`ValueError: bad shape`, one line. TensorFlow wraps a script's error in pages of graph context:
    the last `SomethingError: text` line inside is the script's own."""
    lines = [line for line in (message or "").splitlines() if line.strip()]
    if len(lines) > 1:
        for line in reversed(lines):
            match = ERROR_LINE.match(line)
            if match:
                return f"{match.group(1)}: {match.group(2)}"[:HEADLINE_CHARS]
    first = lines[0].strip() if lines else ""
    return (f"{exception_type}: {first}" if first else f"{exception_type}")[:HEADLINE_CHARS]


def _ended(record: RunRecord) -> str:
    """`crashed with ValueError: ...`, `timed out after 30 s`, `killed (signal 9)`."""
    exit = record.exit
    if exit.status == Status.ERROR:
        return f"crashed with {headline(exit.exception_type, exit.message)}"
    if exit.status == Status.EXIT:
        return f"exited with status {exit.returncode}: {exit.message}"
    return exit.message or exit.status


def usable_record(outcome: RunOutcome, script: Path, timeout: float | None) -> RunRecord:
    """The run record, if at least one of its fits was observed for an epoch; otherwise why not."""
    record = outcome.record
    if record is None:
        if outcome.timed_out:
            after = f" after {timeout:g} s" if timeout is not None else ""
            raise CannotDiagnose(
                f"{script}: timed out{after} before modeldoctor could record anything",
                "allow more with --timeout SECONDS",
                _tail(outcome.stderr_tail),
            )
        raise CannotDiagnose(
            f"{script}: the run ended (exit status {outcome.returncode}) before modeldoctor could record it",
            "run the script on its own to see why it was killed (out of memory, a signal, os._exit)",
            _tail(outcome.stderr_tail),
        )
    return judgeable(record, script, outcome.stderr_tail)


def judgeable(record: RunRecord, script: Path, stderr_tail: str | None = None) -> RunRecord:
    """The record itself, when it holds at least one epoch; otherwise what happened instead."""
    if any(observed(fit) for fit in record.fits):
        return record
    if record.fits:
        raise _no_epoch(record, script)
    stderr_tail = stderr_tail if stderr_tail is not None else record.exit.stderr_tail
    status = record.exit.status
    if status in STOPPED:
        hint = ("allow more with --timeout SECONDS" if status == Status.TIMEOUT
                else "run it again; if it was killed without a signal of yours, look at its memory use")
        raise CannotDiagnose(f"{script}: {_ended(record)} before any fit started", hint, _tail(stderr_tail))
    if status == Status.ERROR:
        raise CannotDiagnose(
            f"{script}: crashed with {record.exit.exception_type} before any fit call: {record.exit.message}",
            _missing_backend(record.exit.message or "")
            or "fix the error below (the script's own traceback), then run modeldoctor again",
            _tail(record.exit.traceback),
        )
    if status == Status.EXIT:
        raise CannotDiagnose(
            f"{script}: exited with status {record.exit.returncode} before any fit call: {record.exit.message}",
            "check the arguments the script expects: pass them after `--`",
            _tail(stderr_tail),
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


def _missing_backend(message: str) -> str | None:
    """Keras was asked for a backend (--backend, KERAS_BACKEND) that the script's environment lacks."""
    match = re.search(r"No module named '(jax|torch)'", message)
    if match is None:
        return None
    return (f"Keras was asked to run on {match.group(1)} (--backend or KERAS_BACKEND), which is not installed in "
            f"the script's environment: pip install 'modeldoctor[{match.group(1)}]', or choose another --backend")


def _nonfinite_data(fit: FitRecord) -> str | None:
    """What the probe saw before a first step crashed: NaN/Inf in the data explains most such crashes
    (PyTorch's binary cross-entropy refuses a NaN prediction where TensorFlow returns a NaN loss)."""
    counts = [f"{stats.nonfinite:,} {side} values" for side, stats in (("input", fit.inputs), ("target", fit.labels))
              if stats is not None and stats.nonfinite]
    if not counts:
        return None
    return (f"the training data holds NaN/Inf ({' and '.join(counts)}; non-finite-data): impute or drop those rows, "
            f"then run modeldoctor again")


def _no_epoch(record: RunRecord, script: Path) -> CannotDiagnose:
    """Fits started, none finished an epoch: nothing about training was observed."""
    fit = record.fits[0]
    status = record.exit.status
    what = f"{script}: {_where(record, fit)} {_ended(record)} before its first epoch ended; no epoch was recorded"
    if status == Status.ERROR:
        return CannotDiagnose(what, _nonfinite_data(fit)
                              or "fix the error below (the script's own traceback), then run modeldoctor again",
                              _tail(record.exit.traceback))
    if status == Status.TIMEOUT:
        return CannotDiagnose(what, "shorten the epochs with --max-steps N, or allow more with --timeout SECONDS",
                              _tail(record.exit.stderr_tail))
    if status == Status.OK:
        return CannotDiagnose(f"{script}: {_where(record, fit)} ran no epoch (epochs=0, or no data?)",
                              "give fit at least one epoch and some data")
    return CannotDiagnose(what, "run it again and let the first epoch finish", _tail(record.exit.stderr_tail))


STOPPED = (Status.TIMEOUT, Status.INTERRUPTED, Status.TERMINATED, Status.KILLED)


def partial(record: RunRecord) -> str | None:
    """`fit 1 (train.py:21) stopped after epoch 3 of 20: timed out after 30 s`, or None when training was seen whole.

    A script that crashes after its fits finished was observed whole; one that was stopped from outside
    (timeout, Ctrl-C, a kill) may have had more training to come. One the live diagnosis stopped says on
    which finding: `fit 1 (train.py:21) stopped at epoch 2 of 40: dying-relu was decisive (...)`.
    """
    unfinished = [f for f in record.fits if not (f.completed or f.stopped_on_nan)]
    if not unfinished and record.exit.status not in STOPPED:
        return None
    pieces, decided = [], []
    for fit in unfinished:
        planned = planned_epochs(fit.fit_args.epochs, record.max_epochs)
        of = f" of {planned}" if planned else ""
        if fit.decided is not None:
            decided.append(f"{_where(record, fit)} stopped at epoch {len(fit.epochs)}{of}: "
                           f"{fit.decided.finding} was decisive ({fit.decided.why})")
        else:
            pieces.append(f"{_where(record, fit)} stopped after epoch {len(fit.epochs)}{of}")
    if decided and not pieces:
        return "; ".join(decided)
    return "; ".join([*decided, f"{'; '.join(pieces) or 'stopped after its last fit ended'}: {_ended(record)}"])


SHORT = 300  # a trial's reason: the first line, cut at a word


def failure(outcome: RunOutcome) -> str | None:
    """Why a run cannot be compared with a whole one, in a few words (a trial's reason), or None."""
    try:
        record = usable_record(outcome, Path("script"), None)
    except CannotDiagnose as error:
        reason = error.what.removeprefix("script: ")
    else:
        reason = partial(record) or ""
    lines = reason.strip().splitlines()
    if not lines:
        return None
    first = lines[0]
    return first if len(first) <= SHORT else first[:SHORT].rsplit(" ", 1)[0] + " …"


def stop_notice(record: RunRecord) -> str | None:
    """What the doctor says on stderr about a run that stopped early: where, why, what to do; None if whole."""
    text = partial(record)
    if text is None:
        return None
    status = record.exit.status
    if status == Status.DECIDED:
        return f"{text}\n  hint: the rest of the run could not change this finding; --full runs to the end"
    if status == Status.TIMEOUT:
        hint = ("the diagnosis covers the epochs recorded; allow more with --timeout SECONDS, "
                "or shorten the run with --epochs N / --max-steps N")
        return f"{text}\n  hint: {hint}"
    if status == Status.ERROR:
        return (f"{text}\n  hint: the diagnosis covers the epochs recorded; the script's own traceback:\n"
                f"{_tail(record.exit.traceback)}")
    return f"{text}\n  hint: the diagnosis covers the epochs recorded"
