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
from modeldoctor.transforms.engine.splats import Delta, SplatDict, Splats, apply_to_call, apply_to_dict, delta, splat_of
from modeldoctor.transforms.engine.splats import view as splat_view
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

    A layer that takes `**name` is edited through its view (splats.py): its own keywords
    in the call, the dict's entries in the dict literal, when every use of the dict is a
    layer this edit targets and all of them want the same change there.
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
        self.stand_in: dict[int, cst.Call] = {}  # id(view) -> the call it stands for
        self.splats = Splats.scan(node, self.line_of)
        self.deltas: dict[int, Delta] = {}  # id(call) or id(dict literal) -> what changes there
        self.choose()
        self.follow_splats()
        return True

    def line_of(self, node: cst.CSTNode) -> int:
        return super().line_of(self.stand_in.get(id(node), node))  # a view's notes name its call's line

    def seen(self, call: cst.Call) -> cst.Call:
        """The call as the layer receives it: a `**name` of a dict literal written in (else the call itself)."""
        star = splat_of(call)
        found = self.splats.dicts.get(star.value.value) if star and isinstance(star.value, cst.Name) else None
        if found is None or any(a.star == "*" for a in call.args):
            return call
        seen = splat_view(call, found)
        self.stand_in[id(seen)] = call
        return seen

    def follow_splats(self) -> None:
        """Edit the chosen layers that take **kwargs through their views (see the class doc)."""
        splatted = [(call, cls) for call, cls in self.model.layers if id(call) in self.chosen and splat_of(call)]
        users = {id(star.value) for call, _ in splatted if (star := splat_of(call))}
        groups: dict[int, list[tuple[cst.Call, str, Delta, list[str]]]] = {}
        for call, cls in splatted:
            del self.chosen[id(call)]  # edited here and in leave_Call/leave_Dict through the deltas, not again
            count = len(self.edits)
            try:
                found: SplatDict | None = self.splats.follow(call, users)
                assert found is not None
                limit = POSITIONAL.get(cls, 1)
                if len(positional(call)) > limit:
                    raise Decline(f"it passes more than {limit} positional argument(s): name them to tell them apart")
                seen = self.seen(call)
                change = delta(call, seen, self.edit(seen, seen, cls))
            except Decline as why:
                del self.edits[count:]
                self.warn(f"line {self.line_of(call)}: {describe(call, cls)} left unchanged: {why}")
                continue
            notes = [f"{note} (through **{found.name}, the dict at line {found.line})" for note in self.edits[count:]]
            del self.edits[count:]
            groups.setdefault(id(found.node), []).append((call, cls, change, notes))
        for node_id, members in groups.items():
            if len({change.key() for _, _, change, _ in members}) > 1:
                differ = "the layers sharing its **kwargs would need different changes to them"
                for call, cls, _, _ in members:
                    self.warn(f"line {self.line_of(call)}: {describe(call, cls)} left unchanged: {differ}")
                continue
            self.deltas[node_id] = members[0][2]
            for call, _, change, notes in members:
                self.deltas[id(call)] = change
                self.edits += notes

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
                if cls in self.CLASSES and self.wanted(self.seen(call), cls):
                    self.chosen[id(call)] = cls
            if not self.chosen:
                raise Decline(self.NOTHING)

    def wanted(self, call: cst.Call, cls: str) -> bool:
        raise NotImplementedError

    def edit(self, original: cst.Call, updated: cst.Call, cls: str) -> cst.Call:
        raise NotImplementedError

    def is_output(self, call: cst.Call) -> bool:
        return id(self.stand_in.get(id(call), call)) in self.model.outputs

    def leave_Dict(self, original_node: cst.Dict, updated_node: cst.Dict) -> cst.BaseExpression:
        change = self.deltas.get(id(original_node))
        return apply_to_dict(updated_node, change) if change is not None else updated_node

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.Call:
        change = self.deltas.get(id(original_node))
        if change is not None:  # a dict(...) literal some layers splat, or one of those layers
            splatted = splat_of(original_node) is not None
            return apply_to_call(updated_node, change) if splatted else apply_to_dict(updated_node, change)  # type: ignore[return-value]
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
