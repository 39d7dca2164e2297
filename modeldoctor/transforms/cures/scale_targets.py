"""Train a regression on targets scaled to zero mean and unit spread, and scale its predictions back.

Targets in the thousands make the squared error, and so every gradient,
millions of times larger than the weights can absorb: the exploding gradients
and NaN of an unscaled regression. The cure writes, before the `fit`:

    y_mean, y_scale = y.mean(axis=0), y.std(axis=0)

(statistics of the training targets as fit gets them: `y[:1600]` too) and
trains on `(y - y_mean) / y_scale` (and the same for the targets of
`validation_data=(x_val, y_val)`), and turns every `model.predict(...)` of
the same model into `(model.predict(...) * y_scale + y_mean)`, so what the
script does with its predictions stays in the targets' own units. It declines,
saying why, where that cannot be faithful: the targets given to `fit` are
not a name or a slice of one (a dataset or generator carries them), `validation_data` is
not a tuple written in the call, or the script calls `model.evaluate`, whose
loss would then be reported on the scaled targets. With a run record it
applies only to regression targets far from unit scale (`resolve`).
Idempotent: targets already given as `(y - y_mean) / y_scale` are left alone.
Unsafe: it changes what the model is trained on (not what the script gets
from `predict`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import libcst as cst
import libcst.matchers as m
from libcst.metadata import ParentNodeProvider, PositionProvider

from modeldoctor.ftypes import Applicability
from modeldoctor.transforms.engine.base import Decline, TargetedCommand, TransformSpec
from modeldoctor.transforms.engine.call_edits import arg_of
from modeldoctor.transforms.engine.edit_plan import Plan, finish
from modeldoctor.vocabulary import loss_kind

if TYPE_CHECKING:
    from modeldoctor.ftypes import Finding
    from modeldoctor.record import FitRecord

FAR = 10.0  # targets whose mean or spread is beyond 10 are far from unit scale


def _code(node: cst.CSTNode) -> str:
    return cst.Module([]).code_for_node(node)


def _root(expr: cst.BaseExpression) -> str | None:
    """`prices`, `prices[:1600]`, `df.price`: the name at the root, when nothing on the way is called."""
    while isinstance(expr, (cst.Subscript, cst.Attribute)):
        expr = expr.value
    return expr.value if isinstance(expr, cst.Name) else None


def _method_calls(tree: cst.Module, method: str) -> list[cst.Call]:
    return [c for c in m.findall(tree, m.Call(func=m.Attribute(attr=m.Name(method)))) if isinstance(c, cst.Call)]


class ScaleTargets(TargetedCommand):
    DESCRIPTION = "Scale a regression's targets for training and scale its predictions back."
    METADATA_DEPENDENCIES = (PositionProvider, ParentNodeProvider)

    def edit_module(self, tree: cst.Module) -> cst.Module:
        fits = [c for c in _method_calls(tree, "fit") if not self.targets or self.target_at(c, ("fit",))]
        if len(fits) != 1:
            raise Decline(f"{'no' if not fits else len(fits)} fit call(s) found: the targets of one fit are scaled")
        fit = fits[0]
        assert isinstance(fit.func, cst.Attribute)
        model = _code(fit.func.value)
        y_arg = arg_of(fit, "y", 1)
        if y_arg is None:
            raise Decline("fit is given no y (a dataset or generator carries the targets): scale them where they "
                          "are made")
        if isinstance(y_arg.value, cst.BinaryOperation) and "_scale" in _code(y_arg.value):
            return tree  # already scaled
        root = _root(y_arg.value)
        if root is None:
            raise Decline(f"fit's targets `{_code(y_arg.value)}` are not a name (or a slice or attribute of one) "
                          "to scale")
        y = _code(y_arg.value)
        mean, scale = f"{root}_mean", f"{root}_scale"
        evaluations = [c for c in _method_calls(tree, "evaluate") if _code(c.func.value) == model]  # type: ignore[attr-defined]
        if evaluations:
            raise Decline(f"{model}.evaluate at line {self.line_of(evaluations[0])} reports the loss in the targets' "
                          "own units; on scaled targets it would report another number: scale the targets by hand")
        taken = {n.value for n in m.findall(tree, m.Name()) if isinstance(n, cst.Name)} & {mean, scale}
        if taken:
            raise Decline(f"the name {sorted(taken)[0]} is already used in this file: scale the targets by hand")
        plan = Plan()
        plan.add_before(self._statement(fit), f"{mean}, {scale} = {y}.mean(axis=0), {y}.std(axis=0)")
        scaled = f"({{}} - {mean}) / {scale}"
        plan.change(y_arg, lambda arg: arg.with_changes(value=cst.parse_expression(scaled.format(y))))  # type: ignore[attr-defined]
        done = [f"trained {model}.fit on the targets {y} scaled to zero mean and unit spread"]
        validation = arg_of(fit, "validation_data", 7)
        if validation is not None and not m.matches(validation.value, m.Name("None")):
            pair = validation.value
            if not isinstance(pair, cst.Tuple) or len(pair.elements) < 2:
                raise Decline(f"validation_data `{_code(pair)}` is not an (x, y) tuple written in the call")
            target = pair.elements[1]
            plan.change(target, lambda e: e.with_changes(  # type: ignore[attr-defined]
                value=cst.parse_expression(scaled.format(_code(e.value)))))  # type: ignore[attr-defined]
            done.append(f"its validation targets {_code(target.value)} too")
        predictions = [c for c in _method_calls(tree, "predict") if _code(c.func.value) == model]  # type: ignore[attr-defined]
        for call in predictions:
            plan.change(call, lambda c: cst.parse_expression(f"({_code(c)} * {scale} + {mean})"))
        if predictions:
            lines = ", ".join(str(self.line_of(c)) for c in predictions)
            done.append(f"scaled the predictions of line(s) {lines} back to the targets' units")
        self.note(fit, "; ".join(done))
        return finish(plan, tree)

    def _statement(self, node: cst.CSTNode) -> cst.CSTNode:
        parent: cst.CSTNode | None = node
        while parent is not None and not isinstance(parent, cst.SimpleStatementLine):
            parent = self.get_metadata(ParentNodeProvider, parent, None)
        if parent is None or len(parent.body) != 1:  # type: ignore[attr-defined]
            raise Decline("the fit call shares its line with other statements: scale the targets by hand")
        return parent


def resolve(params: dict[str, Any], fit: FitRecord | None, finding: Finding | None) -> dict[str, Any]:
    """With a run: only regression targets far from unit scale are worth scaling."""
    labels = fit.labels if fit is not None else None
    loss = fit.model.loss.name if fit is not None and fit.model.loss is not None else None
    if loss is not None and loss_kind(loss) not in (None, "regression"):
        raise LookupError(f"the loss {loss} is a classification loss: its targets are labels, not values to scale")
    if labels is not None and max(abs(labels.mean), labels.std) <= FAR:
        raise LookupError(f"the targets are near unit scale already (mean {labels.mean:.3g}, std {labels.std:.3g})")
    return params


TRANSFORM = TransformSpec(
    name="scale_targets",
    description=ScaleTargets.DESCRIPTION,
    command=ScaleTargets,
    applicability=Applicability.UNSAFE,
    params={},
    target_kinds=("fit",),
    resolve=resolve,
)
