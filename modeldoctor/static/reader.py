"""Read a script's source into a `Script`: its models, compile and fit calls.

Statements are followed in source order, one scope at a time, with a small
environment of what each name holds (a model, a layer, a tensor of the
functional graph, a list of layers, a callback). That finds the model's
layers whatever the style: a `Sequential` list (comprehensions and `+`
included), an `.add()` chain, a functional graph (`x = Dense(8)(x)`
reassignments included), a subclassed model's `call`, and models returned
by a helper function. Loops over `range(<literal>)` repeat their layers.
"""

from __future__ import annotations

import ast
from typing import Any

from modeldoctor.static.facts import KCall, LayerUse, MethodCall, Model, Script
from modeldoctor.static.names import dotted, scan
from modeldoctor.static.symbols import CallbackRef, LayerRef, ListRef, Tensor, loop_count, times
from modeldoctor.static.values import Positions, module_constants
from modeldoctor.vocabulary import FUNCTIONAL_MODELS as FUNCTIONAL
from modeldoctor.vocabulary import SEQUENTIAL_MODELS as SEQUENTIAL

INPUTS = {"keras.Input", "keras.layers.Input", "keras.layers.InputLayer"}
UNROLL = 16  # loops over range(n) with n up to this are walked n times
LOADERS = {"keras.models.load_model", "keras.saving.load_model", "keras.models.clone_model"}


class _Reader:
    def __init__(self, script: Script) -> None:
        self.s = script
        self.kcalls = {id(c.node): c for c in script.calls}
        self.module_env: dict[str, Any] = {}
        self.functions: dict[str, Model] = {}
        self.classes: dict[str, Model] = {}
        self.recorded: set[int] = set()

    # statements -----------------------------------------------------------------
    def walk(self, body: list[ast.stmt], env: dict[str, Any], repeat: int | None) -> Any:
        returned = None
        for st in body:
            if isinstance(st, ast.Assign):
                value = self.value(st.value, env, repeat)
                for target in st.targets:
                    self.bind(target, value, env)
            elif isinstance(st, ast.AnnAssign | ast.AugAssign):
                value = self.value(st.value, env, repeat) if st.value is not None else None
                self.bind(st.target, value if isinstance(st, ast.AnnAssign) else None, env)
            elif isinstance(st, ast.Return):
                if st.value is not None:
                    returned = self.value(st.value, env, repeat)
            elif isinstance(st, ast.For | ast.AsyncFor):
                self.value(st.iter, env, repeat)
                self.bind(st.target, None, env)
                count = loop_count(st.iter, self.s.constants)
                if count is not None and 0 < count <= UNROLL:  # unrolled: keeps the order of a body's layers
                    for _ in range(count):
                        returned = self.walk(st.body, env, repeat) or returned
                else:
                    returned = self.walk(st.body, env, times(repeat, count)) or returned
                returned = self.walk(st.orelse, env, repeat) or returned
            elif isinstance(st, ast.While):
                returned = self.walk(st.body, env, None) or returned
            elif isinstance(st, ast.If):
                self.value(st.test, env, repeat)
                returned = self.walk(st.body, env, repeat) or returned
                returned = self.walk(st.orelse, env, repeat) or returned
            elif isinstance(st, ast.With | ast.AsyncWith):
                for item in st.items:
                    self.value(item.context_expr, env, repeat)
                returned = self.walk(st.body, env, repeat) or returned
            elif isinstance(st, ast.Try | ast.TryStar):
                for block in (st.body, *(h.body for h in st.handlers), st.orelse, st.finalbody):
                    returned = self.walk(block, env, repeat) or returned
            elif isinstance(st, ast.FunctionDef | ast.AsyncFunctionDef):
                self.function(st, {}, None, method=False)
            elif isinstance(st, ast.ClassDef):
                self.klass(st)
            else:
                for child in ast.iter_child_nodes(st):
                    if isinstance(child, ast.expr):
                        self.value(child, env, repeat)
        return returned

    def bind(self, target: ast.AST, value: Any, env: dict[str, Any]) -> None:
        name = dotted(target)
        if name is not None:
            if isinstance(value, Model) and value.name is None:
                value.name = name
            if value is None:
                env.pop(name, None)
            else:
                env[name] = value
        elif isinstance(target, ast.Tuple | ast.List):
            for element in target.elts:
                self.bind(element.value if isinstance(element, ast.Starred) else element, None, env)

    def function(
        self, fn: ast.FunctionDef | ast.AsyncFunctionDef, env: dict[str, Any], model_class: str | None, method: bool
    ) -> Any:
        if model_class is not None and fn.name == "call":
            for arg in fn.args.args[1:2]:
                env[arg.arg] = Tensor(None, is_input=True)
        returned = self.walk(fn.body, env, 1)
        if isinstance(returned, Model) and not method:
            self.functions[fn.name] = returned
        return returned

    def klass(self, node: ast.ClassDef) -> None:
        is_model = any(self.s.spelling.qualified(b) in FUNCTIONAL for b in node.bases)
        env: dict[str, Any] = {}
        methods = [m for m in node.body if isinstance(m, ast.FunctionDef | ast.AsyncFunctionDef)]
        methods.sort(key=lambda m: m.name != "__init__")
        line, column = self.s.positions.of(node)
        model = Model("subclassed", line, column, name=node.name) if is_model else None
        for method in methods:
            returned = self.function(method, env, node.name if is_model else None, method=True)
            if model is not None and method.name == "call" and isinstance(returned, Tensor):
                model.layers = self.chain(returned)
        if model is not None:
            self.classes[node.name] = model
            if model.layers:
                self.s.models.append(model)

    # expressions ----------------------------------------------------------------
    def value(self, e: ast.expr | None, env: dict[str, Any], repeat: int | None) -> Any:
        if e is None:
            return None
        if isinstance(e, ast.Name | ast.Attribute):
            name = dotted(e)
            if name is None:
                self.children(e, env, repeat)
                return None
            return env.get(name, self.module_env.get(name))
        if isinstance(e, ast.Call):
            return self.call(e, env, repeat)
        if isinstance(e, ast.List | ast.Tuple):
            items: list[tuple[Any, int | None]] = []
            for element in e.elts:
                if isinstance(element, ast.Starred):
                    inner = self.value(element.value, env, repeat)
                    items.extend(inner.items if isinstance(inner, ListRef) else [(None, None)])
                else:
                    items.append((self.value(element, env, repeat), 1))
            return ListRef(items)
        if isinstance(e, ast.BinOp) and isinstance(e.op, ast.Add):
            left, right = self.value(e.left, env, repeat), self.value(e.right, env, repeat)
            if isinstance(left, ListRef) and isinstance(right, ListRef):
                return ListRef(left.items + right.items)
            return None
        if isinstance(e, ast.ListComp) and len(e.generators) == 1:
            count = loop_count(e.generators[0].iter, self.s.constants)
            return ListRef([(self.value(e.elt, env, repeat), count)])
        self.children(e, env, repeat)
        return None

    def children(self, e: ast.AST, env: dict[str, Any], repeat: int | None) -> None:
        for child in ast.iter_child_nodes(e):
            if isinstance(child, ast.expr):
                self.value(child, env, repeat)
            elif isinstance(child, ast.keyword | ast.comprehension):
                self.children(child, env, repeat)

    def arguments(self, e: ast.Call, env: dict[str, Any], repeat: int | None, skip: int = 0) -> None:
        for node in (*e.args[skip:], *(k.value for k in e.keywords)):
            self.value(node, env, repeat)

    def call(self, e: ast.Call, env: dict[str, Any], repeat: int | None) -> Any:
        qualname = self.s.spelling.qualified(e.func)
        kcall = self.kcalls.get(id(e))
        position = self.s.positions.of(e)
        if qualname in SEQUENTIAL:
            node = kcall.arg_node("layers", 0) if kcall else None
            model = Model("sequential", *position, layers=self.elements(self.value(node, env, repeat), 1))
            self.s.models.append(model)
            return model
        if qualname in FUNCTIONAL:
            node = kcall.arg_node("outputs", 1) if kcall else None
            output = self.value(node, env, repeat)
            layers = self.chain(output) if isinstance(output, Tensor) else []
            model = Model("functional", *position, layers=layers)
            if layers:
                self.s.models.append(model)
            return model
        if qualname in INPUTS:
            return Tensor(None, is_input=True)
        if qualname in LOADERS:
            return Model("loaded", *position)
        if kcall is not None and qualname and qualname.startswith("keras.layers."):
            return LayerRef(kcall)
        if qualname and qualname.startswith("keras.callbacks."):
            self.arguments(e, env, repeat)
            return CallbackRef(qualname.rsplit(".", 1)[-1])
        func = e.func
        if isinstance(func, ast.Attribute) and func.attr in ("add", "compile", "fit"):
            return self.method(e, func, env, repeat)
        callee = self.value(func, env, repeat) if qualname is None else None
        if isinstance(callee, LayerRef | Model):
            node = e.args[0] if e.args else next((k.value for k in e.keywords if k.arg == "inputs"), None)
            source = self.value(node, env, repeat)
            self.arguments(e, env, repeat, skip=1)
            if isinstance(callee, Model):
                return Tensor(None)
            return Tensor(callee.call, source if isinstance(source, Tensor) else None, repeat)
        name = dotted(func)
        self.arguments(e, env, repeat)
        if name in self.functions:
            return self.functions[name]
        if name in self.classes:
            return self.classes[name]
        return None

    def method(self, e: ast.Call, func: ast.Attribute, env: dict[str, Any], repeat: int | None) -> Any:
        receiver = self.value(func.value, env, repeat)
        model = receiver if isinstance(receiver, Model) else None
        line, column = self.s.positions.of(e)
        if func.attr == "add":
            node = e.args[0] if e.args else next((k.value for k in e.keywords if k.arg == "layer"), None)
            value = self.value(node, env, repeat)
            if model is not None and model.kind == "sequential":
                model.layers.extend(self.elements(ListRef([(value, 1)]), repeat))
            return None
        call = MethodCall(e, line, column, dotted(func.value), model, self.s.constants)
        given = call.arg_node("callbacks", 5) if func.attr == "fit" else None
        for node in (*e.args, *(k.value for k in e.keywords)):
            value = self.value(node, env, repeat)
            if node is given:
                call.callbacks = self.callbacks(value)
        if func.attr == "fit" and given is None and not call.opaque():
            call.callbacks = ()
        self.recorded.add(id(e))
        (self.s.compiles if func.attr == "compile" else self.s.fits).append(call)
        return None

    def callbacks(self, value: Any) -> tuple[str | None, ...] | None:
        if not isinstance(value, ListRef):
            return None
        return tuple(item.kind if isinstance(item, CallbackRef) else None for item, _ in value.items)

    def elements(self, value: Any, repeat: int | None) -> list[LayerUse]:
        if not isinstance(value, ListRef):
            return [LayerUse(None)] if value is not None else []
        out: list[LayerUse] = []
        for item, count in value.items:
            built = times(count, repeat)
            if isinstance(item, LayerRef):
                out.append(LayerUse(item.call, built))
            elif isinstance(item, Tensor) and item.is_input:
                continue
            elif isinstance(item, Model) and item.kind == "sequential":
                out.extend(item.layers)
            else:
                out.append(LayerUse(None, built))
        return out

    def chain(self, tensor: Tensor) -> list[LayerUse]:
        out: list[LayerUse] = []
        seen: set[int] = set()
        node: Tensor | None = tensor
        while node is not None and node.layer is not None and id(node) not in seen:
            seen.add(id(node))
            out.append(LayerUse(node.layer, node.repeat))
            node = node.input
        if node is None or not node.is_input:
            out.append(LayerUse(None))
        return out[::-1]


def read_script(source: str, path: str, tree: ast.Module | None = None) -> Script:
    """Parse (SyntaxError propagates) and read what the script builds."""
    tree = tree if tree is not None else ast.parse(source, filename=path)
    nodes = list(ast.walk(tree))
    spelling = scan(tree, nodes)
    constants = module_constants(tree, nodes)
    script = Script(path, source, tree, spelling, constants, Positions(source), nodes)
    for node in nodes:
        if isinstance(node, ast.Call):
            resolved = spelling.resolve(node.func)
            if resolved is not None:
                script.resolved[id(node)] = resolved
            qualname = spelling.qualified(node.func)
            if qualname is not None and qualname.startswith("keras."):
                script.calls.append(KCall(qualname, node, *script.positions.of(node), constants=constants))
    script.calls.sort(key=lambda c: (c.line, c.column))
    reader = _Reader(script)
    reader.module_env = {}
    reader.walk(tree.body, reader.module_env, 1)
    _remaining_methods(script, reader.recorded)
    _keep_keras_fits(script)
    return script


def _remaining_methods(script: Script, recorded: set[int]) -> None:
    """compile/fit calls the walk did not reach (in a lambda, a decorator…), with no model."""
    for node in script.nodes:
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in ("compile", "fit")
            and id(node) not in recorded
        ):
            call = MethodCall(node, *script.positions.of(node), dotted(node.func.value), None, script.constants)
            (script.compiles if node.func.attr == "compile" else script.fits).append(call)


def _keep_keras_fits(script: Script) -> None:
    """Drop `scaler.fit(x)` and `re.compile(...)`: keep calls on Keras models only."""
    compiles = [
        c for c in script.compiles
        if c.model is not None or any(k.arg in ("loss", "optimizer") for k in c.node.keywords)
    ]
    compiled = {c.receiver for c in compiles if c.receiver}
    script.fits = [
        f for f in script.fits
        if f.model is not None or f.receiver in compiled or any(k.arg == "epochs" for k in f.node.keywords)
    ]
    script.fits = list({id(f.node): f for f in reversed(script.fits)}.values())[::-1]
    fitted = {f.receiver for f in script.fits if f.receiver}
    script.compiles = [c for c in script.compiles if c in compiles or (c.receiver in fitted and c.node.args)]
    script.compiles = list({id(c.node): c for c in reversed(script.compiles)}.values())[::-1]
    script.compiles.sort(key=lambda c: (c.line, c.column))
    script.fits.sort(key=lambda f: (f.line, f.column))
