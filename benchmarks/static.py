"""Speed of `modeldoctor check --static`: wall time of the real command, interpreter start included.

Cases: one file, and a folder of 50 scripts (copies and variants of the
fixtures, generated in a temporary folder). Baselines show what is not ours
to win: a bare interpreter, and importing the CLI. Each case runs --repeat
times; the table gives the median and the best.

Python normally caches compiled bytecode (`__pycache__`), as it is after
`pip install`; with PYTHONDONTWRITEBYTECODE=1 (set in some sandboxes and
containers) every run recompiles modeldoctor's own modules. Both are
measured: "cached" uses a temporary PYTHONPYCACHEPREFIX, "no cache" sets
PYTHONDONTWRITEBYTECODE=1 (modules without a `__pycache__` entry are then
compiled on every run).

    python benchmarks/static.py [--repeat 7]
"""

from __future__ import annotations

import argparse
import itertools
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ONE_FILE = ROOT / "fixtures" / "healthy" / "add_breast_cancer.py"
SOURCES = sorted(p for folder in ("healthy", "learning", "generalization", "prediction")
                 for p in (ROOT / "fixtures" / folder).glob("*.py"))
TARGETS = {"one file (target < 0.3 s)": 0.3, "folder of 50 scripts (target < 5 s)": 5.0}


def timed(cmd: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(wall, cpu) seconds of one run; CPU time (user + system) is the steadier figure on a busy machine."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(cmd, check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, cwd=ROOT)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def make_folder(folder: Path, count: int = 50) -> None:
    """`count` scripts: each fixture in turn, varied so no two files are identical."""
    for i, source in zip(range(count), itertools.cycle(SOURCES)):
        text = source.read_text()
        variant = text.replace("epochs=", f"epochs={i} + ") if i % 2 else text
        (folder / f"script_{i:02d}_{source.stem}.py").write_text(f"# variant {i} of {source.name}\n{variant}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    python = sys.executable
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        make_folder(folder)
        cases = {
            "python -c pass (baseline)": [python, "-c", "pass"],
            "import modeldoctor.cli (baseline)": [python, "-c", "import modeldoctor.cli"],
            "one file (target < 0.3 s)": [python, "-m", "modeldoctor", "check", "--static", str(ONE_FILE)],
            "folder of 50 scripts (target < 5 s)": [python, "-m", "modeldoctor", "check", "--static", str(folder)],
        }
        base = {k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE", "PYTHONPYCACHEPREFIX")}
        envs = {
            "cached": dict(base, NO_COLOR="1", PYTHONPYCACHEPREFIX=str(folder / "pycache")),
            "no cache": dict(base, NO_COLOR="1", PYTHONDONTWRITEBYTECODE="1"),
        }
        rows = []
        for name, cmd in cases.items():
            row: list[float] = []
            for env in envs.values():
                timed(cmd, env)  # warm the file and bytecode caches
                runs = [timed(cmd, env) for _ in range(args.repeat)]
                walls = [w for w, _ in runs]
                row += [statistics.median(walls), min(walls), statistics.median(c for _, c in runs)]
            rows.append((name, row))
            print(f"{name:42} " + " ".join(f"{t:6.3f}" for t in row), file=sys.stderr, flush=True)
    print(f"\n{'':38} {'bytecode cached':^29}  {'no bytecode cache':^29}")
    print(f"{'case':38} " + f"{'wall med':>9} {'wall best':>9} {'cpu med':>9}  " * 2 + f"{'target':>7}")
    for name, row in rows:
        target = TARGETS.get(name)
        verdict = "" if target is None else ("ok" if row[0] < target else "MISSED")
        cells = " ".join(f"{t:9.3f}" for t in row[:3]) + "  " + " ".join(f"{t:9.3f}" for t in row[3:])
        print(f"{name:38} {cells}  {verdict:>7}")
    print(f"(load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs; {args.repeat} runs each)")


if __name__ == "__main__":
    main()
