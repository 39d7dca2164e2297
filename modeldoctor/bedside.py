"""The doctor inside the training process: diagnose a record this process wrote, show it where the user is.

`Doctor()` (doctor.py) and `watch()` (watcher.py) record with the probe's own
recorder, signals and describer (a `ProbeSession` that keeps its record in
memory) and end here: the same detectors, rules and thresholds as `check`,
configured by `[tool.modeldoctor]` of the working directory, and the same
report, printed as text in a terminal or displayed as HTML in a notebook
(inside `<iframe srcdoc sandbox>`, so the report's styles cannot restyle
the notebook). Nothing here imports Keras.
"""

from __future__ import annotations

import html
import os
import platform
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from modeldoctor import record as rec
from modeldoctor.checkup import Selection, diagnose_records
from modeldoctor.diagnose.thresholds import Thresholds
from modeldoctor.ftypes import Report
from modeldoctor.probe.locate import UserFiles
from modeldoctor.probe.session import ProbeSession
from modeldoctor.rules import Catalog

# Any file outside installed packages and modeldoctor counts as the user's: a kernel's cells live in temp files.
ANYWHERE = UserFiles(root="")
IFRAME_HEIGHT = 640


@dataclass(frozen=True)
class Settings:
    """What a diagnosis is judged with: the CLI's rule base, thresholds and selection, from the config."""

    thresholds: Thresholds
    catalog: Catalog
    selection: Selection
    config_path: Path | None = None


def load_settings(start: Path | None = None, select: str | Sequence[str] | None = None,
                  ignore: str | Sequence[str] | None = None) -> Settings:
    """`[tool.modeldoctor]` of the nearest pyproject.toml from `start` (the working directory); arguments win.

    Raises ConfigError, RuleError or PluginError with the CLI's messages.
    """
    from modeldoctor.cli import main
    from modeldoctor.config import load_config, split_thresholds
    from modeldoctor.diagnose.registry import all_detectors, check_detectors
    from modeldoctor.plugins import plugin_modules
    from modeldoctor.rules import load_catalog

    known = {p.name for command in main.commands.values() for p in command.params if p.name} | {"thresholds"}
    path, values = load_config(start or Path.cwd(), known)
    thresholds, _ = split_thresholds(values.get("thresholds"))
    folders = [Path(p) for p in values.get("plugins") or ()]
    plugin_modules(folders)
    catalog = load_catalog([*(Path(p) for p in values.get("rules") or ()), *folders])
    check_detectors(all_detectors(), catalog)
    chosen = select if select is not None else values.get("select")
    ignored = ignore if ignore is not None else values.get("ignore")
    selection = Selection.of(_codes(chosen), _codes(ignored), catalog.rules, _codes(values.get("extend_select")))
    return Settings(thresholds, catalog, selection, path)


def _codes(value: str | Sequence[str] | None) -> str | tuple[str, ...] | None:
    return value if value is None or isinstance(value, str) else tuple(value)


@dataclass
class BedsideSession(ProbeSession):
    """A probe session in this process: the record stays in memory; `on_fit_end` hears each fit's end."""

    on_fit_end: Callable[[rec.FitRecord], None] | None = None

    def save(self) -> None:
        self.record.wall_time = time.perf_counter() - self.started

    def progress(self, event: str) -> None:
        if event == "fit-end" and self.on_fit_end is not None and self.record.fits:
            self.on_fit_end(self.record.fits[-1])


def new_session(on_fit_end: Callable[[rec.FitRecord], None] | None = None) -> BedsideSession:
    script, digest = script_name(), ""
    if kernel() is None and Path(script).is_file():  # a script: `fix SCRIPT --from-record` can trust the record
        import hashlib

        script = str(Path(script).resolve())
        digest = hashlib.sha256(Path(script).read_bytes()).hexdigest()
    record = rec.RunRecord(script=script, script_sha256=digest, argv=list(sys.argv),
                           python=f"{platform.python_implementation()} {platform.python_version()}")
    record.exit = rec.ExitInfo(status=rec.Status.RUNNING, returncode=None)
    return BedsideSession(record=record, record_path=Path(os.devnull), files=ANYWHERE, on_fit_end=on_fit_end)


def script_name() -> str:
    """What the report is about: the notebook (Jupyter names it in JPY_SESSION_NAME), else the running script."""
    if in_notebook():
        return os.environ.get("JPY_SESSION_NAME") or "notebook"
    if kernel() is not None:
        return "ipython"  # a terminal IPython session
    main = sys.modules.get("__main__")
    return str(getattr(main, "__file__", None) or (sys.argv[0] if sys.argv and sys.argv[0] else "<stdin>"))


def one_fit(record: rec.RunRecord, fit: rec.FitRecord) -> rec.RunRecord:
    """A record of this fit alone (as fit 1), for its own diagnosis at its end."""
    import copy

    single = copy.deepcopy(rec.RunRecord(**{**record.__dict__, "fits": []}))
    own = copy.deepcopy(fit)
    own.index = 0
    single.fits = [own]
    if single.exit.status == rec.Status.RUNNING:
        single.exit = rec.ExitInfo()  # this fit has ended; the process goes on
    return single


def diagnose(record: rec.RunRecord, settings: Settings, notes: Sequence[str] = ()) -> Report:
    """The report `check` would make of this record: the selection and the cells' own suppression comments
    applied, places named as the user sees them (`Cell In[5]` in a kernel)."""
    import dataclasses

    from modeldoctor.relocate import relocate
    from modeldoctor.suppress import kept

    report = diagnose_records(record.script, [record], settings.thresholds, settings.catalog)
    findings = kept(report.findings, settings.selection.select, settings.selection.ignore, read_lines)
    relocate(record, kernel_place)
    findings = [dataclasses.replace(f, location=kernel_place(f.location)) if f.location else f for f in findings]
    return dataclasses.replace(report, findings=tuple(findings), notes=(*report.notes, *notes))


def read_lines(path: str) -> str:
    """A file's text, or a kernel cell's (IPython keeps it in linecache): suppression comments work in cells."""
    import linecache

    lines = linecache.getlines(_CELL_FILES.get(path, path))
    if not lines:
        raise OSError(f"{path}: no source")
    return "".join(lines)


def source_lines(path: str) -> list[str]:
    """For the text and HTML reports: the line a finding points at, in a file or a kernel cell."""
    return read_lines(path).splitlines()


_CELL_FILES: dict[str, str] = {}  # `Cell In[5]` -> the temp file IPython compiled it under


def kernel() -> Any:
    """The IPython shell this process runs, or None (IPython is never imported here for the asking)."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None  # type: ignore[attr-defined]
    return shell


def kernel_place(location: rec.Location) -> rec.Location:
    """A cell's temp file as IPython names it in tracebacks: `Cell In[5]`."""
    shell = kernel()
    compiler = getattr(shell, "compile", None)
    name = compiler.format_code_name(location.path) if compiler is not None and hasattr(compiler, "format_code_name") \
        else None
    if not name:
        return location
    shown = f"{name[0]} {name[1]}"
    _CELL_FILES[shown] = location.path
    return rec.Location(shown, location.line, location.column)


def in_notebook() -> bool:
    """A Jupyter kernel (which can show HTML), not a terminal IPython."""
    return kernel() is not None and hasattr(kernel(), "kernel")


def iframe(document: str, height: int = IFRAME_HEIGHT) -> str:
    """The HTML report sealed in a sandboxed frame: its styles stay inside, and it runs no script."""
    return (f'<iframe srcdoc="{html.escape(document, quote=True)}" sandbox="" title="modeldoctor report" '
            f'style="width: 100%; height: {height}px; border: 1px solid #ddd;"></iframe>')


def show(report: Report) -> None:
    """Display the report: text and HTML in one output in a notebook (each front end picks), text elsewhere."""
    from modeldoctor.report import render

    if in_notebook():
        from IPython.display import display

        text = render(report, "text", source_lines=source_lines)
        height = min(IFRAME_HEIGHT + 260 * max(0, len(report.findings) - 1), 1400)  # room for each finding
        display({"text/plain": text, "text/html": iframe(render(report, "html", source_lines=source_lines),
                                                         height)}, raw=True)
        return
    color = sys.stdout.isatty() and not os.environ.get("NO_COLOR")
    print(render(report, "text", color=color, source_lines=source_lines), flush=True)
