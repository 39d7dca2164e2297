"""What a training script builds, as read from its source: the values the checks look at.

`reader.read_script()` fills a `Script`; checks only read it. Everything a
check reports is a literal the source spells out: a value computed at run
time is UNKNOWN and a check that needs it stays silent.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from typing import Any

from modeldoctor.record import Location
from modeldoctor.static.names import Spelling, dotted
from modeldoctor.static.values import MISSING, UNKNOWN, Positions, literal
from modeldoctor.vocabulary import (
    ACTIVATION_LAYER,
    ACTIVATION_NAMES,
    ACTIVATION_POSITION,
    FEEDFORWARD_LAYERS,
    SIZE_ARGUMENT,
    canonical_layer,
)
from modeldoctor.vocabulary import ACTIVATION_LAYERS as FIXED_ACTIVATIONS

WEIGHT_LAYERS = FEEDFORWARD_LAYERS
ACTIVATION_LAYERS: dict[str, str | None] = {ACTIVATION_LAYER: None, **FIXED_ACTIVATIONS}
DROPOUT_LAYERS = frozenset({"Dropout", "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D"})
NORMALIZATION_LAYERS = frozenset({"BatchNormalization", "LayerNormalization", "GroupNormalization"})
# Layers that neither weigh nor activate: a chain of activations runs through them.
PASS_THROUGH = DROPOUT_LAYERS | {
    "AlphaDropout", "GaussianDropout", "GaussianNoise", "Flatten", "Reshape", "ActivityRegularization",
    "MaxPooling1D", "MaxPooling2D", "MaxPooling3D", "AveragePooling1D", "AveragePooling2D", "AveragePooling3D",
    "GlobalAveragePooling1D", "GlobalAveragePooling2D", "GlobalAveragePooling3D", "GlobalMaxPooling1D",
    "GlobalMaxPooling2D", "GlobalMaxPooling3D", "Permute", "ZeroPadding1D", "ZeroPadding2D", "Cropping2D",
}


def _snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()


class CallArguments:
    """Argument lookups shared by `KCall` and `MethodCall`: both wrap an `ast.Call` read with the file's constants."""

    node: ast.Call
    constants: dict[str, Any]

    def arg_node(self, name: str, index: int | None = None) -> ast.expr | None:
        for keyword in self.node.keywords:
            if keyword.arg == name:
                return keyword.value
        if index is not None and index < len(self.node.args):
            node = self.node.args[index]
            if not any(isinstance(a, ast.Starred) for a in self.node.args[: index + 1]):
                return node
        return None

    def opaque(self) -> bool:
        """`*args` or `**kwargs` in the call: an absent argument may still be passed."""
        return any(isinstance(a, ast.Starred) for a in self.node.args) or any(
            k.arg is None for k in self.node.keywords
        )

    def arg(self, name: str, index: int | None = None) -> Any:
        node = self.arg_node(name, index)
        if node is None:
            return UNKNOWN if self.opaque() else MISSING
        return literal(node, self.constants)


@dataclass(eq=False)
class KCall(CallArguments):
    """A call to a Keras constructor: a layer, optimizer, callback, loss, dataset loader…"""

    qualname: str  # canonical: "keras.layers.Dense"
    node: ast.Call
    line: int
    column: int
    constants: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def kind(self) -> str:
        return self.qualname.rsplit(".", 1)[-1]

    @property
    def activation(self) -> Any:
        """The activation this layer applies: a name, "linear", None (not an activating layer), or UNKNOWN."""
        if self.kind in ACTIVATION_LAYERS:
            fixed = ACTIVATION_LAYERS[self.kind]
            if fixed is not None:
                return fixed
            return read_activation(self.arg_node("activation", ACTIVATION_POSITION[ACTIVATION_LAYER]), self.constants)
        if self.kind in WEIGHT_LAYERS:
            node = self.arg_node("activation", ACTIVATION_POSITION.get(self.kind))
            if node is None:
                return UNKNOWN if self.opaque() else "linear"
            return read_activation(node, self.constants)
        return None

    @property
    def units(self) -> Any:
        size = SIZE_ARGUMENT.get(canonical_layer(self.kind)) if self.kind in WEIGHT_LAYERS else None
        return self.arg(*size) if size is not None else MISSING

    @property
    def name(self) -> str | None:
        value = self.arg("name")
        return value if isinstance(value, str) else None


def read_activation(node: ast.AST | None, constants: dict[str, Any] | None = None) -> Any:
    """`"relu"`, `None`, `keras.activations.relu`, `tf.nn.relu` → a lower-case name; else UNKNOWN."""
    if node is None:
        return "linear"
    value = literal(node, constants)
    if value is None:
        return "linear"
    if isinstance(value, str):
        return value.lower()
    full = dotted(node)
    if full is not None:
        last = _snake(full.rsplit(".", 1)[-1])
        if last in ACTIVATION_NAMES:
            return last
    return UNKNOWN


@dataclass(eq=False)
class LayerUse:
    """One element of a model: a known layer call, or None for an element the source does not tell."""

    call: KCall | None
    repeat: int | None = 1  # how many times a loop or comprehension builds it; None: unknown

    @property
    def kind(self) -> str | None:
        return self.call.kind if self.call is not None else None


@dataclass(eq=False)
class Model:
    kind: str  # sequential | functional | subclassed | loaded
    line: int
    column: int
    name: str | None = None
    layers: list[LayerUse] = field(default_factory=list)  # input to output; the tail ends at the output


@dataclass(eq=False)
class Output:
    """The model's output: the weight layer, the activation actually applied, and what feeds it."""

    layer: KCall  # the final weight layer (Dense…)
    activation: Any  # name, "linear" or UNKNOWN
    units: Any
    activation_layer: KCall | None  # an Activation/Softmax layer after it, if any
    before: LayerUse | None  # the element feeding the output layer
    normalized_logits: KCall | None  # Dense → BatchNormalization → Activation


def output_of(model: Model) -> Output | None:
    """Read the output from the end of the layer list; None when the tail is not plain."""
    layers = model.layers
    i = len(layers) - 1
    activation_layer = None
    while i >= 0 and layers[i].kind in ACTIVATION_LAYERS:
        activation_layer = activation_layer or layers[i].call
        i -= 1
    normalized = None
    if activation_layer is not None and i >= 1 and layers[i].kind in NORMALIZATION_LAYERS:
        normalized = layers[i].call
        i -= 1
    if i < 0 or layers[i].kind not in WEIGHT_LAYERS:
        return None
    layer = layers[i].call
    if layer is None:
        return None
    activation = layer.activation
    if activation_layer is not None and activation == "linear":
        activation = activation_layer.activation
    elif activation_layer is not None:
        activation = UNKNOWN  # two activations in a row: not a pattern to judge
    if normalized is not None and layer.activation != "linear":
        normalized = None
    return Output(layer, activation, layer.units, activation_layer, layers[i - 1] if i > 0 else None, normalized)


@dataclass(eq=False)
class MethodCall(CallArguments):
    """A `.compile(...)` or `.fit(...)` call, and the model it was called on when known."""

    node: ast.Call
    line: int
    column: int
    receiver: str | None
    model: Model | None
    constants: dict[str, Any] = field(default_factory=dict, repr=False)
    callbacks: tuple[str | None, ...] | None = None  # fit: callback class names (None: not known); None: unknown


@dataclass
class Script:
    path: str
    source: str
    tree: ast.Module
    spelling: Spelling
    constants: dict[str, Any]
    positions: Positions
    nodes: list[ast.AST] = field(default_factory=list, repr=False)  # ast.walk(tree), walked once
    calls: list[KCall] = field(default_factory=list)  # every Keras constructor call, in source order
    models: list[Model] = field(default_factory=list)
    compiles: list[MethodCall] = field(default_factory=list)
    fits: list[MethodCall] = field(default_factory=list)  # only fits of Keras models
    resolved: dict[int, str] = field(default_factory=dict)  # id(ast.Call) -> dotted callee, imports resolved

    def location(self, node: ast.AST | KCall | MethodCall) -> Location:
        if isinstance(node, KCall | MethodCall):
            return Location(self.path, node.line, node.column)
        line, column = self.positions.of(node)
        return Location(self.path, line, column)

    def value(self, node: ast.AST | None) -> Any:
        return literal(node, self.constants)

    def layers(self, *kinds: str) -> list[KCall]:
        return [c for c in self.calls if c.qualname.startswith("keras.layers.") and (not kinds or c.kind in kinds)]

    def model_of(self, call: MethodCall) -> Model | None:
        """The compiled model: the receiver's, or the file's only model with known layers."""
        if call.model is not None:
            return call.model
        built = [m for m in self.models if m.layers]
        return built[0] if len(built) == 1 else None

    def callees(self) -> set[str]:
        return set(self.resolved.values())
