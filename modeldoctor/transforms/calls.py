"""What the optimizer, `compile` and `fit` transforms share: finding those nodes and editing arguments.

A `KerasCommand` plans on the original tree (positions, scopes, where a name
was assigned) and schedules one edit per node; the edits run bottom-up as the
tree is rebuilt. `OptimizerCommand` finds each optimizer (a Keras optimizer
call, a string given to `compile`, a variable assigned once, or Keras' default
when `compile` names none) and `FitCommand` each `fit` call. Argument edits
keep the call's layout: one line stays one line, one argument per line stays
so, trailing commas and comments stay where they were.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Union

import libcst as cst
import libcst.matchers as m
from libcst.helpers import get_full_name_for_node
from libcst.metadata import Assignment, ParentNodeProvider, PositionProvider, ScopeProvider

from modeldoctor.transforms.base import TargetedCommand
from modeldoctor.transforms.keras_names import scan

# What every Keras optimizer takes (jit_compile: tf.keras 2.11+ only, kept when the user wrote it).
COMMON_ARGS = frozenset(
    "learning_rate weight_decay clipnorm clipvalue global_clipnorm use_ema ema_momentum ema_overwrite_frequency "
    "loss_scale_factor gradient_accumulation_steps name jit_compile".split()
)
OPTIMIZER_ARGS: dict[str, frozenset[str]] = {
    name: frozenset(args.split())
    for name, args in {
        "Adam": "beta_1 beta_2 epsilon amsgrad",
        "AdamW": "beta_1 beta_2 epsilon amsgrad",
        "SGD": "momentum nesterov",
        "RMSprop": "rho momentum epsilon centered",
        "Adagrad": "initial_accumulator_value epsilon",
        "Adadelta": "rho epsilon",
        "Adamax": "beta_1 beta_2 epsilon",
        "Nadam": "beta_1 beta_2 epsilon",
        "Ftrl": "learning_rate_power initial_accumulator_value l1_regularization_strength "
        "l2_regularization_strength l2_shrinkage_regularization_strength beta",
        "Lion": "beta_1 beta_2",
        "Lamb": "beta_1 beta_2 epsilon",
        "Adafactor": "beta_2_decay epsilon_1 epsilon_2 clip_threshold relative_step",
    }.items()
}
# The strings `compile` accepts, and the class each one builds.
OPTIMIZER_STRINGS = {name.lower(): name for name in OPTIMIZER_ARGS if name != "Lamb"}
KERAS_ROOTS = ("keras", "tensorflow", "tf_keras")
# Packages whose `.compile(...)`/`.fit(...)` are never a Keras model's.
FOREIGN = frozenset("re regex sklearn xgboost lightgbm catboost statsmodels scipy numpy pandas torch jax joblib".split())
DATASET_MARKERS = ("tf.data", "Dataset", ".batch(", ".padded_batch(", ".prefetch(", "_dataset_from_", "tfds.",
                   ".flow(", ".flow_from_", "Generator(", "Sequence(")
DATASET_NAME = re.compile(r"(^|_)(ds|dataset|datasets|gen|generator|loader|pipeline)($|_)", re.IGNORECASE)
FIT_POSITIONS = ("x", "y", "batch_size", "epochs", "verbose", "callbacks", "validation_split", "validation_data")
Edit = Callable[[Any], Union[tuple[cst.CSTNode, str], str]]


# --- arguments ------------------------------------------------------------------------------

def arg_of(call: cst.Call, keyword: str, position: int | None = None) -> cst.Arg | None:
    """The argument given by keyword, or at that position among the plain positional ones."""
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == keyword:
            return arg
    positional = [a for a in call.args if a.keyword is None and not a.star]
    if position is not None and position < len(positional):
        return positional[position]
    return None


def has_star(call: cst.Call) -> bool:
    return any(arg.star for arg in call.args)


def kwarg(name: str, value: cst.BaseExpression) -> cst.Arg:
    no_space = cst.SimpleWhitespace("")
    return cst.Arg(value, keyword=cst.Name(name), equal=cst.AssignEqual(no_space, no_space))


def replace_arg(call: cst.Call, old: cst.Arg, new: cst.Arg) -> cst.Call:
    return call.with_changes(args=[new if arg is old else arg for arg in call.args])


def remove_arg(call: cst.Call, old: cst.Arg) -> cst.Call:
    args = [arg for arg in call.args if arg is not old]
    if not args:
        return call.with_changes(args=[], whitespace_before_args=cst.SimpleWhitespace(""))
    if call.args[-1] is old:  # the new last argument closes the call as the old one did, with its own comment
        prev = args[-1]
        own = prev.comma.whitespace_after if isinstance(prev.comma, cst.Comma) else None
        keep = own.first_line if isinstance(own, cst.ParenthesizedWhitespace) else cst.TrailingWhitespace()
        comma, after = old.comma, old.whitespace_after_arg
        if isinstance(comma, cst.Comma) and isinstance(comma.whitespace_after, cst.ParenthesizedWhitespace):
            comma = comma.with_changes(whitespace_after=comma.whitespace_after.with_changes(first_line=keep))
        elif isinstance(after, cst.ParenthesizedWhitespace):
            after = after.with_changes(first_line=keep)
        elif keep.comment is not None and own is not None:
            after = own  # a comment after the kept argument's comma stays on its line
        args[-1] = prev.with_changes(comma=comma, whitespace_after_arg=after)
    return call.with_changes(args=args)


def _clean(ws: cst.BaseParenthesizableWhitespace) -> cst.BaseParenthesizableWhitespace:
    return ws.with_changes(first_line=cst.TrailingWhitespace()) if isinstance(ws, cst.ParenthesizedWhitespace) else ws


def _separator(items: list[Any], near: int, opening: cst.BaseParenthesizableWhitespace) -> Any:
    """The whitespace the container puts between two items, without any comment."""
    comma = items[near].comma if len(items) > 1 else None
    if isinstance(comma, cst.Comma):
        return _clean(comma.whitespace_after)
    return _clean(opening) if isinstance(opening, cst.ParenthesizedWhitespace) else cst.SimpleWhitespace(" ")


def _append(items: list[Any], new: Any, opening: Any, closing: Any) -> tuple[list[Any], Any, Any]:
    """Items with `new` last; returns them, the trailing comma for `new`, and the closing whitespace."""
    sep = _separator(items, -2, opening)
    if isinstance(closing, cst.ParenthesizedWhitespace) and closing.first_line.comment is not None:
        # the comment belongs to the last item: it stays on that item's line
        if isinstance(sep, cst.ParenthesizedWhitespace):
            sep = sep.with_changes(first_line=closing.first_line)
        else:
            sep = closing
        closing = _clean(closing)
    last = items[-1]
    trailing = last.comma if isinstance(last.comma, cst.Comma) else None
    items = [*items[:-1], last.with_changes(comma=(trailing or cst.Comma()).with_changes(whitespace_after=sep)), new]
    return items, trailing, closing


def append_arg(call: cst.Call, arg: cst.Arg) -> cst.Call:
    args = list(call.args)
    if not args:
        return call.with_changes(args=[arg])
    last = args[-1]
    trailing_comma = isinstance(last.comma, cst.Comma)
    closing = last.comma.whitespace_after if isinstance(last.comma, cst.Comma) else last.whitespace_after_arg
    if not trailing_comma:
        args[-1] = last.with_changes(whitespace_after_arg=cst.SimpleWhitespace(""))
    args, trailing, closing = _append(args, arg, call.whitespace_before_args, closing)
    if trailing is not None:
        args[-1] = arg.with_changes(comma=trailing.with_changes(whitespace_after=closing))
    else:
        args[-1] = arg.with_changes(whitespace_after_arg=closing)
    return call.with_changes(args=args)


def prepend_arg(call: cst.Call, arg: cst.Arg) -> cst.Call:
    """`call` with the keyword `arg` first among its keyword arguments."""
    args = list(call.args)
    index = next((i for i, a in enumerate(args) if a.keyword is not None or a.star), len(args))
    if index == len(args):
        return append_arg(call, arg)
    if index == 0:
        comma = cst.Comma(whitespace_after=_separator(args, 0, call.whitespace_before_args))
    else:
        before = args[index - 1].comma
        comma = before.with_changes(whitespace_after=_clean(before.whitespace_after))  # type: ignore[union-attr]
    return call.with_changes(args=[*args[:index], arg.with_changes(comma=comma), *args[index:]])


def append_element(seq: cst.List | cst.Tuple, value: cst.BaseExpression) -> cst.List | cst.Tuple:
    element = cst.Element(value)
    if not seq.elements:
        alone = element.with_changes(comma=cst.Comma()) if isinstance(seq, cst.Tuple) else element
        return seq.with_changes(elements=[alone])
    if isinstance(seq, cst.List):
        opening, closing = seq.lbracket.whitespace_after, seq.rbracket.whitespace_before
    else:
        opening, closing = seq.lpar[0].whitespace_after, seq.rpar[0].whitespace_before
    items, trailing, closing = _append(list(seq.elements), element, opening, closing)
    if trailing is not None:
        items[-1] = element.with_changes(comma=trailing)
    if isinstance(seq, cst.List):
        return seq.with_changes(elements=items, rbracket=seq.rbracket.with_changes(whitespace_before=closing))
    rpar = [seq.rpar[0].with_changes(whitespace_before=closing), *seq.rpar[1:]]
    return seq.with_changes(elements=items, rpar=rpar)


# --- literals -------------------------------------------------------------------------------

_OPS: dict[type, Callable[[float, float], float]] = {
    cst.Add: lambda a, b: a + b, cst.Subtract: lambda a, b: a - b, cst.Multiply: lambda a, b: a * b,
    cst.Divide: lambda a, b: a / b, cst.Power: lambda a, b: a**b,
}


def number_value(expr: cst.BaseExpression) -> float | None:
    """The value of a number written with literals only (`1e-3`, `-2`, `0.1 * 3`), else None."""
    try:
        if isinstance(expr, (cst.Integer, cst.Float)):
            return float(expr.evaluated_value)
        if isinstance(expr, cst.UnaryOperation) and isinstance(expr.operator, (cst.Minus, cst.Plus)):
            inner = number_value(expr.expression)
            return None if inner is None else (-inner if isinstance(expr.operator, cst.Minus) else inner)
        if isinstance(expr, cst.BinaryOperation) and type(expr.operator) in _OPS:
            left, right = number_value(expr.left), number_value(expr.right)
            return None if left is None or right is None else _OPS[type(expr.operator)](left, right)
    except (ArithmeticError, ValueError):
        return None
    return None


def same_number(expr: cst.BaseExpression, value: float) -> bool:
    current = number_value(expr)
    return current is not None and math.isclose(current, value, rel_tol=1e-9, abs_tol=0.0)


def literal(value: Any) -> cst.BaseExpression:
    """Source for a plain parameter value: numbers without float noise, strings in double quotes."""
    if value is None or isinstance(value, bool):
        return cst.Name(repr(value))
    if isinstance(value, int):
        return cst.parse_expression(str(value))
    if isinstance(value, float) and math.isfinite(value):
        return cst.parse_expression(repr(float(f"{value:.12g}")))
    if isinstance(value, str):
        return cst.SimpleString('"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"')
    raise ValueError(f"cannot write {value!r} as a literal")


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
        reason = self.check_params()
        if reason is not None:
            self.warn(reason)
        else:
            self.plan(node)
        return True

    def check_params(self) -> str | None:
        """Why the parameters cannot be used, or None."""
        return None

    def plan(self, module: cst.Module) -> None:
        raise NotImplementedError

    def schedule(self, node: cst.CSTNode, edit: Edit) -> None:
        self.scheduled.setdefault(node, edit)

    def on_leave(self, original_node: Any, updated_node: Any) -> Any:
        updated = super().on_leave(original_node, updated_node)
        edit = self.scheduled.get(original_node)
        if edit is None or not isinstance(updated, cst.CSTNode):
            return updated
        result = edit(updated)
        if isinstance(result, str):
            self.warn(result)
            return updated
        new, text = result
        if new.deep_equals(updated):
            self.warn(f"`{self.code(updated)}` is already as the cure would write it")
            return updated
        self.note(original_node, text)
        return new

    def code(self, node: cst.CSTNode) -> str:
        """The node's source on one line, without comments, for notes and reasons."""
        text = " ".join(self.tree.code_for_node(node.visit(_NoComments())).split())
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


@dataclass(frozen=True)
class Site:
    """An optimizer found in the source: its Keras class (None for one Keras does not ship)."""

    cls: str | None
    legacy: bool = False


PLACEHOLDER = cst.Name("__optimizer__")


class OptimizerCommand(KerasCommand):
    """Hands every optimizer to `edit_optimizer`; strings and a missing optimizer become a call first."""

    TARGET_KINDS = ("optimizer", "compile")

    def edit_optimizer(self, call: cst.Call, site: Site) -> cst.Call | str:
        """The call with the cure applied, or why it cannot be; `call.func` may be `PLACEHOLDER`."""
        raise NotImplementedError

    def plan(self, module: cst.Module) -> None:
        if self.targeted:
            for call in m.findall(module, m.Call()):
                target = self.target_at(call, ("optimizer",)) if isinstance(call, cst.Call) else None
                if target is not None:
                    self._plan_call(call, target.class_name)  # type: ignore[arg-type]
        for call in self.method_calls(module, "compile"):
            arg = arg_of(call, "optimizer", 0)
            if arg is not None:
                self._plan_value(arg.value, follow=True)
            elif has_star(call):
                self.warn(f"`{self.code(call)}` passes *args/**kwargs: cannot tell which optimizer it uses")
            else:
                self.schedule(call, self._add_default)

    def _plan_value(self, value: cst.BaseExpression, follow: bool) -> None:
        if isinstance(value, cst.SimpleString):
            name = OPTIMIZER_STRINGS.get(str(value.evaluated_value).lower())
            if name is None:
                self.warn(f"the optimizer {value.value} is not one modeldoctor knows")
            else:
                self.schedule(value, lambda node: self._from_string(node, Site(name)))
        elif isinstance(value, cst.Call):
            self._plan_call(value, None)
        elif isinstance(value, cst.Name) and follow:
            assigned, why = self.single_value(value)
            if assigned is None:
                self.warn(f"cannot find where the optimizer `{value.value}` is built: {why}")
            else:
                self._plan_value(assigned, follow=False)
        else:
            self.warn(f"the optimizer `{self.code(value)}` is not built where modeldoctor can edit it")

    def _plan_call(self, call: cst.Call, class_name: str | None) -> None:
        if call in self.scheduled:
            return
        head, _, cls = self.qualified(call.func).rpartition(".")
        if head.startswith("keras.optimizers") and cls in OPTIMIZER_ARGS:
            site = Site(cls, legacy="legacy" in head)
        elif class_name is not None and last_name(call.func) == class_name:
            site = Site(class_name if class_name in OPTIMIZER_ARGS else None)
        else:
            self.warn(f"`{self.code(call.func)}` is not a Keras optimizer class modeldoctor can edit")
            return
        self.schedule(call, lambda node: self._edit(node, site))

    def _finish(self, call: cst.Call, site: Site) -> cst.Call:
        if call.func is PLACEHOLDER:
            return call.with_changes(func=self.names.ref(self.context, "optimizers", site.cls or "RMSprop"))
        return call

    def _edit(self, call: cst.Call, site: Site) -> tuple[cst.CSTNode, str] | str:
        new = self.edit_optimizer(call, site)
        if isinstance(new, str):
            return new
        new = self._finish(new, site)
        return new, f"optimizer {self.code(call)} -> {self.code(new)}"

    def _from_string(self, string: cst.SimpleString, site: Site) -> tuple[cst.CSTNode, str] | str:
        new = self.edit_optimizer(cst.Call(func=PLACEHOLDER), site)
        if isinstance(new, str):
            return new
        new = self._finish(new, site).with_changes(lpar=string.lpar, rpar=string.rpar)
        return new, f"optimizer {string.value} -> {self.code(new)}"

    def _add_default(self, compile_call: cst.Call) -> tuple[cst.CSTNode, str] | str:
        site = Site("RMSprop")  # what `compile` uses when it is given no optimizer
        new = self.edit_optimizer(cst.Call(func=PLACEHOLDER), site)
        if isinstance(new, str):
            return new
        new = self._finish(new, site)
        text = f"compile: added optimizer={self.code(new)} (Keras' default optimizer, made explicit)"
        return prepend_arg(compile_call, kwarg("optimizer", new)), text


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
