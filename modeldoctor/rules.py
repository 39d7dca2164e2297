"""The rule base: one TOML file per finding, naming its code, its explanation and its cures.

Rules are data; transforms are code. Files are validated on load so that a
typo in a user's rule folder is reported with the file and key, not as a
crash later.
"""

from __future__ import annotations

import importlib
import re
import tomllib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any

from modeldoctor.ftypes import Applicability, Cure, Example, Explanation, Family, Rule, Severity

SECTIONS = ("what", "why", "example", "fix_safety", "references")
CODE = re.compile(r"^MD\d{3}$")
NAME = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")


class RuleError(ValueError):
    """A rule file that cannot be used; the message names the file and the key."""


def builtin_rules_dir() -> Path:
    """The shipped rules: inside the wheel, or the top-level `rules/` of a source checkout.

    A checkout imported from its own folder (tests, `python -m`) bypasses the
    editable install's package mapping, hence the second place.
    """
    try:
        package = importlib.import_module("modeldoctor._rules")  # a namespace package: data only
        return Path(next(iter(package.__path__)))
    except ModuleNotFoundError:
        checkout = Path(__file__).resolve().parent.parent / "rules"
        if checkout.is_dir():
            return checkout
        raise


@dataclass(frozen=True)
class Catalog:
    rules: tuple[Rule, ...]

    def by_code(self, code: str) -> Rule | None:
        return next((r for r in self.rules if r.code == code.upper()), None)

    def by_name(self, name: str) -> Rule | None:
        return next((r for r in self.rules if r.name == name), None)

    def lookup(self, key: str) -> Rule | None:
        return self.by_code(key) or self.by_name(key)

    def require(self, name: str, needed_by: str) -> Rule:
        """The rule named `name`, or a RuleError saying who needed it and where rule files come from."""
        rule = self.by_name(name)
        if rule is None:
            raise RuleError(f"{needed_by}: no rule file names '{name}'; add one (MDxxx-{name}.toml) to "
                            f"the built-in rules/ or to a --rules folder")
        return rule


def _require(data: dict[str, Any], key: str, kind: type, where: str) -> Any:
    if key not in data:
        raise RuleError(f"{where}: missing key '{key}'")
    value = data[key]
    if not isinstance(value, kind):
        raise RuleError(f"{where}: key '{key}' must be a {kind.__name__}, got {type(value).__name__}")
    return value


def _enum(enum: type[Enum], value: str, key: str, where: str) -> Any:
    try:
        return enum(value)
    except ValueError:
        allowed = ", ".join(e.value for e in enum)
        raise RuleError(f"{where}: key '{key}' is {value!r}; expected one of {allowed}") from None


def parse_rule(path: Path, data: dict[str, Any]) -> Rule:
    where = str(path)
    code = _require(data, "code", str, where)
    if not CODE.match(code):
        raise RuleError(f"{where}: key 'code' is {code!r}; expected MD followed by three digits")
    name = _require(data, "name", str, where)
    if not NAME.match(name):
        raise RuleError(f"{where}: key 'name' is {name!r}; expected a kebab-case problem name")
    raw = _require(data, "explanation", dict, where)
    for section in SECTIONS:
        _require(raw, section, list if section == "references" else str, f"{where} [explanation]")
    legacy = data.get("legacy")
    if legacy is not None:
        if not isinstance(legacy, dict):
            raise RuleError(f"{where}: key 'legacy' must be a table, got {type(legacy).__name__}")
        _require(legacy, "kind", str, f"{where} [legacy]")
    cures = []
    for i, cure in enumerate(data.get("cures", [])):
        at = f"{where} [[cures]] #{i + 1}"
        applicability = _enum(Applicability, _require(cure, "applicability", str, at), "applicability", at)
        transform = cure.get("transform")
        if transform is None and applicability is not Applicability.DISPLAY_ONLY:
            raise RuleError(f"{at}: key 'transform' is missing; only display-only cures may omit it")
        cures.append(
            Cure(
                transform=transform,
                applicability=applicability,
                rationale=_require(cure, "rationale", str, at),
                params=dict(cure.get("params", _legacy_params(legacy) if transform else {})),
                example=str(cure.get("example", "")),
            )
        )
    examples = []
    for i, example in enumerate(data.get("examples", [])):
        at = f"{where} [[examples]] #{i + 1}"
        index = example.get("cure", 0)
        if not 0 <= index < len(cures):
            raise RuleError(f"{at}: key 'cure' is {index}; the rule has {len(cures)} cure(s)")
        examples.append(
            Example(
                title=_require(example, "title", str, at),
                before=_require(example, "before", str, at),
                after=_require(example, "after", str, at),
                cure=index,
                params=dict(example.get("params", {})),
            )
        )
    default = data.get("default", True)
    if not isinstance(default, bool):
        raise RuleError(f"{where}: key 'default' must be true or false, got {default!r}")
    known = {"code", "name", "family", "severity", "summary", "explanation", "cures", "examples", "legacy", "default"}
    unknown = sorted(set(data) - known)
    if unknown:
        raise RuleError(f"{where}: unknown key(s) {', '.join(unknown)}")
    return Rule(
        code=code,
        name=name,
        family=_enum(Family, _require(data, "family", str, where), "family", where),
        severity=_enum(Severity, _require(data, "severity", str, where), "severity", where),
        summary=_require(data, "summary", str, where),
        explanation=Explanation(
            what=raw["what"],
            why=raw["why"],
            example=raw["example"],
            fix_safety=raw["fix_safety"],
            references=tuple(raw["references"]),
        ),
        cures=tuple(cures),
        examples=tuple(examples),
        path=where,
        legacy=legacy,
        default=default,
    )


def _legacy_params(legacy: dict[str, Any] | None) -> dict[str, Any]:
    """A migration rule's cure edits what its `[legacy]` table names: the table is its parameters,
    so the old and new spellings are written once (the finder and the transform read the same keys)."""
    return {k: v for k, v in (legacy or {}).items() if k not in ("kind", "message")}


def read_rule(path: Path) -> Rule:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise RuleError(f"{path}: not valid TOML: {exc}") from None
    return parse_rule(path, data)


def load_catalog(
    extra_dirs: Iterable[Path] = (),
    check_cure: Callable[[Cure, str], None] | None = None,
) -> Catalog:
    """The built-in rules plus the user's folders; a user rule with a built-in code replaces it."""
    by_code: dict[str, Rule] = {}
    for folder in (builtin_rules_dir(), *extra_dirs):
        if not folder.is_dir():
            raise RuleError(f"{folder}: rule folder does not exist")
        for path in sorted(folder.glob("*.toml")):
            rule = read_rule(path)
            if check_cure is not None:
                for i, cure in enumerate(rule.cures):
                    check_cure(cure, f"{path} [[cures]] #{i + 1}")
            by_code[rule.code] = rule
    names: dict[str, str] = {}
    for rule in by_code.values():
        if rule.name in names:
            raise RuleError(f"{rule.path}: name '{rule.name}' is also used by {names[rule.name]}")
        names[rule.name] = rule.path
    return Catalog(rules=tuple(sorted(by_code.values(), key=lambda r: r.code)))
