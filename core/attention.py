"""Attention weights of a real transformer, ready to draw (the compute half of bertviz).

:func:`attention_maps` runs one forward pass with ``output_attentions=True`` (eager attention)
and returns every layer and head as one array of shape (layers, heads, T, T), exactly what
transformers returns for the same input. The rest of the module turns that array into what the
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

>>> r = attention_maps("The cat sat.", model="minilm")          # doctest: +SKIP
>>> r.weights.shape, r.tokens[:3]                                 # doctest: +SKIP
((6, 12, 6, 6), ('[CLS]', 'the', 'cat'))
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any, Literal

import numpy as np

from core import models
from core.generation import greedy_ids, is_encoder_decoder
from core.knobs import check, knob
from core.text import clean_text

PairFilter = Literal["all", "A->A", "A->B", "B->A", "B->B"]
# "self": one stack (an encoder or a decoder); a seq2seq model has the other three
AttentionKind = Literal["self", "encoder", "decoder", "cross"]
SEQ2SEQ_KINDS: tuple[AttentionKind, ...] = ("encoder", "decoder", "cross")
PAIR_FILTERS: tuple[PairFilter, ...] = ("all", "A->A", "A->B", "B->A", "B->B")
MAX_TOKENS = 512  # longest input drawn; a 512 x 512 head still renders smoothly in a browser
CHARS_PER_TOKEN_CAP = 40  # text beyond max_tokens * this many characters is cut before tokenizing


@dataclass(frozen=True)
class AttentionConfig:
    """What to run: which model, how many tokens at most, and an optional second sentence.

    Args:
        model: catalog name (``minilm``, ``tiny-gpt``...) or a Hugging Face id.
        max_tokens: longest input in tokens (``None``: the model's context, at most 512).
        text_pair: a second sentence (encoders only), joined with ``[SEP]`` like BERT's pairs.
        target: a seq2seq model's decoder text, teacher-forced (``None``: the model's own
            greedy output for the source).
        max_new_tokens: the longest greedy output written when no target is given.
    """

    model: str = "minilm"
    max_tokens: int | None = knob(  # None: min(model context, MAX_TOKENS)
        None,
        lo=2,
        hi=4096,
        of=int,
        help=f"Longest input in tokens (None: the model's context, at most {MAX_TOKENS}).",
    )
    text_pair: str | None = None  # sentence B for encoders
    target: str | None = None  # a seq2seq decoder's text; None: the model's greedy output
    max_new_tokens: int = knob(
        32,  # tiny-t5's targets are at most 32 tokens (core.tinyt5.MAX_TARGET)
        lo=1,
        hi=512,
        help="Longest output the model writes for the source when no target is typed.",
    )

    def __post_init__(self) -> None:
        if not isinstance(self.model, str) or not self.model.strip():
            raise ValueError("model must be a model name such as 'minilm' or 'tiny-gpt'")
        check(self)


@dataclass(frozen=True, eq=False)
class AttentionResult:
    """Every attention weight of one forward pass, with the tokens they connect.

    Attributes:
        model: the model's name.
        causal: True for decoders (a token only sees itself and earlier tokens).
        tokens: display text of each token (``[CLS]``, ``##ing``, ``it``...), length T.
        token_ids: the ids fed to the model.
        offsets: (start, end) character span of each token in its sentence ((0, 0) for specials).
        special: bool array (T,), True for special tokens ([CLS], [SEP], <|endoftext|>...).
        segment: int array (T,), 0 for sentence A, 1 for sentence B.
        layers: one read-only float32 array (heads, T, T) per layer, shared with the model's
            output (no copy); ``layers[l][h, i, j]`` is how much token i attends to token j in
            head h of layer l; each row sums to 1. ``weights`` stacks them (layers, heads, T, T).
        chars_left: characters of the text(s) after the last token kept (> 0: truncated).
        context: the longest input the model takes.
        notes: what was done to the input, in plain words (truncation, replaced characters).
        seconds: time of the forward pass.
        kind: ``"self"`` for an encoder's or a decoder's one stack; a seq2seq model's parts are
            ``"encoder"``, ``"decoder"`` (causal) and ``"cross"``.
        key_tokens, key_token_ids, key_special, key_text: the columns of a cross-attention
            map (the encoder's tokens, S of them, and the source text); ``None`` for
            self-attention, whose columns are the rows' own tokens. ``layers`` then have shape
            (heads, T, S): rows are decoder tokens, columns encoder tokens.
        writes: for a seq2seq decoder's rows, the token each position is writing (the next
            target token; ``</s>`` after the last one); ``None`` elsewhere.
    """

    model: str
    causal: bool
    tokens: tuple[str, ...]
    token_ids: tuple[int, ...]
    offsets: tuple[tuple[int, int], ...]
    special: np.ndarray
    segment: np.ndarray
    layers: tuple[np.ndarray, ...]
    chars_left: int
    context: int
    text: str
    text_pair: str | None = None
    notes: tuple[str, ...] = ()
    seconds: float = 0.0
    kind: AttentionKind = "self"
    key_tokens: tuple[str, ...] | None = None
    key_token_ids: tuple[int, ...] | None = None
    key_special: np.ndarray | None = None
    key_text: str | None = None
    writes: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        shapes = {a.shape for a in self.layers}
        if len(shapes) != 1 or len(next(iter(shapes))) != 3:
            raise ValueError(f"layers must all have shape (heads, T, T), got {shapes}")
        h, t, t2 = next(iter(shapes))
        keys = len(self.key_tokens) if self.key_tokens is not None else t
        if t2 != keys or t != len(self.tokens) or len(self.special) != t:
            raise ValueError(f"{len(self.tokens)} tokens but attention maps of shape {(h, t, t2)}")
        if (self.key_tokens is None) != (self.kind != "cross"):
            raise ValueError("cross-attention (and only it) names its columns' key_tokens")
        if self.key_tokens is not None and (
            self.key_special is None or len(self.key_special) != keys
        ):
            raise ValueError("key_special must mark each of the key tokens")
        if self.writes is not None and len(self.writes) != t:
            raise ValueError("writes must name one token per row")

    @cached_property
    def weights(self) -> np.ndarray:
        """Every weight as one read-only array (layers, heads, T, T) ((layers, heads, T, S) for
        cross-attention) (a copy, made on first use)."""
        w = np.stack(self.layers)  # (L, H, T, T)
        w.flags.writeable = False
        return w

    def head(self, layer: int, head: int) -> np.ndarray:
        """One head's (T, T) weights, without copying."""
        return self.layers[layer][head]

    @property
    def n_layers(self) -> int:
        return len(self.layers)

    @property
    def n_heads(self) -> int:
        return int(self.layers[0].shape[0])

    @property
    def n_tokens(self) -> int:
        return int(self.layers[0].shape[1])

    @property
    def cross(self) -> bool:
        """True for cross-attention: rows and columns are tokens of two different texts."""
        return self.key_tokens is not None

    @property
    def n_keys(self) -> int:
        """Columns of each map: T for self-attention, the source's S tokens for cross."""
        return int(self.layers[0].shape[2])

    @property
    def col_tokens(self) -> tuple[str, ...]:
        """The columns' tokens (the rows' own tokens, except in cross-attention)."""
        return self.key_tokens if self.key_tokens is not None else self.tokens

    @property
    def col_special(self) -> np.ndarray:
        """Which columns are special tokens."""
        return self.key_special if self.key_special is not None else self.special

    @property
    def truncated(self) -> bool:
        return self.chars_left > 0

    @property
    def has_pair(self) -> bool:
        return bool(self.segment.any())

    def max_above_diagonal(self, layer: int, head: int) -> float:
        """The largest weight a token gives a later token in one head (0 under a causal mask).

        Raises:
            ValueError: for cross-attention (the source and the target have no common order).
        """
        if self.cross:
            raise ValueError("cross-attention has no diagonal: rows and columns are two texts")
        if self.n_tokens < 2:
            return 0.0
        return float(np.triu(self.head(layer, head), 1).max())

    def labels(self) -> list[str]:
        """Unique axis labels ``"3 it"`` (plotly merges equal category names); a seq2seq
        decoder's rows also name what they write: ``"1 chat → chien"``."""
        if self.writes is not None:
            pairs = zip(self.tokens, self.writes, strict=True)
            return [f"{i} {t} → {w}" for i, (t, w) in enumerate(pairs)]
        return [f"{i} {t}" for i, t in enumerate(self.tokens)]

    def key_labels(self) -> list[str]:
        """The columns' labels ``"3 cat"``: the rows' tokens (without what they write), or the
        source's tokens in cross-attention."""
        return [f"{j} {t}" for j, t in enumerate(self.col_tokens)]

    @cached_property
    def row_sum_deviation(self) -> float:
        """Largest distance of any row's sum from 1, over every layer and head (float64 sums)."""
        return max(float(np.abs(w.sum(-1, dtype=np.float64) - 1.0).max()) for w in self.layers)


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


# --- one head, ready to draw ----------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class HeadView:
    """One head's matrix after the page's filters.

    Attributes:
        matrix: (rows, cols) weights shown; rows are the attending tokens.
        rows / cols: indices into the result's tokens of each row / column.
        renormalized: True when special tokens were dropped and rows rescaled to sum to 1.
        masked: bool (rows, cols), True where the causal mask hides a later token.
        below_threshold: how many shown cells were blanked by the threshold.
    """

    layer: int
    head: int
    matrix: np.ndarray
    rows: np.ndarray
    cols: np.ndarray
    renormalized: bool
    masked: np.ndarray
    below_threshold: int = 0
    threshold: float = 0.0

    @cached_property
    def drawn(self) -> np.ndarray:
        """``matrix`` as float32 with the causal mask's cells NaN (a heatmap leaves them blank)."""
        return np.where(self.masked, np.float32(np.nan), self.matrix).astype(np.float32)

    def row(self, index: int) -> np.ndarray:
        """How much token ``index`` attends to each shown column (zeros when its row is not
        shown, e.g. hidden as a special token or filtered out by the pair filter)."""
        hit = np.flatnonzero(self.rows == index)
        return self.matrix[hit[0]] if len(hit) else np.zeros(len(self.cols), dtype=np.float32)

    def col(self, index: int) -> np.ndarray:
        """How much each shown row attends to token ``index`` (zeros when its column is not
        shown)."""
        hit = np.flatnonzero(self.cols == index)
        return self.matrix[:, hit[0]] if len(hit) else np.zeros(len(self.rows), dtype=np.float32)


@dataclass(frozen=True)
class ViewConfig:
    """How to show a head: which one, and the page's filters.

    Args:
        layer, head: 0-based indices.
        threshold: cells below this weight are blanked (display only; rows are not rescaled).
        hide_special: drop special tokens' rows and columns, rescale rows to sum to 1.
        pair_filter: ``A->B`` shows sentence A's tokens attending to sentence B's, and so on.
    """

    layer: int = 0
    head: int = 0
    threshold: float = knob(
        0.0,
        lo=0.0,
        hi=1.0,
        hi_open=True,  # in [0, 1)
        step=0.01,
        help="Blank out weights below this value (display only).",
    )
    hide_special: bool = False
    pair_filter: PairFilter = "all"

    def __post_init__(self) -> None:
        if self.layer < 0 or self.head < 0:
            raise ValueError("layer and head are counted from 0")
        check(self)
        if self.pair_filter not in PAIR_FILTERS:
            raise ValueError(f"pair_filter must be one of {PAIR_FILTERS}")

    def check(self, r: AttentionResult) -> None:
        """Raise a plain ValueError when the layer or head does not exist in ``r``."""
        if self.layer >= r.n_layers:
            raise ValueError(f"{r.model} has {r.n_layers} layers (0-{r.n_layers - 1})")
        if self.head >= r.n_heads:
            raise ValueError(f"{r.model} has {r.n_heads} heads per layer (0-{r.n_heads - 1})")


def _keep_mask(special: np.ndarray, hide_special: bool) -> np.ndarray:
    keep = ~special if hide_special else np.ones(len(special), dtype=bool)
    if not keep.any():  # only special tokens: nothing left to hide them from
        keep = np.ones(len(special), dtype=bool)
    return keep


def _keep(r: AttentionResult, hide_special: bool) -> np.ndarray:
    return _keep_mask(r.special, hide_special)


def renormalized(r: AttentionResult, hide_special: bool) -> tuple[np.ndarray, np.ndarray]:
    """All weights with special tokens' rows and columns dropped and rows rescaled to sum to 1.

    Returns:
        (weights (layers, heads, K, K), kept token indices (K,)); for cross-attention the
        weights are (layers, heads, K, K_source) and the indices the kept rows' (decoder
        tokens; :func:`head_block` gives the kept columns too).
    """
    L, H = r.n_layers, r.n_heads
    _, rows, cols = head_block(r, 0, 0, hide_special)
    if len(rows) == r.n_tokens and len(cols) == r.n_keys:
        return r.weights, rows
    w = np.stack(
        [head_block(r, layer, head, hide_special)[0] for layer in range(L) for head in range(H)]
    ).reshape(L, H, len(rows), len(cols))
    return w, rows


def head_block(
    r: AttentionResult, layer: int, head: int, hide_special: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One head's weights with special tokens' rows and columns dropped and rows rescaled to
    sum to 1 (unchanged when ``hide_special`` is False), with the kept rows and columns.

    Returns:
        (weights (K, K_cols), kept row indices (K,), kept column indices (K_cols,)); for
        self-attention the rows and columns are the same tokens.
    """
    rows = np.flatnonzero(_keep(r, hide_special))
    cols = rows if not r.cross else np.flatnonzero(_keep_mask(r.col_special, hide_special))
    w = r.head(layer, head)  # (T, S)
    if len(rows) == r.n_tokens and len(cols) == r.n_keys:
        return w, rows, cols
    sub = w[np.ix_(rows, cols)]  # (K, K_cols)
    s = sub.sum(-1, keepdims=True)
    return np.divide(sub, s, out=np.zeros_like(sub), where=s > 0), rows, cols


def head_weights(
    r: AttentionResult, layer: int, head: int, hide_special: bool
) -> tuple[np.ndarray, np.ndarray]:
    """One head's (K, K) weights with special tokens dropped and rows rescaled to sum to 1
    (unchanged when ``hide_special`` is False), and the kept token indices (K,) (for
    cross-attention: the kept rows; :func:`head_block` names the columns too)."""
    w, rows, _ = head_block(r, layer, head, hide_special)
    return w, rows


def head_view(r: AttentionResult, config: ViewConfig) -> HeadView:
    """One head's weights after hiding special tokens, the pair filter and the threshold.

    Args:
        r: an :class:`AttentionResult` (cross-attention too: its rows are decoder tokens, its
            columns encoder tokens, and no mask applies).
        config: which head and which filters.

    Returns:
        A :class:`HeadView`; with ``hide_special`` the rows sum to 1 again (renormalized).
    """
    config.check(r)
    w, k_rows, k_cols = head_block(r, config.layer, config.head, config.hide_special)
    rows_keep = np.zeros(r.n_tokens, dtype=bool)
    cols_keep = np.zeros(r.n_keys, dtype=bool)
    rows_keep[k_rows], cols_keep[k_cols] = True, True
    if config.pair_filter != "all" and r.has_pair:
        src, dst = config.pair_filter.split("->")
        rows_keep &= r.segment == (0 if src == "A" else 1)
        cols_keep &= r.segment == (0 if dst == "A" else 1)
    rows, cols = np.flatnonzero(rows_keep), np.flatnonzero(cols_keep)
    renorm = config.hide_special and (len(k_rows) < r.n_tokens or len(k_cols) < r.n_keys)
    pos_r = np.full(r.n_tokens, -1)
    pos_r[k_rows] = np.arange(len(k_rows))  # token index -> row of w
    pos_c = pos_r  # self-attention: the columns are the rows' tokens
    if r.cross:
        pos_c = np.full(r.n_keys, -1)
        pos_c[k_cols] = np.arange(len(k_cols))  # token index -> column of w
    m = np.array(w[np.ix_(pos_r[rows], pos_c[cols])], dtype=np.float32)  # (rows, cols)
    masked = (cols[None, :] > rows[:, None]) if r.causal else np.zeros(m.shape, dtype=bool)
    below = int(((m < config.threshold) & ~masked & (m > 0)).sum()) if config.threshold else 0
    if config.threshold:
        m[m < config.threshold] = 0.0
    return HeadView(
        config.layer, config.head, m, rows, cols, bool(renorm), masked, below, config.threshold
    )


@dataclass(frozen=True, eq=False)
class TokenFocus:
    """Where one token's attention goes in a :class:`HeadView`, and who attends to it.

    Attributes:
        index: the token.
        attends_to, attends_to_weights: the tokens it attends to most (heaviest first, at most
            ``top``; masked and blanked cells left out) and their weights.
        attended_by, attended_by_weights: the tokens attending to it most, likewise (empty
            for cross-attention: the source's tokens do not attend to the decoder's).
        weights: (T,) how much it attends to every token of the result (0 where not shown);
            (S,) over the source's tokens for cross-attention.
        shade: ``weights`` divided by their largest value, in [0, 1].
    """

    index: int
    attends_to: np.ndarray
    attends_to_weights: np.ndarray
    attended_by: np.ndarray
    attended_by_weights: np.ndarray
    weights: np.ndarray
    shade: np.ndarray


def _heaviest(vec: np.ndarray, top: int) -> np.ndarray:
    nonzero = np.flatnonzero(vec > 0)
    return nonzero[np.argsort(-vec[nonzero], kind="stable")][:top]


def token_focus(r: AttentionResult, v: HeadView, index: int, *, top: int = 10) -> TokenFocus:
    """The selected token's row and column of ``v``, ranked, and its row spread over the text.

    Args:
        r: the result ``v`` was made from.
        v: the head as shown (special tokens hidden, pair filter and threshold applied).
        index: the selected token (a row: a decoder token in cross-attention).
        top: how many tokens to rank on each side.

    Returns:
        A :class:`TokenFocus`.
    """
    if not 0 <= index < r.n_tokens:
        raise ValueError(f"token {index} is not in 0-{r.n_tokens - 1}")
    if top < 1:
        raise ValueError("top must be positive")
    row = v.row(index)  # (cols,)
    # (rows,): who attends to it; in cross-attention the columns are another text's tokens
    col = np.zeros(0, dtype=np.float32) if r.cross else v.col(index)
    to, by = _heaviest(row, top), _heaviest(col, top)
    weights = np.zeros(r.n_keys, dtype=np.float32)
    weights[v.cols] = row
    peak = max(float(weights.max()), 1e-12)
    by_idx = v.rows[by] if len(col) else np.zeros(0, dtype=np.int64)
    return TokenFocus(index, v.cols[to], row[to], by_idx, col[by], weights, weights / peak)


# --- summaries -----------------------------------------------------------------------------------
HEAD_METRICS = {
    "entropy": "Entropy (bits): 0 = looks at one token; high = spread out",
    "to_special": "Share of attention on special tokens ([CLS], [SEP], <|endoftext|>)",
    "to_previous": "Share of attention on the previous token",
    "to_self": "Share of attention on itself",
    "to_first": "Share of attention on the first token",
}
# attention to itself or to the previous token needs rows and columns of one text
SELF_ONLY_METRICS = ("to_previous", "to_self")


def metrics_for(r: AttentionResult) -> tuple[str, ...]:
    """The :data:`HEAD_METRICS` that apply to ``r``: all of them, except
    :data:`SELF_ONLY_METRICS` for cross-attention."""
    return tuple(m for m in HEAD_METRICS if not (r.cross and m in SELF_ONLY_METRICS))


@dataclass(frozen=True, eq=False)
class HeadSummary:
    """One number per (layer, head) for each metric of :data:`HEAD_METRICS`, averaged over rows.

    Each array has shape (layers, heads). ``pattern`` names the head's dominant behaviour.
    ``metrics`` lists the metrics that apply (:func:`metrics_for`); the others are NaN.
    """

    entropy: np.ndarray
    to_special: np.ndarray
    to_previous: np.ndarray
    to_self: np.ndarray
    to_first: np.ndarray
    pattern: np.ndarray = field(repr=False)
    metrics: tuple[str, ...] = tuple(HEAD_METRICS)

    def metric(self, name: str) -> np.ndarray:
        if name not in HEAD_METRICS:
            raise ValueError(f"unknown metric {name!r}; one of {list(HEAD_METRICS)}")
        if name not in self.metrics:
            raise ValueError(f"{name} does not apply to cross-attention; one of {self.metrics}")
        return getattr(self, name)

    def rows(self) -> list[dict[str, Any]]:
        """One dict per head, for a table."""
        L, H = self.entropy.shape
        return [
            {
                "layer": layer,
                "head": head,
                "pattern": str(self.pattern[layer, head]),
                **{k: float(getattr(self, k)[layer, head]) for k in self.metrics},
            }
            for layer in range(L)
            for head in range(H)
        ]


def head_summary(r: AttentionResult) -> HeadSummary:
    """Entropy and where each head's attention goes, for every layer and head at once.

    Rows of special tokens are left out of the averages (except when there are only specials).
    For cross-attention "special" and "first" are the source's tokens, and attention to itself
    or to the previous token does not apply (NaN; ``metrics`` leaves them out).

    >>> # head_summary(attention_maps("The cat sat.")).to_self.shape == (6, 12)
    """
    T = r.n_tokens
    rows = np.flatnonzero(~r.special) if (~r.special).any() else np.arange(T)
    prev_rows = rows[rows > 0]
    nan = np.full(r.n_heads, np.nan)
    stats = []
    for w in r.layers:  # (H, T, S) at a time: float32 temporaries of one layer only
        plogp = w * np.log2(np.maximum(w, np.float32(1e-30)))  # 0 * log(tiny) = 0
        if r.cross:
            to_previous, to_self = nan, nan
        else:
            to_previous = (
                w[:, prev_rows, prev_rows - 1].mean(-1, dtype=np.float64)
                if len(prev_rows)
                else np.zeros(r.n_heads)
            )
            to_self = w[:, rows, rows].mean(-1, dtype=np.float64)
        stats.append(
            (
                -plogp.sum(-1, dtype=np.float64)[:, rows].mean(-1),  # entropy (H,)
                w[..., r.col_special].sum(-1, dtype=np.float64)[:, rows].mean(-1),  # to special
                to_previous,
                to_self,
                w[:, rows, 0].mean(-1, dtype=np.float64),  # to first
            )
        )
    entropy, to_special, to_previous, to_self, to_first = (
        np.stack([s[k] for s in stats]) for k in range(5)
    )  # each (L, H)
    pattern = np.full(entropy.shape, "mixed", dtype=object)
    share = {
        "previous token": to_previous,
        "itself": to_self,
        "special tokens": to_special,
        "first token": to_first,
    }
    for label, arr in share.items():
        pattern[(arr >= 0.5) & (pattern == "mixed")] = label
    # how many tokens a row could spread over: its own text's, or the source's in cross
    n_cols = int((~r.col_special).sum()) if r.cross else len(rows)
    spread = entropy >= 0.8 * np.log2(max(n_cols, 2))
    pattern[spread & (pattern == "mixed")] = "broad (averaging)"
    return HeadSummary(entropy, to_special, to_previous, to_self, to_first, pattern, metrics_for(r))


# --- long inputs ----------------------------------------------------------------------------------
def pool(matrix: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Block-average a (rows, cols) matrix down to at most (size, size) cells.

    Args:
        matrix: weights (rows, cols).
        size: largest side kept.

    Returns:
        (pooled matrix, start index of each block along rows). A matrix already small enough
        comes back unchanged.

    >>> pool(np.ones((4, 4)), 2)[0].tolist()
    [[1.0, 1.0], [1.0, 1.0]]
    """
    if size < 1:
        raise ValueError("size must be positive")
    n_r, n_c = matrix.shape
    starts_r = np.unique(np.linspace(0, n_r, min(n_r, size), endpoint=False).astype(int))
    starts_c = np.unique(np.linspace(0, n_c, min(n_c, size), endpoint=False).astype(int))
    if len(starts_r) == n_r and len(starts_c) == n_c:
        return matrix, starts_r
    sums = np.add.reduceat(np.add.reduceat(matrix, starts_r, axis=0), starts_c, axis=1)
    counts_r = np.diff(np.append(starts_r, n_r))[:, None]
    counts_c = np.diff(np.append(starts_c, n_c))[None, :]
    return sums / (counts_r * counts_c), starts_r


@dataclass(frozen=True, eq=False)
class Thumbnails:
    """Heads block-averaged to small same-size maps, for the layer and model views.

    Attributes:
        heads: the (layer, head) of each map.
        pooled: each head's block-averaged weights (n, m); blocks of the causal mask are NaN.
        scaled: ``pooled`` divided by the head's own largest value, so faint heads stay visible.
        tokens: the token indices drawn along the rows (special tokens left out when hidden).
        starts / ends: first and last position (into ``tokens``) of each block of rows.
        col_tokens, col_starts, col_ends: the same along the columns (``None``: as the rows;
            they differ for cross-attention, whose columns are the source's tokens).
    """

    heads: tuple[tuple[int, int], ...]
    pooled: tuple[np.ndarray, ...]
    scaled: tuple[np.ndarray, ...]
    tokens: np.ndarray
    starts: np.ndarray
    ends: np.ndarray
    col_tokens: np.ndarray | None = None
    col_starts: np.ndarray | None = None
    col_ends: np.ndarray | None = None

    @property
    def columns(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(tokens, starts, ends) along the columns."""
        if self.col_tokens is None or self.col_starts is None or self.col_ends is None:
            return self.tokens, self.starts, self.ends
        return self.col_tokens, self.col_starts, self.col_ends

    @property
    def pooled_blocks(self) -> bool:
        """True when a block holds more than one token (the input was longer than ``size``)."""
        tokens, starts, _ = self.columns
        return len(self.starts) < len(self.tokens) or len(starts) < len(tokens)


def thumbnails(
    r: AttentionResult, heads: list[tuple[int, int]], size: int, *, hide_special: bool = False
) -> Thumbnails:
    """Each head with special tokens hidden (rows renormalized) and block-averaged to at most
    ``size`` x ``size``; in a decoder, a block entirely above the diagonal is masked (NaN).
    Cross-attention maps stay rectangular (decoder rows x source columns).

    >>> # thumbnails(r, [(0, 0), (0, 1)], 48).scaled[0].shape == (16, 16) for 16 tokens
    """
    if not heads:
        raise ValueError("no heads to draw")
    _, idx, cols = head_block(r, 0, 0, hide_special)
    n = len(idx)
    starts = pool(np.zeros((n, n)), size)[1]
    ends = np.append(starts[1:], n) - 1
    col_starts, col_ends = starts, ends
    if r.cross:
        col_starts = pool(np.zeros((len(cols), len(cols))), size)[1]
        col_ends = np.append(col_starts[1:], len(cols)) - 1
    masked = None
    if r.causal:  # a block is masked only when every cell in it is above the diagonal
        masked = pool(np.triu(np.ones((n, n)), 1), size)[0] >= 1.0 - 1e-9
    pooled, scaled = [], []
    for layer, head in heads:
        m = np.asarray(pool(head_block(r, layer, head, hide_special)[0], size)[0], np.float64)
        top = max(float(np.nanmax(m)), 1e-12)
        if masked is not None:
            m = np.where(masked, np.nan, m)
        pooled.append(m)
        scaled.append(m / top)
    return Thumbnails(
        tuple(heads), tuple(pooled), tuple(scaled), idx, starts, ends, cols, col_starts, col_ends
    )


def default_token(r: AttentionResult) -> int:
    """The token to select first: ``it`` when the text has it (the classic question), else the
    first ordinary token (the last one for a decoder: it is the token that sees the whole
    text), else 0."""
    hit = word_tokens(r, "it")
    if hit:
        return hit[0]
    plain = np.flatnonzero(~r.special)
    if not len(plain):
        return 0
    return int(plain[-1] if r.causal else plain[0])


# --- words, for the predict-then-reveal question -------------------------------------------------
def word_tokens(r: AttentionResult, word: str, *, occurrence: int = 0) -> list[int]:
    """Indices of the tokens covering the ``occurrence``-th whole-word match of ``word`` in the
    text (sentence A), case-insensitive; empty when the word is not there."""
    import re

    found = list(re.finditer(rf"\b{re.escape(word)}\b", r.text, flags=re.IGNORECASE))
    if len(found) <= occurrence:
        return []
    a, b = found[occurrence].span()
    return [
        i
        for i, (s, e) in enumerate(r.offsets)
        if not r.special[i] and r.segment[i] == 0 and s < b and e > a
    ]


def word_attention(
    r: AttentionResult, source: str, targets: list[str], *, layer: int, occurrence: int = 0
) -> dict[str, float]:
    """How much the first token of ``source`` attends to each target word, averaged over the
    heads of ``layer`` (a word split into several tokens gets the sum of its tokens).

    Returns:
        {target word: weight}; a target missing from the text gets 0.
    """
    src = word_tokens(r, source, occurrence=occurrence)
    if not src:
        raise ValueError(f"{source!r} is not in the text")
    row = r.layers[layer][:, src[0]].mean(0)  # (T,)
    return {t: float(row[word_tokens(r, t)].sum()) for t in targets}


def source_word_attention(
    res: Seq2SeqAttention, writing: str, words: list[str], *, layer: int
) -> dict[str, float]:
    """How much the decoder, while writing the target word ``writing``, looks at each source
    word in cross-attention, averaged over the heads of ``layer`` (a word split into several
    tokens gets the sum of its tokens).

    The decoder position that writes a target token reads the token before it (teacher
    forcing), so the row used is the one just before the word's first token.

    Returns:
        {source word: weight}; a word missing from the source gets 0.

    Raises:
        ValueError: ``writing`` is not a word of the target.
    """
    hit = word_tokens(res.decoder, writing)
    if not hit:
        raise ValueError(f"{writing!r} is not in the target")
    row = res.cross.layers[layer][:, hit[0] - 1].mean(0)  # (S,): the row writing it
    return {w: float(row[word_tokens(res.encoder, w)].sum()) for w in words}
