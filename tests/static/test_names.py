"""The ast port of the Keras spelling must agree with the LibCST original the transforms use."""

from __future__ import annotations

import ast

import libcst as cst
import pytest

from modeldoctor.static.names import scan
from modeldoctor.transforms.engine.keras_names import scan as cst_scan

IMPORTS = [
    "import keras",
    "import keras as K",
    "from tensorflow import keras",
    "from tensorflow import keras as tfk",
    "import tensorflow as tf",
    "import tensorflow",
    "import keras.layers",
    "from keras import layers",
    "from keras import layers as L, optimizers",
    "from tensorflow.keras import layers, callbacks",
    "from keras.layers import Dense, Dropout as Drop",
    "from tensorflow.keras.layers import Dense\nfrom tensorflow.keras.models import Sequential",
    "from keras import Sequential, Input",
    "import tf_keras as keras",
    "from keras.optimizers import Adam\nimport numpy as np",
    "import keras\nimport tensorflow as tf",
    "import tensorflow as tf\nimport keras",
    "import keras as K\nimport keras",
    "import tensorflow as tf\nfrom tensorflow import keras",
    "import tensorflow.keras as tfk",
    "import keras.layers as L",
    "from keras import backend as K, utils",
    "from keras.src.layers import Dense",
]
EXPRESSIONS = [
    "keras.layers.Dense", "K.layers.Dense", "tfk.layers.Dense", "tf.keras.layers.Dense", "tensorflow.keras.Sequential",
    "layers.Dense", "L.Dense", "optimizers.Adam", "callbacks.EarlyStopping", "Dense", "Drop", "Sequential",
    "Input", "Adam", "keras.Sequential", "np.zeros", "keras.optimizers.SGD", "x.fit",
]


@pytest.mark.parametrize("imports", IMPORTS)
def test_ast_spelling_matches_libcst_spelling(imports: str) -> None:
    mine, theirs = scan(ast.parse(imports)), cst_scan(cst.parse_module(imports))
    assert (mine.root, mine.other_roots, mine.submodules, mine.from_modules, mine.names) == (
        theirs.root, theirs.other_roots, theirs.submodules, theirs.from_modules, theirs.names)
    for expression in EXPRESSIONS:
        ours = mine.qualified(ast.parse(expression, mode="eval").body)
        assert ours == theirs.qualified(cst.parse_expression(expression)), expression


def test_imports_inside_try_blocks_are_read_too() -> None:
    source = "try:\n    from tensorflow import keras\nexcept ImportError:\n    keras = None\n"
    assert scan(ast.parse(source)).root == "keras"


def test_attributes_of_imported_keras_modules_resolve() -> None:
    spelling = scan(ast.parse("from keras.applications import resnet\nfrom sklearn.datasets import load_wine as lw\n"))
    assert spelling.qualified(ast.parse("resnet.preprocess_input", mode="eval").body) == \
        "keras.applications.resnet.preprocess_input"
    assert spelling.resolve(ast.parse("lw", mode="eval").body) == "sklearn.datasets.load_wine"


def test_tf_keras_resolves_beside_a_plain_import_keras() -> None:
    for source in ("import keras\nimport tensorflow as tf\n", "import tensorflow as tf\nimport keras\n"):
        spelling = scan(ast.parse(source))
        assert spelling.root == "keras" and spelling.other_roots == ["tf.keras"]
        for expression in ("tf.keras.layers.Dense", "keras.layers.Dense"):
            assert spelling.qualified(ast.parse(expression, mode="eval").body) == "keras.layers.Dense", source


def test_a_keras_module_imported_under_another_name_is_a_root_or_a_submodule() -> None:
    dense = ast.parse("keras.layers.Dense", mode="eval").body
    assert scan(ast.parse("import tf_keras as keras")).qualified(dense) == "keras.layers.Dense"
    assert scan(ast.parse("import tensorflow.keras.layers as L")).submodules == {"layers": "L"}
