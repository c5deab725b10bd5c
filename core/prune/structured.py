"""Structured pruning of GPT-2: remove whole attention heads and MLP neurons, so the model gets
genuinely smaller (fewer parameters, fewer bytes, less work per token).

transformers 5 no longer ships GPT-2's ``prune_heads`` (4.x had it, with
``prune_conv1d_layer``), so the slicing is done here: GPT-2's ``Conv1D`` stores its weight as
(in, out), hence a head's query/key/value are *columns* of ``attn.c_attn`` and its output
projection *rows* of ``attn.c_proj``; an MLP neuron is a column of ``mlp.c_fc`` and a row of
``mlp.c_proj``.

Importance is data-free, from the weights alone (cheap, deterministic, no batches to choose):

* a head's score is the L2 norm of its rows of ``attn.c_proj``: everything the head writes into
  the residual stream goes through those rows, so their norm bounds how much it can write;
* a neuron's score is ``||c_fc column|| * ||c_proj row||``: how strongly it reads the stream
  times how strongly it writes back (a neuron that reads a lot but writes nothing is idle).

Activation- or gradient-based scores would follow the data better; on a model this small the
weight scores already rank the heads, and the sweep's per-layer losses show the effect.
"""

from __future__ import annotations

import copy
from collections.abc import Collection, Mapping, Sequence
from typing import Any

from core.prune.config import PruneConfig
from core.prune.magnitude import PrunedModel, blocks, n_params


def head_importance(model: Any) -> Any:
    """Score (L, H) of every head: the L2 norm of its rows of ``attn.c_proj`` (see the module
    docstring). Higher: more important.

    >>> from transformers import GPT2Config, GPT2LMHeadModel
    >>> m = GPT2LMHeadModel(GPT2Config(n_layer=2, n_embd=8, n_head=2, vocab_size=10))
    >>> tuple(head_importance(m).shape)
    (2, 2)
    """
    import torch

    rows = []
    for block in blocks(model):
        w = block.attn.c_proj.weight.detach()  # (H * d, E): rows = the heads' outputs
        rows.append(w.reshape(block.attn.num_heads, -1).norm(dim=1))  # (H,)
    return torch.stack(rows)  # (L, H)


def neuron_importance(model: Any) -> Any:
    """Score (L, N) of every MLP neuron: ``||c_fc column|| * ||c_proj row||``.

    >>> from transformers import GPT2Config, GPT2LMHeadModel
    >>> m = GPT2LMHeadModel(GPT2Config(n_layer=2, n_embd=8, n_head=2, vocab_size=10))
    >>> tuple(neuron_importance(m).shape)
    (2, 32)
    """
    import torch

    rows = []
    for block in blocks(model):
        w_in = block.mlp.c_fc.weight.detach()  # (E, N): column j reads for neuron j
        w_out = block.mlp.c_proj.weight.detach()  # (N, E): row j writes for neuron j
        rows.append(w_in.norm(dim=0) * w_out.norm(dim=1))  # (N,)
    return torch.stack(rows)  # (L, N)


def _slice_conv1d(conv: Any, keep: Any, dim: int) -> None:
    """Keep the ``keep`` indices of a Conv1D along ``dim`` (0: inputs, 1: outputs), in place."""
    import torch

    keep = keep.to(conv.weight.device)
    w = conv.weight.detach().index_select(dim, keep).clone()  # (in, out) sliced
    conv.weight = torch.nn.Parameter(w)
    if dim == 1:
        conv.bias = torch.nn.Parameter(conv.bias.detach()[keep].clone())
    conv.nx, conv.nf = w.shape


def remove_heads(model: Any, heads: Mapping[int, Sequence[int]]) -> Any:
    """Remove heads in place: ``heads`` maps a layer to the head indices to drop there.

    Each layer's ``num_heads`` and ``split_size`` follow (``head_dim`` stays: the kept heads
    compute exactly what they did); ``config.pruned_heads`` records what went, as transformers
    4.x recorded it (``n_head`` cannot express fewer heads of the same width; :func:`rebuild`
    reads the record back).

    Raises:
        ValueError: an unknown layer or head, or every head of a layer.
    """
    import torch

    h = blocks(model)
    recorded: dict[int, list[int]] = {
        int(k): list(v) for k, v in (getattr(model.config, "pruned_heads", None) or {}).items()
    }
    for layer, drop in heads.items():
        if not 0 <= layer < len(h):
            raise ValueError(f"layer {layer} does not exist (the model has {len(h)})")
        attn = h[layer].attn
        n, d = attn.num_heads, attn.head_dim
        drop_set = set(int(x) for x in drop)
        if not drop_set:
            continue
        if any(not 0 <= x < n for x in drop_set):
            raise ValueError(f"layer {layer} has heads 0..{n - 1}, cannot remove {sorted(drop)}")
        if len(drop_set) >= n:
            raise ValueError(
                f"removing all {n} heads of layer {layer} would leave it no attention; "
                "keep at least one head per layer"
            )
        kept = [x for x in range(n) if x not in drop_set]
        cols = torch.tensor([x * d + j for x in kept for j in range(d)])  # kept head features
        e = attn.split_size  # width of q (and of k, v) before slicing
        qkv = torch.cat([cols, cols + e, cols + 2 * e])  # the same heads in q, k and v
        _slice_conv1d(attn.c_attn, qkv, 1)
        _slice_conv1d(attn.c_proj, cols, 0)
        attn.num_heads = len(kept)
        attn.split_size = len(kept) * d
        attn.embed_dim = attn.split_size
        # indices in the original numbering, for what an earlier call removed already
        before = recorded.get(layer, [])
        original = [x for x in range(n + len(before)) if x not in before]
        recorded[layer] = sorted(before + [original[x] for x in drop_set])
    model.config.pruned_heads = recorded
    return model


def remove_neurons(model: Any, neurons: Mapping[int, Sequence[int]]) -> Any:
    """Remove MLP neurons in place: ``neurons`` maps a layer to the neuron indices to drop.

    When every layer ends with the same width, ``config.n_inner`` is set to it (a config that
    rebuilds the same shapes).

    Raises:
        ValueError: an unknown layer or neuron, or every neuron of a layer.
    """
    import torch

    h = blocks(model)
    for layer, drop in neurons.items():
        if not 0 <= layer < len(h):
            raise ValueError(f"layer {layer} does not exist (the model has {len(h)})")
        mlp = h[layer].mlp
        n = mlp.c_fc.weight.shape[1]
        drop_set = set(int(x) for x in drop)
        if any(not 0 <= x < n for x in drop_set):
            raise ValueError(f"layer {layer} has neurons 0..{n - 1}")
        if len(drop_set) >= n:
            raise ValueError(f"removing all {n} MLP neurons of layer {layer} leaves it nothing")
        keep = torch.tensor([x for x in range(n) if x not in drop_set])
        _slice_conv1d(mlp.c_fc, keep, 1)
        _slice_conv1d(mlp.c_proj, keep, 0)
    widths = {b.mlp.c_fc.weight.shape[1] for b in h}
    if len(widths) == 1:
        model.config.n_inner = widths.pop()
    return model


def rebuild(config: Any, state_dict: Mapping[str, Any] | None = None) -> Any:
    """A GPT-2 with the shapes a pruned config records, and ``state_dict`` loaded into it.

    ``from_pretrained`` cannot read a head-pruned GPT-2 (every layer is built with
    ``n_head`` heads); this builds the full model from ``config``, removes
    ``config.pruned_heads`` again (``n_inner`` already gives the pruned MLP width) and loads the
    saved weights: every shape must match and every weight be there (the output head of a
    tied model is the token embedding, which safetensors stores once).

    Raises:
        ValueError: a weight missing or left over; RuntimeError (torch): a shape that differs.

    >>> from transformers import GPT2Config, GPT2LMHeadModel
    >>> m = GPT2LMHeadModel(GPT2Config(n_layer=2, n_embd=8, n_head=4, vocab_size=10))
    >>> p = prune_structured(m, PruneConfig(method="heads", sparsity=0.25))
    >>> again = rebuild(p.model.config, p.model.state_dict())
    >>> [b.attn.num_heads for b in again.transformer.h]
    [3, 3]
    """
    from transformers import GPT2LMHeadModel

    cfg = copy.deepcopy(config)
    heads = {int(k): list(v) for k, v in (getattr(cfg, "pruned_heads", None) or {}).items()}
    cfg.pruned_heads = {}
    model = GPT2LMHeadModel(cfg).eval()
    remove_heads(model, heads)
    if state_dict is not None:
        missing, unexpected = model.load_state_dict(dict(state_dict), strict=False)
        tied = {"lm_head.weight"} if getattr(cfg, "tie_word_embeddings", True) else set()
        if unexpected or set(missing) - tied:  # a saved file drops the tied head: it is wte
            raise ValueError(
                f"the weights do not fit the config: missing {sorted(set(missing) - tied)}, "
                f"unexpected {sorted(unexpected)}"
            )
    return model


def _lowest(
    scores: Any, k: int, layers: Collection[int] | None = None
) -> dict[int, tuple[int, ...]]:
    """Per row (layer; only those in ``layers`` when given), the ``k`` lowest-scoring indices,
    ascending."""
    return {
        layer: tuple(sorted(int(i) for i in row.argsort()[:k]))
        for layer, row in enumerate(scores)
        if layers is None or layer in layers
    }


def prune_structured(
    model: Any, config: PruneConfig, *, layers: Collection[int] | None = None
) -> PrunedModel:
    """Remove ``round(sparsity * H)`` heads (``heads``) or ``round(sparsity * N)`` MLP neurons
    (``neurons``) of every layer, the least important first, from a copy of ``model``.

    Args:
        model: a GPT-2 style causal LM (not modified).
        config: a ``heads`` or ``neurons`` config.
        layers: prune only these blocks; None: every block.

    Returns:
        A :class:`PrunedModel` with the removed indices and both parameter counts.

    Raises:
        ValueError: the sparsity would remove every head (or neuron) of a layer.

    >>> from transformers import GPT2Config, GPT2LMHeadModel
    >>> m = GPT2LMHeadModel(GPT2Config(n_layer=2, n_embd=8, n_head=4, vocab_size=10))
    >>> p = prune_structured(m, PruneConfig(method="heads", sparsity=0.5))
    >>> [len(v) for v in p.removed_heads.values()], p.n_params_before - p.n_params_after
    ([2, 2], 280)
    """
    if not config.structured:
        raise ValueError(f"{config.method!r} is unstructured pruning; see prune_model")
    pm = copy.deepcopy(model).eval()
    heads: dict[int, tuple[int, ...]] = {}
    neurons: dict[int, tuple[int, ...]] = {}
    if config.method == "heads":
        scores = head_importance(pm)  # (L, H)
        k = int(round(config.sparsity * scores.shape[1]))
        if k >= scores.shape[1]:
            raise ValueError(
                f"sparsity {config.sparsity:g} removes {k} of {scores.shape[1]} heads: every "
                "head of a layer; pick a lower sparsity"
            )
        heads = _lowest(scores, k, layers) if k else {}
        remove_heads(pm, heads)
    else:
        scores = neuron_importance(pm)  # (L, N)
        k = int(round(config.sparsity * scores.shape[1]))
        if k >= scores.shape[1]:
            raise ValueError(
                f"sparsity {config.sparsity:g} removes all {scores.shape[1]} MLP neurons of a "
                "layer; pick a lower sparsity"
            )
        neurons = _lowest(scores, k, layers) if k else {}
        remove_neurons(pm, neurons)
    return PrunedModel(
        pm,
        config,
        removed_heads=heads,
        removed_neurons=neurons,
        n_params_before=n_params(model),
        n_params_after=n_params(pm),
    )
