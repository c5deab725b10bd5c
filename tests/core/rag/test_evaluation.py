"""core.rag.evaluation: recall@k on the labelled questions stays above its floors."""

from __future__ import annotations

import pytest

from core.rag import (
    evaluate_retrieval,
    labelled_questions,
)
from tests.core.rag.samples import RECALL_FLOOR


# --- retrieval quality ---------------------------------------------------------------------------
@pytest.mark.parametrize("hybrid", [False, True])
def test_recall_at_k_on_the_labelled_questions(kb, hybrid):
    ev = evaluate_retrieval(kb, labelled_questions(), ks=(1, 3, 5), hybrid=hybrid)
    assert len(ev.results) == 35
    for k, floor in RECALL_FLOOR.items():
        assert ev.recall[k] >= floor, (k, ev.recall, [r for r in ev.results if r.rank != 1])
    assert ev.recall[1] <= ev.recall[3] <= ev.recall[5] and ev.doc_recall[1] >= ev.recall[1]
