"""Sentence embeddings: the one mean-pool + L2-normalise, and the embedder the registry holds.

all-MiniLM-L6-v2 is, in sentence-transformers' terms (its ``modules.json``), Transformer ->
mean pooling -> L2 normalisation. :func:`mean_pool` is that pooling and :func:`embed` runs any
encoder through it (the registry's MiniLM, a quantized copy, the encoder under a LoRA adapter).
:class:`Embedder` is what :func:`core.models.load_embedder` builds once per name: the registry's
own encoder object (the attention page's, RAG's and quantization's MiniLM are one object in
memory) with the sentence length its ``sentence_bert_config.json`` sets.

The embedding space itself: :func:`token_table` and :func:`position_table` read the tables inside a
model, :func:`sinusoidal_positions` is the paper's fixed encoding, and :func:`pca`,
:func:`cosine_matrix` and :func:`nearest` are how the pages look at vectors. The Embeddings page's
questions are built on them: :mod:`core.embeddings.space` (the corpus world's words in a token
table: map, neighbours, analogies), :mod:`core.embeddings.positions` (sinusoidal vs learned
positions) and :mod:`core.embeddings.sentences` (sentence vectors compared and mapped).
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


# --- embedding space: the tables inside a model, and how to look at them -------------------------
@dataclass(frozen=True)
class Projection:
    """Points projected onto their first principal axes (PCA by a centred SVD).

    Args:
        coords: the points on the axes, (N, k).
        components: the axes, unit rows in the original space, (k, d).
        explained: the share of the total variance each axis holds, (k,).
        mean: the centre subtracted before projecting, (d,).
    """

    coords: Any
    components: Any
    explained: Any
    mean: Any

    @property
    def method(self) -> str:
        return "PCA"


def pca(points: Any, n_components: int = 2) -> Projection:
    """Project ``points`` (N, d) onto their ``n_components`` first principal axes.

    Signs follow scikit-learn's ``PCA`` (the largest coordinate of each axis is positive), so
    the picture is the same from one run to the next.

    Raises:
        ValueError: not a 2-D table of at least two finite points, or too many components.

    >>> p = pca([[0.0, 0.0], [2.0, 0.5], [4.0, 0.0]], 1)
    >>> round(float(p.explained[0]), 3), p.coords.shape, p.components.round(3).tolist()
    (0.98, (3, 1), [[1.0, 0.0]])
    """
    import numpy as np

    x = np.asarray(points, dtype=np.float64)
    if x.ndim != 2 or x.shape[0] < 2:
        raise ValueError(f"PCA needs a table of at least two points, got shape {x.shape}")
    if not np.isfinite(x).all():
        raise ValueError("the points contain NaN or infinite values")
    if not 1 <= n_components <= min(x.shape):
        raise ValueError(f"n_components must be between 1 and {min(x.shape)}, got {n_components}")
    mean = x.mean(axis=0)  # (d,)
    centred = x - mean  # (N, d)
    _, s, vt = np.linalg.svd(centred, full_matrices=False)  # s: (r,), vt: (r, d)
    signs = np.sign(vt[np.arange(vt.shape[0]), np.abs(vt).argmax(axis=1)])  # (r,)
    vt = vt * signs[:, None]
    total = float((s**2).sum())
    explained = (s**2 / total if total > 0 else np.zeros_like(s))[:n_components]
    axes = vt[:n_components]  # (k, d)
    return Projection(centred @ axes.T, axes, explained, mean)


def unit_rows(table: Any) -> Any:
    """Each row scaled to length 1 (a zero row stays zero): (N, d) -> (N, d), float32."""
    import numpy as np

    x = np.asarray(table, dtype=np.float32)
    norms = np.linalg.norm(x, axis=-1, keepdims=True)  # (N, 1)
    return x / np.where(norms > 0, norms, 1.0)


def cosine_matrix(table: Any) -> Any:
    """Cosine similarity of every pair of rows: (N, d) -> (N, N), 1 on the diagonal.

    >>> cosine_matrix([[1.0, 0.0], [0.0, 2.0], [1.0, 1.0]]).astype(float).round(3).tolist()
    [[1.0, 0.0, 0.707], [0.0, 1.0, 0.707], [0.707, 0.707, 1.0]]
    """
    u = unit_rows(table)
    return u @ u.T


def nearest(
    table: Any, query: Any, *, k: int = 10, exclude: Sequence[int] = ()
) -> tuple[tuple[int, float], ...]:
    """The ``k`` rows of ``table`` (N, d) closest to ``query`` (d,) by cosine, best first, as
    ``(row, cosine)``; rows in ``exclude`` (the query's own words) are left out.

    >>> nearest([[1.0, 0.0], [0.0, 1.0], [0.9, 0.1]], [1.0, 0.0], k=2, exclude=[0])
    ((2, 0.9939), (1, 0.0))
    """
    import numpy as np

    if k < 1:
        raise ValueError(f"k must be at least 1, got {k}")
    sims = unit_rows(table) @ unit_rows(np.asarray(query, dtype=np.float32)[None])[0]  # (N,)
    sims = sims.astype(np.float64)
    sims[list(exclude)] = -np.inf
    order = np.argsort(-sims, kind="stable")[: min(k, len(sims) - len(set(exclude)))]
    return tuple((int(i), round(float(sims[i]), 4)) for i in order)


def token_table(model: Any) -> Any:
    """The model's input embedding matrix, one row per token id: (V, d), float32, a copy."""
    return model.get_input_embeddings().weight.detach().float().cpu().numpy().copy()


def position_table(model: Any) -> Any | None:
    """The model's learned position embeddings, one row per position: (P, d), float32, a copy;
    None for a model without a table (rotary or relative positions)."""
    import torch

    for name, module in model.named_modules():
        if isinstance(module, torch.nn.Embedding) and (
            name.endswith("wpe") or name.endswith("position_embeddings")
        ):
            return module.weight.detach().float().cpu().numpy().copy()
    return None


def sinusoidal_positions(n_positions: int, d_model: int, *, base: float = 10000.0) -> Any:
    """The fixed position encoding of "Attention Is All You Need": (n_positions, d_model) with
    ``PE[pos, 2i] = sin(pos / base^(2i/d))`` and ``PE[pos, 2i+1] = cos(pos / base^(2i/d))``.

    >>> sinusoidal_positions(2, 4).astype(float).round(4).tolist()
    [[0.0, 1.0, 0.0, 1.0], [0.8415, 0.5403, 0.01, 0.9999]]
    """
    import numpy as np

    if n_positions < 1 or d_model < 1:
        raise ValueError(
            f"need at least one position and one dimension, got {n_positions}, {d_model}"
        )
    pos = np.arange(n_positions, dtype=np.float64)[:, None]  # (P, 1)
    two_i = np.arange(0, d_model, 2, dtype=np.float64)[None, :]  # (1, ceil(d/2))
    angle = pos / base ** (two_i / d_model)  # (P, ceil(d/2))
    pe = np.zeros((n_positions, d_model))
    pe[:, 0::2] = np.sin(angle)
    pe[:, 1::2] = np.cos(angle[:, : d_model // 2])
    return pe.astype(np.float32)
