"""Where a script builds its Keras models and creates their layers: what the inserters plan on.

A *site* is a layer written in a form we can extend: an element of a
`Sequential([...])` list, a `model.add(...)` statement, or a functional
`x = Layer(...)(x)` statement. `Script` reads the module once through the
command's metadata (models, sites, names, scopes) and edits nothing; the
inserters (insertion.py) decide from it where a new layer goes.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import libcst as cst
from libcst.helpers import get_full_name_for_node
from libcst.metadata import ExpressionContext, ExpressionContextProvider, ParentNodeProvider

from modeldoctor.ftypes import Target
from modeldoctor.transforms.engine.base import TargetedCommand
from modeldoctor.transforms.engine.call_edits import arg_of, positional
from modeldoctor.transforms.engine.keras_names import scan
from modeldoctor.transforms.engine.layer_kinds import (
    DATA_LAYERS,
    HIDDEN,
    INPUTS,
    MODEL_CLASSES,
    SCOPES,
    assigned_name,
    code,
)
from modeldoctor.transforms.engine.model_parts import Model, Site


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
            first = next(iter(positional(expr)), None)
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
        arg = arg_of(call, "layers", 0)
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
        inputs, outputs = arg_of(call, "inputs", 0), arg_of(call, "outputs", 1)
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
                    first = arg_of(call, "inputs", 0)
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
        first = arg_of(value, "inputs", 0)
        if first is None or not isinstance(first.value, cst.Name) or first.value.value != tensor:
            return None
        return value.func, name
