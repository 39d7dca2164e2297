"""Add one `<role>=<keras>.SUBMODULE.CLASS(value)` per kernel a layer has, under the name its class gives it.

Dense, Conv2D and LSTM take `kernel_regularizer`; SeparableConv2D takes
`depthwise_regularizer` and `pointwise_regularizer`, DepthwiseConv2D
`depthwise_regularizer`, Embedding `embeddings_regularizer`
(`vocabulary.kernel_arguments`). Passing `kernel_regularizer` to a
SeparableConv2D is an error in Keras 3. Shared by the kernel_regularizer and
kernel_constraint transforms.
"""

from __future__ import annotations

import libcst as cst

from modeldoctor.transforms.engine.base import Decline
from modeldoctor.transforms.engine.call_edits import arg_of
from modeldoctor.transforms.engine.keyword_edits import describe, set_keyword
from modeldoctor.transforms.engine.layer_args import AddArgumentCommand
from modeldoctor.vocabulary import kernel_arguments


def _is_none(arg: cst.Arg) -> bool:
    return isinstance(arg.value, cst.Name) and arg.value.value == "None"


class AddKernelArgumentCommand(AddArgumentCommand):
    """`AddArgumentCommand` for a kernel's argument: one keyword per kernel, all of them or none."""

    ROLE = ""  # "regularizer": kernel_regularizer, or depthwise_regularizer and pointwise_regularizer…

    def edit(self, original: cst.Call, updated: cst.Call, cls: str) -> cst.Call:
        keywords = kernel_arguments(cls, self.ROLE)
        for keyword in keywords:  # every check before `ref` adds an import
            existing = arg_of(original, keyword)
            if existing is not None and not _is_none(existing):
                raise Decline(f"it already sets {keyword}")
            if existing is None and any(a.star for a in original.args):
                raise Decline(f"it takes *args or **kwargs that may already set {keyword}")
        amount = cst.Float(repr(float(self.params[self.PARAM])))
        value = cst.Call(func=self.names.ref(self.context, self.SUBMODULE, self.CLASS), args=[cst.Arg(amount)])
        new = updated
        for keyword in keywords:
            new = set_keyword(new, keyword, value.deep_clone())
        code = cst.Module([]).code_for_node(value)
        added = ", ".join(f"{keyword}={code}" for keyword in keywords)
        self.note(original, f"added {added} to {describe(original, cls)}")
        return new
