"""The Keras vocabulary agrees with itself, and with the Keras source installed beside it (read, never imported)."""

from __future__ import annotations

import ast
import importlib.util
import subprocess
import sys
from functools import cache
from pathlib import Path

import pytest

from modeldoctor import vocabulary as v

ROLES = ("initializer", "regularizer", "constraint")


# --- the tables agree with each other ---------------------------------------------------------------


def test_every_pairing_names_known_losses_and_activations() -> None:
    assert set(v.CROSSENTROPY) == set(v.CROSSENTROPY_LOSS) == {k for k in v.LOSSES.values() if k != "regression"}
    assert v.PROBABILITIES <= v.ACTIVATIONS and v.LOGITS in v.ACTIVATIONS
    for kind, name in v.CROSSENTROPY_LOSS.items():
        assert v.LOSSES[name] == kind and v.loss_kind(name) == kind
        assert v.expected_activation(kind, False) == v.CROSSENTROPY[kind]
        assert v.expected_activation(kind, True) == v.LOGITS
    assert v.expected_activation("regression", False) is None
    assert set(v.LOSS_ALIASES.values()) <= set(v.LOSSES)


@pytest.mark.parametrize(
    ("spelled", "canonical"),
    [("bce", "binary_crossentropy"), ("BinaryCrossentropy", "binary_crossentropy"), ("MSE", "mean_squared_error"),
     ("SparseCategoricalCrossentropy", "sparse_categorical_crossentropy"), ("LogCosh", "log_cosh"),
     ("logcosh", "log_cosh"), ("hinge", None)],
)  # fmt: skip
def test_a_loss_is_known_however_it_is_spelled(spelled: str, canonical: str | None) -> None:
    assert v.loss_name(spelled) == canonical


def test_activation_families_are_activations() -> None:
    names = v.ACTIVATION_NAMES
    for family in (v.SATURATING, v.DYING, v.RELU_LIKE, v.SELF_NORMALIZING, v.UNIT_INTERVAL, v.NOT_PROBABILITIES):
        assert family <= names, family - names
    assert v.PROBABILITIES <= v.UNIT_INTERVAL and not v.PROBABILITIES & v.NOT_PROBABILITIES
    assert v.DYING <= v.RELU_LIKE and not v.SATURATING & v.RELU_LIKE
    assert v.HE_INITIALIZED == v.RELU_LIKE - v.SELF_NORMALIZING
    assert set(v.ACTIVATION_ALIASES.values()) <= v.ACTIVATIONS
    assert v.canonical_activation("Swish") == "silu" and v.canonical_activation("LeakyReLU") == "leaky_relu"


def test_one_list_of_kernel_layers_with_every_spelling() -> None:
    families = (v.DENSE_LAYERS, v.CONV_LAYERS, v.RECURRENT_LAYERS, v.EMBEDDING_LAYERS)
    assert sum(len(f) for f in families) == len(frozenset().union(*families))  # no class in two families
    assert set(v.LAYER_ALIASES.values()) <= v.DENSE_LAYERS | v.CONV_LAYERS
    assert v.FEEDFORWARD_LAYERS <= v.KERNEL_LAYERS and set(v.LAYER_ALIASES) <= v.FEEDFORWARD_LAYERS
    assert {"SeparableConv2D", "DepthwiseConv2D", "Conv2DTranspose", "EinsumDense"} <= v.FEEDFORWARD_LAYERS
    assert set(v.WEIGHTS) <= v.KERNEL_LAYERS and set(v.SIZE_ARGUMENT) <= v.KERNEL_LAYERS
    assert set(v.POSITIONAL_LIMIT) <= v.KERNEL_LAYERS | {v.ACTIVATION_LAYER}


@pytest.mark.parametrize(
    ("layer", "arguments"),
    [("Dense", ("kernel_regularizer",)), ("Convolution2D", ("kernel_regularizer",)),
     ("SeparableConv2D", ("depthwise_regularizer", "pointwise_regularizer")),
     ("SeparableConvolution1D", ("depthwise_regularizer", "pointwise_regularizer")),
     ("DepthwiseConv2D", ("depthwise_regularizer",)), ("Embedding", ("embeddings_regularizer",)),
     ("LSTM", ("kernel_regularizer",))],
)  # fmt: skip
def test_kernel_arguments_are_named_per_class(layer: str, arguments: tuple[str, ...]) -> None:
    assert v.kernel_arguments(layer, "regularizer") == arguments


def test_import_spellings() -> None:
    assert v.canonical_module("tensorflow.keras.layers") == "keras.layers"
    assert v.canonical_module("keras.src.layers") == "keras.layers"
    assert v.canonical_module("kerasx") is None and v.canonical_module("tensorflow") is None
    assert v.import_binding("tensorflow", "tf") == ("root", "tf.keras")
    assert v.import_binding("tf_keras", "keras") == ("root", "keras")
    assert v.import_binding("keras.layers", None) == ("root", "keras")
    assert v.import_binding("keras.optimizers", "O") == ("optimizers", "O")
    assert v.import_binding("numpy", "np") is None
    others: list[str] = []
    assert v.add_root(v.add_root(None, others, "tf.keras"), others, "keras") == "keras" and others == ["tf.keras"]
    assert set(v.KERAS_PACKAGES) == {"keras", "tensorflow", "tf_keras"}


def test_every_learning_rate_range_is_a_known_optimizer() -> None:
    from modeldoctor.static.checks.learning_rate import RANGES

    assert set(RANGES) <= set(v.OPTIMIZER_ARGS) == set(v.DEFAULT_LEARNING_RATE)
    assert v.LEARNING_RATE in v.COMMON_OPTIMIZER_ARGS


def test_importing_it_imports_nothing_heavy() -> None:
    heavy = "{'keras', 'tensorflow', 'libcst', 'numpy'}"
    code = f"import sys, modeldoctor.vocabulary; print(sorted({heavy} & set(sys.modules)))"
    here = Path(__file__).parents[1]  # the checkout under test, not an installed modeldoctor
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=here)
    assert done.stdout == "[]\n"


# --- the tables agree with the Keras source ---------------------------------------------------------

SPEC = importlib.util.find_spec("keras")  # finds the package without importing it
KERAS = Path(SPEC.origin).parent if SPEC and SPEC.origin else None
needs_keras = pytest.mark.skipif(KERAS is None or not (KERAS / "src").is_dir(), reason="no Keras 3 source installed")


@cache
def exports(sub: str) -> dict[str, tuple[str, str]]:
    """`keras.<sub>`'s public names -> (the keras.src module, the name there), from its generated __init__."""
    tree = ast.parse((KERAS / sub / "__init__.py").read_text())  # type: ignore[operator]
    return {a.asname or a.name: (n.module or "", a.name) for n in tree.body if isinstance(n, ast.ImportFrom)
            for a in n.names}  # fmt: skip


def init_args(sub: str, name: str) -> tuple[list[str], dict[str, object]]:
    """The constructor's argument names (after self) and literal defaults of the class `keras.<sub>.<name>`."""
    module, original = exports(sub)[name]
    tree = ast.parse((KERAS.parent / Path(*module.split("."))).with_suffix(".py").read_text())  # type: ignore[union-attr]
    cls = next(n for n in ast.walk(tree) if isinstance(n, ast.ClassDef) and n.name == original)
    init = next(n for n in cls.body if isinstance(n, ast.FunctionDef) and n.name == "__init__")
    plain = [a.arg for a in init.args.args][1:]
    defaults = {a: ast.literal_eval(d) for a, d in zip(plain[::-1], init.args.defaults[::-1])
                if isinstance(d, ast.Constant)}  # fmt: skip
    return plain + [a.arg for a in init.args.kwonlyargs], defaults


@needs_keras
def test_every_submodule_and_class_is_exported_by_keras() -> None:
    public = {p.name for p in KERAS.iterdir() if (p / "__init__.py").is_file() and not p.name.startswith(("_", "src"))}
    assert set(v.SUBMODULES) <= public
    layers = exports("layers")
    assert v.KERNEL_LAYERS | set(v.ACTIVATION_LAYERS) | {v.ACTIVATION_LAYER} <= set(layers)
    assert all(layers[alias][1] == layers[name][1] for alias, name in v.LAYER_ALIASES.items())
    assert {m.rsplit(".", 1)[1] for m in v.SEQUENTIAL_MODELS | v.FUNCTIONAL_MODELS} <= set(exports("models"))
    assert v.ACTIVATIONS <= set(exports("activations"))
    losses = exports("losses")
    assert set(v.LOSSES) | {v.loss_class(name) for name in v.LOSSES} <= set(losses)


@needs_keras
@pytest.mark.parametrize("layer", sorted(v.KERNEL_LAYERS | {v.ACTIVATION_LAYER}))
def test_layer_arguments_are_the_constructors(layer: str) -> None:
    names, _ = init_args("layers", layer)
    if layer != v.ACTIVATION_LAYER:
        assert {k for role in ROLES for k in v.kernel_arguments(layer, role)} <= set(names)
    if v.canonical_layer(layer) in v.RECURRENT_LAYERS:
        assert f"{v.RECURRENT_KERNEL}_initializer" in names
    size = v.SIZE_ARGUMENT.get(v.canonical_layer(layer))
    if size is not None:
        assert names[size[1]] == size[0]
    if layer in v.ACTIVATION_POSITION:
        assert names[v.ACTIVATION_POSITION[layer]] == "activation"
    # The positional arguments an edit accepts hold nothing it reads or sets, but an activation where it looks.
    unread = {"activation"} - ({"activation"} if layer in v.ACTIVATION_POSITION else set())
    edited = {k for role in ROLES for k in v.kernel_arguments(layer, role)} | {"activity_regularizer"}
    assert not (unread | edited) & set(names[: v.POSITIONAL_LIMIT.get(layer, 1)])


@needs_keras
@pytest.mark.parametrize("optimizer", sorted(v.OPTIMIZER_ARGS))
def test_optimizer_arguments_and_default_learning_rates_are_the_constructors(optimizer: str) -> None:
    names, defaults = init_args("optimizers", optimizer)
    assert names[v.LEARNING_RATE_POSITION] == v.LEARNING_RATE
    assert v.OPTIMIZER_ARGS[optimizer] <= set(names)
    assert defaults[v.LEARNING_RATE] == v.DEFAULT_LEARNING_RATE[optimizer]
