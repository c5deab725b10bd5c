"""Answers: extractive sentence choice on the labelled questions, citations only when grounded,
and one MiniLM in memory for RAG and the attention page."""

from __future__ import annotations

import numpy as np
import pytest

from core import models
from core.rag import Hit, labelled_questions
from core.rag.answering import extractive_answer
from core.rag.embedding import MiniLMEmbeddingFunction
from core.rag.evaluation import answers
from core.rag.generation import generated_answer
from core.rag.grounding import SUPPORT_THRESHOLD, support, supported

QUESTIONS = labelled_questions()
# Measured with the default chunking: the top chunk holds the labelled span for 31 of the 35
# questions and the extractive answer quotes it for 30 of them; this is the one it still misses
# (its answering sentence ranks third, below two that restate "greedy decoding").
KNOWN_MISSES = {"What is the problem with greedy decoding?"}


def norm(text: str) -> str:
    return " ".join(text.split()).lower()


@pytest.mark.parametrize("q", QUESTIONS, ids=[q["question"][:40] for q in QUESTIONS])
def test_extractive_answer_quotes_the_answering_sentence_of_the_top_chunk(kb, q, request):
    hits = kb.query(q["question"], 4)
    if not answers(hits[0], q["doc"], q["span"]):
        pytest.skip("the top chunk does not hold the labelled span (a retrieval miss)")
    if q["question"] in KNOWN_MISSES:
        request.applymarker(pytest.mark.xfail(strict=True, reason="measured miss, see above"))
    ans = extractive_answer(q["question"], hits, kb.embedding)
    assert norm(q["span"]) in norm(ans.text), ans.text


def test_a_sentence_that_leans_on_the_one_before_is_quoted_with_it(kb):
    q = "Why is the attention matrix of a GPT model lower triangular?"
    ans = extractive_answer(q, kb.query(q, 4), kb.embedding)
    assert "the tokens before it. That is why the attention matrix" in ans.text


@pytest.mark.parametrize(
    "answer,chunk,question,grounded",
    [
        ("Oslo", "Tom lives in Oslo. Ann has a red kite.", "Where does Tom live?", True),
        ("lives in Oslo", "Tom lives in Oslo.", "Where does Tom live?", True),
        (
            "Oslo kite red Tom",
            "Tom lives in Oslo. Ann has a red kite.",
            "Where does Tom live?",
            False,
        ),
        ("the", "Tom lives in the city.", "Where does Tom live?", False),
        ("in the a of", "Tom lives in the city of Oslo.", "Where does Tom live?", False),
        ("red", "Tom lives in Oslo. Ann has a red kite.", "Where does Tom live?", False),
        ("Paris", "Tom lives in Oslo.", "Where does Tom live?", False),
    ],
)
def test_support_table(answer, chunk, question, grounded):
    assert (support(answer, chunk, question) >= SUPPORT_THRESHOLD) is grounded


def _hit(text: str, n: int = 1) -> Hit:
    return Hit(f"doc-x:v:{n:04d}", text, 0.9, "x.txt", "doc-x", n, 0, len(text), n)


def test_citations_are_kept_only_where_the_chunk_supports_them():
    hits = [_hit("Tom lives in Oslo.", 1), _hit("Ann has a red kite.", 2)]
    assert supported("Tom lives in Oslo [1] [2]", hits, [1, 2], "Where does Tom live?")[0] == [1]


def test_tiny_gpt_cites_only_grounded_answers(kb):
    """Over the labelled questions: every cited tiny-gpt answer is supported by its chunk, every
    other one says it is ungrounded; the toy-world question stays grounded."""
    cited = 0
    for q in QUESTIONS:
        hits = kb.query(q["question"], 4)
        ans = generated_answer(q["question"], hits, "tiny-gpt", kb.embedding)
        if ans.citations:
            cited += 1
            c = ans.citations[0]
            assert support(ans.text, c.text, q["question"]) >= SUPPORT_THRESHOLD, ans.text
            assert ans.grounded and f"[{c.number}]" in ans.text
        else:
            assert not ans.grounded and "[" not in ans.text
            assert "Ungrounded" in ans.note or ans.text == "(the model generated nothing)"
    assert cited < len(QUESTIONS) // 2  # tiny-gpt is out of its depth on the lesson notes
    tom = kb.answer("Where does Tom live?", "tiny-gpt")
    assert tom.grounded and tom.text.startswith("Oslo") and tom.citations


def test_rag_embeddings_use_the_registry_minilm():
    fn = MiniLMEmbeddingFunction()
    assert fn.model is models.load_encoder("minilm").model  # one MiniLM in memory
    assert fn.dimension == 384
    a = fn.encode(["What is attention?", "What is attention?", "Quantization."])
    assert a.shape == (3, 384) and np.allclose(np.linalg.norm(a, axis=1), 1, atol=1e-5)
    np.testing.assert_array_equal(a[0], a[1])
