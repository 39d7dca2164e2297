"""What every transform shares: targets from the run record, the result, and running a codemod.

A transform is a LibCST `VisitorBasedCodemodCommand` plus a module-level
`TRANSFORM = TransformSpec(...)`. It edits the nodes the run record located
(`Target`s) and falls back to pattern matching when there are none (the
static path). It declines by raising `Decline(reason)` rather than
half-edit: escaping the command, the file is left as it was and `run`
reports the reason; caught around one node or site, it becomes a warning
and the other sites are still edited.

The spec also says what the transform's edit is (`applicability`: safe only
when it cannot change what the trained model computes) and, with `resolve`,
how the rule's relative parameters (`relative`) become absolute ones from
the run record.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

import libcst as cst
from libcst.codemod import (
    CodemodContext,
    TransformFailure,
    TransformResult,
    TransformSuccess,
    VisitorBasedCodemodCommand,
    transform_module,
)
from libcst.metadata import PositionProvider, ProviderT

from modeldoctor.ftypes import Applicability, Target

if TYPE_CHECKING:
    from modeldoctor.ftypes import Finding
    from modeldoctor.record import FitRecord


class Decline(Exception):
    """Leave the code as it was, for the reason given (the message is what the user reads)."""


@dataclass(frozen=True)
class Param:
    kind: type | tuple[type, ...]
    default: Any
    help: str


class Resolve(Protocol):
    """Turns a rule's parameters (relative ones included) into those the command takes, from the run.

    Raises LookupError, with the reason the user reads, when the run does not say what is needed.
    """

    def __call__(self, params: dict[str, Any], fit: FitRecord | None, finding: Finding | None) -> dict[str, Any]: ...


@dataclass(frozen=True)
class TransformSpec:
    name: str
    description: str
    command: type[TargetedCommand]  # built with params and targets, read for its edits
    # SAFE only if the edit cannot change what the trained model computes; a function of the
    # (default-filled) parameters when that depends on them. A rule may mark a cure stricter, never safer.
    applicability: Applicability | Callable[[Mapping[str, Any]], Applicability]
    params: Mapping[str, Param] = field(default_factory=dict)
    target_kinds: tuple[str, ...] = ()
    relative: Mapping[str, Param] = field(default_factory=dict)  # rule parameters only `resolve` reads
    resolve: Resolve | None = None

    def applicability_for(self, given: Mapping[str, Any]) -> Applicability:
        """How safe this edit is with these parameters (relative ones ignored, defaults filled in)."""
        if isinstance(self.applicability, Applicability):
            return self.applicability
        absolute = {k: v for k, v in given.items() if k not in self.relative}
        return self.applicability(resolve_params(self, absolute))

    def absolute(self, given: Mapping[str, Any], fit: FitRecord | None, finding: Finding | None) -> dict[str, Any]:
        """The parameters the command takes: relative ones resolved by the hook, unknown ones dropped."""
        params = self.resolve(dict(given), fit, finding) if self.resolve is not None else dict(given)
        return {k: v for k, v in params.items() if k in self.params}


@dataclass(frozen=True)
class Outcome:
    source: str
    edits: tuple[str, ...] = ()
    declined: str | None = None

    @property
    def changed(self) -> bool:
        return bool(self.edits)


class ParamError(ValueError):
    pass


def resolve_params(
    spec: TransformSpec, given: Mapping[str, Any], where: str = "", relative: bool = False
) -> dict[str, Any]:
    """Defaults filled in, unknown names and wrong types rejected with the key named.

    `relative=True` (a rule's parameters) also accepts, and type-checks, those the spec's hook resolves.
    """
    prefix = f"{where}: " if where else ""
    accepted = {**spec.params, **spec.relative} if relative else spec.params
    unknown = sorted(set(given) - set(accepted))
    if unknown:
        raise ParamError(f"{prefix}transform '{spec.name}' has no parameter {', '.join(unknown)}")
    values = {}
    for key, param in accepted.items():
        value = given.get(key, param.default)
        if value is not None and not isinstance(value, param.kind):
            raise ParamError(f"{prefix}parameter '{key}' of '{spec.name}' must be {param.kind}, got {value!r}")
        if key in spec.params or key in given:
            values[key] = value
    return values


class TargetedCommand(VisitorBasedCodemodCommand):
    """Base for our transforms: knows its params and targets, and records human-readable edits."""

    # Declared as the base does, so a subclass may depend on more providers than this one.
    METADATA_DEPENDENCIES: ClassVar[Collection[ProviderT]] = (PositionProvider,)

    def __init__(self, context: CodemodContext, params: Mapping[str, Any], targets: Sequence[Target]) -> None:
        super().__init__(context)
        self.params = dict(params)
        self.targets = tuple(targets)
        self.edits: list[str] = []

    def check_params(self) -> None:
        """Raise Decline when the parameters cannot be used; runs before the module is read."""

    def transform_module_impl(self, tree: cst.Module) -> cst.Module:
        self.check_params()
        return self.edit_module(tree)

    def edit_module(self, tree: cst.Module) -> cst.Module:
        """The edited module; by default, this command visits it. Raise Decline to leave it as it was."""
        return tree.visit(self)

    def line_of(self, node: cst.CSTNode) -> int:
        return self.get_metadata(PositionProvider, node).start.line

    def start_of(self, node: cst.CSTNode) -> tuple[int, int]:
        start = self.get_metadata(PositionProvider, node).start
        return start.line, start.column

    def target_at(self, node: cst.Call, kinds: Sequence[str] | None = None) -> Target | None:
        """The target whose position is this call's start.

        In `layers.Dense(8)(x)` both calls start at the same place; only the
        constructor (whose callee is a name, not a call) is the target.
        """
        if isinstance(node.func, cst.Call):
            return None
        line, column = self.start_of(node)
        for target in self.targets:
            if (target.line, target.column) == (line, column) and (kinds is None or target.kind in kinds):
                return target
        return None

    def note(self, node: cst.CSTNode, text: str) -> None:
        self.edits.append(f"line {self.line_of(node)}: {text}")


def run(spec: TransformSpec, source: str, params: Mapping[str, Any], targets: Sequence[Target] = ()) -> Outcome:
    """Apply one transform to `source`; never raises on the user's code, declines instead.

    The reason is the first warning the command gave (a site it skipped) or, without one,
    that of the `Decline` that stopped it.
    """
    try:
        module = cst.parse_module(source)
    except cst.ParserSyntaxError as exc:
        return Outcome(source, declined=f"the source does not parse: {exc.message}")
    context = CodemodContext()
    command = spec.command(context, resolve_params(spec, params), targets)
    result: TransformResult = transform_module(command, source)
    if isinstance(result, TransformFailure) and isinstance(result.error, Decline):
        return Outcome(source, declined=next(iter(result.warning_messages), None) or str(result.error))
    if isinstance(result, TransformFailure):
        return Outcome(source, declined=f"{spec.name} failed: {result.error!r}")
    assert isinstance(result, TransformSuccess)
    if result.code == module.code or not command.edits:
        reason = next(iter(result.warning_messages), None) or "already applied or no target found"
        return Outcome(source, declined=reason)
    return Outcome(result.code, edits=tuple(command.edits))


def remap_targets(targets: Sequence[Target], before: str, after: str) -> tuple[Target, ...]:
    """Targets located in `before`, moved to where the same calls sit in `after` (an edit of it).

    Run-record positions go stale once a transform inserts lines; apply this
    between transforms that share one run. A target whose line was rewritten
    is found again on the new line by its n-th occurrence of the same callee.
    """
    old, new = before.splitlines(), after.splitlines()
    opcodes = difflib.SequenceMatcher(a=old, b=new, autojunk=False).get_opcodes()
    moved = []
    for target in targets:
        index = target.line - 1
        for tag, i1, i2, j1, j2 in opcodes:
            if not i1 <= index < i2:
                continue
            if tag == "equal":
                moved.append(replace(target, line=j1 + index - i1 + 1))
            elif tag == "replace" and i2 - i1 == j2 - j1:
                line, text = old[index], new[j1 + index - i1]
                callee = re.match(r"[\w.]*", line[target.column :]).group()  # type: ignore[union-attr]
                nth = len(re.findall(re.escape(callee) + r"\(", line[: target.column]))
                hits = [m.start() for m in re.finditer(re.escape(callee) + r"\(", text)] if callee else []
                if len(hits) > nth:
                    moved.append(replace(target, line=j1 + index - i1 + 1, column=hits[nth]))
            break
    return tuple(moved)


__all__ = [
    "Decline",
    "Outcome",
    "Param",
    "ParamError",
    "Resolve",
    "Target",
    "TargetedCommand",
    "TransformSpec",
    "remap_targets",
    "run",
]
