"""The recording callback added to every `fit` call.

Follows the Keras callback conventions: the constructor stores configuration,
model-dependent setup happens lazily at the first batch, and batch hooks do
real work only on sampled steps. Weights are read only after touching
`self.model`: on JAX that access syncs the trainer's live state back into
the variables (between syncs they hold nothing, or stale values).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any

from modeldoctor.probe import describe, signals
from modeldoctor.probe.batches import SampleBatch
from modeldoctor.record import BatchLoss, FitRecord, LayerSample, Sample, Signal

TARGET_SAMPLES = 24
TARGET_BATCH_LOSSES = 200
# A fit whose regular schedule samples at most once per epoch (more than ~24 epochs) samples its first epoch
# this many times besides: decisive problems (every unit dead, exploding gradients) show within that epoch
# instead of after several. The extra samples are marked, and the detectors' medians leave them out once the
# regular schedule has samples of its own past them (`diagnose.series.schedule`).
FIRST_EPOCH_SAMPLES = 6


def first_epoch_extra(steps_per_epoch: int, sample_every: int) -> set[int]:
    """The steps of the first epoch sampled besides the regular schedule (none when it samples often enough)."""
    if steps_per_epoch <= 1 or sample_every < steps_per_epoch:
        return set()
    spread = {min(steps_per_epoch - 1, max(1, round(k * steps_per_epoch / FIRST_EPOCH_SAMPLES)) - 1)
              for k in range(1, FIRST_EPOCH_SAMPLES + 1)}
    return {step for step in spread if step > 0 and step % sample_every}


def make_recorder(
    keras: Any,
    fit: FitRecord,
    sample_batch: SampleBatch | None,
    describe_layers: Callable[[Any, list[Any]], None],
    on_change: Callable[[str], None],
    validation: tuple[Any, Any] | None = None,
    look: Callable[[bool, int, bool], bool] | None = None,
) -> Any:
    """Build the callback; `keras` is the user's already-imported module. `look(epoch_end, step)` is the
    live diagnosis, asked after each sampled step and epoch: True stops training (a decisive finding)."""

    class ModelDoctorRecorder(keras.callbacks.Callback):
        def __init__(self) -> None:
            super().__init__()
            self.fit_record = fit

        def on_train_begin(self, logs: Any = None) -> None:
            self._step = 0
            self._epoch = 0
            self._layers: list[Any] = []
            self._before: dict[str, Any] | None = None
            self._described = False
            self._started = time.perf_counter()
            steps = self.params.get("steps") or 0
            epochs = self.params.get("epochs") or 1
            total = max(1, steps * epochs) if steps else 1000
            fit.steps_per_epoch = steps or None
            fit.sample_every = max(1, math.ceil(total / TARGET_SAMPLES))
            self._loss_every = max(1, math.ceil(total / TARGET_BATCH_LOSSES))
            self._extra = first_epoch_extra(steps, fit.sample_every) if steps else set()

        def on_epoch_begin(self, epoch: int, logs: Any = None) -> None:
            self._epoch = epoch

        def _sampled(self, step: int) -> bool:
            return step % fit.sample_every == 0 or step in self._extra

        def on_train_batch_begin(self, batch: int, logs: Any = None) -> None:
            if self._step == 0:
                self._layers = describe.leaf_layers(self.model)
                if all(layer.built for layer in self._layers):
                    self._describe()
            if self._sampled(self._step):
                self.model  # noqa: B018 - syncs JAX's live weights into the variables
                try:
                    self._before = signals.weight_arrays(self._layers)
                except Exception as exc:  # noqa: BLE001 - a failed sample must not stop training
                    self._missed(Signal.UPDATES, f"reading the weights failed: {type(exc).__name__}: {exc}"[:300])

        def _missed(self, signal: Signal, reason: str) -> None:
            if all(m.signal != signal.value for m in fit.missing):
                on_change(f"sampling failed: {signal.value}: {reason}")
            fit.miss(signal, reason)

        def _describe(self) -> None:
            """Subclassed models build their layers during the first step, hence lazily."""
            describe_layers(self.model, self._layers)
            self._described = True

        def on_train_batch_end(self, batch: int, logs: Any = None) -> None:
            if not self._described:
                self._describe()
            step = self._step
            self._step += 1
            loss = _as_float((logs or {}).get("loss"))
            if loss is not None and not math.isfinite(loss):
                fit.stopped_on_nan = True
                fit.nan_step, fit.nan_epoch = step, self._epoch
                fit.batch_losses.append(BatchLoss(step=step, epoch=self._epoch, loss=loss))
                self.model.stop_training = True
                return
            if loss is not None and step % self._loss_every == 0:
                fit.batch_losses.append(BatchLoss(step=step, epoch=self._epoch, loss=loss))
            if self._sampled(step):
                self._sample(step, loss)
                if look is not None and look(False, step + 1, False):
                    self.model.stop_training = True

        def _sample(self, step: int, loss: float | None) -> None:
            model = self.model  # on JAX: the weights after this step, synced back
            ratios: dict[str, float] = {}
            if self._before is not None:
                try:
                    ratios = signals.update_ratios(self._before, self._layers)
                except Exception as exc:  # noqa: BLE001
                    self._missed(Signal.UPDATES, f"reading the weights failed: {type(exc).__name__}: {exc}"[:300])
                self._before = None
            if sample_batch is None:
                layer_samples = [LayerSample(layer=name, update_ratio=ratio) for name, ratio in ratios.items()]
            else:
                layer_samples, failed = signals.sample_layers(model, self._layers, sample_batch.x, sample_batch.y)
                for signal, reason in failed.items():
                    self._missed(signal, reason)
                for s in layer_samples:
                    s.update_ratio = ratios.pop(s.layer, None)
                layer_samples += [LayerSample(layer=name, update_ratio=ratio) for name, ratio in ratios.items()]
            fit.samples.append(Sample(step=step, epoch=self._epoch, loss=loss, layers=layer_samples,
                                      extra=step in self._extra))

        def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
            values = {k: _as_float(v) for k, v in (logs or {}).items()}
            fit.epochs.append({k: v for k, v in values.items() if v is not None})
            last = epoch + 1 >= (self.params.get("epochs") or 0)
            if look is not None and fit.decided is None and look(True, self._step, last):
                self.model.stop_training = True
            on_change("epoch")

        def on_train_end(self, logs: Any = None) -> None:
            fit.completed = not fit.stopped_on_nan and fit.decided is None
            fit.wall_time = time.perf_counter() - self._started
            if validation is not None and fit.completed:
                # The model fit leaves behind: EMA weights are swapped in and EarlyStopping has
                # restored its best weights by now; the epoch logs saw neither.
                try:
                    results = self.model.evaluate(*validation, verbose=0, return_dict=True)
                    fit.final = {f"val_{k}": v for k, v in ((k, _as_float(v)) for k, v in results.items())
                                 if v is not None}
                except Exception as exc:  # noqa: BLE001 - a failed evaluation must not fail the script
                    on_change(f"final evaluation failed: {exc!r}")
            on_change("fit-end")

    return ModelDoctorRecorder()


def _as_float(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None
