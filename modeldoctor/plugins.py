"""A user's own checks, without forking: a folder of detector modules and rule files.

    [tool.modeldoctor]
    plugins = ["ci/modeldoctor-checks"]     # or: --plugins DIR

Every `*.py` in such a folder is imported (under a private module name, so a
plugin called `setup.py` shadows nothing) and its `@detector` functions join
the built-in ones; every `*.toml` in it is a rule file, read as the rule
folders of `--rules` are. A plugin finding is then diagnosed, ranked, reported,
explained and cured exactly as a built-in one: there is no second path.
"""

from __future__ import annotations

import hashlib
import importlib.util
import sys
from collections.abc import Iterable
from pathlib import Path
from types import ModuleType


class PluginError(ValueError):
    """A plugin folder that cannot be used; the message names the file."""


def _module_name(path: Path) -> str:
    digest = hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:12]
    return f"{PREFIX}{digest}_{path.stem}"


def load_module(path: Path) -> ModuleType:
    """Import one plugin file once per process; an error in it names the file."""
    name = _module_name(path)
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise PluginError(f"{path}: cannot be imported as a Python module")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except Exception as exc:  # noqa: BLE001 - the user's plugin failing is their message to read
        del sys.modules[name]
        raise PluginError(f"{path}: failed to import: {type(exc).__name__}: {exc}") from None
    return module


PREFIX = "modeldoctor_plugin_"


def loaded() -> list[ModuleType]:
    """The plugin modules this process has imported: the detector walk visits them after the built-in ones."""
    return [m for name, m in sorted(sys.modules.items()) if name.startswith(PREFIX)]


def plugin_modules(folders: Iterable[Path]) -> list[ModuleType]:
    """The detector modules of every plugin folder, in name order."""
    modules = []
    for folder in folders:
        if not folder.is_dir():
            raise PluginError(f"{folder}: plugin folder does not exist")
        modules += [load_module(path) for path in sorted(folder.glob("*.py")) if not path.name.startswith("_")]
    return modules
