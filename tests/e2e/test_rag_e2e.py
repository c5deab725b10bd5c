"""The RAG chat page in real Chromium: ask a question, see cited chunks with scores, go hybrid."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.e2e


def test_ask_a_question_and_follow_a_citation(visit):
    tab = visit().open("/rag", timeout_s=300)
    page = tab.page
    assert "RAG chat" in page.inner_text("h1")
    body = page.inner_text("body")
    assert "cosine similarity" in body and "Extractive (always offline)" in body

    box = page.get_by_test_id("stChatInputTextArea")
    box.fill("How is the scale of symmetric int8 quantization computed?")
    box.press("Enter")
    tab.wait_idle()
    body = page.inner_text("body")
    assert "quantization.md" in body and "127" in body
    link = page.locator("a[href^='#rag-chunk-']").first
    assert link.is_visible(), page.locator("[data-testid='stMarkdownContainer']").all_inner_texts()
    target = link.get_attribute("href")
    link.click()  # jumps to the cited chunk: only the URL's fragment changes, no rerun
    assert page.url.endswith(target) and "rag_k=4" in page.url
    assert page.locator(target).count() == 1

    page.get_by_test_id("stCheckbox").get_by_text("Hybrid search").click()
    tab.wait_idle()
    assert "differ from vector search alone" in page.inner_text("body")
    assert page.locator("[data-testid='stDataFrame']").count() >= 1
    assert re.search(r"rag_hybrid=1\b", page.url)
    tab.assert_clean()
