"""metric-task-mismatch (MD115): an accuracy metric on a model the source shows to be a regression
(a regression loss and an output without activation). The run-time detector judges from the targets."""

from __future__ import annotations

from collections.abc import Iterator

from modeldoctor.static.checks.loss_activation import _classification_metrics, read_loss
from modeldoctor.static.facts import Script, output_of
from modeldoctor.static.registry import Hit, static_check
from modeldoctor.static.thresholds import StaticThresholds
from modeldoctor.vocabulary import LOGITS


@static_check("metric-task-mismatch")
def metric_task_mismatch(script: Script, limits: StaticThresholds) -> Iterator[Hit]:
    for compile_call in script.compiles:
        model = script.model_of(compile_call)
        output = output_of(model) if model is not None else None
        loss = read_loss(script, compile_call.arg_node("loss", 1))
        metrics = compile_call.arg_node("metrics")
        if output is None or loss is None or loss.kind != "regression" or output.activation != LOGITS:
            continue
        if not _classification_metrics(script, metrics):
            continue
        yield Hit(
            f"an accuracy metric on a regression ({loss.name} on an output without activation, line "
            f"{output.layer.line}): accuracy counts class predictions a regression never makes, so it says "
            "nothing about the fit; use mean absolute error or RootMeanSquaredError",
            metrics or compile_call.node,
            {"loss": loss.name, "output_activation": output.activation, "output_line": output.layer.line},
            confidence=0.7,
        )


VALID = [
    'import keras\nm = keras.Sequential([keras.layers.Dense(1)])\nm.compile(loss="mse", metrics=["mae"])\n',
    'import keras\nm = keras.Sequential([keras.layers.Dense(1, activation="sigmoid")])\n'
    'm.compile(loss="binary_crossentropy", metrics=["accuracy"])\n',
    'import keras\nm = keras.Sequential([keras.layers.Dense(10, activation="softmax")])\n'
    'm.compile(loss="categorical_crossentropy", metrics=["accuracy"])\n',
]
INVALID = [
    'import keras\nm = keras.Sequential([keras.Input((8,)), keras.layers.Dense(16, activation="relu"), '
    'keras.layers.Dense(1)])\nm.compile(optimizer="adam", loss="mse", metrics=["accuracy"])\n',
    'from tensorflow import keras\nm = keras.Sequential([keras.layers.Dense(1)])\n'
    'm.compile(loss=keras.losses.MeanAbsoluteError(), metrics=[keras.metrics.Accuracy()])\n',
]
