"""Notebooks for the tests, written as Jupyter writes them (nbformat 4, one line per list item)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def code(source: str, outputs: list[dict[str, Any]] | None = None, count: int | None = None) -> dict[str, Any]:
    return {"cell_type": "code", "execution_count": count, "id": f"c{abs(hash(source)) % 10**8}", "metadata": {},
            "outputs": outputs or [], "source": source.splitlines(keepends=True)}


def markdown(source: str) -> dict[str, Any]:
    return {"cell_type": "markdown", "id": f"m{abs(hash(source)) % 10**8}", "metadata": {},
            "source": source.splitlines(keepends=True)}


def notebook(*cells: dict[str, Any]) -> str:
    data = {"cells": list(cells), "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python",
                                                               "name": "python3"}},
            "nbformat": 4, "nbformat_minor": 5}
    return json.dumps(data, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


STREAM = {"name": "stdout", "output_type": "stream", "text": ["ok\n"]}

STATIC = notebook(
    markdown("# A notebook with source-level findings"),
    code("%matplotlib inline\nimport keras\nimport numpy as np"),
    code("x = np.random.rand(64, 4)\ny = np.random.rand(64, 1)", [STREAM], 2),
    code('model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(8, activation="relu"),\n'
         "                          keras.layers.Dense(1)])\n"
         'model.compile(optimizer=keras.optimizers.Adam(learning_rate=5.0), loss="mse")'),
    code("!nvidia-smi\nmodel.fit(x, y, epochs=3, verbose=0)"),
)


def write(folder: Path, text: str = STATIC, name: str = "analysis.ipynb") -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path
