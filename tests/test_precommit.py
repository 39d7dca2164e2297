"""The pre-commit hook of this checkout, installed with the real `pre-commit` in a fresh git repository.

The hook repository is a committed snapshot of this checkout (tracked and
new files, as `pre-commit try-repo` would take them), so the test exercises
the working tree, not the last commit. `pre-commit install` then guards a
project repository: a commit with a buggy training script is refused, a
clean one goes through. The hook's environment is built once per session
(pip-installing this package without TensorFlow), which takes a minute.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PRE_COMMIT = Path(sys.executable).parent / "pre-commit"
BUGGY = """\
import keras

model = keras.Sequential([
    keras.Input(shape=(20,)),
    keras.layers.Dense(32, activation="relu"),
    keras.layers.Dense(10, activation="softmax"),
])
model.compile(optimizer="adam", loss="binary_crossentropy")
"""

pytestmark = pytest.mark.skipif(
    not PRE_COMMIT.exists() or shutil.which("git") is None, reason="needs git and pre-commit in the venv"
)


def git(*args: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True, check=True)


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    home = tmp_path_factory.mktemp("precommit")
    (home / "gitconfig").write_text("[init]\n\tdefaultBranch = main\n")
    return dict(
        os.environ,
        PRE_COMMIT_HOME=str(home / "cache"),
        GIT_CONFIG_GLOBAL=str(home / "gitconfig"),
        GIT_CONFIG_NOSYSTEM="1",
        GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@example.com",
        GIT_COMMITTER_NAME="t", GIT_COMMITTER_EMAIL="t@example.com",
        NO_COLOR="1",
    )


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory: pytest.TempPathFactory, env: dict[str, str]) -> tuple[Path, str]:
    """A committed snapshot of this checkout and its commit."""
    snapshot = tmp_path_factory.mktemp("hook") / "modeldoctor"
    listed = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=ROOT, env=env,
                            capture_output=True, text=True, check=True).stdout
    for name in filter(None, listed.split("\0")):
        source = ROOT / name
        if source.is_file():
            (snapshot / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, snapshot / name)
    git("init", "-q", cwd=snapshot, env=env)
    git("add", "-A", cwd=snapshot, env=env)
    git("commit", "-q", "-m", "snapshot", cwd=snapshot, env=env)
    return snapshot, git("rev-parse", "HEAD", cwd=snapshot, env=env).stdout.strip()


@pytest.fixture
def project(tmp_path: Path, hook_repo: tuple[Path, str], env: dict[str, str]) -> Path:
    repo, rev = hook_repo
    git("init", "-q", cwd=tmp_path, env=env)
    (tmp_path / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {repo}\n    rev: {rev}\n    hooks:\n      - id: modeldoctor\n"
    )
    subprocess.run([str(PRE_COMMIT), "install"], cwd=tmp_path, env=env, check=True, capture_output=True)
    return tmp_path


def commit(project: Path, env: dict[str, str], files: dict[str, str]) -> subprocess.CompletedProcess[str]:
    for name, text in files.items():
        (project / name).write_text(text)
    git("add", ".", cwd=project, env=env)
    return subprocess.run(["git", "commit", "-m", "train"], cwd=project, env=env, capture_output=True, text=True,
                          timeout=900)


def test_the_hook_manifest_is_valid() -> None:
    result = subprocess.run([str(PRE_COMMIT), "validate-manifest", str(ROOT / ".pre-commit-hooks.yaml")],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.slow  # the first commit pip-installs the hook's environment (about a minute)
def test_a_commit_with_a_buggy_training_script_is_refused(project: Path, env: dict[str, str]) -> None:
    result = commit(project, env, {"train.py": BUGGY, "util.py": "print('not keras')\n"})
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert "modeldoctor (static checks)" in output and "Failed" in output
    assert "MD112" in output and "train.py" in output
    assert subprocess.run(["git", "rev-parse", "--verify", "HEAD"], cwd=project, env=env,
                          capture_output=True).returncode != 0  # nothing was committed


@pytest.mark.slow  # the first commit pip-installs the hook's environment (about a minute)
def test_a_commit_with_a_clean_training_script_passes(project: Path, env: dict[str, str]) -> None:
    clean = (ROOT / "fixtures" / "healthy" / "functional_wine.py").read_text()
    result = commit(project, env, {"train.py": clean, "util.py": "print('not keras')\n"})
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "modeldoctor (static checks)" in output and "Passed" in output


@pytest.mark.slow  # the first commit pip-installs the hook's environment (about a minute)
def test_a_suppressed_finding_lets_the_commit_through(project: Path, env: dict[str, str]) -> None:
    silenced = BUGGY.replace('loss="binary_crossentropy")', 'loss="binary_crossentropy")  # modeldoctor: ignore[MD112]')
    result = commit(project, env, {"train.py": silenced})
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.slow  # the first commit pip-installs the hook's environment (about a minute)
def test_a_commit_with_a_buggy_notebook_is_refused(project: Path, env: dict[str, str]) -> None:
    from notebooks.helpers import code, markdown, notebook

    buggy = notebook(markdown("# Digits"), code("%matplotlib inline\n" + BUGGY))
    result = commit(project, env, {"analysis.ipynb": buggy})
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert "MD112" in output and "analysis.ipynb:cell 2:" in output
