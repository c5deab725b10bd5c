"""Fixtures shared by the core.quantization tests."""

from __future__ import annotations

import pytest

from core import models
from core import quantization as q
from tests.core.quantization.samples import ALL


@pytest.fixture(scope="module")
def tiny():
    return models.load_causal_lm("tiny-gpt")


@pytest.fixture(scope="module")
def causal_results(tiny):
    cfg = q.QuantConfig(
        model="tiny-gpt", schemes=ALL, n_eval=8, seq_len=64, latency_runs=1, max_new_tokens=3
    )
    data = q.causal_eval_data(8)
    return {r.scheme: r for r in q.compare(tiny, ALL, data, config=cfg)}
