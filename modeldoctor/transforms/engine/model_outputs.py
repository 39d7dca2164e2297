"""Which layer calls are the models' outputs, and which model each `compile` compiles, whatever the model style.

`analyze` walks the module once (Sequential lists and `.add`, functional
`Model(inputs, outputs)`, subclassed models' `call`, layers built by helper
functions) so that layer edits can tell the output layer from hidden ones
and fix_loss_activation can pair each loss with its output layer. It reads;
it edits nothing.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import libcst as cst
from libcst.helpers import get_full_name_for_node

from modeldoctor.transforms.engine.call_edits import arg_value
from modeldoctor.transforms.engine.keras_names import KerasNames
from modeldoctor.transforms.engine.keyword_edits import ACTIVATION_LAYER, KERNEL_LAYERS
from modeldoctor.vocabulary import FUNCTIONAL_MODELS, SEQUENTIAL_MODELS

__all__ = [
    "Compiled",
    "ModelMap",
    "analyze",
    "layer_class",
]

SEQUENTIAL = SEQUENTIAL_MODELS
FUNCTIONAL = FUNCTIONAL_MODELS


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
        elif _is_super_init(node) and self.classes[-1] in self.model_classes and arg_value(node, "outputs", 1):
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
        listed = arg_value(call, "layers", 0)
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
            by_model[id(key)] = resolver.layers(arg_value(call, "outputs", 1), where)
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
    for site, added in found.adds.items():
        if site not in covered:  # `.add` on a model built elsewhere
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
