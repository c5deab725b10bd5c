"""The frame: every page of the navigation renders under AppTest with no exception."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import ROOT
from tests.pages.apptest import open_page
from ui import navigation

PAGES = [p.path for p in navigation.PAGES]


def test_home_lists_the_lifecycle_and_the_offline_badge():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    assert not at.exception
    assert at.title[0].value == "GenAI Playground"
    body = " ".join(m.value for m in at.markdown)
    stages = [stage for stage in navigation.stages() if stage != navigation.HOME.stage]
    assert [s for s in stages if f"**{s}**" not in body] == []
    assert body.index("Select a model") < body.index("Fine-tune") < body.index("retrieval")
    assert any("Offline" in m.value for m in at.sidebar.markdown)
    assert [s.label for s in at.sidebar.selectbox][:3] == [
        "Generator (causal LM)",
        "Encoder (attention, embeddings)",
        "Tokenizer",
    ]


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


def test_sidebar_and_home_share_one_order():
    """The sidebar's sections are Home's stages, each page once, in the registry's order."""
    paths = [p.path for p in navigation.PAGES]
    assert len(paths) == len(set(paths))
    assert sorted(paths) == sorted(str(p.relative_to(ROOT)) for p in (ROOT / "pages").glob("*.py"))
    seen = [p.stage for p in navigation.PAGES]
    assert seen == sorted(seen, key=list(dict.fromkeys(seen)).index)  # stages are contiguous


@pytest.mark.parametrize(
    "page, role, key, pick",
    [
        ("pages/sampling.py", "causal-lm", "sampling_model", "gpt2"),
        ("pages/attention.py", "encoder", "attention_model", "bert-base-uncased"),
    ],
)
def test_sidebar_pick_reaches_the_page_already_open(page, role, key, pick):
    at = open_page(page)
    assert at.session_state[key] != pick
    at.sidebar.selectbox(key=f"sidebar_{role}").set_value(pick).run()
    assert at.session_state[key] == pick
    assert not at.exception
    shown = " ".join(e.value for e in at.error)
    assert pick in shown  # offline here: the page says the hub model cannot load, and why
