"""Split a document into overlapping windows of MiniLM tokens, keeping exact character spans.

A chunk is a slice of the original text (``text[start:end]``), so a citation can point at the
very characters the model was given.

>>> cfg = ChunkConfig(size=4, overlap=1)
>>> [c.text for c in chunk_text("one two three four five six seven", cfg)]
['one two three four', 'four five six seven']
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from core.knobs import check, knob

MAX_CHUNK_TOKENS = 250  # MiniLM reads 256 tokens including [CLS] and [SEP]; longer chunks are cut


@dataclass(frozen=True)
class ChunkConfig:
    """How documents are cut before indexing.

    Args:
        size: tokens per chunk (MiniLM WordPiece tokens), at most 250 so nothing is truncated.
        overlap: tokens shared by consecutive chunks, so a sentence on a boundary stays whole.
    """

    size: int = knob(  # about 90 English words: one or two short paragraphs
        120,
        lo=4,
        hi=MAX_CHUNK_TOKENS,
        label="chunk size",
        help=f"MiniLM tokens per chunk, at most {MAX_CHUNK_TOKENS} so nothing is truncated.",
    )
    overlap: int = knob(30, lo=0)  # a quarter of a chunk

    def __post_init__(self) -> None:
        check(self)
        if self.overlap >= self.size:
            raise ValueError(
                f"Overlap must be at least 0 and smaller than the chunk size ({self.size}), "
                f"got {self.overlap}."
            )

    @property
    def step(self) -> int:
        """Tokens between the starts of two consecutive chunks."""
        return self.size - self.overlap


@dataclass(frozen=True)
class Chunk:
    """One window of a document.

    Args:
        index: position of the chunk in its document (0, 1, ...).
        text: ``document[start:end]``.
        start, end: character span in the document.
        token_start, token_end: token span (end excluded) in the document's tokenization.
    """

    index: int
    text: str
    start: int
    end: int
    token_start: int
    token_end: int

    @property
    def n_tokens(self) -> int:
        return self.token_end - self.token_start


_tok_lock = threading.Lock()
_tokenizer: Any = None


def minilm_tokenizer() -> Any:
    """MiniLM's WordPiece as a raw ``tokenizers.Tokenizer`` with padding and truncation off."""
    global _tokenizer
    with _tok_lock:
        if _tokenizer is None:
            from pathlib import Path

            from tokenizers import Tokenizer

            from core.models import model_path

            tok = Tokenizer.from_file(str(Path(model_path("minilm", "encoder")) / "tokenizer.json"))
            tok.no_padding()
            tok.no_truncation()
            _tokenizer = tok
        return _tokenizer


def token_offsets(text: str) -> list[tuple[int, int]]:
    """Character span of every MiniLM token of ``text`` (no special tokens)."""
    enc = minilm_tokenizer().encode(text, add_special_tokens=False)
    return [tuple(o) for o in enc.offsets]


def count_tokens(text: str) -> int:
    """Number of MiniLM tokens in ``text`` (no special tokens)."""
    return len(token_offsets(text))


def chunk_text(text: str, config: ChunkConfig | None = None) -> list[Chunk]:
    """Cut ``text`` into windows of ``config.size`` tokens that overlap by ``config.overlap``.

    Every token belongs to at least one chunk, every chunk but the last has exactly
    ``config.size`` tokens, and consecutive chunks share exactly ``config.overlap`` tokens.

    Args:
        text: the document.
        config: size and overlap in tokens (default :class:`ChunkConfig`).

    Returns:
        The chunks in order; none for a text without tokens (empty or whitespace).
    """
    config = config or ChunkConfig()
    offsets = token_offsets(text)
    n = len(offsets)
    chunks: list[Chunk] = []
    start = 0
    while start < n:
        end = min(start + config.size, n)
        c0, c1 = offsets[start][0], offsets[end - 1][1]
        chunks.append(Chunk(len(chunks), text[c0:c1], c0, c1, start, end))
        if end == n:
            break
        start += config.step
    return chunks
