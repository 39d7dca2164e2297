"""Pair the loss with the output layer: logits get `from_logits=True`, probabilities the matching cross-entropy.

- no activation (logits) + a cross-entropy expecting probabilities -> the loss
  object with `from_logits=True`;
- softmax + binary cross-entropy over several units -> sparse (or, with
  labels="one_hot", plain) categorical cross-entropy; softmax over one unit -> sigmoid;
- sigmoid + mse for classes (one unit, or labels="binary") -> binary cross-entropy;
- sigmoid + a categorical loss over several units -> softmax; over one unit
  -> binary cross-entropy;
- softmax/sigmoid + `from_logits=True` -> `from_logits=False`;
- another activation (relu, tanh...) + a cross-entropy -> the cross-entropy's own
  activation (softmax over several classes, sigmoid for one unit or a binary loss).

Targets: the output layer (kind "layer") and the compile call (kind
"compile"). Without targets, every `<model>.compile(loss=...)` is paired
with the output layer of the model it compiles. Declines when the pairing is
already consistent or cannot be read (a loss in a variable, a custom loss,
one loss per output, an activation in a variable).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import libcst as cst

from modeldoctor.ftypes import Applicability
from modeldoctor.transforms.engine.base import Decline, Param, TargetedCommand, TransformSpec
from modeldoctor.transforms.engine.call_edits import arg_of, arg_value, kwarg
from modeldoctor.transforms.engine.keras_names import KerasNames, scan
from modeldoctor.transforms.engine.keyword_edits import (
    describe,
    int_value,
    module_quote,
    read_activation,
    replace_value,
    set_activation,
    set_keyword,
    string_node,
)
from modeldoctor.transforms.engine.layer_args import same_class, stale
from modeldoctor.transforms.engine.model_outputs import analyze
from modeldoctor.vocabulary import CROSSENTROPY, CROSSENTROPY_LOSS, LOGITS, loss_class, loss_name

if TYPE_CHECKING:
    from modeldoctor.ftypes import Finding
    from modeldoctor.record import FitRecord

# The losses this transform reads and writes, by its kind: the plain cross-entropies, and mse.
LOSSES = CROSSENTROPY_LOSS | {"mse": "mean_squared_error"}
STRINGS = CROSSENTROPY_LOSS | {"mse": "mse"}  # the string each kind is written as
CLASSES = {kind: loss_class(name) for kind, name in LOSSES.items()}
KINDS = {name: kind for kind, name in LOSSES.items()}
LABELS = ("auto", "sparse", "one_hot", "binary")  # binary: two classes, labels 0 and 1
MULTI = {"sparse": "sparse", "one_hot": "categorical"}


@dataclass(frozen=True)
class Loss:
    kind: str  # sparse | categorical | binary | mse | other
    form: str  # string | object | function
    logits: bool
    index: int  # of the loss argument in compile's args
    expr: cst.BaseExpression
    code: str
    extra: bool = False  # an object with arguments besides from_logits


@dataclass(frozen=True)
class Pairing:
    kind: str
    logits: bool
    activation: str
    why: str


def _code(node: cst.CSTNode) -> str:
    return cst.Module([]).code_for_node(node)


def _from_logits(call: cst.Call) -> cst.Arg | None:
    return arg_of(call, "from_logits", 0)


def _kind(name: str) -> str:
    """This transform's kind of a loss however it is spelled ("bce", "mse", "SparseCategoricalCrossentropy")."""
    return KINDS.get(loss_name(name) or "", "other")


def _probabilities(kind: str, why: str) -> Pairing:
    """The pairing of a cross-entropy with the activation whose probabilities it expects."""
    return Pairing(kind, False, CROSSENTROPY[kind], why)


def read_loss(names: KerasNames, compile_call: cst.Call) -> Loss | str:
    """The loss passed to compile, or why it cannot be read."""
    arg = arg_of(compile_call, "loss", 1)
    if arg is None:
        return "compile sets no loss"
    index, expr, code = list(compile_call.args).index(arg), arg.value, _code(arg.value)
    if isinstance(expr, (cst.Dict, cst.List, cst.Tuple)):
        return f"the loss `{code}` gives one loss per output: pair each output by hand"
    if isinstance(expr, cst.SimpleString) and isinstance(expr.evaluated_value, str):
        return Loss(_kind(expr.evaluated_value), "string", False, index, expr, code)
    qualified = names.qualified(expr.func if isinstance(expr, cst.Call) else expr) or ""
    head, _, name = qualified.rpartition(".")
    if head != "keras.losses":
        return f"the loss `{code}` is a variable or a custom loss: it cannot be read"
    if not isinstance(expr, cst.Call):
        return Loss(_kind(name) if name[:1].islower() else "other", "function", False, index, expr, code)
    kind = _kind(name) if name[:1].isupper() else "other"  # a loss object: `keras.losses.BinaryCrossentropy()`
    flag = _from_logits(expr) if kind != "mse" else None
    logits = False
    if flag is not None:
        if not (isinstance(flag.value, cst.Name) and flag.value.value in ("True", "False")):
            return f"from_logits in `{code}` is not a literal True or False"
        logits = flag.value.value == "True"
    extra = any(a is not flag for a in expr.args)
    return Loss(kind, "object", logits, index, expr, code, extra)


def pair(activation: str, loss: Loss, units: int | None, labels: str) -> Pairing | str:
    """What the loss and the output activation should be; a string says why nothing changes."""
    kind, multi = loss.kind, MULTI.get(labels)
    if kind == "other":
        return f"the loss `{loss.code}` is not a cross-entropy or mse: no pairing to fix"
    if activation == LOGITS:
        if kind == "mse":
            return "a linear output with mse is a regression: already consistent"
        kind = "binary" if units == 1 else (multi or kind)
        return Pairing(kind, True, LOGITS, "the output has no activation: it produces logits")
    if activation == "softmax":
        if kind == "mse":
            return "a softmax output with mse is not a pairing this transform changes"
        if units == 1:
            return _probabilities("binary", "a softmax over one unit always outputs 1")
        if kind == "binary":
            return _probabilities(multi or "sparse", "a softmax over several classes needs a categorical loss")
        return _probabilities(multi or kind, "the softmax output produces probabilities")
    if activation == "sigmoid":
        if kind == "binary":
            return _probabilities("binary", "the sigmoid output produces probabilities")
        if units == 1 or (kind == "mse" and labels == "binary"):
            return _probabilities("binary", "a sigmoid output for classes pairs with binary cross-entropy")
        if kind == "mse" and multi is None:
            on = f" on {units} units" if units else ""
            return (
                f"a sigmoid output with mse{on} may be a regression onto [0, 1]: "
                "pass labels='binary' to use binary_crossentropy"
            )
        return _probabilities(multi or kind, "a categorical loss expects a probability distribution over the classes")
    if kind == "mse":
        return f"a {activation} output with mse is a regression: already consistent"
    # a cross-entropy over outputs that are not probabilities (relu, tanh...): NaN at the first zero output
    task = "binary" if units == 1 or kind == "binary" else (multi or kind)
    return _probabilities(task, f"a {activation} output is not a probability, which the cross-entropy expects")


class FixLossActivation(TargetedCommand):
    DESCRIPTION = __doc__

    def visit_Module(self, node: cst.Module) -> bool:
        self.edits_by_node: dict[int, tuple[Callable[[cst.Call], cst.Call], cst.CSTNode, str]] = {}
        self.choose(node)
        return True

    def check_params(self) -> None:
        if self.params["labels"] not in LABELS:
            raise Decline(f"labels is {self.params['labels']!r}; expected one of {', '.join(LABELS)}")

    def choose(self, node: cst.Module) -> None:
        """Plan an edit per compile/output pair; Decline when no pair can be found at all."""
        self.names = scan(node)
        self.quote = module_quote(node)
        model = analyze(node, self.names)
        compiles = [c for c in model.compiles if arg_of(c.call, "loss", 1)]
        wanted = [t for t in self.targets if t.kind == "compile"]
        if wanted:
            compiles = [c for c in model.compiles if self.target_at(c.call, ("compile",))]
            if not compiles:
                raise Decline(f"no compile call at line {wanted[0].line}, column {wanted[0].column}")
        if not compiles:
            raise Decline("no compile call with a loss found")
        layer_targets = [t for t in self.targets if t.kind == "layer"]
        layers = dict((id(c), cls) for c, cls in model.layers)
        output = None
        if layer_targets:
            output = next((c for c, _ in model.layers if self.target_at(c, ("layer",))), None)
            if output is None:
                first = layer_targets[0]
                raise Decline(f"no Keras layer constructor at line {first.line}, column {first.column}")
            target, cls = self.target_at(output, ("layer",)), layers[id(output)]
            if target is not None and not same_class(target, cls):
                raise Decline(stale(target, cls))
            if not wanted and len(compiles) > 1:  # only the compile of the model this layer is the output of
                compiles = [c for c in compiles if c.output is output]
                if not compiles:
                    raise Decline("several models are compiled; cannot tell which one the output layer belongs to")
        for compiled in compiles:
            layer = output or compiled.output
            if layer is None:
                line = self.line_of(compiled.call)
                self.warn(f"line {line}: cannot tell which layer is the output of the compiled model")
                continue
            reason = self.plan(compiled.call, layer, layers[id(layer)])
            if reason:
                self.warn(f"line {self.line_of(compiled.call)}: {reason}")

    def plan(self, compile_call: cst.Call, layer: cst.Call, cls: str) -> str | None:
        """Register the edits for one compile/output pair, all or nothing; a string says why not."""
        loss = read_loss(self.names, compile_call)
        if isinstance(loss, str):
            return loss
        activation, expr = read_activation(self.names, layer, cls)
        if activation is None:
            code = _code(expr) if expr is not None else "?"
            return f"the output activation `{code}` of {describe(layer, cls)} cannot be read"
        units = int_value(arg_value(layer, "units", 0)) if cls in ("Dense", "EinsumDense") else None  # per example
        target = pair(activation, loss, units, self.params["labels"])
        if isinstance(target, str):
            return target
        if (target.kind, target.logits, target.activation) == (loss.kind, loss.logits, activation):
            return f"{describe(layer, cls)} with activation '{activation}' and loss `{loss.code}` already fit together"
        try:  # every check that can refuse runs before anything (an import) is registered
            if target.activation != activation:
                set_activation(layer, cls, target.activation, self.quote)
            new_loss = self.new_loss(loss, target) if (target.kind, target.logits) != (loss.kind, loss.logits) else None
        except Decline as why:
            return f"{describe(layer, cls)} left unchanged: {why}"
        if new_loss is not None:
            index = loss.index
            text = f"changed loss `{loss.code}` to `{_code(new_loss)}`: {target.why}"
            self.edits_by_node[id(compile_call)] = (
                lambda call: replace_value(call, call.args[index], new_loss),
                compile_call,
                text,
            )
        if target.activation != activation:
            text = f"set activation={target.activation!r} on {describe(layer, cls)}: {target.why}"
            activate = target.activation
            self.edits_by_node[id(layer)] = (lambda call: set_activation(call, cls, activate, self.quote), layer, text)
        return None

    def new_loss(self, loss: Loss, target: Pairing) -> cst.BaseExpression:
        if loss.form == "object" and loss.kind == target.kind and isinstance(loss.expr, cst.Call):
            flag = _from_logits(loss.expr)
            value = cst.Name("True" if target.logits else "False")
            if flag is not None and flag.keyword is None:
                return replace_value(loss.expr, flag, value)
            return set_keyword(loss.expr, "from_logits", value)
        if loss.extra:
            raise Decline(f"the loss `{loss.code}` has arguments that may not carry over to {CLASSES[target.kind]}")
        if target.logits or loss.form == "object":
            args = [kwarg("from_logits", cst.Name("True"))] if target.logits else []
            return cst.Call(self.names.ref(self.context, "losses", CLASSES[target.kind]), args=args)
        if loss.form == "function":
            return self.names.ref(self.context, "losses", STRINGS[target.kind])
        quote = loss.expr.quote if isinstance(loss.expr, cst.SimpleString) else '"'
        return string_node(STRINGS[target.kind], quote)

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.Call:
        edit = self.edits_by_node.get(id(original_node))
        if edit is None:
            return updated_node
        build, node, text = edit
        self.note(node, text)
        return build(updated_node)


def resolve(params: dict[str, Any], fit: FitRecord | None, finding: Finding | None) -> dict[str, Any]:
    """labels="auto" becomes the encoding the run saw in the labels given to fit."""
    labels = fit.labels if fit else None
    if params.get("labels", "auto") == "auto" and labels:
        params["labels"] = "one_hot" if labels.one_hot else ("binary" if labels.n_classes == 2 else "sparse")
    return params


TRANSFORM = TransformSpec(
    name="fix_loss_activation",
    description="Make the loss and the output layer's activation agree (from_logits, categorical vs binary, softmax).",
    command=FixLossActivation,
    applicability=Applicability.UNSAFE,
    params={"labels": Param(str, "auto", "how labels are encoded: sparse, one_hot, binary, or auto")},
    target_kinds=("layer", "compile"),
    resolve=resolve,
)
