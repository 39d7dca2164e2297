"""Findings judged on the whole curve, confirmed part-way: the rest of the run projected two ways.

slow-convergence and underfitting are judged on how training ended. On a
fit still training they speak only when the detector finds them on both
projections of the rest of the curve (straight on at the recent pace, and
slowing as it slows), with stricter thresholds, after a tenth of the fit (and ten epochs).
"""

from __future__ import annotations

import dataclasses
import math

from modeldoctor.diagnose.detectors.generalization import underfitting
from modeldoctor.diagnose.live import LiveDiagnosis
from modeldoctor.diagnose.projection import projections
from modeldoctor.diagnose.thresholds import Thresholds
from modeldoctor.record import FitArgs, FitRecord, OptimizerInfo
from records import classes, fit

T = Thresholds()


def planned(losses: list[float], epochs: int = 100, val: list[float] | None = None, first: float | None = 1.02,
            **kw) -> FitRecord:
    partial = fit(losses, val_loss=val, first_batch=losses[0] * first if first else None, **kw)
    return dataclasses.replace(partial, fit_args=FitArgs(epochs=epochs, has_validation_data=val is not None))


def looks(partial: FitRecord) -> list:
    """The live looks at every epoch end of this partial curve, as the probe would make them."""
    live, out = LiveDiagnosis(T), []
    for n in range(1, len(partial.epochs) + 1):
        seen = dataclasses.replace(partial, epochs=partial.epochs[:n])
        out.append(live.look(seen, epoch_end=True, step=n * 30))
    return out


STRAIGHT = [2.3 - 0.004 * i for i in range(25)]  # plain SGD at a tiny rate: -0.004 an epoch, far from done
FLATTENING = [1.6 + 0.7 * math.exp(-i / 6) for i in range(20)]  # slows down: its end is flat, not slow


def test_projections_go_straight_on_and_slow_down_as_the_curve_slows():
    straight, slowing = projections(planned(STRAIGHT))
    assert len(straight.epochs) == len(slowing.epochs) == 100
    assert math.isclose(straight.epochs[-1]["loss"], 2.3 - 0.004 * 99, rel_tol=1e-3)
    flat_straight, flat_slowing = projections(planned(FLATTENING))
    assert flat_slowing.epochs[-1]["loss"] > flat_straight.epochs[-1]["loss"]
    assert projections(planned(STRAIGHT, epochs=20)) == []  # over: nothing to project


def test_a_loss_falling_straight_and_far_from_done_is_slow_for_good_after_a_tenth_of_the_fit():
    seen = looks(planned(STRAIGHT))
    decided = [i + 1 for i, look in enumerate(seen) if look.decision is not None]
    assert decided and decided[0] == 11  # confirmed at epochs 10 and 11 (held at two epoch ends)
    assert all(look.findings == [] for look in seen[:9])  # nothing said before a tenth of the fit
    assert seen[decided[0] - 1].decision.finding == "slow-convergence"


def test_a_flattening_loss_is_not_called_slow_it_may_end_as_a_plateau():
    partial = planned(FLATTENING, labels=classes(10))
    assert all(look.decision is None or look.decision.finding != "slow-convergence" for look in looks(partial))


def test_a_plateau_far_above_a_constant_prediction_is_underfitting_for_good():
    plateau = [2.3 * (0.92 + 0.08 * math.exp(-i)) for i in range(25)]  # log(10) = 2.30: learned almost nothing
    partial = planned(plateau, val=[v * 1.01 for v in plateau], labels=classes(10))
    assert underfitting(dataclasses.replace(partial, completed=True), T) is not None
    decisions = [look.decision for look in looks(partial) if look.decision is not None]
    assert decisions and decisions[0].finding == "underfitting" and decisions[0].epoch == 11


# The first 60 of 300 epochs of a healthy run (held out when the share was set): plain SGD on digits whose rate
# warms up from 1e-4 to 0.05 over 40% of the fit. It crawls, then speeds up, and ends at a loss of 0.08.
WARMUP = [2.482, 2.479, 2.473, 2.464, 2.453, 2.44, 2.425, 2.41, 2.393, 2.375, 2.357, 2.339, 2.32, 2.301, 2.281,
          2.26, 2.239, 2.218, 2.196, 2.173, 2.149, 2.124, 2.098, 2.071, 2.043, 2.013, 1.983, 1.951, 1.917, 1.883,
          1.847, 1.81, 1.772, 1.732, 1.692, 1.651, 1.609, 1.567, 1.524, 1.481, 1.437, 1.394, 1.35, 1.306, 1.263,
          1.22, 1.177, 1.135, 1.094, 1.053, 1.014, 0.975, 0.938, 0.903, 0.869, 0.836, 0.805, 0.775, 0.746, 0.719]


def test_a_crawl_that_speeds_up_under_a_warmup_is_never_confirmed_slow_or_a_plateau():
    partial = planned(WARMUP, epochs=300, val=[v * 1.01 for v in WARMUP], labels=classes(10))
    seen = looks(partial)
    assert all(look.decision is None for look in seen)
    assert all(f.name not in ("slow-convergence", "underfitting") for look in seen for f in look.findings)


def test_a_healthy_curve_is_neither_slow_nor_underfitting_part_way():
    healthy = [2.3 * math.exp(-i / 4) + 0.05 for i in range(20)]
    partial = planned(healthy, val=[v * 1.05 for v in healthy], labels=classes(10))
    assert all(look.findings == [] for look in looks(partial))


def test_a_cure_trial_is_never_cut_short_on_a_projection():
    """A trial is judged on how much weaker its finding ends; a projection only says it will still be there."""
    live, partial = LiveDiagnosis(T, stop_on=("slow-convergence",)), planned(STRAIGHT)
    for n in range(1, len(partial.epochs) + 1):
        look = live.look(dataclasses.replace(partial, epochs=partial.epochs[:n]), epoch_end=True, step=n * 30)
        assert look.decision is None
    assert look.findings[0].name == "slow-convergence"  # still said, as a suspicion


def test_a_long_run_crawling_down_is_not_called_stalled_after_four_epochs():
    """0.2% an epoch: under 1% after four epochs, but 24% by the hundredth; a loss that does not move at all is."""
    crawl = planned([2.3 * (1 - 0.002 * i) for i in range(8)], first=None)
    assert all(look.decision is None for look in looks(crawl))
    assert any(look.findings and look.findings[0].name == "stalled-loss" for look in looks(crawl))
    flat = planned([2.3] * 8, first=1.0)
    decided = [look.decision for look in looks(flat) if look.decision is not None]
    assert decided and decided[0].finding == "stalled-loss" and decided[0].epoch == 4


def test_a_loss_going_back_up_is_not_a_plateau_it_may_end_as_an_oscillation():
    """A rate schedule that grows: the loss falls, then climbs; high at the end, but not settled."""
    climbing = [0.69 - 0.01 * i for i in range(10)] + [0.6 + 0.03 * i for i in range(15)]
    partial = planned(climbing, val=climbing, labels=classes(2))
    seen = looks(partial)
    assert all(f.name != "underfitting" for look in seen for f in look.findings)
    assert seen[-1].decision is not None and seen[-1].decision.finding == "oscillating-loss"


def _first_decision(partial: FitRecord):
    return next((look.decision for look in looks(partial) if look.decision is not None), None)


def _frozen(partial: FitRecord, params: int = 100) -> FitRecord:
    """Every layer's weights frozen (`params` of them per layer; 0: a model described before it was built)."""
    for info in partial.model.layers:
        info.params, info.trainable_params = params, 0
    return partial


def test_weights_the_code_cannot_move_are_stalled_for_good_at_the_first_epoch_end():
    """No trainable weights, or a constant rate of 0: a fact of the code, decided at once. The first batch being
    harder than the epoch's mean is not progress."""
    decision = _first_decision(_frozen(planned([1.1] * 8, first=1.05)))
    assert decision is not None and (decision.finding, decision.epoch) == ("stalled-loss", 1)
    assert decision.message.endswith("after 1 epoch (+0.0%); the model has no trainable weights")
    zero_rate = planned([1.1] * 8, first=1.05)
    zero_rate.model.optimizer = OptimizerInfo("Adam", 0.0, config={"learning_rate": 0.0})
    decision = _first_decision(zero_rate)
    assert decision is not None and decision.epoch == 1 and decision.message.endswith("its learning rate is 0")


def test_a_rate_schedule_an_unknown_callback_or_an_unbuilt_model_may_still_move_the_weights():
    """A warmup from 0 is a schedule, a callback of the script's own may unfreeze layers, and a model with no
    weights recorded at all was described before it was built: the loss has to show it, at two epoch ends after
    four epochs."""
    warmup = planned([1.1] * 8, first=1.0)
    warmup.model.optimizer = OptimizerInfo("Adam", 0.0, config={"learning_rate": {"class_name": "CosineDecay"}})
    unfreezes = _frozen(planned([1.1] * 8, first=1.0))
    unfreezes.fit_args.callbacks = ["UnfreezeAtEpoch"]
    unbuilt = _frozen(planned([1.1] * 8, first=1.0), params=0)
    for partial in (warmup, unfreezes, unbuilt):
        decision = _first_decision(partial)
        assert decision is not None and (decision.finding, decision.epoch) == ("stalled-loss", 4)
