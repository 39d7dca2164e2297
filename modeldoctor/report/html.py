"""The HTML report: one self-contained file (inline CSS and SVG, no script, no network).

Jinja2 renders `templates/report.html.j2` with autoescaping on, so every
string from the user's script or model (layer names, paths, messages) is
shown as text. A Content-Security-Policy forbids scripts and remote loads
as a second line of defence.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

import jinja2

from modeldoctor import __version__
from modeldoctor.ftypes import Finding, Report, Trial
from modeldoctor.record import FitRecord
from modeldoctor.report import series, svg, view

TRAIN, VAL = "#2563eb", "#ea580c"
PALETTE = ("#0891b2", "#7c3aed", "#db2777", "#16a34a", "#ca8a04", "#dc2626", "#4f46e5", "#0d9488",
           "#9333ea", "#65a30d")


@functools.lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("modeldoctor.report", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


@dataclass(frozen=True)
class FindingView:
    finding: Finding
    title: str
    place: str
    facts: tuple[str, ...]
    causes: tuple[str, ...]
    evidence: tuple[tuple[str, str], ...]
    source: str | None
    line: int | None
    cure: view.CureView | None
    advice: tuple[view.Advice, ...]
    rule: Any  # modeldoctor.ftypes.Rule | None
    references: tuple[tuple[str, str | None], ...]  # (text, href for web links)


def _finding_view(report: Report, finding: Finding, sources: view.Sources) -> FindingView:
    location = view.where(report, finding)
    facts = [*view.fit_facts(report, finding), f"confidence {view.confidence(finding)}"]
    if finding.epoch is not None:
        facts.insert(len(facts) - 1, f"from epoch {finding.epoch + 1}")
    if finding.layer:
        facts.insert(0, f"layer {finding.layer}")
    rule = report.rules.get(finding.code)
    references = tuple((ref, ref if ref.startswith(("https://", "http://")) else None)
                       for ref in (rule.explanation.references if rule else ()))
    causes = tuple(view.rule_label(report, name) for name in finding.caused_by) if not finding.primary else ()
    return FindingView(
        finding=finding, title=view.title(finding), place=view.place(location), facts=tuple(facts),
        causes=causes, evidence=tuple(view.evidence_items(finding)), source=sources.line(location),
        line=location.line if location else None, cure=view.cure_for(report, finding),
        advice=view.advice_for(report, finding), rule=rule,
        references=references,
    )


def _markers(report: Report, index: int) -> list[tuple[float, str, str, str]]:
    return [(f.epoch + 1, f.code or f.name, f"{view.title(f)} from epoch {f.epoch + 1}", f.severity.value)
            for f in report.findings if f.fit == index and f.epoch is not None]


def _curve_series(report: Report, index: int, key: str) -> list[svg.Series]:
    drawn = []
    for name, color, dash in ((key, TRAIN, ""), (f"val_{key}", VAL, "6 4")):
        for i, run in enumerate(report.runs):
            if index >= len(run.fits) or not any(name in e for e in run.fits[index].epochs):
                continue
            fit = run.fits[index]
            label = name if len(report.runs) == 1 else f"{name} · {series.seed_label(report, i)}"
            drawn.append(svg.Series(
                label=name, color=color, xs=list(range(1, len(fit.epochs) + 1)), ys=series.curve(fit, name),
                dash=dash, opacity=1.0 if i == 0 else 0.4, width=2.0 if i == 0 else 1.5, legend=i == 0,
                point_label=label, dots=i == 0))
    return drawn


def _gradient_chart(report: Report, fit: FitRecord) -> svg.Chart | None:
    flagged = {f.layer for f in report.findings if f.fit == fit.index and f.layer}
    drawn = []
    for n, layer in enumerate(series.layer_names(fit)):
        steps, norms = zip(*series.grad_series(fit, layer))
        drawn.append(svg.Series(label=layer, color=PALETTE[n % len(PALETTE)], xs=steps, ys=norms,
                                 width=3.0 if layer in flagged else 1.5))
    return svg.line_chart(f"fit{fit.index}-grad", "gradient norm per layer", drawn, x_label="step",
                          y_label="gradient norm (log)", log=True)


BEFORE, AFTER = "#94a3b8", {"accepted": "#16a34a", "rejected": "#dc2626"}


def _trial_chart(trial: Trial, number: int) -> svg.Chart | None:
    """The target per epoch, every seed: untreated in grey, treated in the verdict's colour."""
    if trial.after is None or not trial.after.curves:
        return None
    drawn = []
    last = max(len(curve) for curve in (*trial.before.curves, *trial.after.curves))
    # after first, so the dashed before-curves stay visible where a cure left the epochs alone (weight averaging)
    for label, measure, color, dash, offset in (("after", trial.after, AFTER.get(trial.verdict, VAL), "", 0.6),
                                                ("before", trial.before, BEFORE, "6 4", 0.3)):
        for i, curve in enumerate(measure.curves):
            seed = trial.seeds[i] if i < len(trial.seeds) else i
            drawn.append(svg.Series(label=label, color=color, xs=list(range(1, len(curve) + 1)), ys=list(curve),
                                    dash=dash, legend=i == 0, point_label=f"{measure.name} {label} · seed {seed}",
                                    dots=False, width=1.5))
        # The kept model's value per seed (EMA or restored weights: what the epoch logs never see),
        # as a bar just right of the last epoch: its length is the seed-to-seed spread.
        drawn.append(svg.Series(label=f"kept model, {label}", color=color, xs=[last + offset] * len(measure.values),
                                ys=sorted(measure.values), width=5.0, legend=False,
                                point_label=f"{measure.name} of the kept model, {label}"))
    values = [v for line in drawn for v in line.ys]
    log = series.use_log(values)
    return svg.line_chart(f"trial{number}", f"{trial.finding} → {trial.transform}: {trial.before.name} per epoch",
                          drawn, x_label="epoch", y_label=trial.before.name + (" (log)" if log else ""), log=log,
                          x_domain=(1.0, last + 0.9))


@dataclass(frozen=True)
class FitView:
    index: int
    heading: str
    details: str
    charts: tuple[svg.Chart, ...]
    empty: str | None


def _fit_view(report: Report, index: int) -> FitView:
    fit = report.runs[0].fits[index]
    model = fit.model
    optimizer = model.optimizer
    details = [f"{model.class_name} '{model.name}'", f"{model.total_params:,} parameters"]
    if optimizer:
        lr = f" (learning rate {view.fmt_number(optimizer.learning_rate)})" if optimizer.learning_rate else ""
        details.append(f"{optimizer.class_name}{lr}")
    if model.loss:
        details.append(model.loss.name)
    details.append(f"{len(fit.epochs)} epoch(s) of {fit.fit_args.epochs}")
    if series.fit_status(fit):
        details.append(series.fit_status(fit))
    markers = _markers(report, index)
    charts = []
    n = max((len(run.fits[index].epochs) for run in report.runs if index < len(run.fits)), default=0)
    domain = (1.0, float(max(n, 1)))
    loss = _curve_series(report, index, "loss")
    log = series.use_log([v for s in loss for v in s.ys])
    chart = svg.line_chart(f"fit{index}-loss", "loss per epoch" + (" (log scale)" if log else ""), loss,
                           x_label="epoch", y_label="loss", log=log, markers=markers, x_domain=domain)
    if chart:
        charts.append(chart)
    metric = series.metric_key(fit)
    if metric:
        chart = svg.line_chart(f"fit{index}-metric", f"{metric} per epoch", _curve_series(report, index, metric),
                               x_label="epoch", y_label=metric, markers=markers, x_domain=domain)
        if chart:
            charts.append(chart)
    grad = _gradient_chart(report, fit)
    if grad:
        charts.append(grad)
    where = f" · {view.place(fit.location)}" if fit.location else ""
    return FitView(index=index, heading=f"fit {index + 1}{where}", details=" · ".join(details),
                   charts=tuple(charts), empty=None if charts else "no epoch finished: nothing to draw")


def render_html(report: Report, *, source_lines: view.SourceLines | None = None) -> str:
    sources = view.Sources(source_lines)
    runs = report.runs
    meta = []
    if runs:
        meta.append(series.runs_label(report))
        if runs[0].keras_version:
            meta.append(f"keras {runs[0].keras_version}" + (f" ({runs[0].backend})" if runs[0].backend else ""))
        meta.append(f"{sum(r.wall_time for r in runs):.1f} s")
    groups = [(view.FAMILY_TITLES[family], view.FAMILY_BLURBS[family],
               [_finding_view(report, f, sources) for f in findings])
              for family, findings in view.grouped(report.findings)]
    fits = [_fit_view(report, i) for i in range(len(runs[0].fits))] if runs else []
    template = environment().get_template("report.html.j2")
    return template.render(
        script=view.display_path(report.script),
        summary=view.summary_line(report),
        healthy=view.healthy(report),
        counts=view.severity_counts(report.findings),
        meta=meta,
        groups=groups,
        fits=fits,
        several=len(runs) > 1,
        other_seeds=[series.seed_label(report, i) for i in range(1, len(runs))],
        trials=view.trial_views(report),
        trial_charts=[c for n, t in enumerate(report.trials, 1) if (c := _trial_chart(t, n))],
        diff=view.diff_lines(report.diff),
        diff_stat=view.diff_stat(report.diff),
        notes=view.run_notes(report),
        version=__version__,
    ).rstrip("\n")
