"""The Keras vocabulary: the facts about Keras that the probe, the static checks and the transforms share.

How Keras is imported and which submodules it has; which layer classes own
a kernel and what their weight arguments are called; which loss expects
which output activation; the families of activations; what optimizers take.
Pure data and tiny helpers: no import of Keras, TensorFlow or LibCST, so the
probe's child, the `ast` static path and the LibCST transforms all import it
for nothing. `tests/test_vocabulary.py` checks that the tables agree.
"""

from __future__ import annotations

import math

from collections.abc import Iterable, Mapping
from typing import Protocol

# --- import spellings ---------------------------------------------------------------------------
# Module paths that name Keras itself, most specific first: `from <path>.layers import Dense`.
KERAS_MODULES = ("keras.src", "keras", "tensorflow.keras", "tf_keras")
TENSORFLOW = "tensorflow"  # `import tensorflow as tf` binds Keras at `tf.keras`
KERAS_PACKAGES = tuple(dict.fromkeys(module.partition(".")[0] for module in KERAS_MODULES))  # keras, tensorflow…
# Keras 3's public submodules: `from keras import layers as L` binds a submodule, not a name.
SUBMODULES = (
    "activations", "applications", "backend", "callbacks", "config", "constraints", "datasets", "distillation",
    "distribution", "dtype_policies", "export", "initializers", "layers", "legacy", "losses", "metrics",
    "mixed_precision", "models", "ops", "optimizers", "preprocessing", "quantizers", "random", "regularizers",
    "saving", "tree", "utils", "visualization", "wrappers",
)  # fmt: skip
SEQUENTIAL_MODELS = frozenset({"keras.Sequential", "keras.models.Sequential"})
FUNCTIONAL_MODELS = frozenset({"keras.Model", "keras.models.Model"})  # also the base of subclassed models


def canonical_module(module: str) -> str | None:
    """`tensorflow.keras.layers` -> `keras.layers`; None for a module that is not Keras."""
    for prefix in KERAS_MODULES:
        if module == prefix or module.startswith(prefix + "."):
            return "keras" + module[len(prefix) :]
    return None


def import_binding(module: str, alias: str | None) -> tuple[str, str] | None:
    """What `import module [as alias]` binds: ("root", "tf.keras"), ("layers", "L"), or None (not Keras)."""
    canonical = canonical_module(module)
    if alias is None:
        top = module.partition(".")[0]
        if top == TENSORFLOW:
            return "root", f"{TENSORFLOW}.keras"
        return ("root", top) if canonical_module(top) == "keras" else None
    if module == TENSORFLOW:
        return "root", f"{alias}.keras"
    if canonical == "keras":
        return "root", alias
    sub = canonical[len("keras.") :] if canonical else ""
    return (sub, alias) if sub in SUBMODULES else None


def from_import_binding(module: str, imported: str) -> tuple[str, str] | None:
    """What `from module import imported` binds, for both import readers (`ast` and LibCST):

    ("root", "")           `from tensorflow import keras`
    ("submodule", "layers") `from keras import layers`
    ("name", canonical)    `from keras.layers import Dense` -> "keras.layers.Dense"; also a name from a
                           module below a submodule: `from keras.layers.core import Dense` (a Keras 2
                           spelling Keras 3 removed) -> "keras.layers.core.Dense", so rules can read it
    None                   not Keras (also `keras.engine.topology`, gone, is a Keras module: rules read it)
    """
    canonical = canonical_module(module)
    if module == TENSORFLOW and imported == "keras":
        return "root", ""
    if canonical is None:
        return None
    if canonical == "keras":
        return ("submodule", imported) if imported in SUBMODULES else ("name", f"keras.{imported}")
    return "name", f"{canonical}.{imported}"


class Bindings(Protocol):
    """What both import readers keep (`static.names.Spelling`, `transforms.engine.keras_names.KerasNames`)."""

    root: str | None
    other_roots: list[str]
    submodules: dict[str, str]
    from_modules: dict[str, str]
    names: dict[str, str]


def bind_from_import(into: Bindings, module: str, imported: str, bound: str) -> bool:
    """Record what `from module import imported as bound` binds; False when it is not Keras."""
    binding = from_import_binding(module, imported)
    if binding is None:
        return False
    if binding[0] == "root":
        into.root = add_root(into.root, into.other_roots, bound)
    elif binding[0] == "submodule":
        into.submodules[imported] = bound
    else:
        canonical = canonical_module(module) or ""
        if canonical.count(".") == 1:
            into.from_modules.setdefault(canonical.split(".")[1], module)
        into.names[binding[1]] = bound
    return True


def add_root(root: str | None, others: list[str], new: str) -> str:
    """The root new code uses once `new` is bound too (a bare `keras` beats `tf.keras`); `others` gets the rest."""
    if root is None or new == root:
        return new
    if new not in others:
        if "." not in new and "." in root:
            others.append(root)
            return new
        others.append(new)
    return root


# --- layers ---------------------------------------------------------------------------------------
DENSE_LAYERS = frozenset({"Dense", "EinsumDense"})
CONV_LAYERS = frozenset(
    {*(f"Conv{d}D" for d in (1, 2, 3)), *(f"Conv{d}DTranspose" for d in (1, 2, 3)),
     "SeparableConv1D", "SeparableConv2D", "DepthwiseConv1D", "DepthwiseConv2D"}
)  # fmt: skip
RECURRENT_LAYERS = frozenset({"SimpleRNN", "LSTM", "GRU", "ConvLSTM1D", "ConvLSTM2D", "ConvLSTM3D"})
EMBEDDING_LAYERS = frozenset({"Embedding"})
# Other names Keras exports for the same class.
LAYER_ALIASES = {
    **{f"Convolution{d}D": f"Conv{d}D" for d in (1, 2, 3)},
    **{f"Convolution{d}DTranspose": f"Conv{d}DTranspose" for d in (1, 2, 3)},
    "SeparableConvolution1D": "SeparableConv1D", "SeparableConvolution2D": "SeparableConv2D",
}  # fmt: skip


def spellings(classes: frozenset[str]) -> frozenset[str]:
    """The classes with every other name Keras exports them under: what a source file may write."""
    return classes | {alias for alias, name in LAYER_ALIASES.items() if name in classes}


# Feed-forward layers with a kernel: the "hidden Dense/Conv layers" cures without a run record edit.
FEEDFORWARD_LAYERS = spellings(DENSE_LAYERS | CONV_LAYERS)
KERNEL_LAYERS = spellings(DENSE_LAYERS | CONV_LAYERS | RECURRENT_LAYERS | EMBEDDING_LAYERS)

# The weights a layer's constructor configures, as the prefix of its arguments: `kernel` ->
# kernel_initializer, kernel_regularizer, kernel_constraint. Every other kernel layer has ("kernel",);
# recurrent layers also have RECURRENT_KERNEL (recurrent_initializer, orthogonal by default).
WEIGHTS = {
    "SeparableConv1D": ("depthwise", "pointwise"),
    "SeparableConv2D": ("depthwise", "pointwise"),
    "DepthwiseConv1D": ("depthwise",),
    "DepthwiseConv2D": ("depthwise",),
    "Embedding": ("embeddings",),
}
RECURRENT_KERNEL = "recurrent"
# The argument that sets the layer's output width, and its position; absent: none does (Depthwise: depth_multiplier).
SIZE_ARGUMENT = {
    "Dense": ("units", 0), "Embedding": ("output_dim", 1),
    **{name: ("filters", 0) for name in CONV_LAYERS | RECURRENT_LAYERS if "Conv" in name and "Depthwise" not in name},
    **{name: ("units", 0) for name in RECURRENT_LAYERS if "Conv" not in name},
}  # fmt: skip
ACTIVATION_LAYER = "Activation"  # the layer that applies the activation it is given
ACTIVATION_POSITION = {"Dense": 1, ACTIVATION_LAYER: 0}  # where the activation may be passed positionally
# How many leading positional arguments an edit can tell apart (1 where absent): name the others.
POSITIONAL_LIMIT = {"Dense": 2, "EinsumDense": 2, ACTIVATION_LAYER: 1, "Embedding": 2}
POSITIONAL_LIMIT |= dict.fromkeys(spellings(CONV_LAYERS), 6)  # filters, kernel_size, strides, padding…
ACTIVATION_LAYERS = {"ReLU": "relu", "LeakyReLU": "leaky_relu", "PReLU": "prelu", "ELU": "elu", "Softmax": "softmax"}


def canonical_layer(name: str) -> str:
    """`Convolution2D` -> `Conv2D`; any other name unchanged."""
    return LAYER_ALIASES.get(name, name)


def kernel_arguments(layer: str, role: str) -> tuple[str, ...]:
    """The arguments setting `role` ("regularizer", "initializer", "constraint") of a layer's input kernels.

    `kernel_regularizer` for Dense, Conv2D and LSTM (not its recurrent kernel);
    `depthwise_regularizer` and `pointwise_regularizer` for SeparableConv2D;
    `embeddings_regularizer` for Embedding.
    """
    return tuple(f"{prefix}_{role}" for prefix in WEIGHTS.get(canonical_layer(layer), ("kernel",)))


# --- activations ----------------------------------------------------------------------------------
ACTIVATIONS = frozenset(
    {"celu", "elu", "exponential", "gelu", "glu", "hard_shrink", "hard_sigmoid", "hard_silu", "hard_tanh",
     "leaky_relu", "linear", "log_sigmoid", "log_softmax", "mish", "relu", "relu6", "selu", "sigmoid", "silu",
     "soft_shrink", "softmax", "softplus", "softsign", "sparse_plus", "sparse_sigmoid", "sparsemax", "squareplus",
     "tanh", "tanh_shrink", "threshold"}
)  # fmt: skip  (keras.activations)
ACTIVATION_ALIASES = {"swish": "silu", "hard_swish": "hard_silu", "leakyrelu": "leaky_relu", "none": "linear"}
LOGITS = "linear"  # no activation: the output is logits
SATURATING = frozenset({"sigmoid", "tanh", "hard_sigmoid"})  # flat tails: derivatives near zero
DYING = frozenset({"relu", "relu6"})  # zero gradient for every negative input: units can die
RELU_LIKE = frozenset({"relu", "relu6", "leaky_relu", "elu", "gelu", "silu", "swish", "mish", "celu", "selu"})
SELF_NORMALIZING = frozenset({"selu"})  # LeCun initialization, not He
HE_INITIALIZED = RELU_LIKE - SELF_NORMALIZING
# Every name an output activation may be read as: the functions, their other names, the layers' own.
ACTIVATION_NAMES = ACTIVATIONS | (set(ACTIVATION_ALIASES) - {"none"}) | set(ACTIVATION_LAYERS.values())
# Outputs in [0, 1] (or a distribution): probabilities, or close enough not to be judged.
UNIT_INTERVAL = frozenset({"sigmoid", "hard_sigmoid", "sparse_sigmoid", "softmax", "sparsemax"})
NOT_PROBABILITIES = ACTIVATION_NAMES - UNIT_INTERVAL
# The values an output activation can take (low, high): targets outside them cannot be fitted.
OUTPUT_RANGE = {"relu": (0.0, math.inf), "relu6": (0.0, 6.0), "softplus": (0.0, math.inf),
                "exponential": (0.0, math.inf), "sigmoid": (0.0, 1.0), "hard_sigmoid": (0.0, 1.0),
                "softmax": (0.0, 1.0), "tanh": (-1.0, 1.0), "softsign": (-1.0, 1.0), "elu": (-1.0, math.inf)}


def canonical_activation(name: str) -> str:
    """One spelling per activation: "swish" is "silu", "LeakyReLU" is "leaky_relu"."""
    return ACTIVATION_ALIASES.get(name.lower(), name.lower())


# --- losses and the output activation each expects -----------------------------------------------
# Canonical loss name (keras.losses function) -> the task: binary | categorical | sparse | regression.
LOSSES = {
    "binary_crossentropy": "binary", "binary_focal_crossentropy": "binary",
    "categorical_crossentropy": "categorical", "categorical_focal_crossentropy": "categorical",
    "sparse_categorical_crossentropy": "sparse",
    "mean_squared_error": "regression", "mean_absolute_error": "regression",
    "mean_absolute_percentage_error": "regression", "mean_squared_logarithmic_error": "regression",
    "huber": "regression", "log_cosh": "regression",
}  # fmt: skip
LOSS_ALIASES = {"bce": "binary_crossentropy", "cce": "categorical_crossentropy",
                "scce": "sparse_categorical_crossentropy", "mse": "mean_squared_error",
                "mae": "mean_absolute_error", "mape": "mean_absolute_percentage_error",
                "msle": "mean_squared_logarithmic_error", "logcosh": "log_cosh"}  # fmt: skip
# A cross-entropy's task -> the activation whose probabilities it expects (unless from_logits=True: LOGITS).
CROSSENTROPY = {"binary": "sigmoid", "categorical": "softmax", "sparse": "softmax"}
# The plain cross-entropy of each task: what a cure writes.
CROSSENTROPY_LOSS = {"binary": "binary_crossentropy", "categorical": "categorical_crossentropy",
                     "sparse": "sparse_categorical_crossentropy"}  # fmt: skip
PROBABILITIES = frozenset(CROSSENTROPY.values())
_BY_KEY = {name.replace("_", ""): name for name in LOSSES} | {
    alias.replace("_", ""): name for alias, name in LOSS_ALIASES.items()
}


def loss_name(name: str) -> str | None:
    """The canonical name of a loss however it is spelled ("bce", "BinaryCrossentropy", "mse"); None: not known."""
    return _BY_KEY.get(name.replace("_", "").lower())


def loss_kind(name: str) -> str | None:
    """binary | categorical | sparse | regression for a known loss, else None."""
    canonical = loss_name(name)
    return LOSSES[canonical] if canonical else None


def loss_class(name: str) -> str:
    """The `keras.losses` class of a canonical loss name: "binary_crossentropy" -> "BinaryCrossentropy"."""
    return "".join(part.capitalize() for part in name.split("_"))


def expected_activation(kind: str, from_logits: bool | None) -> str | None:
    """The output activation a cross-entropy of this task expects; None for a loss that expects none."""
    if kind not in CROSSENTROPY:
        return None
    return LOGITS if from_logits else CROSSENTROPY[kind]


# --- optimizers -----------------------------------------------------------------------------------
LEARNING_RATE = "learning_rate"  # every Keras optimizer's first argument
LEARNING_RATE_POSITION = 0
LEGACY_LEARNING_RATE = "lr"  # Keras 2's spelling, removed in Keras 3
# What every Keras optimizer takes (jit_compile: tf.keras 2.11+ only, kept when the user wrote it).
COMMON_OPTIMIZER_ARGS = frozenset(
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
DEFAULT_LEARNING_RATE = {name: 0.01 if name == "SGD" else 0.001 for name in OPTIMIZER_ARGS}


def qualify(full: str, root: str | None, other_roots: Iterable[str], submodules: Mapping[str, str],
            names: Mapping[str, str]) -> str | None:
    """The canonical `keras.<sub>.<Name>` of a dotted name as one file spells it, or None when it is not Keras.

    The one reading of a spelling that both the `ast` (static) and the LibCST (transforms) readers use:
    `names` maps canonical names to the local names imported, `submodules` Keras submodules to their aliases.
    """
    for canonical, local in names.items():
        if full == local:
            return canonical
    for base in filter(None, (root, *other_roots)):
        if full.startswith(base + "."):
            return "keras." + full[len(base) + 1:]
    head, _, rest = full.partition(".")
    for sub, alias in submodules.items():
        if head == alias and rest:
            return f"keras.{sub}.{rest}"
    for canonical, local in names.items():
        if head == local and rest:
            return f"{canonical}.{rest}"
    return None
