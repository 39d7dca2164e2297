"""The finders of the common kinds of Keras 3 change: a renamed or removed keyword, module, name or method.

Each reads its rule's `[legacy]` table (the same keys its transform takes):

- `keyword`: `callees` (qualified patterns such as `keras.optimizers.*`, or `.fit` for a method),
  `renames` ({old: new}), `drop` ([old, ...]: removed, nothing replaces them), `values`
  ({new keyword: {old value: new value}}), `message` (optional: what the rule says instead of
  "renamed"/"no such argument", e.g. for an argument Keras 3 accepts and ignores).
- `api`: `modules` ({old module: new module}) and `names` ({old qualified name: new one}), matched
  in imports and in dotted uses (`by_name = false`: `from keras.layers import merge` is not the
  module `keras.layers.merge` but a name of its own); `removed` ({qualified name: what to do instead}) for names Keras 3
  dropped with nothing in their place.
- `method`: `methods` ({old: new, or ""}) called on a model, `drop` (keywords the new method lacks).
"""

from __future__ import annotations

import ast
import fnmatch
from collections.abc import Iterator
from typing import Any

from modeldoctor.static.facts import Script
from modeldoctor.static.names import dotted
from modeldoctor.static.registry import Hit
from modeldoctor.vocabulary import canonical_module


def matches(qualname: str, patterns: list[str]) -> bool:
    return any(not p.startswith(".") and fnmatch.fnmatchcase(qualname, p) for p in patterns)


def _keyword_calls(script: Script, callees: list[str]) -> Iterator[tuple[ast.Call, str]]:
    methods = {p[1:] for p in callees if p.startswith(".")}
    for call in script.calls:
        if matches(call.qualname, callees):
            yield call.node, call.qualname.rsplit(".", 1)[-1]
    if methods:
        for node in script.nodes:
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in methods:
                yield node, f".{node.func.attr}"


def find_keywords(script: Script, table: dict[str, Any]) -> Iterator[Hit]:
    renames: dict[str, str] = table.get("renames", {})
    drop: list[str] = table.get("drop", [])
    for node, callee in _keyword_calls(script, table.get("callees", [])):
        for keyword in node.keywords:
            if keyword.arg in renames:
                new = renames[keyword.arg]
                text = f"`{callee}({keyword.arg}=...)`: Keras 3 calls this argument `{new}`"
            elif keyword.arg in drop:
                text = f"`{callee}({keyword.arg}=...)`: Keras 3 has no `{keyword.arg}` argument here"
            else:
                continue
            if "message" in table:  # the rule's own words, where "renamed" or "removed" would mislead
                text = f"`{callee}({keyword.arg}=...)`: " + table["message"]
            yield Hit(text, keyword, {"callee": callee, "keyword": keyword.arg,
                                      "replacement": renames.get(keyword.arg)}, confidence=0.95)


def _module_of(node: ast.ImportFrom) -> str | None:
    return None if node.module is None or node.level else canonical_module(node.module)


def find_apis(script: Script, table: dict[str, Any]) -> Iterator[Hit]:
    modules: dict[str, str] = table.get("modules", {})
    removed: dict[str, str] = table.get("removed", {})
    names: dict[str, str] = {**table.get("names", {}), **{name: "" for name in removed}}

    def moved(canonical: str) -> tuple[str, str] | None:
        for old in sorted(modules, key=len, reverse=True):
            if canonical == old or canonical.startswith(old + "."):
                return old, modules[old]
        return None

    def hit(node: ast.AST, old: str, new: str, what: str) -> Hit:
        text = (f"`{old}` is gone in Keras 3: {what} `{new}`" if new
                else f"`{old}` is gone in Keras 3 and nothing replaces it one for one: {removed.get(old, '')}")
        return Hit(text, node, {"old": old, "new": new or None}, confidence=0.95)

    for node in script.nodes:
        if isinstance(node, ast.ImportFrom) and (module := _module_of(node)) is not None:
            found = moved(module)
            if found is not None:
                yield hit(node, found[0], found[1], "its names are in")
                continue
            for alias in node.names:
                full = f"{module}.{alias.name}"
                if full in names:
                    yield hit(node, full, names[full], "use")
                elif table.get("by_name", True) and (found := moved(full)) is not None:
                    yield hit(node, found[0], found[1], "its names are in")
        elif isinstance(node, ast.Import):
            for alias in node.names:
                module = canonical_module(alias.name)
                if module is not None and (found := moved(module)) is not None:
                    yield hit(node, found[0], found[1], "its names are in")
        elif isinstance(node, ast.Attribute):
            qualified = script.spelling.qualified(node)
            if qualified is None:
                continue
            if qualified in names:
                yield hit(node, qualified, names[qualified], "use")
            elif qualified in modules:
                yield hit(node, qualified, modules[qualified], "its names are in")


def model_receivers(script: Script) -> set[str]:
    """Names the script compiles or fits: what a model method is called on."""
    found = {"model", "self.model"}
    for call in (*script.compiles, *script.fits):
        if call.receiver:
            found.add(call.receiver)
    return found


def find_methods(script: Script, table: dict[str, Any]) -> Iterator[Hit]:
    methods: dict[str, str] = table.get("methods", {})
    receivers = model_receivers(script)
    for node in script.nodes:
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in methods):
            continue
        receiver = dotted(node.func.value)
        if receiver is None or (receiver not in receivers and "model" not in receiver.lower()):
            continue
        old, new = node.func.attr, methods[node.func.attr]
        text = (f"`{receiver}.{old}()` is gone in Keras 3: `{new}()` does the same" if new
                else f"`{receiver}.{old}()` is gone in Keras 3")
        yield Hit(text, node, {"method": old, "replacement": new or None}, confidence=0.9)


FINDERS = {"keyword": find_keywords, "api": find_apis, "method": find_methods}
