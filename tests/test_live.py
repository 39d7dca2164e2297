"""Live diagnosis: the detectors on a fit still training, and when a finding is decisive enough to stop it.

The unit tests feed hand-made partial records to `LiveDiagnosis.look` the way
the probe does (at sampled steps and epoch ends). The slow tests run every
single-run problem fixture through `check --full` and hold it to the same
primary finding that `check` (which stops early) must report in
test_fix_fixtures.py; healthy fixtures must run to their end.
"""

from __future__ import annotations

import json
import tomllib

import pytest

from conftest import FIXTURES, cli
from modeldoctor.diagnose.live import LiveDiagnosis, LiveSettings, settings_for
from modeldoctor.diagnose.registry import all_detectors
from modeldoctor.diagnose.thresholds import Thresholds
from modeldoctor.record import Decision, FitRecord, OptimizerInfo, Sample
from modeldoctor.report.progress import verdict
from modeldoctor.rules import load_catalog
from records import fit, layer, sample

T = Thresholds()
LABELS = tomllib.loads((FIXTURES / "labels.toml").read_text())
SINGLE_RUN = sorted(k for k, v in LABELS["problems"].items() if v.get("runs", 1) == 1)
FALLING = [2.0, 1.5, 1.1, 0.9, 0.8, 0.7]


def dead(step: int, share: float = 1.0, grad: float = 0.0) -> Sample:
    return sample(step, dense={"dead_fraction": share, "grad_norm": grad}, out={"grad_norm": 0.1})


def test_a_layer_dead_through_and_through_stops_at_a_sampled_step():
    partial = fit([], samples=[dead(0)])
    live = LiveDiagnosis(T)
    first = live.look(partial, epoch_end=False, step=1)
    assert [f.name for f in first.new] == ["dying-relu"] and first.decision is None  # one sample is a suspicion
    partial.samples.append(dead(5))
    second = live.look(partial, epoch_end=False, step=6)
    assert second.new == []  # suspected once
    assert second.decision == Decision(finding="dying-relu", why=second.decision.why,
                                       message=second.findings[0].message, epoch=0, step=6)
    assert "cannot revive" in second.decision.why


def test_dead_units_that_still_get_a_gradient_or_only_most_of_a_layer_are_not_decisive():
    for samples in ([dead(0, grad=0.3), dead(5, grad=0.2)], [dead(0, share=0.9), dead(5, share=0.9)]):
        look = LiveDiagnosis(T).look(fit([], samples=samples), epoch_end=False, step=6)
        assert look.findings[0].name == "dying-relu" and look.decision is None


def test_a_held_finding_decides_only_after_its_epoch_ends_in_a_row():
    flat = fit([1.0, 1.0, 1.0], first_batch=1.0)
    flat.fit_args.epochs = 10  # a fit of ten epochs, three of them done
    live = LiveDiagnosis(T)
    assert live.look(flat, epoch_end=True, step=30).findings[0].name == "stalled-loss"
    assert live.look(flat, epoch_end=True, step=30).decision is None  # held 2 of 2, but only three epochs
    flat.epochs.append({"loss": 1.0})
    assert live.look(flat, epoch_end=False, step=35).decision is None  # a step is not an epoch end
    decision = live.look(flat, epoch_end=True, step=40).decision
    assert decision is not None and decision.finding == "stalled-loss" and decision.epoch == 4


def test_a_rate_is_decisive_once_the_samples_still_to_come_cannot_bring_its_median_back():
    """Six samples planned (60 steps, one every 10): too high is judged on the first three, so two above
    the threshold settle it; one does not, whatever the rest would show."""
    def partial(*ratios: float) -> FitRecord:
        return fit(FALLING[:1], samples=[sample(i * 10, dense={"update_ratio": v}) for i, v in enumerate(ratios)],
                   sample_every=10, steps_per_epoch=10)

    rates = fit([0.0] * 6).fit_args  # six epochs planned
    settled, open_ = partial(0.5, 0.5), partial(0.5, 0.01, 0.01)
    settled.fit_args = open_.fit_args = rates
    decision = LiveDiagnosis(T).look(settled, epoch_end=True, step=20).decision
    assert decision is not None and decision.finding == "learning-rate-too-high"
    look = LiveDiagnosis(T).look(partial(0.5, 0.4), epoch_end=True, step=20)  # a fit of one planned epoch
    assert look.decision is not None
    assert LiveDiagnosis(T).look(open_, epoch_end=True, step=30).decision is None


def test_a_streak_restarts_when_the_finding_is_not_primary_at_an_epoch_end():
    live = LiveDiagnosis(T)
    live.look(fit([1.0, 1.0, 1.0], first_batch=1.0), epoch_end=True, step=30)
    live.look(fit([1.0, 0.5, 0.4], first_batch=1.0), epoch_end=True, step=30)  # not seen at this epoch end
    assert live.look(fit([1.0, 1.0, 1.0, 1.0], first_batch=1.0), epoch_end=True, step=40).decision is None


def test_watching_never_stops_and_a_trial_stops_only_on_its_own_finding():
    samples = [dead(0), dead(5)]
    assert LiveDiagnosis(T, stop=False).look(fit([], samples=samples), False, 6).decision is None
    assert LiveDiagnosis(T, stop_on=("exploding-gradients",)).look(fit([], samples=samples), False, 6).decision is None
    assert LiveDiagnosis(T, stop_on=("dying-relu",)).look(fit([], samples=samples), False, 6).decision is not None


def test_a_finding_the_user_did_not_select_is_not_looked_at_so_it_neither_stops_nor_outranks():
    samples = [dead(0), dead(5)]
    ignored = LiveDiagnosis(T, watch=("nan-loss",)).look(fit([], samples=samples), False, 6)
    assert ignored.decision is None and ignored.findings == []
    assert LiveDiagnosis(T, watch=("dying-relu", "nan-loss")).look(fit([], samples=samples), False, 6).decision


def test_the_selection_names_the_findings_a_run_may_stop_on():
    from modeldoctor.checkup import Selection

    rules = load_catalog().rules
    assert Selection.of(None, None, rules).watched(rules) is None, "no option: every finding, as before"
    assert Selection.of("MD101", None, rules).watched(rules) == ("nan-loss",)
    ignoring = Selection.of(None, "MD109", rules).watched(rules)
    assert "learning-rate-too-high" not in ignoring and "nan-loss" in ignoring
    assert "no-early-stopping" not in ignoring, "an opt-in rule stays out unless selected"


def test_findings_judging_the_whole_curve_wait_for_the_end_or_their_confirmation():
    live = {d.detector_info.name: d.detector_info for d in LiveDiagnosis(T).detectors}
    assert "high-variance" not in live and {"dying-relu", "overfitting", "unscaled-inputs"} <= set(live)
    assert all(info.decisive is not None for info in live.values() if info.whole_curve)  # tests/test_live_curves.py


def test_every_decisive_rule_says_why_and_healthy_curves_raise_nothing():
    rules = {d.detector_info.name: d.detector_info.decisive for d in all_detectors() if d.detector_info.decisive}
    assert rules and all(rule.why and rule.held >= 0 for rule in rules.values())
    healthy = fit(FALLING, val_loss=[2.1, 1.6, 1.2, 1.0, 0.9, 0.8],
                  layers=[layer("dense"), layer("out", "softmax", 10)],
                  samples=[sample(i, dense={"dead_fraction": 0.1, "grad_norm": 0.5, "weight_norm": 5.0,
                                            "update_ratio": 1e-3}) for i in range(6)])
    live = LiveDiagnosis(T)
    for n in range(1, 7):
        look = live.look(FitRecord(**{**vars(healthy), "epochs": healthy.epochs[:n]}), epoch_end=True, step=n * 10)
        assert look.findings == [] and look.decision is None


def test_settings_travel_as_json_with_the_rule_severities():
    settings = settings_for(Thresholds(dead_share=0.8), load_catalog(), stop=True, watch=("nan-loss",))
    back = LiveSettings.from_json(settings.to_json())
    assert back == settings and back.diagnosis().thresholds.dead_share == 0.8
    assert back.diagnosis().watch == ("nan-loss",)
    assert back.severity["exploding-gradients"] == "error"


def test_the_progress_lines_name_the_finding_and_what_happens_next():
    assert verdict({"event": "suspect", "finding": "dying-relu", "epoch": 1, "message": "100% dead"}) == \
        "dying-relu suspected at epoch 1: 100% dead — confirming"
    line = verdict({"event": "decided", "finding": "dying-relu", "epoch": 0, "why": "no gradient"})
    assert line == "dying-relu is decisive in the first epoch: no gradient — stopping the run (--full runs it to the end)"
    assert verdict({"event": "epoch", "epoch": 3}) is None


def _primary(result) -> str | None:
    findings = json.loads(result.stdout)["findings"]
    return findings[0]["name"] if findings else None


@pytest.mark.slow
@pytest.mark.parametrize("relative", SINGLE_RUN)
def test_the_full_run_reports_the_primary_finding_the_early_stop_reports(relative):
    """`check` (stopping early) is held to the label in test_fix_fixtures.py; here the full run is."""
    full = cli("check", "--quiet", "--full", "--format", "json", str(FIXTURES / relative))
    assert full.returncode == 1, full.stderr
    assert _primary(full) == LABELS["problems"][relative]["primary"]
    assert all(f["decided"] is None for run in json.loads(full.stdout)["runs"] for f in run["fits"])


@pytest.mark.slow
@pytest.mark.parametrize("relative", sorted(LABELS["healthy"]))
def test_healthy_training_runs_to_its_end(relative):
    result = cli("check", "--quiet", "--format", "json", str(FIXTURES / relative))
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["partial"] == [] and report["scope"] == "run"
    assert "suspected" not in result.stderr and "decisive" not in result.stderr


@pytest.mark.slow
def test_a_selected_finding_is_not_cut_short_by_one_the_user_left_out():
    """SGD at 1.0 is decisively too high at epoch 7 and goes NaN at epoch 16: --select MD101 waits for the NaN (it
    stopped at epoch 7 before, and then had nothing to report), which is primary with its cause left out."""
    script = FIXTURES / "learning/learning_rate_too_high_sgd.py"
    result = cli("check", "--format", "json", "--select", "MD101", str(script))
    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout)
    (nan,) = report["findings"]
    assert (nan["name"], nan["primary"]) == ("nan-loss", True) and "learning-rate-too-high" in nan["caused_by"]
    assert report["scope"] == "run" and "decisive" not in result.stderr


@pytest.mark.slow
def test_a_decisive_finding_stops_the_script_and_the_report_says_where(tmp_path):
    script = tmp_path / "dying.py"
    script.write_text((FIXTURES / "learning/dying_relu_negative_bias.py").read_text() + 'print("AFTER-FIT")\n')
    record = tmp_path / "run.json"
    result = cli("check", "--format", "json", "--save-record", str(record), str(script))
    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout)
    (decided,) = [f["decided"] for f in report["runs"][0]["fits"]]
    assert decided["finding"] == "dying-relu" and decided["epoch"] <= 1
    assert report["findings"][0]["name"] == "dying-relu" and report["scope"] == "partial"
    assert "stopped at epoch 1 of 6: dying-relu was decisive" in report["partial"][0]
    assert "dying-relu suspected in the first epoch" in result.stderr
    assert "dying-relu is decisive" in result.stderr
    saved = json.loads(record.read_text())
    assert saved["exit"]["status"] == "decided" and saved["exit"]["returncode"] == 0
    assert "AFTER-FIT" not in result.stderr  # the script's lines after fit never ran


def test_a_rate_that_drove_a_relu_layer_dead_is_decisive_once_no_gradient_is_left():
    """SGD at 3.0 kills a layer alive at the start (the long workload's case): the rate is the finding, seen
    in the units, and settled once that layer has no gradient left; while a gradient still reaches it, the
    units could come back and the run goes on."""
    def partial(grad: float) -> FitRecord:
        record = fit([2.3, 2.3, 2.3], samples=[dead(0, share=0.3, grad=0.5), dead(10, grad=grad),
                                              dead(20, grad=grad), dead(30, grad=grad)],
                     sample_every=10, steps_per_epoch=10)
        record.model.optimizer = OptimizerInfo("SGD", 3.0)
        return record

    still = LiveDiagnosis(T).look(partial(grad=0.2), epoch_end=True, step=30)
    assert still.findings[0].name == "learning-rate-too-high" and still.decision is None
    assert still.findings[0].evidence["seen_in"] == "activations"
    decision = LiveDiagnosis(T).look(partial(grad=0.0), epoch_end=True, step=30).decision
    assert decision is not None and decision.finding == "learning-rate-too-high"
    assert "drove a ReLU layer dead with no gradient left" in decision.why
