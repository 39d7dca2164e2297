"""Add a Keras callback to `fit`: TerminateOnNaN or ReduceLROnPlateau.

The callback goes into `callbacks=`: a new list, appended to a literal list,
or combined with a variable (`callbacks=[*cbs, X()]`). A fit that already has
one of that class (directly, or through the names its list is built from)
gets no second one.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import libcst as cst

from modeldoctor.ftypes import Applicability
from modeldoctor.transforms.engine.base import Decline, Param, TransformSpec
from modeldoctor.transforms.engine.call_edits import literal
from modeldoctor.transforms.engine.calls import FitCommand

CALLBACKS = ("TerminateOnNaN", "ReduceLROnPlateau")
SAFE = frozenset({"terminateonnan"})  # stops a run already lost to NaN; a finite run trains as before


def applicability(params: Mapping[str, Any]) -> Applicability:
    """TerminateOnNaN cannot change a model that trains to the end; ReduceLROnPlateau changes training."""
    return Applicability.SAFE if str(params["callback"]).lower() in SAFE else Applicability.UNSAFE


class AddCallback(FitCommand):
    DESCRIPTION = "Add a Keras callback (TerminateOnNaN, ReduceLROnPlateau) to fit."

    def check_params(self) -> None:
        name = self.params["callback"]
        self.cls = next((c for c in CALLBACKS if c.lower() == str(name).lower()), None)
        if self.cls is None:
            raise Decline(f"add_callback: unknown callback {name!r}; one of {', '.join(CALLBACKS)}")
        try:
            for value in (self.params["kwargs"] or {}).values():
                literal(value)
        except ValueError as exc:
            raise Decline(f"add_callback: {exc}") from None

    def kwargs_for(self, call: cst.Call) -> dict[str, Any]:
        defaults: dict[str, Any] = {}
        if self.cls == "ReduceLROnPlateau":
            monitor = "val_loss" if self.has_validation(call) else "loss"
            defaults = {"monitor": monitor, "factor": 0.5, "patience": 3}
        return {**defaults, **(self.params["kwargs"] or {})}

    def plan_fit(self, call: cst.Call) -> None:
        cls = self.cls
        assert cls is not None  # check_params found the class, or the file was declined before planning
        arg = self.fit_arg(call, "callbacks")
        if arg is not None and self.has_callback(arg.value, cls):
            self.warn(f"fit on line {self.line_of(call)} already has a {cls} callback")
            return
        kwargs = self.kwargs_for(call)

        def edit(node: cst.Call) -> tuple[cst.Call, str]:
            new, text = self.with_callback(node, self.callback(cls, kwargs))
            return new, f"fit: {text}"

        self.schedule(call, edit)


TRANSFORM = TransformSpec(
    name="add_callback",
    description=AddCallback.DESCRIPTION,
    command=AddCallback,
    applicability=applicability,
    params={
        "callback": Param(str, "TerminateOnNaN", "the callback class: TerminateOnNaN or ReduceLROnPlateau"),
        "kwargs": Param(dict, None, "its arguments; ReduceLROnPlateau defaults to monitor, factor=0.5, patience=3"),
    },
    target_kinds=AddCallback.TARGET_KINDS,
)
