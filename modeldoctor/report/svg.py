"""Line charts as plain numbers: pixel paths, ticks and markers for an inline SVG.

Everything is computed here, in Python; the HTML template only writes these
values into `<path>`, `<line>` and `<text>` elements (names through jinja2's
escaping), so the report needs no JavaScript and no network.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TypeGuard

WIDTH, HEIGHT = 480, 250
LEFT, RIGHT, TOP, BOTTOM = 46, 14, 22, 42
MAX_POINTS = 60  # beyond this many points a series is drawn without hover dots


@dataclass(frozen=True)
class Series:
    """Input: one line to draw. `ys` may hold None or NaN (a gap in the line)."""

    label: str
    color: str
    xs: Sequence[float]
    ys: Sequence[float | None]
    dash: str = ""
    opacity: float = 1.0
    width: float = 2.0
    legend: bool = True
    point_label: str = ""  # hover text prefix, e.g. "loss · seed 0"
    dots: bool = True  # hover dots (when there are few points)


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    title: str


@dataclass(frozen=True)
class Line:
    label: str
    color: str
    d: str
    dash: str
    opacity: float
    width: float
    legend: bool
    points: tuple[Point, ...] = ()


@dataclass(frozen=True)
class Tick:
    at: float  # pixel position
    label: str


@dataclass(frozen=True)
class Marker:
    x: float
    y: float  # pixel position of the label
    label: str
    title: str
    severity: str
    label_x: float = 0.0
    anchor: str = "start"  # labels near the right edge grow leftwards


@dataclass(frozen=True)
class Chart:
    id: str
    title: str
    x_label: str
    y_label: str
    log: bool
    lines: tuple[Line, ...]
    x_ticks: tuple[Tick, ...]
    y_ticks: tuple[Tick, ...]
    markers: tuple[Marker, ...] = ()
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    top: int = TOP
    right: int = WIDTH - RIGHT
    bottom: int = HEIGHT - BOTTOM
    legend: tuple[Line, ...] = field(default=())

    @property
    def mid_x(self) -> float:
        return (self.left + self.right) / 2

    @property
    def mid_y(self) -> float:
        return (self.top + self.bottom) / 2


def _px(value: float) -> str:
    return f"{value:.1f}"


def nice_step(span: float, count: int = 5, integer: bool = False) -> float:
    raw = span / count
    if integer and raw <= 1:
        return 1.0
    magnitude = 10 ** math.floor(math.log10(raw))
    steps = (1, 2, 5, 10) if integer and magnitude < 10 else (1, 2, 2.5, 5, 10)
    return next(m * magnitude for m in steps if m * magnitude >= raw)


def _label(value: float) -> str:
    value = round(value, 10)
    return f"{value:g}" if abs(value) < 1e5 else f"{value:.3g}"


def tick_labels(ticks: Sequence[float], log: bool = False) -> list[str]:
    """Labels with the same number of decimals, short enough for the axis: `0.5`, `4.92e8`, `1e-5`."""
    if log:
        plain = all(-3 <= e <= 4 for e in ticks)
        return [f"{10 ** e:g}" if plain else f"1e{int(e)}" for e in ticks]
    if len(ticks) < 2:
        return [_label(t) for t in ticks]
    step = abs(ticks[1] - ticks[0])
    top = max(abs(t) for t in ticks)
    if top >= 1e5 or top < 1e-2:
        power = math.floor(math.log10(top))
        decimals = max(0, power - math.floor(math.log10(step) + 1e-9))
        return ["0" if abs(t) < step / 2 else f"{t / 10 ** power:.{decimals}f}e{power}" for t in ticks]
    decimals = max(0, -math.floor(math.log10(step) + 1e-9))
    return [f"{t:.{decimals}f}" for t in ticks]


def linear_ticks(lo: float, hi: float, count: int = 5, integer: bool = False) -> tuple[float, float, list[float]]:
    """A domain widened to round numbers and the ticks inside it."""
    if hi <= lo:
        pad = abs(lo) * 0.1 or 1.0
        lo, hi = lo - pad, hi + pad
    step = nice_step(hi - lo, count, integer)
    first, last = math.floor(lo / step) * step, math.ceil(hi / step) * step
    ticks = [first + i * step for i in range(int(round((last - first) / step)) + 1)]
    return first, last, ticks


def log_ticks(lo: float, hi: float) -> tuple[float, float, list[float]]:
    """Powers of ten around [lo, hi]; the domain is in log10 units."""
    low, high = math.floor(math.log10(lo)), math.ceil(math.log10(hi))
    if high == low:
        high += 1
    step = max(1, math.ceil((high - low) / 6))
    return float(low), float(high), [float(e) for e in range(low, high + 1, step)]


def line_chart(
    id: str,
    title: str,
    series: Sequence[Series],
    *,
    x_label: str,
    y_label: str,
    log: bool = False,
    markers: Sequence[tuple[float, str, str, str]] = (),
    x_domain: tuple[float, float] | None = None,
) -> Chart | None:
    """A chart of `series`, or None when there is nothing finite to draw.

    `markers` are (x, label, hover text, severity): a vertical line at data x.
    """
    def usable(v: float | None) -> TypeGuard[float]:
        return v is not None and math.isfinite(v) and (v > 0 or not log)

    ys = [v for s in series for v in s.ys if usable(v)]
    xs = [x for s in series for x, y in zip(s.xs, s.ys) if usable(y)]
    if not ys:
        return None
    if log:
        y0, y1, yt = log_ticks(min(ys), max(ys))
    else:
        y0, y1, yt = linear_ticks(min(ys), max(ys))
    x0, x1 = x_domain or (min(xs), max(xs))
    if x1 <= x0:
        x0, x1 = x0 - 0.5, x1 + 0.5
    _, _, xt = linear_ticks(x0, x1, 6, integer=True)
    xt = [t for t in xt if x0 <= t <= x1]
    y_labels = tick_labels(yt, log)
    left = max(LEFT, 28 + 7 * max(len(label) for label in y_labels))  # room for the longest tick label
    right, bottom = WIDTH - RIGHT, HEIGHT - BOTTOM

    def sx(x: float) -> float:
        return left + (x - x0) / (x1 - x0) * (right - left)

    def sy(y: float) -> float:
        v = math.log10(y) if log else y
        return bottom - (v - y0) / (y1 - y0) * (bottom - TOP)

    lines = []
    for s in series:
        parts, points, pen_down = [], [], False
        for x, y in zip(s.xs, s.ys):
            if not usable(y):
                pen_down = False
                continue
            parts.append(f"{'L' if pen_down else 'M'}{_px(sx(x))},{_px(sy(y))}")  # type: ignore[arg-type]
            points.append(Point(float(_px(sx(x))), float(_px(sy(y))),  # type: ignore[arg-type]
                                f"{s.point_label or s.label} · {x_label} {_label(x)}: {y:.4g}"))
            pen_down = True
        dots = tuple(points) if s.dots and len(s.xs) <= MAX_POINTS else ()
        lines.append(Line(s.label, s.color, " ".join(parts), s.dash, s.opacity, s.width, s.legend, dots))
    placed: list[Marker] = []
    rows: list[tuple[float, int]] = []  # (pixel x, row) of each placed label
    for x, label, hover, severity in sorted(markers, key=lambda m: m[0]):
        if not x0 <= x <= x1:
            continue
        px = float(_px(sx(x)))
        taken = {row for other, row in rows if abs(other - px) < 9 * max(len(label), 5)}
        row = next(r for r in range(len(rows) + 1) if r not in taken)
        rows.append((px, row))
        near_edge = px > right - 48
        placed.append(Marker(px, TOP + 12 + 13 * row, label, hover, severity,
                             float(_px(px - 4 if near_edge else px + 4)), "end" if near_edge else "start"))
    return Chart(
        id=id, title=title, x_label=x_label, y_label=y_label, log=log, lines=tuple(lines),
        x_ticks=tuple(Tick(float(_px(sx(t))), label) for t, label in zip(xt, tick_labels(xt))),
        y_ticks=tuple(Tick(float(_px(sy(10 ** t if log else t))), label) for t, label in zip(yt, y_labels)),
        left=left,
        markers=tuple(placed), legend=tuple(line for line in lines if line.legend),
    )
