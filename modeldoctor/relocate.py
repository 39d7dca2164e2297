"""Rewrite every place inside a run record: a notebook's virtual lines as cells, a kernel's cell files as `Cell In[5]`.

One walk over the record's dataclasses, so a new located field is mapped
without anyone remembering to.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from modeldoctor.record import Location


def relocate(value: Any, move: Callable[[Location], Location]) -> None:
    """Replace, in place, every Location inside `value` (mutable dataclasses and lists) by `move(location)`."""
    if isinstance(value, list):
        for item in value:
            relocate(item, move)
        return
    if not dataclasses.is_dataclass(value) or isinstance(value, type):
        return
    for field in dataclasses.fields(value):
        item = getattr(value, field.name)
        if isinstance(item, Location):
            setattr(value, field.name, move(item))
        elif isinstance(item, list) or dataclasses.is_dataclass(item):
            relocate(item, move)
