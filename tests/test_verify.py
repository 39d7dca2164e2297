"""fix --verify: cures are tried on copies under several seeds; only those that work are kept."""

from __future__ import annotations

import json
import shutil

import pytest

from conftest import FIXTURES, cli
from modeldoctor.ftypes import Family, Finding, Severity
from modeldoctor.verify import treatable

FAST = ("--seeds", "2", "--jobs", "2", "--quiet", "--format", "json", "--unsafe-fixes")


def _copy(tmp_path, relative):
    target = tmp_path / relative.split("/")[-1]
    shutil.copy(FIXTURES / relative, target)
    return target


@pytest.mark.slow
def test_learning_rate_cure_is_confirmed(tmp_path):
    script = _copy(tmp_path, "learning/learning_rate_too_high_sgd.py")
    result = cli("fix", str(script), "--verify", *FAST, "--epochs", "6", "--budget", "240")
    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout)
    trial = report["trials"][0]
    assert (trial["finding"], trial["transform"], trial["verdict"]) == ("learning-rate-too-high",
                                                                       "set_learning_rate", "accepted")
    assert "learning_rate=" in report["diff"] and script.read_text() == (FIXTURES / "learning" /
                                                                         "learning_rate_too_high_sgd.py").read_text()


USELESS_FIRST = """\
code = "MD201"
name = "overfitting"
family = "generalization"
severity = "warning"
summary = "Validation loss turns up while the training loss keeps falling."

[explanation]
what = "w"
why = "y"
example = "e"
fix_safety = "f"
references = []

[[cures]]
transform = "add_callback"
applicability = "safe"
params = { callback = "TerminateOnNaN" }
rationale = "Does nothing for overfitting: here to be rejected."

[[cures]]
transform = "swap_activation"
applicability = "unsafe"
params = { activation = "no_such_activation" }
rationale = "Writes an activation Keras does not know: the treated script crashes, and the trial says so."

[[cures]]
transform = "early_stopping"
applicability = "unsafe"
params = { patience = 5 }
rationale = "Stop at the turning point and keep the best weights."
"""


@pytest.mark.slow
def test_a_cure_that_does_not_help_is_rejected_and_the_next_one_confirmed_and_applied(tmp_path):
    """A user rule lists a useless cure first and a crashing one second: the first is rejected with
    its numbers, the second reported as failed (not skipped), and the next candidate (early
    stopping) is confirmed and written."""
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "MD201-overfitting.toml").write_text(USELESS_FIRST)
    script = _copy(tmp_path, "generalization/overfitting_breast_cancer.py")
    original = script.read_text()
    # --full: every trial to its end, so a rejected cure shows its numbers (one stopped early shows where instead)
    result = cli("fix", str(script), "--verify", "--apply", "--full", *FAST, "--rules", str(rules), "--budget", "300")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    trials = [t for t in report["trials"] if t["finding"] == "overfitting"]
    assert [(t["transform"], t["verdict"]) for t in trials[:3]] == [("add_callback", "rejected"),
                                                                   ("swap_activation", "failed"),
                                                                   ("early_stopping", "accepted")]
    rejected, failed, accepted = trials
    assert "still there" in rejected["reason"] and rejected["after"]["values"], "a rejected cure shows its numbers"
    assert "seed 0: crashed with ValueError" in failed["reason"] and "seed 1" in failed["reason"] and failed["after"] is None
    assert accepted["evidence_after"] is None, "the finding is gone"
    noise = max(accepted["before"]["spread"], accepted["after"]["spread"])
    assert accepted["after"]["mean"] >= accepted["before"]["mean"] - noise, "the target did not get worse"
    patched = script.read_text()
    assert patched != original and "EarlyStopping(" in patched and "restore_best_weights=True" in patched
    assert "TerminateOnNaN" not in patched
    assert "overfitting" not in [f["name"] for f in report["findings"]]


LOWER_RATE_FIRST = """\
code = "MD104"
name = "dying-relu"
family = "learning"
severity = "warning"
summary = "Most units of a ReLU layer output zero on every sampled input."

[explanation]
what = "w"
why = "y"
example = "e"
fix_safety = "f"
references = []

[[cures]]
transform = "set_learning_rate"
applicability = "unsafe"
params = { factor = 0.1 }
rationale = "Cannot revive units a constant negative bias killed: here to come back decisive."

[[cures]]
transform = "swap_activation"
applicability = "unsafe"
params = { activation = "leaky_relu", initializer = "he_normal" }
rationale = "LeakyReLU keeps a gradient for negative inputs."
"""


@pytest.mark.slow
def test_a_treated_run_where_the_finding_comes_back_decisive_stops_and_rejects_the_cure(tmp_path):
    """A lower rate cannot revive units a negative bias killed: the trial's run stops as soon as dying-relu
    is decisive again (its other seed is not waited for), the cure is rejected, and the next one accepted."""
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "MD104-dying-relu.toml").write_text(LOWER_RATE_FIRST)
    script = _copy(tmp_path, "learning/dying_relu_negative_bias.py")
    result = cli("fix", str(script), "--verify", *FAST, "--rules", str(rules), "--budget", "300")
    assert result.returncode == 1, result.stderr
    trials = [t for t in json.loads(result.stdout)["trials"] if t["finding"] == "dying-relu"]
    assert [(t["transform"], t["verdict"]) for t in trials] == [("set_learning_rate", "rejected"),
                                                               ("swap_activation", "accepted")]
    assert "dying-relu came back and was decisive under seed" in trials[0]["reason"]
    assert "stopped early (the treated finding came back decisive)" in result.stderr


@pytest.mark.slow
def test_healthy_script_gets_no_change(tmp_path):
    script = _copy(tmp_path, "healthy/functional_wine.py")
    result = cli("fix", str(script), "--verify", "--apply", *FAST)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["trials"] == [] and report["findings"] == [] and report["diff"] == ""
    assert script.read_text() == (FIXTURES / "healthy" / "functional_wine.py").read_text()


@pytest.mark.slow
def test_prediction_cure_is_confirmed_across_seeds(tmp_path):
    """high-variance: weight averaging makes three seeds land on the same model, and the
    finding's own spread and the target's mean both improve."""
    script = _copy(tmp_path, "prediction/high_variance_noisy_endpoint.py")
    result = cli("fix", str(script), "--verify", "--seeds", "3", "--jobs", "2", "--quiet", "--format", "json",
                 "--unsafe-fixes", "--budget", "240")
    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout)
    trial = report["trials"][0]
    assert (trial["finding"], trial["transform"], trial["verdict"]) == ("high-variance", "weight_averaging",
                                                                       "accepted"), trial["reason"]
    assert trial["evidence_before"]["spread"] > 0.25 and trial["evidence_after"] is None
    before, after = trial["before"], trial["after"]
    assert len(before["values"]) == len(after["values"]) == 3 and before["name"] == "val_loss"
    assert after["spread"] * 4 < before["spread"] and after["mean"] < before["mean"]
    assert "use_ema=True" in report["diff"] and "high-variance" not in [f["name"] for f in report["findings"]]


def _finding(name: str, caused_by: tuple[str, ...] = ()) -> Finding:
    return Finding(name=name, family=Family.LEARNING, severity=Severity.WARNING, confidence=1.0, message="m",
                   primary=not caused_by, caused_by=caused_by)


def test_a_finding_is_treated_once_its_cause_is_gone_or_left_out():
    cause, effect = _finding("learning-rate-too-high"), _finding("nan-loss", ("learning-rate-too-high",))
    assert [f.name for f in treatable([cause, effect], set())] == ["learning-rate-too-high"]
    # the cause cannot be cured: its effects wait for it rather than being treated as if alone
    assert treatable([cause, effect], {"learning-rate-too-high"}) == []
    # --select/--ignore or a suppression left the cause out: the effect is treated on its own
    assert [f.name for f in treatable([effect], set())] == ["nan-loss"]


@pytest.mark.slow
def test_the_process_pool_and_a_local_ray_give_the_same_verdicts_and_cures(tmp_path, monkeypatch):
    """The same fixture, seeds and options through this machine's pool and through a real local Ray with two
    CPUs: the same cures tried, the same verdicts, the same cure written."""
    monkeypatch.setenv("RAY_ADDRESS", "127.0.0.1:1")  # a cluster ray.init() would join: the local runner does not
    script = _copy(tmp_path, "learning/learning_rate_too_high_sgd.py")
    reports = {}
    for runner in ("local", "ray"):
        result = cli("fix", str(script), "--verify", *FAST, "--epochs", "6", "--budget", "240", "--runner", runner,
                     cwd=tmp_path)
        assert result.returncode == 1, result.stderr
        assert f"trials on {'local pool (2 jobs, warm)' if runner == 'local' else 'ray (local, 2 CPUs)'}: " in result.stderr
        assert "Traceback" not in result.stderr
        reports[runner] = json.loads(result.stdout)
    local, ray = reports["local"], reports["ray"]
    assert [(t["finding"], t["transform"], t["params"], t["verdict"], t["seeds"]) for t in local["trials"]] == \
           [(t["finding"], t["transform"], t["params"], t["verdict"], t["seeds"]) for t in ray["trials"]]
    assert local["trials"][0]["verdict"] == "accepted"
    assert local["diff"] == ray["diff"] and "learning_rate=" in local["diff"]
    assert [f["name"] for f in local["findings"]] == [f["name"] for f in ray["findings"]]
    assert not list(tmp_path.glob(".modeldoctor-trial-*")), "no trial copy is left behind"
