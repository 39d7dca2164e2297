"""`[tool.modeldoctor]` in pyproject.toml: defaults for the command line.

The nearest pyproject.toml with a `[tool.modeldoctor]` table, walking up from
the checked file's folder (or the current directory), fills click's
`default_map`: the command line always wins. Keys are the CLI's option
names (`unsafe_fixes` or `unsafe-fixes`); the CLI passes the set it knows,
so it stays the source of truth, and an unknown key is an error that names
it. `rules` (extra rule folders) are resolved relative to the pyproject.toml;
`thresholds` is a table passed through as a dict.

    [tool.modeldoctor]
    timeout = 120
    ignore = ["MD403"]
    rules = ["ci/rules"]

    [tool.modeldoctor.thresholds]
    dropout_rate_max = 0.6
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Collection, Iterable, Mapping
from pathlib import Path
from typing import Any

PATH_LIST_KEYS = frozenset({"rules", "plugins"})
CODE_LIST_KEYS = frozenset({"select", "extend_select", "ignore"})
TABLE_KEYS = frozenset({"thresholds"})


class ConfigError(ValueError):
    """A configuration that cannot be used; the message names the file and the key."""


def _table(path: Path) -> dict[str, Any] | None:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot be read: {exc}") from None
    tool = data.get("tool")
    table = tool.get("modeldoctor") if isinstance(tool, dict) else None
    if table is not None and not isinstance(table, dict):
        raise ConfigError(f"{path}: [tool.modeldoctor] must be a table")
    return table


def find_config(start: str | os.PathLike[str] | None = None) -> Path | None:
    """The nearest pyproject.toml with a [tool.modeldoctor] table, from `start` (a file or folder) up."""
    here = Path(start) if start is not None else Path.cwd()
    here = here.resolve()
    if not here.is_dir():
        here = here.parent
    for folder in (here, *here.parents):
        candidate = folder / "pyproject.toml"
        if candidate.is_file() and _table(candidate) is not None:
            return candidate
    return None


def common_start(paths: Iterable[str | os.PathLike[str]]) -> Path | None:
    """Where to start looking for a config for several files: their common folder (None: cwd)."""
    folders = [Path(p).resolve() for p in paths]
    folders = [p if p.is_dir() else p.parent for p in folders]
    if not folders:
        return None
    try:
        return Path(os.path.commonpath(folders))
    except ValueError:  # different drives
        return folders[0]


def _strings(value: Any, key: str, where: str) -> list[str]:
    if isinstance(value, str):
        value = [v for v in value.replace(",", " ").split()]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{where}: key '{key}' must be a list of strings, got {value!r}")
    return list(value)


def parse_config(table: Mapping[str, Any], known: Collection[str], base: Path, where: str) -> dict[str, Any]:
    """Validate one [tool.modeldoctor] table into a default_map (underscored keys)."""
    known_set = set(known) | TABLE_KEYS
    values: dict[str, Any] = {}
    unknown: list[str] = []
    for raw_key, value in table.items():
        key = raw_key.replace("-", "_")
        if key not in known_set:
            unknown.append(raw_key)
            continue
        if key in PATH_LIST_KEYS:
            values[key] = [str((base / p).resolve()) for p in _strings(value, raw_key, where)]
        elif key in CODE_LIST_KEYS:
            values[key] = [v.upper() if v[:2].lower() == "md" else v for v in _strings(value, raw_key, where)]
        elif key in TABLE_KEYS:
            if not isinstance(value, dict):
                raise ConfigError(f"{where}: '{raw_key}' must be a table ([tool.modeldoctor.{raw_key}])")
            values[key] = dict(value)
        else:
            values[key] = value
    if unknown:
        import difflib

        hints = []
        for key in unknown:
            close = difflib.get_close_matches(key.replace("-", "_"), sorted(known_set), n=1)
            hints.append(f"'{key}'" + (f" (did you mean '{close[0]}'?)" if close else ""))
        raise ConfigError(
            f"{where}: unknown key(s) in [tool.modeldoctor]: {', '.join(hints)}; "
            f"known keys: {', '.join(sorted(known_set))}"
        )
    return values


def load_config(
    start: str | os.PathLike[str] | None, known: Collection[str]
) -> tuple[Path | None, dict[str, Any]]:
    """(the pyproject.toml used or None, a default_map for click). Raises ConfigError."""
    path = find_config(start)
    if path is None:
        return None, {}
    table = _table(path) or {}
    return path, parse_config(table, known, path.parent, str(path))


def per_command(values: Mapping[str, Any], commands: Mapping[str, Collection[str]]) -> dict[str, dict[str, Any]]:
    """Split a flat default_map into click's nested one for a group: each command gets its own options."""
    return {name: {k: v for k, v in values.items() if k in params} for name, params in commands.items()}


def split_thresholds(given: Mapping[str, Any] | None) -> tuple[Any, dict[str, Any]]:
    """`[tool.modeldoctor.thresholds]`: the runtime ones as `Thresholds`, the rest for the static checks."""
    from modeldoctor.diagnose.thresholds import Thresholds
    from modeldoctor.static.thresholds import StaticThresholds

    values = dict(given or {})
    runtime_keys = set(Thresholds.reasons())
    static_keys = set(StaticThresholds.__dataclass_fields__)
    unknown = sorted(set(values) - runtime_keys - static_keys)
    if unknown:
        raise ConfigError(f"unknown threshold(s) in [tool.modeldoctor.thresholds]: {', '.join(unknown)}")
    runtime = Thresholds().with_overrides({k: v for k, v in values.items() if k in runtime_keys})
    return runtime, {k: v for k, v in values.items() if k in static_keys}
