"""Where a script creates its Keras layers, and how to insert one more beside them.

Shared by the dropout, batch_normalization, gaussian_noise and
input_normalization transforms. A *site* is a layer written in a form we can
extend: an element of a `Sequential([...])` list, a `model.add(...)`
statement, or a functional `x = Layer(...)(x)` statement. A transform plans
all its edits on the original tree (where positions are known), then applies
them in one pass, so either every planned edit lands or none does.

`Script` reads the module (models, sites, names); `Plan` holds and applies the
edits; `LayerInserter` (a layer after chosen layers) and `InputInserter` (a
layer at the model's input) are the two engines the transforms subclass.
`remap_targets` (in base.py) moves run-record targets across an edit.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

import libcst as cst
from libcst.helpers import get_full_name_for_node
from libcst.metadata import ExpressionContext, ExpressionContextProvider, ParentNodeProvider, PositionProvider

from modeldoctor.ftypes import Target
from modeldoctor.transforms.base import TargetedCommand
from modeldoctor.transforms.keras_names import scan

HIDDEN = frozenset(
    {"Dense", "EinsumDense", "Conv1D", "Conv2D", "Conv3D", "Conv1DTranspose", "Conv2DTranspose",
     "Conv3DTranspose", "SeparableConv1D", "SeparableConv2D", "DepthwiseConv1D", "DepthwiseConv2D",
     "Convolution1D", "Convolution2D", "Convolution3D", "Convolution2DTranspose",
     "Convolution3DTranspose", "SeparableConvolution1D", "SeparableConvolution2D"}
)  # fmt: skip
DROPOUTS = frozenset(
    {"Dropout", "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D", "AlphaDropout", "GaussianDropout"}
)
NORMALIZATIONS = frozenset({"BatchNormalization", "LayerNormalization", "GroupNormalization", "UnitNormalization"})
NOISES = frozenset({"GaussianNoise", "GaussianDropout"})
ACTIVATIONS = frozenset({"Activation", "ReLU", "LeakyReLU", "PReLU", "ELU", "Softmax"})
COMPANIONS = DROPOUTS | NORMALIZATIONS | NOISES | ACTIVATIONS  # what may sit right after a layer
ALIASES = {"Convolution1D": "Conv1D", "Convolution2D": "Conv2D", "Convolution3D": "Conv3D",
           "Convolution2DTranspose": "Conv2DTranspose", "Convolution3DTranspose": "Conv3DTranspose",
           "SeparableConvolution1D": "SeparableConv1D", "SeparableConvolution2D": "SeparableConv2D",
           "Input": "InputLayer"}  # fmt: skip
PREPROCESSING = frozenset({"Normalization", "Rescaling"})
DATA_LAYERS = PREPROCESSING | {
    "Resizing", "CenterCrop", "RandAugment", "AugMix", "CutMix", "MixUp", "TextVectorization", "StringLookup",
    "IntegerLookup", "Hashing", "Discretization", "CategoryEncoding", "Solarization", "Equalization", "AutoContrast",
}  # fmt: skip
INPUTS = frozenset({"Input", "InputLayer"})
INPUT_SHAPE_KEYWORDS = ("input_shape", "input_dim", "batch_input_shape")
SCOPES = (cst.Module, cst.FunctionDef, cst.ClassDef, cst.Lambda)
MODEL_CLASSES = {"keras.Sequential": "sequential", "keras.models.Sequential": "sequential",
                 "keras.Model": "functional", "keras.models.Model": "functional"}  # fmt: skip

_EMPTY = cst.Module(body=[])


def code(node: cst.CSTNode) -> str:
    return _EMPTY.code_for_node(node)


def number(value: float) -> str:
    """A float as the user would write it: `0.3`, or `1 / 255` for a long reciprocal."""
    if 0 < value < 1 and len(repr(value)) > 6:
        inverse = 1 / value
        if round(inverse) > 1 and abs(inverse - round(inverse)) < 1e-9 * inverse:
            return f"1 / {round(inverse)}"
    return repr(value)


def argument(call: cst.Call, position: int, keyword: str) -> cst.Arg | None:
    """The argument passed at `position` or as `keyword=`."""
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == keyword:
            return arg
    positional = [a for a in call.args if a.keyword is None and not a.star]
    return positional[position] if len(positional) > position else None


def input_shape_argument(node: cst.BaseExpression) -> cst.Arg | None:
    """`input_shape=`/`input_dim=` on a layer: only the model's first layer may carry it."""
    if isinstance(node, cst.Call):
        return next((a for a in node.args if a.keyword and a.keyword.value in INPUT_SHAPE_KEYWORDS), None)
    return None


def assigned_name(node: cst.CSTNode | None) -> str | None:
    """`name` for `name = value` with one plain target, else None."""
    if isinstance(node, cst.Assign) and len(node.targets) == 1 and isinstance(node.targets[0].target, cst.Name):
        return node.targets[0].target.value
    return None


def without_argument(call: cst.Call, arg: cst.Arg) -> cst.Call:
    args = [a for a in call.args if not a.deep_equals(arg)]
    if args and call.args[-1].deep_equals(arg):
        args[-1] = args[-1].with_changes(comma=arg.comma)
    return call.with_changes(args=args)


@dataclass(eq=False)
class Site:
    """A layer the script creates in a form that can take a neighbour."""

    kind: str  # "list" | "add" | "functional"
    value: cst.BaseExpression  # the constructor call, or a name bound to a layer
    layer: str | None  # Keras class, e.g. "Dense"
    statement: cst.SimpleStatementLine | None = None  # add/functional: the line to insert beside
    holder: cst.List | None = None  # list: the Sequential's list
    index: int = 0
    receiver: cst.BaseExpression | None = None  # add: `model` in `model.add(...)`
    name: str | None = None  # functional: the name bound to the layer's output
    tensor: str | None = None  # functional: the name the layer is applied to


@dataclass(eq=False)
class Model:
    style: str  # "sequential" | "functional"
    call: cst.Call
    scope: cst.CSTNode
    statement: cst.SimpleStatementLine | None
    name: str | None
    layers: list[Site] = field(default_factory=list)
    inputs: cst.BaseExpression | None = None
    outputs: tuple[str, ...] = ()
    problem: str | None = None  # why nothing can be inserted at its input


class _Collector(cst.CSTVisitor):
    def __init__(self) -> None:
        self.calls: list[cst.Call] = []
        self.names: list[cst.Name] = []
        self.classes: list[cst.ClassDef] = []

    def visit_Call(self, node: cst.Call) -> None:
        self.calls.append(node)

    def visit_Name(self, node: cst.Name) -> None:
        self.names.append(node)

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self.classes.append(node)


class Script:
    """One module read through the command's metadata: Keras spelling, models, and sites."""

    def __init__(self, command: TargetedCommand, module: cst.Module) -> None:
        self.command = command
        self.names = scan(module)
        collector = _Collector()
        module.visit(collector)
        self.calls, self.all_names, self.classes = collector.calls, collector.names, collector.classes
        self.taken = {n.value for n in self.all_names}
        self.layer_vars: dict[str, str] = {}
        for call in self.calls:
            variable, layer = assigned_name(self.parent(call)), self.layer_class(call)
            if variable and layer:
                self.layer_vars[variable] = layer
        self.sites: dict[cst.CSTNode, Site] = {}
        self.models: list[Model] = []
        for call in self.calls:
            style = self.model_style(call)
            model = self._sequential(call) if style == "sequential" else self._functional(call) if style else None
            if model is not None:
                self.models.append(model)
        self._collect_sites()
        for model in self.models:
            if model.style == "sequential":
                model.layers.extend(s for s in self.sites.values() if s.kind == "add" and self._adds_to(s, model))
            else:
                model.layers = [
                    s for s in self.sites.values()
                    if s.kind == "functional" and self.scope_of(s.value) is model.scope
                    and self.start(s.value) < self.start(model.call)
                ]  # fmt: skip

    # -- metadata ----------------------------------------------------------
    def parent(self, node: cst.CSTNode) -> cst.CSTNode | None:
        return self.command.get_metadata(ParentNodeProvider, node, None)

    def start(self, node: cst.CSTNode) -> tuple[int, int]:
        return self.command.start_of(node)

    def scope_of(self, node: cst.CSTNode) -> cst.CSTNode:
        current = self.parent(node)
        while current is not None and not isinstance(current, SCOPES):
            current = self.parent(current)
        assert current is not None
        return current

    def statement_of(self, node: cst.CSTNode) -> cst.SimpleStatementLine | None:
        current: cst.CSTNode | None = node
        while current is not None and not isinstance(current, (*SCOPES, cst.BaseCompoundStatement)):
            if isinstance(current, cst.SimpleStatementLine):
                return current
            current = self.parent(current)
        return None

    def placeable(self, statement: cst.SimpleStatementLine | None, small: cst.CSTNode | None) -> bool:
        """A line holding only `small`, directly in a block: a new line can go beside it."""
        return (
            statement is not None
            and len(statement.body) == 1
            and statement.body[0] is small
            and isinstance(self.parent(statement), (cst.Module, cst.IndentedBlock))
        )

    def within(self, node: cst.CSTNode, ancestor: cst.CSTNode) -> bool:
        current: cst.CSTNode | None = node
        while current is not None and current is not ancestor:
            current = self.parent(current)
        return current is ancestor

    def loops(self, node: cst.CSTNode) -> set[cst.CSTNode]:
        """The for/while loops around a node, within its function."""
        found: set[cst.CSTNode] = set()
        current = self.parent(node)
        while current is not None and not isinstance(current, SCOPES):
            if isinstance(current, (cst.For, cst.While)):
                found.add(current)
            current = self.parent(current)
        return found

    def following_statements(self, statement: cst.SimpleStatementLine) -> Sequence[cst.BaseStatement]:
        parent = self.parent(statement)
        assert isinstance(parent, (cst.Module, cst.IndentedBlock))
        index = next(i for i, s in enumerate(parent.body) if s is statement)
        return parent.body[index + 1 :]

    # -- what things are ---------------------------------------------------
    def qualified(self, expr: cst.BaseExpression) -> str | None:
        found = self.names.qualified(expr)
        if found is None:
            full = get_full_name_for_node(expr) or ""
            head, _, rest = full.partition(".")
            for canonical, local in self.names.names.items():
                if rest and local == head:
                    return f"{canonical}.{rest}"
        return found

    def layer_class(self, expr: cst.BaseExpression) -> str | None:
        if isinstance(expr, cst.Name):
            return self.layer_vars.get(expr.value)
        if not isinstance(expr, cst.Call) or isinstance(expr.func, cst.Call):
            return None
        found = self.qualified(expr.func) or ""
        if found.startswith("keras.layers."):
            return found.rsplit(".", 1)[1]
        return "Input" if found == "keras.Input" else None

    def model_style(self, call: cst.Call) -> str | None:
        return None if isinstance(call.func, cst.Call) else MODEL_CLASSES.get(self.qualified(call.func) or "")

    def describe(self, expr: cst.BaseExpression) -> str:
        layer = self.layer_class(expr) or code(expr)
        if isinstance(expr, cst.Call):
            first = argument(expr, 0, "")
            shown = code(first.value) if first is not None else ""
            return layer if not shown else f"{layer}({shown})" if len(shown) <= 24 else f"{layer}(…)"
        return f"{layer} `{code(expr)}`" if isinstance(expr, cst.Name) else layer

    def subclassed(self) -> list[str]:
        return [
            c.name.value for c in self.classes
            if any((self.qualified(b.value) or "") in MODEL_CLASSES for b in c.bases)
        ]  # fmt: skip

    def no_model_reason(self, what: str) -> str:
        classes = self.subclassed()
        if classes:
            return (
                f"the model is a subclassed keras.Model ({', '.join(classes)}): its layers are created in "
                f"__init__ and wired in call(), so add the {what} there by hand"
            )
        return "no Sequential or functional Keras model is built in this file"

    def constructor_at(self, target: Target) -> cst.Call | None:
        for call in self.calls:
            if not isinstance(call.func, cst.Call) and self.start(call) == (target.line, target.column):
                return call
        return None

    def loads(self, name: str, scope: cst.CSTNode) -> list[cst.Name]:
        found = []
        for node in self.all_names:
            if node.value != name or self.scope_of(node) is not scope:
                continue
            parent = self.parent(node)
            if isinstance(parent, cst.Arg) and parent.keyword is node:
                continue
            if self.command.get_metadata(ExpressionContextProvider, node, None) is ExpressionContext.LOAD:
                found.append(node)
        return found

    def stores(self, name: str, scope: cst.CSTNode) -> list[cst.CSTNode]:
        found: list[cst.CSTNode] = [
            n for n in self.all_names
            if n.value == name and self.scope_of(n) is scope
            and self.command.get_metadata(ExpressionContextProvider, n, None) is ExpressionContext.STORE
        ]  # fmt: skip
        if isinstance(scope, cst.FunctionDef):
            found += [p.name for p in (*scope.params.params, *scope.params.kwonly_params) if p.name.value == name]
        return found

    def input_statement(self, name: str, model: Model) -> cst.SimpleStatementLine | None:
        """The `name = keras.Input(...)` line that last binds a functional model's input before the model."""
        stores = [s for s in self.stores(name, model.scope) if self.start(s) < self.start(model.call)]
        statement = self.statement_of(stores[-1]) if stores else None
        if statement is None or not self.placeable(statement, statement.body[0]):
            return None
        small = statement.body[0]
        if isinstance(small, cst.Assign) and len(small.targets) == 1 and self.layer_class(small.value) == "Input":
            return statement
        return None

    def fresh(self, base: str) -> str:
        name, n = base, 1
        while name in self.taken:
            n += 1
            name = f"{base}_{n}"
        self.taken.add(name)
        return name

    # -- models and sites --------------------------------------------------
    def _model(self, style: str, call: cst.Call) -> Model:
        statement = self.statement_of(call)
        name = None
        if statement is not None and len(statement.body) == 1:
            small = statement.body[0]
            if isinstance(small, cst.Assign) and small.value is call and len(small.targets) == 1:
                target = small.targets[0].target
                name = target.value if isinstance(target, cst.Name) else None
        return Model(style, call, self.scope_of(call), statement, name)

    def _sequential(self, call: cst.Call) -> Model:
        model = self._model("sequential", call)
        arg = argument(call, 0, "layers")
        if arg is None:
            return model
        if not isinstance(arg.value, cst.List):
            model.problem = f"its layers come from `{code(arg.value)}`, not from a list written in the call"
            return model
        for index, element in enumerate(arg.value.elements):
            if isinstance(element, cst.StarredElement):
                model.problem = f"its layer list unpacks `{code(element.value)}`"
                continue
            site = Site("list", element.value, self.layer_class(element.value), holder=arg.value, index=index)
            self.sites[element.value] = site
            model.layers.append(site)
        return model

    def _functional(self, call: cst.Call) -> Model | None:
        inputs, outputs = argument(call, 0, "inputs"), argument(call, 1, "outputs")
        if inputs is None or outputs is None:
            return None
        model = self._model("functional", call)
        model.inputs = inputs.value
        out = outputs.value
        items = [e.value for e in out.elements] if isinstance(out, (cst.List, cst.Tuple)) else [out]
        model.outputs = tuple(n.value for n in items if isinstance(n, cst.Name))
        return model

    def _collect_sites(self) -> None:
        for call in self.calls:
            func = call.func
            if isinstance(func, cst.Call):
                layer = self.layer_class(func)
                assign = self.parent(call)
                if layer and isinstance(assign, cst.Assign) and len(assign.targets) == 1:
                    target = assign.targets[0].target
                    first = argument(call, 0, "inputs")
                    tensor = first.value if first is not None else None
                    if isinstance(target, cst.Name):
                        statement = self.statement_of(call)
                        self.sites[func] = Site(
                            "functional", func, layer,
                            statement=statement if self.placeable(statement, assign) else None,
                            name=target.value,
                            tensor=tensor.value if isinstance(tensor, cst.Name) else None,
                        )  # fmt: skip
            elif isinstance(func, cst.Attribute) and func.attr.value == "add" and len(call.args) == 1:
                arg = call.args[0]
                layer = self.layer_class(arg.value)
                if arg.keyword is None and not arg.star and (layer or isinstance(arg.value, cst.Call)):
                    statement = self.statement_of(call)
                    expr = self.parent(call)
                    self.sites[arg.value] = Site(
                        "add", arg.value, layer, receiver=func.value,
                        statement=statement if self.placeable(statement, expr) else None,
                    )  # fmt: skip

    def _adds_to(self, site: Site, model: Model) -> bool:
        receiver = site.receiver
        return (
            isinstance(receiver, cst.Name)
            and receiver.value == model.name
            and self.scope_of(site.value) is model.scope
            and self.start(site.value) > self.start(model.call)
        )

    def tail(self, model: Model) -> set[Site]:
        """The output layer(s) and what follows them: nothing regularizes after these."""
        found: set[Site] = set()
        if model.style == "sequential":
            for site in reversed(model.layers):
                found.add(site)
                if site.layer in HIDDEN:
                    break
            return found
        for output in model.outputs:
            name: str | None = output
            while name is not None:
                bound = [s for s in model.layers if s.name == name]
                if not bound:
                    break
                site = bound[-1]
                found.add(site)
                if site.layer in HIDDEN:
                    break
                name = site.tensor if site.tensor != name else None
        return found

    def auxiliary(self, model: Model) -> bool:
        """A model that only preprocesses data, or that another model calls as a layer: not the one trained."""
        layers = [s.layer for s in model.layers if s.layer not in INPUTS]
        if layers and all(layer and (layer.startswith("Random") or layer in DATA_LAYERS) for layer in layers):
            return True
        return model.name is not None and any(
            isinstance(c.func, cst.Name) and c.func.value == model.name for c in self.calls
        )

    def model_of(self, site: Site) -> Model | None:
        return next((m for m in self.models if site in m.layers), None)

    def neighbours(self, site: Site) -> Iterator[Site]:
        """The layers that directly follow a site, in model order."""
        if site.kind == "list":
            assert site.holder is not None
            for index, element in enumerate(site.holder.elements[site.index + 1 :], site.index + 1):
                value = element.value
                layer = self.layer_class(value)
                yield self.sites.get(value) or Site("list", value, layer, holder=site.holder, index=index)
            return
        if site.statement is None:
            return
        current = site.name
        for statement in self.following_statements(site.statement):
            if not (isinstance(statement, cst.SimpleStatementLine) and len(statement.body) == 1):
                return
            small = statement.body[0]
            if site.kind == "add":
                call = small.value if isinstance(small, cst.Expr) else None
                if not (
                    isinstance(call, cst.Call) and isinstance(call.func, cst.Attribute) and call.func.attr.value == "add"
                    and len(call.args) == 1 and call.func.value.deep_equals(site.receiver)  # type: ignore[arg-type]
                ):  # fmt: skip
                    return
                value = call.args[0].value
                yield Site("add", value, self.layer_class(value), statement=statement, receiver=site.receiver)
            else:
                found = self.applied_layer(small, current)
                if found is None:
                    return
                value, current = found
                yield Site("functional", value, self.layer_class(value), statement=statement, name=current)

    def applied_layer(self, small: cst.BaseSmallStatement, tensor: str | None) -> tuple[cst.BaseExpression, str] | None:
        """For `name = Layer(...)(tensor)`: the layer expression and `name`."""
        name = assigned_name(small)
        value = small.value if isinstance(small, cst.Assign) else None
        if name is None or not isinstance(value, cst.Call) or self.layer_class(value.func) is None:
            return None
        first = argument(value, 0, "inputs")
        if first is None or not isinstance(first.value, cst.Name) or first.value.value != tensor:
            return None
        return value.func, name


class Plan:
    """Edits keyed by original nodes, applied in one pass by `apply`."""

    def __init__(self) -> None:
        self.elements: dict[cst.List, list[tuple[int, cst.BaseExpression]]] = {}
        self.before: dict[cst.CSTNode, list[cst.SimpleStatementLine]] = {}
        self.after: dict[cst.CSTNode, list[cst.SimpleStatementLine]] = {}
        self.changes: dict[cst.CSTNode, list[Callable[[cst.CSTNode], cst.CSTNode]]] = {}

    def insert_element(self, holder: cst.List, index: int, *values: str) -> None:
        """Insert `values`, in this order, before the element now at `index`."""
        for value in reversed(values):  # each goes before the one inserted just before it
            self.elements.setdefault(holder, []).append((index, cst.parse_expression(value)))

    def add_before(self, statement: cst.CSTNode, *lines: str) -> None:
        self.before.setdefault(statement, []).extend(cst.parse_statement(line) for line in lines)  # type: ignore[misc]

    def add_after(self, statement: cst.CSTNode, *lines: str) -> None:
        self.after.setdefault(statement, []).extend(cst.parse_statement(line) for line in lines)  # type: ignore[misc]

    def change(self, node: cst.CSTNode, edit: Callable[[cst.CSTNode], cst.CSTNode]) -> None:
        self.changes.setdefault(node, []).append(edit)

    def apply(self, tree: cst.Module) -> cst.Module:
        if not (self.elements or self.before or self.after or self.changes):
            return tree
        return tree.visit(_Apply(self))


class _Apply(cst.CSTTransformer):
    def __init__(self, plan: Plan) -> None:
        super().__init__()
        self.plan = plan

    def on_leave(self, original_node: cst.CSTNode, updated_node: cst.CSTNode):  # type: ignore[override]
        for edit in self.plan.changes.get(original_node, ()):
            updated_node = edit(updated_node)
        if isinstance(updated_node, cst.List) and original_node in self.plan.elements:
            planned = self.plan.elements[original_node]  # type: ignore[index]
            for index, value in sorted(planned, key=lambda p: -p[0]):  # stable: same index keeps plan order
                updated_node = insert_element(updated_node, index, value)
        before = list(self.plan.before.get(original_node, ()))
        after = self.plan.after.get(original_node, ())
        if not (before or after):
            return updated_node
        if before and isinstance(updated_node, cst.SimpleStatementLine):
            lines = list(updated_node.leading_lines)
            blank = next((i for i, line in enumerate(lines) if line.comment is not None), len(lines))
            before[0] = before[0].with_changes(leading_lines=lines[:blank])
            updated_node = updated_node.with_changes(leading_lines=lines[blank:])
        return cst.FlattenSentinel([*before, updated_node, *after])


def _split(comma: cst.Comma | cst.MaybeSentinel) -> tuple[cst.Comma | cst.MaybeSentinel, cst.Comma | cst.MaybeSentinel]:
    """A separator cut in two: the element before keeps its trailing comment, the new one the lines after."""
    if isinstance(comma, cst.Comma) and isinstance(comma.whitespace_after, cst.ParenthesizedWhitespace):
        ws = comma.whitespace_after
        return (
            comma.with_changes(whitespace_after=ws.with_changes(empty_lines=[])),
            comma.with_changes(whitespace_after=ws.with_changes(first_line=cst.TrailingWhitespace())),
        )
    return comma, comma


def _separator(holder: cst.List) -> cst.Comma:
    """The comma-and-whitespace this list puts between two elements, without comments."""
    for element in holder.elements[:-1]:
        if isinstance(element.comma, cst.Comma):
            ws = element.comma.whitespace_after
            if isinstance(ws, cst.ParenthesizedWhitespace):
                ws = ws.with_changes(first_line=cst.TrailingWhitespace(), empty_lines=[])
            return element.comma.with_changes(whitespace_after=ws)
    ws = holder.lbracket.whitespace_after
    if isinstance(ws, cst.ParenthesizedWhitespace):
        return cst.Comma(whitespace_after=ws.with_changes(first_line=cst.TrailingWhitespace(), empty_lines=[]))
    return cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))


def insert_element(holder: cst.List, index: int, value: cst.BaseExpression) -> cst.List:
    """Insert an element before `index`, keeping the list's indentation and trailing-comma style."""
    elements = list(holder.elements)
    new = cst.Element(value)
    if not elements:
        return holder.with_changes(elements=[new])
    if index == 0:
        elements.insert(0, new.with_changes(comma=_separator(holder)))
    elif index < len(elements):
        kept, given = _split(elements[index - 1].comma)
        elements[index - 1] = elements[index - 1].with_changes(comma=kept)
        elements.insert(index, new.with_changes(comma=given))
    else:
        # The last element's comment and newline belong to the closing bracket: move the comment
        # onto the old last element's new comma, so it stays on that element's line.
        last, separator, closing = elements[-1], _separator(holder), holder.rbracket.whitespace_before
        comma, kept, given = last.comma, separator, last.comma
        between = separator.whitespace_after
        if isinstance(closing, cst.ParenthesizedWhitespace) and isinstance(between, cst.ParenthesizedWhitespace):
            kept = separator.with_changes(whitespace_after=between.with_changes(first_line=closing.first_line))
            if isinstance(comma, cst.Comma):
                given = comma.with_changes(whitespace_after=cst.SimpleWhitespace(""))
            closing = closing.with_changes(first_line=cst.TrailingWhitespace())
            holder = holder.with_changes(rbracket=holder.rbracket.with_changes(whitespace_before=closing))
        elements[-1] = last.with_changes(comma=kept)
        elements.append(new.with_changes(comma=given))
    return holder.with_changes(elements=elements)


class Decline(Exception):
    """Leave the file as it was, for the reason given (reported as a warning: `base.run` shows the first)."""


def finish(plan: Plan, tree: cst.Module) -> cst.Module:
    """Apply the plan; refuse (leaving the file alone) rather than emit code that does not parse."""
    result = plan.apply(tree)
    try:
        cst.parse_module(result.code)
    except cst.ParserSyntaxError:
        raise Decline("the edit would not produce valid Python; the file was left as it was") from None
    return result


def declining(command: TargetedCommand, tree: cst.Module, transform: Callable[[cst.Module], cst.Module]) -> cst.Module:
    """Run `transform`; on `Decline`, warn with its reason and return the tree untouched."""
    try:
        return transform(tree)
    except Decline as reason:
        command.edits.clear()
        command.warn(str(reason))
        return tree


class Inserter(TargetedCommand):
    """What both engines share: metadata, parameter checks, and declining with a reason."""

    METADATA_DEPENDENCIES = (PositionProvider, ParentNodeProvider, ExpressionContextProvider)
    LAYER = ""  # the Keras class inserted, as notes and reasons name it

    @property
    def by_hand(self) -> str:
        return f"add the {self.LAYER} by hand"

    def check(self) -> None:
        """Reject parameters that would write a broken layer (raise Decline)."""

    def transform_module_impl(self, tree: cst.Module) -> cst.Module:
        return declining(self, tree, self._transform)

    def _transform(self, tree: cst.Module) -> cst.Module:
        raise NotImplementedError


class LayerInserter(Inserter):
    """Insert a layer right after chosen layers: the run's targets, or every hidden Dense/Conv layer."""

    FAMILY: frozenset[str] = frozenset()  # classes that already do the job when found right after
    AFTER: frozenset[str] = frozenset()  # layers right after the target that the new one goes after
    said = ""  # the next note, when `layers_after` did something else than the usual insertion

    def arguments(self) -> str:
        return ""

    def _transform(self, tree: cst.Module) -> cst.Module:
        self.check()
        script = Script(self, tree)
        plan = Plan()
        targets = [t for t in self.targets if t.kind == "layer"]
        sites = self._targeted(script, targets) if targets else self._static(script)
        new = None
        shown = f"{self.LAYER}({self.arguments()})"
        for site in sites:
            where = f"{script.describe(site.value)} at line {script.start(site.value)[0]}"
            run = self._run_after(script, site)
            present = next((n.layer for n in run if n.layer in self.FAMILY), None)
            if present:
                self.warn(f"{where} is already followed by {present}")
                continue
            if site.kind != "list" and site.statement is None:
                self.warn(f"{where} shares its line with other code (`;` or a one-line block), {self.by_hand}")
                continue
            passed = list(itertools.takewhile(lambda n: n.layer in self.AFTER, run))
            anchor = passed[-1] if passed else site
            following = run[len(passed)] if len(run) > len(passed) else None
            if new is None:
                new = f"{code(script.names.ref(self.context, 'layers', self.LAYER))}({self.arguments()})"
            layers = self.layers_after(script, plan, site, following, new)
            if isinstance(layers, str):
                self.warn(f"{where} {layers}")
                continue
            if anchor.kind == "list":
                assert anchor.holder is not None
                plan.insert_element(anchor.holder, anchor.index + 1, *layers)
            elif anchor.kind == "add":
                assert anchor.statement is not None and anchor.receiver is not None
                plan.add_after(anchor.statement, *(f"{code(anchor.receiver)}.add({layer})" for layer in layers))
            else:
                assert anchor.statement is not None
                plan.add_after(anchor.statement, *(f"{anchor.name} = {layer}({anchor.name})" for layer in layers))
            also = f" and its {', '.join(str(n.layer) for n in passed)}" if passed else ""
            self.note(site.value, self.said or f"inserted {shown} after {script.describe(site.value)}{also}")
            self.said = ""
        return finish(plan, tree)

    def layers_after(
        self, script: Script, plan: Plan, site: Site, following: Site | None, new: str
    ) -> list[str] | str:
        """The layers to insert after `site` (may plan more edits), or why none go there.

        `following` is the layer that will come after them; `new` is the inserted layer's code.
        """
        return [new]

    def _run_after(self, script: Script, site: Site) -> list[Site]:
        """The companion layers (dropout, normalization, noise, activation) right after a site."""
        run = []
        for neighbour in script.neighbours(site):
            run.append(neighbour)
            if neighbour.layer not in COMPANIONS:
                break
        return run

    def _static(self, script: Script) -> list[Site]:
        if not script.models:
            raise Decline(script.no_model_reason(self.LAYER))
        sites: list[Site] = []
        for model in script.models:
            tail = script.tail(model)
            sites += [s for s in model.layers if s.layer in HIDDEN and s not in tail and s not in sites]
        if not sites:
            raise Decline("no hidden Dense or Conv layer found (the output layer gets none)")
        return sites

    def _targeted(self, script: Script, targets: Sequence[Target]) -> list[Site]:
        sites: list[Site] = []
        for target in targets:
            call = script.constructor_at(target)
            if call is None:
                self.warn(f"no layer is created at line {target.line}, column {target.column}")
                continue
            site = script.sites.get(call)
            where = f"{script.describe(call)} at line {target.line}"
            found = script.layer_class(call)
            if target.class_name and found and ALIASES.get(found, found) != target.class_name:
                self.warn(f"{where} is a {found}, but the run located a {target.class_name} there (file changed?)")
            elif site is None:
                self.warn(f"{where} {self._why_not(script, call)}")
            elif site.layer in self.FAMILY or site.layer in INPUTS:
                self.warn(f"{where} is itself a {site.layer}")
            elif (model := script.model_of(site)) is not None and site in script.tail(model):
                self.warn(f"{where} is the model's output layer: no {self.LAYER} goes after it")
            elif site not in sites:
                sites.append(site)
        return sites

    def _why_not(self, script: Script, call: cst.Call) -> str:
        by_hand = self.by_hand
        node: cst.CSTNode | None = script.parent(call)
        while node is not None and not isinstance(node, cst.Module):
            if isinstance(node, cst.ClassDef):
                return f"is created inside class {node.name.value}: its layers are wired in call(), {by_hand} there"
            if isinstance(node, (cst.ListComp, cst.GeneratorExp, cst.SetComp, cst.DictComp)):
                return f"is created in a comprehension, {by_hand}"
            if isinstance(node, cst.Return):
                return f"is returned by a helper function, {by_hand} where the helper's layer is used"
            node = script.parent(node)
        applied = script.parent(call)
        if isinstance(applied, cst.Call) and isinstance(script.parent(applied), cst.Arg):
            return f"is applied inside another call, {by_hand}"
        return f"is not in a Sequential list, a `model.add(...)` line or an `x = Layer(...)(x)` line, {by_hand}"


class InputInserter(Inserter):
    """Insert a layer at the model's input: first after `Input` in a Sequential, rewired in a functional model."""

    ALREADY: frozenset[str] = frozenset()  # leading layers that mean "already applied"
    AFTER_PREPROCESSING = False  # go after leading Normalization/Rescaling layers
    PREFIX = ""  # functional: the new tensor is `<PREFIX>_<input name>`

    def layer_code(
        self, script: Script, plan: Plan, model: Model, anchor: cst.SimpleStatementLine | None, moved: str
    ) -> str | None:
        """The layer expression to insert; may plan statements before `anchor`. None (after a warning) declines."""
        raise NotImplementedError

    def edit_text(self) -> str:
        raise NotImplementedError

    def _transform(self, tree: cst.Module) -> cst.Module:
        self.check()
        script = Script(self, tree)
        plan = Plan()
        for model in self._models(script):
            where = f"the model at line {script.start(model.call)[0]}"
            if model.style == "sequential":
                self._sequential(script, plan, model, where)
            else:
                self._functional(script, plan, model, where)
        return finish(plan, tree)

    def _models(self, script: Script) -> list[Model]:
        targets = [t for t in self.targets if t.kind == "model"]
        if not targets:
            if not script.models:
                raise Decline(script.no_model_reason(self.LAYER))
            models = [m for m in script.models if not script.auxiliary(m)]
            if not models:
                raise Decline("the only models here preprocess or augment data, or are used as layers of another model")
            return models
        chosen = []
        for target in targets:
            call = script.constructor_at(target)
            model = next((m for m in script.models if m.call is call), None)
            if model is not None:
                chosen.append(model)
            elif call is not None and get_full_name_for_node(call.func) in script.subclassed():
                self.warn(script.no_model_reason(self.LAYER))
            else:
                self.warn(f"no Sequential or functional model is built at line {target.line}, column {target.column}")
        return chosen

    def _sequential(self, script: Script, plan: Plan, model: Model, where: str) -> None:
        if model.problem:
            self.warn(f"{where}: {model.problem}")
            return
        layers = model.layers
        start = 0
        while start < len(layers) and layers[start].layer in INPUTS:
            start += 1
        end = start
        while end < len(layers) and layers[end].layer in PREPROCESSING | NOISES:
            if layers[end].layer in self.ALREADY:
                self.warn(f"{where} already starts with {layers[end].layer}")
                return
            end += 1
        position = end if self.AFTER_PREPROCESSING else start
        previous = layers[position - 1] if position else None
        following = layers[position] if position < len(layers) else None
        beside = previous or following
        if beside is None:
            self.warn(f"{where} has no layers written in this file")
            return
        looped = beside.statement is None or not script.loops(beside.statement) <= script.loops(model.call)
        if beside.kind == "add" and looped:
            self.warn(f"{where}: its first layer is added inside a loop or on a shared line, {self.by_hand}")
            return
        moved_arg = input_shape_argument(following.value) if previous is None and following is not None else None
        moved = f"{moved_arg.keyword.value}={code(moved_arg.value)}" if moved_arg and moved_arg.keyword else ""
        new = self.layer_code(script, plan, model, model.statement, moved)
        if new is None:
            return
        if moved_arg is not None and following is not None:
            plan.change(following.value, lambda node: without_argument(node, moved_arg))  # type: ignore[arg-type]
        if previous is not None and previous.holder is not None:
            plan.insert_element(previous.holder, previous.index + 1, new)
        elif previous is not None:
            plan.add_after(previous.statement, f"{code(previous.receiver)}.add({new})")  # type: ignore[arg-type]
        elif following is not None and following.holder is not None:
            plan.insert_element(following.holder, following.index, new)
        elif following is not None:
            plan.add_before(following.statement, f"{code(following.receiver)}.add({new})")  # type: ignore[arg-type]
        self.note(model.call, self.edit_text() + (f" (moved {moved} onto it)" if moved else ""))

    def _functional(self, script: Script, plan: Plan, model: Model, where: str) -> None:
        inputs = model.inputs
        if not isinstance(inputs, cst.Name):
            self.warn(f"{where} has several inputs (`{code(inputs) if inputs else ''}`): {self.by_hand}")
            return
        anchor = script.input_statement(inputs.value, model)
        if anchor is None:
            self.warn(f"{where}: its input `{inputs.value}` is not made by keras.Input(...) on a line of its own here")
            return
        links = []  # (tensor, the line binding it, the names in its only consumer)
        tensor, statement = inputs.value, anchor
        while True:
            found = self._consumer(script, model, tensor, statement)
            if isinstance(found, str):
                self.warn(f"{where}: {found}")
                return
            consumer, refs = found
            links.append((tensor, statement, refs))
            applied = script.applied_layer(consumer.body[0], tensor) if len(consumer.body) == 1 else None
            layer = script.layer_class(applied[0]) if applied else None
            if layer in self.ALREADY:
                self.warn(f"{where} already starts with {layer}")
                return
            if applied is None or layer not in PREPROCESSING | NOISES:
                break
            if not script.placeable(consumer, consumer.body[0]):
                break
            tensor, statement = applied[1], consumer
        tensor, statement, refs = links[-1] if self.AFTER_PREPROCESSING else links[0]
        new = self.layer_code(script, plan, model, anchor, "")
        if new is None:
            return
        fresh = script.fresh(f"{self.PREFIX}_{inputs.value}")
        plan.add_after(statement, f"{fresh} = {new}({tensor})")
        for ref in refs:
            plan.change(ref, lambda node: node.with_changes(value=fresh))  # type: ignore[attr-defined]
        self.note(model.call, self.edit_text())

    def _consumer(
        self, script: Script, model: Model, tensor: str, statement: cst.SimpleStatementLine
    ) -> tuple[cst.SimpleStatementLine, list[cst.Name]] | str:
        """The one statement that uses `tensor` after `statement` (model calls aside), or why there is none."""
        after = script.start(statement)
        later = [s for s in script.stores(tensor, model.scope) if script.start(s) > after]
        rebound = script.statement_of(later[0]) if later else None  # its own loads still see this value
        limit = script.start(later[0]) if later else (1 << 30, 0)
        models = [m.call for m in script.models]

        def sees_this_value(ref: cst.Name) -> bool:  # before the next rebinding, or on the rebinding line itself
            return after < script.start(ref) < limit or (rebound is not None and script.statement_of(ref) is rebound)

        loads = script.loads(tensor, model.scope)
        refs = [r for r in loads if sees_this_value(r) and not any(script.within(r, c) for c in models)]
        if not refs:
            return f"nothing uses `{tensor}` before the model is built"
        statements = {script.statement_of(r) for r in refs}
        if len(statements) > 1 or None in statements:
            lines = ", ".join(str(n) for n in sorted({script.start(r)[0] for r in refs}))
            return f"`{tensor}` is used in several places (lines {lines}), {self.by_hand}"
        if not script.loops(next(iter(statements))) <= script.loops(statement):  # type: ignore[arg-type]
            return f"`{tensor}` is used inside a loop (line {script.start(refs[0])[0]}), {self.by_hand}"
        return statements.pop(), refs  # type: ignore[return-value]
