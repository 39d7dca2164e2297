"""Write Keras 1's positional kernel as a tuple: `Conv2D(32, 3, 3)` → `Conv2D(32, (3, 3))`.

Keras 1 and 2 read `Conv2D(filters, nb_row, nb_col)`; Keras 3 reads the third
number as `strides`, so the same line silently builds a strided layer. The
tuple is what Keras 2 built.
"""

from __future__ import annotations

import libcst as cst

from modeldoctor.ftypes import Applicability
from modeldoctor.transforms.engine.base import Param, TransformSpec
from modeldoctor.transforms.engine.legacy_edits import LegacyCommand


class ConvKernelSize(LegacyCommand):
    DESCRIPTION = "Group Keras 1's positional kernel sizes of a convolution into one tuple."

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.Call:
        qualified = self.qualified(original_node.func) or ""
        dims = self.params["layers"].get(qualified.rpartition(".")[2]) if qualified.startswith("keras.layers") else None
        args = updated_node.args
        if not dims or len(args) < 1 + dims or any(a.keyword is not None or a.star for a in args[: 1 + dims]):
            return updated_node
        sizes = args[1 : 1 + dims]
        if len(args) > 1 + dims and args[1 + dims].keyword is None:
            return updated_node  # more positional numbers than Keras 1 took: not this spelling
        if not all(isinstance(a.value, cst.Integer) for a in sizes):
            return updated_node
        elements = [cst.Element(a.value, comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
                    for a in sizes[:-1]] + [cst.Element(sizes[-1].value)]
        kernel = sizes[0].with_changes(value=cst.Tuple(elements), comma=sizes[-1].comma)
        shown = ", ".join(a.value.value for a in sizes if isinstance(a.value, cst.Integer))
        self.note(original_node, f"kernel {shown} → ({shown})")
        return updated_node.with_changes(args=[args[0], kernel, *args[1 + dims:]])


TRANSFORM = TransformSpec(
    name="conv_kernel_size",
    description=ConvKernelSize.DESCRIPTION,
    command=ConvKernelSize,
    applicability=Applicability.SAFE,
    params={"layers": Param(dict, {}, "convolution class -> number of spatial dimensions")},
)
