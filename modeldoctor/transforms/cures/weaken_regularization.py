"""Weaken regularization that is too strong: heavy Dropout rates and L1/L2 factors brought down to a cap.

For underfitting whose loss levelled off far above what the task allows on a
model that is heavily regularized: Dropout that drops half the units and
large weight penalties hold the training loss up as surely as a narrow
layer. Every Dropout-like layer whose literal rate is at least `heavy_rate`
(0.3) gets `max_rate` (0.25: the usual 0.5 halved), and every literal L1/L2
factor of a layer's kernel, bias or activity regularizer
(`regularizers.l2(0.01)`, `L2(l2=...)`, `L1L2(l1=..., l2=...)`) above
`max_factor` (0.005: Keras' default 0.01 halved) gets `max_factor`. A cap,
not a factor, so that applying it twice changes nothing. Rates and factors
not written as numbers are left alone, with a note. Without a layer to
weaken, it declines (the rule's next cure, more capacity, is tried). Unsafe:
it changes training.
"""

from __future__ import annotations

import libcst as cst

from modeldoctor.ftypes import Applicability
from modeldoctor.transforms.engine.base import Decline, Param, TransformSpec
from modeldoctor.transforms.engine.call_edits import arg_of, literal, number_value
from modeldoctor.transforms.engine.calls import last_name
from modeldoctor.transforms.engine.keyword_edits import KERNEL_LAYERS, RECURRENT_LAYERS, describe, replace_value
from modeldoctor.transforms.engine.layer_args import LayerArgCommand
from modeldoctor.transforms.engine.layer_kinds import DROPOUTS

REGULARIZER_KEYWORDS = ("kernel_regularizer", "bias_regularizer", "activity_regularizer")
# regularizer constructor -> its factor arguments (keyword, position)
FACTORS = {"l1": (("l1", 0),), "L1": (("l1", 0),), "l2": (("l2", 0),), "L2": (("l2", 0),),
           "l1_l2": (("l1", 0), ("l2", 1)), "L1L2": (("l1", 0), ("l2", 1))}
RATED = DROPOUTS - {"GaussianDropout"}  # GaussianDropout's rate is a noise level, not a share of units dropped


class WeakenRegularization(LayerArgCommand):
    DESCRIPTION = __doc__
    CLASSES = KERNEL_LAYERS | RECURRENT_LAYERS | RATED
    WHAT = "weakening regularization"

    @property
    def NOTHING(self) -> str:  # noqa: N802
        return (f"no Dropout rate of {self.params['heavy_rate']:g} or more and no L1/L2 factor above "
                f"{self.params['max_factor']:g} written as a number: the regularization is not what holds the loss up")

    def check_params(self) -> None:
        rate, heavy, factor = self.params["max_rate"], self.params["heavy_rate"], self.params["max_factor"]
        if not 0 < rate < heavy <= 1 or factor <= 0:
            raise Decline(f"weaken_regularization needs 0 < max_rate < heavy_rate <= 1 and max_factor > 0, got "
                          f"{rate!r}, {heavy!r}, {factor!r}")

    def wanted(self, call: cst.Call, cls: str) -> bool:
        return self._weakened(call, cls) is not None

    def edit(self, original: cst.Call, updated: cst.Call, cls: str) -> cst.Call:
        weakened = self._weakened(updated, cls)
        if weakened is None:
            return updated
        new, what = weakened
        self.note(original, f"{describe(original, cls)}: {what}")
        return new

    def _weakened(self, call: cst.Call, cls: str) -> tuple[cst.Call, str] | None:
        """The call with its heavy rate or factors capped, and what changed; None when nothing is heavy."""
        changed: list[str] = []
        if cls in RATED:
            arg = arg_of(call, "rate", 0)
            rate = number_value(arg.value) if arg is not None else None
            if arg is not None and rate is not None and rate >= self.params["heavy_rate"]:
                call = replace_value(call, arg, literal(self.params["max_rate"]))
                changed.append(f"rate {rate:g} -> {self.params['max_rate']:g}")
            return (call, "; ".join(changed)) if changed else None
        for keyword in REGULARIZER_KEYWORDS:
            arg = arg_of(call, keyword)
            if arg is None or not isinstance(arg.value, cst.Call):
                continue
            regularizer, factors = arg.value, FACTORS.get(last_name(arg.value.func))
            for name, position in factors or ():
                factor_arg = arg_of(regularizer, name, position)
                factor = number_value(factor_arg.value) if factor_arg is not None else None
                if factor_arg is not None and factor is not None and factor > self.params["max_factor"]:
                    regularizer = replace_value(regularizer, factor_arg, literal(self.params["max_factor"]))
                    changed.append(f"{keyword} {name} {factor:g} -> {self.params['max_factor']:g}")
            if regularizer is not arg.value:
                call = replace_value(call, arg, regularizer)
        return (call, "; ".join(changed)) if changed else None


TRANSFORM = TransformSpec(
    name="weaken_regularization",
    description="Cap heavy Dropout rates and L1/L2 factors: the regularization that holds an underfit loss up.",
    command=WeakenRegularization,
    applicability=Applicability.UNSAFE,
    params={
        "heavy_rate": Param(float, 0.3, "Dropout rates from this one up are heavy"),
        "max_rate": Param(float, 0.25, "the rate a heavy Dropout gets (the usual 0.5 halved)"),
        "max_factor": Param(float, 0.005, "the largest L1/L2 factor kept (Keras' default 0.01 halved)"),
    },
    target_kinds=(),
)
