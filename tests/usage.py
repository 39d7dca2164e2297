"""The commands we show users (README's Usage, every --help), parsed and run as a user would run them.

A README line that no longer works is a bug a user finds first; these helpers
turn each shown line into argv lists, prepare the folder a user would run them
in, and run them with the real command line.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import click
from click.testing import CliRunner

from conftest import FIXTURES, ROOT

README = ROOT / "README.md"
PROG = "modeldoctor"
# Trains in a few seconds and still has findings after the epoch cap (MD109 from
# epoch 1; overfitting needs more epochs), so `fix` has cures to print, apply and verify.
SCRIPT_FIXTURE = FIXTURES / "generalization" / "overfitting_breast_cancer.py"
NOTEBOOK_FIXTURE = FIXTURES / "notebooks" / "overfitting_breast_cancer.ipynb"  # the same training, as cells
EPOCH_CAP = ("--epochs", "2")
# Options after which no training happens, whatever else the step says.
NOT_TRAINING = {"--static", "--history", "--help", "-h", "--version"}
TRACEBACK = "Traceback (most recent call last)"
SCRIPT_TRACEBACK_PREFIX = "  | "  # triage._tail: the user's own traceback, shown on purpose
STEP_TIMEOUT = 900.0  # fix --verify --seeds 3 trains a dozen times on 2 cores


@dataclass(frozen=True)
class Shown:
    """One command line as the user reads it: where it was shown, its text, its steps."""

    where: str
    text: str
    steps: tuple[tuple[str, ...], ...]

    @property
    def id(self) -> str:
        return self.text if self.where == "README" else f"{self.where}: {self.text}"


def command_text(line: str) -> str:
    """The command part of a shown line.

    A `# comment` ends it (README, subcommand help); so does a gap of two or
    more spaces, the two-column layout of the group's help
    (`modeldoctor check train.py          run it, diagnose, report`), whose
    description is not an argument.
    """
    text = line.strip()
    text = re.split(r"\s+#", text, maxsplit=1)[0]
    text = re.split(r"\s{2,}", text, maxsplit=1)[0]
    return text.strip()


def steps_of(text: str) -> tuple[tuple[str, ...], ...]:
    """`a; b` and `a && b` are two steps (the README uses `;`: `check` exits 1 on findings, which stops `&&`)."""
    return tuple(tuple(shlex.split(step)) for step in re.split(r"\s*(?:&&|;)\s+", text) if step.strip())


def shown(where: str, line: str) -> Shown:
    text = command_text(line)
    return Shown(where, text, steps_of(text))


def commands_in(lines: list[str]) -> list[str]:
    """Indented lines (a code block, or a \\b block of help) that start with `modeldoctor `."""
    return [line for line in lines if line[:1] in (" ", "\t") and line.strip().startswith(PROG + " ")]


def usage_section(markdown: str) -> list[str]:
    """The lines of `## Usage`, up to the next level-2 heading (its `###` subsections belong to it)."""
    lines = markdown.splitlines()
    starts = [i for i, line in enumerate(lines) if line.strip() == "## Usage"]
    assert starts, "README.md has no `## Usage` section"
    section: list[str] = []
    for line in lines[starts[0] + 1:]:
        if line.startswith("## "):
            break
        section.append(line)
    return section


def readme_commands() -> list[Shown]:
    return [shown("README", line) for line in commands_in(usage_section(README.read_text(encoding="utf-8")))]


def command_paths(group: click.Group, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """`()` for the group itself, then every subcommand's path, nested groups included."""
    found = [path]
    for name, command in sorted(group.commands.items()):
        if isinstance(command, click.Group):
            found += command_paths(command, (*path, name))
        else:
            found.append((*path, name))
    return found


def help_text(path: tuple[str, ...]) -> str:
    """What `modeldoctor ... --help` prints, rendered in-process: it imports no TensorFlow and takes no child."""
    from modeldoctor.cli import main

    result = CliRunner().invoke(main, [*path, "--help"], prog_name=PROG)
    assert result.exit_code == 0, f"{PROG} {' '.join(path)} --help: {result.output}{result.exception!r}"
    return result.output


def help_commands() -> list[Shown]:
    """Every example line of every --help."""
    from modeldoctor.cli import main

    examples: list[Shown] = []
    for path in command_paths(main):
        where = " ".join((PROG, *path, "--help"))
        examples += [shown(where, line) for line in commands_in(help_text(path).splitlines())]
    return examples


def command_of(argv: tuple[str, ...]) -> tuple[click.Command | None, int]:
    """The click command a step names, and the index of its first own argument."""
    from modeldoctor.cli import main

    command: click.Command = main
    index = 1
    while isinstance(command, click.Group) and index < len(argv) and argv[index] in command.commands:
        command = command.commands[argv[index]]
        index += 1
    return (None if isinstance(command, click.Group) else command), index


def takes_value(command: click.Command, token: str) -> bool:
    """Whether the option `token` consumes the next token (as click would parse it)."""
    if "=" in token or not token.startswith("--") and len(token) > 2:
        return False  # --opt=value, or -oVALUE
    for param in command.params:
        if isinstance(param, click.Option) and token in (*param.opts, *param.secondary_opts):
            return not param.is_flag and not param.count
    return False


def script_position(argv: tuple[str, ...]) -> int | None:
    """Index of the step's SCRIPT argument (its first positional), or None when it has none."""
    command, index = command_of(argv)
    if command is None:
        return None
    while index < len(argv):
        token = argv[index]
        if token == "--":
            return None
        if token.startswith("-") and token != "-":
            index += 2 if takes_value(command, token) else 1
            continue
        return index
    return None


def own_options(argv: tuple[str, ...]) -> set[str]:
    """The doctor's own option names in a step (not the script's, after `--`)."""
    mine = argv[: argv.index("--")] if "--" in argv else argv
    return {token.split("=", 1)[0] for token in mine if token.startswith("-")}


def trains(argv: tuple[str, ...]) -> bool:
    """`check SCRIPT` and `fix SCRIPT` run the script, except from the source, a history or a kept record.

    `fix` given a record (`--record`, `--from-record`: any option naming one)
    reads it instead of training; `check --record`/`--save-record` trains and keeps it.
    """
    if len(argv) < 2 or argv[1] not in ("check", "fix"):
        return False
    options = own_options(argv)
    if options & NOT_TRAINING or argv[1] == "fix" and any("record" in option for option in options):
        return False
    return script_position(argv) is not None


def capped(argv: tuple[str, ...]) -> tuple[str, ...]:
    """The step with `--epochs 2` right after its script path where it trains (unless it already caps)."""
    if not trains(argv) or "--epochs" in own_options(argv):
        return argv
    at = script_position(argv)
    assert at is not None
    return (*argv[: at + 1], *EPOCH_CAP, *argv[at + 1:])


def history_csv(epochs: int = 10) -> str:
    """A CSVLogger file (epoch, then the metrics sorted by name) of a run that overfits after epoch 4."""
    rows = ["epoch,accuracy,loss,val_accuracy,val_loss"]
    for epoch in range(epochs):
        loss = 0.65 * 0.78**epoch
        val_loss = 0.6 * 0.8**epoch if epoch <= 4 else 0.6 * 0.8**4 + 0.03 * (epoch - 4)
        accuracy = 1 - loss / 2
        val_accuracy = 1 - val_loss / 2
        rows.append(f"{epoch},{accuracy:.4f},{loss:.4f},{val_accuracy:.4f},{val_loss:.4f}")
    return "\n".join(rows) + "\n"


def prepare_project(folder: Path) -> Path:
    """A user's project as the shown lines assume it: train.py, its data/, src/, a saved training.csv and
    analysis.ipynb."""
    shutil.copyfile(SCRIPT_FIXTURE, folder / "train.py")
    (folder / "data").mkdir()  # the fixture loads its data from scikit-learn and ignores its argv
    (folder / "src").mkdir()
    shutil.copyfile(SCRIPT_FIXTURE, folder / "src" / "train.py")
    (folder / "training.csv").write_text(history_csv(), encoding="utf-8")
    shutil.copyfile(NOTEBOOK_FIXTURE, folder / "analysis.ipynb")
    return folder


def child_env() -> dict[str, str]:
    """NO_COLOR as in conftest.cli; ROOT on PYTHONPATH so `-m modeldoctor` is this checkout from any cwd."""
    path = os.environ.get("PYTHONPATH")
    return dict(os.environ, NO_COLOR="1", PYTHONPATH=str(ROOT) if not path else f"{ROOT}{os.pathsep}{path}")


def our_tracebacks(stderr: str) -> list[str]:
    """Traceback headers of the doctor's own crashes; the script's own tail (`  | `) is shown on purpose."""
    return [line for line in stderr.splitlines() if TRACEBACK in line and not line.startswith(SCRIPT_TRACEBACK_PREFIX)]


def tail(text: str, lines: int = 25) -> str:
    return "\n".join(text.rstrip().splitlines()[-lines:])


def run_shown(command: Shown, folder: Path) -> None:
    """Run every step in `folder` as the user would; each must exit 0 or 1 without a traceback of ours.

    Unlike a shell's `&&`, a step that exits 1 (findings) does not stop the
    next: 1 is a result, not a failure.
    """
    for step in command.steps:
        assert step[:1] == (PROG,), f"a step of {command.text!r} is not a {PROG} command: {shlex.join(step)}"
        argv = capped(step)
        result = subprocess.run([sys.executable, "-m", PROG, *argv[1:]], capture_output=True, text=True, cwd=folder,
                                env=child_env(), timeout=STEP_TIMEOUT)
        said = f"$ {shlex.join(argv)}\nexit {result.returncode}\n--- stderr (tail) ---\n{tail(result.stderr)}"
        assert not our_tracebacks(result.stderr), said
        assert result.returncode in (0, 1), said
