"""Set the batch size of `fit` to an absolute value.

`batch_size=` is changed or added in the fit call; when it names a variable
assigned once from a number (`batch_size = 128`), that assignment is edited.
A tf.data dataset or a generator carries its own batching: then the
transform declines, since `fit` does not take `batch_size` for them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import libcst as cst

from modeldoctor.ftypes import Applicability
from modeldoctor.transforms.engine.base import Decline, Param, TransformSpec
from modeldoctor.transforms.engine.call_edits import append_arg, kwarg, literal, number_value, replace_arg
from modeldoctor.transforms.engine.calls import FitCommand

if TYPE_CHECKING:
    from modeldoctor.ftypes import Finding
    from modeldoctor.record import FitRecord

DEFAULT_BATCH_SIZE = 32  # what Keras uses when fit() is given none


class BatchSize(FitCommand):
    DESCRIPTION = "Set the batch size of fit."

    def check_params(self) -> None:
        value = self.params["batch_size"]
        if value is None or isinstance(value, bool) or value < 1:
            raise Decline(f"batch_size needs an absolute batch_size >= 1, got {value!r}")

    def plan_fit(self, call: cst.Call) -> None:
        value: int = self.params["batch_size"]
        reason = self.dataset_reason(call)
        if reason is not None:
            self.warn(f"cannot set batch_size: {reason}")
            return
        arg = self.fit_arg(call, "batch_size")
        if arg is None:
            self.schedule(call, lambda node: (append_arg(node, kwarg("batch_size", literal(value))),
                                              f"fit: added batch_size={value}"))
        elif number_value(arg.value) is not None:
            self.schedule(call, lambda node: self._replace(node, value))
        elif isinstance(arg.value, cst.Name):
            assigned, why = self.single_value(arg.value)
            if assigned is None:
                self.warn(f"cannot set batch_size: fit gets the variable `{arg.value.value}`, and {why}")
                return
            if number_value(assigned) is None:
                self.warn(f"cannot set batch_size: `{arg.value.value}` is `{self.code(assigned)}`, not a number")
                return
            name, old = arg.value.value, self.code(assigned)
            text = f"{name} = {old} -> {value} (the batch_size of fit, line {self.line_of(call)})"
            self.schedule(assigned, lambda node: (literal(value), text))
        else:
            self.warn(f"cannot set batch_size: it is `{self.code(arg.value)}`; change it where it is computed")

    def _replace(self, call: cst.Call, value: int) -> tuple[cst.Call, str]:
        arg = self.fit_arg(call, "batch_size")
        assert arg is not None
        if number_value(arg.value) == value:
            return call, ""
        new = replace_arg(call, arg, arg.with_changes(value=literal(value)))
        return new, f"fit: batch_size={self.code(arg.value)} -> {value}"


def resolve(params: dict[str, Any], fit: FitRecord | None, finding: Finding | None) -> dict[str, Any]:
    """`factor` scales the batch size the run used (Keras' default when fit set none)."""
    factor = params.pop("factor", None)
    if factor is not None:
        current = (fit.fit_args.batch_size if fit else None) or DEFAULT_BATCH_SIZE
        params["batch_size"] = max(1, int(round(current * factor)))
    return params


TRANSFORM = TransformSpec(
    name="batch_size",
    description=BatchSize.DESCRIPTION,
    command=BatchSize,
    applicability=Applicability.UNSAFE,
    params={"batch_size": Param(int, None, "the new batch size (absolute)")},
    target_kinds=BatchSize.TARGET_KINDS,
    relative={"factor": Param((int, float), None, "multiply the recorded batch size by this")},
    resolve=resolve,
)
