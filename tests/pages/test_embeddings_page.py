"""The Embeddings page under AppTest: every tab renders real numbers, links reopen a tab, and bad
input gets a clear message without losing the rest of the page."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from core import models
from core.embeddings import space
from core.knobs import spec
from tests.pages.apptest import open_page
from ui import embeddings_view as view

PAGE = "pages/embeddings.py"


def _open(**query) -> AppTest:
    return open_page(PAGE, query=query or None, timeout=180)


def _tab(at: AppTest, label: str) -> AppTest:
    at.session_state["embeddings_view"] = label
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _text(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption]
    parts += [x.value for x in (*at.info, *at.warning, *at.error, *at.success)]
    parts += [str(m.value) for m in at.metric] + [m.label for m in at.metric]
    return "\n".join(parts)


def _charts(at: AppTest) -> list:
    return at.get("plotly_chart")


def test_the_page_is_registered_after_the_tokenizer():
    from ui import navigation

    paths = [p.path for p in navigation.PAGES]
    assert paths.index("pages/tokenizer.py") < paths.index(PAGE) < paths.index("pages/attention.py")
    info = navigation.PAGES[paths.index(PAGE)]
    assert info.title == "Embeddings" and info.stage == "1. Select a model"


def test_the_token_map_shows_tiny_gpts_words_by_pca():
    at = _open()
    body = _text(at)
    assert "What to notice" in body and "projected by **PCA**" in body
    n = len(space.word_map(view.cached_space("tiny-gpt")).words)
    assert f"{n} words of the corpus world" in body
    assert len(_charts(at)) >= 1
    assert at.radio(key="embeddings_dims").value == 2
    k = spec(space.WordMapConfig, "method")
    assert at.selectbox(key="embeddings_method").options == [
        at.selectbox(key="embeddings_method").format_func(m) for m in k.choices
    ]


def test_search_rings_a_word_or_says_why_it_is_missing():
    at = _open()
    at.text_input(key="embeddings_search").input("oslo").run()
    assert "**Oslo** (cities) is ringed in red." in _text(at)
    at.text_input(key="embeddings_search").input("seven").run()
    assert "not on the map" in _text(at) and "4 tokens" in _text(at)
    at.selectbox(key="embeddings_model").set_value("minilm").run()
    at.text_input(key="embeddings_search").input("carrots").run()
    assert "cuts it into 2 tokens (carrot ##s)" in _text(at)
    assert not at.exception


def test_umap_says_which_projection_was_used():
    at = _open(embeddings_method="umap")
    body = _text(at)
    if space.umap_available():
        assert "projected by **UMAP**" in body
    else:
        assert "umap-learn is not installed" in body and "projected by **PCA**" in body


def test_three_d_map_and_the_link_reopen_the_same_view():
    at = _open(embeddings_dims="3", embeddings_model="minilm", embeddings_search="Tom")
    assert at.radio(key="embeddings_dims").value == 3
    assert "**Tom** (names) is ringed in red." in _text(at)
    fig = _charts(at)[0].proto.spec
    assert "scatter3d" in fig
    assert at.query_params["embeddings_model"] in ("minilm", ["minilm"])


def test_neighbours_and_the_analogy_with_its_honest_rank():
    at = _tab(_open(), "Neighbours & analogies")
    body = _text(at)
    r = space.analogy(view.cached_space("tiny-gpt"), "Paris", "France", "Italy", expected="Rome")
    assert "rank of “Rome”" in body and f"{r.rank:,}" in body
    assert "a, b and c themselves are left out" in body
    assert len(at.dataframe) == 2
    at.selectbox(key="embeddings_example").set_value("animal sounds").run()
    assert at.text_input(key="embeddings_a").value == "meow"
    assert "found: it is the top answer" in _text(at)


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("embeddings_word", "", "type a word"),
        ("embeddings_word", "two words", "several words"),
        ("embeddings_a", "🦜", None),
        ("embeddings_expected", "seven", "4 tokens"),
    ],
)
def test_bad_words_get_a_clear_message(key, value, message):
    at = _tab(_open(), "Neighbours & analogies")
    at.text_input(key=key).input(value).run()
    assert not at.exception
    body = _text(at)
    if message:
        assert message in body
    else:  # byte-level BPE spells anything: an emoji is several byte tokens, averaged
        assert "tokens" in body and "mean" in body


def test_an_unknown_word_in_minilm_is_refused_and_the_rest_stays():
    at = _tab(_open(embeddings_model="minilm"), "Neighbours & analogies")
    at.text_input(key="embeddings_word").input("🦜").run()
    assert "not in minilm's vocabulary" in _text(at)
    assert len(at.dataframe) == 1  # the analogy still stands


def test_sentences_matrix_map_and_the_rag_link():
    at = _tab(_open(), "Sentences")
    assert "Most alike" in _text(at) and len(_charts(at)) == 2
    assert any("vector search" in link.proto.label for link in at.get("page_link"))
    at.text_area(key="embeddings_sentences").input("just one sentence").run()
    assert "at least two sentences" in _text(at) and not at.exception
    # odd Unicode (lone surrogates cannot travel through a browser widget: tests/core has them)
    at.text_area(key="embeddings_sentences").input("東京 🦜\u200b\nthe cat\n\x07bell").run()
    body = _text(at)
    assert "control characters" in body and "Most alike" in body


def test_positions_tab_shows_the_formula_and_measured_neighbours():
    at = _tab(_open(), "Positions")
    assert at.latex and "10000" in at.latex[0].value
    assert "neighbouring positions have a mean cosine" in _text(at)
    assert len(_charts(at)) == 6
    at.slider(key="embeddings_positions").set_value(256).run()
    at.text_input(key="embeddings_pos_word").input("two words").run()
    assert "several words" in _text(at) and not at.exception


def test_forward_pass_lists_every_step_and_cuts_a_long_text():
    at = _tab(_open(), "Forward pass")
    lm = models.load_causal_lm("tiny-gpt")
    n_steps = 3 + 4 * lm.model.config.n_layer + 2
    assert len(at.dataframe) == 1 and len(at.dataframe[0].value) == n_steps
    assert "4 blocks of width 192" in _text(at)
    at.text_area(key="embeddings_text").input("Tom liked to play in the park. " * 100).run()
    assert "kept the last 256 tokens" in _text(at)
    at.text_area(key="embeddings_text").input("   ").run()
    assert "The prompt is empty" in _text(at) and not at.exception


def test_a_link_opens_the_forward_pass_tab_with_its_text():
    at = _open(
        embeddings_view="Forward pass",
        embeddings_text="Lily found a red ball",
        embeddings_top_k="3",
    )
    assert "tokens → 4 blocks" in _text(at)
    assert at.slider(key="embeddings_top_k").value == 3
    bad = _open(embeddings_view="Nope", embeddings_top_k="999", embeddings_dims="7")
    assert not bad.exception
    assert bad.radio(key="embeddings_dims").value == 2


def test_predict_then_reveal_measures_tiny_gpt():
    at = _open()
    at.radio(key="embeddings_predict_guess").set_value("an animal").run()
    at.button(key="embeddings_predict_reveal").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert "Measured in tiny-gpt's token table" in _text(at)


def test_a_hub_model_offline_is_a_message_in_place_and_the_other_tabs_stay():
    at = _open(embeddings_model="gpt2")
    assert not at.exception
    assert at.error and "gpt2" in at.error[0].value
    assert "What to notice" in _text(at)
    _tab(at, "Positions")
    assert "neighbouring positions have a mean cosine" in _text(at)


def test_a_pasted_text_in_a_word_box_is_refused_quickly():
    at = _tab(_open(), "Neighbours & analogies")
    at.text_input(key="embeddings_word").input("x" * 5000).run()
    assert "5,000 characters" in _text(at) and not at.exception
