"""Find every optimizer a script trains with and hand each to the transform's edit.

`OptimizerCommand` finds each optimizer (a Keras optimizer call, a string
given to `compile`, a variable assigned once, or Keras' default when
`compile` names none) and turns a string or a missing optimizer into a call
first. `OPTIMIZER_ARGS` (from the vocabulary) says which arguments each
Keras optimizer takes.
"""

from __future__ import annotations

from dataclasses import dataclass

import libcst as cst
import libcst.matchers as m

from modeldoctor.transforms.engine.call_edits import arg_of, has_star, kwarg, prepend_arg
from modeldoctor.transforms.engine.calls import KerasCommand, last_name
from modeldoctor.vocabulary import COMMON_OPTIMIZER_ARGS, OPTIMIZER_ARGS

COMMON_ARGS = COMMON_OPTIMIZER_ARGS  # what every Keras optimizer takes

# The strings `compile` accepts, and the class each one builds.
OPTIMIZER_STRINGS = {name.lower(): name for name in OPTIMIZER_ARGS if name != "Lamb"}


@dataclass(frozen=True)
class Site:
    """An optimizer found in the source: its Keras class (None for one Keras does not ship)."""

    cls: str | None
    legacy: bool = False


PLACEHOLDER = cst.Name("__optimizer__")


class OptimizerCommand(KerasCommand):
    """Hands every optimizer to `edit_optimizer`; strings and a missing optimizer become a call first."""

    TARGET_KINDS = ("optimizer", "compile")

    def edit_optimizer(self, call: cst.Call, site: Site) -> cst.Call:
        """The call with the cure applied (raise Decline to say why it cannot be); `call.func` may be `PLACEHOLDER`."""
        raise NotImplementedError

    def plan(self, module: cst.Module) -> None:
        if self.targeted:
            for call in m.findall(module, m.Call()):
                target = self.target_at(call, ("optimizer",)) if isinstance(call, cst.Call) else None
                if target is not None:
                    self._plan_call(call, target.class_name)  # type: ignore[arg-type]
        for call in self.method_calls(module, "compile"):
            arg = arg_of(call, "optimizer", 0)
            if arg is not None:
                self._plan_value(arg.value, follow=True)
            elif has_star(call):
                self.warn(f"`{self.code(call)}` passes *args/**kwargs: cannot tell which optimizer it uses")
            else:
                self.schedule(call, self._add_default)

    def _plan_value(self, value: cst.BaseExpression, follow: bool) -> None:
        if isinstance(value, cst.SimpleString):
            name = OPTIMIZER_STRINGS.get(str(value.evaluated_value).lower())
            if name is None:
                self.warn(f"the optimizer {value.value} is not one modeldoctor knows")
            else:
                self.schedule(value, lambda node: self._from_string(node, Site(name)))
        elif isinstance(value, cst.Call):
            self._plan_call(value, None)
        elif isinstance(value, cst.Name) and follow:
            assigned, why = self.single_value(value)
            if assigned is None:
                self.warn(f"cannot find where the optimizer `{value.value}` is built: {why}")
            else:
                self._plan_value(assigned, follow=False)
        else:
            self.warn(f"the optimizer `{self.code(value)}` is not built where modeldoctor can edit it")

    def _plan_call(self, call: cst.Call, class_name: str | None) -> None:
        if call in self.scheduled:
            return
        head, _, cls = self.qualified(call.func).rpartition(".")
        if head.startswith("keras.optimizers") and cls in OPTIMIZER_ARGS:
            site = Site(cls, legacy="legacy" in head)
        elif class_name is not None and last_name(call.func) == class_name:
            site = Site(class_name if class_name in OPTIMIZER_ARGS else None)
        else:
            self.warn(f"`{self.code(call.func)}` is not a Keras optimizer class modeldoctor can edit")
            return
        self.schedule(call, lambda node: self._edit(node, site))

    def _finish(self, call: cst.Call, site: Site) -> cst.Call:
        if call.func is PLACEHOLDER:
            return call.with_changes(func=self.names.ref(self.context, "optimizers", site.cls or "RMSprop"))
        return call

    def _edit(self, call: cst.Call, site: Site) -> tuple[cst.CSTNode, str]:
        new = self._finish(self.edit_optimizer(call, site), site)
        return new, f"optimizer {self.code(call)} -> {self.code(new)}"

    def _from_string(self, string: cst.SimpleString, site: Site) -> tuple[cst.CSTNode, str]:
        new = self.edit_optimizer(cst.Call(func=PLACEHOLDER), site)
        new = self._finish(new, site).with_changes(lpar=string.lpar, rpar=string.rpar)
        return new, f"optimizer {string.value} -> {self.code(new)}"

    def _add_default(self, compile_call: cst.Call) -> tuple[cst.CSTNode, str]:
        site = Site("RMSprop")  # what `compile` uses when it is given no optimizer
        new = self._finish(self.edit_optimizer(cst.Call(func=PLACEHOLDER), site), site)
        text = f"compile: added optimizer={self.code(new)} (Keras' default optimizer, made explicit)"
        return prepend_arg(compile_call, kwarg("optimizer", new)), text
