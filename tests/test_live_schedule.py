"""A long fit's first epoch, sampled densely: decisive problems show in it, and the medians stay calibrated.

A fit of 120 epochs samples once every 5 epochs on its regular schedule; the
probe adds a handful of samples spread over its first epoch (`Sample.extra`).
The detectors read them only until the regular schedule has a sample past
them (`series.schedule`), so a whole run is judged on the regular schedule
alone, exactly as the thresholds were calibrated.
"""

from __future__ import annotations

import dataclasses

from modeldoctor.diagnose.detectors.activations import dying_relu
from modeldoctor.diagnose.live import LiveDiagnosis
from modeldoctor.diagnose.series import regular, schedule
from modeldoctor.diagnose.thresholds import Thresholds
from modeldoctor.probe.recorder import FIRST_EPOCH_SAMPLES, first_epoch_extra
from modeldoctor.record import Sample
from records import fit, sample

T = Thresholds()


def dead(step: int, share: float = 1.0, extra: bool = True) -> Sample:
    s = sample(step, dense={"dead_fraction": share, "grad_norm": 0.0 if share >= 1 else 0.2},
               out={"grad_norm": 0.1})
    return dataclasses.replace(s, extra=extra)


def test_only_a_fit_sampled_at_most_once_an_epoch_gets_extra_samples_spread_over_its_first_epoch():
    assert first_epoch_extra(steps_per_epoch=100, sample_every=80) == set()  # 24 epochs or fewer: enough
    extra = first_epoch_extra(steps_per_epoch=12, sample_every=60)  # 120 epochs of 12 steps
    assert len(extra) == FIRST_EPOCH_SAMPLES and max(extra) == 11 and min(extra) > 0
    assert first_epoch_extra(steps_per_epoch=3, sample_every=20) == {1, 2}  # never more than the epoch has
    assert 0 not in first_epoch_extra(steps_per_epoch=12, sample_every=12)  # step 0 is the regular schedule's


def test_extra_samples_are_the_evidence_until_a_regular_sample_passes_them():
    long = fit([], samples=[dead(0, share=0.2, extra=False), dead(3), dead(7), dead(11)],
               sample_every=60, steps_per_epoch=12)
    assert [s.step for s in schedule(long)] == [0, 3, 7, 11] and [s.step for s in regular(long)] == [0]
    assert dying_relu(long, T) is not None
    decision = LiveDiagnosis(T).look(long, epoch_end=False, step=12).decision
    assert decision is not None and decision.finding == "dying-relu"
    long.samples.append(dead(60, share=0.2, extra=False))  # the regular schedule's second sample: alive
    assert [s.step for s in schedule(long)] == [0, 60]
    assert dying_relu(long, T) is None  # the whole run is read on the regular schedule, as calibrated


def test_a_rate_is_settled_on_the_regular_schedule_only():
    """Extra samples above the threshold do not count toward the median the whole fit will take."""
    def rated(step: int, ratio: float, extra: bool) -> Sample:
        return dataclasses.replace(sample(step, dense={"update_ratio": ratio}), extra=extra)

    long = fit([1.0], samples=[rated(0, 0.001, False), *(rated(s, 0.5, True) for s in (5, 10, 15, 20, 29))],
               sample_every=150, steps_per_epoch=30)
    long.fit_args = dataclasses.replace(long.fit_args, epochs=120)
    look = LiveDiagnosis(T).look(long, epoch_end=True, step=30)
    assert look.findings[0].name == "learning-rate-too-high" and look.decision is None
