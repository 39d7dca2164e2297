"""What the optimizer, `compile` and `fit` transforms share: finding those calls and scheduling their edits.

A `KerasCommand` plans on the original tree (positions, scopes, where a name
was assigned) and schedules one edit per node; the edits run bottom-up as the
tree is rebuilt, and one that raises `Decline` leaves its node as it was.
`FitCommand` finds each `fit` call; `OptimizerCommand` (optimizer_command.py)
each optimizer. The argument edits themselves are in
call_edits.py.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import libcst as cst
import libcst.matchers as m
from libcst.helpers import get_full_name_for_node
from libcst.metadata import Assignment, ParentNodeProvider, PositionProvider, ScopeProvider

from modeldoctor.transforms.engine.base import Decline, TargetedCommand
from modeldoctor.transforms.engine.call_edits import (
    append_arg,
    append_element,
    arg_of,
    has_star,
    kwarg,
    literal,
    replace_arg,
    same_number,
)
from modeldoctor.transforms.engine.keras_names import scan
from modeldoctor.vocabulary import KERAS_PACKAGES

KERAS_ROOTS = KERAS_PACKAGES
# Packages whose `.compile(...)`/`.fit(...)` are never a Keras model's.
FOREIGN = frozenset("re regex sklearn xgboost lightgbm catboost statsmodels scipy numpy pandas torch jax joblib".split())
DATASET_MARKERS = ("tf.data", "Dataset", ".batch(", ".padded_batch(", ".prefetch(", "_dataset_from_", "tfds.",
                   ".flow(", ".flow_from_", "Generator(", "Sequence(")
DATASET_NAME = re.compile(r"(^|_)(ds|dataset|datasets|gen|generator|loader|pipeline)($|_)", re.IGNORECASE)
FIT_POSITIONS = ("x", "y", "batch_size", "epochs", "verbose", "callbacks", "validation_split", "validation_data")
Edit = Callable[[Any], tuple[cst.CSTNode, str]]  # the new node and its note; raises Decline


def last_name(node: cst.BaseExpression) -> str:
    return (get_full_name_for_node(node) or "").rpartition(".")[2]


def _root(expr: cst.BaseExpression) -> cst.Name | None:
    while isinstance(expr, (cst.Attribute, cst.Call, cst.Subscript)):
        expr = expr.func if isinstance(expr, cst.Call) else expr.value
    return expr if isinstance(expr, cst.Name) else None


# --- commands -------------------------------------------------------------------------------

class KerasCommand(TargetedCommand):
    """Plans edits on the original tree in `plan`, applies each scheduled edit when its node is left."""

    METADATA_DEPENDENCIES = (PositionProvider, ScopeProvider, ParentNodeProvider)
    TARGET_KINDS: tuple[str, ...] = ()

    def visit_Module(self, node: cst.Module) -> bool:
        self.tree = node
        self.names = scan(node)
        self.scheduled: dict[cst.CSTNode, Edit] = {}
        self.imported = _imports(node)
        self.targeted = any(t.kind in self.TARGET_KINDS for t in self.targets)
        self.plan(node)
        return True

    def plan(self, module: cst.Module) -> None:
        raise NotImplementedError

    def schedule(self, node: cst.CSTNode, edit: Edit) -> None:
        self.scheduled.setdefault(node, edit)

    def on_leave(self, original_node: Any, updated_node: Any) -> Any:
        updated = super().on_leave(original_node, updated_node)
        edit = self.scheduled.get(original_node)
        if edit is None or not isinstance(updated, cst.CSTNode):
            return updated
        try:
            new, text = edit(updated)
        except Decline as why:
            self.warn(str(why))
            return updated
        if new.deep_equals(updated):
            self.warn(f"`{self.code(updated)}` is already as the cure would write it")
            return updated
        self.note(original_node, text)
        return new

    def code(self, node: cst.CSTNode) -> str:
        """The node's source on one line, without comments, for notes and reasons."""
        bare = node.visit(_NoComments())
        assert isinstance(bare, cst.CSTNode)  # dropping comments never removes or splits the node
        text = " ".join(self.tree.code_for_node(bare).split())
        text = re.sub(r",? ([)\]}])", r"\1", re.sub(r"([(\[{]) ", r"\1", text))
        return text if len(text) <= 120 else text[:117] + "..."

    def qualified(self, node: cst.BaseExpression) -> str:
        """`keras.<sub>.<Name>` for any spelling, through whatever the file imports (`tf.keras…`, legacy…)."""
        found = self.names.qualified(node)
        if found:
            return found
        full = get_full_name_for_node(node) or ""
        root, dot, rest = full.partition(".")
        if root in self.imported:
            full = self.imported[root][0] + dot + rest
        for prefix in ("tensorflow.keras.", "tf.keras.", "keras.", "tf_keras."):
            if full.startswith(prefix):
                return "keras." + full[len(prefix) :]
        return ""

    def method_calls(self, module: cst.Module, method: str) -> Iterator[cst.Call]:
        """`.method(...)` calls to treat: the targeted ones, or without targets every one on a possible model."""
        for call in m.findall(module, m.Call(func=m.Attribute(attr=m.Name(method)))):
            assert isinstance(call, cst.Call)
            if self.targeted:
                if self.target_at(call, (method,)):
                    yield call
            elif call.args and not self._foreign(call):
                yield call

    def _foreign(self, call: cst.Call) -> bool:
        """True when the receiver is plainly not a Keras model (`re.compile`, an sklearn estimator)."""
        assert isinstance(call.func, cst.Attribute)
        root = _root(call.func.value)
        if root is None:
            return False
        bound = self.imported.get(root.value)
        if bound is not None:
            top = bound[0].partition(".")[0]
            return top not in KERAS_ROOTS and (bound[1] or top in FOREIGN)
        for value in self.values_of(root):
            callee = _root(value) if isinstance(value, cst.Call) else None
            origin = self.imported.get(callee.value) if callee is not None else None
            if origin is not None and origin[0].partition(".")[0] in FOREIGN:
                return True
        return False

    def values_of(self, name: cst.Name) -> list[cst.BaseExpression | None]:
        """What each binding of `name` (seen from where it is used) assigns; None for other bindings."""
        scope = self.get_metadata(ScopeProvider, name, None)
        if scope is None:
            return [None]
        values: list[cst.BaseExpression | None] = []
        for assignment in scope[name.value]:
            node = assignment.node if isinstance(assignment, Assignment) else None
            values.append(self._assigned(node)[0] if isinstance(node, cst.Name) else None)
        return values

    def single_value(self, name: cst.Name) -> tuple[cst.BaseExpression | None, str]:
        """The value of a name bound exactly once, by `name = value`; else None and why."""
        scope = self.get_metadata(ScopeProvider, name, None)
        assignments = list(scope[name.value]) if scope is not None else []
        if not assignments:
            return None, f"`{name.value}` is not assigned in this file"
        if len(assignments) > 1:
            return None, f"`{name.value}` is assigned {len(assignments)} times"
        node = assignments[0].node if isinstance(assignments[0], Assignment) else None
        value, direct = self._assigned(node) if isinstance(node, cst.Name) else (None, False)
        if value is None or not direct:
            return None, f"`{name.value}` is not bound by a plain `{name.value} = ...`"
        return value, ""

    def _assigned(self, name: cst.Name) -> tuple[cst.BaseExpression | None, bool]:
        parent = self.get_metadata(ParentNodeProvider, name, None)
        direct = True
        while isinstance(parent, (cst.Element, cst.StarredElement, cst.Tuple, cst.List)):
            direct = False
            parent = self.get_metadata(ParentNodeProvider, parent, None)
        if isinstance(parent, cst.AssignTarget):
            statement = self.get_metadata(ParentNodeProvider, parent, None)
            if isinstance(statement, cst.Assign):
                return statement.value, direct and len(statement.targets) == 1
        if isinstance(parent, cst.AnnAssign) and parent.value is not None:
            return parent.value, direct
        return None, False


class _NoComments(cst.CSTTransformer):
    def leave_TrailingWhitespace(self, original_node: Any, updated_node: cst.TrailingWhitespace) -> Any:
        return updated_node.with_changes(comment=None)

    def leave_EmptyLine(self, original_node: Any, updated_node: cst.EmptyLine) -> Any:
        return updated_node.with_changes(comment=None)


def _imports(module: cst.Module) -> dict[str, tuple[str, bool]]:
    """Every name an import binds: the dotted path it comes from, and whether it is a module (`import x`)."""
    bound: dict[str, tuple[str, bool]] = {}
    for node in m.findall(module, m.Import() | m.ImportFrom()):
        if isinstance(node, cst.Import):
            for alias in node.names:
                full = get_full_name_for_node(alias.name) or ""
                local = alias.asname.name.value if alias.asname else full.partition(".")[0]  # type: ignore[union-attr]
                bound[local] = (full, True)
        elif isinstance(node, cst.ImportFrom) and node.module is not None and not node.relative:
            if isinstance(node.names, cst.ImportStar):
                continue
            source = get_full_name_for_node(node.module) or ""
            for alias in node.names:
                name = get_full_name_for_node(alias.name) or ""
                local = alias.asname.name.value if alias.asname else name  # type: ignore[union-attr]
                bound[local] = (f"{source}.{name}", False)
    return bound


class FitCommand(KerasCommand):
    """Hands every `fit` call to `plan_fit`, which schedules its edit or warns."""

    TARGET_KINDS = ("fit",)

    def plan_fit(self, call: cst.Call) -> None:
        raise NotImplementedError

    def plan(self, module: cst.Module) -> None:
        for call in self.method_calls(module, "fit"):
            if has_star(call):
                self.warn(f"`{self.code(call)}` passes *args/**kwargs: cannot tell which arguments it sets")
            else:
                self.plan_fit(call)

    def fit_arg(self, call: cst.Call, name: str) -> cst.Arg | None:
        return arg_of(call, name, FIT_POSITIONS.index(name))

    def has_validation(self, call: cst.Call) -> bool:
        data, split = self.fit_arg(call, "validation_data"), self.fit_arg(call, "validation_split")
        if data is not None and not m.matches(data.value, m.Name("None")):
            return True
        return split is not None and not same_number(split.value, 0.0)

    def dataset_reason(self, call: cst.Call) -> str | None:
        """Why fit's x looks like a dataset or generator (no batch_size, no validation_split), or None."""
        x = self.fit_arg(call, "x")
        if x is None:
            return "fit is given no x"
        source = self._dataset_source(x.value, set())
        if source is not None:
            shown = self.code(x.value)
            if source == shown:
                return f"fit's x `{shown}` is a dataset or generator"
            if source == "":
                return f"fit's x `{shown}` is named like a dataset or generator"
            return f"fit's x `{shown}` comes from `{source}`, a dataset or generator"
        if self.fit_arg(call, "y") is None:
            return f"fit gets no y, so its x `{self.code(x.value)}` is probably a dataset or generator"
        return None

    def _dataset_source(self, expr: cst.BaseExpression, seen: set[str]) -> str | None:
        """The code that makes `expr` a dataset ("" for a dataset-like name), following assignments."""
        text = self.tree.code_for_node(expr)
        if any(marker in text for marker in DATASET_MARKERS):
            return self.code(expr)
        root = _root(expr)
        if root is None or root.value in seen:
            return None
        seen.add(root.value)
        for value in self.values_of(root):
            source = None if value is None else self._dataset_source(value, seen)
            if source:
                return source
        return "" if expr is root and DATASET_NAME.search(root.value) else None

    # callbacks: shared by add_callback and early_stopping

    def has_callback(self, expr: cst.BaseExpression, cls: str, depth: int = 0) -> bool:
        """Whether the callbacks expression already holds an instance of `cls` (through names and lists)."""
        if depth > 4:
            return False
        if isinstance(expr, cst.Call):
            return last_name(expr.func) == cls
        if isinstance(expr, (cst.List, cst.Tuple)):
            return any(self.has_callback(e.value, cls, depth + 1) for e in expr.elements)
        if isinstance(expr, cst.BinaryOperation):
            return self.has_callback(expr.left, cls, depth + 1) or self.has_callback(expr.right, cls, depth + 1)
        if isinstance(expr, cst.Name):
            return any(v is not None and self.has_callback(v, cls, depth + 1) for v in self.values_of(expr))
        return False

    def callback(self, cls: str, kwargs: dict[str, Any]) -> cst.Call:
        func = self.names.ref(self.context, "callbacks", cls)
        return cst.Call(func=func, args=[kwarg(key, literal(value)) for key, value in kwargs.items()])

    def with_callback(self, call: cst.Call, new: cst.Call) -> tuple[cst.Call, str]:
        """`call` with `new` among its callbacks: a new list, appended to a literal one, or combined."""
        arg = self.fit_arg(call, "callbacks")
        if arg is None:
            created = append_arg(call, kwarg("callbacks", cst.List([cst.Element(new)])))
            return created, f"added callbacks=[{self.code(new)}]"
        value = arg.value
        if isinstance(value, cst.List) or (isinstance(value, cst.Tuple) and value.lpar):
            appended = replace_arg(call, arg, arg.with_changes(value=append_element(value, new)))
            return appended, f"appended {self.code(new)} to callbacks"
        if m.matches(value, m.Name("None")):
            combined: cst.BaseExpression = cst.List([cst.Element(new)])
        else:
            atomic = isinstance(value, (cst.Name, cst.Attribute, cst.Call, cst.Subscript)) or value.lpar
            inner = value if atomic else value.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])
            combined = cst.List([cst.StarredElement(inner), cst.Element(new)])
        return replace_arg(call, arg, arg.with_changes(value=combined)), f"callbacks={self.code(combined)}"
