"""A cyclic learning rate: `keras.optimizers.schedules.CosineDecayRestarts` in place of a constant rate.

For run-to-run variance: each cycle anneals the rate to nearly zero, so
every run ends its last cycle settled in a minimum instead of bouncing
around it at a constant rate (the snapshots at the cycles' ends are what
snapshot ensembles average; Huang et al. 2017, Loshchilov & Hutter 2017).
The optimizer's constant rate becomes the schedule's `initial_learning_rate`;
`first_decay_steps` is absolute (resolved from the record so that a rule's
`cycles` cycles, each twice as long as the one before, as Keras' default
`t_mul=2.0` makes them, end with the last step of the run). A rate that is already a
schedule or a variable is left alone, with the reason. Idempotent: a
CosineDecayRestarts rate is not changed again. Unsafe: it changes training.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import libcst as cst

from modeldoctor.ftypes import Applicability
from modeldoctor.transforms.engine.base import Decline, Param, TransformSpec
from modeldoctor.transforms.engine.call_edits import arg_of, has_star, kwarg, literal, number_value, prepend_arg
from modeldoctor.transforms.engine.calls import last_name
from modeldoctor.transforms.engine.optimizer_command import OptimizerCommand, Site
from modeldoctor.vocabulary import LEARNING_RATE, LEARNING_RATE_POSITION

if TYPE_CHECKING:
    from modeldoctor.ftypes import Finding
    from modeldoctor.record import FitRecord

SCHEDULE = "CosineDecayRestarts"
DEFAULT_RATE = {"SGD": 0.01}  # Keras' default learning rate per optimizer; 0.001 for the others


class CyclicSchedule(OptimizerCommand):
    DESCRIPTION = "Replace the optimizer's constant learning rate by a CosineDecayRestarts schedule."

    def check_params(self) -> None:
        if not self.params["first_decay_steps"] or self.params["first_decay_steps"] < 1:
            raise Decline(f"cyclic_schedule needs first_decay_steps >= 1, got {self.params['first_decay_steps']!r}")

    def edit_optimizer(self, call: cst.Call, site: Site) -> cst.Call:
        if has_star(call):
            raise Decline(f"`{self.code(call)}` passes *args/**kwargs: cannot tell its learning rate")
        arg = arg_of(call, LEARNING_RATE, LEARNING_RATE_POSITION)
        if arg is not None and isinstance(arg.value, cst.Call) and last_name(arg.value.func) == SCHEDULE:
            return call
        rate = number_value(arg.value) if arg is not None else DEFAULT_RATE.get(site.cls or "", 0.001)
        if rate is None:
            raise Decline(f"the learning rate `{self.code(arg.value)}` is a schedule or a variable: "  # type: ignore[union-attr]
                          "change it where it is defined")
        if site.cls is None:
            raise Decline(f"`{self.code(call)}` is not a Keras optimizer: cannot tell how it takes a learning rate")
        schedule = cst.Call(func=self.names.ref(self.context, "optimizers.schedules", SCHEDULE), args=[
            kwarg("initial_learning_rate", literal(rate)),
            kwarg("first_decay_steps", literal(int(self.params["first_decay_steps"])))])
        if arg is None:
            return prepend_arg(call, kwarg(LEARNING_RATE, schedule))
        new = arg.with_changes(value=schedule)
        return call.with_changes(args=[new if a is arg else a for a in call.args])


def resolve(params: dict[str, Any], fit: FitRecord | None, finding: Finding | None) -> dict[str, Any]:
    """`cycles` cycles of lengths d, 2d, 4d... over the run's steps: d = steps / (2**cycles - 1)."""
    cycles = params.pop("cycles", None)
    if cycles is not None:
        steps = fit.steps_per_epoch if fit is not None else None
        epochs = fit.fit_args.epochs if fit is not None else None
        if not steps or not epochs:
            raise LookupError("the run's epochs or steps per epoch are unknown")
        params["first_decay_steps"] = max(1, int(round(epochs * steps / (2**int(cycles) - 1))))
    return params


TRANSFORM = TransformSpec(
    name="cyclic_schedule",
    description=CyclicSchedule.DESCRIPTION,
    command=CyclicSchedule,
    applicability=Applicability.UNSAFE,
    params={"first_decay_steps": Param(int, None, "steps in the first cycle (absolute)")},
    target_kinds=CyclicSchedule.TARGET_KINDS,
    relative={"cycles": Param(int, None, "cycles over the run, each twice as long as the one before")},
    resolve=resolve,
)
