"""The RAG chat page under AppTest, on a knowledge base in a temporary data folder."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from core import settings
from tests.pages import apptest

TIMEOUT = 240


@pytest.fixture(scope="module", autouse=True)
def data_dir(tmp_path_factory):
    """Every test of this module shares one fresh store (the starter notes are indexed once)."""
    mp = pytest.MonkeyPatch()
    mp.setenv("GENAI_DATA_DIR", str(tmp_path_factory.mktemp("rag-data")))
    settings.get_settings.cache_clear()
    yield
    mp.undo()
    settings.get_settings.cache_clear()


def open_page(**query) -> AppTest:
    return apptest.open_page("pages/rag.py", query=query, timeout=TIMEOUT)


def text_of(at: AppTest) -> str:
    return "\n".join(m.value for m in at.markdown)


def answers_of(at: AppTest) -> list[str]:
    """The answer boxes (HTML, so their citations are plain in-page links)."""
    return [h.proto.body for h in at.get("html")]


def kb_count() -> int:
    from ui.rag_view import knowledge_base

    return knowledge_base("playground").count()


def test_first_visit_answers_an_example_with_cited_scored_chunks():
    at = open_page()
    assert at.title[0].value == "RAG chat"
    body = text_of(at)
    assert "Where does Tom live?" in body
    assert "cosine similarity <b>0." in body and "toy_world.md" in body
    extractive = answers_of(at)[0]
    assert "Tom lives in Oslo." in extractive and "href='#rag-chunk-" in extractive  # cited
    assert answers_of(at)[1].startswith('<div style="line-height:1.6">Oslo')  # tiny-gpt, grounded
    assert "RAG answer" in at.session_state["playground_outputs"]
    assert kb_count() > 20
    assert at.query_params["rag_k"] == "4" and at.query_params["rag_model"] == "tiny-gpt"


def test_url_state_restores_the_settings():
    at = open_page(rag_k="2", rag_hybrid="1", rag_threshold="0.3")
    assert at.slider(key="rag_k").value == 2 and at.toggle(key="rag_hybrid").value is True
    assert at.slider(key="rag_threshold").value == pytest.approx(0.3)
    assert "[3]</b>" not in text_of(at)  # at most two chunks listed
    assert at.dataframe, "hybrid shows the ranking table"


def test_asking_hybrid_and_threshold():
    at = open_page()
    at.chat_input(key="rag_ask").set_value("What is QLoRA?").run()
    assert not at.exception
    body = text_of(at)
    assert "What is QLoRA?" in body and "lora.md" in body
    assert any("Earlier questions" in e.label for e in at.expander)
    at.toggle(key="rag_hybrid").set_value(True).run()
    cols = list(at.dataframe[0].value.columns) if at.dataframe else []
    assert any("BM25 rank" in list(d.value.columns) for d in at.dataframe), cols
    at.slider(key="rag_threshold").set_value(0.95).run()
    assert any("No chunk reaches the threshold" in i.value for i in at.info)
    assert any("nothing to quote" in a for a in answers_of(at))


def test_hostile_inputs_give_messages_and_keep_the_store():
    at = open_page()
    before = kb_count()
    at.chat_input(key="rag_ask").set_value("   ").run()
    # chat_input never submits blank text; whatever arrives, no empty turn is added
    assert all(q.strip() for q in at.session_state["rag_history"]) and not at.exception
    at.text_input(key="rag_collection").input("class/notes").run()
    assert any("slashes" in e.value for e in at.error) and not at.exception
    at.selectbox(key="rag_model").set_value("smollm2-135m-instruct").run()
    assert any("Cannot load 'smollm2-135m-instruct'" in w.value for w in at.warning)
    at.button(key="rag_clear").click().run()
    assert at.session_state["rag_history"] == []
    assert any("chat is empty" in i.value for i in at.info)
    assert kb_count() == before  # clearing the chat does not touch the store


def test_uploads_paste_and_reindex():
    at = open_page()
    from ui.rag_view import knowledge_base

    n_docs = len(knowledge_base("playground").documents())
    up = at.file_uploader[0]
    up.set_value([("notes.txt", b"Mitochondria is the powerhouse of the cell.", "text/plain"),
                  ("blob.txt", b"\x00\x01\x02\x00", "text/plain")])  # fmt: skip
    at.form_submit_button[0].click().run()
    assert not at.exception
    assert any("binary" in e.value for e in at.error)
    at.text_area(key="rag_paste_text").input("Photosynthesis turns light into sugar.")
    at.text_input(key="rag_paste_name").input("bio/plants.md")
    at.form_submit_button[1].click().run()
    sources = {d.source for d in knowledge_base("playground").documents()}
    assert {"notes.txt", "plants.md"} <= sources and len(sources) == n_docs + 2
    at.chat_input(key="rag_ask").set_value("What is the powerhouse of the cell?").run()
    assert "notes.txt" in text_of(at)
    at.slider(key="rag_size").set_value(64).run()
    assert any("Re-index" in w.value for w in at.warning)
    at.button(key="rag_reindex").click().run()
    assert not at.exception and knowledge_base("playground").chunking.size == 64
    assert any("Re-indexed" in s.value for s in at.success)
