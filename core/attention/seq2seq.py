"""An encoder-decoder's three kinds of attention (encoder, decoder, cross) from one
teacher-forced forward pass: :func:`seq2seq_attention`."""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from core import models
from core.attention.maps import _chars_left, _display, load_attention_model, model_context
from core.attention.result import (
    CHARS_PER_TOKEN_CAP,
    MAX_TOKENS,
    SEQ2SEQ_KINDS,
    AttentionConfig,
    AttentionKind,
    AttentionResult,
)
from core.generation import greedy_ids, is_encoder_decoder
from core.text import clean_text


# --- an encoder-decoder: three kinds of attention ------------------------------------------------
@dataclass(frozen=True, eq=False)
class Seq2SeqAttention:
    """The three kinds of attention of one teacher-forced pass of an encoder-decoder.

    Attributes:
        model: the model's name.
        source: the encoder's text (cleaned, maybe cut).
        target: the decoder's text: the model's own greedy output, or the text typed.
        target_from_model: True when ``target`` is the model's greedy output for ``source``.
        encoder: the encoder's self-attention over the source (bidirectional), (T_src x T_src).
        decoder: the decoder's self-attention over its input (causal), (T_tgt x T_tgt); its
            input is the decoder's start token followed by the target's tokens.
        cross: each decoder token attending to the encoder's tokens, (T_tgt x T_src).
        notes: what was done to the inputs, in plain words.
        seconds: time of the forward pass.
        generate_seconds: time of writing the greedy target (0 when one was typed).
    """

    model: str
    source: str
    target: str
    target_from_model: bool
    encoder: AttentionResult
    decoder: AttentionResult
    cross: AttentionResult
    notes: tuple[str, ...] = ()
    seconds: float = 0.0
    generate_seconds: float = 0.0

    def part(self, kind: AttentionKind) -> AttentionResult:
        """The ``"encoder"``, ``"decoder"`` or ``"cross"`` attention."""
        if kind not in SEQ2SEQ_KINDS:
            raise ValueError(f"kind must be one of {SEQ2SEQ_KINDS}, got {kind!r}")
        return getattr(self, kind)


def _plain_tokens(tok: Any, ids: list[int], text: str) -> tuple[list[tuple[int, int]], list[str]]:
    """Character spans of ``ids`` in ``text`` (the ids' own decoding) and their display text:
    from the tokenizer's offsets when it tokenizes ``text`` back to ``ids``, else each id
    decoded alone (spans (0, 0))."""
    if ids and text:
        back = tok(text, add_special_tokens=False, return_offsets_mapping=True)
        if list(back["input_ids"]) == ids:
            offsets = [(int(a), int(b)) for a, b in back["offset_mapping"]]
            return offsets, _display(tok, ids, offsets, [0] * len(ids), [text] * len(ids))
    shown = [tok.decode([i]).strip() or tok.convert_ids_to_tokens(i) for i in ids]
    return [(0, 0)] * len(ids), shown


def seq2seq_attention(
    source: str,
    model: str | models.LoadedModel = "tiny-t5",
    *,
    target: str | None = None,
    max_tokens: int | None = None,
    max_new_tokens: int | None = None,
) -> Seq2SeqAttention:
    """Run an encoder-decoder on ``source`` and ``target``, teacher-forced, and return its
    encoder self-attention, decoder self-attention and cross-attention.

    The decoder reads its start token followed by the target's tokens (without the closing
    ``</s>``): the same input training gives it (the labels shifted right), so the decoder
    position of token i is the one writing token i + 1.

    Args:
        source: the encoder's input (``translate English to French: cat dog``); lone
            surrogates are replaced; text far past ``max_tokens`` is cut.
        model: catalog name (``tiny-t5``, ``flan-t5-small``), Hugging Face id, or a loaded
            :class:`LoadedModel` of an encoder-decoder.
        target: the decoder's text; ``None``: the model's own greedy output for the source
            (:func:`core.generation.greedy_ids`, what ``model.generate`` writes).
        max_tokens: longest source and longest decoder input in tokens; default: the model's
            context, at most 512 (a longer text is cut, and a note says so).
        max_new_tokens: the longest greedy output when ``target`` is ``None`` (default:
            :class:`AttentionConfig`'s, 32).

    Returns:
        A :class:`Seq2SeqAttention` whose parts' ``weights`` equal ``encoder_attentions``,
        ``decoder_attentions`` and ``cross_attentions`` of ``model(input_ids=source_ids,
        decoder_input_ids=decoder_ids, output_attentions=True)``.

    Raises:
        ValueError: an empty source, a target that is empty once cleaned, or a model that is
            not an encoder-decoder.
        ModelUnavailableError: the model cannot be loaded here.
    """
    name = model.name if isinstance(model, models.LoadedModel) else model
    cfg = AttentionConfig(name, max_tokens, target=target)
    if max_new_tokens is not None:  # else the knob's default
        cfg = replace(cfg, max_new_tokens=max_new_tokens)
    lm = model if isinstance(model, models.LoadedModel) else load_attention_model(cfg.model)
    if not is_encoder_decoder(lm.model):
        raise ValueError(
            f"{name} is not an encoder-decoder: its one stack of self-attention comes from "
            "attention_maps. Pick tiny-t5 (or flan-t5-small online)."
        )
    tok = lm.tokenizer
    context = model_context(lm)
    limit = min(cfg.max_tokens or min(context, MAX_TOKENS), context)
    char_cap = max(limit * CHARS_PER_TOKEN_CAP, 1000)
    src = clean_text(source, max_chars=char_cap)
    if src.empty:
        raise ValueError(
            "The source text is empty: type what the encoder reads, such as "
            "'translate English to French: cat dog'."
        )
    notes = [f"Source: {n}" for n in src.notes]
    kw: dict[str, Any] = dict(return_special_tokens_mask=True, return_offsets_mapping=True)
    enc = tok(src.text, truncation=True, max_length=limit, **kw)
    src_ids = list(enc["input_ids"])
    src_special = [int(x) for x in enc["special_tokens_mask"]]
    src_offsets = [(int(a), int(b)) for a, b in enc["offset_mapping"]]
    src_left = 0
    if len(src_ids) >= limit:
        src_left = _chars_left(src_offsets, [0] * len(src_ids), (src.text,))
    if src_left:
        notes.append(
            f"{name} reads at most {limit} source tokens here: the source was cut after token "
            f"{len(src_ids)} ({src_left:,} more characters are not read)."
        )
    src_tokens = _display(tok, src_ids, src_offsets, src_special, [src.text] * len(src_ids))

    specials = set(getattr(tok, "all_special_ids", ()))
    eos = tok.eos_token_id
    t_gen = 0.0
    tgt_left = 0
    room = limit - 1  # the decoder's start token comes first
    if cfg.target is None:
        t0 = time.perf_counter()
        new = list(greedy_ids(lm.model, src_ids, max_new_tokens=min(cfg.max_new_tokens, room)))
        t_gen = time.perf_counter() - t0
        stopped = bool(new) and new[-1] in specials
        tgt_ids = new[:-1] if stopped else new  # the closing </s> is written, never read
        tgt_text = tok.decode(tgt_ids, skip_special_tokens=True)
        tgt_offsets, tgt_tokens = _plain_tokens(tok, tgt_ids, tgt_text)
        if not stopped:
            notes.append(
                f"The model's output stopped at {len(new)} tokens, before its end token "
                f"(at most {min(cfg.max_new_tokens, room)} are written here)."
            )
        if not tgt_ids:
            notes.append(
                f"{name} wrote nothing for this source (its first token was its end token): "
                "the decoder reads only its start token. Type a target to see more."
            )
    else:
        tgt = clean_text(cfg.target, max_chars=char_cap)
        if tgt.empty:
            raise ValueError(
                "The target text is empty: type what the decoder writes, or leave it out to "
                "use the model's own output."
            )
        notes += [f"Target: {n}" for n in tgt.notes]
        t_enc = tok(
            tgt.text,
            add_special_tokens=False,
            truncation=True,
            max_length=room,
            return_offsets_mapping=True,
        )
        tgt_ids = list(t_enc["input_ids"])
        tgt_text = tgt.text
        tgt_offsets = [(int(a), int(b)) for a, b in t_enc["offset_mapping"]]
        tgt_tokens = _display(
            tok,
            tgt_ids,
            tgt_offsets,
            [int(i in specials) for i in tgt_ids],
            [tgt_text] * len(tgt_ids),
        )
        if len(tgt_ids) >= room:
            tgt_left = _chars_left(tgt_offsets, [0] * len(tgt_ids), (tgt_text,))
        if tgt_left:
            notes.append(
                f"The decoder reads at most {limit} tokens here (its start token and {room} of "
                f"the target's): the target was cut ({tgt_left:,} more characters not read)."
            )
    start = int(lm.model.config.decoder_start_token_id)
    dec_ids = [start, *tgt_ids]
    dec_tokens = [str(tok.convert_ids_to_tokens(start)), *tgt_tokens]
    dec_offsets = [(0, 0), *tgt_offsets]
    dec_special = np.array([True] + [i in specials for i in tgt_ids], dtype=bool)
    # what each decoder position writes under teacher forcing: the next token, </s> at the end
    end = str(tok.convert_ids_to_tokens(eos)) if eos is not None else "(end)"
    complete = not tgt_left and (cfg.target is not None or stopped)
    writes = (*tgt_tokens, end if complete else "…")  # "…": a token not shown here

    import torch

    t0 = time.perf_counter()
    with torch.inference_mode():
        out = lm.model(
            input_ids=torch.tensor([src_ids]),
            decoder_input_ids=torch.tensor([dec_ids]),
            output_attentions=True,
        )
        # no copy: each layer's (1, heads, T, S) output becomes a numpy view of the same memory
        parts = {
            kind: tuple(a[0].float().numpy() for a in maps)
            for kind, maps in (
                ("encoder", out.encoder_attentions),
                ("decoder", out.decoder_attentions),
                ("cross", out.cross_attentions),
            )
        }
    seconds = time.perf_counter() - t0
    for layers in parts.values():
        for w in layers:
            w.flags.writeable = False
    src_special_arr = np.array(src_special, dtype=bool)
    encoder = AttentionResult(
        model=name,
        causal=False,
        tokens=tuple(src_tokens),
        token_ids=tuple(src_ids),
        offsets=tuple(src_offsets),
        special=src_special_arr,
        segment=np.zeros(len(src_ids), dtype=np.int8),
        layers=parts["encoder"],
        chars_left=src_left,
        context=context,
        text=src.text,
        seconds=seconds,
        kind="encoder",
    )
    decoder = AttentionResult(
        model=name,
        causal=True,
        tokens=tuple(dec_tokens),
        token_ids=tuple(dec_ids),
        offsets=tuple(dec_offsets),
        special=dec_special,
        segment=np.zeros(len(dec_ids), dtype=np.int8),
        layers=parts["decoder"],
        chars_left=tgt_left,
        context=context,
        text=tgt_text,
        seconds=seconds,
        kind="decoder",
        writes=writes,
    )
    cross = replace(  # the decoder's rows, the encoder's columns, no mask
        decoder,
        causal=False,
        layers=parts["cross"],
        kind="cross",
        key_tokens=encoder.tokens,
        key_token_ids=encoder.token_ids,
        key_special=src_special_arr,
        key_text=src.text,
    )
    return Seq2SeqAttention(
        model=name,
        source=src.text,
        target=tgt_text,
        target_from_model=cfg.target is None,
        encoder=encoder,
        decoder=decoder,
        cross=cross,
        notes=tuple(notes),
        seconds=seconds,
        generate_seconds=t_gen,
    )
