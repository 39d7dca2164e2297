"""A readable summary of what one run recorded."""

from __future__ import annotations

from pathlib import Path

from modeldoctor.record import FitRecord, RunRecord


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.4g}"


def fit_summary(fit: FitRecord) -> list[str]:
    model = fit.model
    where = f"line {fit.location.line}" if fit.location else "unknown line"
    optimizer = model.optimizer
    lr = f" (learning rate {_fmt(optimizer.learning_rate)})" if optimizer else ""
    lines = [
        f"fit #{fit.index + 1} at {where}: {model.class_name} with {len(model.layers)} layers, "
        f"{model.total_params:,} parameters",
        f"  optimizer {optimizer.class_name if optimizer else '-'}{lr}, "
        f"loss {model.loss.name if model.loss else '-'}",
    ]
    last = fit.epochs[-1] if fit.epochs else {}
    metrics = ", ".join(f"{k} {_fmt(v)}" for k, v in last.items())
    lines.append(f"  {len(fit.epochs)} epoch(s) of {fit.fit_args.epochs}: {metrics or 'no epoch finished'}")
    lines.append(f"  {len(fit.samples)} gradient samples (every {fit.sample_every} steps), {fit.wall_time:.1f} s")
    if fit.stopped_on_nan:
        lines.append(f"  stopped: the loss became NaN/Inf at step {fit.nan_step} (epoch {fit.nan_epoch})")
    return lines


def run_summary(record: RunRecord) -> str:
    name = Path(record.script).name
    lines = [f"{name}: {len(record.fits)} fit call(s), keras {record.keras_version} ({record.backend}), "
             f"{record.wall_time:.1f} s"]
    for fit in record.fits:
        lines.extend(fit_summary(fit))
    if record.exit.status != "ok":
        lines.append(f"  note: the script then ended with {record.exit.exception_type or record.exit.status}: "
                     f"{record.exit.message}")
    return "\n".join(lines)
