"""Fixtures shared by the core.metrics tests."""

from __future__ import annotations

import pytest

from tests.conftest import ROOT


@pytest.fixture(scope="module")
def evaluate_modules():
    import evaluate

    base = ROOT / "assets" / "metrics"
    return {n: evaluate.load(str(base / n)) for n in ("rouge", "sacrebleu", "chrf")}
