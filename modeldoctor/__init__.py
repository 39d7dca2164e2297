"""modeldoctor: run a Keras training script, diagnose what is wrong, and cure the source.

`import modeldoctor` imports neither TensorFlow nor Keras: `Doctor` (a Keras
callback) and `watch()` bring Keras in only when they are used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from modeldoctor.doctor import Doctor
    from modeldoctor.watcher import Watcher


def __getattr__(name: str) -> Any:
    if name == "Doctor":  # `from modeldoctor import Doctor` loads the module, not Keras (Doctor() does)
        from modeldoctor.doctor import Doctor

        return Doctor
    raise AttributeError(f"module 'modeldoctor' has no attribute {name!r}")


def watch(show: bool = True, select: str | list[str] | None = None, ignore: str | list[str] | None = None) -> Watcher:
    """Observe and diagnose every later `fit` in this process, without editing the code (see watcher.py)."""
    from modeldoctor.watcher import watch as _watch

    return _watch(show=show, select=select, ignore=ignore)


def unwatch() -> None:
    """Undo `watch()`: Keras is as it was before; safe to call when nothing is watched."""
    from modeldoctor.watcher import unwatch as _unwatch

    _unwatch()


def load_ipython_extension(ipython: Any) -> None:
    """`%load_ext modeldoctor`: watch every later fit in this kernel."""
    watch()


def unload_ipython_extension(ipython: Any) -> None:
    """`%unload_ext modeldoctor`."""
    unwatch()


__all__ = ["Doctor", "__version__", "load_ipython_extension", "unload_ipython_extension", "unwatch", "watch"]
