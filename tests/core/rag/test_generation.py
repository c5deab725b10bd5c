"""core.rag.generation: tiny-gpt answers in its training format; hub chat offline is clear."""

from __future__ import annotations

import pytest

from core import models
from core.rag.generation import TINY_CONTEXT_TOKENS, chat_messages, generated_answer


def test_tiny_gpt_answers_in_its_training_format(kb):
    ans = generated_answer(
        "Where does Tom live?",
        [_hit("Tom lives in Paris. Tom has a red kite.")],
        "tiny-gpt",
        kb.embedding,
    )
    assert ans.prompt.startswith("Context: Tom lives in Paris.")
    assert ans.prompt.endswith("\nQuestion: Where does Tom live?\nAnswer:")
    assert len(models.load_tokenizer("tiny-gpt").encode(ans.prompt)) <= TINY_CONTEXT_TOKENS + 20
    assert ans.text.startswith("Paris") and ans.citations[0].number == 1  # copy mode
    assert ans.text.removesuffix(" [1]") in "Tom lives in Paris. Tom has a red kite."
    blind = generated_answer("Where does Tom live?", [], "tiny-gpt", kb.embedding, retrieve=False)
    assert blind.prompt == "Q: Where does Tom live?\nA:" and blind.citations == ()


def _hit(text: str):
    from core.rag import Hit

    return Hit("doc-x:0000", text, 0.9, "x.txt", "doc-x", 0, 0, len(text), 1)


def test_hub_chat_model_offline_is_a_clear_error(kb):
    with pytest.raises(models.ModelUnavailableError, match="offline model"):
        kb.answer("What is RAG?", "smollm2-135m-instruct", k=2)
    msgs = chat_messages("What is RAG?", [_hit("RAG retrieves."), _hit("Then generates.")])
    assert msgs[0]["role"] == "system" and "[2] (x.txt) Then generates." in msgs[1]["content"]
