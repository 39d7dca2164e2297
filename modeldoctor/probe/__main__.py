"""Child-process entry point: `python -m modeldoctor.probe SCRIPT [ARGS...]`.

Configured through the environment (set by `modeldoctor.runner`):
MODELDOCTOR_RECORD (where to write the run record), MODELDOCTOR_PROGRESS
(optional progress lines), MODELDOCTOR_SEED (optional seed offset).
"""

from __future__ import annotations

import hashlib
import os
import platform
import random
import runpy
import sys
import traceback
from pathlib import Path

from modeldoctor.probe.importhook import when_imported
from modeldoctor.probe.locate import UserFiles
from modeldoctor.probe.session import ProbeSession, env_int
from modeldoctor.record import ExitInfo, RunRecord


def _user_traceback(exc: BaseException, files: UserFiles) -> str:
    """The script's own traceback, without the probe's frames on top."""
    tb = exc.__traceback__
    while tb is not None and not files.owns(tb.tb_frame.f_code.co_filename):
        tb = tb.tb_next
    return "".join(traceback.format_exception(type(exc), exc, tb))


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
    if seed is not None:
        random.seed(seed)
    when_imported("keras", session.patch)

    sys.argv = [str(script), *sys.argv[2:]]
    sys.path[0] = str(script.parent)
    code = 0
    try:
        runpy.run_path(str(script), run_name="__main__")
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        if isinstance(exc.code, str):
            print(exc.code, file=sys.stderr)
        if code:
            record.exit = ExitInfo(status="exit", returncode=code, message=str(exc.code))
    except BaseException as exc:  # noqa: BLE001 - the script's failure is data for the record
        code = 1
        record.exit = ExitInfo(
            status="error",
            returncode=1,
            exception_type=type(exc).__name__,
            message=str(exc),
            traceback=_user_traceback(exc, files),
        )
        traceback.print_exception(type(exc), exc, exc.__traceback__, file=sys.stderr)
    record.keras_imported = record.keras_imported or "keras" in sys.modules
    session.save()
    return code


if __name__ == "__main__":
    sys.exit(main())
