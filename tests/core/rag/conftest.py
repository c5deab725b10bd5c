"""Fixtures shared by the core.rag tests."""

from __future__ import annotations

import pytest

from core import models
from core.rag import (
    KnowledgeBase,
    starter_documents,
)


@pytest.fixture(scope="session")
def kb(tmp_path_factory):
    """The starter notes indexed once for every read-only test of core.rag."""
    kb = KnowledgeBase(tmp_path_factory.mktemp("kb"), collection="starter")
    kb.add_documents(starter_documents())
    return kb


@pytest.fixture(scope="session")
def raw_st():
    """A separate, plain sentence-transformers model: the reference."""
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(models.model_path("minilm"), device="cpu")
