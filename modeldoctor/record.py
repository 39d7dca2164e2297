"""The run record: everything one instrumented run observed, as versioned JSON.

The probe (inside the user's process) builds these dataclasses and writes them;
the doctor reads them back. Both sides import this module, so it must stay
free of TensorFlow/Keras imports. Lines are 1-based, columns 0-based (as
Python frames and LibCST report them); `positions.py` converts for output.
"""

from __future__ import annotations

import dataclasses
import json
import types
import typing
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any

SCHEMA_VERSION = 1


@dataclass(frozen=True)
class Location:
    path: str
    line: int
    column: int = 0
    cell: int | None = None  # a notebook's cell (1-based): `line` is then the line in that cell


@dataclass
class LayerInfo:
    name: str
    class_name: str
    activation: str | None = None
    units: int | None = None
    filters: int | None = None
    rate: float | None = None
    kernel_initializer: str | None = None
    kernel_regularizer: str | None = None
    params: int = 0
    trainable_params: int = 0
    fan_in: int | None = None
    initial_kernel_std: float | None = None
    location: Location | None = None


@dataclass
class OptimizerInfo:
    class_name: str
    learning_rate: float | None = None
    config: dict[str, Any] = field(default_factory=dict)
    from_string: bool = False
    location: Location | None = None


@dataclass
class LossInfo:
    name: str
    from_logits: bool | None = None
    config: dict[str, Any] = field(default_factory=dict)


@dataclass
class ModelInfo:
    class_name: str
    name: str
    layers: list[LayerInfo] = field(default_factory=list)
    optimizer: OptimizerInfo | None = None
    loss: LossInfo | None = None
    metrics: list[str] = field(default_factory=list)
    total_params: int = 0
    location: Location | None = None
    compile_location: Location | None = None


@dataclass
class FitArgs:
    epochs: int | None = None
    batch_size: int | None = None
    validation_split: float | None = None
    has_validation_data: bool = False
    steps_per_epoch: int | None = None
    callbacks: list[str] = field(default_factory=list)
    data_kind: str = "array"
    early_stopping: dict[str, Any] | None = None  # monitor, patience, restore_best_weights


@dataclass
class ArrayStats:
    """The training inputs, described before `fit` runs.

    Scale statistics (min … feature_max) are over the first `sampled_rows`
    rows, finite values only. `nonfinite` (NaN/Inf values) and
    `nonfinite_rows` (rows holding one) are counted over `checked_rows`: every
    row of the array, because a defect in row 20,000 is a defect too (for a
    dataset, every row of its first batch). Records written before
    `checked_rows` existed have it 0 and counted over `sampled_rows`.
    """

    shape: list[int]
    dtype: str
    min: float
    max: float
    mean: float
    std: float
    feature_axis: str = "features"
    feature_mean: list[float] = field(default_factory=list)
    feature_std: list[float] = field(default_factory=list)
    feature_min: list[float] = field(default_factory=list)
    feature_max: list[float] = field(default_factory=list)
    sampled_rows: int = 0
    nonfinite: int = 0
    nonfinite_rows: int = 0
    checked_rows: int = 0


@dataclass
class LabelStats:
    """The training targets, described before `fit` runs.

    min, max, mean, std, integer_valued, one_hot and n_classes are over the
    finite values of the first `sampled_rows` rows (NaN in a label column does
    not make class ids non-integer); `nonfinite` and `nonfinite_rows` are
    counted over `checked_rows`, every row, as for ArrayStats.
    """

    shape: list[int]
    dtype: str
    min: float
    max: float
    integer_valued: bool
    one_hot: bool
    n_classes: int | None = None
    mean: float = 0.0
    std: float = 0.0
    sampled_rows: int = 0
    nonfinite: int = 0
    nonfinite_rows: int = 0
    checked_rows: int = 0


@dataclass
class LayerSample:
    layer: str
    grad_norm: float | None = None
    mean_abs_grad: float | None = None
    weight_norm: float | None = None
    update_ratio: float | None = None
    dead_fraction: float | None = None
    saturated_fraction: float | None = None


@dataclass
class Sample:
    step: int
    epoch: int
    loss: float | None
    layers: list[LayerSample] = field(default_factory=list)
    # Taken besides the regular schedule (the first epoch of a long fit, sampled densely): evidence while the
    # regular schedule has none yet, never part of the medians it is calibrated on (`series.schedule`).
    extra: bool = False


class Signal(str, Enum):
    """What the probe samples besides the loss; a detector declares the ones it reads (`@detector(reads=...)`)."""

    GRADIENTS = "gradients"  # per-layer gradient norms on the sample batch
    ACTIVATIONS = "activations"  # dead and saturated shares of units on the sample batch
    UPDATES = "updates"  # ‖Δw‖/‖w‖ over a sampled optimizer step
    INPUTS = "inputs"  # statistics of the training inputs and targets


@dataclass
class Missing:
    """A signal the probe could not observe in a fit, and why: the report names what it therefore did not judge."""

    signal: str  # a Signal value
    reason: str


@dataclass
class BatchLoss:
    step: int
    epoch: int
    loss: float


@dataclass
class Decision:
    """Why the live diagnosis stopped a fit part-way: its finding was decisive (the rest could not change it)."""

    finding: str
    why: str  # the detector's declared reason
    message: str  # the finding's own message at that moment
    epoch: int  # epochs completed when it stopped
    step: int  # training steps taken


@dataclass
class FitRecord:
    index: int
    model: ModelInfo
    fit_args: FitArgs
    location: Location | None = None
    epochs: list[dict[str, float]] = field(default_factory=list)
    batch_losses: list[BatchLoss] = field(default_factory=list)
    samples: list[Sample] = field(default_factory=list)
    inputs: ArrayStats | None = None
    labels: LabelStats | None = None
    sample_every: int = 0
    steps_per_epoch: int | None = None
    stopped_on_nan: bool = False
    nan_step: int | None = None
    nan_epoch: int | None = None
    completed: bool = False
    wall_time: float = 0.0
    final: dict[str, float] = field(default_factory=dict)  # validation of the model fit leaves behind
    missing: list[Missing] = field(default_factory=list)  # signals not observed, each once, with its reason
    decided: Decision | None = None  # the live diagnosis stopped this fit: it was not run to its end

    def miss(self, signal: Signal, reason: str) -> None:
        """Note a signal as not observed (the first reason given for it is kept)."""
        if all(m.signal != signal.value for m in self.missing):
            self.missing.append(Missing(signal=signal.value, reason=reason))


class Status(str, Enum):
    """How a run ended. The probe writes RUNNING with every epoch's record; the doctor names what stopped it."""

    OK = "ok"
    ERROR = "error"  # the script raised
    EXIT = "exit"  # sys.exit with a non-zero status
    RUNNING = "running"  # only while the child lives; read back, it means the child died
    TIMEOUT = "timeout"  # --timeout: the doctor stopped it
    INTERRUPTED = "interrupted"  # Ctrl-C in the doctor
    TERMINATED = "terminated"  # SIGTERM from someone else
    KILLED = "killed"  # died without a word (SIGKILL, out of memory, os._exit)
    DECIDED = "decided"  # the live diagnosis stopped the script: a finding was decisive (see FitRecord.decided)


@dataclass
class ExitInfo:
    status: str = Status.OK.value  # a Status value (kept a plain string in the JSON)
    returncode: int | None = 0
    exception_type: str | None = None
    message: str | None = None
    traceback: str | None = None
    stderr_tail: str | None = None


@dataclass
class RunRecord:
    script: str
    script_sha256: str
    argv: list[str] = field(default_factory=list)
    schema_version: int = SCHEMA_VERSION
    python: str = ""
    keras_imported: bool = False
    keras_version: str | None = None
    backend: str | None = None
    seed: int | None = None
    max_epochs: int | None = None
    max_steps: int | None = None
    fits: list[FitRecord] = field(default_factory=list)
    exit: ExitInfo = field(default_factory=ExitInfo)
    wall_time: float = 0.0


def planned_epochs(requested: int | None, cap: int | None) -> int | None:
    """The epochs a fit was going to run: the script's `epochs`, capped by `--epochs` (KERAS_MAX_EPOCHS)."""
    if requested is None or cap is None:
        return requested if cap is None else cap
    return min(requested, cap)


class RecordError(ValueError):
    """A run record that cannot be read: wrong version or malformed."""


def to_dict(obj: Any) -> Any:
    return dataclasses.asdict(obj)


def to_json(record: RunRecord) -> str:
    return json.dumps(to_dict(record), indent=1, allow_nan=True)


def save(record: RunRecord, path: Path) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(to_json(record), encoding="utf-8")
    tmp.replace(path)


def load(path: Path) -> RunRecord:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise RecordError(f"cannot read run record {path}: {exc}") from exc
    try:
        return from_dict(data)
    except RecordError:
        raise
    except (TypeError, ValueError, KeyError, AttributeError) as exc:  # JSON of another shape
        raise RecordError(f"{path} is not a run record modeldoctor wrote ({type(exc).__name__}: {exc})") from None


def from_dict(data: dict[str, Any]) -> RunRecord:
    if not isinstance(data, dict):
        raise RecordError(f"a run record is a JSON object, not a {type(data).__name__}")
    version = data.get("schema_version")
    if version != SCHEMA_VERSION:
        raise RecordError(
            f"run record has schema_version {version!r}; this modeldoctor reads {SCHEMA_VERSION}"
        )
    return _build(RunRecord, data)


def _build(tp: Any, value: Any) -> Any:
    """Rebuild nested dataclasses from JSON values, guided by type hints."""
    if value is None:
        return None
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        return _build(args[0], value) if len(args) == 1 else value
    if origin is list:
        (item,) = typing.get_args(tp) or (Any,)
        return [_build(item, v) for v in value]
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):  # a hint names the class, never an instance
        hints = typing.get_type_hints(tp)
        known = {f.name for f in dataclasses.fields(tp)}
        return tp(**{k: _build(hints[k], v) for k, v in value.items() if k in known})
    return value
