"""What to prune and how much: one frozen config for every pruning method.

>>> PruneConfig(method="per-layer", sparsity=0.25).targets
'attention+mlp'
>>> PruneConfig(sparsity=1.5)
Traceback (most recent call last):
...
ValueError: sparsity must be between 0 and 1, got 1.5
"""

from __future__ import annotations

from dataclasses import dataclass

from core.knobs import check, knob

METHODS = ("global", "per-layer", "heads", "neurons")
UNSTRUCTURED = ("global", "per-layer")
TARGETS = ("attention+mlp", "attention", "mlp")


@dataclass(frozen=True)
class PruneConfig:
    """How to prune a GPT-2 style causal LM.

    Args:
        method: ``global`` (zero the smallest-magnitude weights over all targeted matrices
            together: layers that matter less lose more), ``per-layer`` (the same share of every
            targeted matrix), ``heads`` (remove whole attention heads, the same number in every
            layer) or ``neurons`` (remove whole MLP neurons, the same number in every layer).
        sparsity: the share removed: of the targeted weights (unstructured), of each layer's
            heads or MLP neurons (structured). 0 leaves the model as it is; 1 zeroes every
            targeted weight (unstructured) and is refused for heads and neurons, which would
            leave a layer without any.
        targets: which weight matrices unstructured pruning sees: the attention ones
            (``c_attn``, ``c_proj``), the MLP ones (``c_fc``, ``c_proj``) or both. Embeddings
            (tied to the output head: one matrix reads and writes every token) and layer norms
            (a few weights, each scaling a whole feature) are never pruned; biases neither.
    """

    method: str = knob(
        "global", choices=METHODS, help="Unstructured (global / per layer) or structured."
    )
    sparsity: float = knob(  # half: where a small model's quality starts to visibly drop
        0.5, lo=0.0, hi=1.0, step=0.05, help="Share of the weights, heads or neurons removed."
    )
    targets: str = knob(
        "attention+mlp", choices=TARGETS, help="Which matrices unstructured pruning may zero."
    )

    def __post_init__(self) -> None:
        check(self)
        if self.method not in UNSTRUCTURED and self.sparsity >= 1.0:
            what = "head" if self.method == "heads" else "MLP neuron"
            raise ValueError(
                f"sparsity 1 would remove every {what} of every layer; pick a sparsity below 1"
            )

    @property
    def structured(self) -> bool:
        """True for ``heads`` and ``neurons``: the model gets smaller, not sparser."""
        return self.method not in UNSTRUCTURED
