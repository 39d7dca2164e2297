"""The sample batch: a few rows of the training data, taken without disturbing the user's pipeline.

Gradient and activation samples are computed on one small fixed batch, and
the inputs' statistics are read from it when `fit` was not given arrays.
Every input pipeline Keras takes can give one, each in the way that leaves
training exactly as it would have been:

- NumPy (or anything array-like, JAX and torch tensors, pandas frames): the first rows.
- `tf.data`: `dataset.take(1)`, a fresh iterator of its own.
- `keras.utils.PyDataset` (and any sequence Keras indexes): item 0, read by index.
- a torch `DataLoader` over a map-style dataset: the first items, collated by the
  loader's own `collate_fn`, read by index, so the sampler's random state is not touched.
- a Python generator: its first batch is peeked and put back (`Peek.data` is what
  `fit` must be given instead), as Keras' own generator adapter peeks.

What cannot give a batch (an iterable torch dataset, an exhausted generator, a
type nobody knows) says why, and the record carries that reason.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from modeldoctor.probe.describe import as_array

SAMPLE_ROWS = 128


@dataclass(frozen=True)
class SampleBatch:
    x: Any  # NumPy arrays (a dict or list of them for a model with several inputs)
    y: Any  # NumPy arrays, or None when the pipeline yields inputs only
    source: str  # which pipeline it came from, as the record's data_kind says it


@dataclass(frozen=True)
class Peek:
    """What looking at the training data found: a batch, or why not; and what `fit` should now be given."""

    batch: SampleBatch | None
    reason: str | None = None  # why there is no batch
    data: Any = None  # the `x` to pass on to fit (a peeked generator, put back together)


def peek(x: Any, y: Any) -> Peek:
    """The sample batch of `fit(x, y)`; never consumes what the user's training will read."""
    array = as_array(x)
    if array is not None:
        return Peek(SampleBatch(array[:SAMPLE_ROWS], _rows(as_array(y)), "array"), data=x)
    if x is None:
        return Peek(None, "fit was given no training data", data=x)
    if isinstance(x, (dict, list, tuple)) and x and all(as_array(v) is not None for v in _values(x)):
        inputs = _map(lambda v: np.asarray(as_array(v))[:SAMPLE_ROWS], x)
        return Peek(SampleBatch(inputs, _rows(as_array(y)), "array"), data=x)
    try:
        if hasattr(x, "element_spec"):
            return _found(next(iter(x.take(1))), "dataset", x)
        if _is_torch_loader(x):
            return _torch_loader(x)
        if inspect.isgenerator(x):
            return _generator(x)
        if hasattr(x, "__getitem__") and hasattr(x, "__len__"):  # keras.utils.PyDataset, and sequences like it
            return _found(x[0], "pydataset", x)
    except Exception as exc:  # noqa: BLE001 - the user's pipeline failed to give a batch: say so, train anyway
        return Peek(None, f"reading a batch from the {_kind(x)} failed: {type(exc).__name__}: {exc}"[:300], data=x)
    return Peek(None, f"the probe cannot take a batch from a {_kind(x)} without consuming it", data=x)


def _generator(generator: Iterator[Any]) -> Peek:
    try:
        first = next(generator)
    except StopIteration:
        return Peek(None, "the generator passed to fit yields nothing", data=_put_back([], generator))
    return _found(first, "generator", _put_back([first], generator))


def _put_back(items: list[Any], rest: Iterator[Any]) -> Iterator[Any]:
    """A real generator again (Keras recognises generators by type), yielding what was peeked first."""
    yield from items
    yield from rest


def _torch_loader(loader: Any) -> Peek:
    dataset = loader.dataset
    if not (hasattr(dataset, "__getitem__") and hasattr(dataset, "__len__")):
        return Peek(None, "the torch DataLoader reads an iterable dataset, which cannot be read by index "
                          "without consuming it", data=loader)
    size = min(len(dataset), loader.batch_size or 1, SAMPLE_ROWS)
    return _found(loader.collate_fn([dataset[i] for i in range(size)]), "dataloader", loader)


def _found(element: Any, source: str, data: Any) -> Peek:
    if isinstance(element, dict):  # inputs only, as a dict of named inputs
        element = (element,)
    if not isinstance(element, (tuple, list)) or not element:
        element = (element,)
    x = _map(_numpy, element[0])
    y = _map(_numpy, element[1]) if len(element) > 1 and element[1] is not None else None
    if x is None:
        return Peek(None, f"the {source}'s first batch holds no arrays the probe can read", data=data)
    return Peek(SampleBatch(_map(lambda v: v[:SAMPLE_ROWS], x), _map(lambda v: v[:SAMPLE_ROWS], y), source),
                data=data)


def _numpy(value: Any) -> np.ndarray | None:
    array = as_array(value)
    if array is None:
        return None
    return array if array.ndim else array.reshape(1)


def _map(fn: Any, value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, dict):
        mapped = {k: fn(v) for k, v in value.items()}
        return None if any(v is None for v in mapped.values()) else mapped
    if isinstance(value, (list, tuple)):
        items = [fn(v) for v in value]
        return None if any(v is None for v in items) else items
    return fn(value)


def _values(value: Any) -> list[Any]:
    return list(value.values()) if isinstance(value, dict) else list(value)


def _rows(array: np.ndarray | None) -> np.ndarray | None:
    return None if array is None else array[:SAMPLE_ROWS]


def _is_torch_loader(x: Any) -> bool:
    return any(cls.__module__.startswith("torch.utils.data") and cls.__name__ == "DataLoader"
               for cls in type(x).__mro__)


def _kind(x: Any) -> str:
    cls = type(x)
    return f"{cls.__module__}.{cls.__name__}" if cls.__module__ != "builtins" else cls.__name__
