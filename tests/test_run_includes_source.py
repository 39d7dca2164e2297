"""A run knows at least what the source says: `check` with a run reports `check --static`'s findings too,
the run's own evidence winning where both see the same mistake."""

from __future__ import annotations

import json

import pytest

from conftest import cli, line_of
from modeldoctor.checkup import with_source
from modeldoctor.ftypes import Family, Finding, Severity
from modeldoctor.record import Location

# Healthy training, but a Dropout that drops 80% of its inputs: only the source check sees it.
HIGH_DROPOUT = """\
from sklearn.datasets import load_breast_cancer
from sklearn.preprocessing import StandardScaler
from tensorflow import keras

keras.utils.set_random_seed(1)
x, y = load_breast_cancer(return_X_y=True)
x = StandardScaler().fit_transform(x)

model = keras.Sequential()
model.add(keras.Input(shape=(30,)))
model.add(keras.layers.Dense(16, activation="relu"))
model.add(keras.layers.Dropout(0.8))
model.add(keras.layers.Dense(1, activation="sigmoid"))
model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.001), loss="binary_crossentropy", metrics=["accuracy"])
model.fit(x, y, epochs=8, batch_size=32, validation_split=0.2, verbose=0)
"""


def finding(name: str, line: int, family: Family = Family.LEARNING, severity: Severity = Severity.WARNING,
            evidence: dict | None = None) -> Finding:
    return Finding(name, family, severity, 0.8, name, evidence or {}, Location("train.py", line, 1))


def test_source_findings_join_the_run_unless_the_run_sees_the_same_mistake():
    run = [finding("learning-rate-too-low", 9, evidence={"update_ratio": 1e-7}),
           finding("unscaled-inputs", 3, evidence={"feature_scale": 4254})]
    source = [finding("learning-rate-out-of-range", 9),  # its run-time twin was reported: nothing twice
              finding("unscaled-inputs", 3, evidence={"loader": "load_breast_cancer"}),  # same name: the run wins
              finding("high-dropout-rate", 7)]  # the run cannot see it: joins the report
    merged = with_source(run, source)
    assert sorted(f.name for f in merged) == ["high-dropout-rate", "learning-rate-too-low", "unscaled-inputs"]
    assert next(f for f in merged if f.name == "unscaled-inputs").evidence == {"feature_scale": 4254}


def test_nothing_from_the_source_leaves_the_run_as_it_was():
    run = [finding("overfitting", 9, Family.GENERALIZATION)]
    assert with_source(run, []) == run
    assert with_source(run, [finding("no-early-stopping", 9, Family.GENERALIZATION, Severity.INFO)]) == run


@pytest.mark.slow
def test_check_with_a_run_reports_what_check_static_finds(tmp_path):
    script = tmp_path / "train.py"
    script.write_text(HIGH_DROPOUT, encoding="utf-8")
    record = tmp_path / "run.json"
    static = json.loads(cli("check", "--static", str(script), "--format", "json").stdout)
    assert [f["name"] for f in static["findings"]] == ["high-dropout-rate"]
    result = cli("check", "--quiet", str(script), "--format", "json", "--save-record", str(record))
    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout)
    assert report["scope"] == "run" and report["runs"] and report["healthy"] is False
    (dropout,) = [f for f in report["findings"] if f["name"] == "high-dropout-rate"]
    assert dropout["code"] == "MD405" and dropout["evidence"] == static["findings"][0]["evidence"]
    assert dropout["location"]["line"] == line_of(script, "Dropout(0.8)")
    # a kept record is diagnosed with the same source
    again = json.loads(cli("check", str(script), "--from-record", str(record), "--format", "json").stdout)
    assert "high-dropout-rate" in [f["name"] for f in again["findings"]]
    # and `# modeldoctor: ignore[MD405]` silences it in a run as in a source check
    script.write_text(HIGH_DROPOUT.replace("Dropout(0.8))", "Dropout(0.8))  # modeldoctor: ignore[MD405]"))
    quiet = cli("check", "--quiet", str(script), "--format", "json")
    assert "high-dropout-rate" not in [f["name"] for f in json.loads(quiet.stdout)["findings"]], quiet.stderr
