"""The model-families page under AppTest: the three cards, the bars, the masks and the item
table agree with each other, the task and sliders rerun it, a link restores it, and a link with
impossible values opens the page clean."""

from __future__ import annotations

import dataclasses

import pytest

from core.families import FAMILIES, FamiliesConfig
from core.knobs import spec
from tests.pages.apptest import open_page
from ui import families_view as view

PAGE = "pages/families.py"


def _text(at) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption]
    parts += [x.value for x in (*at.info, *at.warning, *at.error, *at.success)]
    return "\n".join(parts)


def _table(at):
    (df,) = [d.value for d in at.dataframe]
    return df


def _accuracies(at) -> list[str]:
    return [m.value for m in at.metric if m.label == "Accuracy"]


@pytest.fixture(scope="module")
def page():
    return open_page(PAGE)


def test_the_default_page_shows_three_families_on_the_same_items(page):
    at = page
    n = spec(FamiliesConfig, "n_items").default
    df = _table(at)
    assert len(df) == n
    assert len(_accuracies(at)) == 3
    assert [m.label for m in at.metric].count("Median ms per item") == 3
    assert [m.label for m in at.metric].count("Parameters") == 3
    cols = [c for c in df.columns if any(c.startswith(view.TITLES[f] + " (") for f in FAMILIES)]
    assert len(cols) == 3
    # each card's accuracy is the share of ticks in its column of the table
    for col, shown in zip(cols, _accuracies(at), strict=True):
        ticks = sum(str(v).startswith("✓") for v in df[col])
        assert shown == f"{ticks / n:.0%}", (col, shown)
    text = _text(at)
    assert "Which family for which task?" in text
    assert "The rule of thumb" in text and "Measured just now" in text
    assert "Why the encoder only *picks* here" in text  # translation: the encoder cannot write
    assert "Lowest median time per item" in text
    # the bars, then the masks: 1 for the encoder, 1 for the decoder, 3 for the encoder-decoder
    assert sum(1 for e in at.get("plotly_chart")) == 1 + 1 + 1 + 3


def test_sentiment_with_fewer_items_and_no_shots_reruns_and_syncs_the_link(page):
    at = page
    at.selectbox(key="families_task").set_value("sentiment").run()
    at.slider(key="families_n_items").set_value(4).run()
    at.slider(key="families_k").set_value(0).run()
    assert not at.exception, [e.value for e in at.exception]
    df = _table(at)
    assert len(df) == 4 and set(df["reference"]) <= {"positive", "negative"}
    text = _text(at)
    assert "logistic regression" in text and "never saw an item it is scored on" in text
    assert "0-shot prompt" in text
    assert at.query_params["families_task"] == "sentiment"
    assert at.query_params["families_n_items"] == "4"


def test_a_link_restores_the_settings():
    at = open_page(
        PAGE, query={"families_task": "sentiment", "families_n_items": "3", "families_k": "1"}
    )
    assert at.selectbox(key="families_task").value == "sentiment"
    assert at.slider(key="families_n_items").value == 3
    assert at.slider(key="families_k").value == 1
    assert len(_table(at)) == 3


@pytest.mark.parametrize(
    "query",
    [
        {"families_n_items": "0"},
        {"families_n_items": "-5", "families_k": "99"},
        {"families_task": "summaries", "families_n_items": "many"},
    ],
)
def test_a_link_with_impossible_values_opens_clean_within_the_knobs(query):
    at = open_page(PAGE, query=query)
    n = at.slider(key="families_n_items").value
    k = at.slider(key="families_k").value
    n_knob, k_knob = spec(FamiliesConfig, "n_items"), spec(FamiliesConfig, "k")
    assert n_knob.lo <= n <= n_knob.hi and k_knob.lo <= k <= k_knob.hi
    assert at.selectbox(key="families_task").value in spec(FamiliesConfig, "task").choices
    assert len(_table(at)) == n
    assert "could not be used" in _text(at)


def test_a_bad_link_value_is_explained_with_the_engine_s_own_limit():
    at = open_page(PAGE, query={"families_n_items": "0"})
    assert "items must be between 1 and 60, got 0" in _text(at)
    at.run()  # the link was rewritten: said once
    assert "could not be used" not in _text(at)


def test_predict_then_reveal_answers_with_the_measured_leader(page):
    at = page
    at.radio(key="families_predict_guess").set_value("A tie at the top").run()
    at.button(key="families_predict_reveal").click().run()
    shown = "\n".join(x.value for x in (*at.success, *at.info))
    assert "the most accurate" in shown or "All three got" in shown


def test_measure_again_times_the_items_anew(page):
    at = page
    before = [m.value for m in at.metric if m.label == "Median ms per item"]
    at.button(key="families_measure").click().run()
    assert not at.exception
    assert at.session_state["families_run"] >= 1
    after = [m.value for m in at.metric if m.label == "Median ms per item"]
    assert len(after) == 3 and after != before  # new wall times (equal to 0.1 ms: vanishingly rare)


def test_more_items_than_the_task_has_says_so():
    at = open_page(PAGE, query={"families_task": "translation", "families_n_items": "30"})
    assert "held-out items: all of them are used" in _text(at)
    assert len(_table(at)) == 22  # assets/tasks/translation.json


def _with_hits(r, hits: dict[str, int]):
    """``r`` with each family's first ``hits[f]`` items right and the rest wrong."""
    runs = []
    for run in r.runs:
        n = len(run.correct)
        ok = tuple(i < hits[run.family] for i in range(n))
        runs.append(dataclasses.replace(run, correct=ok))
    return dataclasses.replace(r, runs=tuple(runs))


@pytest.fixture(scope="module")
def measured():
    from core import models
    from core.families import compare_families

    loaded = (
        models.load_embedder("minilm"),
        models.load_causal_lm("tiny-gpt"),
        models.load_seq2seq("tiny-t5"),
    )
    return compare_families(FamiliesConfig(task="translation", n_items=4, k=1), *loaded)


@pytest.mark.parametrize(
    ("hits", "says", "never"),
    [
        ({"encoder": 1, "decoder": 2, "encoder-decoder": 4}, "agrees with the rule", "do not back"),
        ({"encoder": 1, "decoder": 4, "encoder-decoder": 4}, "ties for the top", "agrees"),
        ({"encoder": 1, "decoder": 4, "encoder-decoder": 2}, "do not back the rule", "agrees"),
        ({"encoder": 4, "decoder": 4, "encoder-decoder": 4}, "All three got 100%", "agrees"),
    ],
)
def test_the_verdict_follows_the_numbers_never_the_rule_alone(measured, hits, says, never):
    r = _with_hits(measured, hits)  # translation: the rule's pick is the encoder-decoder
    text = "\n".join(view.verdict_points(r))
    assert says in text and never not in text
    assert f"{max(x.accuracy for x in r.runs):.0%}" in text  # the measured figure, not the rule
