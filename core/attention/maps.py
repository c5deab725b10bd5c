"""Loading a model for its attention, and :func:`attention_maps`: one forward pass with
``output_attentions=True`` returning every layer and head of an encoder or a decoder."""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from core import models
from core.attention.result import CHARS_PER_TOKEN_CAP, MAX_TOKENS, AttentionConfig, AttentionResult
from core.generation import is_encoder_decoder
from core.text import clean_text


# --- loading ---------------------------------------------------------------------------------
def model_kind(name: str) -> models.Kind:
    """Encoder or causal LM for a catalog name; a hub id's config decides, else causal.

    >>> model_kind("minilm"), model_kind("tiny-gpt")
    ('encoder', 'causal-lm')
    """
    spec = models.resolve(name, "encoder")
    if spec.name in models.MODELS:
        return spec.kind
    try:  # an arbitrary hub id: its config says whether it is a decoder
        from transformers import AutoConfig

        cfg = models.from_pretrained(AutoConfig, spec, "")  # fetched like every hub model
    except Exception:  # offline or unknown: the loader below raises the clear error
        return "causal-lm"
    archs = " ".join(getattr(cfg, "architectures", None) or [])
    if getattr(cfg, "is_encoder_decoder", False):
        return "seq2seq"
    return "causal-lm" if ("CausalLM" in archs or "LMHead" in archs) else "encoder"


def is_seq2seq(name: str) -> bool:
    """Whether ``name`` is an encoder-decoder (tiny-t5, flan-t5-small); an unknown or
    unreachable model counts as not one.

    >>> is_seq2seq("tiny-t5"), is_seq2seq("flan-t5-small"), is_seq2seq("minilm")
    (True, True, False)
    """
    try:
        return model_kind(name) == "seq2seq"
    except models.ModelUnavailableError:
        return False


def is_decoder(name: str) -> bool:
    """Whether ``name`` is a causal LM; an unknown or unreachable model counts as an encoder
    (loading it then says why it cannot run).

    >>> is_decoder("tiny-gpt"), is_decoder("minilm"), is_decoder("../etc")
    (True, False, False)
    """
    try:
        return model_kind(name) == "causal-lm"
    except models.ModelUnavailableError:
        return False


def load_attention_model(name: str) -> models.LoadedModel:
    """The cached model behind ``name``, as an encoder, a causal LM or an encoder-decoder.

    Raises:
        ModelUnavailableError: a hub model offline or an unknown name (the message names the
            offline alternative).
        ValueError: a model that has no attention map to draw (a tokenizer).
    """
    kind = model_kind(name)
    if kind == "tokenizer":
        raise ValueError(f"{name} is a tokenizer only: pick a model such as minilm or tiny-gpt.")
    if kind == "seq2seq":
        return models.load_seq2seq(name)
    if kind == "encoder":
        return models.load_encoder(name)
    return models.load_causal_lm(name)


def model_context(lm: models.LoadedModel) -> int:
    """The longest input the model takes, in tokens (:func:`core.models.context_size`)."""
    return models.context_size(lm.model, lm.tokenizer)


# --- the forward pass --------------------------------------------------------------------------
def _display(
    tok: Any, ids: list[int], offsets: list[tuple[int, int]], special: list[int], sources: list[str]
) -> list[str]:
    """Readable token text: WordPiece pieces as they are (``##ing``), other tokenizers' pieces
    (byte-level BPE's ``Ġthe``, SentencePiece's ``▁the``) as the characters they cover."""
    raw = tok.convert_ids_to_tokens(ids)
    backend = getattr(tok, "backend_tokenizer", None)
    wordpiece = backend is not None and type(backend.model).__name__ == "WordPiece"
    out = []
    for r, (a, b), sp, src in zip(raw, offsets, special, sources, strict=True):
        if sp or wordpiece or b <= a:
            out.append(str(r))
            continue
        piece = src[a:b]
        shown = piece.strip() or piece.replace(" ", "␣").replace("\n", "↵").replace("\t", "⇥")
        out.append(shown)
    return out


def attention_maps(
    text: str,
    model: str | models.LoadedModel = "minilm",
    *,
    text_pair: str | None = None,
    max_tokens: int | None = None,
) -> AttentionResult:
    """Run ``model`` on ``text`` and return every attention weight.

    Args:
        text: the input (lone surrogates are replaced; text far past ``max_tokens`` is cut).
        model: catalog name, Hugging Face id, or an already loaded :class:`LoadedModel`.
        text_pair: a second sentence for encoders (tokens of segment B, after ``[SEP]``).
        max_tokens: longest input in tokens; default: the model's context, at most 512. A longer
            text is truncated by the tokenizer (a note says so).

    Returns:
        An :class:`AttentionResult` whose ``weights`` (layers, heads, T, T) equal
        ``torch.stack(model(**inputs, output_attentions=True).attentions)[:, 0]``.

    Raises:
        ValueError: empty text, a sentence pair on a decoder, an encoder-decoder (its three
            kinds of attention come from :func:`seq2seq_attention`), or a model without
            attention maps.
        ModelUnavailableError: the model cannot be loaded here.
    """
    name = model.name if isinstance(model, models.LoadedModel) else model
    cfg = AttentionConfig(name, max_tokens, text_pair or None)
    lm = model if isinstance(model, models.LoadedModel) else load_attention_model(cfg.model)
    if is_encoder_decoder(lm.model):
        raise ValueError(
            f"{name} is an encoder-decoder model: it has three kinds of attention (encoder, "
            "decoder, cross), which seq2seq_attention returns from a source and a target."
        )
    causal = lm.spec.kind == "causal-lm" or bool(getattr(lm.model.config, "is_decoder", False))
    if causal and cfg.text_pair:
        raise ValueError("Sentence pairs are for encoders: a decoder reads one running text.")
    context = model_context(lm)
    limit = min(cfg.max_tokens or min(context, MAX_TOKENS), context)
    char_cap = max(limit * CHARS_PER_TOKEN_CAP, 1000)
    a = clean_text(text, max_chars=char_cap)
    b = clean_text(cfg.text_pair, max_chars=char_cap) if cfg.text_pair else None
    if a.empty:
        raise ValueError("The text is empty: type a sentence to see its attention.")
    notes = list(a.notes) + [f"Sentence B: {n}" for n in (b.notes if b else ())]
    pair = b.text if b is not None and not b.empty else None

    tok = lm.tokenizer
    kw: dict[str, Any] = dict(return_special_tokens_mask=True, return_offsets_mapping=True)
    # one tokenizer call, as a raw call would make: truncation by the tokenizer itself
    enc = tok(a.text, pair, truncation=True, max_length=limit, **kw)
    ids = list(enc["input_ids"])
    special = [int(s) for s in enc["special_tokens_mask"]]
    offsets = [(int(o[0]), int(o[1])) for o in enc["offset_mapping"]]
    seq_ids = enc.sequence_ids() if hasattr(enc, "sequence_ids") else [0] * len(ids)
    segment = np.array([1 if s == 1 else 0 for s in seq_ids], dtype=np.int8)
    if pair is not None:  # the closing [SEP] belongs to sentence B, as in token_type_ids
        tt = enc.get("token_type_ids")
        if tt is not None:
            segment = np.asarray(tt, dtype=np.int8)
    sources = [pair if (s == 1 and pair is not None) else a.text for s in seq_ids]
    chars_left = _chars_left(offsets, seq_ids, (a.text, pair)) if len(ids) >= limit else 0
    if chars_left:
        notes.append(
            f"{name} reads at most {limit} tokens here: the text was cut after token {len(ids)} "
            f"({chars_left:,} more characters are not shown)."
        )
    tokens = _display(tok, ids, offsets, special, sources)

    import torch

    inputs = {k: torch.tensor([v]) for k, v in enc.items() if k in _MODEL_INPUTS}
    t0 = time.perf_counter()
    with torch.inference_mode():
        # the base model gives the same attentions without the (vocabulary-sized) LM head
        out = lm.model.base_model(**inputs, output_attentions=True)
        # no copy: each layer's (1, heads, T, T) output becomes a numpy view of the same memory
        layers = tuple(a[0].float().numpy() for a in out.attentions)
    seconds = time.perf_counter() - t0
    for layer_weights in layers:
        layer_weights.flags.writeable = False
    return AttentionResult(
        model=name,
        causal=causal,
        tokens=tuple(tokens),
        token_ids=tuple(ids),
        offsets=tuple(offsets),
        special=np.array(special, dtype=bool),
        segment=segment,
        layers=layers,
        chars_left=chars_left,
        context=context,
        text=a.text,
        text_pair=pair,
        notes=tuple(notes),
        seconds=seconds,
    )


_MODEL_INPUTS = {"input_ids", "attention_mask", "token_type_ids"}


def _chars_left(
    offsets: list[tuple[int, int]], seq_ids: list[int | None], texts: tuple[str | None, ...]
) -> int:
    """Characters of each text after its last kept token (what a truncation cut off)."""
    left = 0
    for k, src in enumerate(texts):
        ends = [e for (_, e), q in zip(offsets, seq_ids, strict=True) if q == k]
        if src is not None and ends:
            left += len(src[max(ends) :].strip())
    return left
