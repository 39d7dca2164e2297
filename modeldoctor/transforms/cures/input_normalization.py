"""Cure: scale the model's inputs inside the model, as its first layer.

Mode "normalization" adds a `Normalization()` layer adapted on the data given
to `fit` (the adapt lines go right before the statement that builds the
model); mode "rescaling" adds `Rescaling(scale)`, for data with a known range
such as pixels (`scale = 1 / 255`).
"""

from __future__ import annotations

import libcst as cst

from modeldoctor.ftypes import Applicability
from modeldoctor.transforms.engine.base import Decline, Param, TransformSpec
from modeldoctor.transforms.engine.call_edits import arg_of
from modeldoctor.transforms.engine.edit_plan import Plan
from modeldoctor.transforms.engine.insertion import InputInserter
from modeldoctor.transforms.engine.layer_kinds import PREPROCESSING, code, number
from modeldoctor.transforms.engine.model_sites import Model, Script

MODES = ("normalization", "rescaling")
BY_HAND = "adapt the Normalization by hand"


class AddInputNormalization(InputInserter):
    DESCRIPTION = "Insert Normalization() adapted on fit's data (or Rescaling(scale)) as the model's first layer."
    ALREADY = PREPROCESSING
    adapted_on = ""

    @property
    def LAYER(self) -> str:  # type: ignore[override]
        return "Rescaling" if self.params["mode"] == "rescaling" else "Normalization"

    @property
    def PREFIX(self) -> str:  # type: ignore[override]
        return "rescaled" if self.params["mode"] == "rescaling" else "normalized"

    def check_params(self) -> None:
        mode, scale = self.params["mode"], self.params["scale"]
        if mode not in MODES:
            raise Decline(f"parameter 'mode' must be one of {', '.join(MODES)}, got {mode!r}")
        if mode == "rescaling" and not scale:
            raise Decline("mode 'rescaling' needs a non-zero 'scale' (e.g. 1 / 255 for pixels)")

    def layer_code(
        self, script: Script, plan: Plan, model: Model, anchor: cst.SimpleStatementLine | None, moved: str
    ) -> str:
        if self.params["mode"] == "rescaling":
            layer = code(script.names.ref(self.context, "layers", "Rescaling"))
            return f"{layer}({', '.join(filter(None, (number(self.params['scale']), moved)))})"
        where = f"the model at line {script.start(model.call)[0]}"
        if anchor is None or not script.placeable(anchor, anchor.body[0]):
            raise Decline(f"{where} is not built on a line of its own, {BY_HAND}")
        data, reason = self._training_data(script, model, anchor)
        if reason:
            raise Decline(f"{where}: {reason}")
        name = script.fresh("normalizer")
        layer = code(script.names.ref(self.context, "layers", "Normalization"))
        plan.add_before(anchor, f"{name} = {layer}({moved})", f"{name}.adapt({data})")
        self.adapted_on = data
        return name

    def _training_data(self, script: Script, model: Model, anchor: cst.SimpleStatementLine) -> tuple[str, str]:
        """The plain name fit trains on, or why it cannot be used for adapt."""
        fit = self._fit(script, model)
        if fit is None:
            return "", "no fit call of this model found in the same function, so there is no data to adapt on"
        line = script.start(fit)[0]
        if script.scope_of(fit) is not model.scope:
            return "", f"fit (line {line}) is not in the same function as the model, {BY_HAND}"
        x, y = arg_of(fit, "x", 0), arg_of(fit, "y", 1)
        if x is None or not isinstance(x.value, cst.Name):
            shown = code(x.value) if x is not None else "missing"
            return "", f"fit's input (line {line}) is `{shown}`, not a plain name, {BY_HAND}"
        if y is None:
            return "", f"fit (line {line}) gets no separate targets (a dataset or generator?), {BY_HAND}"
        name, begin, end = x.value.value, script.start(anchor), script.start(fit)
        stores = [script.start(s) for s in script.stores(name, model.scope)]
        if not any(s < begin for s in stores):
            return "", f"`{name}` is not bound before the model is built (line {begin[0]}), {BY_HAND}"
        if any(begin < s < end for s in stores):
            return "", f"`{name}` is reassigned between the model (line {begin[0]}) and fit (line {line}), {BY_HAND}"
        return name, ""

    def _fit(self, script: Script, model: Model) -> cst.Call | None:
        """The run's fit target (preferring one called on the model's name), else the model's first fit after it."""

        def fits(call: cst.Call | None) -> bool:
            return call is not None and isinstance(call.func, cst.Attribute) and call.func.attr.value == "fit"

        def of_model(call: cst.Call) -> bool:
            receiver = call.func.value  # type: ignore[attr-defined]
            return isinstance(receiver, cst.Name) and receiver.value == model.name

        targets = [t for t in self.targets if t.kind == "fit"]
        calls = [c for c in (script.constructor_at(t) for t in targets) if c is not None and fits(c)]
        if calls:
            return next((c for c in calls if of_model(c)), calls[0])
        after = script.start(model.call)
        later = (c for c in script.calls if fits(c) and of_model(c) and script.start(c) > after)
        return next((c for c in later if script.scope_of(c) is model.scope), None)

    def edit_text(self) -> str:
        if self.params["mode"] == "rescaling":
            return f"inserted Rescaling({number(self.params['scale'])}) as the model's first layer"
        return f"inserted a Normalization layer adapted on `{self.adapted_on}` as the model's first layer"


TRANSFORM = TransformSpec(
    name="input_normalization",
    description=AddInputNormalization.DESCRIPTION,
    command=AddInputNormalization,
    applicability=Applicability.UNSAFE,
    params={
        "mode": Param(str, "normalization", "'normalization' (adapted on fit's data) or 'rescaling' (times scale)"),
        "scale": Param(float, None, "the factor for mode 'rescaling', e.g. 1 / 255 for pixels"),
    },
    target_kinds=("model", "fit"),
)
