"""What an attention map is: :class:`AttentionConfig` in, :class:`AttentionResult` out, and
the names of the kinds of attention and of the page's pair filters."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Literal

import numpy as np

from core.knobs import check, knob

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
