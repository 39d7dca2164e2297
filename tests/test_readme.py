"""The README's Usage and every --help example are executable: each shown line runs as written.

Lines are read from README.md and from the help texts at collection time, so
the tests follow the docs; the only change made to a line is an epoch cap
(`--epochs 2` after the script) where it trains, to keep the suite affordable.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from usage import (
    EPOCH_CAP,
    Shown,
    capped,
    command_text,
    help_commands,
    our_tracebacks,
    prepare_project,
    readme_commands,
    run_shown,
    trains,
)

README_COMMANDS = readme_commands()
HELP_COMMANDS = help_commands()
# A help example that is also a README line runs once, as a README case: training is the suite's cost.
HELP_ONLY = [c for c in HELP_COMMANDS if c.text not in {r.text for r in README_COMMANDS}]


def cases(commands: list[Shown]) -> list[object]:
    """One case per shown line; `slow` only when one of its steps trains."""
    return [
        pytest.param(c, id=c.id, marks=[pytest.mark.slow] if any(trains(step) for step in c.steps) else [])
        for c in commands
    ]


def test_usage_section_is_parsed():
    """A broken parser finding no lines would pass every case vacuously."""
    assert len(README_COMMANDS) >= 10, [c.text for c in README_COMMANDS]
    assert all(c.steps and all(c.steps) for c in README_COMMANDS)


def test_help_examples_are_found():
    """The group's help and `check`/`fix` show examples; finding none means the parser broke."""
    where = {c.where for c in HELP_COMMANDS}
    assert {"modeldoctor --help", "modeldoctor check --help", "modeldoctor fix --help"} <= where, where


@pytest.mark.parametrize(
    "line, text",
    [
        ("    modeldoctor check train.py                  # run it, diagnose", "modeldoctor check train.py"),
        ("    modeldoctor fix train.py --apply    write them into the file", "modeldoctor fix train.py --apply"),
        ("      modeldoctor check --static src/              # source only, fast", "modeldoctor check --static src/"),
    ],
    ids=["README comment", "group help column", "subcommand help comment"],
)
def test_comment_and_description_column_are_not_arguments(line: str, text: str):
    """What follows a command on its line explains it; passed on, it would become the script's arguments."""
    assert command_text(line) == text


CAP_CASES = [
    (("modeldoctor", "check", "train.py"), ("modeldoctor", "check", "train.py", *EPOCH_CAP)),
    (("modeldoctor", "check", "train.py", "--", "--data", "data/"),
     ("modeldoctor", "check", "train.py", *EPOCH_CAP, "--", "--data", "data/")),
    (("modeldoctor", "check", "--format", "json", "train.py"),
     ("modeldoctor", "check", "--format", "json", "train.py", *EPOCH_CAP)),
    (("modeldoctor", "check", "train.py", "--epochs", "3"), ("modeldoctor", "check", "train.py", "--epochs", "3")),
    (("modeldoctor", "check", "--static", "src/"), ("modeldoctor", "check", "--static", "src/")),
    (("modeldoctor", "check", "--history", "training.csv"), ("modeldoctor", "check", "--history", "training.csv")),
    (("modeldoctor", "fix", "--static", "train.py"), ("modeldoctor", "fix", "--static", "train.py")),
    (("modeldoctor", "fix", "train.py", "--record", "run.json"),
     ("modeldoctor", "fix", "train.py", "--record", "run.json")),
    (("modeldoctor", "fix", "train.py", "--from-record", "run.json"),
     ("modeldoctor", "fix", "train.py", "--from-record", "run.json")),
    (("modeldoctor", "explain", "MD201"), ("modeldoctor", "explain", "MD201")),
    (("modeldoctor", "rules"), ("modeldoctor", "rules")),
]


@pytest.mark.parametrize("step, expected", CAP_CASES, ids=[" ".join(step[1:]) for step, _ in CAP_CASES])
def test_epoch_cap_only_where_it_trains(step: tuple[str, ...], expected: tuple[str, ...]):
    """The cap is the one thing added to a line: after SCRIPT, never where nothing trains or a cap is given."""
    assert capped(step) == expected


def test_the_scripts_own_traceback_is_not_ours():
    """The user's crash is shown on purpose (triage's `  | ` tail); only an unprefixed traceback is our bug."""
    stderr = "modeldoctor: error: train.py: crashed\n  | Traceback (most recent call last):\n  |   File ...\n"
    assert our_tracebacks(stderr) == []
    assert our_tracebacks("Traceback (most recent call last):\n  File ...\nKeyError: 'runs'\n")


@pytest.mark.parametrize("command", cases(README_COMMANDS))
def test_readme_usage_line_runs(command: Shown, tmp_path: Path):
    run_shown(command, prepare_project(tmp_path))


@pytest.mark.parametrize("command", cases(HELP_ONLY))
def test_help_example_runs(command: Shown, tmp_path: Path):
    run_shown(command, prepare_project(tmp_path))
