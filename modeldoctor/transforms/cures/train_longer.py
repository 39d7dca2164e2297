"""Train longer when the loss was still falling at the end, with EarlyStopping so it cannot overshoot.

For underfitting whose training loss had not levelled off: the model may
have the capacity and simply not the epochs. `fit(..., epochs=N)` gets the
absolute number of epochs `epochs` (the rule's `factor` times the run's,
resolved from the record) and an `EarlyStopping(monitor=..., patience=...,
restore_best_weights=True)` callback, watching `val_loss` when fit validates
and `loss` otherwise, so the extra epochs stop once they stop helping and
the best weights are kept. With a run, `resolve` declines when the loss had
stopped falling (a capacity cure is then the one to try). Idempotent: the
epochs are absolute and a fit that already stops early is left alone.
Unsafe: it changes training (and its length).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import libcst as cst

from modeldoctor.ftypes import Applicability
from modeldoctor.transforms.engine.base import Decline, Param, TransformSpec
from modeldoctor.transforms.engine.call_edits import append_arg, kwarg, literal, replace_arg
from modeldoctor.transforms.engine.calls import FitCommand
from modeldoctor.transforms.engine.keyword_edits import int_value

if TYPE_CHECKING:
    from modeldoctor.ftypes import Finding
    from modeldoctor.record import FitRecord

STILL_FALLING = 0.05  # the last third of the epochs still brought at least 5% of the total drop


class TrainLonger(FitCommand):
    DESCRIPTION = "Train for more epochs, with EarlyStopping restoring the best weights."

    def check_params(self) -> None:
        if not self.params["epochs"] or self.params["epochs"] < 1:
            raise Decline(f"train_longer needs an absolute number of epochs >= 1, got {self.params['epochs']!r}")

    def plan_fit(self, call: cst.Call) -> None:
        epochs: int = self.params["epochs"]
        callbacks = self.fit_arg(call, "callbacks")
        if callbacks is not None and self.has_callback(callbacks.value, "EarlyStopping"):
            self.warn(f"fit on line {self.line_of(call)} already stops early")
            return
        current = self.fit_arg(call, "epochs")
        if current is not None and int_value(current.value) is None:
            self.warn(f"fit's epochs `{self.code(current.value)}` is not a number: change it where it is defined")
            return
        if current is not None and (int_value(current.value) or 0) >= epochs:
            self.warn(f"fit on line {self.line_of(call)} already trains {int_value(current.value)} epochs")
            return
        monitor = "val_loss" if self.has_validation(call) else "loss"
        kwargs = {"monitor": monitor, "patience": self.params["patience"], "restore_best_weights": True}

        def edit(node: cst.Call) -> tuple[cst.Call, str]:
            arg = self.fit_arg(node, "epochs")
            if arg is None:
                node = append_arg(node, kwarg("epochs", literal(epochs)))
            else:
                node = replace_arg(node, arg, arg.with_changes(value=literal(epochs)))
            node, text = self.with_callback(node, self.callback("EarlyStopping", kwargs))
            return node, f"fit: epochs={epochs}; {text}"

        self.schedule(call, edit)


def resolve(params: dict[str, Any], fit: FitRecord | None, finding: Finding | None) -> dict[str, Any]:
    """`factor` times the run's epochs; with a run, only when the loss was still falling at the end."""
    factor = params.pop("factor", None)
    if finding is not None and finding.evidence.get("late_share_of_drop") is not None:
        late = finding.evidence["late_share_of_drop"]
        if late < STILL_FALLING:
            raise LookupError(f"the loss had stopped falling (the last third of the epochs brought {late:.0%} of "
                              "the drop): more epochs would not help, more capacity might")
    if factor is not None:
        epochs = fit.fit_args.epochs if fit is not None else None
        if not epochs:
            raise LookupError("the run's number of epochs is unknown")
        params["epochs"] = max(int(round(epochs * factor)), epochs + 1)
    return params


TRANSFORM = TransformSpec(
    name="train_longer",
    description=TrainLonger.DESCRIPTION,
    command=TrainLonger,
    applicability=Applicability.UNSAFE,
    params={
        "epochs": Param(int, None, "the new number of epochs (absolute)"),
        "patience": Param(int, 5, "epochs without improvement before EarlyStopping stops"),
    },
    target_kinds=TrainLonger.TARGET_KINDS,
    relative={"factor": Param((int, float), None, "multiply the run's epochs by this")},
    resolve=resolve,
)
