"""Stop training when the monitored loss stops improving, and keep the best weights.

Adds `EarlyStopping(monitor=..., patience=..., restore_best_weights=True)` to
fit's callbacks (as `add_callback` does) and, when fit has no validation data
to monitor, `validation_split=` (not for datasets or generators, which Keras
cannot split).
"""

from __future__ import annotations

import libcst as cst

from modeldoctor.ftypes import Applicability
from modeldoctor.transforms.engine.base import Decline, Param, TransformSpec
from modeldoctor.transforms.engine.call_edits import append_arg, kwarg, literal
from modeldoctor.transforms.engine.calls import FitCommand


class EarlyStopping(FitCommand):
    DESCRIPTION = "Add EarlyStopping with restore_best_weights to fit."

    def check_params(self) -> None:
        if not self.params["patience"] or self.params["patience"] < 0:
            raise Decline(f"early_stopping needs patience >= 1, got {self.params['patience']!r}")
        split = self.params["validation_split"]
        if split is not None and not 0 <= split < 1:
            raise Decline(f"early_stopping needs 0 <= validation_split < 1, got {split!r}")

    def plan_fit(self, call: cst.Call) -> None:
        monitor: str = self.params["monitor"]
        split: float | None = self.params["validation_split"]
        arg = self.fit_arg(call, "callbacks")
        if arg is not None and self.has_callback(arg.value, "EarlyStopping"):
            self.warn(f"fit on line {self.line_of(call)} already has an EarlyStopping callback")
            return
        needs_split = monitor.startswith("val_") and not self.has_validation(call)
        if needs_split:
            reason = self.dataset_reason(call) if split else "validation_split is 0"
            if reason is not None:
                self.warn(f"EarlyStopping would monitor {monitor}, but fit has no validation data "
                          f"and none can be split off: {reason}")
                return
        kwargs = {"monitor": monitor, "patience": self.params["patience"], "restore_best_weights": True}

        def edit(node: cst.Call) -> tuple[cst.Call, str]:
            texts = []
            if needs_split:
                node = append_arg(node, kwarg("validation_split", literal(float(split or 0))))
                texts.append(f"added validation_split={split}")
            node, text = self.with_callback(node, self.callback("EarlyStopping", kwargs))
            return node, "fit: " + "; ".join([*texts, text])

        self.schedule(call, edit)


TRANSFORM = TransformSpec(
    name="early_stopping",
    description=EarlyStopping.DESCRIPTION,
    command=EarlyStopping,
    applicability=Applicability.UNSAFE,
    params={
        "patience": Param(int, 5, "epochs without improvement before stopping"),
        "monitor": Param(str, "val_loss", "the logged quantity to watch"),
        "validation_split": Param(float, 0.2, "share of the training data held out when fit has no validation"),
    },
    target_kinds=EarlyStopping.TARGET_KINDS,
)
