"""`Doctor()` and `watch()` in a plain Python process: one implementation with the probe, config-driven, reversible."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

from conftest import ROOT

PRELUDE = """\
import json, os
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
import keras
from sklearn.datasets import load_breast_cancer
from sklearn.preprocessing import StandardScaler
import modeldoctor
from modeldoctor import Doctor

x, y = load_breast_cancer(return_X_y=True)
x = StandardScaler().fit_transform(x)


def build():
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input(shape=(30,)), keras.layers.Dense(16, activation="relu"),
                              keras.layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.7, momentum=0.9), loss="binary_crossentropy")
    return model


def fit(model, **kwargs):
    return model.fit(x, y, epochs=20, batch_size=64, validation_split=0.2, verbose=0, **kwargs)
"""


def run(tmp_path, body: str) -> subprocess.CompletedProcess[str]:
    script = tmp_path / "train.py"
    script.write_text(PRELUDE + textwrap.dedent(body), encoding="utf-8")
    env = dict(os.environ, NO_COLOR="1", PYTHONPATH=os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p))
    result = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, cwd=tmp_path, env=env,
                            timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    return result


def test_import_modeldoctor_and_the_doctor_name_bring_in_no_framework():
    code = ("import sys, modeldoctor; from modeldoctor import Doctor; import modeldoctor.doctor, modeldoctor.watcher;"
            "print(sorted(m for m in ('keras', 'tensorflow', 'jax', 'torch') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.strip() == "[]"


def test_what_a_callback_cannot_judge_names_real_detectors():
    from modeldoctor.diagnose.registry import all_detectors
    from modeldoctor.doctor import NEEDS_RUNS

    assert set(NEEDS_RUNS) <= {d.detector_info.name for d in all_detectors()}


@pytest.mark.slow
def test_one_doctor_serves_several_fits_and_keeps_the_last_ones_results(tmp_path):
    result = run(tmp_path, """
        doctor = Doctor()
        fit(build(), callbacks=[doctor])
        first = doctor.record
        fit(build(), callbacks=[doctor])
        assert doctor.record is not first and len(doctor.record.fits) == 1
        report = json.loads(doctor.report(format="json"))
        doctor.save_record("run.json")
        from modeldoctor.record import load
        assert load(__import__("pathlib").Path("run.json")).fits[0].epochs
        print("CODES", [f.code for f in doctor.findings], [f["code"] for f in report["findings"]])
        print("EVIDENCE", doctor.findings[0].name, sorted(doctor.findings[0].evidence)[:2])
    """)
    assert result.stdout.count("MD201 overfitting") >= 2  # the text report after each fit
    assert "train.py:" in result.stdout and "fit(build(), callbacks=[doctor])" not in result.stdout.split("CODES")[1]
    assert "CODES ['MD201'" in result.stdout and "EVIDENCE overfitting" in result.stdout
    assert "the Doctor callback cannot see the arrays" in result.stdout


@pytest.mark.slow
def test_with_data_it_samples_as_the_probe_does_and_config_applies(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[tool.modeldoctor]\nignore = ["MD201"]\n', encoding="utf-8")
    result = run(tmp_path, """
        doctor = Doctor(show=False, data=(x, y))
        fit(build(), callbacks=[doctor])
        fit_record = doctor.record.fits[0]
        print("SAMPLES", len(fit_record.samples) > 0, fit_record.inputs is not None, fit_record.model.optimizer.class_name)
        print("CODES", [f.code for f in doctor.findings])
        print("NOTES", json.loads(doctor.report("json"))["notes"])
    """)
    assert "SAMPLES True True SGD" in result.stdout
    assert "MD201" not in result.stdout.split("CODES")[1].splitlines()[0]  # [tool.modeldoctor] ignore
    assert "the Doctor callback cannot see the arrays" not in result.stdout
    assert "modeldoctor ·" not in result.stdout  # show=False


@pytest.mark.slow
def test_watch_is_idempotent_and_unwatch_puts_keras_back(tmp_path):
    result = run(tmp_path, """
        import inspect
        before = (keras.layers.Layer.__dict__["__new__"], "fit" in keras.Model.__dict__, keras.Model.compile,
                  str(inspect.signature(keras.optimizers.SGD)))
        watcher = modeldoctor.watch(show=False)
        assert modeldoctor.watch(show=False) is watcher  # a re-run cell
        fit(build())
        print("WATCHED", [f.code for f in watcher.findings], watcher.records[0].fits[0].model.layers[0].location.line)
        modeldoctor.unwatch()
        modeldoctor.unwatch()
        after = (keras.layers.Layer.__dict__["__new__"], "fit" in keras.Model.__dict__, keras.Model.compile,
                 str(inspect.signature(keras.optimizers.SGD)))
        print("RESTORED", before == after)
        fit(build())
        print("REPORTS", len(watcher.reports))
        again = modeldoctor.watch(show=False)
        fit(build())
        print("AGAIN", again is not watcher, [f.code for f in again.findings])
        modeldoctor.unwatch()
    """)
    assert "WATCHED ['MD201'" in result.stdout
    assert "RESTORED True" in result.stdout and "REPORTS 1" in result.stdout
    assert "AGAIN True ['MD201'" in result.stdout


@pytest.mark.slow
def test_a_doctor_record_of_a_script_drives_fix(tmp_path):
    from conftest import cli

    run(tmp_path, """
        model = build()
        doctor = Doctor(show=False)
        model.fit(x, y, epochs=20, batch_size=64, validation_split=0.2, verbose=0, callbacks=[doctor])
        doctor.save_record("run.json")
    """)
    result = cli("fix", "train.py", "--from-record", "run.json", "--unsafe-fixes", cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    assert "+model.fit(" in result.stdout and "EarlyStopping(" in result.stdout


@pytest.mark.slow
def test_watch_before_keras_is_imported_waits_for_the_import(tmp_path):
    script = tmp_path / "late.py"
    script.write_text(textwrap.dedent("""
        import os, sys
        os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
        import modeldoctor
        watcher = modeldoctor.watch(show=False)
        print("KERAS BEFORE", "keras" in sys.modules)
        import keras
        import numpy as np
        x = np.random.default_rng(0).random((128, 4))
        model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8), keras.layers.Dense(1)])
        model.compile("sgd", "mse")
        model.fit(x, x.sum(1), epochs=2, verbose=0)
        print("SEEN", len(watcher.reports), watcher.records[0].fits[0].model.layers[0].location.line)
        modeldoctor.unwatch()
    """), encoding="utf-8")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p))
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, cwd=tmp_path, env=env,
                         timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "KERAS BEFORE False" in out.stdout and "SEEN 1 10" in out.stdout


def test_the_html_report_is_sealed_in_a_sandboxed_frame():
    from modeldoctor.bedside import iframe

    frame = iframe('<style>body { color: red }</style><p class="x">a & b</p>')
    assert frame.startswith('<iframe srcdoc="&lt;style&gt;body { color: red }&lt;/style&gt;&lt;p class=&quot;x&quot;')
    assert "a &amp; b" in frame and 'sandbox=""' in frame and "<style>" not in frame


def test_outside_a_kernel_the_text_report_is_printed(capsys):
    from modeldoctor.bedside import in_notebook, show
    from modeldoctor.ftypes import Report, Scope

    assert not in_notebook()
    show(Report(script="train.py", scope=Scope.SOURCE))
    assert "no findings in train.py" in capsys.readouterr().out


@pytest.mark.slow
def test_data_may_be_a_dataset(tmp_path):
    result = run(tmp_path, """
        import tensorflow as tf
        ds = tf.data.Dataset.from_tensor_slices((x.astype("float32"), y.astype("float32"))).batch(64)
        doctor = Doctor(show=False, data=ds)
        build().fit(ds, epochs=2, verbose=0, callbacks=[doctor])
        print("SAMPLED", len(doctor.record.fits[0].samples) > 0, doctor.record.fits[0].inputs.shape)
    """)
    assert "SAMPLED True [64, 30]" in result.stdout
