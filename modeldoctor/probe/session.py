"""One instrumented run: wraps Keras so every `fit` is recorded, and saves the record.

The user's script is never edited to be observed: `Model.fit` and `Model.compile`
are wrapped once Keras is imported, and `Layer.__new__` / `Optimizer.__new__` note
where each object was created. No `__init__` is touched: Keras (and users) read
its signature to rebuild objects from their config.
"""

from __future__ import annotations

import functools
import inspect
import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from modeldoctor import record as rec
from modeldoctor.probe import describe
from modeldoctor.probe.batches import Peek, peek
from modeldoctor.probe.locate import UserFiles, user_location
from modeldoctor.probe.recorder import make_recorder
from modeldoctor.record import planned_epochs


class Decided(BaseException):
    """The live diagnosis stopped a fit on a decisive finding: the script ends there (`__main__` says so).

    A BaseException, so the script's own `except Exception` around `fit` does not swallow it."""

@dataclass
class ProbeSession:
    record: rec.RunRecord
    record_path: Path
    files: UserFiles
    progress_path: Path | None = None
    locations: dict[int, rec.Location] = field(default_factory=dict)
    compiles: dict[int, dict[str, Any]] = field(default_factory=dict)
    started: float = field(default_factory=time.perf_counter)
    in_fit: bool = False
    live: Any = None  # LiveSettings: look at each fit while it trains (None: only record, as Doctor() does)

    def save(self) -> None:
        self.record.wall_time = time.perf_counter() - self.started
        rec.save(self.record, self.record_path)

    def progress(self, event: str) -> None:
        if event in ("epoch", "fit-end"):
            # Every epoch's end is on disk (atomically): a timeout, Ctrl-C or kill keeps what was seen.
            self.save()
        self.tell({"event": event})

    def tell(self, line: dict[str, Any]) -> None:
        """One progress line for the doctor's display, about the fit in progress."""
        if self.progress_path is None or not self.record.fits:
            return
        fit = self.record.fits[-1]
        line = {
            **line,
            "fit": fit.index,
            "epoch": len(fit.epochs),
            "epochs": planned_epochs(fit.fit_args.epochs, self.record.max_epochs),
            "loss": fit.epochs[-1].get("loss") if fit.epochs else None,
        }
        with open(self.progress_path, "a", encoding="utf-8") as out:
            out.write(json.dumps(line) + "\n")

    # -- wrapping Keras ---------------------------------------------------

    def patch(self, keras: ModuleType) -> None:
        self.record.keras_imported = True
        self.record.keras_version = getattr(keras, "__version__", None)
        try:
            self.record.backend = keras.backend.backend()
        except Exception:  # noqa: BLE001
            self.record.backend = None
        if self.record.seed is not None:
            _offset_seeds(keras, self.record.seed)
        _record_creation_sites(keras.layers.Layer, self.locations, self.files)
        _record_creation_sites(keras.optimizers.Optimizer, self.locations, self.files)
        model = keras.Model
        model.compile = self._wrap_compile(model.compile)
        model.fit = self._wrap_fit(keras, model.fit)

    def _wrap_compile(self, original: Any) -> Any:
        signature = inspect.signature(original)
        session = self

        @functools.wraps(original)
        def compile(model: Any, *args: Any, **kwargs: Any) -> Any:
            arguments = signature.bind(model, *args, **kwargs).arguments
            session.compiles[id(model)] = {
                "optimizer": arguments.get("optimizer", "rmsprop"),
                "loss": arguments.get("loss"),
                "metrics": arguments.get("metrics"),
                "location": user_location(session.files),
            }
            return original(model, *args, **kwargs)

        return compile

    def _wrap_fit(self, keras: ModuleType, original: Any) -> Any:
        signature = inspect.signature(original)
        session = self

        @functools.wraps(original)
        def fit(model: Any, *args: Any, **kwargs: Any) -> Any:
            if session.in_fit:
                return original(model, *args, **kwargs)
            bound = signature.bind(model, *args, **kwargs)
            looked = peek(bound.arguments.get("x"), bound.arguments.get("y"))
            if "x" in bound.arguments:
                bound.arguments["x"] = looked.data  # a generator's peeked batch, put back
            fit_record = session.new_fit(model, bound.arguments, looked)
            look = session.looker(fit_record) if session.live is not None else None
            recorder = make_recorder(
                keras,
                fit_record,
                looked.batch,
                functools.partial(session.describe_model, fit_record),
                session.progress,
                _validation(bound.arguments),
                look,
            )
            callbacks = bound.arguments.get("callbacks")
            if callbacks is None or isinstance(callbacks, (list, tuple)):
                bound.arguments["callbacks"] = [*(callbacks or []), recorder]
            else:  # a CallbackList the user built
                callbacks.append(recorder)
            session.in_fit = True
            try:
                history = original(*bound.args, **bound.kwargs)
            finally:
                session.in_fit = False
                session.save()
            if fit_record.decided is not None:
                raise Decided(fit_record.decided)
            return history

        return fit

    def looker(self, fit: rec.FitRecord) -> Any:
        """The live diagnosis of one fit, as the recorder calls it: True when training should stop."""
        live = self.live.diagnosis()

        def look(epoch_end: bool, step: int, last: bool = False) -> bool:
            seen = live.look(fit, epoch_end, step, last)
            for finding in seen.new:
                self.tell({"event": "suspect", "finding": finding.name, "message": finding.message})
            if seen.decision is None:
                return False
            fit.decided = seen.decision
            self.tell({"event": "decided", "finding": seen.decision.finding, "why": seen.decision.why})
            return True

        return look

    def new_fit(self, model: Any, arguments: dict[str, Any], looked: Peek) -> rec.FitRecord:
        callbacks = arguments.get("callbacks") or []
        batch = looked.batch
        fit_args = rec.FitArgs(
            epochs=arguments.get("epochs", 1),
            batch_size=arguments.get("batch_size"),
            validation_split=arguments.get("validation_split") or None,
            has_validation_data=bool(arguments.get("validation_split"))
            or arguments.get("validation_data") is not None,
            steps_per_epoch=arguments.get("steps_per_epoch"),
            callbacks=[type(c).__name__ for c in callbacks] if isinstance(callbacks, (list, tuple)) else [],
            data_kind=batch.source if batch is not None else "other",
            early_stopping=_early_stopping(callbacks),
        )
        fit_record = rec.FitRecord(
            index=len(self.record.fits),
            model=rec.ModelInfo(class_name=type(model).__name__, name=model.name),
            fit_args=fit_args,
            location=user_location(self.files),
        )
        # Arrays are described whole; a pipeline by its first batch, the rows the probe could see.
        x_array = describe.as_array(arguments.get("x"))
        y_array = describe.as_array(arguments.get("y")) if x_array is not None else None
        if x_array is None and batch is not None:
            x_array, y_array = describe.as_array(batch.x), describe.as_array(batch.y)
        fit_record.inputs = describe.array_stats(x_array) if x_array is not None else None
        fit_record.labels = describe.label_stats(y_array) if y_array is not None else None
        if batch is None:
            reason = looked.reason or "no sample batch"
            for signal in (rec.Signal.GRADIENTS, rec.Signal.ACTIVATIONS):
                fit_record.miss(signal, reason)
        if fit_record.inputs is None:
            fit_record.miss(rec.Signal.INPUTS, looked.reason if batch is None and looked.reason else
                            "the training inputs are not one numeric array (several named inputs, or text)")
        self.record.fits.append(fit_record)
        return fit_record

    def describe_model(self, fit_record: rec.FitRecord, model: Any, layers: list[Any]) -> None:
        """Describe the model once it is built (at the first training batch)."""
        compiled = self.compiles.get(id(model), {})
        infos = [describe.describe_layer(layer, self.locations.get(id(layer))) for layer in layers]
        info = describe.describe_model(model, infos, compiled)
        info.location = self.locations.get(id(model))
        info.compile_location = compiled.get("location")
        optimizer = getattr(model, "optimizer", None)
        if optimizer is not None:
            from_string = isinstance(compiled.get("optimizer"), str)
            location = info.compile_location if from_string else self.locations.get(id(optimizer))
            info.optimizer = describe.describe_optimizer(optimizer, from_string, location)
        fit_record.model = info


def _early_stopping(callbacks: Any) -> dict[str, Any] | None:
    """What an EarlyStopping among the user's callbacks keeps: it decides which weights survive."""
    for callback in callbacks if isinstance(callbacks, (list, tuple)) else []:
        if type(callback).__name__ == "EarlyStopping":
            return {
                "monitor": str(getattr(callback, "monitor", "")),
                "patience": int(getattr(callback, "patience", 0) or 0),
                "restore_best_weights": bool(getattr(callback, "restore_best_weights", False)),
            }
    return None


def _record_creation_sites(base: type[Any], locations: dict[int, rec.Location], files: UserFiles) -> None:
    """Record where each instance of `base` (or of a subclass) is created, from `base.__new__`.

    `__init__` is left alone on purpose: Keras builds a layer's config from
    `inspect.signature(cls.__init__)` and `inspect.getfullargspec(cls.__init__)`
    (which does not follow `__wrapped__`), so a `*args, **kwargs` wrapper there
    breaks any custom layer without an `__init__` of its own. At `__new__` time
    no frame of the object's own `__init__` is on the stack yet, so the first
    frame in the user's files is the creation site, even for layers built in a
    subclassed model's `__init__`.
    """
    original: Any = base.__new__
    takes_no_arguments = original is object.__new__  # it refuses extra ones once __new__ is overridden

    @functools.wraps(original)
    def __new__(cls: type[Any], *args: Any, **kwargs: Any) -> Any:  # the same parameters as Layer.__new__
        instance = original(cls) if takes_no_arguments else original(cls, *args, **kwargs)
        location = user_location(files)
        if location is None:  # a stale entry of a dead object with the same id must not stick
            locations.pop(id(instance), None)
        else:
            locations[id(instance)] = location
        return instance

    if takes_no_arguments:
        # A Python `__new__` now comes first in the MRO, and `inspect.signature(SomeClass)`
        # would read it instead of the `__init__` it read before: give it that signature.
        __new__.__signature__ = inspect.signature(base.__init__)  # type: ignore[attr-defined]
    base.__new__ = staticmethod(__new__)  # type: ignore[assignment]


def _offset_seeds(keras: ModuleType, seed: int) -> None:
    """Seed the run, and shift any seed the script sets itself, so that runs differ."""
    original = keras.utils.set_random_seed

    def set_random_seed(value: int) -> None:
        original(int(value) + seed)

    keras.utils.set_random_seed = set_random_seed
    original(seed)


def _validation(arguments: dict[str, Any]) -> tuple[Any, Any] | None:
    """The validation data fit uses: `validation_data`, or the last rows `validation_split` takes."""
    data = arguments.get("validation_data")
    if isinstance(data, (tuple, list)) and len(data) >= 2:
        return data[0], data[1]
    if data is not None and hasattr(data, "element_spec"):
        return data, None
    split = arguments.get("validation_split") or 0
    x, y = describe.as_array(arguments.get("x")), describe.as_array(arguments.get("y"))
    if split and x is not None and y is not None:
        start = int(len(x) * (1 - split))
        return x[start:], y[start:]
    return None


def env_int(name: str) -> int | None:
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else None
