"""The frame: every page of the navigation renders under AppTest with no exception."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import ROOT

PAGES = [
    "pages/home.py", "pages/tokenizer.py", "pages/attention.py", "pages/sampling.py",
    "pages/prompting.py", "pages/lora.py", "pages/quantization.py", "pages/rag.py",
    "pages/metrics.py",
]  # fmt: skip


def test_home_lists_the_lifecycle_and_the_offline_badge():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    assert not at.exception
    assert at.title[0].value == "GenAI Playground"
    body = " ".join(m.value for m in at.markdown)
    for step in ("Select a model", "Prompt", "Fine-tune", "Evaluate", "Optimize", "retrieval"):
        assert step in body
    assert any("Offline" in m.value for m in at.sidebar.markdown)
    assert [s.label for s in at.sidebar.selectbox][:3] == [
        "Generator (causal LM)", "Encoder (attention, embeddings)", "Tokenizer",
    ]  # fmt: skip


@pytest.mark.parametrize("path", PAGES)
def test_every_page_renders_without_exception(path):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180).run()
    at.switch_page(path).run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.title, f"{path} shows no title"


def test_frame_survives_reruns_and_page_switches():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180).run()
    at.run()
    assert [s.key for s in at.sidebar.selectbox][:1] == ["sidebar_causal-lm"]
    at.switch_page("pages/metrics.py").run()
    at.run()
    assert [s.key for s in at.sidebar.selectbox][:1] == ["sidebar_causal-lm"]


def test_sidebar_custom_hub_id_offline_is_a_clear_message():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180).run()
    at.sidebar.selectbox(key="sidebar_causal-lm").set_value("Other hub id...").run()
    at.sidebar.text_input(key="sidebar_causal-lm_custom").input("someone/some-model").run()
    assert not at.exception
    at.switch_page("pages/sampling.py").run()
    assert not at.exception
    shown = " ".join(e.value for e in at.error)
    assert "someone/some-model" in shown and "tiny-gpt" in shown
