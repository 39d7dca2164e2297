"""Stochastic weight averaging: the model keeps the mean of its weights at the end of the last epochs.

For run-to-run variance: each run ends at another point of the noise around
a minimum; the average of the last epochs' weights sits nearer its centre
(Izmailov et al. 2018). The cure writes a small, readable callback class
into the script, after its imports, and passes `SWA(start_epoch=N)` to
`fit`: from epoch N on it keeps a running mean of the weights, and puts it
into the model when training ends (before anything else reads the model).
`start_epoch` is absolute (a rule's `last_share` of the run's epochs,
resolved from the record). A model with BatchNormalization gets a callback
that also recomputes the moving statistics for the averaged weights: a pass
over fit's training data in training mode, each layer's momentum set so that
its statistics become the mean of every batch's (as PyTorch's `update_bn`);
`SWA(start_epoch=N, data=x)` is given fit's own x, and the cure declines
when that x is a dataset or generator it cannot slice. It declines for a fit
that already restores its best weights (EarlyStopping), which would fight
over which weights are kept.
Idempotent: a fit that already has the SWA callback is left alone.
Unsafe: it changes the final weights.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import libcst as cst
import libcst.matchers as m

from modeldoctor.ftypes import Applicability
from modeldoctor.transforms.engine.base import Decline, Param, TransformSpec
from modeldoctor.transforms.engine.call_edits import kwarg, literal
from modeldoctor.transforms.engine.calls import FitCommand, last_name

if TYPE_CHECKING:
    from modeldoctor.ftypes import Finding
    from modeldoctor.record import FitRecord

CLASS = "SWA"
# The averaging both callbacks share (no braces: the templates go through str.format).
AVERAGING = '''
    def on_train_begin(self, logs=None):
        self.average, self.count = None, 0

    def on_epoch_end(self, epoch, logs=None):
        if epoch + 1 < self.start_epoch:
            return
        weights = self.model.get_weights()
        self.count += 1
        if self.average is None:
            self.average = weights
        else:
            self.average = [a + (w - a) / self.count for a, w in zip(self.average, weights)]
'''
CALLBACK = '''

class SWA({base}):
    """Stochastic weight averaging: keep the mean of the weights at the end of each epoch from `start_epoch` on."""

    def __init__(self, start_epoch):
        super().__init__()
        self.start_epoch = start_epoch
''' + AVERAGING + '''
    def on_train_end(self, logs=None):
        if self.average is not None:
            self.model.set_weights(self.average)
'''
# With BatchNormalization: the statistics the averaged weights need are recomputed on the training data.
CALLBACK_WITH_NORMALIZATION = '''

class SWA({base}):
    """Stochastic weight averaging: keep the mean of the weights at the end of each epoch from `start_epoch` on,
    then recompute the BatchNormalization statistics for the averaged weights on the training data `data`."""

    def __init__(self, start_epoch, data):
        super().__init__()
        self.start_epoch = start_epoch
        self.data = data
''' + AVERAGING + '''
    def on_train_end(self, logs=None):
        if self.average is not None:
            self.model.set_weights(self.average)
            self.recompute_batch_norm()

    def recompute_batch_norm(self, batch_size=256):
        """Each BatchNormalization layer's moving statistics become the mean of its batch statistics over the
        training data, run through the averaged model in training mode."""
        norms = [layer for layer in self.model.layers if isinstance(layer, {norm})]
        momenta = [layer.momentum for layer in norms]
        for count, start in enumerate(range(0, len(self.data), batch_size)):
            for layer in norms:
                layer.momentum = count / (count + 1)  # the running mean of the batches seen so far
            self.model(self.data[start:start + batch_size], training=True)
        for layer, momentum in zip(norms, momenta):
            layer.momentum = momentum
'''


class StochasticWeightAveraging(FitCommand):
    DESCRIPTION = "Average the weights of the last epochs with a small SWA callback written into the script."
    normalized = False  # the model has BatchNormalization: the callback recomputes its statistics

    def check_params(self) -> None:
        if not self.params["start_epoch"] or self.params["start_epoch"] < 1:
            raise Decline(f"stochastic_weight_averaging needs start_epoch >= 1, got {self.params['start_epoch']!r}")

    def plan_fit(self, call: cst.Call) -> None:
        callbacks = self.fit_arg(call, "callbacks")
        if callbacks is not None and self.has_callback(callbacks.value, CLASS):
            self.warn(f"fit on line {self.line_of(call)} already averages its weights with {CLASS}")
            return
        if callbacks is not None and self.has_callback(callbacks.value, "EarlyStopping"):
            self.warn(f"fit on line {self.line_of(call)} restores its best weights with EarlyStopping: averaged "
                      "weights would replace them")
            return
        args = [kwarg("start_epoch", literal(self.params["start_epoch"]))]
        if self.normalized:
            if (why := self.dataset_reason(call)) is not None:
                self.warn(f"the model has BatchNormalization and {why}: its statistics cannot be recomputed from it "
                          "for the averaged weights (weight_averaging's EMA does not need them)")
                return
            x = self.fit_arg(call, "x")
            assert x is not None  # dataset_reason says so otherwise
            args.append(kwarg("data", x.value))
        swa = cst.Call(func=cst.Name(CLASS), args=args)
        self.schedule(call, lambda node: self._with(node, swa))

    def _with(self, node: cst.Call, swa: cst.Call) -> tuple[cst.Call, str]:
        new, text = self.with_callback(node, swa)
        return new, f"fit: {text}"

    def edit_module(self, tree: cst.Module) -> cst.Module:
        self.normalized = any(last_name(c.func) == "BatchNormalization"  # type: ignore[union-attr]
                              for c in m.findall(tree, m.Call()) if isinstance(c, cst.Call))
        defined = any(isinstance(s, cst.ClassDef) and s.name.value == CLASS for s in tree.body)
        edited = tree.visit(self)
        if not self.edits or defined:
            return edited
        base = cst.Module([]).code_for_node(self.names.ref(self.context, "callbacks", "Callback"))
        body = list(edited.body)
        at = max((i + 1 for i, s in enumerate(body) if m.matches(s, m.SimpleStatementLine(
            body=[m.OneOf(m.Import(), m.ImportFrom())]))), default=0)
        blank = [cst.EmptyLine(), cst.EmptyLine()]  # two blank lines around a top-level class
        if self.normalized:
            norm = cst.Module([]).code_for_node(self.names.ref(self.context, "layers", "BatchNormalization"))
            new = list(cst.parse_module(CALLBACK_WITH_NORMALIZATION.format(base=base, norm=norm)).body)
        else:
            new = list(cst.parse_module(CALLBACK.format(base=base)).body)
        new[0] = new[0].with_changes(leading_lines=blank)
        if at < len(body):
            comments = [line for line in body[at].leading_lines if line.comment is not None]
            body[at] = body[at].with_changes(leading_lines=[*blank, *comments])
        line = self.line_of(tree.body[at - 1]) + 1 if at else 1  # the statements before it are unchanged
        self.edits.append(f"line {line}: wrote the {CLASS} callback class after the imports")
        return edited.with_changes(body=[*body[:at], *new, *body[at:]])


def resolve(params: dict[str, Any], fit: FitRecord | None, finding: Finding | None) -> dict[str, Any]:
    """`last_share` of the run's epochs are averaged: the first of them is `start_epoch`."""
    share = params.pop("last_share", None)
    if share is not None:
        epochs = fit.fit_args.epochs if fit is not None else None
        if not epochs:
            raise LookupError("the run's number of epochs is unknown")
        params["start_epoch"] = max(1, epochs - max(1, round(epochs * share)) + 1)
    return params


TRANSFORM = TransformSpec(
    name="stochastic_weight_averaging",
    description=StochasticWeightAveraging.DESCRIPTION,
    command=StochasticWeightAveraging,
    applicability=Applicability.UNSAFE,
    params={"start_epoch": Param(int, None, "the first epoch (1-based) whose weights are averaged (absolute)")},
    target_kinds=StochasticWeightAveraging.TARGET_KINDS,
    relative={"last_share": Param((int, float), None, "average the weights of this share of the last epochs")},
    resolve=resolve,
)
