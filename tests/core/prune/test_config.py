from __future__ import annotations

import pytest

from core.prune import PruneConfig


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"sparsity": -0.1}, "sparsity must be between 0 and 1, got -0.1"),
        ({"sparsity": 1.01}, "sparsity must be between 0 and 1, got 1.01"),
        ({"sparsity": float("nan")}, "sparsity must be a finite number"),
        ({"method": "random"}, "method must be one of"),
        ({"targets": "embeddings"}, "targets must be one of"),
        ({"method": "heads", "sparsity": 1.0}, "every head of every layer"),
        ({"method": "neurons", "sparsity": 1.0}, "every MLP neuron of every layer"),
    ],
)
def test_hostile_configs_say_what_is_wrong(kwargs, message):
    with pytest.raises(ValueError, match=message):
        PruneConfig(**kwargs)


@pytest.mark.parametrize("method", ["global", "per-layer"])
@pytest.mark.parametrize("sparsity", [0.0, 1.0])
def test_unstructured_accepts_both_ends(method, sparsity):
    assert PruneConfig(method=method, sparsity=sparsity).sparsity == sparsity
