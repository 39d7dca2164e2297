"""End to end: each buggy fixture is cured with `fix --apply`, then checked again.

The expected outcome (finding gone, clearly weaker, or honestly not curable
by its first cure) is in fixtures/labels.toml.
"""

from __future__ import annotations

import json
import shutil
import tomllib

import libcst as cst
import pytest

from conftest import FIXTURES, cli
from modeldoctor.verify import weaker
from test_diagnosis_fixtures import assert_diagnosis

pytestmark = pytest.mark.slow  # every test here trains a fixture, twice

LABELS = tomllib.loads((FIXTURES / "labels.toml").read_text())["problems"]
SINGLE_RUN = sorted(k for k, v in LABELS.items() if "cure" in v)


def _findings(result) -> dict[str, dict]:
    return {f["name"]: f for f in json.loads(result.stdout)["findings"]}


@pytest.mark.parametrize("relative", SINGLE_RUN)
def test_fix_apply_then_check_again(tmp_path, relative):
    label = LABELS[relative]
    script = tmp_path / relative.split("/")[-1]
    shutil.copy(FIXTURES / relative, script)
    record = tmp_path / "run.json"
    before = cli("check", "--quiet", "--format", "json", "--save-record", str(record), str(script))
    assert before.returncode == 1, before.stderr
    assert_diagnosis(json.loads(before.stdout)["findings"], label, script.name)
    fixed = cli("fix", str(script), "--from-record", str(record), "--unsafe-fixes", "--apply")
    assert fixed.returncode == 0, fixed.stderr
    patched = script.read_text()
    cst.parse_module(patched)
    if label["cure"] == "stays" and "display-only" in label["why"]:
        assert patched == (FIXTURES / relative).read_text() and "advice" in fixed.stderr
        return
    if label["cure"] == "stays" and "declines" in label["why"]:  # the transform refuses, and says why
        assert patched == (FIXTURES / relative).read_text() and "not applied" in fixed.stderr, fixed.stderr
        return
    assert patched != (FIXTURES / relative).read_text(), fixed.stderr
    after = cli("check", "--quiet", "--format", "json", str(script))
    assert after.returncode in (0, 1), after.stderr
    name, was, now = label["primary"], _findings(before)[label["primary"]], _findings(after).get(label["primary"])
    if label["cure"] == "gone":
        assert now is None, f"{name} is still there: {now and now['message']}"
    elif label["cure"] == "weaker":
        assert now is None or weaker(name, was["evidence"], now["evidence"]), (was["evidence"], now["evidence"])
    else:
        assert now is not None and not weaker(name, was["evidence"], now["evidence"]), label["why"]
