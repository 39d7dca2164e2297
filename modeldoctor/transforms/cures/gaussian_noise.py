"""Cure: add `GaussianNoise(stddev)` at the model's input: noise on the features acts as data augmentation.

The noise goes after the input and after any leading Normalization/Rescaling
layer, so that `stddev` is measured in normalized units. In the functional API
the first consumer of the input is rewired to the noisy tensor.
"""

from __future__ import annotations

import libcst as cst

from modeldoctor.ftypes import Applicability
from modeldoctor.transforms.engine.base import Decline, Param, TransformSpec
from modeldoctor.transforms.engine.edit_plan import Plan
from modeldoctor.transforms.engine.insertion import InputInserter
from modeldoctor.transforms.engine.layer_kinds import NOISES, code, number
from modeldoctor.transforms.engine.model_sites import Model, Script


class AddGaussianNoise(InputInserter):
    DESCRIPTION = "Insert GaussianNoise(stddev) right after the model's input."
    LAYER = "GaussianNoise"
    ALREADY = NOISES
    AFTER_PREPROCESSING = True
    PREFIX = "noisy"

    def check_params(self) -> None:
        stddev = self.params["stddev"]
        if not stddev > 0:
            raise Decline(f"parameter 'stddev' must be above 0, got {stddev!r}")

    def layer_code(
        self, script: Script, plan: Plan, model: Model, anchor: cst.SimpleStatementLine | None, moved: str
    ) -> str:
        layer = code(script.names.ref(self.context, "layers", "GaussianNoise"))
        return f"{layer}({', '.join(filter(None, (number(self.params['stddev']), moved)))})"

    def edit_text(self) -> str:
        return f"inserted GaussianNoise({number(self.params['stddev'])}) after the model's input"


TRANSFORM = TransformSpec(
    name="gaussian_noise",
    description=AddGaussianNoise.DESCRIPTION,
    command=AddGaussianNoise,
    applicability=Applicability.UNSAFE,
    params={"stddev": Param(float, 0.1, "standard deviation of the noise added to the inputs during training")},
    target_kinds=("model",),
)
