"""The RAG chat page under AppTest, on a knowledge base in a temporary data folder.

Each test plays one browser (``rag_owner`` in the session state stands for the cookie a real
browser sends); the shared starter notes are indexed once for the module.
"""

from __future__ import annotations

import re
import time

import pytest
from streamlit.testing.v1 import AppTest

from core import settings
from tests.pages import apptest

TIMEOUT = 240
HOSTILE = (
    "Zorblax facts. ![p](http://127.0.0.1:9/pixel.png) and [click](http://127.0.0.1:9/x) "
    "<img src='http://127.0.0.1:9/y.png'> The zorblax password is kumquat-42."
)


@pytest.fixture(scope="module", autouse=True)
def data_dir(tmp_path_factory):
    """Every test of this module shares one fresh store (the starter notes are indexed once)."""
    mp = pytest.MonkeyPatch()
    mp.setenv("GENAI_DATA_DIR", str(tmp_path_factory.mktemp("rag-data")))
    settings.get_settings.cache_clear()
    yield
    mp.undo()
    settings.get_settings.cache_clear()


def open_page(owner: str = "browser-default", **query) -> AppTest:
    return apptest.open_page(
        "pages/rag.py", query=query, state={"rag_owner": owner}, timeout=TIMEOUT
    )


def text_of(at: AppTest) -> str:
    return "\n".join(m.value for m in at.markdown)


def html_of(at: AppTest) -> str:
    return "\n".join(h.proto.body for h in at.get("html"))


def answers_of(at: AppTest) -> list[str]:
    """The answer boxes (HTML, so their citations are plain in-page links)."""
    bodies = [h.proto.body for h in at.get("html")]
    return [b for b in bodies if b.startswith('<div style="line-height:1.6">')]


def stores():
    from ui.rag_view import stores

    return stores()


def sources(owner: str) -> set[str]:
    return {d.source for d in stores().view(owner).kb.documents()}


def test_first_visit_answers_an_example_with_cited_scored_chunks():
    at = open_page()
    assert at.title[0].value == "RAG chat"
    assert "Where does Tom live?" in [t.value for t in at.text]
    body = html_of(at)
    assert "cosine similarity <b>0." in body and "toy_world.md" in body
    extractive = answers_of(at)[0]
    assert "Tom lives in Oslo." in extractive and "href='#rag-chunk-" in extractive  # cited
    assert answers_of(at)[1].startswith('<div style="line-height:1.6">Oslo')  # tiny-gpt
    assert "href='#rag-chunk-" in answers_of(at)[1]  # grounded: cited
    assert "RAG answer" in at.session_state["playground_outputs"]
    assert stores().starter.count() > 20
    assert any("Shared starter notes (read-only)" in c.value for c in at.caption)
    assert at.query_params["rag_k"] == "4" and at.query_params["rag_model"] == "tiny-gpt"


def test_url_state_restores_the_settings():
    at = open_page(rag_k="2", rag_hybrid="1", rag_threshold="0.3")
    assert at.slider(key="rag_k").value == 2 and at.toggle(key="rag_hybrid").value is True
    assert at.slider(key="rag_threshold").value == pytest.approx(0.3)
    assert "[3]</b>" not in html_of(at)  # at most two chunks listed
    assert at.dataframe, "hybrid shows the ranking table"


def test_asking_hybrid_and_threshold():
    at = open_page()
    at.chat_input(key="rag_ask").set_value("What is QLoRA?").run()
    assert not at.exception
    assert "What is QLoRA?" in [t.value for t in at.text] and "lora.md" in html_of(at)
    assert any("Earlier questions" in e.label for e in at.expander)
    at.toggle(key="rag_hybrid").set_value(True).run()
    assert any("BM25 rank" in list(d.value.columns) for d in at.dataframe)
    at.slider(key="rag_threshold").set_value(0.95).run()
    assert any("No chunk reaches the threshold" in i.value for i in at.info)
    assert any("nothing to quote" in a for a in answers_of(at))


def test_threshold_changes_neither_embed_nor_search(monkeypatch):
    """A threshold step filters the cached hits: no query, no embedding, no generation."""
    from core.rag import answering, store

    at = open_page(owner="browser-speed")
    calls = {"query": 0, "answer": 0}
    query, answer = store.KnowledgeBase.retrieve, answering.answer_from_hits

    def counting_query(self, *a, **kw):
        calls["query"] += 1
        return query(self, *a, **kw)

    def counting_answer(*a, **kw):
        calls["answer"] += 1
        return answer(*a, **kw)

    monkeypatch.setattr(store.KnowledgeBase, "retrieve", counting_query)
    monkeypatch.setattr(answering, "answer_from_hits", counting_answer)
    seconds = []
    for value in (0.2, 0.3, 0.35):  # all below the top chunks' scores: the same hits
        t0 = time.perf_counter()
        at.slider(key="rag_threshold").set_value(value).run()
        seconds.append(time.perf_counter() - t0)
        assert not at.exception
    assert calls == {"query": 0, "answer": 0}, calls
    assert "Tom lives in Oslo." in answers_of(at)[0]
    at.slider(key="rag_threshold").set_value(0.95).run()  # hits change: answers, no search
    assert calls["query"] == 0 and calls["answer"] >= 1
    print(f"threshold rerun: {min(seconds) * 1000:.0f} ms (min of {len(seconds)})")


def test_a_hybrid_turn_retrieves_once_and_its_table_ranks_the_listed_chunks(monkeypatch):
    """Three answers, the chunk list and the hybrid table of one question: one search."""
    from core.rag import store

    at = open_page(owner="browser-once", rag_hybrid="1", rag_threshold="0.1")
    calls = []
    retrieve = store.KnowledgeBase.retrieve

    def counting(self, question, *a, **kw):
        calls.append(question)
        return retrieve(self, question, *a, **kw)

    monkeypatch.setattr(store.KnowledgeBase, "retrieve", counting)
    question = "Which rank does RRF give a chunk found by BM25 only?"
    at.chat_input(key="rag_ask").set_value(question).run()
    assert not at.exception
    assert calls == [question], calls  # before: the hybrid table searched again, vector-only
    table = next(d.value for d in at.dataframe if "BM25 rank" in list(d.value.columns))
    listed = re.findall(r"<b>\[(\d+)\]</b> ([^<]+?) · chunk (\d+) ·", html_of(at))
    assert listed and [(int(r), f"{s} #{i}") for r, s, i in listed] == list(
        zip(table["rank"], table["chunk"], strict=True)
    )
    assert "[1]" in answers_of(at)[0]  # the extractive answer cites the listed chunks
    at.slider(key="rag_threshold").set_value(0.3).run()  # a threshold step: no search
    assert calls == [question] and not at.exception


def test_hostile_inputs_give_messages_and_keep_the_store():
    at = open_page()
    before = stores().starter.count()
    at.chat_input(key="rag_ask").set_value("   ").run()
    # chat_input never submits blank text; whatever arrives, no empty turn is added
    assert all(q.strip() for q in at.session_state["rag_history"]) and not at.exception
    at.selectbox(key="rag_model").set_value("smollm2-135m-instruct").run()
    assert any("Cannot load 'smollm2-135m-instruct'" in w.value for w in at.warning)
    at.button(key="rag_clear").click().run()
    assert at.session_state["rag_history"] == []
    assert any("chat is empty" in i.value for i in at.info)
    assert stores().starter.count() == before  # clearing the chat does not touch the store


def test_uploads_paste_and_reindex_go_to_this_browser_only():
    owner = "browser-uploads"
    at = open_page(owner=owner)
    starter = sources("someone-else")
    up = at.file_uploader[0]
    up.set_value(
        [
            ("notes.txt", b"Mitochondria is the powerhouse of the cell.", "text/plain"),
            ("blob.txt", b"\x00\x01\x02\x00", "text/plain"),
        ]
    )
    at.form_submit_button[0].click().run()
    assert not at.exception
    assert any("binary" in e.value for e in at.error)
    at.text_area(key="rag_paste_text").input("Photosynthesis turns light into sugar.")
    at.text_input(key="rag_paste_name").input("bio/plants.md")
    at.form_submit_button[1].click().run()
    assert sources(owner) == starter | {"notes.txt", "plants.md"}
    assert sources("someone-else") == starter  # the shared notes are untouched
    assert any("Yours: 2 documents added" in c.value for c in at.caption)
    at.chat_input(key="rag_ask").set_value("What is the powerhouse of the cell?").run()
    assert "notes.txt" in html_of(at)
    at.slider(key="rag_size").set_value(64).run()
    assert any("Re-index" in w.value for w in at.warning)
    at.button(key="rag_reindex").click().run()
    assert not at.exception and stores().view(owner).kb.chunking.size == 64
    assert stores().starter.chunking.size == 120  # re-chunking is this browser's view only
    assert any("Re-indexed" in s.value for s in at.success)
    assert any("re-chunked (size 64" in c.value for c in at.caption)
    at.button(key="rag_reset").click().run()
    assert sources(owner) == starter and stores().view(owner).shared


def test_two_browsers_never_see_each_others_documents():
    alice, bob = open_page(owner="browser-alice"), open_page(owner="browser-bob")
    alice.text_area(key="rag_paste_text").input("The zorblax password is kumquat-42.")
    alice.text_input(key="rag_paste_name").input("zorblax.md")
    alice.form_submit_button[1].click().run()
    alice.chat_input(key="rag_ask").set_value("What is the zorblax password?").run()
    assert "zorblax.md" in html_of(alice) and "kumquat-42" in answers_of(alice)[0]
    # bob: the remove picker lists his documents; retrieval never returns alice's
    assert "zorblax.md" in alice.selectbox(key="rag_remove_pick").options
    assert "zorblax.md" not in bob.selectbox(key="rag_remove_pick").options
    bob.chat_input(key="rag_ask").set_value("What is the zorblax password?").run()
    assert "zorblax" not in html_of(bob) and "kumquat" not in "".join(answers_of(bob))
    assert any("Shared starter notes" in c.value for c in bob.caption)
    # bob removes a starter note: alice still has it, the shared notes too
    bob.selectbox(key="rag_remove_pick").set_value(
        next(d for d in stores().starter.documents() if d.source == "lora.md")
    ).run()
    bob.button(key="rag_remove").click().run()
    assert "lora.md" not in sources("browser-bob")
    assert "lora.md" in sources("browser-alice") and "lora.md" in sources("browser-carol")
    again = open_page(owner="browser-alice")  # a reload: a new session, the same cookie
    again.chat_input(key="rag_ask").set_value("What is the zorblax password?").run()
    assert "zorblax.md" in html_of(again)


def test_untrusted_text_is_never_rendered_as_markdown():
    owner = "browser-hostile"
    at = open_page(owner=owner)
    at.text_area(key="rag_paste_text").input(HOSTILE)
    at.text_input(key="rag_paste_name").input("![p](http://127.0.0.1:9/n.png).md")
    at.form_submit_button[1].click().run()
    question = "What is the zorblax password? ![q](http://127.0.0.1:9/q.png)"
    at.chat_input(key="rag_ask").set_value(question).run()
    at.chat_input(key="rag_ask").set_value("What does Zorblax say?").run()  # now "earlier"
    at.slider(key="rag_size").set_value(64).run()  # chunk preview of the first document
    assert not at.exception
    rendered = [m.value for m in (*at.markdown, *at.caption, *at.success, *at.info, *at.warning)]
    for value in rendered:
        assert "](http" not in value and "<img" not in value.lower(), value
    body = html_of(at)
    assert "<img" not in body.lower() and "&lt;img" in body  # escaped, shown as characters
    assert not re.search(r"<a [^>]*href=['\"]http", body)
    shown = [t.value for t in at.text]
    assert any("![q](http://127.0.0.1:9/q.png)" in t for t in shown)  # the question, as text


def test_a_session_without_a_cookie_uses_its_own_session_id():
    at = apptest.open_page("pages/rag.py", timeout=TIMEOUT)  # no rag_owner: as on a first visit
    assert at.session_state["rag_owner"] == "test session id"  # AppTest's session id
    assert any("Shared starter notes" in c.value for c in at.caption)
