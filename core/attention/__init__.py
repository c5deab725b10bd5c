"""Attention weights of a real transformer, ready to draw (the compute half of bertviz).

:func:`attention_maps` runs one forward pass with ``output_attentions=True`` (eager attention)
and returns every layer and head as one array of shape (layers, heads, T, T), exactly what
transformers returns for the same input. The rest of the package turns that array into what the
page draws: one head with special tokens hidden and rows renormalized (:func:`head_view`), a
per-head summary (:func:`head_summary`), block-averaged thumbnails for long inputs
(:func:`pool`) and word-to-word attention for the predict-then-reveal question
(:func:`word_attention`).

An encoder-decoder (tiny-t5, flan-t5-small) has three kinds of attention, which
:func:`seq2seq_attention` returns from one teacher-forced forward pass: the encoder's
self-attention over the source (bidirectional), the decoder's self-attention over the target
(causal) and the cross-attention of each decoder token to the source tokens, a rectangular
(T_target x T_source) map. The same views (:func:`head_view`, :func:`token_focus`,
:func:`head_summary`, :func:`thumbnails`) draw all three; where a measure has no meaning for
cross-attention (attention to itself or to the previous token) it says so.

Nothing here imports torch or transformers at module level, so ``import core.attention`` is light.

Modules: :mod:`~core.attention.result` (the config, the result, the kinds of attention),
:mod:`~core.attention.maps` (loading, :func:`attention_maps`), :mod:`~core.attention.seq2seq`
(:func:`seq2seq_attention`), :mod:`~core.attention.views` (one head, one token),
:mod:`~core.attention.summary` (every head, thumbnails), :mod:`~core.attention.words` (words for
the predict-then-reveal question).

>>> r = attention_maps("The cat sat.", model="minilm")          # doctest: +SKIP
>>> r.weights.shape, r.tokens[:3]                                 # doctest: +SKIP
((6, 12, 6, 6), ('[CLS]', 'the', 'cat'))
"""

from __future__ import annotations

from core.attention.maps import (
    attention_maps,
    is_decoder,
    is_seq2seq,
    load_attention_model,
    model_context,
    model_kind,
)
from core.attention.result import (
    CHARS_PER_TOKEN_CAP,
    MAX_TOKENS,
    PAIR_FILTERS,
    SEQ2SEQ_KINDS,
    AttentionConfig,
    AttentionKind,
    AttentionResult,
    PairFilter,
)
from core.attention.seq2seq import Seq2SeqAttention, seq2seq_attention
from core.attention.summary import (
    HEAD_METRICS,
    SELF_ONLY_METRICS,
    HeadSummary,
    Thumbnails,
    default_token,
    head_summary,
    metrics_for,
    pool,
    thumbnails,
)
from core.attention.views import (
    HeadView,
    TokenFocus,
    ViewConfig,
    head_block,
    head_view,
    head_weights,
    renormalized,
    token_focus,
)
from core.attention.words import source_word_attention, word_attention, word_tokens

__all__ = [
    "CHARS_PER_TOKEN_CAP",
    "HEAD_METRICS",
    "MAX_TOKENS",
    "PAIR_FILTERS",
    "SELF_ONLY_METRICS",
    "SEQ2SEQ_KINDS",
    "AttentionConfig",
    "AttentionKind",
    "AttentionResult",
    "HeadSummary",
    "HeadView",
    "PairFilter",
    "Seq2SeqAttention",
    "Thumbnails",
    "TokenFocus",
    "ViewConfig",
    "attention_maps",
    "default_token",
    "head_block",
    "head_summary",
    "head_view",
    "head_weights",
    "is_decoder",
    "is_seq2seq",
    "load_attention_model",
    "metrics_for",
    "model_context",
    "model_kind",
    "pool",
    "renormalized",
    "seq2seq_attention",
    "source_word_attention",
    "thumbnails",
    "token_focus",
    "word_attention",
    "word_tokens",
]
