"""Attention weights of a real transformer, ready to draw (the compute half of bertviz).

:func:`attention_maps` runs one forward pass with ``output_attentions=True`` (eager attention)
and returns every layer and head as one array of shape (layers, heads, T, T), exactly what
transformers returns for the same input. The rest of the module turns that array into what the
page draws: one head with special tokens hidden and rows renormalized (:func:`head_view`), a
per-head summary (:func:`head_summary`), block-averaged thumbnails for long inputs
(:func:`pool`) and word-to-word attention for the predict-then-reveal question
(:func:`word_attention`).

Nothing here imports torch or transformers at module level, so ``import core.attention`` is light.

>>> r = attention_maps("The cat sat.", model="minilm")          # doctest: +SKIP
>>> r.weights.shape, r.tokens[:3]                                 # doctest: +SKIP
((6, 12, 6, 6), ('[CLS]', 'the', 'cat'))
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Literal

import numpy as np

from core import models
from core.knobs import check, knob
from core.text import clean_text

PairFilter = Literal["all", "A->A", "A->B", "B->A", "B->B"]
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

    def __post_init__(self) -> None:
        shapes = {a.shape for a in self.layers}
        if len(shapes) != 1 or len(next(iter(shapes))) != 3:
            raise ValueError(f"layers must all have shape (heads, T, T), got {shapes}")
        h, t, t2 = next(iter(shapes))
        if t != t2 or t != len(self.tokens) or len(self.special) != t:
            raise ValueError(f"{len(self.tokens)} tokens but attention maps of shape {(h, t, t2)}")

    @cached_property
    def weights(self) -> np.ndarray:
        """Every weight as one read-only array (layers, heads, T, T) (a copy, made on first use)."""
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
    def truncated(self) -> bool:
        return self.chars_left > 0

    @property
    def has_pair(self) -> bool:
        return bool(self.segment.any())

    def max_above_diagonal(self, layer: int, head: int) -> float:
        """The largest weight a token gives a later token in one head (0 under a causal mask)."""
        if self.n_tokens < 2:
            return 0.0
        return float(np.triu(self.head(layer, head), 1).max())

    def labels(self) -> list[str]:
        """Unique axis labels ``"3 it"`` (plotly merges equal category names)."""
        return [f"{i} {t}" for i, t in enumerate(self.tokens)]

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
    """The cached model behind ``name``, as an encoder or a causal LM.

    Raises:
        ModelUnavailableError: a hub model offline or an unknown name (the message names the
            offline alternative).
        ValueError: a model that has no self-attention map to draw (tokenizer, seq2seq).
    """
    kind = model_kind(name)
    if kind == "tokenizer":
        raise ValueError(f"{name} is a tokenizer only: pick a model such as minilm or tiny-gpt.")
    if kind == "seq2seq":
        raise ValueError(
            f"{name} is an encoder-decoder model; this page draws one stack of self-attention: "
            "pick an encoder (minilm) or a decoder (tiny-gpt)."
        )
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
        ValueError: empty text, a sentence pair on a decoder, or a model without attention maps.
        ModelUnavailableError: the model cannot be loaded here.
    """
    name = model.name if isinstance(model, models.LoadedModel) else model
    cfg = AttentionConfig(name, max_tokens, text_pair or None)
    lm = model if isinstance(model, models.LoadedModel) else load_attention_model(cfg.model)
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
    chars_left = 0
    if len(ids) >= limit:  # maybe cut: what follows the last kept token of each sentence?
        for k, src in enumerate((a.text, pair)):
            ends = [e for (_, e), q in zip(offsets, seq_ids, strict=True) if q == k]
            if src is not None and ends:
                chars_left += len(src[max(ends) :].strip())
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


def _keep(r: AttentionResult, hide_special: bool) -> np.ndarray:
    keep = ~r.special if hide_special else np.ones(r.n_tokens, dtype=bool)
    if not keep.any():  # only special tokens: nothing left to hide them from
        keep = np.ones(r.n_tokens, dtype=bool)
    return keep


def renormalized(r: AttentionResult, hide_special: bool) -> tuple[np.ndarray, np.ndarray]:
    """All weights with special tokens' rows and columns dropped and rows rescaled to sum to 1.

    Returns:
        (weights (layers, heads, K, K), kept token indices (K,)).
    """
    keep = _keep(r, hide_special)
    idx = np.flatnonzero(keep)
    if keep.all():
        return r.weights, idx
    L, H = r.n_layers, r.n_heads
    w = np.stack(
        [head_weights(r, layer, head, hide_special)[0] for layer in range(L) for head in range(H)]
    ).reshape(L, H, len(idx), len(idx))
    return w, idx


def head_weights(
    r: AttentionResult, layer: int, head: int, hide_special: bool
) -> tuple[np.ndarray, np.ndarray]:
    """One head's (K, K) weights with special tokens dropped and rows rescaled to sum to 1
    (unchanged when ``hide_special`` is False), and the kept token indices (K,)."""
    keep = _keep(r, hide_special)
    idx = np.flatnonzero(keep)
    w = r.head(layer, head)  # (T, T)
    if keep.all():
        return w, idx
    sub = w[np.ix_(idx, idx)]  # (K, K)
    s = sub.sum(-1, keepdims=True)
    return np.divide(sub, s, out=np.zeros_like(sub), where=s > 0), idx


def head_view(r: AttentionResult, config: ViewConfig) -> HeadView:
    """One head's weights after hiding special tokens, the pair filter and the threshold.

    Args:
        r: an :class:`AttentionResult`.
        config: which head and which filters.

    Returns:
        A :class:`HeadView`; with ``hide_special`` the rows sum to 1 again (renormalized).
    """
    config.check(r)
    keep = _keep(r, config.hide_special)
    rows_keep, cols_keep = keep.copy(), keep.copy()
    if config.pair_filter != "all" and r.has_pair:
        src, dst = config.pair_filter.split("->")
        rows_keep &= r.segment == (0 if src == "A" else 1)
        cols_keep &= r.segment == (0 if dst == "A" else 1)
    rows, cols = np.flatnonzero(rows_keep), np.flatnonzero(cols_keep)
    renorm = config.hide_special and not keep.all()
    w, k = head_weights(r, config.layer, config.head, config.hide_special)  # (K, K)
    pos = np.full(r.n_tokens, -1)
    pos[k] = np.arange(len(k))  # token index -> row/column of w
    m = np.array(w[np.ix_(pos[rows], pos[cols])], dtype=np.float32)  # (rows, cols)
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
        attended_by, attended_by_weights: the tokens attending to it most, likewise.
        weights: (T,) how much it attends to every token of the result (0 where not shown).
        shade: (T,) ``weights`` divided by their largest value, in [0, 1].
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
        index: the selected token.
        top: how many tokens to rank on each side.

    Returns:
        A :class:`TokenFocus`.
    """
    if not 0 <= index < r.n_tokens:
        raise ValueError(f"token {index} is not in 0-{r.n_tokens - 1}")
    if top < 1:
        raise ValueError("top must be positive")
    row, col = v.row(index), v.col(index)  # (cols,), (rows,)
    to, by = _heaviest(row, top), _heaviest(col, top)
    weights = np.zeros(r.n_tokens, dtype=np.float32)
    weights[v.cols] = row
    peak = max(float(weights.max()), 1e-12)
    return TokenFocus(index, v.cols[to], row[to], v.rows[by], col[by], weights, weights / peak)


# --- summaries -----------------------------------------------------------------------------------
HEAD_METRICS = {
    "entropy": "Entropy (bits): 0 = looks at one token; high = spread out",
    "to_special": "Share of attention on special tokens ([CLS], [SEP], <|endoftext|>)",
    "to_previous": "Share of attention on the previous token",
    "to_self": "Share of attention on itself",
    "to_first": "Share of attention on the first token",
}


@dataclass(frozen=True, eq=False)
class HeadSummary:
    """One number per (layer, head) for each metric of :data:`HEAD_METRICS`, averaged over rows.

    Each array has shape (layers, heads). ``pattern`` names the head's dominant behaviour.
    """

    entropy: np.ndarray
    to_special: np.ndarray
    to_previous: np.ndarray
    to_self: np.ndarray
    to_first: np.ndarray
    pattern: np.ndarray = field(repr=False)

    def metric(self, name: str) -> np.ndarray:
        if name not in HEAD_METRICS:
            raise ValueError(f"unknown metric {name!r}; one of {list(HEAD_METRICS)}")
        return getattr(self, name)

    def rows(self) -> list[dict[str, Any]]:
        """One dict per head, for a table."""
        L, H = self.entropy.shape
        return [
            {
                "layer": layer,
                "head": head,
                "pattern": str(self.pattern[layer, head]),
                **{k: float(getattr(self, k)[layer, head]) for k in HEAD_METRICS},
            }
            for layer in range(L)
            for head in range(H)
        ]


def head_summary(r: AttentionResult) -> HeadSummary:
    """Entropy and where each head's attention goes, for every layer and head at once.

    Rows of special tokens are left out of the averages (except when there are only specials).

    >>> # head_summary(attention_maps("The cat sat.")).to_self.shape == (6, 12)
    """
    T = r.n_tokens
    rows = np.flatnonzero(~r.special) if (~r.special).any() else np.arange(T)
    prev_rows = rows[rows > 0]
    stats = []
    for w in r.layers:  # (H, T, T) at a time: float32 temporaries of one layer only
        plogp = w * np.log2(np.maximum(w, np.float32(1e-30)))  # 0 * log(tiny) = 0
        stats.append(
            (
                -plogp.sum(-1, dtype=np.float64)[:, rows].mean(-1),  # entropy (H,)
                w[..., r.special].sum(-1, dtype=np.float64)[:, rows].mean(-1),  # to special
                w[:, prev_rows, prev_rows - 1].mean(-1, dtype=np.float64)
                if len(prev_rows)
                else np.zeros(r.n_heads),  # to previous
                w[:, rows, rows].mean(-1, dtype=np.float64),  # to self
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
    spread = entropy >= 0.8 * np.log2(max(len(rows), 2))
    pattern[spread & (pattern == "mixed")] = "broad (averaging)"
    return HeadSummary(entropy, to_special, to_previous, to_self, to_first, pattern)


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
        pooled: each head's block-averaged weights (n, n); blocks of the causal mask are NaN.
        scaled: ``pooled`` divided by the head's own largest value, so faint heads stay visible.
        tokens: the token indices drawn (special tokens left out when hidden).
        starts / ends: first and last position (into ``tokens``) of each block.
    """

    heads: tuple[tuple[int, int], ...]
    pooled: tuple[np.ndarray, ...]
    scaled: tuple[np.ndarray, ...]
    tokens: np.ndarray
    starts: np.ndarray
    ends: np.ndarray

    @property
    def pooled_blocks(self) -> bool:
        """True when a block holds more than one token (the input was longer than ``size``)."""
        return len(self.starts) < len(self.tokens)


def thumbnails(
    r: AttentionResult, heads: list[tuple[int, int]], size: int, *, hide_special: bool = False
) -> Thumbnails:
    """Each head with special tokens hidden (rows renormalized) and block-averaged to at most
    ``size`` x ``size``; in a decoder, a block entirely above the diagonal is masked (NaN).

    >>> # thumbnails(r, [(0, 0), (0, 1)], 48).scaled[0].shape == (16, 16) for 16 tokens
    """
    if not heads:
        raise ValueError("no heads to draw")
    idx = head_weights(r, 0, 0, hide_special)[1]
    n = len(idx)
    starts = pool(np.zeros((n, n)), size)[1]
    ends = np.append(starts[1:], n) - 1
    masked = None
    if r.causal:  # a block is masked only when every cell in it is above the diagonal
        masked = pool(np.triu(np.ones((n, n)), 1), size)[0] >= 1.0 - 1e-9
    pooled, scaled = [], []
    for layer, head in heads:
        m = np.asarray(pool(head_weights(r, layer, head, hide_special)[0], size)[0], np.float64)
        top = max(float(np.nanmax(m)), 1e-12)
        if masked is not None:
            m = np.where(masked, np.nan, m)
        pooled.append(m)
        scaled.append(m / top)
    return Thumbnails(tuple(heads), tuple(pooled), tuple(scaled), idx, starts, ends)


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
