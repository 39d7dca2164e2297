"""`modeldoctor.watch()`: the probe's patches in this process, so every later `fit` is observed and diagnosed.

The same `ProbeSession.patch` the child process uses (so the same recorder,
creation sites and compile arguments), kept in memory: at the end of each
fit that fit is diagnosed and its report shown, as `Doctor()` would. Unlike
a callback, it sees the arrays passed to `fit` and where each layer was
created, so nothing is left unjudged for want of data.

Idempotent and reversible: a second `watch()` (a re-run cell) keeps the one
watcher; `unwatch()` puts back what Keras had (`Model.fit`, `Model.compile`,
`Layer.__new__`; `Optimizer`, which inherits `object.__new__`, gets a
pass-through, since Python cannot un-set a class's `__new__`).
`%load_ext modeldoctor` calls `watch()`.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import Any

from modeldoctor import record as rec

_MISSING = object()


@dataclass
class Watcher:
    """What `watch()` observed: one report per fit, the last one's findings."""

    show: bool = True
    select: str | list[str] | None = None
    ignore: str | list[str] | None = None
    reports: list[Any] = field(default_factory=list)
    records: list[rec.RunRecord] = field(default_factory=list)
    _restore: list[tuple[Any, str, Any]] = field(default_factory=list)
    _session: Any = None
    _hook: Any = None  # waiting for `import keras` when watch() came first

    @property
    def findings(self) -> list[Any]:
        return list(self.reports[-1].findings) if self.reports else []

    def report(self, format: str = "text") -> str:  # noqa: A002 - the CLI's option name
        from modeldoctor.bedside import source_lines
        from modeldoctor.report import render

        if not self.reports:
            raise RuntimeError("no fit has ended since modeldoctor.watch()")
        return render(self.reports[-1], format, source_lines=source_lines)

    def _fit_ended(self, fit: rec.FitRecord) -> None:
        from modeldoctor.bedside import diagnose, load_settings, one_fit, show

        record = one_fit(self._session.record, fit)
        record.keras_imported = True
        report = diagnose(record, load_settings(None, self.select, self.ignore),
                          ["not judged from one fit (several seeded runs: modeldoctor check --runs 3): high-variance"])
        self.records.append(record)
        self.reports.append(report)
        if self.show and "Doctor" not in fit.fit_args.callbacks:  # a Doctor() in this fit shows its own report
            show(report)


_WATCHER: Watcher | None = None


def _patched(keras: Any) -> list[tuple[Any, str, Any]]:
    """What `ProbeSession.patch` replaces, as it is now: (owner, attribute, value or _MISSING)."""
    owners = [(keras.Model, "fit"), (keras.Model, "compile"), (keras.layers.Layer, "__new__"),
              (keras.optimizers.Optimizer, "__new__"), (keras.utils, "set_random_seed")]
    return [(owner, name, owner.__dict__.get(name, _MISSING) if isinstance(owner, type) else getattr(owner, name))
            for owner, name in owners]


def watch(show: bool = True, select: str | list[str] | None = None, ignore: str | list[str] | None = None) -> Watcher:
    """Start watching (or return the watcher already at work, with these options)."""
    global _WATCHER
    if _WATCHER is not None:
        _WATCHER.show, _WATCHER.select, _WATCHER.ignore = show, select, ignore
        return _WATCHER
    from modeldoctor.bedside import load_settings, new_session
    from modeldoctor.probe.importhook import PostImportHook

    load_settings(None, select, ignore)  # a bad [tool.modeldoctor] fails here, not at the end of a fit
    watcher = Watcher(show=show, select=select, ignore=ignore)
    session = new_session(on_fit_end=watcher._fit_ended)
    watcher._session = session

    def install(keras: Any) -> None:
        watcher._restore = _patched(keras)
        session.patch(keras)

    if "keras" in sys.modules:
        install(sys.modules["keras"])
    else:  # as the probe does: Keras is not imported before the user's code does (KERAS_BACKEND comes first)
        watcher._hook = PostImportHook("keras", install)
        sys.meta_path.insert(0, watcher._hook)
    _WATCHER = watcher
    return watcher


def unwatch() -> None:
    """Put Keras back as it was before `watch()`; nothing to do when nothing is watched."""
    global _WATCHER
    if _WATCHER is None:
        return
    if _WATCHER._hook in sys.meta_path:
        sys.meta_path.remove(_WATCHER._hook)
    for owner, name, value in _WATCHER._restore:
        if value is not _MISSING:
            setattr(owner, name, value)
        elif name == "__new__":
            # Python cannot take back a `__new__` set on a class: once deleted, `object.__new__` refuses the
            # constructor's arguments. A pass-through that records nothing stands in for it.
            setattr(owner, name, staticmethod(_plain_new(owner)))
        else:
            delattr(owner, name)
    _WATCHER = None


def _plain_new(owner: type) -> Any:
    import inspect

    def __new__(cls: type, *args: Any, **kwargs: Any) -> Any:
        return object.__new__(cls)

    __new__.__signature__ = inspect.signature(owner.__init__)  # type: ignore[attr-defined,misc]
    return __new__


def watching() -> Watcher | None:
    return _WATCHER


__all__ = ["Watcher", "unwatch", "watch", "watching"]
