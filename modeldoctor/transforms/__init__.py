"""Cures as code: one LibCST codemod per module, found by walking this package.

Adding a cure is adding a module with a `TRANSFORM = TransformSpec(...)`;
there is no table to edit.
"""

from __future__ import annotations

import importlib
import pkgutil

from modeldoctor.transforms.base import TransformSpec

_SKIP = {"base", "keras_names", "calls"}


def available() -> dict[str, TransformSpec]:
    found: dict[str, TransformSpec] = {}
    for info in pkgutil.iter_modules(__path__):
        if info.name in _SKIP or info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        spec = getattr(module, "TRANSFORM", None)
        if isinstance(spec, TransformSpec):
            found[spec.name] = spec
    return found
