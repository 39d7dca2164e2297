"""Every number a detector compares against, in one place, each with its reason.

Defaults start from the published tools (AUTOTRAINER, DeepDiagnosis, the
update-ratio rule of thumb) and were calibrated on `fixtures/` and on half A
of `fixtures/corpus/` only; half B is held out to measure them
(`benchmarks/diagnosis.py`, `tests/test_corpus.py`). Users override them in
`[tool.modeldoctor.thresholds]`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any


def _t(default: float, reason: str) -> Any:
    return field(default=default, metadata={"reason": reason})


@dataclass(frozen=True)
class Thresholds:
    explode_grad_to_weight: float = _t(10.0, "gradient norm above 10x the layer's weight norm (healthy runs: < 0.5)")
    explode_growth: float = _t(1e3, "a layer's gradient norm grows 1000x over training (orders of magnitude)")
    explode_quiet_progress: float = _t(0.25, "growth alone is no evidence when the loss fell in every epoch to "
                                       "below 25% of its first epoch's: it grew from a tiny start, training is fine")
    vanish_ratio: float = _t(1e-3, "first/last layer gradient-norm ratio below 1e-3 (AUTOTRAINER)")
    vanish_abs: float = _t(1e-5, "first layer mean |gradient| below 1e-5 (DeepDiagnosis uses 1e-7; calibrated)")
    vanish_min_layers: float = _t(3, "vanishing needs depth: at least 3 trainable layers")
    dead_share: float = _t(0.7, "at least 70% of a ReLU layer's units dead on the sampled batch (AUTOTRAINER)")
    saturated_share: float = _t(0.5, "more than 50% of sigmoid/tanh activations in the flat tails (DeepDiagnosis)")
    stall_improvement: float = _t(0.01, "training loss improved by less than 1% from the first batch")
    slow_remaining: float = _t(0.5, "loss still above 50% of its start at the end of the budget")
    slow_late_share: float = _t(0.2, "the last third of epochs still brought at least 20% of the total drop "
                                "(a straight line brings 27% over 12 epochs; calibrated on corpus half A)")
    oscillation_rises: float = _t(0.3, "the epoch loss rose in at least 30% of epochs")
    oscillation_rise_size: float = _t(0.02, "a rise counts when it is above 2% of the loss")
    bounce_rises: float = _t(0.4, "after its early low the training loss rose in at least 40% of the later epochs")
    bounce_above: float = _t(1.5, "the training loss ends at least 1.5x its early low (it lost what it had learned)")
    bounce_val_rise: float = _t(0.5, "the validation loss ends at least 50% above its best")
    lr_high_adaptive: float = _t(0.01, "Adam, RMSprop and their kin at a rate of 0.01 or more: 10x their default")
    lr_high_sgd: float = _t(0.5, "SGD's effective step lr / (1 - momentum) at 0.5 or more")
    update_ratio_high: float = _t(0.1, "median update ratio ||dw||/||w|| above 1e-1 (healthy near 1e-3)")
    update_ratio_low: float = _t(1e-5, "median update ratio ||dw||/||w|| below 1e-5")
    input_scale: float = _t(10.0, "a feature's root-mean-square above 10: far from unit scale")
    input_scale_spread: float = _t(1e3, "features' root-mean-squares differ by more than 1000x")
    target_range_margin: float = _t(0.05, "targets reach more than 5% of their range outside what the output "
                                          "activation can produce (a ReLU output for targets down to -2)")
    init_ratio: float = _t(10.0, "initial kernel std more than 10x off the 1/sqrt(fan_in) scale")
    overfit_patience: float = _t(3, "validation loss above its best for at least 3 epochs (not one noisy epoch)")
    overfit_rise: float = _t(0.1, "validation loss ends at least 10% above its best")
    overfit_floor: float = _t(0.01, "and the rise is at least 1% of the first epoch's validation loss: "
                              "a rise of a loss near zero is noise")
    gap_metric: float = _t(0.1, "training metric ahead of validation by at least 0.1 (accuracy-like)")
    gap_loss_ratio: float = _t(1.5, "validation loss above 1.5x training loss (when there is no metric)")
    gap_growth: float = _t(0.0, "the gap did not narrow since the first third of training "
                           "(calibrated on corpus half A: a gap that holds is a gap)")
    gap_loss_floor: float = _t(0.05, "a loss gap counts only when validation exceeds training by 5% of the "
                               "first epoch's validation loss: the ratio of two losses near zero is not evidence")
    gap_still_improving: float = _t(0.02, "no loss gap while validation loss ends within 2% of its best and "
                                    "still falling: it is still learning what generalizes")
    underfit_loss_share: float = _t(0.5, "final loss above half the loss of a constant prediction")
    variance_loss_cv: float = _t(0.25, "final validation loss varies across seeds by more than 25% of its mean "
                                 "(used only when there is no accuracy-like metric)")
    judge_min_steps: float = _t(20, "gradients and update ratios are judged after 20 training steps at least: in the "
                                "first steps the weights sit at their initialization and Adam's moments warm up")
    variance_metric_std: float = _t(0.05, "final validation accuracy varies across seeds with std above 0.05")

    def with_overrides(self, overrides: dict[str, Any]) -> Thresholds:
        known = {f.name for f in dataclasses.fields(self)}
        unknown = sorted(set(overrides) - known)
        if unknown:
            raise ValueError(f"unknown threshold(s): {', '.join(unknown)}; known: {', '.join(sorted(known))}")
        return dataclasses.replace(self, **{k: float(v) for k, v in overrides.items()})

    @staticmethod
    def reasons() -> dict[str, str]:
        return {f.name: f.metadata["reason"] for f in dataclasses.fields(Thresholds)}
