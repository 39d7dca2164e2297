"""The probe's data statistics: NaN/Inf counted over every row, labels described from their finite values."""

from __future__ import annotations

import math

import numpy as np
import pytest

from modeldoctor.probe import describe


def test_nonfinite_inputs_are_counted_over_every_row_not_only_the_sample(monkeypatch):
    monkeypatch.setattr(describe, "CHUNK_VALUES", 64)  # several chunks, one ending mid-array
    x = np.zeros((describe.MAX_ROWS + 500, 3))
    x[2, 0] = np.nan
    x[describe.MAX_ROWS + 10, :2] = np.inf  # beyond the sampled rows
    stats = describe.array_stats(x)
    assert stats.sampled_rows == describe.MAX_ROWS and stats.checked_rows == describe.MAX_ROWS + 500
    assert stats.nonfinite == 3 and stats.nonfinite_rows == 2
    assert stats.min == 0 and stats.max == 0  # scale statistics ignore what is not a number


def test_integer_and_clean_arrays_have_nothing_to_count():
    assert describe.count_nonfinite(np.arange(12).reshape(4, 3)) == (0, 0)
    assert describe.count_nonfinite(np.ones((4, 2, 2), dtype=np.float32)) == (0, 0)
    assert describe.count_nonfinite(np.array([[np.nan, 1.0], [2.0, -np.inf]])) == (2, 2)


def test_labels_with_missing_entries_are_still_class_ids():
    y = np.array([0, 1, np.nan, 2, 1, np.inf])
    stats = describe.label_stats(y)
    assert stats.nonfinite == 2 and stats.nonfinite_rows == 2 and stats.checked_rows == 6
    assert (stats.min, stats.max) == (0.0, 2.0) and stats.integer_valued and stats.n_classes == 3
    assert math.isfinite(stats.mean) and math.isfinite(stats.std)


def test_one_hot_labels_with_a_missing_row_stay_one_hot():
    y = np.eye(3)[[0, 1, 2, 1]]
    y[1, 0] = np.nan
    stats = describe.label_stats(y)
    assert stats.one_hot and stats.n_classes == 3 and stats.nonfinite == 1 and stats.nonfinite_rows == 1


def test_all_missing_labels_do_not_crash_or_pretend():
    stats = describe.label_stats(np.full(4, np.nan))
    assert stats.nonfinite == 4 and math.isnan(stats.min) and math.isnan(stats.max)
    assert not stats.integer_valued and not stats.one_hot and stats.n_classes is None


@pytest.mark.parametrize("y", [np.array([0.5, 1.5, 2.0]), np.array([[0.2, 0.8], [1.0, 0.0]])])
def test_clean_labels_are_described_as_before(y):
    stats = describe.label_stats(y)
    assert stats.nonfinite == 0 and not stats.integer_valued and not stats.one_hot
    assert stats.min == y.min() and stats.max == y.max()
