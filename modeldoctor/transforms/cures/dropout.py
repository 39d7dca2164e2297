"""Cure: insert `Dropout(rate)` after a layer, so the layers after it cannot rely on any one unit.

The Dropout goes after the layer's own BatchNormalization or activation layer
when it has one (Dense, BatchNormalization, Activation, Dropout): Dropout
right before BatchNormalization skews its statistics (MD407).
"""

from __future__ import annotations

from modeldoctor.ftypes import Applicability
from modeldoctor.transforms.engine.base import Decline, Param, TransformSpec
from modeldoctor.transforms.engine.insertion import LayerInserter
from modeldoctor.transforms.engine.layer_kinds import ACTIVATIONS, DROPOUTS, NORMALIZATIONS, number


class AddDropout(LayerInserter):
    DESCRIPTION = "Insert Dropout(rate) after the target layers (static: after every hidden Dense/Conv layer)."
    LAYER = "Dropout"
    FAMILY = DROPOUTS
    AFTER = NORMALIZATIONS | ACTIVATIONS

    def check_params(self) -> None:
        rate = self.params["rate"]
        if not 0 < rate < 1:
            raise Decline(f"parameter 'rate' must be between 0 and 1, got {rate!r}")

    def arguments(self) -> str:
        return number(self.params["rate"])


TRANSFORM = TransformSpec(
    name="dropout",
    description=AddDropout.DESCRIPTION,
    command=AddDropout,
    applicability=Applicability.UNSAFE,
    params={"rate": Param(float, 0.3, "fraction of the layer's outputs set to zero at each training step")},
    target_kinds=("layer",),
)
