"""Cures as code: one LibCST codemod per module in `cures/`, found by walking that package.

Adding a cure is adding a module to `cures/` with a `TRANSFORM = TransformSpec(...)`
(its command, parameters, applicability, and the hook that resolves its
relative parameters from the run); there is no table to edit. The machinery
the cures share (edit engines, import spelling, declining) is in `engine/`.
"""

from __future__ import annotations

import importlib
import pkgutil

from modeldoctor.ftypes import Applicability
from modeldoctor.transforms.engine.base import TransformSpec

STRICTNESS = (Applicability.SAFE, Applicability.UNSAFE, Applicability.DISPLAY_ONLY)  # a rule may only move right


def available() -> dict[str, TransformSpec]:
    found: dict[str, TransformSpec] = {}
    from modeldoctor.transforms import cures

    for info in pkgutil.iter_modules(cures.__path__):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{cures.__name__}.{info.name}")
        spec = getattr(module, "TRANSFORM", None)
        if isinstance(spec, TransformSpec):
            found[spec.name] = spec
    return found


def validate_cure(cure: object, where: str) -> None:
    """For `load_catalog(check_cure=...)`: the transform exists, takes these parameters, and is this safe.

    Relative parameters are accepted only by a transform whose `resolve` hook declares them;
    a cure may be marked stricter than its transform (unsafe, display-only), never safer.
    """
    from modeldoctor.rules import RuleError
    from modeldoctor.transforms.engine.base import ParamError, resolve_params

    name = getattr(cure, "transform", None)
    if name is None:
        return
    spec = available().get(name)
    if spec is None:
        raise RuleError(f"{where}: unknown transform '{name}'; known: {', '.join(sorted(available()))}")
    params = dict(getattr(cure, "params", {}))
    try:
        resolve_params(spec, params, where, relative=True)
    except ParamError as exc:
        raise RuleError(str(exc)) from None
    marked, own = getattr(cure, "applicability", None), spec.applicability_for(params)
    if isinstance(marked, Applicability) and STRICTNESS.index(marked) < STRICTNESS.index(own):
        raise RuleError(
            f"{where}: key 'applicability' is '{marked.value}', but transform '{name}' is {own.value} "
            "with these parameters; a rule may mark a cure stricter than its transform, never safer"
        )
