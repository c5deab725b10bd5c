"""Unstructured magnitude pruning with ``torch.nn.utils.prune``: zero the smallest weights.

The pruned model is a deep copy (a cached model is shared and never mutated). Its pruned
matrices carry torch's reparametrization: ``weight_orig`` (the original values), ``weight_mask``
(1 kept, 0 pruned) and a forward pre-hook computing ``weight = weight_orig * weight_mask``, so a
recovery fine-tune keeps the zeros and :func:`restore` gets the original back exactly.
:func:`make_permanent` is ``prune.remove`` on a copy: the zeros become the plain ``weight`` and
the original values are gone, which is what saving or timing a pruned model means.
"""

from __future__ import annotations

import copy
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

from core.prune.config import PruneConfig

WEIGHT = "weight"


@dataclass(frozen=True)
class TensorSparsity:
    """One pruned matrix: its module name, its size and how many of its weights are zero."""

    name: str
    numel: int
    zeros: int

    @property
    def sparsity(self) -> float:
        return self.zeros / max(1, self.numel)


@dataclass(frozen=True)
class PrunedModel:
    """A pruned private copy of a model and what was removed.

    Args:
        model: the pruned copy (unstructured: masks still attached, see the module docstring).
        config: how it was pruned.
        tensors: per targeted matrix, its zeros (unstructured); empty for structured pruning.
        removed_heads: layer -> removed head indices (``heads``).
        removed_neurons: layer -> removed MLP neuron indices (``neurons``).
        n_params_before / n_params_after: parameter counts (tied weights once); equal for
            unstructured pruning, which zeroes weights without removing any.
    """

    model: Any
    config: PruneConfig
    tensors: tuple[TensorSparsity, ...] = ()
    removed_heads: dict[int, tuple[int, ...]] = field(default_factory=dict)
    removed_neurons: dict[int, tuple[int, ...]] = field(default_factory=dict)
    n_params_before: int = 0
    n_params_after: int = 0

    @property
    def n_targeted(self) -> int:
        """Weights unstructured pruning could zero."""
        return sum(t.numel for t in self.tensors)

    @property
    def n_zeroed(self) -> int:
        return sum(t.zeros for t in self.tensors)

    @property
    def sparsity(self) -> float:
        """Zeroed share of the targeted weights (unstructured), 0.0 for structured pruning."""
        return self.n_zeroed / max(1, self.n_targeted)


def blocks(model: Any) -> Any:
    """The transformer blocks of a GPT-2 style model (``model.transformer.h``).

    Raises:
        ValueError: the model is not laid out as GPT-2.
    """
    h = getattr(getattr(model, "transformer", None), "h", None)
    if h is None or not len(h) or not hasattr(h[0], "attn") or not hasattr(h[0], "mlp"):
        raise ValueError(
            f"pruning needs a GPT-2 style model (transformer.h[i].attn / .mlp), "
            f"got {type(model).__name__}"
        )
    return h


def target_modules(
    model: Any, targets: str = "attention+mlp", *, layers: Collection[int] | None = None
) -> list[tuple[str, Any]]:
    """(name, module) of every weight matrix ``targets`` names, block by block (only the blocks
    in ``layers`` when given).

    >>> from transformers import GPT2Config, GPT2LMHeadModel
    >>> m = GPT2LMHeadModel(GPT2Config(n_layer=1, n_embd=8, n_head=2, vocab_size=10))
    >>> [n.removeprefix("transformer.h.") for n, _ in target_modules(m)]
    ['0.attn.c_attn', '0.attn.c_proj', '0.mlp.c_fc', '0.mlp.c_proj']
    """
    out = []
    for i, block in enumerate(blocks(model)):
        if layers is not None and i not in layers:
            continue
        if targets in ("attention+mlp", "attention"):
            out += [(f"transformer.h.{i}.attn.{n}", getattr(block.attn, n)) for n in _ATTN]
        if targets in ("attention+mlp", "mlp"):
            out += [(f"transformer.h.{i}.mlp.{n}", getattr(block.mlp, n)) for n in _MLP]
    return out


_ATTN = ("c_attn", "c_proj")
_MLP = ("c_fc", "c_proj")


def n_params(model: Any) -> int:
    """Parameters of ``model``, a tied matrix counted once (``model.parameters()`` does so)."""
    return sum(p.numel() for p in model.parameters())


def prune_unstructured(
    model: Any, config: PruneConfig, *, layers: Collection[int] | None = None
) -> PrunedModel:
    """Zero exactly ``round(sparsity * n)`` of the targeted weights by magnitude, on a copy.

    ``n`` is every targeted weight together (``global``: ``prune.global_unstructured``) or each
    matrix's own size (``per-layer``: ``prune.l1_unstructured`` per matrix). torch is given the
    count, not the share, so the number is exact (``round`` is Python's: halves to even).

    Args:
        model: a GPT-2 style causal LM (not modified).
        config: a ``global`` or ``per-layer`` config.
        layers: prune only these blocks (``global`` pools their matrices); None: every block.

    Returns:
        A :class:`PrunedModel` whose matrices keep their masks.

    >>> from transformers import GPT2Config, GPT2LMHeadModel
    >>> m = GPT2LMHeadModel(GPT2Config(n_layer=1, n_embd=8, n_head=2, vocab_size=10))
    >>> p = prune_unstructured(m, PruneConfig(method="per-layer", sparsity=0.5))
    >>> p.n_zeroed, p.n_targeted, p.sparsity
    (384, 768, 0.5)
    """
    import torch.nn.utils.prune as tprune

    if config.structured:
        raise ValueError(f"{config.method!r} is structured pruning; see prune_model")
    pm = copy.deepcopy(model).eval()
    mods = target_modules(pm, config.targets, layers=layers)
    if config.method == "global":
        total = sum(m.weight.numel() for _, m in mods)
        tprune.global_unstructured(
            [(m, WEIGHT) for _, m in mods],
            pruning_method=tprune.L1Unstructured,
            amount=int(round(config.sparsity * total)),
        )
    else:
        for _, m in mods:
            tprune.l1_unstructured(m, WEIGHT, amount=int(round(config.sparsity * m.weight.numel())))
    _detach_masked(pm)
    tensors = tuple(
        TensorSparsity(name, m.weight_mask.numel(), int((m.weight_mask == 0).sum()))
        for name, m in mods
    )
    size = n_params(model)
    return PrunedModel(pm, config, tensors, n_params_before=size, n_params_after=size)


def _detach_masked(model: Any) -> None:
    """Replace each masked ``weight`` (``weight_orig * weight_mask``, a graph node that
    ``copy.deepcopy`` refuses) by its detached value; the forward pre-hook recomputes it with
    its graph on every call, so training still reaches ``weight_orig``."""
    for m in model.modules():
        if is_pruned(m):
            setattr(m, WEIGHT, getattr(m, WEIGHT).detach())


def copy_pruned(model: Any) -> Any:
    """``copy.deepcopy`` of a model that may carry pruning masks (after a forward pass too)."""
    _detach_masked(model)
    return copy.deepcopy(model)


def is_pruned(module: Any) -> bool:
    """True when ``module.weight`` is under ``torch.nn.utils.prune``'s reparametrization."""
    return hasattr(module, WEIGHT + "_mask") and hasattr(module, WEIGHT + "_orig")


def make_permanent(model: Any) -> Any:
    """A copy of ``model`` with every mask folded into a plain ``weight`` (``prune.remove``):
    the zeros stay, the originals and the masks are gone. What is saved, timed and shipped."""
    import torch.nn.utils.prune as tprune

    out = copy_pruned(model)
    for m in out.modules():
        if is_pruned(m):
            tprune.remove(m, WEIGHT)
    return out


def restore(model: Any) -> Any:
    """A copy of a model pruned by :func:`prune_unstructured` with its original weights back:
    each ``weight_orig`` becomes ``weight`` again and the masks and hooks are dropped.

    Exact only while ``weight_orig`` is untouched: after a recovery fine-tune it holds the
    tuned values; after :func:`make_permanent` (``prune.remove``) nothing is left to restore.

    Raises:
        ValueError: nothing in ``model`` carries a mask.
    """
    import torch
    import torch.nn.utils.prune as tprune

    out = copy_pruned(model)
    found = False
    for m in out.modules():
        if not is_pruned(m):
            continue
        found = True
        for k, hook in list(m._forward_pre_hooks.items()):
            if isinstance(hook, tprune.BasePruningMethod) and hook._tensor_name == WEIGHT:
                del m._forward_pre_hooks[k]
        orig = m._parameters.pop(WEIGHT + "_orig")
        del m._buffers[WEIGHT + "_mask"]
        delattr(m, WEIGHT)  # the masked copy the hook last computed
        later = {k: m._parameters.pop(k) for k in list(m._parameters)}  # keep the key order
        m.register_parameter(WEIGHT, torch.nn.Parameter(orig.data, orig.requires_grad))
        m._parameters.update(later)
    if not found:
        raise ValueError("this model carries no pruning masks: nothing to restore")
    return out
