"""Migration rules (MD5xx): the finder and the cure read one table, on every import style and on the corpus.

No TensorFlow here: the corpus scripts are read and migrated, never run
(tests/test_migration_cli.py and benchmarks/migration.py run them).
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import libcst as cst
import pytest

from modeldoctor.ftypes import Applicability, Family
from modeldoctor.prescribe import prescribe
from modeldoctor.rules import RuleError, load_catalog, parse_rule
from modeldoctor.static import check_source
from modeldoctor.transforms import available
from modeldoctor.transforms.engine.base import run
from modeldoctor.treatment import treat

ROOT = Path(__file__).resolve().parents[2]
CATALOG = load_catalog()
TRANSFORMS = available()
LEGACY = [rule for rule in CATALOG.rules if rule.legacy is not None]
CORPUS = sorted((ROOT / "fixtures" / "legacy").glob("*.py"))
KERAS3 = sorted(p for p in (ROOT / "fixtures").rglob("*.py") if not {"legacy", "broken"} & set(p.parts))
EXAMPLES = [(rule, example) for rule in LEGACY for example in rule.examples]


def codes(source: str, path: str = "train.py") -> list[str]:
    return [f.code for f in check_source(source, path, CATALOG) if f.family is Family.LEGACY]


def migrate(source: str, path: str = "train.py", unsafe: bool = True) -> str:
    found = [f for f in check_source(source, path, CATALOG) if f.family is Family.LEGACY]
    return treat(source, prescribe(found, CATALOG, [], TRANSFORMS, unsafe), TRANSFORMS).source


def test_the_family_is_the_md5_range_and_every_rule_has_a_kind_a_cure_and_references():
    assert len(LEGACY) >= 20
    for rule in LEGACY:
        assert rule.code.startswith("MD5") and rule.family is Family.LEGACY, rule.path
        assert rule.cures and "migrating_to_keras_3" in " ".join(rule.explanation.references), rule.path
        fixable = rule.cures[0].applicability is not Applicability.DISPLAY_ONLY
        assert fixable == bool(rule.examples), f"{rule.path}: a fixable rule shows its cure; a display-only one cannot"


@pytest.mark.parametrize("rule, example", EXAMPLES, ids=[f"{r.code}-{e.title[:30]}" for r, e in EXAMPLES])
def test_the_finder_reports_what_the_cure_rewrites(rule, example):
    """Each example is the rule's INVALID (before) and VALID (after) case: one table drives both."""
    assert rule.code in codes(example.before), f"{rule.code} does not find its own example"
    assert rule.code not in codes(example.after), f"{rule.code} still reports what its cure wrote"


def test_one_finding_per_site_and_one_cure_for_all_sites():
    source = "import keras\na = keras.optimizers.Adam(lr=0.1)\nb = keras.optimizers.SGD(lr=0.5)\n"
    found = check_source(source, "train.py", CATALOG)
    assert [(f.code, f.location.line) for f in found] == [("MD501", 2), ("MD501", 3)]
    prescriptions = prescribe(found, CATALOG, [], TRANSFORMS, unsafe=False)
    assert len(prescriptions) == 1, "a cure that edits by pattern is prescribed once for all its sites"
    assert treat(source, prescriptions, TRANSFORMS).source == source.replace("lr=", "learning_rate=")


STYLES = {
    "import keras": ("import keras\nopt = keras.optimizers.Adam(lr=0.1)\n",
                     "import keras\nopt = keras.optimizers.Adam(learning_rate=0.1)\n"),
    "from tensorflow import keras": ("from tensorflow import keras\nopt = keras.optimizers.Adam(lr=0.1)\n",
                                     "from tensorflow import keras\nopt = keras.optimizers.Adam(learning_rate=0.1)\n"),
    "import tensorflow as tf": ("import tensorflow as tf\nopt = tf.keras.optimizers.Adam(lr=0.1)\n",
                                "import tensorflow as tf\nopt = tf.keras.optimizers.Adam(learning_rate=0.1)\n"),
    "from keras import optimizers": ("from keras import optimizers as O\nopt = O.Adam(lr=0.1)\n",
                                     "from keras import optimizers as O\nopt = O.Adam(learning_rate=0.1)\n"),
    "from keras.optimizers import Adam": ("from keras.optimizers import Adam\nopt = Adam(lr=0.1)\n",
                                          "from keras.optimizers import Adam\nopt = Adam(learning_rate=0.1)\n"),
    "from tensorflow.keras.optimizers import Adam": (
        "from tensorflow.keras.optimizers import Adam\nopt = Adam(lr=0.1)\n",
        "from tensorflow.keras.optimizers import Adam\nopt = Adam(learning_rate=0.1)\n"),
}


@pytest.mark.parametrize("style", STYLES)
def test_every_import_style(style):
    before, after = STYLES[style]
    assert codes(before) == ["MD501"]
    assert migrate(before) == after and codes(after) == []


def test_moved_modules_keep_the_files_own_prefix_and_comments():
    before = textwrap.dedent("""\
        import keras.backend as K  # backend
        from tensorflow.keras.layers.core import Dense  # layers
        from keras.layers.convolutional import (
            Conv2D,  # the conv
            MaxPooling2D,
        )
        x = K.sum(y)
        """)
    after = textwrap.dedent("""\
        import keras.backend as K  # backend
        from tensorflow.keras.layers import Dense  # layers
        from keras.layers import (
            Conv2D,  # the conv
            MaxPooling2D,
        )
        import keras

        x = keras.ops.sum(y)
        """)
    assert sorted(set(codes(before))) == ["MD504", "MD511"]
    assert migrate(before) == after
    assert migrate(after) == after


def test_positional_kernel_is_silent_in_keras_3_and_reported():
    assert codes("from keras.layers import Conv2D\nc = Conv2D(32, 3, 3, activation='relu')\n") == ["MD521"]
    assert codes("from keras.layers import Conv2D\nc = Conv2D(32, (3, 3), (2, 2))\n") == []
    assert codes("from keras.layers import Conv2D\nc = Conv2D(32, 3, strides=2)\n") == []


def test_predict_classes_declines_when_the_output_is_not_stated():
    spec = TRANSFORMS["predict_classes"]
    source = "import keras\nmodel = build()\nlabels = model.predict_classes(x)\n"
    outcome = run(spec, source, {})
    assert outcome.source == source and "sigmoid unit or several" in (outcome.declined or "")
    binary = "import keras\nout = keras.layers.Dense(1, activation='sigmoid')\nlabels = model.predict_classes(x)\n"
    assert run(spec, binary, {}).source.endswith('labels = (model.predict(x) > 0.5).astype("int32")\n')


def test_decay_without_a_rate_uses_the_optimizers_default():
    before = "from keras.optimizers import SGD\nopt = SGD(decay=1e-4, momentum=0.9)\n"
    after = migrate(before)
    assert "InverseTimeDecay(initial_learning_rate=0.01, decay_steps=1, decay_rate=1e-4)" in after
    assert "from keras.optimizers.schedules import InverseTimeDecay" in after and codes(after) == []


def test_image_dim_ordering_is_renamed_only_where_it_is_compared():
    stored = "from keras import backend as K\nordering = K.image_dim_ordering()\n"
    assert codes(stored) == ["MD510"]
    assert migrate(stored) == stored, "a stored answer ('th') cannot be renamed faithfully"


def test_display_only_rules_report_with_the_replacement_to_use():
    found = check_source("from keras.layers import Merge\nfrom keras.utils import multi_gpu_model\n", "t.py", CATALOG)
    messages = " ".join(f.message for f in found if f.code == "MD515")
    assert "Concatenate" in messages and "MirroredStrategy" in messages
    fit = "import keras\nmodel.fit_generator(gen, samples_per_epoch=1000, nb_epoch=5)\n"
    assert {"MD502", "MD508", "MD517"} <= set(codes(fit))


def test_an_unknown_kind_is_a_rule_error():
    data = {"code": "MD599", "name": "made-up", "family": "legacy", "severity": "error", "summary": "s",
            "legacy": {"kind": "telepathy"},
            "explanation": {k: "x" for k in ("what", "why", "example", "fix_safety")} | {"references": []}}
    rule = parse_rule(Path("MD599-made-up.toml"), data)
    from modeldoctor.static.legacy import legacy_rules

    with pytest.raises(RuleError, match="telepathy"):
        legacy_rules((rule,))


def test_keras_3_fixtures_get_no_migration_finding():
    assert KERAS3, "the Keras 3 fixtures are where this test expects them"
    noisy = {p.name: codes(p.read_text(encoding="utf-8"), str(p)) for p in KERAS3}
    assert {name: found for name, found in noisy.items() if found} == {}


@pytest.mark.parametrize("path", CORPUS, ids=[p.stem[:50] for p in CORPUS])
def test_every_corpus_script_is_found(path):
    assert codes(path.read_text(encoding="utf-8"), str(path)), \
        f"{path.name}: no migration rule fires on a script that fails on Keras 3"


@pytest.mark.slow  # seconds per script: every cure runs twice through LibCST (the fixed-point proof)
@pytest.mark.parametrize("path", CORPUS, ids=[p.stem[:50] for p in CORPUS])
def test_the_corpus_is_migrated_to_a_fixed_point(path):
    source = path.read_text(encoding="utf-8")
    migrated = migrate(source, str(path))
    cst.parse_module(migrated)
    assert migrate(migrated, str(path)) == migrated, "migrating twice changes more"
    fixable = {r.code for r in LEGACY if r.cures[0].applicability is not Applicability.DISPLAY_ONLY}
    left = {f.code for f in check_source(migrated, str(path), CATALOG) if f.family is Family.LEGACY
            and f.code in fixable and (f.evidence.get("new") or "old" not in f.evidence)}
    assert left <= {"MD510", "MD519"}, f"{path.name}: a cure left what it treats: {sorted(left)}"


def test_a_whole_model_checkpointed_to_h5_is_what_keras_3_accepts():
    """Keras 3's ModelCheckpoint writes a whole model to .keras or .h5 (the public examples gallery does the
    latter); only weights need .weights.h5."""
    header = "import keras\n\n"
    assert "MD522" not in codes(header + "cb = keras.callbacks.ModelCheckpoint('best_model.h5', save_best_only=True)\n")
    assert "MD522" in codes(header + "cb = keras.callbacks.ModelCheckpoint('best.hdf5', save_best_only=True)\n")
    assert "MD522" in codes(header + "cb = keras.callbacks.ModelCheckpoint('w.h5', save_weights_only=True)\n")
