"""The agents page under AppTest: four strategies with transcripts, step mode with an edited
observation, the held-out measurement, a custom question, and links."""

from __future__ import annotations

import pytest

from core.agents import LABELS, STRATEGIES
from tests.pages.apptest import open_page

PAGE = "pages/agents.py"


def _text(at) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption]
    parts += [x.value for x in (*at.info, *at.warning, *at.error, *at.success)]
    return "\n".join(parts)


@pytest.fixture(scope="module")
def page():
    return open_page(PAGE)


def test_four_strategies_each_with_a_transcript(page):
    at = page
    text = _text(at)
    for s in STRATEGIES:
        assert f"**{LABELS[s]}**" in text
    assert [t.label for t in at.tabs] == [LABELS[s] for s in STRATEGIES]
    prompts = [c.value for c in at.code]
    assert any(p.endswith("\nAnswer:") for p in prompts)  # the direct prompt, verbatim
    assert any("Program:" in p for p in prompts)
    assert "tokens written" in text


def test_step_mode_runs_edits_and_resets(page):
    at = page
    at.button(key="agents_step").click().run()
    assert not at.exception
    steps = at.dataframe[-1].value
    assert list(steps["step"]) == [1]
    if "agents_edit" in [t.key for t in at.text_input]:
        at.text_input(key="agents_edit").set_value("999999")
        at.button(key="FormSubmitter:agents_edit_form-Use this observation").click().run()
        assert not at.exception
        assert "999999 (edited)" in list(at.dataframe[-1].value["observation"])
        at.button(key="agents_step").click().run()
        assert len(at.dataframe[-1].value) == 2
    at.button(key="agents_run").click().run()
    assert any(k in _text(at) for k in ("Answered after", "Gave up", "Stopped"))
    at.button(key="agents_reset").click().run()
    assert "Answered after" not in _text(at) and "Gave up" not in _text(at)


def test_the_held_out_measurement_draws_the_curve_and_table(page):
    at = page
    at.slider(key="agents_n").set_value(2).run()
    at.button(key="agents_measure_go").click().run(timeout=300)
    assert not at.exception
    table = at.dataframe[-1].value
    assert len(table) == 4 * 3
    assert set(table["strategy"]) == {LABELS[s] for s in STRATEGIES}
    assert all(cell.endswith("/2)") for cell in table["accuracy"])


def test_a_custom_question_and_an_empty_one():
    at = open_page(PAGE, state={"agents_example": "custom"})
    assert "Type a question" in _text(at)
    at.text_area(key="agents_question").set_value(
        "Tom has 5 cups and buys 3 more. How many cups does Tom have now?"
    )
    at.text_input(key="agents_expected").set_value("8").run()
    assert not at.exception
    assert len([c for c in at.code]) >= 8  # prompt + text per strategy


def test_hostile_question_text_is_shown_not_run_as_markup():
    at = open_page(PAGE, state={"agents_example": "custom"})
    at.text_area(key="agents_question").set_value(
        "![x](http://evil) `` <script>alert(1)</script> 😀\u202e"
    ).run()
    assert not at.exception


def test_a_link_restores_the_settings_and_a_bad_one_opens_clean():
    at = open_page(PAGE, query={"agents_example": "lookup", "agents_max_steps": "3"})
    assert at.session_state["agents_example"] == "lookup"
    assert at.session_state["agents_max_steps"] == 3
    bad = open_page(PAGE, query={"agents_example": "nope", "agents_max_steps": "999"})
    assert bad.session_state["agents_example"] == "digits3"
    assert not bad.exception


def test_a_hub_instruct_model_offline_names_the_offline_alternative():
    at = open_page(PAGE, query={"agents_model": "qwen2.5-0.5b-instruct"}, check=False)
    assert not at.exception
    errors = " ".join(e.value for e in at.error)
    assert "tiny-gpt" in errors


def test_a_huge_question_in_a_link_opens_the_page_clean():
    at = open_page(PAGE, query={"agents_example": "custom", "agents_question": "Tom " * 3000})
    assert not at.exception
    assert len(at.session_state["agents_question"]) <= 400
