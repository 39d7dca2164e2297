"""What the migration cures share: a command that rewrites every use it finds, and module spellings.

Migration cures run on the static path (the script does not run on Keras 3,
so there is no record to target): they edit every site their rule's
`[legacy]` table names, the same sites its finder reports.
"""

from __future__ import annotations

import fnmatch

import libcst as cst
from libcst.helpers import get_full_name_for_node
from libcst.metadata import PositionProvider

from modeldoctor.transforms.engine.base import TargetedCommand
from modeldoctor.transforms.engine.keras_names import scan
from modeldoctor.vocabulary import KERAS_MODULES, canonical_module

MODEL_WORD = "model"


class LegacyCommand(TargetedCommand):
    """Reads the file's Keras spelling once; subclasses edit in `leave_*` and call `self.note`."""

    METADATA_DEPENDENCIES = (PositionProvider,)

    def visit_Module(self, node: cst.Module) -> bool:
        self.names = scan(node)
        self.receivers = model_receivers(node)
        return True

    def qualified(self, node: cst.BaseExpression) -> str | None:
        full = get_full_name_for_node(node)
        if full is None:
            return None
        found = self.names.qualified(node)
        if found:
            return found
        for prefix in ("tensorflow.keras.", "tf.keras."):
            if full.startswith(prefix):
                return "keras." + full[len(prefix):]
        return None

    def callee(self, call: cst.Call, patterns: list[str]) -> str | None:
        """`Adam` / `.fit` when the call matches one of the patterns (qualified names, or `.method`)."""
        if isinstance(call.func, cst.Attribute) and f".{call.func.attr.value}" in patterns:
            return f".{call.func.attr.value}"
        qualified = self.qualified(call.func)
        if qualified and any(not p.startswith(".") and fnmatch.fnmatchcase(qualified, p) for p in patterns):
            return qualified.rsplit(".", 1)[-1]
        return None

    def on_model(self, call: cst.Call) -> bool:
        """A method call on something the file compiles or fits, or whose name says it is a model."""
        if not isinstance(call.func, cst.Attribute):
            return False
        receiver = get_full_name_for_node(call.func.value) or ""
        return receiver in self.receivers or MODEL_WORD in receiver.lower()


def model_receivers(module: cst.Module) -> set[str]:
    """What `.compile(` or `.fit(` is called on in this file (the ast reader's `model_receivers`, in LibCST)."""
    found: set[str] = set()

    class Visitor(cst.CSTVisitor):
        def visit_Call(self, node: cst.Call) -> None:
            if isinstance(node.func, cst.Attribute) and node.func.attr.value in ("compile", "fit"):
                name = get_full_name_for_node(node.func.value)
                if name:
                    found.add(name)

    module.visit(Visitor())
    return found


def respell(source: str, new: str) -> str:
    """The module `new` (canonical `keras.…`, or another package's) in the prefix `source` uses.

    `tensorflow.keras.layers.core` → `keras.layers` becomes `tensorflow.keras.layers`.
    """
    canonical = canonical_module(source)
    if canonical is None or not (new == "keras" or new.startswith("keras.")):
        return new
    prefix = next(p for p in KERAS_MODULES if source == p or source.startswith(p + "."))
    return prefix + new[len("keras"):]


def dotted_expr(text: str) -> cst.Attribute | cst.Name:
    expr = cst.parse_expression(text)
    assert isinstance(expr, cst.Attribute | cst.Name)
    return expr
