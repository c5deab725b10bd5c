"""The prompt-shot page under AppTest: defaults, widgets, hostile input, predict-then-reveal."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from core.prompting import load_task
from tests.pages.apptest import metrics as _metrics
from tests.pages.apptest import open_page

PAGE = "pages/prompting.py"


def _open(**state) -> AppTest:
    return open_page(PAGE, state=state, timeout=300)


@pytest.fixture(scope="module")
def default_page() -> AppTest:
    return _open()


def test_defaults_show_three_prompts_metrics_chart_and_table(default_page):
    at = default_page
    assert at.title[0].value == "Prompt-shot comparison"
    metrics = _metrics(at)
    assert set(metrics) == {"zero-shot accuracy", "one-shot accuracy", "few-shot accuracy"}
    assert all(v.endswith("%") for v in metrics.values())
    assert len(at.get("plotly_chart")) == 1
    table = at.dataframe[0].value
    assert len(table) == 22 and {"gold", "zero-shot", "few-shot conf."} <= set(table.columns)
    assert at.query_params["prompting_task"] == "translation"


def test_few_shot_beats_zero_shot_on_the_default_task(default_page):
    m = _metrics(default_page)
    zero, few = (int(m[f"{v} accuracy"].rstrip("%")) for v in ("zero-shot", "few-shot"))
    assert few - zero >= 20


def test_predict_then_reveal_answers_from_the_measurement(default_page):
    at = default_page
    at.radio(key="prompting_predict_guess").set_value("Few-shot wins by > 10 points").run()
    at.button(key="prompting_predict_reveal").click().run()
    shown = [s.value for s in at.success] + [i.value for i in at.info]
    assert any("Measured just now" in s for s in shown), shown
    assert not at.error


def test_changing_task_and_k_updates_the_page():
    at = _open(
        prompting_task="sentiment", prompting_k=2, prompting_instruction=True, prompting_draws=1
    )
    assert len(at.dataframe[0].value) == 60
    assert "Label each review" in " ".join(h.proto.body for h in at.get("html"))
    assert at.query_params["prompting_k"] == "2"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "at least two"),
        ("only one => line", "at least two"),
        ("no arrow\nstill none", "has no '=>'"),
        ("a => x\nb => x", "same output"),
    ],
)
def test_unusable_custom_examples_are_a_clear_message(text, message):
    at = _open(prompting_task="custom", prompting_custom=text)
    assert any(message in w.value for w in at.warning), [w.value for w in at.warning]
    assert not at.metric


def test_custom_task_with_k_larger_than_its_examples():
    at = _open(
        prompting_task="custom",
        prompting_k=8,
        prompting_draws=1,
        prompting_custom="hot => cold\nup => down\nday => night\nbad line",
    )
    assert any("Line 4" in w.value for w in at.warning)
    assert any("has 1 example" in i.value for i in at.info)
    assert len(at.dataframe[0].value) == 2


def test_unknown_hub_model_offline_is_a_clear_message():
    at = _open(prompting_model="someone/not-a-model")
    assert any("offline model 'tiny-gpt'" in e.value for e in at.error)
    assert not at.metric


def _notice(at: AppTest) -> list[str]:
    box = [m.value for m in at.markdown if m.value.startswith("- ")]
    return box[-1].split("\n") if box else []


def test_a_real_gain_is_an_up_arrow_and_the_notice_says_so(default_page):
    at = default_page
    few = next(m for m in at.metric if m.label == "few-shot accuracy")
    assert "pts vs zero-shot (p = " in few.proto.delta and few.proto.direction == 1  # UP
    zero = _metrics(at)["zero-shot accuracy"]
    first = _notice(at)[0]
    assert first.startswith(f"- Zero-shot {zero} -> 4-shot {few.value}")
    assert "the examples show the model which answers are wanted" in first


def test_no_difference_is_noise_not_a_green_arrow():
    # the default custom task: 6 items on which tiny-gpt scores the same with or without shots
    at = _open(prompting_task="custom", prompting_draws=1)
    m = _metrics(at)
    few = next(x for x in at.metric if x.label == "few-shot accuracy")
    if m["few-shot accuracy"] == m["zero-shot accuracy"]:
        assert few.proto.delta == "±0 pts vs zero-shot"
    assert few.proto.direction == 2 and few.proto.color == 2  # no arrow, grey
    notice = " ".join(_notice(at))
    assert "within noise" in notice and "show the model which answers" not in notice
    assert "With one shot draw there is no spread to see" in notice
    assert "instruction" not in notice  # this task has none: no sentence about it


def test_a_control_change_scores_only_the_new_prompts(default_page):
    from ui.prompting_view import score_cache

    at, cache = default_page, score_cache()
    before = len(cache)
    at.slider(key="prompting_k").set_value(5).run()
    assert not at.exception
    assert len(cache) - before == 22 * 4  # k = 5 for the 4 draws; every other prompt is reused
    at.slider(key="prompting_k").set_value(4).run()
    assert len(cache) - before == 22 * 4  # back to k = 4: nothing new


def test_no_spread_is_said_plainly_not_as_zero_points():
    at = _open(prompting_task="custom", prompting_draws=3)
    notice = " ".join(_notice(at))
    assert "by 0 points" not in notice and "up to 0 points" not in notice


def _run(k: int, correct: list[bool]):
    from core.prompting import ItemScore, ShotRun

    items = tuple(
        ItemScore(i, "a", ("a", "b"), (0.0, -1.0), (0.7, 0.3) if c else (0.3, 0.7), 10)
        for i, c in enumerate(correct)
    )
    return ShotRun(k, 0, tuple(range(k)), items, 0)


@pytest.mark.parametrize(
    ("zero", "few", "delta", "verdict"),
    [
        (
            [True] + [False] * 4,
            [False] * 5,
            "-20 pts vs zero-shot: noise (p = 1.00)",
            "within noise",
        ),
        ([False] * 12, [True] * 12, "+100 pts vs zero-shot (p = 0.000)", "show the model"),
        ([True] * 12, [False] * 12, "-100 pts vs zero-shot (p = 0.000)", "worse, not better"),
    ],
)
def test_notice_and_delta_follow_the_paired_test(zero, few, delta, verdict):
    """The issue's case: a task going 20% -> 0% must not read "the examples help"."""
    from core.prompting import ShotSweepResult
    from ui import prompting_view as view

    runs = {"zero-shot": _run(0, zero), "one-shot": _run(1, few), "few-shot": _run(4, few)}
    sweep = ShotSweepResult("t", "m", False, 256, (0, 1, 4), (0,), tuple(runs.values()))
    task = load_task("translation")
    assert view.versus_zero(runs["few-shot"], runs["zero-shot"]).text == delta
    first = view.notice_points(task, runs, sweep, 4, False)[0]
    assert verdict in first and (verdict == "show the model") == ("examples show" in first)


# --- an encoder-decoder: the shots go into tiny-t5's source -------------------------------------
def test_tiny_t5_scores_the_prompts_as_its_sources():
    from core import models
    from core.prompting import evaluate_shots
    from ui.prompting_view import SEQ2SEQ_NOTE

    at = _open(prompting_model="tiny-t5", prompting_draws=1, prompting_generate=True)
    assert not at.exception, [e.value for e in at.exception]
    assert SEQ2SEQ_NOTE in [c.value for c in at.caption]
    bars = [b.proto.text for b in at.get("progress")]
    assert any("tokens the encoder reads (end token included" in t for t in bars), bars
    t5 = models.load_seq2seq("tiny-t5")
    want = evaluate_shots(
        load_task("translation"), t5, ks=(0, 1, 4), seeds=(0,), generate=True, instruction=False
    )
    m = _metrics(at)
    for label, k in (("zero-shot", 0), ("one-shot", 1), ("few-shot", 4)):
        assert m[f"{label} accuracy"] == f"{want.run(k, 0).accuracy:.0%}"
    table = at.dataframe[0].value
    assert len(table) == 22 and "few-shot generated" in table.columns
    assert "Greedy generation exact match" in " ".join(c.value for c in at.caption)


def test_tiny_t5_with_unusable_custom_examples_is_a_clear_message():
    at = _open(prompting_model="tiny-t5", prompting_task="custom", prompting_custom="no arrow")
    assert any("at least two" in w.value for w in at.warning), [w.value for w in at.warning]
    assert not at.metric and not at.exception


def test_a_hub_seq2seq_model_offline_is_a_clear_message():
    at = _open(prompting_model="flan-t5-small")
    assert any("tiny-t5" in e.value for e in at.error), [e.value for e in at.error]
    assert not at.metric and not at.exception
