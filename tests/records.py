"""Hand-made run records for detector unit tests: only the numbers a test is about."""

from __future__ import annotations

from modeldoctor.record import (
    BatchLoss,
    FitArgs,
    FitRecord,
    LabelStats,
    LayerInfo,
    LayerSample,
    Location,
    LossInfo,
    ModelInfo,
    OptimizerInfo,
    RunRecord,
    Sample,
)

HERE = Location(path="train.py", line=10, column=0)


def layer(name: str, activation: str | None = "relu", units: int = 16, params: int = 100, **kw) -> LayerInfo:
    return LayerInfo(name=name, class_name="Dense", activation=activation, units=units, params=params,
                     trainable_params=params, location=Location("train.py", 5, 4), **kw)


def fit(
    loss: list[float],
    val_loss: list[float] | None = None,
    accuracy: list[float] | None = None,
    val_accuracy: list[float] | None = None,
    layers: list[LayerInfo] | None = None,
    samples: list[Sample] | None = None,
    loss_name: str = "sparse_categorical_crossentropy",
    labels: LabelStats | None = None,
    first_batch: float | None = None,
    **kw,
) -> FitRecord:
    epochs = []
    for i, value in enumerate(loss):
        logs = {"loss": value}
        if val_loss is not None:
            logs["val_loss"] = val_loss[i]
        if accuracy is not None:
            logs["accuracy"] = accuracy[i]
        if val_accuracy is not None:
            logs["val_accuracy"] = val_accuracy[i]
        epochs.append(logs)
    model = ModelInfo(class_name="Sequential", name="m",
                      layers=layers if layers is not None else [layer("dense"), layer("out", "softmax", 10)],
                      optimizer=OptimizerInfo("Adam", 0.001), loss=LossInfo(loss_name))
    batch = [BatchLoss(0, 0, first_batch)] if first_batch is not None else []
    return FitRecord(index=0, model=model, fit_args=FitArgs(epochs=len(loss)), location=HERE, epochs=epochs,
                     samples=samples or [], labels=labels, batch_losses=batch, **kw)


def sample(step: int, **per_layer: dict) -> Sample:
    return Sample(step=step, epoch=0, loss=1.0,
                  layers=[LayerSample(layer=name, **values) for name, values in per_layer.items()])


def run(*fits: FitRecord, seed: int | None = None) -> RunRecord:
    return RunRecord(script="train.py", script_sha256="0", fits=list(fits), seed=seed)


def classes(n: int = 10) -> LabelStats:
    return LabelStats(shape=[100], dtype="int64", min=0, max=n - 1, integer_valued=True, one_hot=False, n_classes=n)
