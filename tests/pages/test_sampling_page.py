"""The Sampling sliders page under AppTest: sliders re-filter, step-by-step, hostile input, URL."""

from __future__ import annotations

import pytest
import torch
from streamlit.testing.v1 import AppTest

from core import models
from tests.pages.apptest import open_page

PAGE = "pages/sampling.py"
V = models.load_causal_lm("tiny-gpt").model.config.vocab_size
ALL, ONE = f"{V:,}", "1"


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    """One torch thread: two threads on a shared 2-core machine spin-wait for each other."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def _open(**query) -> AppTest:
    return open_page(PAGE, query=query, timeout=120)


def _metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label.startswith(label))


def _texts(at: AppTest) -> str:
    return " ".join(
        e.value for kind in ("info", "warning", "error", "caption") for e in getattr(at, kind)
    )


@pytest.fixture(scope="module")
def page() -> AppTest:
    return _open()


def test_default_prompt_shows_the_full_distribution(page):
    assert page.title[0].value == "Sampling sliders"
    assert page.get("plotly_chart")
    assert _metric(page, "Tokens in the running") == ALL
    assert "bits" in _metric(page, "Entropy: model")


def test_filters_cut_the_survivors_and_sync_the_url(page):
    page.number_input(key="sampling_top_k").set_value(5).run()
    assert _metric(page, "Tokens in the running") == "5"
    page.slider(key="sampling_top_p").set_value(0.0).run()
    assert _metric(page, "Tokens in the running") == ONE
    assert "top-p 0 keeps only" in _texts(page)
    assert page.query_params["sampling_top_k"] in ("5", ["5"])
    page.slider(key="sampling_top_p").set_value(1.0)
    page.number_input(key="sampling_top_k").set_value(5000).run()
    assert "not smaller than the vocabulary" in _texts(page)
    page.number_input(key="sampling_top_k").set_value(0).run()
    assert not page.exception


def test_greedy_and_step_by_step_generation(page):
    page.slider(key="sampling_temperature").set_value(0.0).run()
    assert _metric(page, "Tokens in the running") == ONE
    assert "greedy decoding" in _texts(page)
    next(b for b in page.button if b.label == "Sample one token").click().run()
    assert len(page.session_state["sampling_steps"]) == 1
    page.slider(key="sampling_n").set_value(4).run()
    next(b for b in page.button if b.label == "Generate N").click().run()
    steps = page.session_state["sampling_steps"]
    assert 2 <= len(steps) <= 5 and not page.exception
    assert page.session_state["playground_outputs"]["Sampling: generated text"]
    assert page.selectbox(key=f"sampling_pick_step_{len(steps)}").value == len(steps) - 1
    # click an alternative at step 2: the text continues from it, later steps are dropped
    alt = next(a[0] for a in steps[1].alternatives if a[0] != steps[1].token_id)
    page.selectbox(key=f"sampling_pick_step_{len(steps)}").set_value(1).run()
    page.button_group(key="sampling_alt_1").set_value(alt).run()
    steps = page.session_state["sampling_steps"]
    assert [s.token_id for s in steps][1:] == [alt] and not page.exception


@pytest.mark.parametrize(
    "prompt, expected",
    [
        ("   ", "The prompt is empty"),
        ("The cat sat on the mat. " * 120, "kept the last 256 tokens"),
    ],
    ids=["empty", "longer-than-context"],
)
def test_hostile_prompts_give_clear_messages(prompt, expected):
    at = _open()
    at.text_area(key="sampling_prompt").input(prompt).run()
    assert not at.exception
    assert expected in _texts(at)


def test_url_state_restores_the_sliders():
    at = _open(sampling_temperature="0.5", sampling_top_k="3", sampling_seed="7")
    assert at.slider(key="sampling_temperature").value == 0.5
    assert _metric(at, "Tokens in the running") == "3"
    assert _metric(at, "★ Drawn (seed 7)")


def test_hub_model_offline_is_a_clear_message():
    at = _open()
    at.selectbox(key="sampling_model").set_value("gpt2").run()
    assert not at.exception
    assert "tiny-gpt" in " ".join(e.value for e in at.error)
