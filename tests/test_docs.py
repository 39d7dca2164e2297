"""Generated docs: the README's rule table is rendered from the rule files and must not drift."""

from __future__ import annotations

from pathlib import Path

import pytest

from modeldoctor.docs import END, START, DocsError, main, rule_tables, with_tables
from modeldoctor.rules import load_catalog

README = Path(__file__).resolve().parent.parent / "README.md"
CATALOG = load_catalog()


def test_readme_rule_table_is_generated_from_the_rules():
    text = README.read_text(encoding="utf-8")
    assert with_tables(text, CATALOG) == text, (
        "README.md's rule table (## What it diagnoses) is out of date: run `python -m modeldoctor.docs`")


def test_every_rule_has_one_row_with_code_name_and_family():
    tables = rule_tables(CATALOG)
    for rule in CATALOG.rules:
        assert tables.count(f"| {rule.code} | `{rule.name}` | {rule.family.value} |\n") == 1
    runtime, static = tables.split("Source-only checks")
    assert "MD101" in runtime and "MD4" not in runtime and "MD401" in static


def test_only_the_text_between_the_markers_is_replaced():
    text = f"# title\n\nmine\n{START}\nstale | row\n{END}\n\nalso mine\n"
    updated = with_tables(text, CATALOG)
    assert updated.startswith(f"# title\n\nmine\n{START}\n| code | name | family |\n")
    last = CATALOG.rules[-1]
    assert updated.endswith(f"| {last.code} | `{last.name}` | {last.family.value} |\n{END}\n\nalso mine\n")
    assert "stale" not in updated and with_tables(updated, CATALOG) == updated


def test_a_file_without_markers_is_an_error():
    with pytest.raises(DocsError, match="rules:start"):
        with_tables("# no markers\n", CATALOG)


def test_the_command_checks_and_rewrites(tmp_path, capsys):
    readme = tmp_path / "README.md"
    readme.write_text(f"x\n{START}\nold\n{END}\n", encoding="utf-8")
    assert main([str(readme), "--check"]) == 1
    assert "python -m modeldoctor.docs" in capsys.readouterr().err
    assert main([str(readme)]) == 0 and "old" not in readme.read_text(encoding="utf-8")
    assert main([str(readme), "--check"]) == 0
