"""The command line: wires the arrows of DESIGN.md together, no logic of its own.

Exit codes: 0 healthy, 1 findings, 2 could not diagnose or usage error.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from modeldoctor import __version__
from modeldoctor import record as rec
from modeldoctor.report.summary import run_summary
from modeldoctor.runner import RunOptions, run_probe
from modeldoctor.triage import CannotDiagnose, check_script, usable_record

EXIT_CODES = """\b
Exit codes:
  0  healthy: no finding
  1  findings reported
  2  could not diagnose (missing file, syntax error, crash before fit,
     no fit call, not a Keras script, timeout) or usage error
"""


def _fail(error: CannotDiagnose) -> None:
    click.echo(f"modeldoctor: error: {error}", err=True)
    sys.exit(2)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="modeldoctor")
def main() -> None:
    """A doctor for Keras training scripts.

    `check` runs your script under instrumentation and diagnoses why it does
    not learn, overfits or varies; `fix` writes the cures into your source.
    """


@main.command(epilog=EXIT_CODES)
@click.argument("script", type=click.Path(path_type=Path, dir_okay=False))
@click.argument("script_args", nargs=-1, type=click.UNPROCESSED)
@click.option("--python", "python", default=sys.executable, show_default="this interpreter",
              help="Interpreter of the environment the script needs (with Keras installed).")
@click.option("--timeout", type=float, default=600.0, show_default=True,
              help="Stop the script and all its children after this many seconds.")
@click.option("--epochs", "max_epochs", type=int, help="Cap every fit at N epochs for a quick probe.")
@click.option("--max-steps", type=int, help="Cap every epoch at N steps for a quick probe.")
@click.option("--record", "record_path", type=click.Path(path_type=Path, dir_okay=False),
              help="Keep the run record (JSON) at this path.")
@click.option("-q", "--quiet", is_flag=True, help="Capture the script's own output instead of showing it.")
def check(
    script: Path,
    script_args: tuple[str, ...],
    python: str,
    timeout: float,
    max_epochs: int | None,
    max_steps: int | None,
    record_path: Path | None,
    quiet: bool,
) -> None:
    """Run SCRIPT under the probe and diagnose its training.

    The script runs in a child process from the current directory, as
    `python SCRIPT SCRIPT_ARGS...` would run it; pass its own arguments
    after `--`:

        modeldoctor check train.py -- --epochs 5
    """
    try:
        check_script(script)
        options = RunOptions(python=python, timeout=timeout, max_epochs=max_epochs,
                             max_steps=max_steps, quiet=quiet)
        outcome = run_probe(script, script_args, options)
        if outcome.record is not None and record_path is not None:
            rec.save(outcome.record, record_path)
        record = usable_record(outcome, script, timeout)
    except CannotDiagnose as error:
        _fail(error)
        return
    click.echo(run_summary(record))
