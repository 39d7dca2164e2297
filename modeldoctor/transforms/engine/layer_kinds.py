"""The parts Keras layers play in a model, and the small node helpers that reading and editing sites share.

Layer families (`HIDDEN`, `DROPOUTS`, `NORMALIZATIONS`, `NOISES`,
`PREPROCESSING`, `INPUTS`…) decide where the insertion transforms put a layer
and what already does its job; `code`, `input_shape_argument` and
`without_argument` read and trim the calls that create layers (arguments are
read with call_edits.py's `arg_of`). Used by the
analysis (model_sites.py), the inserters (insertion.py) and the transforms
built on them.
"""

from __future__ import annotations

import libcst as cst

from modeldoctor.vocabulary import (
    ACTIVATION_LAYER,
    ACTIVATION_LAYERS,
    FEEDFORWARD_LAYERS,
    FUNCTIONAL_MODELS,
    LAYER_ALIASES,
    SEQUENTIAL_MODELS,
)

HIDDEN = FEEDFORWARD_LAYERS  # the Dense/Conv layers, every spelling
DROPOUTS = frozenset(
    {"Dropout", "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D", "AlphaDropout", "GaussianDropout"}
)
NORMALIZATIONS = frozenset({"BatchNormalization", "LayerNormalization", "GroupNormalization", "UnitNormalization"})
NOISES = frozenset({"GaussianNoise", "GaussianDropout"})
ACTIVATIONS = frozenset({ACTIVATION_LAYER, *ACTIVATION_LAYERS})
COMPANIONS = DROPOUTS | NORMALIZATIONS | NOISES | ACTIVATIONS  # what may sit right after a layer
ALIASES = {**LAYER_ALIASES, "Input": "InputLayer"}
PREPROCESSING = frozenset({"Normalization", "Rescaling"})
DATA_LAYERS = PREPROCESSING | {
    "Resizing", "CenterCrop", "RandAugment", "AugMix", "CutMix", "MixUp", "TextVectorization", "StringLookup",
    "IntegerLookup", "Hashing", "Discretization", "CategoryEncoding", "Solarization", "Equalization", "AutoContrast",
}  # fmt: skip
INPUTS = frozenset({"Input", "InputLayer"})
INPUT_SHAPE_KEYWORDS = ("input_shape", "input_dim", "batch_input_shape")
SCOPES = (cst.Module, cst.FunctionDef, cst.ClassDef, cst.Lambda)
MODEL_CLASSES = dict.fromkeys(SEQUENTIAL_MODELS, "sequential") | dict.fromkeys(FUNCTIONAL_MODELS, "functional")

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
