"""Keep Keras 2's `decay=` as the schedule it was: `SGD(0.01, decay=1e-6)` → an `InverseTimeDecay` learning rate.

Keras 2 lowered the rate every step as `lr / (1 + decay * iterations)`; Keras 3
accepts `decay=` and ignores it (with a warning), so the rate stays constant.
`InverseTimeDecay(initial_learning_rate=lr, decay_steps=1, decay_rate=decay)`
is the same formula. Unsafe: it changes what Keras 3 trains (back to what the
script meant), and the schedule replaces a number that other lines may read.
"""

from __future__ import annotations

import libcst as cst

from modeldoctor.ftypes import Applicability
from modeldoctor.transforms.engine.base import Param, TransformSpec
from modeldoctor.transforms.engine.call_edits import append_arg, kwarg, literal, number_value, remove_arg
from modeldoctor.transforms.engine.legacy_edits import LegacyCommand
from modeldoctor.vocabulary import DEFAULT_LEARNING_RATE

RATE_KEYWORDS = ("learning_rate", "lr")


class DecaySchedule(LegacyCommand):
    DESCRIPTION = "Turn an optimizer's ignored decay= into the InverseTimeDecay schedule Keras 2 applied."

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.Call:
        callee = self.callee(original_node, self.params["callees"])
        decay = next((a for a in updated_node.args if a.keyword is not None and a.keyword.value == "decay"), None)
        if callee is None or decay is None:
            return updated_node
        call = remove_arg(updated_node, decay)
        if number_value(decay.value) == 0:
            self.note(original_node, f"{callee}: removed decay=0 (no decay)")
            return call
        rate = next((a for a in call.args if a.keyword is not None and a.keyword.value in RATE_KEYWORDS), None)
        if rate is None and call.args and call.args[0].keyword is None and not call.args[0].star:
            rate = call.args[0]
        initial = rate.value if rate is not None else literal(DEFAULT_LEARNING_RATE.get(callee, 0.001))
        schedule = cst.Call(self.names.ref(self.context, "optimizers.schedules", "InverseTimeDecay"), args=[
            kwarg("initial_learning_rate", initial).with_changes(
                comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))),
            kwarg("decay_steps", literal(1)).with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))),
            kwarg("decay_rate", decay.value)])
        if rate is None:
            call = append_arg(call, kwarg("learning_rate", schedule))
        elif rate.keyword is None:
            call = call.with_changes(args=[a.with_changes(value=schedule) if a is rate else a for a in call.args])
        else:
            call = call.with_changes(args=[a.with_changes(keyword=cst.Name("learning_rate"), value=schedule)
                                           if a is rate else a for a in call.args])
        self.note(original_node, f"{callee}: decay= → learning_rate=InverseTimeDecay(...)")
        return call


TRANSFORM = TransformSpec(
    name="decay_schedule",
    description=DecaySchedule.DESCRIPTION,
    command=DecaySchedule,
    applicability=Applicability.UNSAFE,
    params={
        "callees": Param(list, [], "optimizer patterns (keras.optimizers.*)"),
        "drop": Param(list, [], "the keywords the rule's finder reports (decay)"),
    },
)
