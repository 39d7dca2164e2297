"""Diagnose a saved training history (CSVLogger CSV or History.history JSON) without rerunning.

Only the curve-based findings can be judged from epoch logs; the report says
which ones could not.
"""

from __future__ import annotations

import csv
import hashlib
import json
from pathlib import Path

from modeldoctor.record import FitArgs, FitRecord, ModelInfo, RunRecord


class HistoryError(ValueError):
    pass


def _epochs_from_columns(columns: dict[str, list[float]], path: Path) -> list[dict[str, float]]:
    columns = {k: v for k, v in columns.items() if k != "epoch" and isinstance(v, list)}
    if "loss" not in columns:
        raise HistoryError(f"{path}: no 'loss' column; found {', '.join(sorted(columns)) or 'nothing'}")
    length = len(columns["loss"])
    return [{k: float(v[i]) for k, v in columns.items() if i < len(v)} for i in range(length)]


def read_history(path: Path) -> list[dict[str, float]]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise HistoryError(f"{path}: cannot be read ({exc})") from None
    if path.suffix.lower() == ".json" or text.lstrip().startswith("{"):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise HistoryError(f"{path}: not valid JSON ({exc})") from None
        if isinstance(data, dict) and isinstance(data.get("history"), dict):
            data = data["history"]
        if not isinstance(data, dict):
            raise HistoryError(f"{path}: expected a JSON object of metric lists, like History.history")
        return _epochs_from_columns(data, path)
    rows = list(csv.DictReader(text.splitlines()))
    if not rows:
        raise HistoryError(f"{path}: empty CSV; expected CSVLogger's columns (epoch, loss, ...)")
    columns: dict[str, list[float]] = {}
    for row in rows:
        for key, value in row.items():
            try:
                columns.setdefault(key, []).append(float(value))
            except (TypeError, ValueError):
                raise HistoryError(f"{path}: column '{key}' has a non-number {value!r}") from None
    return _epochs_from_columns(columns, path)


def history_record(path: Path) -> RunRecord:
    epochs = read_history(path)
    fit = FitRecord(
        index=0,
        model=ModelInfo(class_name="unknown", name="unknown"),
        fit_args=FitArgs(epochs=len(epochs), has_validation_data="val_loss" in (epochs[0] if epochs else {})),
        epochs=epochs,
        completed=True,
    )
    return RunRecord(
        script=str(path),
        script_sha256=hashlib.sha256(path.read_bytes()).hexdigest(),
        keras_imported=True,
        fits=[fit],
    )
