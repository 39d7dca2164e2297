"""Instrumentation overhead: each script run plainly and under `modeldoctor check`.

Runs alternate (plain, probed, plain, probed, ...) so that machine noise hits
both alike. Prints wall-time per fixture and the ratio probed/plain.

    python benchmarks/overhead.py [--repeat 3] [SCRIPT ...]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT = sorted((ROOT / "fixtures" / "healthy").glob("*.py")) + sorted((ROOT / "benchmarks" / "workloads").glob("*.py"))


def timed(cmd: list[str]) -> float:
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2")
    start = time.perf_counter()
    subprocess.run(cmd, check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, cwd=ROOT)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("scripts", nargs="*", type=Path, default=DEFAULT)
    args = parser.parse_args()
    rows = []
    for script in args.scripts:
        plain, probed = [], []
        for _ in range(args.repeat):
            plain.append(timed([sys.executable, str(script)]))
            probed.append(timed([sys.executable, "-m", "modeldoctor", "check", "--quiet", str(script)]))
        p, q = statistics.median(plain), statistics.median(probed)
        rows.append((script.name, p, q, q / p))
        print(f"{script.name:32} plain {p:6.2f} s  probed {q:6.2f} s  ratio {q / p:5.3f}", flush=True)
    print()
    print(f"{'script':32} {'plain s':>8} {'probed s':>9} {'ratio':>6}")
    for name, p, q, r in rows:
        print(f"{name:32} {p:8.2f} {q:9.2f} {r:6.3f}")
    print(f"median ratio, all: {statistics.median(r for *_, r in rows):.3f}")
    long = [r for _, p, _, r in rows if p >= 10]
    if long:
        print(f"median ratio, plain run >= 10 s: {statistics.median(long):.3f}")


if __name__ == "__main__":
    main()
