"""One forward pass of a GPT-2-style model, step by step, read from the real model with hooks.

Transformer Explainer draws its GPT-2 from a diagram; here every step is the tensor the model
computed on the learner's text: token embedding (``wte``) + position embedding (``wpe``) -> for
each block, attention on the layer-normed residual, the residual after it, the MLP, the residual
after it -> final layer norm (``ln_f``) -> logits (``lm_head``) -> softmax of the last token.

Forward hooks are registered for one call and removed in a ``finally`` (even when the call
fails); they record only calls made from the walking thread, so a page running the same cached
model in another session at the same time neither sees nor spoils them. The model is never
changed: no weight, no config, no hook left behind.

>>> WalkConfig(top_k=5).top_k
5
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from core.knobs import check, knob

TOKEN, POSITION, SUM = "token embedding", "position embedding", "token + position"
ATTN, RESID_ATTN, MLP, RESID_MLP = (
    "attention output",
    "residual after attention",
    "MLP output",
    "residual after MLP",
)
FINAL_NORM, LOGITS = "final layer norm", "logits"


@dataclass(frozen=True)
class WalkConfig:
    """What the walk reports besides the tensors.

    Args:
        top_k: how many most likely next tokens the softmax step lists.
    """

    top_k: int = knob(10, lo=1, hi=50, step=1, label="top-k", help="Next tokens listed.")

    def __post_init__(self) -> None:
        check(self)


@dataclass(frozen=True)
class WalkStep:
    """One step of the forward pass: the tensor a module produced, batch dimension dropped.

    Attributes:
        name: what the step is (``"attention output"``...).
        module: the module it was read from (``"transformer.h.0.attn"``), or where it was read.
        block: the transformer block (0-based), None outside the blocks.
        values: the tensor, (T, d) or (T, V) for the logits, float32, read-only.
        formula: how the step is computed, in one line.
    """

    name: str
    module: str
    block: int | None
    values: Any
    formula: str

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(int(n) for n in self.values.shape)

    @property
    def title(self) -> str:
        return self.name if self.block is None else f"block {self.block}: {self.name}"

    @property
    def norms(self) -> Any:
        """The length of each token's vector: (T,)."""
        return np.linalg.norm(self.values, axis=-1)

    @property
    def mean_norm(self) -> float:
        """The mean length of the tokens' vectors."""
        return float(self.norms.mean())


@dataclass(frozen=True)
class WalkResult:
    """Every step of one forward pass, in the order the model ran them.

    Attributes:
        ids / tokens: the input token ids and their labels.
        steps: the steps, from the token embedding to the logits.
        probs: softmax of the last token's logits, (V,).
        top: the ``top_k`` most likely next tokens as ``(id, label, probability)``.
        n_layers / d_model / vocab_size: the model's sizes.
        note: why the text was cut, or "".
    """

    ids: tuple[int, ...]
    tokens: tuple[str, ...]
    steps: tuple[WalkStep, ...]
    probs: Any
    top: tuple[tuple[int, str, float], ...]
    n_layers: int
    d_model: int
    vocab_size: int
    note: str = ""

    @property
    def logits(self) -> Any:
        """The model's logits, (T, V)."""
        return self.steps[-1].values

    def step(self, name: str, block: int | None = None) -> WalkStep:
        """The step called ``name`` (in ``block``).

        Raises:
            KeyError: no such step.
        """
        for s in self.steps:
            if s.name == name and s.block == block:
                return s
        raise KeyError(f"no step {name!r} in block {block}")


def _parts(model: Any) -> tuple[Any, Any, Any, Sequence[Any], Any, Any]:
    """(transformer, wte, wpe, blocks, ln_f, lm_head) of a GPT-2-style causal LM."""
    body = getattr(model, "transformer", None)
    names = ("wte", "wpe", "h", "ln_f")
    if body is None or not all(hasattr(body, n) for n in names) or not hasattr(model, "lm_head"):
        raise ValueError(
            "the step-by-step walk reads GPT-2-style models (token and position tables, blocks "
            f"with ln_1/attn/ln_2/mlp); {type(model).__name__} is not one"
        )
    return body, body.wte, body.wpe, list(body.h), body.ln_f, model.lm_head


def _on_input(keep: Any, key: str, _module: Any, args: tuple) -> None:
    keep(key, args[0])


def _on_output(keep: Any, key: str, _module: Any, _args: tuple, out: Any) -> None:
    keep(key, out)


_LOCK = threading.Lock()  # one walk at a time: hooks on a shared module are process-wide


def walk(
    model: Any,
    tokenizer: Any,
    ids: Sequence[int],
    config: WalkConfig | None = None,
    *,
    note: str = "",
) -> WalkResult:
    """Run ``model`` once on ``ids`` and return every intermediate tensor, read with hooks.

    Args:
        model: a GPT-2-style ``...LMHeadModel`` in eval mode (the registry's tiny-gpt).
        tokenizer: its tokenizer (for the token labels).
        ids: the input ids, at most the model's context (:func:`core.generation.encode_prompt`
            cuts a text to it and says so).
        config: what else to report (the top-k).
        note: passed through to the result (the truncation note).

    Returns:
        A :class:`WalkResult`; its logits are the model's own output of this very call.

    Raises:
        ValueError: no ids, more ids than the model's positions, or not a GPT-2-style model.
    """
    import torch

    config = config or WalkConfig()
    body, wte, wpe, blocks, ln_f, lm_head = _parts(model)
    ids = [int(i) for i in ids]
    if not ids:
        raise ValueError("the text produced no tokens: type a few words")
    if len(ids) > wpe.num_embeddings:
        raise ValueError(
            f"{len(ids)} tokens, but the model has {wpe.num_embeddings} positions: cut the text"
        )
    owner = threading.get_ident()
    seen: dict[str, Any] = {}

    def keep(key: str, out: Any) -> None:
        if threading.get_ident() == owner:  # another session's call on the shared model
            seen[key] = out[0] if isinstance(out, tuple) else out

    # (module, key, read its input instead of its output)
    hooks = [(wte, "wte", False), (wpe, "wpe", False), (blocks[0].ln_1, "sum", True)]
    for b, block in enumerate(blocks):
        hooks += [
            (block.attn, f"attn{b}", False),
            (block.ln_2, f"resid_attn{b}", True),
            (block.mlp, f"mlp{b}", False),
            (block, f"resid_mlp{b}", False),
        ]
    hooks += [(ln_f, "ln_f", False)]  # the logits are the call's own output
    x = torch.tensor([ids], dtype=torch.long)  # (1, T)
    with _LOCK:
        handles = []
        try:
            for module, key, on_input in hooks:
                if on_input:
                    hook = functools.partial(_on_input, keep, key)
                    handles.append(module.register_forward_pre_hook(hook))
                else:
                    handles.append(
                        module.register_forward_hook(functools.partial(_on_output, keep, key))
                    )
            with torch.inference_mode():
                out = model(input_ids=x, attention_mask=torch.ones_like(x), use_cache=False)
        finally:
            for h in handles:
                h.remove()
    seen["logits"] = out.logits

    def arr(key: str) -> Any:
        a = seen[key][0].detach().to(torch.float32).numpy()  # (T, d): the batch of one dropped
        a.flags.writeable = False
        return a

    prefix = "transformer."
    tied = lm_head.weight.data_ptr() == wte.weight.data_ptr()
    out_w = "W_teᵀ (the head is the token table, tied)" if tied else "W_outᵀ"
    steps = [
        WalkStep(TOKEN, prefix + "wte", None, arr("wte"), "x_tok = W_te[id]"),
        WalkStep(POSITION, prefix + "wpe", None, arr("wpe"), "x_pos = W_pe[position]"),
        WalkStep(SUM, prefix + "h.0 (input)", None, arr("sum"), "h = x_tok + x_pos"),
    ]
    for b in range(len(blocks)):
        at = f"{prefix}h.{b}"
        steps += [
            WalkStep(ATTN, f"{at}.attn", b, arr(f"attn{b}"), "a = Attention(LayerNorm_1(h))"),
            WalkStep(RESID_ATTN, f"{at}.ln_2 (input)", b, arr(f"resid_attn{b}"), "h = h + a"),
            WalkStep(MLP, f"{at}.mlp", b, arr(f"mlp{b}"), "m = MLP(LayerNorm_2(h))"),
            WalkStep(RESID_MLP, at, b, arr(f"resid_mlp{b}"), "h = h + m"),
        ]
    steps += [
        WalkStep(FINAL_NORM, prefix + "ln_f", None, arr("ln_f"), "z = LayerNorm_f(h)"),
        WalkStep(LOGITS, "lm_head", None, arr("logits"), f"logits = z · {out_w}"),
    ]
    last = torch.from_numpy(steps[-1].values[-1].copy())  # (V,)
    probs = torch.softmax(last, dim=-1).numpy()
    probs.flags.writeable = False
    order = np.argsort(-probs, kind="stable")[: config.top_k]
    # one batched decode for the input's labels and the top-k's (a decode per token costs more)
    texts = tokenizer.batch_decode([[i] for i in ids] + [[int(i)] for i in order])
    labels = tuple(str(t) for t in texts[: len(ids)])
    top = tuple(
        (int(i), str(t), round(float(probs[i]), 6))
        for i, t in zip(order, texts[len(ids) :], strict=True)
    )
    return WalkResult(
        tuple(ids),
        labels,
        tuple(steps),
        probs,
        top,
        len(blocks),
        int(wte.embedding_dim),
        int(lm_head.out_features),
        note,
    )


__all__ = ["WalkConfig", "WalkResult", "WalkStep", "walk"]
