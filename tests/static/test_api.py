"""check_paths/check_source as the CLI and pre-commit use them: files, folders, errors, healthy fixtures."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from modeldoctor.rules import load_catalog
from modeldoctor.static import FileError, SourceError, check_paths, check_source, uses_keras

ROOT = Path(__file__).resolve().parents[2]
CATALOG = load_catalog()
BUGGY = "import keras\nmodel = keras.Sequential([keras.layers.Dense(10, activation='softmax')])\n" \
        "model.compile(optimizer='adam', loss='binary_crossentropy')\n"


@pytest.mark.parametrize("script", sorted((ROOT / "fixtures" / "healthy").glob("*.py")), ids=lambda p: p.name)
def test_healthy_fixtures_have_no_static_finding(script: Path) -> None:
    assert check_source(script.read_text(), str(script), CATALOG) == []


def test_a_folder_is_walked_for_keras_files_and_a_broken_file_is_an_error_not_a_crash(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text(BUGGY)
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "b.py").write_text(BUGGY)
    (tmp_path / "pkg" / "broken.py").write_text("import keras\nmodel = keras.Sequential([\n")
    (tmp_path / "plain.py").write_text("print('no keras here')\nmodel.fit(x, y, epochs=500)\n")
    (tmp_path / ".venv").mkdir()
    (tmp_path / ".venv" / "c.py").write_text(BUGGY)
    findings, errors = check_paths([tmp_path], CATALOG)
    assert sorted(Path(f.location.path).relative_to(tmp_path).as_posix() for f in findings) == ["a.py", "pkg/b.py"]
    (error,) = errors
    assert error.path.endswith("broken.py") and error.line == 2 and "SyntaxError" in error.message


def test_missing_and_unreadable_files_are_errors(tmp_path: Path) -> None:
    (tmp_path / "latin1.py").write_bytes(b"import keras\nname = '\xe9'\n")
    findings, errors = check_paths([tmp_path / "nope.py", tmp_path / "latin1.py"], CATALOG)
    assert findings == []
    assert [Path(e.path).name for e in errors] == ["nope.py", "latin1.py"]
    assert str(errors[0]).endswith("nope.py: no such file or directory")


def test_check_source_raises_source_error_with_the_position() -> None:
    with pytest.raises(SourceError) as caught:
        check_source("import keras\nx = (\n", "t.py", CATALOG)
    assert caught.value.error == FileError("t.py", "SyntaxError: '(' was never closed", 2, 4)


def test_keras_detection_covers_the_import_spellings() -> None:
    for source in ("import keras", "from tensorflow import keras", "import tensorflow as tf", "import os, keras",
                   "    from keras.layers import Dense", "import tf_keras"):
        assert uses_keras(source), source
    for source in ("import keras_tuner", "# import keras", "s = 'from keras import x'", "import torch"):
        assert not uses_keras(source), source


def test_the_static_path_imports_neither_tensorflow_keras_nor_libcst() -> None:
    code = (
        "import sys\nfrom modeldoctor.rules import load_catalog\nfrom modeldoctor.static import check_paths\n"
        f"findings, errors = check_paths([{str(ROOT / 'fixtures')!r}], load_catalog())\n"
        "assert findings and errors, (findings, errors)\n"
        "heavy = sorted({m.split('.')[0] for m in sys.modules} & {'tensorflow', 'keras', 'libcst', 'jax', 'torch'})\n"
        "print(heavy)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
