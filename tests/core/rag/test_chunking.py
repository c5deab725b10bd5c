"""core.rag.chunking: windows cover the text with exact overlap; chunks are exact slices."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.rag import (
    ChunkConfig,
    chunk_text,
    count_tokens,
)
from tests.core.rag.samples import TEXT


# --- chunking ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "size,overlap", [(4, 0), (8, 3), (16, 8), (32, 0), (64, 16), (120, 30), (250, 249), (250, 0)]
)
def test_chunk_windows_cover_the_text_with_exact_overlap(size, overlap):
    cfg = ChunkConfig(size, overlap)
    chunks = chunk_text(TEXT, cfg)
    n = count_tokens(TEXT)
    assert chunks[0].token_start == 0 and chunks[-1].token_end == n
    assert all(c.n_tokens == size for c in chunks[:-1]) and 0 < chunks[-1].n_tokens <= size
    for a, b in zip(chunks, chunks[1:], strict=False):
        assert a.token_end - b.token_start == overlap  # shared tokens
        assert b.token_start - a.token_start == size - overlap
    for c in chunks:
        assert TEXT[c.start : c.end] == c.text
    assert len(chunks) == max(1, -(-(n - overlap) // (size - overlap)))


@settings(max_examples=25, deadline=None)
@given(
    text=st.text(st.characters(blacklist_categories=("Cs",)), max_size=300),
    size=st.integers(4, 40),
    data=st.data(),
)
def test_chunks_are_exact_slices_for_any_text(text, size, data):
    overlap = data.draw(st.integers(0, size - 1))
    chunks = chunk_text(text, ChunkConfig(size, overlap))
    assert (chunks == []) == (count_tokens(text) == 0)
    for c in chunks:
        assert text[c.start : c.end] == c.text and c.n_tokens <= size


@pytest.mark.parametrize(
    "size,overlap,msg",
    [
        (2, 0, "between 4 and 250"),
        (300, 0, "between 4 and 250"),
        (64, 64, "smaller than"),
        (64, -1, "at least 0"),
    ],
)
def test_chunk_config_rejects_bad_values(size, overlap, msg):
    with pytest.raises(ValueError, match=msg):
        ChunkConfig(size, overlap)
