"""Keras 1's sample counts as Keras 3's step counts: `samples_per_epoch=160` → `steps_per_epoch=160 // BATCH_SIZE`.

Keras 1's `fit_generator` ended an epoch after `samples_per_epoch` samples
(`nb_val_samples` for validation); Keras 3 counts batches. The batch size is
not in the call: the cure uses the file's own module-level `BATCH_SIZE` (or
`batch_size`) constant and declines when there is none. Unsafe: it assumes
the generator yields batches of that size.
"""

from __future__ import annotations

import re

import libcst as cst
import libcst.matchers as m

from modeldoctor.ftypes import Applicability
from modeldoctor.transforms.engine.base import Decline, Param, TransformSpec
from modeldoctor.transforms.engine.legacy_edits import LegacyCommand

STEPS = {"samples_per_epoch": "steps_per_epoch", "nb_val_samples": "validation_steps"}
BATCH_NAME = re.compile(r"^batch_size$", re.IGNORECASE)


class SampleCounts(LegacyCommand):
    DESCRIPTION = "Turn Keras 1's samples_per_epoch/nb_val_samples into step counts with the file's batch size."

    def visit_Module(self, node: cst.Module) -> bool:
        super().visit_Module(node)
        names = [t.target.value for stmt in node.body if isinstance(stmt, cst.SimpleStatementLine)
                 for small in stmt.body if isinstance(small, cst.Assign)
                 for t in small.targets if isinstance(t.target, cst.Name) and BATCH_NAME.match(t.target.value)]
        self.batch = names[-1] if names else None
        return True

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.Call:
        if self.callee(original_node, self.params["callees"]) is None:
            return updated_node
        counted = [a for a in updated_node.args if a.keyword is not None and a.keyword.value in STEPS]
        if not counted:
            return updated_node
        if self.batch is None:
            raise Decline("samples_per_epoch: the file has no module-level BATCH_SIZE constant to turn samples "
                          "into steps; pass steps_per_epoch = samples // your generator's batch size")
        taken = {a.keyword.value for a in updated_node.args if a.keyword is not None}
        args = []
        for arg in updated_node.args:
            name = arg.keyword.value if arg.keyword is not None else None
            if name in STEPS and STEPS[name] not in taken:
                steps = cst.BinaryOperation(arg.value, cst.FloorDivide(whitespace_before=cst.SimpleWhitespace(" "),
                                            whitespace_after=cst.SimpleWhitespace(" ")), cst.Name(self.batch))
                arg = arg.with_changes(keyword=cst.Name(STEPS[name]), value=steps)
            args.append(arg)
        self.note(original_node, f"sample counts → step counts of {self.batch}")
        return updated_node.with_changes(args=args)


TRANSFORM = TransformSpec(
    name="sample_counts",
    description=SampleCounts.DESCRIPTION,
    command=SampleCounts,
    applicability=Applicability.UNSAFE,
    params={
        "callees": Param(list, [], "the calls (.fit, .fit_generator)"),
        "drop": Param(list, [], "the keywords the rule's finder reports"),
    },
)
