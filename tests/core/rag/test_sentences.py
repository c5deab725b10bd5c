"""core.rag.sentences: headings and cut pieces are not sentences."""

from __future__ import annotations

from core.rag.answering import split_sentences


def test_sentence_split_drops_headings_and_cut_pieces():
    text = "ing the end of a cut. # Title\nFirst whole one. Second whole one! and a cut-off"
    assert split_sentences(text) == ["First whole one.", "Second whole one!"]
