"""The chart geometry behind the HTML report's inline SVG."""

from __future__ import annotations

import math

import pytest

from modeldoctor.report import svg


def test_linear_ticks_are_round_numbers_covering_the_data() -> None:
    lo, hi, ticks = svg.linear_ticks(0.03, 2.58)
    assert (lo, hi) == (0.0, 3.0)
    assert ticks == [0.0, 1.0, 2.0, 3.0]
    assert svg.linear_ticks(0.1, 0.42)[2] == pytest.approx([0.1, 0.2, 0.3, 0.4, 0.5])
    assert svg.linear_ticks(2.0, 2.0)[0] < 2.0 < svg.linear_ticks(2.0, 2.0)[1]


def test_log_ticks_are_powers_of_ten() -> None:
    assert svg.log_ticks(0.3, 2260) == (-1.0, 4.0, [-1.0, 0.0, 1.0, 2.0, 3.0, 4.0])
    assert svg.log_ticks(2.0, 3.0)[2] == [0.0, 1.0]


def test_a_gap_in_the_values_breaks_the_line() -> None:
    chart = svg.line_chart("c", "loss", [svg.Series("loss", "#000", [1, 2, 3, 4], [1.0, math.nan, 0.5, 0.4])],
                           x_label="epoch", y_label="loss")
    assert chart is not None
    (line,) = chart.lines
    assert line.d.count("M") == 2 and line.d.count("L") == 1
    assert len(line.points) == 3
    assert all(chart.left <= p.x <= chart.right and chart.top <= p.y <= chart.bottom for p in line.points)


def test_log_scale_skips_values_it_cannot_draw() -> None:
    chart = svg.line_chart("c", "g", [svg.Series("g", "#000", [0, 1, 2], [0.0, 1.0, 100.0])], x_label="step",
                           y_label="norm", log=True)
    assert chart is not None and chart.lines[0].d.count("M") == 1 and chart.lines[0].d.count("L") == 1
    assert [t.label for t in chart.y_ticks] == ["1", "10", "100"]


def test_nothing_finite_gives_no_chart() -> None:
    assert svg.line_chart("c", "t", [svg.Series("a", "#000", [1], [math.nan])], x_label="x", y_label="y") is None


def test_markers_sit_at_their_epoch_and_close_labels_do_not_overlap() -> None:
    series = [svg.Series("loss", "#000", list(range(1, 13)), [float(v) for v in range(12)])]
    chart = svg.line_chart("c", "t", series, x_label="epoch", y_label="loss", x_domain=(1, 12),
                           markers=[(1, "MD102", "a", "error"), (1, "MD108", "b", "warning"),
                                    (12, "MD201", "c", "warning"), (40, "MD999", "off the chart", "info")])
    assert chart is not None
    first, second, last = chart.markers
    assert first.x == second.x == chart.left and first.y != second.y
    assert last.x == chart.right and last.anchor == "end"


def test_many_points_are_drawn_without_hover_dots() -> None:
    n = svg.MAX_POINTS + 1
    chart = svg.line_chart("c", "t", [svg.Series("a", "#000", list(range(n)), [1.0] * n)], x_label="x", y_label="y")
    assert chart is not None and chart.lines[0].points == ()
