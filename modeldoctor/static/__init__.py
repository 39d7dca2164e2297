"""Static checks: findings read from the source alone, without training and without TensorFlow.

    findings = check_source(source, "train.py", load_catalog())
    findings, errors = check_paths(["train.py", "experiments/"], load_catalog())

The source is read with the stdlib `ast` (LibCST's import alone costs more
than the pre-commit budget; see `names.py`). Checks are the
`@static_check` functions of `modeldoctor.static.checks`; each finding takes
its code, family and severity from the rule file of the same name, and a
check whose rule is not in the catalog is a RuleError (`check_rules`), as a
detector's is.
"""

from __future__ import annotations

import ast
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from modeldoctor.ftypes import Finding
from modeldoctor.rules import Catalog
from modeldoctor.static import legacy
from modeldoctor.static.reader import read_script
from modeldoctor.static.registry import Hit, all_checks, check_rules
from modeldoctor.static.thresholds import StaticThresholds

__all__ = ["FileError", "SourceError", "StaticThresholds", "check_paths", "check_source", "python_files", "uses_keras"]

KERAS_IMPORT = re.compile(
    r"^[ \t]*(?:from[ \t]+(?:keras|tensorflow|tf_keras)\b|import[ \t]+[\w., \t]*\b(?:keras|tensorflow|tf_keras)\b)",
    re.MULTILINE,
)
SKIP_DIRS = frozenset({".git", ".hg", ".svn", ".venv", "venv", "__pycache__", "node_modules", "build", "dist",
                       "site-packages", ".tox", ".nox", ".mypy_cache", ".pytest_cache", ".ruff_cache"})


@dataclass(frozen=True)
class FileError:
    """A file that could not be checked; the run goes on with the others."""

    path: str
    message: str
    line: int | None = None  # 1-based
    column: int | None = None  # 0-based

    def __str__(self) -> str:
        where = self.path if self.line is None else f"{self.path}:{self.line}:{(self.column or 0) + 1}"
        return f"{where}: {self.message}"


class SourceError(ValueError):
    """The source does not parse."""

    def __init__(self, error: FileError) -> None:
        super().__init__(str(error))
        self.error = error


def uses_keras(source: str) -> bool:
    """Whether the file imports keras, tensorflow or tf_keras (anywhere, any spelling)."""
    return KERAS_IMPORT.search(source) is not None


def check_source(
    source: str,
    path: str,
    catalog: Catalog,
    thresholds: StaticThresholds | Mapping[str, Any] | None = None,
) -> list[Finding]:
    """Every static finding of one source, sorted by position. Raises SourceError if it does not parse,
    RuleError if a check has no rule in the catalog."""
    checks = all_checks()
    check_rules(checks, catalog)
    try:
        tree = ast.parse(source, filename=path)
    except SyntaxError as exc:
        raise SourceError(FileError(path, f"SyntaxError: {exc.msg}", exc.lineno, max((exc.offset or 1) - 1, 0)))
    except ValueError as exc:  # e.g. null bytes
        raise SourceError(FileError(path, f"cannot parse: {exc}"))
    limits = thresholds if isinstance(thresholds, StaticThresholds) else StaticThresholds.from_overrides(thresholds)
    script = read_script(source, path, tree)
    if not script.spelling.imports_keras:
        return []
    findings: dict[tuple[Any, ...], Finding] = {}
    found = [(catalog.require(check.rule_name, check.__module__), check(script, limits))  # type: ignore[attr-defined]
             for check in checks]
    found += [(rule, legacy.find(script, rule)) for rule in legacy.legacy_rules(catalog.rules)]
    for rule, hits in found:
        for hit in hits:
            finding = _finding(hit, rule.code, rule.name, rule.family, rule.severity, script)
            key = (finding.code, finding.location, finding.message)
            findings.setdefault(key, finding)
    return sorted(findings.values(), key=_order)


def _finding(hit: Hit, code: str, name: str, family: Any, severity: Any, script: Any) -> Finding:
    return Finding(
        name=name,
        family=family,
        severity=severity,
        confidence=hit.confidence,
        message=hit.message,
        evidence=dict(hit.evidence),
        location=script.location(hit.at),
        layer=hit.layer,
        code=code,
    )


def _order(finding: Finding) -> tuple[Any, ...]:
    loc = finding.location
    return (loc.path, loc.line, loc.column, finding.code) if loc else ("", 0, 0, finding.code)


def python_files(paths: Iterable[str | os.PathLike[str]]) -> tuple[list[Path], list[FileError]]:
    """Files as given, and the `*.py` and `*.ipynb` files under folders (hidden and environment folders skipped)."""
    files: list[Path] = []
    errors: list[FileError] = []
    for given in paths:
        path = Path(given)
        if path.is_dir():
            for root, dirs, names in os.walk(path):
                dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS and not d.startswith("."))
                files.extend(Path(root, n) for n in sorted(names) if n.endswith((".py", ".ipynb")))
        elif path.is_file():
            files.append(path)
        else:
            errors.append(FileError(str(path), "no such file or directory"))
    return files, errors


def check_paths(
    paths: Iterable[str | os.PathLike[str]],
    catalog: Catalog,
    thresholds: StaticThresholds | Mapping[str, Any] | None = None,
) -> tuple[list[Finding], list[FileError]]:
    """Check files and folders. Files that do not import Keras/TensorFlow are skipped, even when
    named (pre-commit passes every staged Python file); a file that cannot be read or parsed is an
    error entry, never the end of the run. A check without a rule is a RuleError, before any file."""
    check_rules(all_checks(), catalog)
    legacy.legacy_rules(catalog.rules)
    limits = thresholds if isinstance(thresholds, StaticThresholds) else StaticThresholds.from_overrides(thresholds)
    files, errors = python_files(paths)
    findings: list[Finding] = []
    from modeldoctor.source import script_text

    for path in files:
        try:
            source = script_text(path)  # a notebook's code cells as one script
        except (OSError, UnicodeDecodeError) as exc:
            errors.append(FileError(str(path), f"cannot be read: {exc}"))
            continue
        except ValueError as exc:  # NotebookError
            errors.append(FileError(str(path), str(exc).removeprefix(f"{path}: ")))
            continue
        if not uses_keras(source):
            continue
        try:
            findings.extend(check_source(source, str(path), catalog, limits))
        except SourceError as exc:
            errors.append(_in_cell(exc.error) if path.suffix.lower() == ".ipynb" else exc.error)
        except RecursionError:
            errors.append(FileError(str(path), "too deeply nested to check"))
        except Exception as exc:  # a check's bug must not end the run for the other files
            errors.append(FileError(str(path), f"internal error while checking ({type(exc).__name__}: {exc})"))
    return findings, errors


def _in_cell(error: FileError) -> FileError:
    """A notebook's syntax error at its cell's line: `analysis.ipynb:cell 3:2:7: SyntaxError: ...`."""
    from modeldoctor.notebook import virtual_script

    place = virtual_script(error.path).locate(error.line, error.column or 0) if error.line else None
    if place is None:
        return error
    return FileError(f"{error.path}:cell {place.cell}", error.message, place.line, place.column)
