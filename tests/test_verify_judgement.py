"""fix --verify's judgement, in milliseconds: the real loop, catalog and transforms, with faked training.

A `FakeRunner` stands in for the process pool (the `TrialRunner` protocol): it
reads the treated copy each job points at and answers with a hand-made run
record chosen by what the source contains (`EarlyStopping`, `Dropout`, ...).
Everything else is real: the built-in rules, the LibCST transforms, the
detectors that re-diagnose each trial and the verdicts. Nothing here imports
Keras; the end-to-end runs are in test_verify.py (slow).
"""

from __future__ import annotations

import math
import sys
from dataclasses import replace
from collections.abc import Callable, Collection, Sequence
from pathlib import Path

import pytest
from records import fit, layer, run, sample

from modeldoctor.diagnose import diagnose_runs
from modeldoctor.diagnose.thresholds import Thresholds
from modeldoctor.ftypes import Finding, Measure
from modeldoctor.record import ExitInfo, LabelStats, RunRecord
from modeldoctor.rules import load_catalog
from modeldoctor.run.runner import RunOptions, RunOutcome
from modeldoctor.transforms import available
from modeldoctor.treatment import TreatmentError
from modeldoctor.verify import Verifier, finding_measure, judge, target_measure, weaker
from modeldoctor.verify.judgement import margin, not_worse
from modeldoctor.verify.schedule import Schedule
from modeldoctor.verify.trials import Handle, TrialJob, handles_for

CATALOG = load_catalog()
TRANSFORMS = available()

# `model.fit(` on line 10, where records.HERE puts every hand-made fit.
SOURCE = """\
import keras
import numpy as np

model = keras.Sequential([
    keras.layers.Dense(16, activation="relu"),
    keras.layers.Dense(10, activation="softmax"),
])
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
x, y = np.zeros((100, 4)), np.zeros(100)
model.fit(x, y, epochs=10, validation_split=0.2)
"""
# The same script with its fit arguments hidden in a dict: early_stopping cannot edit that call.
HIDDEN_FIT_ARGS = SOURCE.replace("model.fit(x, y, epochs=10, validation_split=0.2)", "model.fit(x, y, **options)")
assert HIDDEN_FIT_ARGS != SOURCE

LOSS = [1.0, 0.8, 0.6, 0.45, 0.35, 0.27, 0.2, 0.15, 0.11, 0.08]
# Validation loss turns up after epoch 5 and ends 43% above its best: MD201 overfitting (and MD202, caused by it).
OVERFIT_VAL = [1.0, 0.85, 0.7, 0.62, 0.6, 0.63, 0.68, 0.74, 0.8, 0.86]
# A fit that learns and generalizes: validation follows training closely.
HEALTHY_LOSS = [1.0, 0.8, 0.65, 0.55, 0.48, 0.43, 0.4, 0.38, 0.37, 0.36]
RESTORES_BEST = {"monitor": "val_loss", "patience": 5, "restore_best_weights": True}


def overfit(seed: int | None) -> RunRecord:
    d = 0.01 * (seed or 0)  # a little seed-to-seed noise
    return run(fit(LOSS, [v + d for v in OVERFIT_VAL], completed=True), seed=seed)


def healthy(seed: int | None, scale: float = 1.1, **fit_args) -> RunRecord:
    d = 0.01 * (seed or 0)
    record = run(fit(HEALTHY_LOSS, [v * scale + d for v in HEALTHY_LOSS], completed=True), seed=seed)
    for key, value in fit_args.items():
        setattr(record.fits[0].fit_args, key, value)
    return record


def ok(record: RunRecord) -> RunOutcome:
    return RunOutcome(record=record, returncode=0, timed_out=False, stderr_tail="", wall_time=0.01)


def crashed(message: str) -> RunOutcome:
    """The treated script raised before fit, as a bad cure would make it."""
    record = RunRecord(script="train.py", script_sha256="0", keras_imported=True,
                       exit=ExitInfo(status="error", returncode=1, exception_type="ValueError", message=message))
    return RunOutcome(record=record, returncode=1, timed_out=False, stderr_tail="", wall_time=0.01)


Respond = Callable[[str, int], RunOutcome]


class FakeRunner:
    """A TrialRunner that trains nothing: `respond(source, seed)` says what the run of that job's source recorded.

    Jobs "run" when waited for, one per `wait`: the earliest sent first, or as `pick` chooses among the
    pending ones (another completion order). `jobs` is every job sent, `ran` those run, `cancelled` those
    dropped before they ran."""

    name = "fake runner"

    def __init__(self, respond: Respond, pick: Callable[[list[Handle]], Handle] | None = None) -> None:
        self.respond = respond
        self.pick = pick or (lambda pending: pending[0])
        self.pending: list[Handle] = []
        self.jobs: list[TrialJob] = []
        self.ran: list[TrialJob] = []
        self.cancelled: list[TrialJob] = []
        self.closed = False

    @property
    def sources(self) -> list[str]:
        return [job.source for job in self.ran]

    def submit(self, jobs: Sequence[TrialJob]) -> list[Handle]:
        handles = handles_for(jobs)
        self.jobs += jobs
        self.pending += handles
        return handles

    def wait(self, handles: Collection[Handle]) -> list[tuple[Handle, RunOutcome]]:
        handle = self.pick([h for h in self.pending if h in handles])
        self.pending.remove(handle)
        self.ran.append(handle.job)
        assert handle.job.seed is not None
        return [(handle, self.respond(handle.job.source, handle.job.seed))]

    def cancel(self, handles: Collection[Handle]) -> None:
        self.cancelled += [h.job for h in self.pending if h in handles]
        self.pending = [h for h in self.pending if h not in handles]

    def close(self) -> None:
        self.closed = True


def untreated_overfits(cured: Callable[[str, int], RunOutcome | None]) -> Respond:
    """The untreated script overfits; a treated copy gets `cured(source, seed)`, or overfits still if None."""
    def respond(source: str, seed: int) -> RunOutcome:
        return cured(source, seed) or ok(overfit(seed))
    return respond


def verifier(tmp_path: Path, respond: Respond, source: str = SOURCE, seeds: int = 2, unsafe: bool = True,
             budget: float | None = None, schedule: Schedule = Schedule.BATCHED,
             pick: Callable[[list[Handle]], Handle] | None = None) -> tuple[Verifier, FakeRunner]:
    script = tmp_path / "train.py"
    script.write_text(source, encoding="utf-8")
    runner = FakeRunner(respond, pick)
    return Verifier(script=script, args=(), options=RunOptions(quiet=True), seeds=seeds, catalog=CATALOG,
                    thresholds=Thresholds(), transforms=TRANSFORMS, runner=runner, unsafe=unsafe,
                    budget=budget, schedule=schedule), runner


def verdicts(verification) -> list[tuple[str, str, str]]:
    return [(t.finding, t.transform, t.verdict) for t in verification.trials]


def overfitting_finding() -> Finding:
    (finding,) = [f for f in diagnose_runs([overfit(0), overfit(1)], Thresholds(), CATALOG) if f.primary]
    assert finding.name == "overfitting"
    return finding


# --- the scenario's records diagnose as the tests assume ---------------------------------------------------

def test_the_hand_made_records_diagnose_as_the_scenarios_assume():
    findings = diagnose_runs([overfit(0), overfit(1)], Thresholds(), CATALOG)
    assert [(f.name, f.primary) for f in findings] == [("overfitting", True), ("generalization-gap", False)]
    assert diagnose_runs([healthy(0), healthy(1)], Thresholds(), CATALOG) == []
    assert diagnose_runs([healthy(0, early_stopping=RESTORES_BEST)] * 2, Thresholds(), CATALOG) == []
    assert [c.transform for c in CATALOG.by_code("MD201").cures][:2] == ["early_stopping", "dropout"]


# --- the verdict on one trial ---------------------------------------------------------------------------------

def test_accepted_when_the_finding_is_gone_and_the_target_holds(tmp_path):
    respond = untreated_overfits(
        lambda source, seed: ok(healthy(seed, early_stopping=RESTORES_BEST)) if "EarlyStopping(" in source else None)
    v, runner = verifier(tmp_path, respond)
    result = v.verify(SOURCE)

    assert verdicts(result) == [("overfitting", "early_stopping", "accepted")]
    (trial,) = result.trials
    assert trial.evidence_after is None and trial.evidence_before["val_rise"] > 0.4
    assert trial.reason.startswith("overfitting gone; val_loss 0.865 → ")
    assert trial.before.values == pytest.approx((0.86, 0.87)) and trial.after.mean < trial.before.mean
    assert trial.seeds == (0, 1) and trial.round == 1 and trial.edits
    (kept,) = result.accepted
    assert kept.cure.transform == "early_stopping" and kept.applied
    assert "EarlyStopping(monitor=\"val_loss\", patience=5, restore_best_weights=True)" in result.source
    assert result.findings == () and len(result.records) == 2
    # two seeds untreated, two treated; each job carries its source, the script's place and the working directory
    assert [job.options.seed for job in runner.ran] == [0, 1, 0, 1]
    assert runner.sources[:2] == [SOURCE, SOURCE] and runner.sources[2:] == [result.source] * 2
    assert all(job.script == tmp_path / "train.py" and job.cwd == Path.cwd() for job in runner.jobs)
    # every cure was sent at once; once early stopping was accepted, dropout's and the regularizer's were cancelled
    assert len(runner.jobs) == 8 and len(runner.cancelled) == 4 and runner.closed is False
    boards = []
    v.on_board = boards.append
    v.verify(SOURCE)
    board = boards[-1]
    assert board.headline().startswith("trials on fake runner: 4 of 8 runs done, 4 cancelled (~0 s of trial time ")
    assert [(row.label, row.done, row.state) for row in board.rows.values()] == [
        ("untreated", 2, "diagnosed"), ("MD201 overfitting → early_stopping", 2, "accepted"),
        ("MD201 overfitting → dropout", 0, "cancelled"), ("MD201 overfitting → kernel_regularizer", 0, "cancelled")]
    assert {("Dropout(" in job.source) or ("kernel_regularizer" in job.source) for job in runner.cancelled} == {True}
    assert (tmp_path / "train.py").read_text() == SOURCE, "verify never writes the user's file"


def test_sequential_schedule_sends_one_cure_at_a_time(tmp_path):
    respond = untreated_overfits(
        lambda source, seed: ok(healthy(seed, early_stopping=RESTORES_BEST)) if "EarlyStopping(" in source else None)
    v, runner = verifier(tmp_path, respond, schedule=Schedule.SEQUENTIAL)
    result = v.verify(SOURCE)
    assert verdicts(result) == [("overfitting", "early_stopping", "accepted")]
    assert len(runner.jobs) == len(runner.ran) == 4 and runner.cancelled == []


def test_rejected_when_the_target_gets_worse_then_the_rules_next_cure_is_tried(tmp_path):
    """Early stopping removes the finding but leaves a far worse model; the next cure (dropout) is kept,
    applied to the untreated source: the rejected cure is not in the result."""
    def cured(source: str, seed: int) -> RunOutcome | None:
        if "Dropout(" in source:
            return ok(healthy(seed))
        if "EarlyStopping(" in source:
            return ok(healthy(seed, scale=3.0, early_stopping=RESTORES_BEST))  # kept val_loss ≈ 1.08 vs 0.865
        return None

    v, runner = verifier(tmp_path, untreated_overfits(cured))
    result = v.verify(SOURCE)

    assert verdicts(result) == [("overfitting", "early_stopping", "rejected"), ("overfitting", "dropout", "accepted")]
    rejected, accepted = result.trials
    assert rejected.reason.startswith("val_loss got worse: 0.865 ± 0.0071 → ")
    assert rejected.evidence_after is None, "the finding was gone: the target alone rejected it"
    assert rejected.after.mean > rejected.before.mean + rejected.before.spread
    assert accepted.reason.startswith("overfitting gone")
    assert [p.cure.transform for p in result.accepted] == ["dropout"]
    assert "Dropout(" in result.source and "EarlyStopping" not in result.source
    assert len(runner.ran) == 6  # untreated, early_stopping, dropout: two seeds each
    assert len(runner.cancelled) == 2, "the regularizer, sent with them, was cancelled"


def test_rejected_when_the_finding_is_still_there_and_not_clearly_weaker(tmp_path):
    v, _ = verifier(tmp_path, untreated_overfits(lambda source, seed: None))  # no cure changes anything
    result = v.verify(SOURCE)
    assert [t.verdict for t in result.trials] == ["rejected", "rejected", "rejected"]
    assert [t.transform for t in result.trials] == ["early_stopping", "dropout", "kernel_regularizer"]
    assert all(t.reason == "overfitting is still there and not clearly weaker" for t in result.trials)
    assert all(t.evidence_after == t.evidence_before for t in result.trials)
    assert result.accepted == () and result.source == SOURCE
    assert [f.name for f in result.findings] == ["overfitting", "generalization-gap"]


def test_judge_counts_a_clearly_weaker_finding_as_cured():
    finding = overfitting_finding()  # val_rise 0.43
    before = target_measure([overfit(0), overfit(1)])
    after_records = [healthy(0), healthy(1)]

    def still(val_rise: float) -> list[Finding]:
        from dataclasses import replace
        return [replace(finding, evidence={**finding.evidence, "val_rise": val_rise})]

    verdict, reason, _, evidence, _ = judge(finding, before, after_records, still(0.2))
    assert (verdict, evidence["val_rise"]) == ("accepted", 0.2)
    assert reason.startswith("overfitting clearly weaker; val_loss")
    verdict, reason, _, _, _ = judge(finding, before, after_records, still(0.3))  # less bad, but not halfway
    assert (verdict, reason) == ("rejected", "overfitting is still there and not clearly weaker")


def test_weaker_reads_the_direction_its_detector_declares():
    assert weaker("overfitting", {"val_rise": 0.4}, {"val_rise": 0.2})  # higher is worse: at least halved
    assert not weaker("overfitting", {"val_rise": 0.4}, {"val_rise": 0.21})
    assert weaker("vanishing-gradients", {"norm_ratio_median": 1e-4}, {"norm_ratio_median": 2e-4})  # lower is worse
    assert not weaker("vanishing-gradients", {"norm_ratio_median": 1e-4}, {"norm_ratio_median": 1.9e-4})
    assert not weaker("overfitting", {"val_rise": 0.4}, {}), "no number to compare: not weaker"
    assert not weaker("overfitting", {"val_rise": "n/a"}, {"val_rise": 0.0})
    assert not weaker("no-such-finding", {"x": 10.0}, {"x": 0.0})
    assert not weaker("stalled-loss", {"improvement": 0.0}, {"improvement": 0.0}), "0% both times: unchanged"
    assert not weaker("overfitting", {"val_rise": 0.0}, {"val_rise": 0.0})


@pytest.mark.parametrize(
    "after, verdict",
    [
        ((0.80, 0.90), "accepted"),  # the same
        ((0.88, 0.90), "accepted"),  # worse by 0.04, within the seeds' spread of 0.071
        ((0.95, 0.97), "rejected"),  # worse by 0.11: beyond the noise
        ((0.50, 0.52), "accepted"),
    ],
)
def test_the_seed_noise_decides_what_counts_as_worse(after, verdict):
    before = Measure(name="val_loss", higher_is_better=False, values=(0.80, 0.90))
    records = [run(fit(HEALTHY_LOSS[:3], [1.0, 0.95, value], completed=True), seed=seed)
               for seed, value in enumerate(after)]
    got, reason, measure, _, _ = judge(overfitting_finding(), before, records, [])
    assert measure.values == after
    assert got == verdict, reason


def test_a_higher_is_better_target_is_rejected_when_it_falls():
    before = Measure(name="val_accuracy", higher_is_better=True, values=(0.90, 0.92))

    def after(*values: float) -> list[RunRecord]:
        return [run(fit([0.5, 0.4], [0.5, 0.45], accuracy=[0.8, 0.9], val_accuracy=[0.8, v], completed=True))
                for v in values]

    verdict, reason, measure, _, _ = judge(overfitting_finding(), before, after(0.80, 0.82), [])
    assert (measure.name, measure.higher_is_better) == ("val_accuracy", True)
    assert verdict == "rejected" and reason.startswith("val_accuracy got worse: 0.91")
    assert judge(overfitting_finding(), before, after(0.95, 0.96), [])[0] == "accepted"


# --- the target a cure is measured on -----------------------------------------------------------------------

def test_target_is_the_validation_metric_when_there_is_one():
    records = [run(fit([0.9, 0.5], [1.0, 0.6], accuracy=[0.6, 0.8], val_accuracy=[0.55, v], completed=True))
               for v in (0.7, 0.74)]
    measure = target_measure(records)
    assert (measure.name, measure.higher_is_better, measure.values) == ("val_accuracy", True, (0.7, 0.74))
    assert measure.curves == ((0.55, 0.7), (0.55, 0.74))
    assert measure.mean == pytest.approx(0.72)


def test_target_is_validation_loss_without_a_metric_and_training_loss_without_validation():
    val = target_measure([run(fit([0.9, 0.5], [1.0, 0.6], completed=True))])
    assert (val.name, val.higher_is_better, val.values) == ("val_loss", False, (0.6,))
    train = target_measure([run(fit([0.9, 0.5], completed=True))])
    assert (train.name, train.higher_is_better, train.values) == ("loss", False, (0.5,))
    # a metric on the training data only is not a validation metric: validation loss is the target
    only_train_metric = target_measure([run(fit([0.9, 0.5], [1.0, 0.6], accuracy=[0.6, 0.8], completed=True))])
    assert only_train_metric.name == "val_loss"


def test_target_is_the_kept_models_value():
    """Restored best weights keep the best epoch's value; a value measured after training wins over both."""
    last = pytest.approx(HEALTHY_LOSS[-1] * 1.1)
    plain, restored = healthy(0), healthy(0, early_stopping=RESTORES_BEST)
    for record in (plain, restored):
        record.fits[0].epochs[4]["val_loss"] = 0.1  # the best epoch, not the last
    assert target_measure([plain]).values == (last,)
    assert target_measure([restored]).values == (0.1,)
    restored.fits[0].final["val_loss"] = 0.25
    assert target_measure([restored]).values == (0.25,)


def test_a_run_without_a_fit_is_the_worst_target():
    measure = target_measure([healthy(0), RunRecord(script="train.py", script_sha256="0")])
    assert math.isnan(measure.values[1]) and measure.mean == math.inf


# --- failed, declined, safe-only, budget ---------------------------------------------------------------------

def test_failed_when_a_seeds_run_crashes_and_the_next_cure_is_tried(tmp_path):
    def cured(source: str, seed: int) -> RunOutcome | None:
        if "EarlyStopping(" in source:
            return crashed("Unknown callback argument") if seed == 1 else ok(healthy(seed))
        if "Dropout(" in source:
            return ok(healthy(seed))
        return None

    v, _ = verifier(tmp_path, untreated_overfits(cured))
    result = v.verify(SOURCE)
    assert verdicts(result) == [("overfitting", "early_stopping", "failed"), ("overfitting", "dropout", "accepted")]
    failed = result.trials[0]
    assert failed.reason == "seed 1: crashed with ValueError before any fit call: Unknown callback argument"
    assert failed.after is None and failed.evidence_after is None and failed.edits
    assert "EarlyStopping" not in result.source


def test_declined_when_the_transform_cannot_apply_and_nothing_is_run_for_it(tmp_path):
    v, runner = verifier(tmp_path, untreated_overfits(lambda s, seed: ok(healthy(seed)) if "Dropout(" in s else None),
                         source=HIDDEN_FIT_ARGS)
    result = v.verify(HIDDEN_FIT_ARGS)
    assert verdicts(result) == [("overfitting", "early_stopping", "declined"), ("overfitting", "dropout", "accepted")]
    declined = result.trials[0]
    assert "**kwargs" in declined.reason and declined.after is None and declined.wall_time == 0.0
    assert len(runner.ran) == 4, "untreated and dropout only: a declined cure is not run"
    assert not any("EarlyStopping" in source for source in runner.sources)


def test_without_unsafe_fixes_no_unsafe_cure_is_tried(tmp_path):
    v, runner = verifier(tmp_path, untreated_overfits(lambda source, seed: None), unsafe=False)
    result = v.verify(SOURCE)
    assert result.trials == () and result.source == SOURCE and len(runner.jobs) == 2
    assert [f.name for f in result.findings] == ["overfitting", "generalization-gap"]


def test_the_budget_stops_trying_cures(tmp_path, monkeypatch):
    """Each run takes 6 s on a fake clock; with 10 s the first cure is tried, the second is not."""
    class Clock:
        now = 0.0

        @classmethod
        def perf_counter(cls) -> float:
            return cls.now

    loop = sys.modules[Verifier.__module__]
    monkeypatch.setattr(loop, "time", Clock)

    def respond(source: str, seed: int) -> RunOutcome:
        if seed == 0:
            Clock.now += 6.0
        return ok(overfit(seed))  # nothing cures it

    v, runner = verifier(tmp_path, respond, budget=10)
    result = v.verify(SOURCE)
    assert verdicts(result) == [("overfitting", "early_stopping", "rejected")]
    assert len(runner.ran) == 4 and len(runner.cancelled) == 4, "the cures sent with it are cancelled"
    v, runner = verifier(tmp_path, respond, budget=10, schedule=Schedule.SEQUENTIAL)
    assert verdicts(v.verify(SOURCE)) == [("overfitting", "early_stopping", "rejected")]
    assert len(runner.jobs) == 4, "one cure at a time: the second is never sent"
    v, runner = verifier(tmp_path, respond, budget=None)
    assert len(v.verify(SOURCE).trials) == 3, "without a budget every cure is tried"


def test_an_untreated_script_that_cannot_run_under_every_seed_is_an_error(tmp_path):
    v, _ = verifier(tmp_path, lambda source, seed: crashed("no data") if seed == 1 else ok(overfit(seed)))
    with pytest.raises(TreatmentError, match="untreated script could not be run under every seed: seed 1: crashed"):
        v.verify(SOURCE)


def test_every_seed_failing_alike_is_said_once_of_the_users_script_not_of_its_trial_copies(tmp_path):
    def respond(source: str, seed: int) -> RunOutcome:
        copy = f".modeldoctor-trial-train-{'abc_12' if seed else 'x9y8z7'}.py"
        return crashed(f"no data at {copy}:3")
    v, _ = verifier(tmp_path, respond)
    with pytest.raises(TreatmentError) as raised:
        v.verify(SOURCE)
    first, hint = str(raised.value).splitlines()
    assert first.endswith("could not be run under any of the 2 seeds: crashed with ValueError before any fit call: "
                          "no data at train.py:3")
    assert hint.startswith("  hint: `modeldoctor check ") and "train.py` shows why" in hint


def test_what_a_trial_copy_recorded_is_located_in_the_script():
    from modeldoctor.record import Location
    from modeldoctor.verify.copies import located_in_script, said_of_script

    script = Path("work/train.py")
    assert said_of_script("at .modeldoctor-trial-train-k2x_9q.py:12 and other.py:3", script) == (
        "at train.py:12 and other.py:3")
    assert said_of_script(".modeldoctor-trial-trainer-k2x9q.py:1", script) == ".modeldoctor-trial-trainer-k2x9q.py:1"
    record = overfit(0)
    record.script = "work/.modeldoctor-trial-train-k2x9q.py"
    record.fits[0].location = Location("work/.modeldoctor-trial-train-k2x9q.py", 10, 1)
    finding = replace(overfitting_finding(), location=Location("/abs/work/.modeldoctor-trial-train-k2x9q.py", 10, 1))
    (moved,), (found,) = located_in_script([record], [finding], script)
    assert (moved.script, moved.fits[0].location, found.location) == (
        "work/train.py", Location("work/train.py", 10, 1), Location("work/train.py", 10, 1))
    assert record.fits[0].location.path.endswith("k2x9q.py"), "the trial's own record is left as it was"


# --- rounds ----------------------------------------------------------------------------------------------------

def test_after_a_cure_is_kept_the_script_is_rediagnosed_and_what_remains_treated(tmp_path):
    """Early stopping ends the overfitting but the gap stays (no longer caused by it): round 2 treats the gap
    on the cured source, and both cures are kept."""
    def cured(source: str, seed: int) -> RunOutcome | None:
        if "EarlyStopping(" in source and "Dropout(" in source:
            return ok(healthy(seed, early_stopping=RESTORES_BEST))
        if "EarlyStopping(" in source:  # stopped 3 epochs after the best one, the best weights kept
            d = 0.01 * seed
            record = run(fit(LOSS[:8], [v + d for v in OVERFIT_VAL[:8]], completed=True), seed=seed)
            record.fits[0].fit_args.early_stopping = RESTORES_BEST
            return ok(record)
        return None

    v, _ = verifier(tmp_path, untreated_overfits(cured))
    result = v.verify(SOURCE)
    assert verdicts(result) == [("overfitting", "early_stopping", "accepted"),
                                ("generalization-gap", "dropout", "accepted")]
    assert [t.round for t in result.trials] == [1, 2]
    assert result.trials[1].before == result.trials[0].after, "round 2 starts from round 1's records"
    assert [p.cure.transform for p in result.accepted] == ["early_stopping", "dropout"]
    assert "EarlyStopping(" in result.source and "Dropout(" in result.source
    assert result.findings == ()


# --- the same verdicts whatever the schedule and the order runs finish in -----------------------------------------

def _rejected_then_dropout(source: str, seed: int) -> RunOutcome | None:
    if "Dropout(" in source:
        return ok(healthy(seed))
    if "EarlyStopping(" in source:
        return crashed("Unknown callback argument") if seed == 1 else ok(healthy(seed, scale=3.0))
    return None


def _two_rounds(source: str, seed: int) -> RunOutcome | None:
    if "EarlyStopping(" in source and "Dropout(" in source:
        return ok(healthy(seed, early_stopping=RESTORES_BEST))
    if "EarlyStopping(" in source:
        record = run(fit(LOSS[:8], [v + 0.01 * seed for v in OVERFIT_VAL[:8]], completed=True), seed=seed)
        record.fits[0].fit_args.early_stopping = RESTORES_BEST
        return ok(record)
    return None


ORDERS = {"sequential": (Schedule.SEQUENTIAL, None), "batched, first sent first": (Schedule.BATCHED, None),
          "batched, last sent first": (Schedule.BATCHED, lambda pending: pending[-1])}


@pytest.mark.parametrize("cured", [_rejected_then_dropout, _two_rounds, lambda source, seed: None],
                         ids=["failed then accepted", "two rounds", "nothing helps"])
def test_the_verdicts_do_not_depend_on_the_schedule_or_the_completion_order(tmp_path, cured):
    results = {}
    for name, (schedule, pick) in ORDERS.items():
        v, _ = verifier(tmp_path, untreated_overfits(cured), schedule=schedule, pick=pick)
        result = v.verify(SOURCE)
        results[name] = (result.trials, result.source, [p.cure.transform for p in result.accepted])
    first = results["sequential"]
    assert first[0], "the scenario tried something"
    assert all(other == first for other in results.values()), {k: [t.verdict for t in r[0]] for k, r in results.items()}


# --- verdicts a practitioner would sign: the finding's measure, then the task metric within a margin ----------------

# The issue's case, as recorded: validation loss best 0.29 (epoch 5), 0.37 at the end; validation accuracy 0.917
# with the three seeds within 0.002. EarlyStopping restoring the best weights brings the kept model's validation
# loss back to about 0.29 and its accuracy to 0.909: the finding's measure improved a lot, the task metric moved
# by less than a point. A practitioner keeps that cure.
CASE_TRAIN = [0.62, 0.45, 0.33, 0.27, 0.22, 0.18, 0.15, 0.12, 0.10, 0.08, 0.07, 0.06]
CASE_VAL = [0.60, 0.45, 0.36, 0.31, 0.29, 0.30, 0.31, 0.33, 0.34, 0.35, 0.36, 0.37]
CASE_ACC = [0.80, 0.85, 0.88, 0.90, 0.905, 0.91, 0.912, 0.914, 0.915, 0.916, 0.916, 0.917]


def case_untreated(seed: int) -> RunRecord:
    d = 0.001 * seed
    return run(fit(CASE_TRAIN, [v + d for v in CASE_VAL], accuracy=[a + 0.05 for a in CASE_ACC],
                   val_accuracy=[a + d for a in CASE_ACC], completed=True), seed=seed)


def case_restored(seed: int) -> RunRecord:
    """Stopped 5 epochs after the best one; the probe measured the restored model after training."""
    d = 0.001 * seed
    record = run(fit(CASE_TRAIN[:10], [v + d for v in CASE_VAL[:10]], accuracy=[a + 0.05 for a in CASE_ACC[:10]],
                     val_accuracy=[a + d for a in CASE_ACC[:10]], completed=True), seed=seed)
    record.fits[0].fit_args.early_stopping = RESTORES_BEST
    record.fits[0].final = {"val_loss": 0.29 + d, "val_accuracy": 0.909 + d}
    return record


def test_the_issues_overfitting_case_is_accepted_on_the_findings_measure_within_the_margin():
    untreated = [case_untreated(s) for s in range(3)]
    (finding,) = [f for f in diagnose_runs(untreated, Thresholds(), CATALOG) if f.name == "overfitting"]
    before, measure = target_measure(untreated), finding_measure("overfitting", untreated)
    assert (before.name, round(before.mean, 3), before.spread < 0.002) == ("val_accuracy", 0.918, True)
    assert (measure.name, round(measure.mean, 3)) == ("val_loss", 0.371)
    after_records = [case_restored(s) for s in range(3)]
    after_findings = diagnose_runs(after_records, Thresholds(), CATALOG)
    assert "overfitting" not in [f.name for f in after_findings]

    verdict, reason, after, evidence, measure_after = judge(finding, before, after_records, after_findings, measure)
    assert (after.name, round(after.mean, 3)) == ("val_accuracy", 0.91)
    assert before.mean - after.mean > 3 * max(before.spread, after.spread), "worse beyond the seed noise alone"
    assert verdict == "accepted", reason
    assert (measure_after.name, round(measure_after.mean, 3)) == ("val_loss", 0.291)
    assert reason == ("overfitting gone; val_loss 0.371 → 0.291; val_accuracy 0.918 → 0.91 "
                      "(within the margin 0.01 + the seed noise 0.001)")
    assert evidence is None
    # the old rule (the seed noise alone) would have rejected it
    assert not not_worse(before, after) and not_worse(before, after, margin(before))


@pytest.mark.parametrize(
    "name, values, allowance",
    [("val_accuracy", (0.9, 0.92), 0.01), ("val_sparse_categorical_accuracy", (0.5,), 0.01),
     ("val_loss", (0.5, 0.7), 0.012), ("loss", (2.0,), 0.04), ("val_mae", (10.0,), 0.2)],
)
def test_the_practical_margin_is_a_point_of_accuracy_or_two_percent_of_anything_else(name, values, allowance):
    higher = "accuracy" in name
    assert margin(Measure(name=name, higher_is_better=higher, values=values)) == pytest.approx(allowance)


def test_the_task_metric_may_not_fall_beyond_the_margin_plus_the_noise():
    finding = overfitting_finding()
    before = Measure(name="val_accuracy", higher_is_better=True, values=(0.917, 0.918, 0.919))

    def after(*values: float) -> list[RunRecord]:
        return [run(fit([0.5, 0.4], [0.5, 0.45], accuracy=[0.8, 0.95], val_accuracy=[0.8, v], completed=True))
                for v in values]

    assert judge(finding, before, after(0.909, 0.91, 0.911), []).verdict == "accepted"  # -0.008
    rejected = judge(finding, before, after(0.905, 0.906, 0.907), [])  # -0.012: beyond 0.01 + 0.001
    assert rejected.verdict == "rejected"
    assert rejected.reason == ("val_accuracy got worse: 0.918 ± 0.001 → 0.906 ± 0.001, "
                               "beyond the margin 0.01 + the seed noise 0.001")


def test_a_cure_that_removes_overfitting_by_making_validation_loss_worse_is_rejected():
    """Overfitting gone because the model no longer learns: the finding's measure (kept val_loss) says no,
    even though the task metric alone (accuracy within a point) would pass."""
    untreated = [case_untreated(s) for s in range(3)]
    (finding,) = [f for f in diagnose_runs(untreated, Thresholds(), CATALOG) if f.name == "overfitting"]
    worse = [run(fit(CASE_TRAIN, [0.5 + 0.001 * s] * 12, accuracy=CASE_ACC, val_accuracy=[0.912] * 12,
                     completed=True), seed=s) for s in range(3)]
    judged = judge(finding, target_measure(untreated), worse, diagnose_runs(worse, Thresholds(), CATALOG),
                   finding_measure("overfitting", untreated))
    assert judged.verdict == "rejected"
    assert judged.reason == "val_loss got worse: 0.371 ± 0.001 → 0.501 ± 0.001 (the overfitting's measure)"
    assert judged.measure_after.values == pytest.approx((0.5, 0.501, 0.502))


def test_nan_needs_a_finite_training_loss_in_every_seed():
    finding = overfitting_finding()
    nan = replace(finding, name="nan-loss", code="MD101", evidence={"first_nan_epoch": 2})
    diverged = [run(fit([1.0, 5.0, math.nan], completed=True), seed=0), run(fit([1.0, 0.5, 0.4], completed=True))]
    fine = [run(fit([1.0, 0.5, 0.4], completed=True)), run(fit([1.0, 0.6, 0.45], completed=True))]
    before = target_measure(diverged)
    measure = finding_measure("nan-loss", diverged)
    assert measure.name == "loss" and math.isnan(measure.values[0])
    judged = judge(nan, before, diverged, [], measure)
    assert judged.verdict == "rejected"
    assert judged.reason == "loss or the gradient norms are still not finite in seed(s) 0 (the nan-loss's measure)"
    assert judge(nan, before, fine, [], measure).verdict == "accepted"


# exploding_gradients_unscaled_target.py as fix --verify recorded it (2 seeds): targets around 20000 trained with
# MSE. Per sample, (grad_norm, weight_norm) of its hidden layer; the loss barely moves in 8 epochs.
PRICES_LOSS = [4.87e8, 4.869e8, 4.868e8, 4.867e8, 4.866e8, 4.865e8, 4.863e8, 4.862e8]
PRICES_VAL = [v * 1.017 for v in PRICES_LOSS]
PRICES_GRADS = [(2.2e5, 4.0), (2.2e5, 4.0), (2.21e5, 4.0), (2.22e5, 4.01)]  # ratio ~55000, pre-clip
SCALED_GRADS = [(1.9, 4.0), (1.5, 4.1), (1.3, 4.2), (1.2, 4.3)]  # ratio ~0.34 once the targets are scaled


def prices(seed: int, grads=PRICES_GRADS, loss=PRICES_LOSS, val=PRICES_VAL, clipnorm: float | None = None):
    d = 1 + 0.01 * seed
    samples = [sample(i * 10, dense={"grad_norm": g * d, "weight_norm": w},
                      out={"grad_norm": g / 50, "weight_norm": 1.0}) for i, (g, w) in enumerate(grads)]
    record = run(fit(loss, val, layers=[layer("dense"), layer("out", None, 1)], samples=samples, loss_name="mse",
                     completed=True), seed=seed)
    if clipnorm is not None:
        record.fits[0].model.optimizer.config["clipnorm"] = clipnorm
    return record


def test_clipping_that_leaves_the_gradients_before_it_as_they_were_is_rejected():
    """Clipping caps the norms the detector reads, so the finding vanishes by construction; the loss did not move.
    The measure read before clipping says what happened: nothing."""
    untreated = [prices(s) for s in range(2)]
    (finding,) = [f for f in diagnose_runs(untreated, Thresholds(), CATALOG) if f.name == "exploding-gradients"]
    before, measure = target_measure(untreated), finding_measure("exploding-gradients", untreated)
    assert (measure.name, round(measure.mean, -3)) == ("grad_to_weight_median before clipping", 55000)
    clipped = [prices(s, clipnorm=1.0) for s in range(2)]
    after_findings = diagnose_runs(clipped, Thresholds(), CATALOG)
    assert "exploding-gradients" not in [f.name for f in after_findings], "clipping hides it from the detector"

    judged = judge(finding, before, clipped, after_findings, measure)
    assert judged.verdict == "rejected"
    assert judged.reason == (
        "the gradients before clipping did not calm down: grad_to_weight_median before clipping "
        "5.54e+04 ± 3.9e+02 → 5.54e+04 ± 3.9e+02, above 2.77e+04 (half of before, or the threshold 10); "
        "clipping bounds the steps, not the gradients (the exploding-gradients's measure)")
    assert judged.measure_after.mean == pytest.approx(measure.mean)


def test_scaled_targets_calm_the_gradients_before_clipping_and_are_accepted():
    untreated = [prices(s) for s in range(2)]
    (finding,) = [f for f in diagnose_runs(untreated, Thresholds(), CATALOG) if f.name == "exploding-gradients"]
    before, measure = target_measure(untreated), finding_measure("exploding-gradients", untreated)
    scaled = [prices(s, SCALED_GRADS, [0.9, 0.4, 0.2, 0.1, 0.07, 0.05, 0.045, 0.04],
                     [0.9, 0.4, 0.2, 0.1, 0.07, 0.05, 0.045, 0.04]) for s in range(2)]
    judged = judge(finding, before, scaled, diagnose_runs(scaled, Thresholds(), CATALOG), measure)
    assert judged.verdict == "accepted", judged.reason
    assert judged.reason == ("exploding-gradients gone; grad_to_weight_median before clipping 5.54e+04 → 0.3394; "
                             "val_loss 4.945e+08 → 0.04")


def spread(std: float) -> LabelStats:
    return LabelStats(shape=[2000, 1], dtype="float32", min=-3 * std, max=3 * std, integer_valued=False,
                      one_hot=False, mean=20000.0 if std > 100 else 0.0, std=std)


def with_targets(records: list[RunRecord], std: float, loss: str = "mse") -> list[RunRecord]:
    for record in records:
        record.fits[0].labels = spread(std)
        record.fits[0].model.loss.name = loss
    return records


def test_a_cure_that_rescaled_the_targets_is_compared_in_the_untreated_targets_units():
    """scale_targets trains on targets 1/10000 the size: its MSE is compared x 1e8, not as it reads."""
    untreated = with_targets([prices(s) for s in range(2)], 10000.0)
    (finding,) = [f for f in diagnose_runs(untreated, Thresholds(), CATALOG) if f.name == "exploding-gradients"]
    before, measure = target_measure(untreated), finding_measure("exploding-gradients", untreated)
    fits_well = with_targets([prices(s, SCALED_GRADS, [0.9, 0.4, 0.2, 0.1, 0.07, 0.05, 0.045, 0.04],
                                     [0.9, 0.4, 0.2, 0.1, 0.07, 0.05, 0.045, 0.04]) for s in range(2)], 1.0)
    judged = judge(finding, before, fits_well, diagnose_runs(fits_well, Thresholds(), CATALOG), measure, untreated)
    assert judged.verdict == "accepted", judged.reason
    assert judged.reason == ("exploding-gradients gone; grad_to_weight_median before clipping 5.54e+04 → 0.3394; "
                             "val_loss 4.945e+08 → 4e+06 (val_loss of the treated runs is on targets scaled by "
                             "1/1e+04: compared in the untreated targets' units (x 1e+08))")
    assert judged.after.values == pytest.approx((4e6, 4e6))
    # Calm gradients, but a fit worse than the untreated one once read in the targets' own units: 5.1 x 1e8.
    fits_worse = with_targets([prices(s, SCALED_GRADS, [5.3, 5.2, 5.1], [5.3, 5.2, 5.1]) for s in range(2)], 1.0)
    worse = judge(finding, before, fits_worse, diagnose_runs(fits_worse, Thresholds(), CATALOG), measure, untreated)
    assert worse.verdict == "rejected"
    assert worse.reason.startswith("val_loss got worse: 4.945e+08 ± 0 → 5.1e+08 ± 0, beyond the margin")


def test_a_loss_with_no_known_power_of_the_targets_scale_is_not_compared_across_scales():
    untreated = with_targets([prices(s) for s in range(2)], 10000.0, loss="huber")
    (finding,) = [f for f in diagnose_runs(untreated, Thresholds(), CATALOG) if f.name == "exploding-gradients"]
    before, measure = target_measure(untreated), finding_measure("exploding-gradients", untreated)
    scaled = with_targets([prices(s, SCALED_GRADS, [5.3, 5.2, 5.1], [5.3, 5.2, 5.1]) for s in range(2)], 1.0,
                          loss="huber")
    judged = judge(finding, before, scaled, diagnose_runs(scaled, Thresholds(), CATALOG), measure, untreated)
    assert judged.verdict == "accepted", judged.reason
    assert judged.reason == ("exploding-gradients gone; grad_to_weight_median before clipping 5.54e+04 → 0.3394 "
                             "(val_loss is on targets scaled by 1/1e+04 and its loss has no known power of the "
                             "targets' scale: not compared)")
    assert judged.after.values == pytest.approx((5.1, 5.1))  # reported as it read


def test_exploding_gradients_need_a_finite_loss_and_finite_gradients_in_every_seed():
    untreated = [prices(s) for s in range(2)]
    (finding,) = [f for f in diagnose_runs(untreated, Thresholds(), CATALOG) if f.name == "exploding-gradients"]
    diverged = [prices(0, SCALED_GRADS, [0.9, 5.0, math.nan], [0.9, 5.0, math.nan]), prices(1, SCALED_GRADS)]
    judged = judge(finding, target_measure(untreated), diverged, [], finding_measure("exploding-gradients", untreated))
    assert judged.verdict == "rejected"
    assert judged.reason == ("the training loss or the gradient norms are still not finite in seed(s) 0 "
                             "(the exploding-gradients's measure)")


def test_variances_measure_is_the_spread_of_the_task_metric_across_seeds():
    records = [run(fit([0.9, 0.5], [1.0, 0.6], accuracy=[0.6, 0.8], val_accuracy=[0.55, v], completed=True))
               for v in (0.6, 0.8, 0.7)]
    measure = finding_measure("high-variance", records)
    assert (measure.name, measure.values, measure.higher_is_better) == ("val_accuracy spread", (pytest.approx(0.1),),
                                                                       False)
    assert finding_measure("dying-relu", records) is None, "no measure of its own: the task metric only"


def test_every_format_reports_the_findings_measure_and_the_task_metric():
    from modeldoctor.ftypes import Report, Trial
    from modeldoctor.report.json_report import trial_json
    from modeldoctor.report.view import trial_line, trial_views

    loss = Measure(name="val_loss", higher_is_better=False, values=(0.37, 0.372))
    kept = Measure(name="val_loss", higher_is_better=False, values=(0.29, 0.291))
    acc = Measure(name="val_accuracy", higher_is_better=True, values=(0.917, 0.918))
    acc_after = Measure(name="val_accuracy", higher_is_better=True, values=(0.909, 0.91))
    trial = Trial(code="MD201", finding="overfitting", transform="early_stopping", params={}, verdict="accepted",
                  reason="r", before=acc, after=acc_after, measure_before=loss, measure_after=kept, seeds=(0, 1))
    document = trial_json(trial)
    assert document["finding_measure_before"]["mean"] == pytest.approx(0.371)
    assert document["finding_measure_after"]["name"] == "val_loss" and document["after"]["name"] == "val_accuracy"
    (shown,) = trial_views(Report(script="train.py", trials=(trial,)))
    assert trial_line(shown).startswith("MD201 overfitting → early_stopping(): ACCEPTED (val_loss 0.371 ± 0.0014; "
                                        "val_accuracy 0.9175 ± 0.00071 → val_loss 0.2905 ± 0.00071; "
                                        "val_accuracy 0.9095 ± 0.00071, 2 seeds")
    declined = replace(trial, verdict="declined", after=None, measure_after=None)
    assert trial_json(declined)["finding_measure_after"] is None


def test_the_loop_keeps_early_stopping_on_the_issues_numbers_and_records_both_measures(tmp_path):
    def respond(source: str, seed: int) -> RunOutcome:
        return ok(case_restored(seed) if "EarlyStopping(" in source else case_untreated(seed))

    v, _ = verifier(tmp_path, respond, seeds=3)
    result = v.verify(SOURCE)
    assert verdicts(result)[0] == ("overfitting", "early_stopping", "accepted")
    trial = result.trials[0]
    assert (trial.measure_before.name, round(trial.measure_before.mean, 3)) == ("val_loss", 0.371)
    assert (trial.measure_after.name, round(trial.measure_after.mean, 3)) == ("val_loss", 0.291)
    assert (trial.before.name, trial.after.name) == ("val_accuracy", "val_accuracy")
    assert "EarlyStopping(" in result.source


# An SGD regression on targets at unit scale whose gradients explode at a rate of 0.5 (`model.fit(` on line 10, as records.HERE says).
SGD_SOURCE = SOURCE.replace('keras.layers.Dense(10, activation="softmax")', "keras.layers.Dense(1)").replace(
    'optimizer="adam", loss="sparse_categorical_crossentropy"', "optimizer=keras.optimizers.SGD(learning_rate=0.5), "
    'loss="mse"')
assert SGD_SOURCE.count("\n") == SOURCE.count("\n") and "SGD(learning_rate=0.5)" in SGD_SOURCE
CALM_LOSS = [0.9, 0.4, 0.2, 0.1, 0.07, 0.05, 0.045, 0.04]


def sgd_prices(source: str, seed: int) -> RunOutcome:
    """What each treatment of SGD_SOURCE records: clipping alone leaves the gradients before it as they were (the
    steps are bounded, the rate still throws the weights about), a rate ten times lower alone still diverges to
    NaN, and both together calm the gradients and the loss."""
    clipped, lower = "clipnorm=1.0" in source, "learning_rate=0.05" in source
    if clipped and lower:
        record = prices(seed, SCALED_GRADS, CALM_LOSS, CALM_LOSS, clipnorm=1.0)
    elif lower:
        record = prices(seed, SCALED_GRADS, [4.87e8, 3e19, math.nan], [4.9e8, 3e19, math.nan])
    else:
        record = prices(seed, clipnorm=1.0 if clipped else None)
    record.fits[0].labels = spread(1.0)  # targets at unit scale: scaling them declines
    optimizer = record.fits[0].model.optimizer
    assert optimizer is not None
    optimizer.class_name, optimizer.learning_rate = "SGD", 0.05 if lower else 0.5
    return ok(record)


def test_clipping_and_a_lower_rate_together_are_tried_only_once_each_alone_left_the_gradients_exploding(tmp_path):
    """The combined cure is the rule's last: the loop reaches it only after clipping alone (gradients before it
    unchanged) and a lower rate alone (NaN) were rejected, and keeps it on its own numbers."""
    check, runner = verifier(tmp_path, sgd_prices, SGD_SOURCE)
    check.keep = lambda findings, source: [f for f in findings if f.name == "exploding-gradients"]  # --select MD102
    result = check.verify(SGD_SOURCE)
    assert [(t.transform, t.verdict) for t in result.trials] == [
        ("gradient_clipping", "rejected"), ("scale_targets", "declined"), ("batch_normalization", "rejected"),
        ("set_learning_rate", "rejected"), ("clip_and_lower_rate", "accepted")]
    clipping, _, _, lower, both = result.trials
    assert clipping.reason.startswith("the gradients before clipping did not calm down")
    assert lower.reason.startswith("the training loss or the gradient norms are still not finite in seed(s) 0, 1")
    assert both.params == {"clipnorm": 1.0, "learning_rate": 0.05}
    assert both.reason == ("exploding-gradients gone; grad_to_weight_median before clipping 5.54e+04 → 0.3394; "
                           "val_loss 4.945e+08 → 0.04")
    assert "SGD(learning_rate=0.05, clipnorm=1.0)" in result.source
    assert [p.cure.transform for p in result.accepted] == ["clip_and_lower_rate"]
