"""Read an optimizer attribute under its Keras 3 name: `model.optimizer.lr` → `model.optimizer.learning_rate`."""

from __future__ import annotations

import libcst as cst
from libcst.helpers import get_full_name_for_node

from modeldoctor.ftypes import Applicability
from modeldoctor.transforms.engine.base import Param, TransformSpec
from modeldoctor.transforms.engine.legacy_edits import LegacyCommand


class RenameAttribute(LegacyCommand):
    DESCRIPTION = "Rename optimizer attributes that Keras 3 renamed."

    def leave_Attribute(self, original_node: cst.Attribute, updated_node: cst.Attribute) -> cst.Attribute:
        new = self.params["attributes"].get(updated_node.attr.value)
        receiver = get_full_name_for_node(original_node.value) or ""
        if new is None or receiver.rpartition(".")[2] not in self.params["receivers"]:
            return updated_node
        self.note(original_node, f"{receiver}.{updated_node.attr.value} → {receiver}.{new}")
        return updated_node.with_changes(attr=cst.Name(new))


TRANSFORM = TransformSpec(
    name="rename_attribute",
    description=RenameAttribute.DESCRIPTION,
    command=RenameAttribute,
    applicability=Applicability.SAFE,
    params={
        "attributes": Param(dict, {}, "old attribute -> new attribute"),
        "receivers": Param(list, [], "last name part of an optimizer (optimizer, opt)"),
    },
)
