"""Tokenize text with a named tokenizer and keep, per token, its id, bytes and character span.

Ids are exactly those of the underlying library: tiktoken's ``encode`` (special tokens typed in
the text allowed only when asked, else encoded as ordinary text) or a transformers tokenizer's
``__call__`` (``split_special_tokens`` unless asked to parse them). Character spans are indices
into the Python string (code points): ``text[start:end]`` is what the token covers. A token that
holds only part of a character's UTF-8 bytes (byte-level BPE splits emoji and CJK this way) gets the
span of that whole character, so neighbouring tokens can share a character; its ``text`` shows
the partial bytes as ``\\xNN``.

>>> r = tokenize("naïve 日本", "cl100k_base")
>>> [(t.id, t.text, t.start, t.end) for t in r.tokens][:2]
[(3458, 'na', 0, 2), (38672, 'ï', 2, 3)]
"""

from __future__ import annotations

import itertools
import re
import threading
from array import array
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache, cached_property
from typing import Any, Literal

from core import models

Family = Literal["tiktoken", "byte-level", "wordpiece", "metaspace", "other"]
Kind = Literal["normal", "special", "unknown"]
_WORD = re.compile(r"\S+")
_BYTE_PIECE = re.compile(r"^<0x([0-9A-Fa-f]{2})>$")  # SentencePiece byte fallback


@dataclass(frozen=True)
class TokenizerInfo:
    """One entry of :func:`list_tokenizers`.

    Args:
        name: catalog name to pass to :func:`tokenize`.
        label: name plus where it comes from, for a picker.
        description: one line about the model the tokenizer belongs to.
        embedded: True when it works offline.
    """

    name: str
    label: str
    description: str
    embedded: bool


def list_tokenizers(*, embedded_only: bool = False) -> list[TokenizerInfo]:
    """Every tokenizer of the catalog: ``cl100k_base`` and each model's own, embedded first.

    >>> [t.name for t in list_tokenizers(embedded_only=True)]
    ['cl100k_base', 'minilm', 'tiny-gpt', 'tiny-t5']
    """
    specs = models.list_models(embedded_only=embedded_only)
    order = {"tokenizer": 0, "encoder": 1}  # cl100k_base, minilm, then the generators
    specs = sorted(specs, key=lambda s: (not s.embedded, order.get(s.kind, 2)))
    return [TokenizerInfo(s.name, s.label, s.description, s.embedded) for s in specs]


@dataclass(frozen=True)
class Token:
    """One token.

    Args:
        id: the id the library gives.
        text: what the token stands for, decoded from its bytes; partial UTF-8 shown as ``\\xNN``
            (``##`` is stripped for WordPiece continuations, ``▁`` becomes a space).
        start: first character of the input it covers.
        end: one past the last character (``start == end`` for inserted special tokens).
        bytes: the token's own bytes (for an unknown token, the input bytes it replaced).
        piece: the vocabulary entry as the tokenizer stores it (``Ġthe``, ``##ing``, ``▁de``).
        kind: ``normal``, ``special`` (``[CLS]``, ``<|endoftext|>``...) or ``unknown``.
    """

    id: int
    text: str
    start: int
    end: int
    bytes: bytes
    piece: str
    kind: Kind = "normal"

    @property
    def partial(self) -> bool:
        """True when the token's bytes are not whole UTF-8 characters."""
        try:
            self.bytes.decode("utf-8")
        except UnicodeDecodeError:
            return True
        return False


@dataclass(frozen=True)
class TokenizationResult:
    """Columns of a tokenization (cheap to build); :attr:`tokens` assembles :class:`Token` rows.

    Args:
        tokenizer: the catalog name used.
        family: how pieces map to bytes: ``tiktoken``, ``byte-level``, ``wordpiece``,
            ``metaspace`` (SentencePiece) or ``other``.
        text: the input.
        ids: token ids, exactly the library's.
        starts, ends: character span of each token.
        pieces: per token, the vocabulary piece (``str``), or its bytes for tiktoken.
        kinds: per token, ``normal`` / ``special`` / ``unknown``.
        lossless: whether ``decode(ids) == text`` holds for this tokenizer in general.
    """

    tokenizer: str
    family: Family
    text: str
    ids: tuple[int, ...]
    starts: Sequence[int]
    ends: Sequence[int]
    pieces: Sequence[Any]
    kinds: tuple[Kind, ...]
    lossless: bool
    _byte_decoder: Mapping[str, int] = field(default_factory=dict, repr=False, compare=False)

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def n_tokens(self) -> int:
        return len(self.ids)

    @property
    def n_chars(self) -> int:
        return len(self.text)

    @property
    def n_words(self) -> int:
        """Whitespace-separated words (CJK sentences without spaces count as one)."""
        return len(_WORD.findall(self.text))

    @property
    def n_special(self) -> int:
        return sum(k == "special" for k in self.kinds)

    @property
    def n_unknown(self) -> int:
        """Tokens the vocabulary cannot spell (``[UNK]``)."""
        return sum(k == "unknown" for k in self.kinds)

    @property
    def typed_specials(self) -> tuple[str, ...]:
        """The tokenizer's special-token strings that occur in the text, sorted."""
        return tuple(sorted(s for s in special_tokens(self.tokenizer) if s in self.text))

    @property
    def chars_per_token(self) -> float:
        n = self.n_tokens - self.n_special
        return self.n_chars / n if n else 0.0

    @property
    def tokens_per_word(self) -> float:
        n = self.n_words
        return (self.n_tokens - self.n_special) / n if n else 0.0

    def token(self, i: int) -> Token:
        """The ``i``-th token as a :class:`Token`."""
        piece, kind = self.pieces[i], self.kinds[i]
        start, end = self.starts[i], self.ends[i]
        raw = _piece_bytes(piece, self.family, kind, self._byte_decoder)
        if kind == "unknown":
            raw = self.text[start:end].encode("utf-8", "replace")
            text = str(piece)
        elif kind == "special":
            text = piece.decode("utf-8", "replace") if isinstance(piece, bytes) else str(piece)
        else:
            text = raw.decode("utf-8", "backslashreplace")
        if isinstance(piece, bytes):
            piece = piece.decode("utf-8", "backslashreplace")
        return Token(self.ids[i], text, start, end, raw, piece, kind)

    @cached_property
    def tokens(self) -> tuple[Token, ...]:
        """Every token as a :class:`Token` (built on first use)."""
        return tuple(self.token(i) for i in range(len(self.ids)))

    def head(self, n: int) -> tuple[Token, ...]:
        """The first ``n`` tokens, without building the rest (for drawing long texts)."""
        return tuple(self.token(i) for i in range(min(n, len(self.ids))))


# --- byte-level alphabet (GPT-2): each byte is drawn as one printable character --------------
@cache
def byte_decoder() -> dict[str, int]:
    """GPT-2's printable character -> byte table used by byte-level BPE vocabularies."""
    bs = [*range(ord("!"), ord("~") + 1), *range(ord("¡"), ord("¬") + 1)]
    bs += list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return {chr(c): b for b, c in zip(bs, cs, strict=True)}


def _piece_bytes(piece: Any, family: Family, kind: Kind, decoder: Mapping[str, int]) -> bytes:
    if isinstance(piece, bytes):
        return piece
    if kind == "special":
        return piece.encode("utf-8")
    if family == "byte-level" and all(c in decoder for c in piece):
        return bytes(decoder[c] for c in piece)
    if family == "wordpiece" and piece.startswith("##"):
        piece = piece[2:]
    if family == "metaspace":
        m = _BYTE_PIECE.match(piece)
        if m:
            return bytes([int(m.group(1), 16)])
        piece = piece.replace("▁", " ")
    return piece.encode("utf-8")


def _ints(values: Any) -> array:
    """A compact read-only-by-convention int sequence from a numpy array or a list."""
    import numpy as np

    return array("q", np.asarray(values, dtype=np.int64).tobytes())


def _char_spans(utf8: bytes, byte_lengths: Any) -> tuple[array, array]:
    """Character spans of consecutive byte runs of ``utf8``, widened to whole characters."""
    import numpy as np

    data = np.frombuffer(utf8, dtype=np.uint8)
    is_start = np.append((data & 0xC0) != 0x80, True)  # one past the end starts "a char"
    prefix = np.concatenate(([0], np.cumsum(is_start[:-1], dtype=np.int64)))  # starts in [0, b)
    lengths = np.asarray(byte_lengths, dtype=np.int64)
    ends_b = np.cumsum(lengths)
    starts_b = ends_b - lengths
    if len(ends_b) and ends_b[-1] != len(data):
        raise ValueError("token bytes do not add up to the text")
    # a token starting inside a character gets that character: one fewer start before it
    starts = prefix[starts_b] - (~is_start[starts_b]).astype(np.int64)
    ends = prefix[ends_b]  # a token ending mid-character still covers that character
    return _ints(starts), _ints(ends)


def _kinds(ids: Any, special: frozenset[int], unk: int | None) -> tuple[Kind, ...]:
    """Per token ``normal`` / ``special`` / ``unknown``, vectorised (texts can be 100k tokens)."""
    import numpy as np

    kinds: list[Kind] = ["normal"] * len(ids)
    for i in np.flatnonzero(np.isin(ids, np.fromiter(special, dtype=np.int64))).tolist():
        kinds[i] = "special"
    if unk is not None:
        for i in np.flatnonzero(ids == unk).tolist():
            kinds[i] = "unknown"
    return tuple(kinds)


class _LazyPieces(Sequence[Any]):
    """Each token's vocabulary piece, looked up on demand (the page draws a few thousand)."""

    def __init__(self, lookup: Any, ids: Sequence[int]):
        self._lookup, self._ids = lookup, ids

    def __len__(self) -> int:
        return len(self._ids)

    def __getitem__(self, i):  # type: ignore[override]
        if isinstance(i, slice):
            return [self._lookup(t) for t in self._ids[i]]
        return self._lookup(self._ids[i])


# --- backends ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Backend:
    name: str
    family: Family
    lib: Any  # tiktoken.Encoding or tokenizers.Tokenizer (a private copy: no padding/truncation)
    special_ids: frozenset[int]
    unk_id: int | None
    added: frozenset[str]  # added-token contents (byte-level: not in the byte alphabet)
    byte_lengths: Any = None  # byte-level: numpy array, bytes of each id (spans without decoding)
    plain: Any = None  # hf: a second copy that encodes typed special tokens as ordinary text


_backends: dict[str, _Backend] = {}
_backend_lock = threading.Lock()


def _family(backend: Any) -> Family:
    names = {type(backend.decoder).__name__, type(backend.pre_tokenizer).__name__}
    if "ByteLevel" in names:
        return "byte-level"
    if type(backend.model).__name__ == "WordPiece" or "WordPiece" in names:
        return "wordpiece"
    if "Metaspace" in names or "▁" in backend.to_str()[:20_000]:
        return "metaspace"
    return "other"


def _backend(name: str) -> _Backend:
    """Load (once) the library object behind a tokenizer name.

    Raises:
        ModelUnavailableError: an unknown name or a hub tokenizer with no network.
    """
    with _backend_lock:
        if name in _backends:
            return _backends[name]
    lib = models.load_tokenizer(name)
    if hasattr(lib, "decode_tokens_bytes"):  # tiktoken
        special = frozenset(lib._special_tokens.values())
        b = _Backend(name, "tiktoken", lib, special, None, frozenset(), _token_lengths(lib))
    else:
        from tokenizers import Tokenizer

        fast = Tokenizer.from_str(lib.backend_tokenizer.to_str())
        fast.no_padding()  # the library's __call__ neither pads nor truncates by default
        fast.no_truncation()
        # what transformers' split_special_tokens=True does; a copy of its own, because the flag
        # is state on the object and sessions tokenize concurrently
        plain = Tokenizer.from_str(fast.to_str())
        plain.encode_special_tokens = True
        added_tokens = lib.backend_tokenizer.get_added_tokens_decoder().values()
        added = frozenset(t.content for t in added_tokens)
        family = _family(fast)
        # byte-level BPE can spell anything: its "unk" (tiny-gpt: <|endoftext|>) is never unknown
        unk = lib.unk_token_id if lib.unk_token is not None and family != "byte-level" else None
        lengths = _vocab_lengths(fast, added) if family == "byte-level" else None
        special = frozenset(lib.all_special_ids)
        b = _Backend(name, family, fast, special, unk, added, lengths, plain)
    with _backend_lock:
        return _backends.setdefault(name, b)


def _token_lengths(lib: Any) -> Any:
    """Byte length of every id of a tiktoken encoding (0 for unused ids)."""
    import numpy as np

    out = np.zeros(lib.n_vocab, dtype=np.int64)
    for i in range(lib.n_vocab):
        try:
            out[i] = len(lib.decode_single_token_bytes(i))
        except KeyError:
            continue
    return out


def _vocab_lengths(fast: Any, added: frozenset[str]) -> Any:
    """Byte length of every id of a byte-level vocabulary (one character per byte)."""
    import numpy as np

    vocab = fast.get_vocab(with_added_tokens=True)
    out = np.zeros(max(vocab.values(), default=0) + 1, dtype=np.int64)
    for piece, i in vocab.items():
        out[i] = len(piece.encode("utf-8")) if piece in added else len(piece)
    return out


def special_tokens(name: str) -> frozenset[str]:
    """The special-token strings of a tokenizer (``<|endoftext|>``, ``[SEP]``...), as typed.

    >>> sorted(special_tokens("minilm"))
    ['[CLS]', '[MASK]', '[PAD]', '[SEP]', '[UNK]']
    """
    b = _backend(name)
    if b.family == "tiktoken":
        return frozenset(b.lib.special_tokens_set)
    return frozenset(t.content for t in b.lib.get_added_tokens_decoder().values() if t.special)


def split_available(names: Sequence[str]) -> tuple[list[str], dict[str, str]]:
    """Split tokenizer names into those that load here and the others, with the reason.

    >>> split_available(["minilm"])
    (['minilm'], {})
    """
    ok: list[str] = []
    missing: dict[str, str] = {}
    for name in names:
        try:
            special_tokens(name)  # loads the tokenizer once (cached)
        except models.ModelUnavailableError as e:
            missing[name] = str(e)
        else:
            ok.append(name)
    return ok, missing


def library(name: str) -> Any:
    """The raw library object behind ``name`` (tiktoken Encoding or transformers tokenizer)."""
    return models.load_tokenizer(name)


def fix_surrogates(text: str) -> str:
    """Text that UTF-8 can encode, as tiktoken makes it: valid surrogate pairs rejoined into the
    character they spell, each lone surrogate replaced by U+FFFD.

    >>> fix_surrogates("\\ud83d\\udc4d and \\ud800")
    '👍 and \ufffd'
    """
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return text


def tokenize(
    text: str,
    tokenizer: str = "cl100k_base",
    *,
    add_special_tokens: bool = True,
    parse_special: bool = False,
) -> TokenizationResult:
    """Tokenize ``text`` and return ids, bytes and character spans.

    Args:
        text: any string; surrogates are fixed as tiktoken does (:func:`fix_surrogates`).
        tokenizer: a name from :func:`list_tokenizers` or a hub id (online only).
        add_special_tokens: let transformers tokenizers add ``[CLS]``/``[SEP]``/BOS as their
            ``__call__`` does (tiktoken adds none).
        parse_special: read special tokens typed in the text (``<|endoftext|>``, ``[SEP]``) as
            the special token; False (the default, as tiktoken's ``encode_ordinary`` and
            transformers' ``split_special_tokens=True``) encodes them as ordinary text.

    Returns:
        A :class:`TokenizationResult`.

    Raises:
        ModelUnavailableError: the tokenizer cannot be loaded here.

    >>> tokenize("unbelievable", "minilm").ids
    (101, 23653, 102)
    >>> len(tokenize("<|endoftext|>").ids), tokenize("<|endoftext|>", parse_special=True).ids
    (7, (100257,))
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__}")
    text = fix_surrogates(text)
    data = text.encode("utf-8")
    b = _backend(tokenizer)
    if b.family == "tiktoken":
        return _tokenize_tiktoken(text, data, b, parse_special)
    return _tokenize_hf(text, data, b, add_special_tokens, parse_special)


def _tokenize_tiktoken(text: str, data: bytes, b: _Backend, special: bool) -> TokenizationResult:
    import numpy as np

    ids = b.lib.encode(text, allowed_special="all") if special else b.lib.encode_ordinary(text)
    arr = np.asarray(ids, dtype=np.int64)
    starts, ends = _char_spans(data, b.byte_lengths[arr])
    ids_t = tuple(ids)
    return TokenizationResult(
        b.name,
        "tiktoken",
        text,
        ids_t,
        starts,
        ends,
        _LazyPieces(b.lib.decode_single_token_bytes, ids_t),
        _kinds(arr, b.special_ids, None),
        True,
    )


def _tokenize_hf(
    text: str, data: bytes, b: _Backend, add_special: bool, parse_special: bool
) -> TokenizationResult:
    import numpy as np

    enc = (b.lib if parse_special else b.plain).encode(text, add_special_tokens=add_special)
    ids = tuple(enc.ids)
    arr = np.asarray(ids, dtype=np.int64)
    inserted = np.asarray(enc.special_tokens_mask, dtype=bool)
    spans = None
    if b.family == "byte-level":
        # exact spans from the bytes: the library's offsets drop leading spaces (trim_offsets)
        lengths = np.where(inserted, 0, b.byte_lengths[arr])
        try:
            spans = _char_spans(data, lengths)
        except (ValueError, IndexError):  # a normalizer changed the text: use the offsets
            spans = None
    if spans is None:
        pairs = enc.offsets
        flat = itertools.chain.from_iterable(pairs)  # 10x faster than asarray on tuples
        off = np.fromiter(flat, dtype=np.int64, count=2 * len(pairs)).reshape(-1, 2)  # (T, 2)
        for i in np.flatnonzero(inserted).tolist():
            if i and off[i, 0] == off[i, 1] == 0:  # inserted at the end: place it there
                off[i] = off[i - 1, 1]
        spans = _ints(off[:, 0]), _ints(off[:, 1])
    return TokenizationResult(
        b.name,
        b.family,
        text,
        ids,
        spans[0],
        spans[1],
        _LazyPieces(b.lib.id_to_token, ids),
        _kinds(arr, b.special_ids, b.unk_id),
        b.family == "byte-level",
        byte_decoder(),
    )


def decode(ids: Sequence[int], tokenizer: str = "cl100k_base") -> str:
    """Text from ids with the library's own decoder (special tokens kept).

    >>> decode(tokenize("Hello 👋").ids)
    'Hello 👋'
    """
    b = _backend(tokenizer)
    if b.family == "tiktoken":
        return b.lib.decode(list(ids))
    return b.lib.decode(list(ids), skip_special_tokens=False)


# --- comparison ------------------------------------------------------------------------------
@dataclass(frozen=True)
class CompareRow:
    """Counts of one tokenizer on one text."""

    label: str
    tokenizer: str
    n_tokens: int
    n_chars: int
    n_words: int
    tokens_per_word: float
    chars_per_token: float


@dataclass(frozen=True)
class ComparisonResult:
    """Every (text, tokenizer) pair counted, and the tokenizers that could not load."""

    rows: tuple[CompareRow, ...]
    errors: Mapping[str, str]

    def table(self) -> list[dict[str, Any]]:
        """Rows as dicts, ready for a DataFrame."""
        return [r.__dict__.copy() for r in self.rows]

    def most_expensive(self, baseline: str = "English") -> tuple[CompareRow, CompareRow]:
        """The row with the most tokens, and the ``baseline`` text's row of the same tokenizer.

        >>> c = compare({"English": "hello", "Greek": "γειά σου"}, ["cl100k_base"])
        >>> worst, base = c.most_expensive()
        >>> (worst.label, base.label), worst.n_tokens > base.n_tokens
        (('Greek', 'English'), True)
        """
        worst = max(self.rows, key=lambda r: r.n_tokens)
        base = next(r for r in self.rows if r.label == baseline and r.tokenizer == worst.tokenizer)
        return worst, base


def compare(texts: Mapping[str, str], names: Sequence[str]) -> ComparisonResult:
    """Count the tokens of each text with each tokenizer (without special tokens).

    Args:
        texts: label -> text, e.g. one sentence per language.
        names: tokenizer names; one that cannot load lands in ``errors`` with the reason.

    Returns:
        A :class:`ComparisonResult`.
    """
    rows: list[CompareRow] = []
    errors: dict[str, str] = {}
    for name in dict.fromkeys(names):
        try:
            results = {k: tokenize(t, name, add_special_tokens=False) for k, t in texts.items()}
        except models.ModelUnavailableError as e:
            errors[name] = str(e)
            continue
        for label, r in results.items():
            rows.append(
                CompareRow(
                    label,
                    name,
                    r.n_tokens,
                    r.n_chars,
                    r.n_words,
                    r.tokens_per_word,
                    r.chars_per_token,
                )
            )
    return ComparisonResult(tuple(rows), errors)
