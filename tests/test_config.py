"""[tool.modeldoctor]: found by walking up, fills click's default_map, the command line wins, unknown keys named."""

from __future__ import annotations

from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from modeldoctor.config import ConfigError, find_config, load_config, per_command

KNOWN = {"timeout", "epochs", "quiet", "format", "select", "ignore", "unsafe_fixes", "rules"}


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_nearest_pyproject_with_a_modeldoctor_table_is_found_walking_up(tmp_path: Path) -> None:
    outer = write(tmp_path / "pyproject.toml", "[tool.modeldoctor]\ntimeout = 30\n")
    write(tmp_path / "proj" / "pyproject.toml", "[project]\nname = 'x'\n")  # no table: keep walking
    script = write(tmp_path / "proj" / "src" / "train.py", "")
    assert find_config(script) == outer
    assert find_config(script.parent) == outer
    inner = write(tmp_path / "proj" / "pyproject.toml", "[tool.modeldoctor]\nepochs = 2\n")
    assert find_config(script) == inner


def test_no_config_gives_an_empty_default_map(tmp_path: Path) -> None:
    assert load_config(tmp_path, KNOWN) == (None, {})


def test_values_are_normalized_and_rule_folders_resolved_relative_to_the_pyproject(tmp_path: Path) -> None:
    pyproject = write(tmp_path / "pyproject.toml", """
[tool.modeldoctor]
timeout = 120.0
unsafe-fixes = true
select = "md101, MD2"
ignore = ["MD403"]
rules = ["ci/rules", "/abs/rules"]

[tool.modeldoctor.thresholds]
dropout_rate_max = 0.6
vanish_ratio = 1e-4
""")
    path, values = load_config(tmp_path / "train.py", KNOWN)
    assert path == pyproject
    assert values == {
        "timeout": 120.0,
        "unsafe_fixes": True,
        "select": ["MD101", "MD2"],
        "ignore": ["MD403"],
        "rules": [str((tmp_path / "ci" / "rules").resolve()), str(Path("/abs/rules").resolve())],
        "thresholds": {"dropout_rate_max": 0.6, "vanish_ratio": 1e-4},
    }


def test_unknown_keys_are_reported_by_name_with_a_hint(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", "[tool.modeldoctor]\ntimeout = 1\ntimout = 2\nbogus-key = 3\n")
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path, KNOWN)
    message = str(caught.value)
    assert str(tmp_path / "pyproject.toml") in message
    assert "unknown key(s) in [tool.modeldoctor]: 'timout' (did you mean 'timeout'?), 'bogus-key'" in message


def test_invalid_toml_and_wrong_types_name_the_file_and_key(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", "[tool.modeldoctor]\nselect = [1, 2]\n")
    with pytest.raises(ConfigError, match="key 'select' must be a list of strings"):
        load_config(tmp_path, KNOWN)
    write(tmp_path / "pyproject.toml", "[tool.modeldoctor\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(tmp_path, KNOWN)


@click.command()
@click.option("--timeout", type=float, default=600.0)
@click.option("--epochs", type=int)
@click.option("-q", "--quiet", is_flag=True)
@click.option("--ignore", multiple=True)
def _check(timeout: float, epochs: int | None, quiet: bool, ignore: tuple[str, ...]) -> None:
    click.echo(f"timeout={timeout} epochs={epochs} quiet={quiet} ignore={','.join(ignore)}")


def test_config_fills_click_defaults_and_the_command_line_wins(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", "[tool.modeldoctor]\ntimeout = 30\nquiet = true\nignore = ['MD403']\n")
    _, values = load_config(tmp_path, {p.name for p in _check.params})
    runner = CliRunner()
    from_config = runner.invoke(_check, [], default_map=values)
    assert from_config.output.strip() == "timeout=30.0 epochs=None quiet=True ignore=MD403"
    overridden = runner.invoke(_check, ["--timeout", "5", "--ignore", "MD101", "--epochs", "2"], default_map=values)
    assert overridden.output.strip() == "timeout=5.0 epochs=2 quiet=True ignore=MD101"


def test_per_command_splits_a_flat_map_for_a_group() -> None:
    values = {"timeout": 3, "unsafe_fixes": True, "thresholds": {}}
    assert per_command(values, {"check": {"timeout"}, "fix": {"timeout", "unsafe_fixes"}}) == {
        "check": {"timeout": 3},
        "fix": {"timeout": 3, "unsafe_fixes": True},
    }
