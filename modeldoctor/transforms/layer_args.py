"""Shared by the transforms that edit a layer's or the loss's arguments.

Three jobs: read and set keyword arguments of a call without disturbing its
layout or comments (`keyword`, `set_keyword`, `read_activation`), find the
model's output layers whatever the model style (`analyze`), and the base
command that picks layer calls from targets or by pattern (`LayerArgCommand`).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import libcst as cst
from libcst.helpers import get_full_name_for_node

from modeldoctor.ftypes import Target
from modeldoctor.transforms.base import TargetedCommand
from modeldoctor.transforms.keras_names import KerasNames, scan

__all__ = [
    "ACTIVATION_LAYER",
    "AddArgumentCommand",
    "CannotEdit",
    "Compiled",
    "KERNEL_LAYERS",
    "LayerArgCommand",
    "ModelMap",
    "RECURRENT_LAYERS",
    "activation_name",
    "analyze",
    "argument",
    "canonical_activation",
    "describe",
    "int_value",
    "keyword",
    "keyword_arg",
    "layer_class",
    "module_quote",
    "positional",
    "quote_of",
    "read_activation",
    "replace_value",
    "same_class",
    "set_activation",
    "set_keyword",
    "stale",
    "string_node",
    "string_value",
]

KERNEL_LAYERS = frozenset(
    {
        "Dense",
        "EinsumDense",
        *(f"Conv{d}D" for d in (1, 2, 3)),
        *(f"Conv{d}DTranspose" for d in (1, 2, 3)),
        *(f"Convolution{d}D" for d in (1, 2, 3)),
        *(f"Convolution{d}DTranspose" for d in (2, 3)),
    }
)
RECURRENT_LAYERS = frozenset({"SimpleRNN", "LSTM", "GRU", "ConvLSTM1D", "ConvLSTM2D", "ConvLSTM3D"})
ACTIVATION_LAYER = "Activation"
SIZES = ("units", "filters")
POSITIONAL = {"Dense": 2, "EinsumDense": 2, ACTIVATION_LAYER: 1} | {c: 6 for c in KERNEL_LAYERS if "Conv" in c}
ALIASES = {"swish": "silu", "leakyrelu": "leaky_relu", "none": "linear"}


def same_class(target: Target, cls: str) -> bool:
    """Whether the class the run recorded (if any) is the one written here (`Convolution2D` is `Conv2D`)."""
    return target.class_name is None or target.class_name == cls.replace("Convolution", "Conv")


def stale(target: Target, cls: str) -> str:
    seen = f"the run saw a {target.class_name} here, the source has {cls}"
    return f"line {target.line}: {seen}: was the file edited since?"


class CannotEdit(Exception):
    """A layer that cannot be edited safely; the message says why (it becomes a warning)."""


def keyword(call: cst.Call, name: str) -> cst.Arg | None:
    return next((a for a in call.args if a.keyword is not None and a.keyword.value == name), None)


def positional(call: cst.Call) -> list[cst.Arg]:
    return [a for a in call.args if a.keyword is None and not a.star]


def string_value(expr: cst.BaseExpression | None) -> str | None:
    if isinstance(expr, cst.SimpleString):
        value = expr.evaluated_value
        return value if isinstance(value, str) else None
    return None


def int_value(expr: cst.BaseExpression | None) -> int | None:
    if isinstance(expr, cst.Integer):
        value = expr.evaluated_value
        return value if isinstance(value, int) else None
    return None


def quote_of(call: cst.Call, default: str = '"') -> str:
    """The quote character the call's own string arguments use, else `default`."""
    for arg in call.args:
        if isinstance(arg.value, cst.SimpleString) and arg.value.quote in ('"', "'"):
            return arg.value.quote
    return default


class _Quotes(cst.CSTVisitor):
    def __init__(self) -> None:
        self.count = {'"': 0, "'": 0}

    def visit_SimpleString(self, node: cst.SimpleString) -> None:
        if node.quote in self.count:
            self.count[node.quote] += 1


def module_quote(module: cst.Module) -> str:
    """The quote most of the module's one-line strings use: new strings follow the file's style."""
    counter = _Quotes()
    module.visit(counter)
    return "'" if counter.count["'"] > counter.count['"'] else '"'


def string_node(value: str, quote: str = '"') -> cst.SimpleString:
    return cst.SimpleString(f"{quote}{value}{quote}")


def describe(call: cst.Call, cls: str) -> str:
    """`Dense(64)`: the class and its first positional argument, for notes and warnings."""
    first = [a.value for a in positional(call)[:1]]
    first = first or [a.value for a in call.args if a.keyword and a.keyword.value in SIZES]
    code = cst.Module([]).code_for_node(first[0]) if first else ""
    return f"{cls}({code if len(code) <= 24 else '...'})"


def _activation_slot(call: cst.Call, cls: str) -> tuple[str, int] | None:
    """Where the activation is given: ("kw", index) or ("pos", index) into call.args."""
    for i, arg in enumerate(call.args):
        if arg.keyword is not None and arg.keyword.value == "activation":
            return "kw", i
    wanted = {"Dense": 1, ACTIVATION_LAYER: 0}.get(cls)
    plain = [i for i, a in enumerate(call.args) if a.keyword is None and not a.star]
    if wanted is not None and len(plain) > wanted:
        return "pos", plain[wanted]
    return None


def activation_name(names: KerasNames, expr: cst.BaseExpression) -> str | None:
    """`"relu"`, `keras.activations.relu`, `activations.relu`, `tf.nn.relu` -> "relu"; else None."""
    text = string_value(expr)
    if text is None:
        if isinstance(expr, cst.Name) and expr.value == "None":
            return "linear"
        full = get_full_name_for_node(expr)
        qualified = names.qualified(expr) or ""
        module_alias = names.names.get("keras.activations")
        tf_root = names.root.split(".")[0] if names.root and names.root.endswith(".keras") else None
        if qualified.startswith("keras.activations.") and qualified.count(".") == 2:
            text = qualified.rsplit(".", 1)[1]
        elif full and module_alias and full.startswith(module_alias + ".") and full.count(".") == 1:
            text = full.rsplit(".", 1)[1]
        elif full and tf_root and full.startswith(tf_root + ".nn.") and full.count(".") == 2:
            text = full.rsplit(".", 1)[1]
    return None if text is None else canonical_activation(text)


def canonical_activation(name: str) -> str:
    """One spelling per activation: "swish" is "silu", "LeakyReLU" is "leaky_relu"."""
    return ALIASES.get(name.lower(), name.lower())


def read_activation(names: KerasNames, call: cst.Call, cls: str) -> tuple[str | None, cst.BaseExpression | None]:
    """The activation's canonical name ("linear" when absent) and its expression; name None = unreadable."""
    slot = _activation_slot(call, cls)
    if slot is None:
        if cls == ACTIVATION_LAYER:
            return None, None
        default = "tanh" if cls in RECURRENT_LAYERS else "linear"
        return default, None
    expr = call.args[slot[1]].value
    return activation_name(names, expr), expr


def keyword_arg(name: str, value: cst.BaseExpression) -> cst.Arg:
    """`name=value`, without spaces around the equals sign."""
    tight = cst.AssignEqual(cst.SimpleWhitespace(""), cst.SimpleWhitespace(""))
    return cst.Arg(value, keyword=cst.Name(name), equal=tight)


def replace_value(call: cst.Call, arg: cst.Arg, value: cst.BaseExpression) -> cst.Call:
    """The call with `arg` (one of its own arguments) given a new value, everything else untouched."""
    return call.with_changes(args=[a.with_changes(value=value) if a is arg else a for a in call.args])


def set_activation(call: cst.Call, cls: str, value: str, quote: str = '"') -> cst.Call:
    """Replace the activation in place (keyword or positional slot), or add the keyword."""
    slot = _activation_slot(call, cls)
    if slot is None:
        if cls == ACTIVATION_LAYER:
            raise CannotEdit(f"{describe(call, cls)} has no activation argument to change")
        return set_keyword(call, "activation", string_node(value, quote_of(call, quote)))
    old = call.args[slot[1]]
    quote = old.value.quote if isinstance(old.value, cst.SimpleString) else quote_of(call, quote)
    return replace_value(call, old, string_node(value, quote))


def _plain(ws: cst.BaseParenthesizableWhitespace) -> cst.BaseParenthesizableWhitespace:
    """The same line break and indentation, without the comment or blank lines it carried."""
    if isinstance(ws, cst.ParenthesizedWhitespace):
        return ws.with_changes(first_line=cst.TrailingWhitespace(), empty_lines=[])
    return ws


def _separator(call: cst.Call) -> cst.BaseParenthesizableWhitespace:
    """The whitespace this call puts between arguments."""
    if len(call.args) >= 2 and isinstance(call.args[-2].comma, cst.Comma):
        return _plain(call.args[-2].comma.whitespace_after)
    if isinstance(call.whitespace_before_args, cst.ParenthesizedWhitespace):
        return _plain(call.whitespace_before_args)
    return cst.SimpleWhitespace(" ")


def _split(closing: cst.BaseParenthesizableWhitespace, sep: cst.BaseParenthesizableWhitespace):
    """Whitespace after the old last argument's new comma, and before the closing parenthesis.

    One argument per line: the old last line keeps its comment and the new
    argument gets a line of its own. Arguments on one line: the new one joins
    them and the comment, if any, stays at the end of that line.
    """
    if isinstance(sep, cst.ParenthesizedWhitespace) and isinstance(closing, cst.ParenthesizedWhitespace):
        return closing.with_changes(indent=sep.indent, last_line=sep.last_line), _plain(closing)
    return sep, closing


def set_keyword(call: cst.Call, name: str, value: cst.BaseExpression) -> cst.Call:
    """Replace `name=`'s value, or append `name=value` in the call's own layout.

    Refuses (CannotEdit) to add a keyword to a call with `*args`/`**kwargs`,
    which may already pass it.
    """
    existing = keyword(call, name)
    if existing is not None:
        return replace_value(call, existing, value)
    if any(a.star for a in call.args):
        raise CannotEdit(f"it takes *args or **kwargs that may already set {name}")
    new = keyword_arg(name, value)
    equal = next((a.equal for a in call.args if isinstance(a.equal, cst.AssignEqual)), None)
    new = new.with_changes(equal=equal) if equal is not None else new  # `name = value` if the call spaces them
    if not call.args:
        return call.with_changes(args=[new])
    args = list(call.args)
    last = args[-1]
    sep = _separator(call)
    if isinstance(last.comma, cst.Comma):  # trailing comma: the closing whitespace is the comma's
        between, closing = _split(last.comma.whitespace_after, sep)
        args[-1] = last.with_changes(comma=last.comma.with_changes(whitespace_after=between))
        args.append(new.with_changes(comma=cst.Comma(whitespace_after=closing)))
    else:
        between, closing = _split(last.whitespace_after_arg, sep)
        args[-1] = last.with_changes(
            comma=cst.Comma(whitespace_after=between), whitespace_after_arg=cst.SimpleWhitespace("")
        )
        args.append(new.with_changes(whitespace_after_arg=closing))
    return call.with_changes(args=args)


SEQUENTIAL = frozenset({"keras.Sequential", "keras.models.Sequential"})
FUNCTIONAL = frozenset({"keras.Model", "keras.models.Model"})


def layer_class(names: KerasNames, call: cst.Call) -> str | None:
    """"Dense" when the call constructs a Keras layer class (whatever the import spelling)."""
    if isinstance(call.func, cst.Call):
        return None
    qualified = names.qualified(call.func) or ""
    head, _, cls = qualified.rpartition(".")
    if head.startswith("keras.layers") and cls[:1].isupper():
        return cls
    return None


@dataclass(frozen=True)
class Compiled:
    """A `<model>.compile(...)` call and the output layer of the model it compiles, when one can be told."""

    call: cst.Call
    output: cst.Call | None


@dataclass
class ModelMap:
    """Every Keras layer constructor in source order, the models' output layers, the compile calls."""

    layers: list[tuple[cst.Call, str]] = field(default_factory=list)
    outputs: dict[int, cst.Call] = field(default_factory=dict)  # id(call) -> call
    compiles: list[Compiled] = field(default_factory=list)


@dataclass(frozen=True)
class _Where:
    scope: cst.CSTNode  # Module or FunctionDef
    klass: cst.ClassDef | None
    order: int


class _Collector(cst.CSTVisitor):
    """One walk in source order: layers, assignments, models, `.add`, `.compile`, returns."""

    def __init__(self, names: KerasNames) -> None:
        self.names = names
        self.order = 0
        self.scopes: list[cst.CSTNode] = []
        self.classes: list[cst.ClassDef | None] = [None]
        self.layers: list[tuple[cst.Call, str]] = []
        self.assigns: dict[tuple[int, str], list[tuple[int, cst.BaseExpression]]] = defaultdict(list)
        self.attrs: dict[tuple[int, str], cst.BaseExpression] = {}
        self.bound: dict[int, str] = {}
        self.models: list[tuple[cst.CSTNode, cst.Call, str, _Where, str | None]] = []  # key, call, kind, where, bound
        self.adds: dict[tuple[int, str], list[cst.Call]] = defaultdict(list)
        self.compiles: list[tuple[cst.Call, _Where]] = []
        self.returns: dict[int, list[tuple[int, cst.BaseExpression]]] = defaultdict(list)
        self.defs: dict[str, cst.CSTNode] = {}
        self.model_classes: list[cst.ClassDef] = []

    def where(self) -> _Where:
        return _Where(self.scopes[-1], self.classes[-1], self.order)

    def on_visit(self, node: cst.CSTNode) -> bool:
        self.order += 1
        return super().on_visit(node)

    def visit_Module(self, node: cst.Module) -> None:
        self.scopes.append(node)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        if len(self.scopes) == 1 and self.classes[-1] is None:
            self.defs[node.name.value] = node
        self.scopes.append(node)
        self.classes.append(self.classes[-1])

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self.scopes.pop()
        self.classes.pop()

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        if len(self.scopes) == 1:
            self.defs[node.name.value] = node
        if any((self.names.qualified(b.value) or "") in FUNCTIONAL for b in node.bases):
            self.model_classes.append(node)
        self.classes.append(node)

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        self.classes.pop()

    def _assign(self, target: cst.BaseExpression, value: cst.BaseExpression | None) -> None:
        if value is None:
            return
        if isinstance(target, cst.Name):
            self.assigns[(id(self.scopes[-1]), target.value)].append((self.order, value))
            if isinstance(value, cst.Call):
                self.bound[id(value)] = target.value
        elif isinstance(target, cst.Attribute) and isinstance(target.value, cst.Name) and self.classes[-1]:
            if target.value.value == "self":
                self.attrs[(id(self.classes[-1]), target.attr.value)] = value

    def visit_Assign(self, node: cst.Assign) -> None:
        if len(node.targets) == 1:
            self._assign(node.targets[0].target, node.value)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        self._assign(node.target, node.value)

    def visit_Return(self, node: cst.Return) -> None:
        if node.value is not None:
            self.returns[id(self.scopes[-1])].append((self.order, node.value))

    def visit_Call(self, node: cst.Call) -> None:
        cls = layer_class(self.names, node)
        if cls is not None:
            self.layers.append((node, cls))
            return
        qualified = self.names.qualified(node.func) or ""
        if qualified in SEQUENTIAL or qualified in FUNCTIONAL:
            kind = "sequential" if qualified in SEQUENTIAL else "functional"
            self.models.append((node, node, kind, self.where(), self.bound.get(id(node))))
        elif _is_super_init(node) and self.classes[-1] in self.model_classes and argument(node, 1, "outputs"):
            self.models.append((self.classes[-1], node, "functional", self.where(), None))  # functional subclassing
        elif isinstance(node.func, cst.Attribute) and not qualified:
            receiver = get_full_name_for_node(node.func.value)
            if node.func.attr.value == "add" and receiver and len(node.args) == 1:
                value = node.args[0].value
                if isinstance(value, cst.Call) and layer_class(self.names, value):
                    self.adds[(id(self.scopes[-1]), receiver)].append(value)
            elif node.func.attr.value == "compile":
                self.compiles.append((node, self.where()))


def _is_super_init(call: cst.Call) -> bool:
    func = call.func
    return (
        isinstance(func, cst.Attribute)
        and func.attr.value == "__init__"
        and isinstance(func.value, cst.Call)
        and isinstance(func.value.func, cst.Name)
        and func.value.func.value == "super"
    )


def argument(call: cst.Call, index: int, name: str) -> cst.BaseExpression | None:
    arg = keyword(call, name)
    if arg is not None:
        return arg.value
    plain = positional(call)
    return plain[index].value if len(plain) > index else None


class _Resolver:
    def __init__(self, found: _Collector, module: cst.Module) -> None:
        self.found = found
        self.module = module

    def last_assignment(self, name: str, where: _Where) -> tuple[int, cst.BaseExpression] | None:
        for scope in (where.scope, self.module):
            before = where.order if scope is where.scope else 1 << 62
            hits = [(o, v) for o, v in self.found.assigns.get((id(scope), name), []) if o < before]
            if hits:
                return hits[-1]
        return None

    def layers(self, expr: cst.BaseExpression | None, where: _Where, depth: int = 0) -> list[cst.Call]:
        """The layer constructor calls whose output `expr` is (following names, `self.x`, helpers)."""
        if expr is None or depth > 8:
            return []
        if isinstance(expr, cst.Call):
            if layer_class(self.found.names, expr):
                return [expr]
            callee = expr.func
            if isinstance(callee, cst.Name) and isinstance(self.found.defs.get(callee.value), cst.FunctionDef):
                fn = self.found.defs[callee.value]
                returns = self.found.returns.get(id(fn), [])
                return [c for o, v in returns for c in self.layers(v, _Where(fn, None, o), depth + 1)]
            return self.layers(callee, where, depth + 1)
        if isinstance(expr, cst.Name):
            hit = self.last_assignment(expr.value, where)
            return self.layers(hit[1], _Where(where.scope, where.klass, hit[0]), depth + 1) if hit else []
        if isinstance(expr, cst.Attribute) and isinstance(expr.value, cst.Name) and expr.value.value == "self":
            value = self.found.attrs.get((id(where.klass), expr.attr.value)) if where.klass else None
            return self.layers(value, where, depth + 1)
        if isinstance(expr, (cst.List, cst.Tuple)):
            return [c for e in expr.elements for c in self.layers(e.value, where, depth + 1)]
        if isinstance(expr, cst.Dict):
            values = [e.value for e in expr.elements if isinstance(e, cst.DictElement)]
            return [c for v in values for c in self.layers(v, where, depth + 1)]
        if isinstance(expr, (cst.ListComp, cst.GeneratorExp)):
            return self.layers(expr.elt, where, depth + 1)
        if isinstance(expr, cst.BinaryOperation) and isinstance(expr.operator, cst.Add):
            return self.layers(expr.right, where, depth + 1)
        return []

    def sequential_output(self, call: cst.Call, where: _Where, bound: str | None) -> list[cst.Call]:
        """The last layer of `Sequential([...])`, or of the last `.add()` on the name it is bound to."""
        added = self.found.adds.get((id(where.scope), bound)) if bound else None
        if added:
            return added[-1:]
        listed = argument(call, 0, "layers")
        for _ in range(4):
            while isinstance(listed, cst.BinaryOperation) and isinstance(listed.operator, cst.Add):
                listed = listed.right
            if not isinstance(listed, cst.Name):
                break
            hit = self.last_assignment(listed.value, where)
            listed = hit[1] if hit else None
        if isinstance(listed, (cst.List, cst.Tuple)) and listed.elements:
            last = listed.elements[-1]
            return [] if isinstance(last, cst.StarredElement) else self.layers(last.value, where)
        return self.layers(listed.elt, where) if isinstance(listed, cst.ListComp) else []


def analyze(module: cst.Module, names: KerasNames) -> ModelMap:
    """Walk the module once and tell which layer calls are the models' outputs and which model each compile compiles."""
    found = _Collector(names)
    module.visit(found)
    resolver = _Resolver(found, module)
    by_model: dict[int, list[cst.Call]] = {}
    scope_models: dict[int, list[int]] = defaultdict(list)
    for key, call, kind, where, bound in found.models:
        if kind == "sequential":
            by_model[id(key)] = resolver.sequential_output(call, where, bound)
        else:
            by_model[id(key)] = resolver.layers(argument(call, 1, "outputs"), where)
        scope_models[id(where.scope)].append(id(key))
    for klass in found.model_classes:
        if id(klass) in by_model:  # functional subclassing: super().__init__(inputs, outputs)
            continue
        body = klass.body.body if isinstance(klass.body, cst.IndentedBlock) else ()
        method = next((s for s in body if isinstance(s, cst.FunctionDef) and s.name.value == "call"), None)
        if method is not None:
            returns = found.returns.get(id(method), [])
            by_model[id(klass)] = [c for o, v in returns for c in resolver.layers(v, _Where(method, klass, o))]
    covered = {(id(where.scope), bound) for _, _, kind, where, bound in found.models if kind == "sequential"}
    for key, added in found.adds.items():
        if key not in covered:  # `.add` on a model built elsewhere
            by_model[id(added[-1])] = added[-1:]
    outputs = {id(c): c for calls in by_model.values() for c in calls}
    if not by_model:
        last = [c for c, cls in found.layers if cls in KERNEL_LAYERS or cls == ACTIVATION_LAYER][-1:]
        outputs = {id(c): c for c in last}

    def compiled_model(call: cst.Call, where: _Where) -> list[cst.Call] | None:
        receiver = call.func.value if isinstance(call.func, cst.Attribute) else None
        if isinstance(receiver, cst.Name) and receiver.value == "self" and where.klass is not None:
            return by_model.get(id(where.klass))
        value, at = receiver, where
        for _ in range(4):
            if not isinstance(value, cst.Name):
                break
            hit = resolver.last_assignment(value.value, at)
            if hit is None:
                break
            at, value = _Where(at.scope, at.klass, hit[0]), hit[1]
        if isinstance(value, cst.Call):
            if id(value) in by_model:
                return by_model[id(value)]
            target = found.defs.get(value.func.value) if isinstance(value.func, cst.Name) else None
            if isinstance(target, cst.ClassDef):
                return by_model.get(id(target))
            if isinstance(target, cst.FunctionDef) and len(scope_models[id(target)]) == 1:
                return by_model[scope_models[id(target)][0]]
        local = scope_models.get(id(where.scope), [])
        if len(local) == 1 and where.scope is not module:
            return by_model[local[0]]
        everything = list(by_model.values()) or [list(outputs.values())]
        return everything[0] if len(everything) == 1 else None

    compiles = []
    for call, where in found.compiles:
        layers = compiled_model(call, where)
        compiles.append(Compiled(call, layers[0] if layers and len(layers) == 1 else None))
    return ModelMap(layers=found.layers, outputs=outputs, compiles=compiles)


class LayerArgCommand(TargetedCommand):
    """Edits layer constructor calls: those the targets locate, else those `wanted()` picks.

    Subclasses set `CLASSES` (the layer classes the edit applies to) and
    implement `wanted` (the pattern for the static path) and `edit` (returns
    the new call, or raises CannotEdit; records its note itself).
    """

    CLASSES: frozenset[str] = KERNEL_LAYERS
    WHAT = "this edit"  # "adding a kernel_regularizer": names the edit in warnings
    NOTHING = "no layer this edit applies to"  # the reason to decline when the pattern finds nothing

    def visit_Module(self, node: cst.Module) -> bool:
        self.names = scan(node)
        self.model = analyze(node, self.names)
        self.quote = module_quote(node)
        self.chosen: dict[int, str] = {}
        try:  # a refusal of the whole file is a warning: base.run reports the first one as the reason
            self.choose()
        except CannotEdit as why:
            self.warn(str(why))
        return True

    def choose(self) -> None:
        if not self.model.layers:
            raise CannotEdit("no Keras layer constructor found (are the keras imports at the top of the file?)")
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
                raise CannotEdit(self.NOTHING)

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
                raise CannotEdit(f"it passes more than {limit} positional argument(s): name them to tell them apart")
            return self.edit(original_node, updated_node, cls)
        except CannotEdit as why:
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
        existing = keyword(original, self.KEYWORD)
        if existing is not None and not (isinstance(existing.value, cst.Name) and existing.value.value == "None"):
            raise CannotEdit(f"it already sets {self.KEYWORD}")
        if existing is None and any(a.star for a in original.args):
            raise CannotEdit(f"it takes *args or **kwargs that may already set {self.KEYWORD}")
        amount = cst.Float(repr(float(self.params[self.PARAM])))
        value = cst.Call(func=self.names.ref(self.context, self.SUBMODULE, self.CLASS), args=[cst.Arg(amount)])
        new = set_keyword(updated, self.KEYWORD, value)
        self.note(original, f"added {self.KEYWORD}={cst.Module([]).code_for_node(value)} to {describe(original, cls)}")
        return new
