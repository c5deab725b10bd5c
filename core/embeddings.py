"""Sentence embeddings: the one mean-pool + L2-normalise, and the embedder the registry holds.

all-MiniLM-L6-v2 is, in sentence-transformers' terms (its ``modules.json``), Transformer ->
mean pooling -> L2 normalisation. :func:`mean_pool` is that pooling and :func:`embed` runs any
encoder through it (the registry's MiniLM, a quantized copy, the encoder under a LoRA adapter).
:class:`Embedder` is what :func:`core.models.load_embedder` builds once per name: the registry's
own encoder object (the attention page's, RAG's and quantization's MiniLM are one object in
memory) with the sentence length its ``sentence_bert_config.json`` sets.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DEFAULT_MAX_SEQ_LENGTH = 256  # sentence-transformers' MiniLM setting, when no config says


def mean_pool(hidden: Any, mask: Any) -> Any:
    """Mean of the unmasked token vectors, scaled to unit length: (B, T, H), (B, T) -> (B, H).

    Computed in float32 whatever the encoder's dtype (a bf16 copy pools like the fp32 one).

    >>> import torch
    >>> h = torch.tensor([[[3.0, 0.0], [0.0, 4.0], [9.0, 9.0]]])  # (1, 3, 2)
    >>> [round(v, 6) for v in mean_pool(h, torch.tensor([[1, 1, 0]]))[0].tolist()]
    [0.6, 0.8]
    """
    import torch

    h = hidden.float()  # (B, T, H)
    m = mask.unsqueeze(-1).to(h.dtype)  # (B, T, 1)
    pooled = (h * m).sum(1) / m.sum(1).clamp(min=1e-9)  # (B, H)
    return torch.nn.functional.normalize(pooled, p=2, dim=-1)


def embed(
    model: Any,
    tokenizer: Any,
    texts: Sequence[str],
    *,
    max_length: int,
    batch_size: int | None = 32,
    sort_by_length: bool = False,
) -> Any:
    """Unit-length sentence embeddings of ``texts`` (N, H), float32, in the order given.

    Args:
        model: an encoder whose output has ``last_hidden_state`` (or it first).
        tokenizer: its tokenizer; texts are truncated to ``max_length`` tokens.
        max_length: longest input in tokens.
        batch_size: texts per forward pass; None: all in one.
        sort_by_length: batch texts of similar length together (less padding), then restore
            the order.

    >>> embed(None, None, [], max_length=8).shape
    torch.Size([0, 0])
    """
    import torch

    if not texts:
        return torch.zeros((0, 0))
    n = len(texts)
    step = batch_size or n
    order = sorted(range(n), key=lambda i: -len(texts[i])) if sort_by_length else list(range(n))
    outs = []
    with torch.no_grad():
        for i in range(0, n, step):
            enc = tokenizer(
                [texts[j] for j in order[i : i + step]],
                padding=True,
                truncation=True,
                max_length=max_length,
                return_tensors="pt",
            )
            out = model(**enc)
            hidden = getattr(out, "last_hidden_state", None)
            outs.append(mean_pool(out[0] if hidden is None else hidden, enc["attention_mask"]))
    vecs = torch.cat(outs)  # (N, H) in batching order
    if not sort_by_length:
        return vecs
    result = torch.empty_like(vecs)
    result[torch.tensor(order)] = vecs
    return result


def sentence_max_length(folder: str | Path) -> int:
    """Longest input in tokens, from a sentence-transformers ``sentence_bert_config.json``.

    >>> sentence_max_length("/nonexistent")
    256
    """
    cfg = Path(folder) / "sentence_bert_config.json"
    if cfg.exists():
        data = json.loads(cfg.read_text("utf-8"))
        return int(data.get("max_seq_length", DEFAULT_MAX_SEQ_LENGTH))
    return DEFAULT_MAX_SEQ_LENGTH


@dataclass(frozen=True)
class Embedder:
    """A registry encoder used as a sentence embedder (build it with ``models.load_embedder``).

    Args:
        loaded: the registry's :class:`core.models.LoadedModel` (the very object
            ``models.load_encoder`` returns, never a copy).
        max_seq_length: longest input in tokens.
    """

    loaded: Any
    max_seq_length: int = DEFAULT_MAX_SEQ_LENGTH

    def __post_init__(self) -> None:
        if self.max_seq_length < 1:
            raise ValueError(f"max_seq_length must be positive, got {self.max_seq_length}")

    @property
    def name(self) -> str:
        return str(self.loaded.name)

    @property
    def model(self) -> Any:
        return self.loaded.model

    @property
    def tokenizer(self) -> Any:
        return self.loaded.tokenizer

    @property
    def dimension(self) -> int:
        return int(self.model.config.hidden_size)

    def encode(self, texts: Sequence[str], *, batch_size: int = 32) -> Any:
        """Unit-length embeddings (N, H), float32; texts batched by length.

        Raises:
            ValueError: a non-positive batch size.
        """
        if batch_size < 1:
            raise ValueError(f"batch_size must be positive, got {batch_size}")
        return embed(
            self.model,
            self.tokenizer,
            texts,
            max_length=self.max_seq_length,
            batch_size=batch_size,
            sort_by_length=True,
        )
