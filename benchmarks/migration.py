"""Runs after migration: the legacy corpus (`fixtures/legacy/`) through `fix --select MD5 --apply`.

Each script is a Keras-2-era training script that fails on Keras 3 as
written. For every one, on a copy in a temporary folder:

1. run it plainly and confirm that it fails (exit != 0);
2. `modeldoctor check --static COPY --select MD5 --format json`: which MD5
   rules fire (codes from the JSON `findings`);
3. `modeldoctor fix COPY --select MD5 --unsafe-fixes --apply`;
4. the result parses (`ast.parse`) and is a fixed point (a second `fix
   --apply` leaves the file's hash unchanged);
5. run the migrated copy plainly (cwd = the temporary folder): it reached
   the end (exit 0), or the last error line it printed. What still blocks a
   script is that line, with the MD5 findings `check --static` still reports
   on the migrated copy.

A command that is missing, crashes or times out is a cell in the table,
never a traceback here. The table is Markdown on stdout, progress on stderr.

    python benchmarks/migration.py [--only NAME] [--jobs 2] [--timeout 120]
"""

from __future__ import annotations

import argparse
import ast
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "fixtures" / "legacy"
VENV = ROOT / ".venv" / "bin"
ERROR_LINE = re.compile(r"^([A-Za-z_][\w.]*(Error|Exception|Exit|Interrupt|Warning)|KeyboardInterrupt)\b")


@dataclass
class Outcome:
    """What one command did: its exit code (None if it could not run or timed out) and its output."""

    code: int | None
    stdout: str = ""
    stderr: str = ""
    note: str = ""  # why it did not run: "not found: ...", "timeout after 120 s"

    @property
    def ok(self) -> bool:
        return self.code == 0


@dataclass
class Row:
    """One script's journey through the migration."""

    script: str
    plain: Outcome | None = None
    fired: Counter = field(default_factory=Counter)
    check_note: str = ""  # set when check --static gave no usable JSON
    fix_note: str = ""  # set when fix crashed or could not run
    parses: str = "-"
    fixed_point: str = "-"
    after: Outcome | None = None
    remaining: Counter = field(default_factory=Counter)
    seconds: float = 0.0

    @property
    def fails_as_written(self) -> bool:
        """Confirmed only by the script itself: an exit code other than 0, or a timeout (it never got to the end)."""
        if self.plain is None:
            return False
        return (self.plain.code is not None and self.plain.code != 0) or self.plain.note.startswith("timeout")

    @property
    def runs_after(self) -> bool:
        return self.after is not None and self.after.ok


def run(cmd: list[str], cwd: Path, timeout: float) -> Outcome:
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", NO_COLOR="1", PYTHONDONTWRITEBYTECODE="1")
    try:
        done = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout,
                              stdin=subprocess.DEVNULL, check=False)
    except FileNotFoundError:
        return Outcome(None, note=f"not found: {cmd[0]}")
    except subprocess.TimeoutExpired as exc:
        out = exc.stdout.decode(errors="replace") if isinstance(exc.stdout, bytes) else (exc.stdout or "")
        err = exc.stderr.decode(errors="replace") if isinstance(exc.stderr, bytes) else (exc.stderr or "")
        return Outcome(None, out, err, note=f"timeout after {timeout:g} s")
    except OSError as exc:
        return Outcome(None, note=f"could not start: {exc}")
    return Outcome(done.returncode, done.stdout, done.stderr)


def last_error(outcome: Outcome) -> str:
    """The line a user would read first: the exception line, else the last line of stderr."""
    if outcome.note:
        return outcome.note
    lines = [line.strip() for line in outcome.stderr.splitlines() if line.strip()]
    errors = [line for line in lines if ERROR_LINE.match(line)]
    if errors:
        return errors[-1]
    return lines[-1] if lines else f"exit {outcome.code}, nothing on stderr"


def md5_codes(outcome: Outcome) -> tuple[Counter, str]:
    """The MD5 codes in a `check --format json` report, or a note saying why there are none to read."""
    if outcome.note:
        return Counter(), outcome.note
    start = outcome.stdout.find("{")
    try:
        report = json.loads(outcome.stdout[start:]) if start >= 0 else None
    except json.JSONDecodeError:
        report = None
    if not isinstance(report, dict):
        return Counter(), f"no JSON (exit {outcome.code}): {last_error(outcome)}"
    findings = report.get("findings") or []
    return Counter(str(f.get("code")) for f in findings if isinstance(f, dict) and str(f.get("code", "")).startswith("MD5")), ""


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def tool(python: str) -> list[str]:
    """The modeldoctor command of the interpreter's environment."""
    script = Path(python).parent / "modeldoctor"
    return [str(script)] if script.exists() else [python, "-m", "modeldoctor"]


def migrate(source: Path, python: str, timeout: float) -> Row:
    started = time.perf_counter()
    row = Row(source.name)
    doctor = tool(python)
    with tempfile.TemporaryDirectory(prefix="md-migration-") as tmp:
        folder = Path(tmp)
        copy = folder / source.name
        shutil.copy2(source, copy)
        row.plain = run([python, copy.name], folder, timeout)
        shutil.copy2(source, copy)  # whatever the plain run wrote, start from the original
        row.fired, row.check_note = md5_codes(run(
            doctor + ["check", "--static", copy.name, "--select", "MD5", "--format", "json"], folder, timeout))
        fix = doctor + ["fix", copy.name, "--select", "MD5", "--unsafe-fixes", "--apply"]
        first = run(fix, folder, timeout)
        if first.note or "Traceback (most recent call last)" in first.stderr:
            row.fix_note = f"fix failed: {last_error(first)}"
        text = copy.read_text(encoding="utf-8", errors="replace")
        try:
            ast.parse(text)
            row.parses = "yes"
        except SyntaxError as exc:
            row.parses = f"no: line {exc.lineno}: {exc.msg}"
        once = digest(copy)
        second = run(fix, folder, timeout)
        if second.note or "Traceback (most recent call last)" in second.stderr:
            row.fixed_point = f"second fix failed: {last_error(second)}"
        else:
            row.fixed_point = "yes" if digest(copy) == once else "no"
        row.remaining, _ = md5_codes(run(
            doctor + ["check", "--static", copy.name, "--select", "MD5", "--format", "json"], folder, timeout))
        row.after = run([python, copy.name], folder, timeout)
    row.seconds = time.perf_counter() - started
    return row


def cell(text: str, width: int = 110) -> str:
    text = re.sub(r" \(/[^)]*\)$", "", " ".join(text.split()))  # an ImportError's file path says nothing here
    text = text.replace("|", "\\|")
    return text if len(text) <= width else text[: width - 1] + "…"


def codes(counter: Counter) -> str:
    return " ".join(code if n == 1 else f"{code}×{n}" for code, n in sorted(counter.items()))


def table(rows: list[Row]) -> list[str]:
    lines = ["| script | fails as written | rules fired | parses | fixed point | runs after | still blocked by |",
             "| --- | --- | --- | --- | --- | --- | --- |"]
    for row in rows:
        if row.plain is None:
            plain = "—"
        elif row.fails_as_written:
            plain = "yes" if row.plain.code is not None else f"yes ({row.plain.note})"
        else:
            plain = "**no: exit 0**" if row.plain.ok else f"? {cell(row.plain.note, 40)}"
        fired = codes(row.fired) or ("0" if not row.check_note else cell(f"({row.check_note})", 60))
        if row.fix_note:
            fired += f" ({cell(row.fix_note, 60)})"
        after = "yes" if row.runs_after else "no"
        blocked = ""
        if not row.runs_after and row.after is not None:
            blocked = cell(last_error(row.after))
            if row.remaining:
                blocked = f"{codes(row.remaining)} remain; {blocked}"
        lines.append(f"| {row.script} | {plain} | {fired} | {cell(row.parses, 40)} | {cell(row.fixed_point, 40)} "
                     f"| {after} | {blocked} |")
    return lines


def summary(rows: list[Row]) -> list[str]:
    total = len(rows)
    if not total:
        return ["0/0 run after migration (no script matched)"]
    ran = sum(r.runs_after for r in rows)
    fired = sum((r.fired for r in rows), Counter())
    return [
        f"{sum(r.fails_as_written for r in rows)}/{total} fail on Keras 3 as written; "
        f"{sum(r.parses == 'yes' for r in rows)}/{total} parse after fix; "
        f"{sum(r.fixed_point == 'yes' for r in rows)}/{total} are a fixed point",
        f"rules fired: {sum(fired.values())} findings, {len(fired)} rules ({codes(fired) or 'none'})",
        f"{ran}/{total} run after migration ({100 * ran / total:.0f} %)",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", action="append", default=[], metavar="NAME",
                        help="only the scripts whose name contains NAME (repeatable)")
    parser.add_argument("--jobs", type=int, default=2, help="scripts migrated at the same time (default 2)")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds per command (default 120)")
    default_python = VENV / "python"
    parser.add_argument("--python", default=str(default_python) if default_python.exists() else sys.executable,
                        help="interpreter with Keras 3 and modeldoctor installed (default: the repository's .venv)")
    args = parser.parse_args()
    scripts = sorted(p for p in CORPUS.glob("*.py")
                     if not args.only or any(name in p.name for name in args.only))
    print(f"{len(scripts)} script(s) from {CORPUS.relative_to(ROOT)}, {args.jobs} at a time, "
          f"python {args.python}", file=sys.stderr, flush=True)
    started = time.perf_counter()
    rows: list[Row] = []
    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        for row in pool.map(lambda p: migrate(p, args.python, args.timeout), scripts):
            state = "runs" if row.runs_after else f"blocked: {cell(last_error(row.after), 80) if row.after else '?'}"
            print(f"  {row.script:70} {row.seconds:5.1f} s  {codes(row.fired) or '0 rules':30} {state}",
                  file=sys.stderr, flush=True)
            rows.append(row)
    print("\n".join(table(rows)))
    print()
    print("\n".join(summary(rows)))
    print(f"({time.perf_counter() - started:.0f} s with --jobs {args.jobs}; load average {os.getloadavg()[0]:.1f} "
          f"on {os.cpu_count()} CPUs)", file=sys.stderr)


if __name__ == "__main__":
    main()
