"""Report tests render a fixed, hand-built report; no Keras, no training."""

from __future__ import annotations

import pytest

from . import sample


@pytest.fixture
def pinned_version(monkeypatch: pytest.MonkeyPatch) -> str:
    """Reports name the modeldoctor version; snapshots should not change with every release."""
    from modeldoctor.report import html, json_report, sarif

    for module in (html, json_report, sarif):
        monkeypatch.setattr(module, "__version__", "0.0.0-snapshot")
    return "0.0.0-snapshot"


@pytest.fixture
def report():
    return sample.report()
