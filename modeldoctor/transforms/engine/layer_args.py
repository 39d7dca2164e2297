"""The base commands of the transforms that edit layer constructor arguments.

`LayerArgCommand` picks layer calls from the run's targets or, without
targets, by the subclass's pattern, and edits each when it is left;
`AddArgumentCommand` adds one `KEYWORD=<keras>.SUBMODULE.CLASS(value)` to the
layers that do not set it yet. Reading and setting arguments is in
keyword_edits.py; finding the models' output layers in model_outputs.py.
"""

from __future__ import annotations

import libcst as cst

from modeldoctor.ftypes import Target
from modeldoctor.transforms.engine.base import Decline, TargetedCommand
from modeldoctor.transforms.engine.call_edits import arg_of, positional
from modeldoctor.transforms.engine.keras_names import scan
from modeldoctor.transforms.engine.keyword_edits import (
    KERNEL_LAYERS,
    RECURRENT_LAYERS,
    describe,
    module_quote,
    set_keyword,
)
from modeldoctor.transforms.engine.model_outputs import analyze
from modeldoctor.vocabulary import POSITIONAL_LIMIT

__all__ = [
    "AddArgumentCommand",
    "LayerArgCommand",
    "same_class",
    "stale",
]

POSITIONAL = POSITIONAL_LIMIT


def same_class(target: Target, cls: str) -> bool:
    """Whether the class the run recorded (if any) is the one written here (`Convolution2D` is `Conv2D`)."""
    return target.class_name is None or target.class_name == cls.replace("Convolution", "Conv")


def stale(target: Target, cls: str) -> str:
    seen = f"the run saw a {target.class_name} here, the source has {cls}"
    return f"line {target.line}: {seen}: was the file edited since?"


class LayerArgCommand(TargetedCommand):
    """Edits layer constructor calls: those the targets locate, else those `wanted()` picks.

    Subclasses set `CLASSES` (the layer classes the edit applies to) and
    implement `wanted` (the pattern for the static path) and `edit` (returns
    the new call, or raises Decline to leave that layer as it was; records its note itself).
    A Decline from `choose` leaves the whole file as it was.
    """

    CLASSES: frozenset[str] = KERNEL_LAYERS
    WHAT = "this edit"  # "adding a kernel_regularizer": names the edit in warnings

    @property
    def NOTHING(self) -> str:  # noqa: N802 - read like the constant most subclasses set
        """Why to decline when the pattern finds nothing; a property, so a subclass may word it from its params."""
        return "no layer this edit applies to"

    def visit_Module(self, node: cst.Module) -> bool:
        self.names = scan(node)
        self.model = analyze(node, self.names)
        self.quote = module_quote(node)
        self.chosen: dict[int, str] = {}
        self.choose()
        return True

    def choose(self) -> None:
        if not self.model.layers:
            raise Decline("no Keras layer constructor found (are the keras imports at the top of the file?)")
        wanted_targets = [t for t in self.targets if t.kind == "layer"]
        if wanted_targets:
            found = set()
            for call, cls in self.model.layers:
                target = self.target_at(call, ("layer",))
                if target is None:
                    continue
                found.add((target.line, target.column))
                if not same_class(target, cls):
                    self.warn(stale(target, cls))
                elif cls not in self.CLASSES:
                    what = f"{self.WHAT} does not apply to {cls}"
                    self.warn(f"line {target.line}: {describe(call, cls)} left unchanged: {what}")
                else:
                    self.chosen[id(call)] = cls
            for target in wanted_targets:
                if (target.line, target.column) not in found:
                    self.warn(f"no Keras layer constructor at line {target.line}, column {target.column}")
        else:
            for call, cls in self.model.layers:
                if cls in self.CLASSES and self.wanted(call, cls):
                    self.chosen[id(call)] = cls
            if not self.chosen:
                raise Decline(self.NOTHING)

    def wanted(self, call: cst.Call, cls: str) -> bool:
        raise NotImplementedError

    def edit(self, original: cst.Call, updated: cst.Call, cls: str) -> cst.Call:
        raise NotImplementedError

    def is_output(self, call: cst.Call) -> bool:
        return id(call) in self.model.outputs

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.Call:
        cls = self.chosen.get(id(original_node))
        if cls is None:
            return updated_node
        try:
            limit = POSITIONAL.get(cls, 1)
            if len(positional(original_node)) > limit:
                raise Decline(f"it passes more than {limit} positional argument(s): name them to tell them apart")
            return self.edit(original_node, updated_node, cls)
        except Decline as why:
            self.warn(f"line {self.line_of(original_node)}: {describe(original_node, cls)} left unchanged: {why}")
            return updated_node


class AddArgumentCommand(LayerArgCommand):
    """Adds `KEYWORD=<keras>.SUBMODULE.CLASS(<PARAM>)` to layers that do not set it yet.

    Without targets: every Dense/Conv layer (the output layer too, unless
    `SKIP_OUTPUT`). A layer that already sets the keyword is left as it is.
    """

    CLASSES = KERNEL_LAYERS | RECURRENT_LAYERS
    KEYWORD = ""
    SUBMODULE = ""
    CLASS = ""
    PARAM = ""
    SKIP_OUTPUT = False
    NOTHING = "no Dense or Conv layer found"

    def wanted(self, call: cst.Call, cls: str) -> bool:
        return cls in KERNEL_LAYERS and not (self.SKIP_OUTPUT and self.is_output(call))

    def edit(self, original: cst.Call, updated: cst.Call, cls: str) -> cst.Call:
        existing = arg_of(original, self.KEYWORD)
        if existing is not None and not (isinstance(existing.value, cst.Name) and existing.value.value == "None"):
            raise Decline(f"it already sets {self.KEYWORD}")
        if existing is None and any(a.star for a in original.args):  # before `ref` adds an import
            raise Decline(f"it takes *args or **kwargs that may already set {self.KEYWORD}")
        amount = cst.Float(repr(float(self.params[self.PARAM])))
        value = cst.Call(func=self.names.ref(self.context, self.SUBMODULE, self.CLASS), args=[cst.Arg(amount)])
        new = set_keyword(updated, self.KEYWORD, value)
        self.note(original, f"added {self.KEYWORD}={cst.Module([]).code_for_node(value)} to {describe(original, cls)}")
        return new
