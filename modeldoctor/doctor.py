"""`Doctor()`: the doctor as a Keras callback, for a `fit` in a notebook or a script nobody wants to rerun.

    from modeldoctor import Doctor
    doctor = Doctor()
    model.fit(x, y, validation_split=0.2, epochs=20, callbacks=[doctor])
    doctor.findings          # the findings the JSON report is made of (.code, .name, .evidence)
    doctor.report("json")    # any format: text, json, markdown, html, sarif, github
    doctor.record            # the run record (doctor.save_record("run.json"))

It records with the probe's own recorder, signals and describer, and
diagnoses at the end of `fit` with the same detectors, rules and thresholds
as `check` (`[tool.modeldoctor]` of the working directory applies). As a
Keras callback should, the constructor only stores configuration and every
piece of state is reset in `on_train_begin`: one instance serves several
fits, and keeps the last one's results.

A callback sees less than the probe: not the arrays passed to `fit`, not
`compile`'s arguments, not where layers were created. It uses what Keras
exposes (the model, its optimizer and loss, the epoch and batch logs) and
the report says what it could not judge. Give it a batch of the training
data (`Doctor(data=(x, y))`) and it samples gradients and activations, and
reads the inputs, as the probe does.

Keras is imported when a Doctor is made, never by `import modeldoctor`:
`Doctor()` returns an instance of a subclass of both `Doctor` and
`keras.callbacks.Callback`, built once.
"""

from __future__ import annotations

import functools
import sys
from pathlib import Path
from typing import Any

from modeldoctor import record as rec

# What a callback cannot see without `data=`: the findings that read these are named by the report's note.
UNSEEN = "the Doctor callback cannot see the arrays passed to fit; pass Doctor(data=(x, y)) to judge them"
NEEDS_RUNS = ("high-variance",)


_KERAS_CLASSES: dict[type, type] = {}


def _keras_class(cls: type) -> type:
    """`cls` and `keras.callbacks.Callback` in one class, made once per class."""
    import keras

    if cls not in _KERAS_CLASSES:
        _KERAS_CLASSES[cls] = type(cls.__name__, (cls, keras.callbacks.Callback),
                                   {"__module__": cls.__module__, "__doc__": cls.__doc__})
    return _KERAS_CLASSES[cls]


class Doctor:
    """Diagnose this `fit` at its end, with `check`'s detectors and rules, and show the report.

    show: print the text report in a terminal, display the HTML report in a notebook (False: keep it quiet).
    data: `(x, y)` or a `tf.data.Dataset` of them, the training data (or a part of it) to judge gradients, activations and inputs as
        the probe does: its first 128 rows are the sample batch, all of it is read for the inputs' statistics.
        Without it the report names what it could not judge.
    select, ignore: codes or prefixes, as `--select`/`--ignore` (default: `[tool.modeldoctor]`).
    config: where to look for `[tool.modeldoctor]` (default: the working directory).
    """

    model: Any  # set by Keras (keras.callbacks.Callback) before training begins
    params: dict[str, Any]

    def __new__(cls, *args: Any, **kwargs: Any) -> Any:
        import keras

        if issubclass(cls, keras.callbacks.Callback):
            return super().__new__(cls)
        return super().__new__(_keras_class(cls))

    def __init__(self, show: bool = True, data: Any = None,
                 select: str | list[str] | None = None, ignore: str | list[str] | None = None,
                 config: str | Path | None = None) -> None:
        super().__init__()
        self.show = show
        self.data = data
        self.select = select
        self.ignore = ignore
        self.config = Path(config) if config is not None else None
        self.record: rec.RunRecord | None = None
        self.findings: list[Any] = []
        self._report: Any = None
        self._recorder: Any = None

    # -- results ------------------------------------------------------------

    def report(self, format: str = "text") -> str:  # noqa: A002 - the CLI's option name
        """The last fit's report in `format` (text, json, markdown, html, sarif, github)."""
        from modeldoctor.bedside import source_lines
        from modeldoctor.report import render

        if self._report is None:
            if self.record is None or not self.record.fits:
                raise RuntimeError("Doctor has not seen a fit yet: pass it to model.fit(..., callbacks=[doctor])")
            self._finish(interrupted=True)
        return render(self._report, format, source_lines=source_lines)

    def save_record(self, path: str | Path) -> None:
        """Keep the run record (JSON): `modeldoctor fix SCRIPT --from-record PATH` reads it for a script."""
        if self.record is None:
            raise RuntimeError("Doctor has not seen a fit yet")
        rec.save(self.record, Path(path))

    # -- the Keras callback -------------------------------------------------

    def on_train_begin(self, logs: Any = None) -> None:
        import keras

        from modeldoctor.bedside import load_settings, new_session
        from modeldoctor.probe.locate import user_location
        from modeldoctor.probe.recorder import make_recorder
        from modeldoctor.probe.batches import Peek, peek
        from modeldoctor.watcher import watching

        self._settings = load_settings(self.config, self.select, self.ignore)
        self._report, self.findings = None, []
        session = new_session()
        self._session = session
        self.record = session.record
        self.record.keras_imported, self.record.keras_version = True, keras.__version__
        self.record.backend = keras.backend.backend()
        model = self.model
        data = self.data
        x, y = data if isinstance(data, (tuple, list)) and len(data) == 2 else (data, None)  # arrays or a dataset
        session.compiles[id(model)] = {"optimizer": getattr(model, "optimizer", None),
                                       "loss": getattr(model, "loss", None), "metrics": None, "location": None}
        watcher = watching()
        if watcher is not None:  # watch() saw the model built and compiled: its creation sites are known
            session.locations = watcher._session.locations
            session.compiles.update(watcher._session.compiles)
        looked = peek(x, y) if x is not None else Peek(None, UNSEEN)
        fit = session.new_fit(model, {"x": x, "y": y, "epochs": self.params.get("epochs"), "callbacks": []}, looked)
        fit.location = user_location(session.files)  # the fit call: the first frame outside Keras and us
        if x is None:
            fit.fit_args.data_kind = "unseen"
        recorder = make_recorder(keras, fit, looked.batch, functools.partial(session.describe_model, fit),
                                 session.progress)
        recorder.set_model(model)
        recorder.set_params(self.params)
        self._recorder = recorder
        recorder.on_train_begin(logs)

    def on_epoch_begin(self, epoch: int, logs: Any = None) -> None:
        self._recorder.on_epoch_begin(epoch, logs)

    def on_train_batch_begin(self, batch: int, logs: Any = None) -> None:
        self._recorder.on_train_batch_begin(batch, logs)

    def on_train_batch_end(self, batch: int, logs: Any = None) -> None:
        self._recorder.on_train_batch_end(batch, logs)

    def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
        self._recorder.on_epoch_end(epoch, logs)

    def on_train_end(self, logs: Any = None) -> None:
        self._recorder.on_train_end(logs)
        try:
            self._finish()
        except RuntimeError as error:  # e.g. epochs=0: say so, never fail the user's fit at its end
            print(f"modeldoctor: nothing to diagnose: {error}", file=sys.stderr)
            return
        if self.show:
            from modeldoctor.bedside import show

            show(self._report)

    def _finish(self, interrupted: bool = False) -> None:
        from modeldoctor.bedside import diagnose
        from modeldoctor.run.triage import CannotDiagnose, judgeable

        assert self.record is not None
        record = self.record
        fit = record.fits[-1]
        fit.fit_args.has_validation_data = any("val_loss" in epoch for epoch in fit.epochs)
        record.exit = (rec.ExitInfo(status=rec.Status.INTERRUPTED, returncode=None, message="fit did not end")
                       if interrupted else rec.ExitInfo())
        try:
            judgeable(record, Path(record.script))
        except CannotDiagnose as error:
            raise RuntimeError(error.what) from None
        self._report = diagnose(record, self._settings, self._unjudged(fit))
        self.findings = list(self._report.findings)

    def _unjudged(self, fit: rec.FitRecord) -> list[str]:
        notes = []
        notes.append(f"not judged from one fit (several seeded runs: modeldoctor check --runs 3): "
                     f"{', '.join(NEEDS_RUNS)}")
        if fit.model.location is None and not any(layer.location for layer in fit.model.layers):
            notes.append("a callback does not see where the layers and the optimizer were created (call "
                         "modeldoctor.watch() before building the model to record it)")
        return notes
