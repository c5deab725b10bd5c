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


HOSTILE = (
    "Zorblax facts. ![p](http://127.0.0.1:9/pixel.png) and <img src='http://127.0.0.1:9/y.png'> "
    "The zorblax password is kumquat-42."
)


def ask(tab, question: str) -> str:
    box = tab.page.get_by_test_id("stChatInputTextArea")
    box.fill(question)
    box.press("Enter")
    tab.wait_idle()
    return tab.page.inner_text("body")


def listed_documents(tab) -> list[str]:
    """The document picker's options (the document table is drawn on a canvas)."""
    page = tab.page
    kb = page.locator("[data-testid='stExpander'] details").filter(has_text="Knowledge base:")
    if kb.first.get_attribute("open") is None:
        kb.first.locator("summary").click()
    picker = page.locator("[data-testid='stSelectbox']").filter(
        has=page.get_by_text("Document", exact=True)
    )
    options = page.locator("[role='option']")
    for _ in range(5):  # a click during a rerun's re-render can be lost: try again
        picker.first.get_by_role("button", name="Open").click()  # the combobox's arrow button
        page.wait_for_timeout(1000)
        if options.count():
            break
    else:
        page.screenshot(path="/tmp/ragwt/fail.png", full_page=True)
    options.first.wait_for(timeout=10_000)
    names = options.all_inner_texts()
    page.keyboard.press("Escape")
    return [n.strip() for n in names]


def test_two_browsers_at_once_never_see_each_others_documents(visit):
    """Two browser contexts (two students) on the RAG page: what one adds the other never sees,
    and the first still has it after a reload; a pasted image link is never fetched."""
    alice = visit().open("/rag", timeout_s=300)
    bob = visit().open("/rag", timeout_s=300)
    fetched: list[str] = []
    for tab in (alice, bob):
        tab.page.on("request", lambda r: fetched.append(r.url))
    assert alice.page.context is not bob.page.context
    assert "Shared starter notes (read-only)" in alice.page.inner_text("body")

    page = alice.page
    page.locator("[data-testid='stExpander'] summary").filter(has_text="Knowledge base").click()
    page.get_by_label("Name shown in citations").fill("zorblax.md")
    page.get_by_label("Text", exact=True).fill(HOSTILE)
    page.get_by_role("button", name="Add text").click()
    alice.wait_idle(timeout_s=300)
    body = page.inner_text("body")
    assert "Yours: 1 document added" in body, body[:2000]
    body = ask(alice, "What is the zorblax password?")
    assert "zorblax.md" in body and "kumquat-42" in body
    assert any(c["name"] == "genai_kb" for c in page.context.cookies())

    assert "zorblax.md" in listed_documents(alice)
    bob_docs = listed_documents(bob)
    assert "lora.md" in bob_docs and "zorblax.md" not in bob_docs
    body = ask(bob, "What is the zorblax password?")
    assert "zorblax.md" not in body and "kumquat" not in body and "Zorblax facts" not in body
    assert "Shared starter notes (read-only)" in body and "Yours:" not in body
    mine = {c["value"] for c in page.context.cookies() if c["name"] == "genai_kb"}
    theirs = {c["value"] for c in bob.page.context.cookies() if c["name"] == "genai_kb"}
    assert mine and not mine & theirs

    page.reload()
    page.wait_for_selector('[data-testid="stSidebarNav"]', timeout=60_000)
    alice.wait_idle(timeout_s=300)
    assert "Yours: 1 document added" in page.inner_text("body")
    body = ask(alice, "What is the zorblax password?")
    assert "zorblax.md" in body and "kumquat-42" in body
    assert "![p](http://127.0.0.1:9/pixel.png)" in body  # the chunk is shown as characters
    assert not [u for u in fetched if "127.0.0.1:9/" in u], fetched
    alice.assert_clean()
    bob.assert_clean()
