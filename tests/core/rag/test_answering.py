"""core.rag.answering: the extractive answer quotes the chunks it cites."""

from __future__ import annotations

import re

from core.rag.answering import extractive_answer


# --- answers -------------------------------------------------------------------------------------
def test_extractive_answer_quotes_cited_chunks(kb):
    ans = kb.answer("What does a temperature above 1 do?", "extractive", k=4)
    assert ans.prompt == "" and ans.citations
    for n in map(int, re.findall(r"\[(\d+)\]", ans.text)):
        assert 1 <= n <= len(ans.hits)
    for s in (s for s in ans.sentences if s.used):
        assert s.sentence in ans.text and s.sentence in ans.hits[s.hit - 1].text
    assert "flattens" in ans.text
    empty = extractive_answer("anything", [], kb.embedding)
    assert empty.citations == () and "nothing to quote" in empty.text
