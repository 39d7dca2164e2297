"""Clip the gradient norm *and* lower the learning rate, in one edit of the optimizer.

The combined cure for exploding gradients (and NaN) when each alone leaves
the finding: clipping bounds every step but a rate that is far too high
still overshoots within the bound, and a lower rate alone still lets one
outsized gradient through. The rule lists it after the single cures, so
`fix --verify` tries it only once each alone has been judged. The edits are
those of `gradient_clipping` and `set_learning_rate`, made on the same
optimizer call (a string optimizer becomes a call first); the rate is
absolute, resolved from the run's rate by `factor`, so it is idempotent.
"""

from __future__ import annotations

import libcst as cst

from modeldoctor.ftypes import Applicability
from modeldoctor.transforms.cures import gradient_clipping, set_learning_rate
from modeldoctor.transforms.engine.base import Param, TransformSpec
from modeldoctor.transforms.engine.optimizer_command import OptimizerCommand, Site


class ClipAndLowerRate(OptimizerCommand):
    DESCRIPTION = "Clip the gradient norm with clipnorm and lower the learning rate, on the same optimizer."

    def check_params(self) -> None:
        gradient_clipping.GradientClipping.check_params(self)  # type: ignore[arg-type]
        set_learning_rate.SetLearningRate.check_params(self)  # type: ignore[arg-type]

    def edit_optimizer(self, call: cst.Call, site: Site) -> cst.Call:
        clipped = gradient_clipping.GradientClipping.edit_optimizer(self, call, site)  # type: ignore[arg-type]
        return set_learning_rate.SetLearningRate.edit_optimizer(self, clipped, site)  # type: ignore[arg-type]


TRANSFORM = TransformSpec(
    name="clip_and_lower_rate",
    description=ClipAndLowerRate.DESCRIPTION,
    command=ClipAndLowerRate,
    applicability=Applicability.UNSAFE,
    params={
        "clipnorm": Param(float, 1.0, "the largest norm a gradient may have"),
        "learning_rate": Param(float, None, "the new learning rate (absolute)"),
    },
    target_kinds=ClipAndLowerRate.TARGET_KINDS,
    relative=set_learning_rate.TRANSFORM.relative,
    resolve=set_learning_rate.resolve,
)
