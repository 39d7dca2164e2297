"""Add a Keras callback to `fit`: TerminateOnNaN or ReduceLROnPlateau.

The callback goes into `callbacks=`: a new list, appended to a literal list,
or combined with a variable (`callbacks=[*cbs, X()]`). A fit that already has
one of that class (directly, or through the names its list is built from)
gets no second one.
"""

from __future__ import annotations

from typing import Any

import libcst as cst

from modeldoctor.transforms.base import Param, TransformSpec
from modeldoctor.transforms.call_edits import literal
from modeldoctor.transforms.calls import FitCommand

CALLBACKS = ("TerminateOnNaN", "ReduceLROnPlateau")


class AddCallback(FitCommand):
    DESCRIPTION = "Add a Keras callback (TerminateOnNaN, ReduceLROnPlateau) to fit."

    def check_params(self) -> str | None:
        name = self.params["callback"]
        self.cls = next((c for c in CALLBACKS if c.lower() == str(name).lower()), None)
        if self.cls is None:
            return f"add_callback: unknown callback {name!r}; one of {', '.join(CALLBACKS)}"
        try:
            for value in (self.params["kwargs"] or {}).values():
                literal(value)
        except ValueError as exc:
            return f"add_callback: {exc}"
        return None

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
    params={
        "callback": Param(str, "TerminateOnNaN", "the callback class: TerminateOnNaN or ReduceLROnPlateau"),
        "kwargs": Param(dict, None, "its arguments; ReduceLROnPlateau defaults to monitor, factor=0.5, patience=3"),
    },
    target_kinds=AddCallback.TARGET_KINDS,
)
