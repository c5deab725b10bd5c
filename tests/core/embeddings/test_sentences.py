"""core.embeddings.sentences: MiniLM sentence vectors, their cosine matrix and map."""

from __future__ import annotations

import numpy as np
import pytest

from core import models
from core.embeddings import sentences


@pytest.fixture(scope="module")
def mini():
    return models.load_embedder("minilm")


def test_sentence_map_is_the_rag_embedder(mini):
    text = "A cat sat on the mat.\n\n  A kitten slept on the rug.\nStocks fell sharply today.\n"
    r = sentences.sentence_map(mini, text)
    assert r.sentences == (
        "A cat sat on the mat.",
        "A kitten slept on the rug.",
        "Stocks fell sharply today.",
    )
    assert np.allclose(r.vectors, mini.encode(list(r.sentences)).numpy(), atol=1e-6)
    assert r.cosine.shape == (3, 3) and r.projected.coords.shape == (3, 2)
    assert r.closest_pair()[:2] == (0, 1)


@pytest.mark.parametrize("text", ["", "only one line", "\n  \n"])
def test_fewer_than_two_sentences_are_refused(mini, text):
    with pytest.raises(ValueError, match="at least two sentences"):
        sentences.sentence_map(mini, text)


def test_too_many_sentences_are_cut_with_a_note(mini):
    r = sentences.sentence_map(
        mini, "\n".join(f"line {i}" for i in range(5)), sentences.SentenceConfig(3)
    )
    assert len(r.sentences) == 3 and "only the first 3" in r.notes[0]
