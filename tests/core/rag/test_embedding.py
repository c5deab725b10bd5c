"""core.rag.embedding: the store's embeddings equal sentence-transformers' encode."""

from __future__ import annotations

import numpy as np

# --- embeddings ----------------------------------------------------------------------------------


def test_embedding_function_equals_sentence_transformers_encode(kb, raw_st):
    texts = ["What is attention?", "Quantization stores weights with fewer bits.", "é 東京"]
    ours = np.stack(kb.embedding(texts))  # chromadb's protocol: list of vectors
    ref = raw_st.encode(texts, normalize_embeddings=True)
    assert ours.shape == (3, 384)
    np.testing.assert_allclose(ours, ref, atol=1e-5)
    stored = kb._chunks.get(limit=2, include=["documents", "embeddings"])
    np.testing.assert_allclose(
        np.asarray(stored["embeddings"]),
        raw_st.encode(stored["documents"], normalize_embeddings=True),
        atol=1e-5,
    )
    assert kb.embedding.name() == "genai_playground_minilm" and not kb.embedding.is_legacy()
