"""Child-process entry point: `python -m modeldoctor.probe SCRIPT [ARGS...]`.

Configured through the environment (set by `modeldoctor.run.runner`):
MODELDOCTOR_RECORD (where to write the run record), MODELDOCTOR_PROGRESS
(optional progress lines), MODELDOCTOR_SEED (optional seed offset).
"""

from __future__ import annotations

import hashlib
import os
import platform
import random
import runpy
import signal
import sys
import traceback
import warnings
from pathlib import Path
from types import FrameType

from modeldoctor.probe.importhook import when_imported
from modeldoctor.probe.locate import UserFiles
from modeldoctor.probe.session import Decided, ProbeSession, env_int
from modeldoctor.record import ExitInfo, RunRecord, Status

PROBE_DIR = str(Path(__file__).resolve().parent)


class Terminated(BaseException):
    """SIGTERM reached the script: unwind through `fit` (which saves the record) like Ctrl-C would."""


def _terminate(signum: int, frame: FrameType | None) -> None:
    raise Terminated()


def _user_traceback(exc: BaseException, files: UserFiles) -> str:
    """The script's own traceback: from its first frame on, without the probe's frames (ours, not theirs)."""
    frames = traceback.extract_tb(exc.__traceback__)
    first = next((i for i, frame in enumerate(frames) if files.owns(frame.filename)), 0)
    kept = [frame for frame in frames[first:] if not frame.filename.startswith(PROBE_DIR)]
    if any(frame.filename.lower().endswith(".ipynb") for frame in kept):
        from modeldoctor.probe.notebook import cell_frames

        kept = cell_frames(kept)
    lines = ["Traceback (most recent call last):\n", *traceback.StackSummary.from_list(kept).format(),
             *traceback.format_exception_only(type(exc), exc)]
    return "".join(lines)


def main() -> int:
    script = Path(sys.argv[1]).resolve()
    files = UserFiles(root=str(script.parent))
    seed = env_int("MODELDOCTOR_SEED")
    record = RunRecord(
        script=str(script),
        script_sha256=hashlib.sha256(script.read_bytes()).hexdigest(),
        argv=sys.argv[1:],
        python=f"{platform.python_implementation()} {platform.python_version()}",
        seed=seed,
        max_epochs=env_int("KERAS_MAX_EPOCHS"),
        max_steps=env_int("KERAS_MAX_STEPS_PER_EPOCH"),
    )
    progress = os.environ.get("MODELDOCTOR_PROGRESS")
    session = ProbeSession(
        record=record,
        record_path=Path(os.environ["MODELDOCTOR_RECORD"]),
        files=files,
        progress_path=Path(progress) if progress else None,
    )
    live = os.environ.get("MODELDOCTOR_LIVE")
    if live:
        from modeldoctor.diagnose.live import LiveSettings

        session.live = LiveSettings.from_json(live)
    if seed is not None:
        random.seed(seed)
    if os.environ.get("MODELDOCTOR_QUIET_WARNINGS"):
        # The doctor's own --epochs/--max-steps caps, not the script's business.
        warnings.filterwarnings("ignore", message=r"Limiting (epochs|steps)")
    signal.signal(signal.SIGTERM, _terminate)
    when_imported("keras", session.patch)
    record.exit = ExitInfo(status=Status.RUNNING, returncode=None)
    session.save()  # a record exists from the start: a kill before the first epoch still leaves one

    sys.argv = [str(script), *sys.argv[2:]]
    sys.path[0] = str(script.parent)
    code = 0
    try:
        if script.suffix.lower() == ".ipynb":  # its code cells in order, magics neutralised
            from modeldoctor.probe.notebook import run_notebook

            run_notebook(script)
        else:
            runpy.run_path(str(script), run_name="__main__")
        record.exit = ExitInfo()
    except Decided as decided:
        (decision,) = decided.args
        record.exit = ExitInfo(status=Status.DECIDED, returncode=0,
                               message=f"stopped by modeldoctor: {decision.finding} was decisive")
    except Terminated:
        code = 128 + signal.SIGTERM
        record.exit = ExitInfo(status=Status.TERMINATED, returncode=code, message="terminated (SIGTERM)")
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        if isinstance(exc.code, str):
            print(exc.code, file=sys.stderr)
        record.exit = ExitInfo(status=Status.EXIT, returncode=code, message=str(exc.code)) if code else ExitInfo()
    except BaseException as exc:  # noqa: BLE001 - the script's failure is data for the record
        # Not printed here: the doctor shows the script's own traceback once, from the record.
        code = 1
        record.exit = ExitInfo(
            status=Status.ERROR,
            returncode=1,
            exception_type=type(exc).__name__,
            message=str(exc),
            traceback=_user_traceback(exc, files),
        )
    record.keras_imported = record.keras_imported or "keras" in sys.modules
    session.save()
    return code


if __name__ == "__main__":
    sys.exit(main())
