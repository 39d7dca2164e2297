"""How to insert one more Keras layer beside those a script creates: the engines the insertion transforms subclass.

Shared by the dropout, batch_normalization, gaussian_noise and
input_normalization transforms. `LayerInserter` (a layer after chosen layers)
and `InputInserter` (a layer at the model's input) read the module with
`Script` (model_sites.py), plan all their edits on the original tree with
`Plan` (edit_plan.py), then apply them in one pass, so either every planned
edit lands or none does. `remap_targets` (in base.py) moves run-record
targets across an edit.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import libcst as cst
from libcst.helpers import get_full_name_for_node
from libcst.metadata import ExpressionContextProvider, ParentNodeProvider, PositionProvider

from modeldoctor.ftypes import Target
from modeldoctor.transforms.engine.base import Decline, TargetedCommand
from modeldoctor.transforms.engine.edit_plan import Plan, finish
from modeldoctor.transforms.engine.layer_kinds import (
    ALIASES,
    COMPANIONS,
    HIDDEN,
    INPUTS,
    NOISES,
    PREPROCESSING,
    code,
    input_shape_argument,
    without_argument,
)
from modeldoctor.transforms.engine.model_sites import Model, Script, Site


class Inserter(TargetedCommand):
    """What both engines share: metadata, and the wording of their reasons.

    A subclass checks its parameters in `check_params` (raise Decline); each engine's
    `edit_module` plans every edit, then applies them in one pass.
    """

    METADATA_DEPENDENCIES = (PositionProvider, ParentNodeProvider, ExpressionContextProvider)
    LAYER = ""  # the Keras class inserted, as notes and reasons name it

    @property
    def by_hand(self) -> str:
        return f"add the {self.LAYER} by hand"


class LayerInserter(Inserter):
    """Insert a layer right after chosen layers: the run's targets, or every hidden Dense/Conv layer."""

    FAMILY: frozenset[str] = frozenset()  # classes that already do the job when found right after
    AFTER: frozenset[str] = frozenset()  # layers right after the target that the new one goes after
    said = ""  # the next note, when `layers_after` did something else than the usual insertion

    def arguments(self) -> str:
        return ""

    def edit_module(self, tree: cst.Module) -> cst.Module:
        script = Script(self, tree)
        plan = Plan()
        targets = [t for t in self.targets if t.kind == "layer"]
        sites = self._targeted(script, targets) if targets else self._static(script)
        new = None
        shown = f"{self.LAYER}({self.arguments()})"
        for site in sites:
            where = f"{script.describe(site.value)} at line {script.start(site.value)[0]}"
            run = self._run_after(script, site)
            present = next((n.layer for n in run if n.layer in self.FAMILY), None)
            if present:
                self.warn(f"{where} is already followed by {present}")
                continue
            if site.kind != "list" and site.statement is None:
                self.warn(f"{where} shares its line with other code (`;` or a one-line block), {self.by_hand}")
                continue
            passed = list(itertools.takewhile(lambda n: n.layer in self.AFTER, run))
            anchor = passed[-1] if passed else site
            following = run[len(passed)] if len(run) > len(passed) else None
            if new is None:
                new = f"{code(script.names.ref(self.context, 'layers', self.LAYER))}({self.arguments()})"
            try:
                layers = self.layers_after(script, plan, site, following, new)
            except Decline as why:
                self.warn(f"{where} {why}")
                continue
            if anchor.kind == "list":
                assert anchor.holder is not None
                plan.insert_element(anchor.holder, anchor.index + 1, *layers)
            elif anchor.kind == "add":
                assert anchor.statement is not None and anchor.receiver is not None
                plan.add_after(anchor.statement, *(f"{code(anchor.receiver)}.add({layer})" for layer in layers))
            else:
                assert anchor.statement is not None
                plan.add_after(anchor.statement, *(f"{anchor.name} = {layer}({anchor.name})" for layer in layers))
            also = f" and its {', '.join(str(n.layer) for n in passed)}" if passed else ""
            self.note(site.value, self.said or f"inserted {shown} after {script.describe(site.value)}{also}")
            self.said = ""
        return finish(plan, tree)

    def layers_after(self, script: Script, plan: Plan, site: Site, following: Site | None, new: str) -> list[str]:
        """The layers to insert after `site` (may plan more edits); Decline says why none go there.

        `following` is the layer that will come after them; `new` is the inserted layer's code.
        """
        return [new]

    def _run_after(self, script: Script, site: Site) -> list[Site]:
        """The companion layers (dropout, normalization, noise, activation) right after a site."""
        run = []
        for neighbour in script.neighbours(site):
            run.append(neighbour)
            if neighbour.layer not in COMPANIONS:
                break
        return run

    def _static(self, script: Script) -> list[Site]:
        if not script.models:
            raise Decline(script.no_model_reason(self.LAYER))
        sites: list[Site] = []
        for model in script.models:
            tail = script.tail(model)
            sites += [s for s in model.layers if s.layer in HIDDEN and s not in tail and s not in sites]
        if not sites:
            raise Decline("no hidden Dense or Conv layer found (the output layer gets none)")
        return sites

    def _targeted(self, script: Script, targets: Sequence[Target]) -> list[Site]:
        sites: list[Site] = []
        for target in targets:
            call = script.constructor_at(target)
            if call is None:
                self.warn(f"no layer is created at line {target.line}, column {target.column}")
                continue
            site = script.sites.get(call)
            where = f"{script.describe(call)} at line {target.line}"
            found = script.layer_class(call)
            if target.class_name and found and ALIASES.get(found, found) != target.class_name:
                self.warn(f"{where} is a {found}, but the run located a {target.class_name} there (file changed?)")
            elif site is None:
                self.warn(f"{where} {self._why_not(script, call)}")
            elif site.layer in self.FAMILY or site.layer in INPUTS:
                self.warn(f"{where} is itself a {site.layer}")
            elif (model := script.model_of(site)) is not None and site in script.tail(model):
                self.warn(f"{where} is the model's output layer: no {self.LAYER} goes after it")
            elif site not in sites:
                sites.append(site)
        return sites

    def _why_not(self, script: Script, call: cst.Call) -> str:
        by_hand = self.by_hand
        node: cst.CSTNode | None = script.parent(call)
        while node is not None and not isinstance(node, cst.Module):
            if isinstance(node, cst.ClassDef):
                return f"is created inside class {node.name.value}: its layers are wired in call(), {by_hand} there"
            if isinstance(node, (cst.ListComp, cst.GeneratorExp, cst.SetComp, cst.DictComp)):
                return f"is created in a comprehension, {by_hand}"
            if isinstance(node, cst.Return):
                return f"is returned by a helper function, {by_hand} where the helper's layer is used"
            node = script.parent(node)
        applied = script.parent(call)
        if isinstance(applied, cst.Call) and isinstance(script.parent(applied), cst.Arg):
            return f"is applied inside another call, {by_hand}"
        return f"is not in a Sequential list, a `model.add(...)` line or an `x = Layer(...)(x)` line, {by_hand}"


class InputInserter(Inserter):
    """Insert a layer at the model's input: first after `Input` in a Sequential, rewired in a functional model."""

    ALREADY: frozenset[str] = frozenset()  # leading layers that mean "already applied"
    AFTER_PREPROCESSING = False  # go after leading Normalization/Rescaling layers
    PREFIX = ""  # functional: the new tensor is `<PREFIX>_<input name>`

    def layer_code(
        self, script: Script, plan: Plan, model: Model, anchor: cst.SimpleStatementLine | None, moved: str
    ) -> str:
        """The layer expression to insert; may plan statements before `anchor`. Decline skips this model."""
        raise NotImplementedError

    def edit_text(self) -> str:
        raise NotImplementedError

    def edit_module(self, tree: cst.Module) -> cst.Module:
        script = Script(self, tree)
        plan = Plan()
        for model in self._models(script):
            where = f"the model at line {script.start(model.call)[0]}"
            try:
                if model.style == "sequential":
                    self._sequential(script, plan, model, where)
                else:
                    self._functional(script, plan, model, where)
            except Decline as why:  # from layer_code: this model is left as it was
                self.warn(str(why))
        return finish(plan, tree)

    def _models(self, script: Script) -> list[Model]:
        targets = [t for t in self.targets if t.kind == "model"]
        if not targets:
            if not script.models:
                raise Decline(script.no_model_reason(self.LAYER))
            models = [m for m in script.models if not script.auxiliary(m)]
            if not models:
                raise Decline("the only models here preprocess or augment data, or are used as layers of another model")
            return models
        chosen = []
        for target in targets:
            call = script.constructor_at(target)
            model = next((m for m in script.models if m.call is call), None)
            if model is not None:
                chosen.append(model)
            elif call is not None and get_full_name_for_node(call.func) in script.subclassed():
                self.warn(script.no_model_reason(self.LAYER))
            else:
                self.warn(f"no Sequential or functional model is built at line {target.line}, column {target.column}")
        return chosen

    def _sequential(self, script: Script, plan: Plan, model: Model, where: str) -> None:
        if model.problem:
            self.warn(f"{where}: {model.problem}")
            return
        layers = model.layers
        start = 0
        while start < len(layers) and layers[start].layer in INPUTS:
            start += 1
        end = start
        while end < len(layers) and layers[end].layer in PREPROCESSING | NOISES:
            if layers[end].layer in self.ALREADY:
                self.warn(f"{where} already starts with {layers[end].layer}")
                return
            end += 1
        position = end if self.AFTER_PREPROCESSING else start
        previous = layers[position - 1] if position else None
        following = layers[position] if position < len(layers) else None
        beside = previous or following
        if beside is None:
            self.warn(f"{where} has no layers written in this file")
            return
        looped = beside.statement is None or not script.loops(beside.statement) <= script.loops(model.call)
        if beside.kind == "add" and looped:
            self.warn(f"{where}: its first layer is added inside a loop or on a shared line, {self.by_hand}")
            return
        moved_arg = input_shape_argument(following.value) if previous is None and following is not None else None
        moved = f"{moved_arg.keyword.value}={code(moved_arg.value)}" if moved_arg and moved_arg.keyword else ""
        new = self.layer_code(script, plan, model, model.statement, moved)
        if moved_arg is not None and following is not None:
            plan.change(following.value, lambda node: without_argument(node, moved_arg))  # type: ignore[arg-type]
        if previous is not None and previous.holder is not None:
            plan.insert_element(previous.holder, previous.index + 1, new)
        elif previous is not None:
            plan.add_after(previous.statement, f"{code(previous.receiver)}.add({new})")  # type: ignore[arg-type]
        elif following is not None and following.holder is not None:
            plan.insert_element(following.holder, following.index, new)
        elif following is not None:
            plan.add_before(following.statement, f"{code(following.receiver)}.add({new})")  # type: ignore[arg-type]
        self.note(model.call, self.edit_text() + (f" (moved {moved} onto it)" if moved else ""))

    def _functional(self, script: Script, plan: Plan, model: Model, where: str) -> None:
        inputs = model.inputs
        if not isinstance(inputs, cst.Name):
            self.warn(f"{where} has several inputs (`{code(inputs) if inputs else ''}`): {self.by_hand}")
            return
        anchor = script.input_statement(inputs.value, model)
        if anchor is None:
            self.warn(f"{where}: its input `{inputs.value}` is not made by keras.Input(...) on a line of its own here")
            return
        links = []  # (tensor, the line binding it, the names in its only consumer)
        tensor, statement = inputs.value, anchor
        while True:
            found = self._consumer(script, model, tensor, statement)
            if isinstance(found, str):
                self.warn(f"{where}: {found}")
                return
            consumer, refs = found
            links.append((tensor, statement, refs))
            applied = script.applied_layer(consumer.body[0], tensor) if len(consumer.body) == 1 else None
            layer = script.layer_class(applied[0]) if applied else None
            if layer in self.ALREADY:
                self.warn(f"{where} already starts with {layer}")
                return
            if applied is None or layer not in PREPROCESSING | NOISES:
                break
            if not script.placeable(consumer, consumer.body[0]):
                break
            tensor, statement = applied[1], consumer
        tensor, statement, refs = links[-1] if self.AFTER_PREPROCESSING else links[0]
        new = self.layer_code(script, plan, model, anchor, "")
        fresh = script.fresh(f"{self.PREFIX}_{inputs.value}")
        plan.add_after(statement, f"{fresh} = {new}({tensor})")
        for ref in refs:
            plan.change(ref, lambda node: node.with_changes(value=fresh))  # type: ignore[attr-defined]
        self.note(model.call, self.edit_text())

    def _consumer(
        self, script: Script, model: Model, tensor: str, statement: cst.SimpleStatementLine
    ) -> tuple[cst.SimpleStatementLine, list[cst.Name]] | str:
        """The one statement that uses `tensor` after `statement` (model calls aside), or why there is none."""
        after = script.start(statement)
        later = [s for s in script.stores(tensor, model.scope) if script.start(s) > after]
        rebound = script.statement_of(later[0]) if later else None  # its own loads still see this value
        limit = script.start(later[0]) if later else (1 << 30, 0)
        models = [m.call for m in script.models]

        def sees_this_value(ref: cst.Name) -> bool:  # before the next rebinding, or on the rebinding line itself
            return after < script.start(ref) < limit or (rebound is not None and script.statement_of(ref) is rebound)

        loads = script.loads(tensor, model.scope)
        refs = [r for r in loads if sees_this_value(r) and not any(script.within(r, c) for c in models)]
        if not refs:
            return f"nothing uses `{tensor}` before the model is built"
        statements = {script.statement_of(r) for r in refs}
        if len(statements) > 1 or None in statements:
            lines = ", ".join(str(n) for n in sorted({script.start(r)[0] for r in refs}))
            return f"`{tensor}` is used in several places (lines {lines}), {self.by_hand}"
        if not script.loops(next(iter(statements))) <= script.loops(statement):  # type: ignore[arg-type]
            return f"`{tensor}` is used inside a loop (line {script.start(refs[0])[0]}), {self.by_hand}"
        return statements.pop(), refs  # type: ignore[return-value]
