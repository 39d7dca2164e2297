"""Cures as code: one LibCST codemod per module, found by walking this package.

Adding a cure is adding a module with a `TRANSFORM = TransformSpec(...)`;
there is no table to edit. Shared helper modules live here too: they have
no `TRANSFORM`, and every transform imports them anyway.
"""

from __future__ import annotations

import importlib
import pkgutil

from modeldoctor.transforms.base import TransformSpec


def available() -> dict[str, TransformSpec]:
    found: dict[str, TransformSpec] = {}
    for info in pkgutil.iter_modules(__path__):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        spec = getattr(module, "TRANSFORM", None)
        if isinstance(spec, TransformSpec):
            found[spec.name] = spec
    return found


RELATIVE_PARAMS = {"factor", "target_update_ratio"}  # resolved from the run record by `prescribe`, not passed to transforms


def validate_cure(cure: object, where: str) -> None:
    """For `load_catalog(check_cure=...)`: the transform exists and takes these parameters."""
    from modeldoctor.rules import RuleError
    from modeldoctor.transforms.base import ParamError, resolve_params

    name = getattr(cure, "transform", None)
    if name is None:
        return
    spec = available().get(name)
    if spec is None:
        raise RuleError(f"{where}: unknown transform '{name}'; known: {', '.join(sorted(available()))}")
    params = {k: v for k, v in getattr(cure, "params", {}).items() if k not in RELATIVE_PARAMS}
    try:
        resolve_params(spec, params, where)
    except ParamError as exc:
        raise RuleError(str(exc)) from None
