"""A fixed, hand-built report for the report tests: no training, no rule files read.

The script `train.py` trains a warm-up model with a learning rate far too high
(exploding gradients, an oscillating loss), then a wide model on 300 samples
(overfitting); three seeded runs disagree on the final validation loss (high
variance). Every number is computed here from fixed formulas, so the report is
the same on every machine; paths are relative so snapshots do not depend on
where the checkout lives.
"""

from __future__ import annotations

import dataclasses
import difflib
import math

from modeldoctor.ftypes import (
    Applicability,
    Cure,
    Explanation,
    Family,
    Finding,
    Measure,
    Prescription,
    Report,
    Rule,
    Severity,
    Target,
    Trial,
)
from modeldoctor.record import (
    ExitInfo,
    FitArgs,
    FitRecord,
    LayerInfo,
    LayerSample,
    Location,
    LossInfo,
    ModelInfo,
    OptimizerInfo,
    RunRecord,
    Sample,
)

SCRIPT = "train.py"
SOURCE = '''"""Classify handwritten digits: a warm-up model, then the real one."""
import keras
from keras import layers
from sklearn.datasets import load_digits

x, y = load_digits(return_X_y=True)
x = x / 16.0


def build(width):
    return keras.Sequential([
        keras.Input(shape=(64,)),
        layers.Dense(width, activation="relu", name="hidden"),
        layers.Dense(width, activation="relu", name="hidden_2"),
        layers.Dense(10, activation="softmax", name="output"),
    ])


warmup = build(64)
warmup.compile(optimizer=keras.optimizers.SGD(learning_rate=2.0),
               loss="sparse_categorical_crossentropy", metrics=["accuracy"])
warmup.fit(x, y, epochs=12, batch_size=32, validation_split=0.2)

model = build(512)
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
model.fit(x[:300], y[:300], epochs=30, batch_size=16, validation_split=0.3)
'''
PATCHED = SOURCE.replace(
    "SGD(learning_rate=2.0)", "SGD(learning_rate=2.0, clipnorm=1.0)"
).replace(
    "validation_split=0.3)",
    "validation_split=0.3,\n"
    "          callbacks=[keras.callbacks.EarlyStopping(patience=5, restore_best_weights=True)])",
)
SEEDS = (0, 1, 2)


def source_lines(path: str) -> list[str]:
    assert path == SCRIPT, path
    return SOURCE.splitlines()


def at(needle: str, occurrence: int = 0) -> Location:
    """Where `needle` starts in SOURCE: 1-based line, 0-based column, as the probe records."""
    hits = [(i, line.index(needle)) for i, line in enumerate(SOURCE.splitlines(), 1) if needle in line]
    line, column = hits[occurrence]
    return Location(SCRIPT, line, column)


def r(value: float) -> float:
    return float(f"{value:.4g}")


# -- the run records ------------------------------------------------------------


def _layers(width: int, location_of: str = "layers.Dense") -> list[LayerInfo]:
    shapes = [("hidden", 64, width), ("hidden_2", width, width), ("output", width, 10)]
    layers = []
    for i, (name, fan_in, units) in enumerate(shapes):
        params = fan_in * units + units
        layers.append(LayerInfo(
            name=name, class_name="Dense", activation="softmax" if name == "output" else "relu",
            units=units, kernel_initializer="glorot_uniform", params=params, trainable_params=params,
            fan_in=fan_in, initial_kernel_std=r(math.sqrt(2 / (fan_in + units))),
            location=at(location_of, i)))
    return layers


def _warmup_fit(seed: int) -> FitRecord:
    wobble = [0.0, -0.41, -0.07, -0.62, 0.3, -0.25, 0.62, -0.09, 0.45, 0.1, 0.83, 0.18]
    loss = [r(2.05 + w + 0.03 * seed * (-1) ** i) for i, w in enumerate(wobble)]
    val = [r(v * 1.04 + 0.02) for v in loss]
    acc = [r(max(0.1, 0.62 - 0.18 * v + 0.01 * seed)) for v in loss]
    epochs = [{"loss": loss[i], "accuracy": acc[i], "val_loss": val[i], "val_accuracy": r(acc[i] - 0.03)}
              for i in range(12)]
    samples = []
    for k in range(36):
        epoch, step = k // 3, k * 12
        t = k / 35
        samples.append(Sample(step=step, epoch=epoch, loss=loss[epoch], layers=[
            LayerSample("hidden", grad_norm=r(0.8 * 10 ** (1.6 * t)), weight_norm=r(6.1 + 9 * t),
                        update_ratio=r(0.2 + 0.3 * t), dead_fraction=r(0.1 + 0.35 * t)),
            LayerSample("hidden_2", grad_norm=r(1.9 * 10 ** (3.1 * t) * (1 + 0.3 * math.sin(k + seed))),
                        weight_norm=r(8.2 + 30 * t), update_ratio=r(0.4 + 0.9 * t), dead_fraction=r(0.15 + 0.4 * t)),
            LayerSample("output", grad_norm=r(0.45 * 10 ** (2.1 * t)), weight_norm=r(2.5 + 4 * t),
                        update_ratio=r(0.3 + 0.2 * t), saturated_fraction=r(0.05 + 0.5 * t)),
        ]))
    model = ModelInfo(
        class_name="Sequential", name="sequential", layers=_layers(64),
        optimizer=OptimizerInfo("SGD", learning_rate=2.0, location=at("keras.optimizers.SGD")),
        loss=LossInfo("sparse_categorical_crossentropy"), metrics=["accuracy"], total_params=9034,
        location=at("keras.Sequential"), compile_location=at("warmup.compile"))
    return FitRecord(
        index=0, model=model, location=at("warmup.fit"),
        fit_args=FitArgs(epochs=12, batch_size=32, validation_split=0.2),
        epochs=epochs, samples=samples, sample_every=12, steps_per_epoch=36, completed=True,
        wall_time=4.2 + 0.1 * seed)


def _final_fit(seed: int) -> FitRecord:
    spread = (0.0, -0.29, 0.27)[seed]
    loss = [r(2.2 * math.exp(-(0.16 + 0.004 * seed) * e) + 0.01) for e in range(30)]
    val = [r(2.25 * math.exp(-0.3 * e) + 0.33 + (0.032 + spread / 21) * max(0, e - 8)) for e in range(30)]
    acc = [r(1 - 0.88 * math.exp(-0.18 * e)) for e in range(30)]
    val_acc = [r(0.86 - 0.7 * math.exp(-0.35 * e) - 0.003 * max(0, e - 8) - 0.01 * seed) for e in range(30)]
    epochs = [{"loss": loss[e], "accuracy": acc[e], "val_loss": val[e], "val_accuracy": val_acc[e]}
              for e in range(30)]
    samples = []
    for k in range(60):
        epoch, t = k // 2, k / 59
        samples.append(Sample(step=k * 7, epoch=epoch, loss=loss[epoch], layers=[
            LayerSample("hidden", grad_norm=r(0.31 * math.exp(-2.2 * t) + 0.004), weight_norm=r(11 + 5 * t)),
            LayerSample("hidden_2", grad_norm=r(0.52 * math.exp(-2.5 * t) + 0.006), weight_norm=r(22 + 9 * t)),
            LayerSample("output", grad_norm=r(0.9 * math.exp(-2.8 * t) + 0.01), weight_norm=r(4 + 3 * t)),
        ]))
    model = ModelInfo(
        class_name="Sequential", name="sequential_1", layers=_layers(512),
        optimizer=OptimizerInfo("Adam", learning_rate=0.001, from_string=True, location=at("model.compile")),
        loss=LossInfo("sparse_categorical_crossentropy"), metrics=["accuracy"], total_params=301066,
        location=at("keras.Sequential"), compile_location=at("model.compile"))
    return FitRecord(
        index=1, model=model, location=at("model.fit"),
        fit_args=FitArgs(epochs=30, batch_size=16, validation_split=0.3),
        epochs=epochs, samples=samples, sample_every=7, steps_per_epoch=14, completed=True,
        wall_time=6.8 + 0.2 * seed)


def run(seed: int) -> RunRecord:
    return RunRecord(
        script=SCRIPT, script_sha256="0" * 64, python="3.11.9", keras_imported=True, keras_version="3.10.0",
        backend="tensorflow", seed=seed, fits=[_warmup_fit(seed), _final_fit(seed)],
        exit=ExitInfo(status="ok", returncode=0), wall_time=r(14.6 + 0.4 * seed))


# -- the rule base, as the rule files said when the sample was written ---------

RULES = {
    "MD102": Rule(
        code="MD102", name="exploding-gradients", family=Family.LEARNING, severity=Severity.ERROR,
        summary="Gradient norms grow by orders of magnitude or are huge relative to the weights.",
        explanation=Explanation(
            what="Reports layers whose sampled gradient norm grew by orders of magnitude during training, "
                 "or stays far larger than the layer's own weights.",
            why="When the gradient is much larger than the weights it updates, each step throws the weights "
                "far from where they were: the loss jumps around or diverges to NaN.",
            example='model.compile(optimizer="adam", loss="mse")',
            fix_safety="Gradient clipping and BatchNormalization change training: unsafe.",
            references=("Pascanu, Mikolov, Bengio. On the difficulty of training recurrent neural networks. "
                        "ICML 2013.",)),
        cures=(Cure("gradient_clipping", Applicability.UNSAFE,
                    "Clip the global gradient norm so that a single step cannot move the weights by more than "
                    "a bounded amount.", {"clipnorm": 1.0}),)),
    "MD108": Rule(
        code="MD108", name="oscillating-loss", family=Family.LEARNING, severity=Severity.WARNING,
        summary="The loss goes up and down without settling.",
        explanation=Explanation(
            what="Reports a fit whose epoch loss changes direction in most epochs, with rises of several "
                 "percent, and ends no lower than it was in the first third.",
            why="A loss that keeps bouncing means each step overshoots the minimum it is heading for.",
            example="keras.optimizers.SGD(learning_rate=1.5, momentum=0.9)",
            fix_safety="All cures change training: unsafe.",
            references=("Smith. Cyclical Learning Rates for Training Neural Networks. WACV 2017.",)),
        cures=(Cure("set_learning_rate", Applicability.UNSAFE, "Smaller steps stop the overshooting.",
                    {"factor": 0.1}),)),
    "MD201": Rule(
        code="MD201", name="overfitting", family=Family.GENERALIZATION, severity=Severity.WARNING,
        summary="Validation loss turns up while the training loss keeps falling.",
        explanation=Explanation(
            what="Reports a fit whose validation loss rose for several epochs in a row after its best epoch "
                 "while the training loss kept falling.",
            why="From the turning point on, the model learns details of the training set that do not carry "
                "over to new data.",
            example="model.fit(x_small, y_small, epochs=200, validation_split=0.2)",
            fix_safety="EarlyStopping with restore_best_weights changes which weights are kept: unsafe.",
            references=("Prechelt. Early Stopping - But When? 1998.",
                        "https://keras.io/api/callbacks/early_stopping/")),
        cures=(Cure("early_stopping", Applicability.UNSAFE, "Stop at the turning point and keep the best weights.",
                    {"patience": 5}),)),
    "MD301": Rule(
        code="MD301", name="high-variance", family=Family.PREDICTION, severity=Severity.WARNING,
        summary="Final validation results differ a lot between runs with different seeds.",
        explanation=Explanation(
            what="Reports, over several runs with different seeds, a spread of the final validation result "
                 "larger than 10% of its mean (loss) or 0.05 (accuracy).",
            why="When the same script gives very different models from run to run, any single result is "
                "partly luck.",
            example="model.fit(x_small, y_small, batch_size=4)",
            fix_safety="Weight averaging changes the final weights: unsafe.",
            references=("https://keras.io/api/optimizers/ (use_ema)",)),
        cures=(Cure("weight_averaging", Applicability.UNSAFE,
                    "An exponential moving average of the weights smooths out the last, noisiest steps."),)),
}


# -- the findings, as the detectors and the ranking would write them ------------


def findings(runs: list[RunRecord]) -> tuple[Finding, ...]:
    warm, final = runs[0].fits[0], runs[0].fits[1]
    grads = [s.layers[1].grad_norm for s in warm.samples]
    ratios = sorted(s.layers[1].grad_norm / s.layers[1].weight_norm for s in warm.samples)
    exploding = Finding(
        name="exploding-gradients", family=Family.LEARNING, severity=Severity.ERROR, confidence=0.85,
        message=f"gradients of layer 'hidden_2' are huge: median norm {ratios[18]:.3g}x its weights' norm, "
                f"{grads[-1] / grads[0]:.3g}x growth over training",
        evidence={"layer": "hidden_2", "grad_to_weight_median": r(ratios[18]), "growth": r(grads[-1] / grads[0]),
                  "grad_norm_first": grads[0], "grad_norm_max": max(grads), "threshold_grad_to_weight": 10.0,
                  "threshold_growth": 100.0},
        location=warm.model.layers[1].location, layer="hidden_2", epoch=0, code="MD102", fit=0)
    loss = [e["loss"] for e in warm.epochs]
    oscillating = Finding(
        name="oscillating-loss", family=Family.LEARNING, severity=Severity.WARNING, confidence=0.8,
        message=f"the loss changed direction in 10 of 11 epochs and ended at {loss[-1]:.4g}, "
                f"above its first-third low of {min(loss[:4]):.4g}",
        evidence={"direction_changes": 10, "epochs": 12, "final_loss": loss[-1], "first_third_min": min(loss[:4]),
                  "largest_rise": 0.43},
        epoch=1, code="MD108", fit=0, primary=False, caused_by=("exploding-gradients",))
    val = [e["val_loss"] for e in final.epochs]
    best = min(range(30), key=val.__getitem__)
    rise = (val[-1] - val[best]) / val[best]
    overfitting = Finding(
        name="overfitting", family=Family.GENERALIZATION, severity=Severity.WARNING, confidence=0.9,
        message=f"validation loss turned up after epoch {best + 1} ({val[best]:.4g} → {val[-1]:.4g}, {rise:+.0%}) "
                f"while training loss kept falling ({final.epochs[best]['loss']:.4g} → {final.epochs[-1]['loss']:.4g})",
        evidence={"best_epoch": best + 1, "best_val_loss": val[best], "final_val_loss": val[-1], "val_rise": r(rise),
                  "train_loss_at_best": final.epochs[best]["loss"], "final_train_loss": final.epochs[-1]["loss"],
                  "epochs_after_best": 29 - best, "patience": 5},
        location=final.location, epoch=best + 1, code="MD201", fit=1)
    finals = [run.fits[1].epochs[-1]["val_loss"] for run in runs]
    mean = sum(finals) / len(finals)
    std = math.sqrt(sum((v - mean) ** 2 for v in finals) / (len(finals) - 1))
    variance = Finding(
        name="high-variance", family=Family.PREDICTION, severity=Severity.WARNING, confidence=0.8,
        message=f"final validation loss varies across {len(runs)} seeds: {mean:.4g} ± {std:.2g} "
                f"({std / mean:.0%} of the mean)",
        evidence={"runs": len(runs), "seeds": list(SEEDS), "final_val_loss": finals, "val_loss_mean": r(mean),
                  "val_loss_std": r(std), "threshold_cv": 0.1},
        location=final.location, code="MD301", fit=1)
    return exploding, oscillating, overfitting, variance


def prescriptions(found: tuple[Finding, ...]) -> tuple[Prescription, ...]:
    exploding, _, overfitting, variance = found
    return (
        Prescription(exploding, RULES["MD102"], RULES["MD102"].cures[0], {"clipnorm": 1.0},
                     (Target("optimizer", 20, 25, None, "SGD"),), applied=True,
                     edits=("train.py:20: SGD(learning_rate=2.0) → SGD(learning_rate=2.0, clipnorm=1.0)",)),
        Prescription(overfitting, RULES["MD201"], RULES["MD201"].cures[0], {"patience": 5},
                     (Target("fit", 26, 0),), applied=True,
                     edits=("train.py:26: model.fit(...) gains callbacks=[EarlyStopping(patience=5, "
                            "restore_best_weights=True)]",)),
        Prescription(variance, RULES["MD301"], RULES["MD301"].cures[0], {}, (Target("compile", 25, 0),),
                     declined="the optimizer is the string 'adam': a constructed optimizer is needed for use_ema"),
    )


def _measure(*values: float) -> Measure:
    """val_accuracy per seed, with a curve per seed that climbs to it over 12 epochs."""
    curves = tuple(tuple(round(v * (1 - 0.45 * 0.7 ** epoch), 4) for epoch in range(12)) for v in values)
    return Measure("val_accuracy", True, values, curves)


def trials(found: tuple[Finding, ...]) -> tuple[Trial, ...]:
    """What `fix --verify` tried: clipping accepted, early stopping accepted, weight averaging declined."""
    exploding, _, overfitting, variance = found
    before = _measure(0.8021, 0.7917, 0.8229)
    clipped = _measure(0.8333, 0.8264, 0.8403)
    stopped = _measure(0.8472, 0.8438, 0.8507)
    return (
        Trial("MD102", "exploding-gradients", "gradient_clipping", {"clipnorm": 1.0}, "accepted",
              "exploding-gradients gone; val_accuracy 0.8056 → 0.8333", before, clipped,
              evidence_before=dict(exploding.evidence), seeds=SEEDS, wall_time=41.7,
              edits=("train.py:20: SGD(learning_rate=2.0) → SGD(learning_rate=2.0, clipnorm=1.0)",)),
        Trial("MD201", "overfitting", "early_stopping", {"patience": 5}, "accepted",
              "overfitting gone; val_loss 0.5123 → 0.3911; val_accuracy 0.8333 → 0.8472", clipped, stopped,
              evidence_before=dict(overfitting.evidence), seeds=SEEDS, wall_time=36.2, round=2,
              measure_before=Measure("val_loss", False, (0.5101, 0.5162, 0.5106)),
              measure_after=Measure("val_loss", False, (0.3902, 0.3931, 0.3900))),
        Trial("MD301", "high-variance", "weight_averaging", {}, "declined",
              "the optimizer is the string 'adam': a constructed optimizer is needed for use_ema", stopped,
              evidence_before=dict(variance.evidence), seeds=SEEDS, round=3),
    )


def diff() -> str:
    return "".join(difflib.unified_diff(SOURCE.splitlines(keepends=True), PATCHED.splitlines(keepends=True),
                                        f"{SCRIPT}", f"{SCRIPT} (cured)"))


def report() -> Report:
    runs = [run(seed) for seed in SEEDS]
    found = findings(runs)
    return Report(
        script=SCRIPT, runs=tuple(runs), findings=found, rules=dict(RULES), prescriptions=prescriptions(found),
        diff=diff(), trials=trials(found), notes=("3 runs are few for a variance estimate: `check --runs 5` gives a firmer one",))


def healthy() -> Report:
    """One unseeded run of the final model stopped at its best epoch: no findings."""
    fit = _final_fit(0)
    fit = dataclasses.replace(fit, index=0, epochs=fit.epochs[:11], samples=fit.samples[:22])
    return Report(script=SCRIPT, runs=(dataclasses.replace(run(0), seed=None, fits=[fit]),))


def hostile(payload: str = "<script>alert(1)</script>") -> Report:
    """The sample with a layer name and a message from a hostile script."""
    base = report()
    runs = []
    for record in base.runs:
        record = dataclasses.replace(record)
        record.fits = [dataclasses.replace(f) for f in record.fits]
        for fit in record.fits:
            fit.samples = [dataclasses.replace(s, layers=[dataclasses.replace(x, layer=payload) if x.layer == "hidden_2"
                                                          else x for x in s.layers]) for s in fit.samples]
        runs.append(record)
    first = dataclasses.replace(base.findings[0], layer=payload, message=f"gradients of layer '{payload}' are huge",
                                evidence={**base.findings[0].evidence, "layer": payload})
    return dataclasses.replace(base, runs=tuple(runs), findings=(first, *base.findings[1:]),
                               notes=(f"note {payload} & more",), diff=base.diff + f"+# {payload}\n")
