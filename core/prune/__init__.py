"""Pruning: remove weights that contribute little, unstructured (zeros by magnitude, with
``torch.nn.utils.prune``) or structured (whole attention heads and MLP neurons), and measure
what it costs in quality and what it actually saves in size and time.

>>> PruneConfig(method="heads", sparsity=0.25).structured
True
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from core.prune.config import METHODS, TARGETS, PruneConfig
from core.prune.magnitude import (
    PrunedModel,
    TensorSparsity,
    is_pruned,
    make_permanent,
    n_params,
    prune_unstructured,
    restore,
    target_modules,
)
from core.prune.recover import RecoverConfig, RecoverResult, recover
from core.prune.structured import (
    head_importance,
    neuron_importance,
    prune_structured,
    rebuild,
    remove_heads,
    remove_neurons,
)
from core.prune.sweep import (
    LayerLoss,
    SweepConfig,
    SweepPoint,
    SweepResult,
    prune_layer,
    sentiment_cases,
    sweep,
)


def prune_model(
    model: Any, config: PruneConfig, *, layers: Collection[int] | None = None
) -> PrunedModel:
    """Prune a private copy of ``model`` as ``config`` says (``model`` is never modified).

    Args:
        model: a GPT-2 style causal LM (a ``LoadedModel.model``: cached and shared, so only
            read here).
        config: method, sparsity and targets.
        layers: prune only these blocks; None: every block.

    Returns:
        A :class:`PrunedModel`. Unstructured: masks attached (:func:`restore` gives the
        original back, :func:`make_permanent` folds them in); structured: a smaller model.
    """
    if config.structured:
        return prune_structured(model, config, layers=layers)
    return prune_unstructured(model, config, layers=layers)


__all__ = [
    "LayerLoss",
    "METHODS",
    "PruneConfig",
    "PrunedModel",
    "RecoverConfig",
    "RecoverResult",
    "SweepConfig",
    "SweepPoint",
    "SweepResult",
    "TARGETS",
    "TensorSparsity",
    "head_importance",
    "is_pruned",
    "make_permanent",
    "n_params",
    "neuron_importance",
    "prune_layer",
    "prune_model",
    "prune_structured",
    "prune_unstructured",
    "rebuild",
    "recover",
    "remove_heads",
    "remove_neurons",
    "restore",
    "sentiment_cases",
    "sweep",
    "target_modules",
]
