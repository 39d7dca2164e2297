"""Add a hidden layer of the same width: a copy of the last hidden layer, right after it.

For underfitting far from the target: one more layer of the width the model
already uses adds capacity without choosing a new architecture. The copy is
the layer's own call (its class, width, activation and initializers); a
layer that sets `name=` or an input shape is not copied, since two layers
cannot share a name and only the first takes the input. Only the last hidden
layer of each model gets the copy (the run's targets, or every hidden
Dense/Conv layer without a run, narrowed to the last). Idempotent: a layer
already followed by a layer written the same way is left alone (without a
run, the last two hidden layers written the same way read as already done). Unsafe: it
changes the model.
"""

from __future__ import annotations

from collections.abc import Sequence

import libcst as cst

from modeldoctor.ftypes import Applicability, Target
from modeldoctor.transforms.engine.base import Decline, TransformSpec
from modeldoctor.transforms.engine.call_edits import arg_of
from modeldoctor.transforms.engine.edit_plan import Plan
from modeldoctor.transforms.engine.insertion import LayerInserter
from modeldoctor.transforms.engine.layer_kinds import code
from modeldoctor.transforms.engine.model_sites import Script, Site

NOT_COPIED = ("name", "input_shape", "input_dim", "batch_input_shape")


class AddHiddenLayer(LayerInserter):
    DESCRIPTION = "Insert a copy of the last hidden layer right after it."
    LAYER = "Dense"

    def layers_after(self, script: Script, plan: Plan, site: Site, following: Site | None, new: str) -> list[str]:
        if not isinstance(site.value, cst.Call):
            raise Decline("is not a layer call that can be copied")
        copy = code(site.value)
        if following is not None and code(following.value) == copy:
            raise Decline("is already followed by a layer written the same way")
        named = [keyword for keyword in NOT_COPIED if arg_of(site.value, keyword) is not None]
        if named:
            raise Decline(f"sets {named[0]}=, which a copy cannot share: {self.by_hand}")
        self.said = f"inserted a copy of {script.describe(site.value)} after it"
        return [copy]

    def _static(self, script: Script) -> list[Site]:
        """Without a run, the last hidden layer; one written as the layer before it reads as already copied."""
        sites = super()._static(script)
        last = _last_per_model(script, sites)
        done = [s for s in last if (i := sites.index(s)) > 0 and script.model_of(sites[i - 1]) is script.model_of(s)
                and code(sites[i - 1].value) == code(s.value)]
        for site in done:
            self.warn(f"{script.describe(site.value)} at line {script.start(site.value)[0]} is already a copy of the "
                      "layer before it")
        return [s for s in last if s not in done]

    def _targeted(self, script: Script, targets: Sequence[Target]) -> list[Site]:
        return _last_per_model(script, super()._targeted(script, targets))


def _last_per_model(script: Script, sites: list[Site]) -> list[Site]:
    last: dict[int, Site] = {}
    for site in sites:
        last[id(script.model_of(site))] = site  # in source order: the last one wins
    return list(last.values())


TRANSFORM = TransformSpec(
    name="add_hidden_layer",
    description=AddHiddenLayer.DESCRIPTION,
    command=AddHiddenLayer,
    applicability=Applicability.UNSAFE,
    params={},
    target_kinds=("layer",),
)
