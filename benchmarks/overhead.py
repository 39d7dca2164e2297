"""Instrumentation overhead: each script run plainly and under `modeldoctor check`, on each Keras backend.

Runs alternate (plain, probed, plain, probed, ...) so that machine noise hits
both alike. Prints wall-time per fixture and backend and the ratio probed/plain.

    python benchmarks/overhead.py [--repeat 3] [--backend tensorflow --backend jax ...] [SCRIPT ...]
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


def timed(cmd: list[str], backend: str) -> float:
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", KERAS_BACKEND=backend)
    start = time.perf_counter()
    subprocess.run(cmd, check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, cwd=ROOT)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--backend", action="append", dest="backends",
                        help="tensorflow, jax or torch (repeatable; default: all three)")
    parser.add_argument("scripts", nargs="*", type=Path, default=DEFAULT)
    args = parser.parse_args()
    rows = []
    for script in args.scripts:
        for backend in args.backends or ["tensorflow", "jax", "torch"]:
            plain, probed = [], []
            for _ in range(args.repeat):
                plain.append(timed([sys.executable, str(script)], backend))
                probed.append(timed([sys.executable, "-m", "modeldoctor", "check", "--quiet", str(script)], backend))
            p, q = statistics.median(plain), statistics.median(probed)
            rows.append((script.name, backend, p, q, q / p))
            print(f"{script.name:32} {backend:10} plain {p:6.2f} s  probed {q:6.2f} s  ratio {q / p:5.3f}", flush=True)
    print()
    print(f"| {'script':32} | {'backend':10} | {'plain s':>8} | {'probed s':>9} | {'ratio':>6} |")
    print(f"| {'---':32} | {'---':10} | {'---':>8} | {'---':>9} | {'---':>6} |")
    for name, backend, p, q, r in rows:
        print(f"| {name:32} | {backend:10} | {p:8.2f} | {q:9.2f} | {r:6.3f} |")
    for backend in dict.fromkeys(b for _, b, *_ in rows):
        ratios = [r for _, b, _, _, r in rows if b == backend]
        long = [r for _, b, p, _, r in rows if b == backend and p >= 10]
        line = f"{backend}: median ratio, all: {statistics.median(ratios):.3f}"
        if long:
            line += f"; plain run >= 10 s: {statistics.median(long):.3f}"
        print(line)


if __name__ == "__main__":
    main()
