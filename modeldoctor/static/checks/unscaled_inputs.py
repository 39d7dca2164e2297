"""unscaled-inputs (MD111), read from the source: a dataset known to be unscaled, and no scaling anywhere."""

from __future__ import annotations

import ast
from collections.abc import Iterator

from modeldoctor.static.facts import Script
from modeldoctor.static.registry import Hit, static_check
from modeldoctor.static.thresholds import StaticThresholds
from modeldoctor.static.values import is_number

# loader -> the value range it returns
UNSCALED = {
    "keras.datasets.mnist.load_data": "pixels 0 to 255",
    "keras.datasets.fashion_mnist.load_data": "pixels 0 to 255",
    "keras.datasets.cifar10.load_data": "pixels 0 to 255",
    "keras.datasets.cifar100.load_data": "pixels 0 to 255",
    "keras.utils.image_dataset_from_directory": "pixels 0 to 255",
    "keras.preprocessing.image_dataset_from_directory": "pixels 0 to 255",
    "sklearn.datasets.load_breast_cancer": "features from 0 to 4254",
    "sklearn.datasets.load_wine": "features from 0.1 to 1680",
    "sklearn.datasets.load_digits": "pixels 0 to 16",
    "sklearn.datasets.fetch_california_housing": "features from -124 to 35682",
    "sklearn.datasets.fetch_covtype": "features from -173 to 7173",
}
SCALERS = frozenset(
    {"StandardScaler", "MinMaxScaler", "RobustScaler", "MaxAbsScaler", "Normalizer", "QuantileTransformer",
     "PowerTransformer", "scale", "minmax_scale", "robust_scale", "maxabs_scale", "normalize", "Normalization",
     "Rescaling", "per_image_standardization", "convert_image_dtype", "preprocess_input", "Lambda"}
)
FIRST_LAYER_SCALES = frozenset({"BatchNormalization", "LayerNormalization", "Normalization", "Rescaling"})


def _scales_somewhere(script: Script) -> bool:
    """Any sign of scaling: a division, a small factor, a scaler, a normalizing first layer."""
    callees = script.callees()
    if any(c.rsplit(".", 1)[-1] in SCALERS for c in callees):
        return True
    if any(c.startswith("keras.applications.") for c in callees):  # some rescale inside (EfficientNet)
        return True
    for node in script.nodes:
        if isinstance(node, ast.BinOp | ast.AugAssign) and isinstance(node.op, ast.Div):
            return True
        if isinstance(node, ast.BinOp | ast.AugAssign) and isinstance(node.op, ast.Mult):
            operands = (node.left, node.right) if isinstance(node, ast.BinOp) else (node.value,)
            if any(is_number(v := script.value(o)) and abs(v) < 1 for o in operands):
                return True
        if isinstance(node, ast.keyword) and node.arg in ("rescale", "preprocessing_function"):
            return True
    return any(m.layers and m.layers[0].kind in FIRST_LAYER_SCALES for m in script.models)


@static_check("unscaled-inputs")
def unscaled_inputs(script: Script, limits: StaticThresholds) -> Iterator[Hit]:
    loads = [
        (node, script.resolved[id(node)])
        for node in script.nodes
        if isinstance(node, ast.Call) and script.resolved.get(id(node)) in UNSCALED
    ]
    if not loads or _scales_somewhere(script):
        return
    for node, loader in sorted(loads, key=lambda item: (item[0].lineno, item[0].col_offset)):
        yield Hit(
            f"{loader.rsplit('.', 1)[-1] if loader.startswith('sklearn') else loader} returns {UNSCALED[loader]}, "
            "and the script never rescales them (no division, scaler or normalization layer): "
            "weights initialized for unit-scale inputs see large ones",
            node,
            {"loader": loader, "values": UNSCALED[loader]},
            confidence=0.6,
        )


VALID = [
    "import keras\n(x, y), _ = keras.datasets.mnist.load_data()\nx = x / 255.0\n",
    "import keras\nfrom sklearn.datasets import load_wine\nfrom sklearn.preprocessing import StandardScaler\n"
    "x, y = load_wine(return_X_y=True)\nx = StandardScaler().fit_transform(x)\n",
    "import keras\nfrom keras import layers\n(x, y), _ = keras.datasets.cifar10.load_data()\n"
    "m = keras.Sequential([layers.Rescaling(1 / 255), layers.Dense(10)])\n",
    "import keras\nds = keras.utils.image_dataset_from_directory('img')\n"
    "base = keras.applications.EfficientNetB0(include_top=False)\n",
]
INVALID = [
    "import keras\n(x, y), (xt, yt) = keras.datasets.mnist.load_data()\n"
    "m = keras.Sequential([keras.layers.Flatten(), keras.layers.Dense(10, activation='softmax')])\n",
    "from sklearn.datasets import load_breast_cancer\nfrom tensorflow import keras\n"
    "x, y = load_breast_cancer(return_X_y=True)\n",
]
