"""The same diagnosis on every backend: each labelled fixture under TensorFlow, JAX and PyTorch.

Prints, per fixture, the primary finding under each backend (`-` for none) and
whether it matches the label (the TensorFlow expectation in fixtures/labels.toml),
then the agreement per backend. Each backend draws its own random numbers
(initial weights, shuffling), so a fixture on the edge of two verdicts can
fall on either side; the table shows which.

    python benchmarks/backends.py [--backend jax --backend torch] [FIXTURE ...]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"


def primary(script: str, backend: str, runs: int) -> str:
    cmd = [sys.executable, "-m", "modeldoctor", "check", str(FIXTURES / script), "--backend", backend, "-q",
           "--format", "json", "--runs", str(runs)]
    result = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, check=False)
    if result.returncode not in (0, 1):
        return f"error ({result.returncode})"
    findings = json.loads(result.stdout)["findings"]
    return findings[0]["name"] if findings else "-"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--backend", action="append", dest="backends")
    parser.add_argument("fixtures", nargs="*")
    args = parser.parse_args()
    backends = args.backends or ["tensorflow", "jax", "torch"]
    labels = tomllib.loads((FIXTURES / "labels.toml").read_text())
    expected = {**{k: "-" for k in labels["healthy"]}, **{k: v["primary"] for k, v in labels["problems"].items()}}
    runs = {k: v.get("runs", 1) for k, v in labels["problems"].items()}
    chosen = args.fixtures or list(expected)
    agree = {b: 0 for b in backends}
    rows = []
    for script in chosen:
        got = {b: primary(script, b, runs.get(script, 1)) for b in backends}
        for b in backends:
            agree[b] += got[b] == expected[script]
        rows.append((script, expected[script], got))
        print(f"{script:58} {expected[script]:26} " + " ".join(f"{got[b]:26}" for b in backends), flush=True)
    print()
    print("| fixture | label | " + " | ".join(backends) + " |")
    print("| --- | --- | " + " | ".join("---" for _ in backends) + " |")
    for script, label, got in rows:
        cells = [got[b] if got[b] == label else f"**{got[b]}**" for b in backends]
        print(f"| {script} | {label} | " + " | ".join(cells) + " |")
    print("| agreement | | " + " | ".join(f"{agree[b]}/{len(rows)}" for b in backends) + " |")


if __name__ == "__main__":
    main()
