"""The Sampling sliders page under AppTest: sliders re-filter, step-by-step, hostile input, URL."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from core import models
from tests.pages.apptest import open_page

PAGE = "pages/sampling.py"
V = models.load_causal_lm("tiny-gpt").model.config.vocab_size
ALL, ONE = f"{V:,}", "1"


def _open(**query) -> AppTest:
    return open_page(PAGE, query=query, timeout=120)


def _metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label.startswith(label))


def _picker(at: AppTest):
    return next(b for b in at.selectbox if b.label == "Step to change")


def _alternatives(at: AppTest):
    return next(b for b in at.button_group if b.label.startswith("Continue from an alternative"))


def _click(at: AppTest, label: str) -> AppTest:
    return next(b for b in at.button if b.label == label).click().run()


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
    assert _picker(page).value == len(steps) - 1
    # click an alternative at step 2: the text continues from it, later steps are dropped
    alt = next(a[0] for a in steps[1].alternatives if a[0] != steps[1].token_id)
    _picker(page).set_value(1).run()
    _alternatives(page).set_value(alt).run()
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
    assert _metric(at, "★ Drawn (seed 7, draw 1)")


def test_the_sliders_and_the_link_take_the_engine_ranges():
    """One home per knob: widgets and link bounds are SamplingConfig's; the repetition penalty
    has its own range (it used to be bounded by the temperature's maximum)."""
    from core.knobs import spec
    from core.sampling import SamplingConfig

    at = _open(sampling_temperature="2.5", sampling_penalty="2.5", sampling_top_k="100001")
    assert not at.exception, [e.value for e in at.exception]
    assert at.slider(key="sampling_temperature").value == 2.5  # the top of the range
    assert at.slider(key="sampling_penalty").value == 1.0  # out of range: the default
    assert at.number_input(key="sampling_top_k").value == 0
    for name, key in [
        ("temperature", "sampling_temperature"),
        ("repetition_penalty", "sampling_penalty"),
    ]:
        k, widget = spec(SamplingConfig, name), at.slider(key=key)
        assert (widget.min, widget.max, widget.step, widget.help) == (k.lo, k.hi, k.step, k.help)
    for name in ("top_k", "seed"):
        k, widget = spec(SamplingConfig, name), at.number_input(key=f"sampling_{name}")
        assert (widget.min, widget.max) == (k.lo, k.hi)


def test_hub_model_offline_is_a_clear_message():
    at = _open()
    at.selectbox(key="sampling_model").set_value("gpt2").run()
    assert not at.exception
    assert "tiny-gpt" in " ".join(e.value for e in at.error)


def _story(at: AppTest) -> list[int]:
    return [s.token_id for s in at.session_state["sampling_steps"]]


def test_a_link_with_list_values_reopens_the_compare_panel():
    """Issue 9: list values came back from the URL as strings and killed the compare panel."""
    link = _open()
    link.multiselect(key="sampling_cmp_temps").set_value([0.3, 1.5]).run()
    link.slider(key="sampling_top_p").set_value(0.9).run()
    query = {k: link.query_params[k] for k in link.query_params}
    assert query["sampling_cmp_temps"] in (["0.3", "1.5"], ("0.3", "1.5"))
    at = _open(**query)
    assert not at.exception
    assert at.multiselect(key="sampling_cmp_temps").value == [0.3, 1.5]
    columns = [m.value for m in at.markdown if m.value.startswith("**temperature")]
    assert columns == ["**temperature 0.3**", "**temperature 1.5**"]
    shared = next(c.value for c in at.caption if c.value.startswith("Same prompt"))
    assert "top-p 0.9" in shared and "temperature" not in shared.split("generated:")[1]
    bad = _open(
        sampling_cmp_temps=["0.7", "x", "9", "0.3", "1", "1.5", "2"],
        sampling_cmp_by="seed",
        sampling_cmp_seeds=["3", "x", "12", "3"],
    )
    assert not bad.exception
    assert bad.multiselect(key="sampling_cmp_seeds").value == [3]


def test_sample_one_token_n_times_gives_the_text_of_generate_n():
    one = _open(sampling_seed="5", sampling_temperature="1.2")
    for k in range(6):
        _click(one, "Sample one token")
        assert _metric(one, f"★ Drawn (seed 5, draw {k + 2})")  # the next draw, from seed 5
    together = _open(sampling_seed="5", sampling_temperature="1.2")
    together.slider(key="sampling_n").set_value(6).run()
    _click(together, "Generate N")
    assert not one.exception and not together.exception
    assert _story(one) == _story(together) and len(_story(one)) == 6
    assert one.number_input(key="sampling_seed").value == 5  # the label states this seed


def test_compare_caption_states_the_settings_it_was_generated_with():
    """AppTest reruns the whole page (the compare panel with it): the caption follows at once.
    In a browser only the sliders' fragment reruns: tests/e2e checks the note and Refresh."""
    at = _open()
    at.slider(key="sampling_top_p").set_value(0.5).run()
    shared = next(c.value for c in at.caption if c.value.startswith("Same prompt"))
    assert "top-p 0.5" in shared
    assert not [c.value for c in at.caption if "sliders now differ" in c.value]
    _click(at, "Refresh with the current sliders")
    assert not at.exception


def test_alternative_buttons_show_real_probabilities():
    at = _open()
    _click(at, "Sample one token")
    labels = [_alternatives(at).format_func(o) for o in _alternatives(at).options]
    steps = at.session_state["sampling_steps"]
    assert labels and all("· " in lab for lab in labels)
    shown = [a for a in steps[0].alternatives if a[0] != steps[0].token_id]
    assert not all(lab.endswith("· 0%") for lab in labels)
    assert all(("<0.1%" in lab) == (a[2] < 0.001) for lab, a in zip(labels, shown, strict=True))


def test_clearing_and_resampling_keeps_the_pickers_valid():
    """Same number of steps, other tokens: the step picker's labels change under it."""
    at = _open(sampling_temperature="1.5")
    for seed in (1, 2, 3):
        at.number_input(key="sampling_seed").set_value(seed).run()
        _click(at, "Clear")
        for _ in range(3):
            _click(at, "Sample one token")
        assert not at.exception
        assert _picker(at).value == 2 and len(_story(at)) == 3


def test_a_prompt_too_long_for_the_link_is_said_and_the_link_keeps_the_rest():
    at = _open()
    at.slider(key="sampling_temperature").set_value(0.7)
    at.text_area(key="sampling_prompt").input("The cat sat on the mat. " * 80).run()
    assert not at.exception
    assert "too long for the link" in _texts(at)
    assert "sampling_prompt" not in at.query_params
    assert at.query_params["sampling_temperature"] in ("0.7", ["0.7"])


# --- an encoder-decoder (tiny-t5): the prompt is the encoder's source ----------------------------
def _t5(**query) -> AppTest:
    at = _open(**query)
    at.selectbox(key="sampling_model").set_value("tiny-t5").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_tiny_t5_reads_the_prompt_as_its_source_and_offers_its_task_formats():
    from ui import sampling_view as view

    at = _t5()
    assert at.text_area(key="sampling_prompt").value == view.SEQ2SEQ_DEFAULT
    assert at.selectbox(key="sampling_example").options == ["", *view.SEQ2SEQ_EXAMPLES]
    t5 = models.load_seq2seq("tiny-t5")
    assert _metric(at, "Tokens in the running") == f"{len(t5.tokenizer):,}"
    assert "source" in _texts(at)
    heading = next(m.value for m in at.markdown if m.value.startswith("**Next output token"))
    assert "<pad>" in heading  # the decoder starts from its start token, not the prompt's end
    at.selectbox(key="sampling_example").set_value("Summarize (seq2seq)").run()
    assert at.text_area(key="sampling_prompt").value.startswith("summarize: ")
    # back to tiny-gpt: an untouched seq2seq example gives way to a story again
    at.selectbox(key="sampling_model").set_value("tiny-gpt").run()
    assert at.text_area(key="sampling_prompt").value == view.DEFAULT_PROMPT


def _cut(ids, eos=1):
    """``ids`` up to and including the first end-of-text token (where Generate N stops)."""
    return list(ids[: ids.index(eos) + 1]) if eos in ids else list(ids)


def test_tiny_t5_step_through_and_generate_n_write_the_same_decoder_text():
    """One token at a time (seeded, with every filter) == Generate N == core.generate on the
    source: the output is the decoder's text, not a continuation of the prompt."""
    from core.generation import generate
    from core.sampling import SamplingConfig

    q = dict(sampling_seed="3", sampling_temperature="1.2", sampling_top_k="40")
    q |= dict(sampling_top_p="0.95", sampling_min_p="0.01", sampling_penalty="1.2")
    one = _t5(**q)
    for _ in range(8):  # "Sample one token" goes on past an end-of-text token, if asked
        _click(one, "Sample one token")
    together = _t5(**q)
    together.slider(key="sampling_n").set_value(4).run()
    _click(together, "Generate N")
    assert not one.exception and not together.exception
    t5 = models.load_seq2seq("tiny-t5")
    src = t5.tokenizer.encode(together.text_area(key="sampling_prompt").value)
    cfg = SamplingConfig(
        temperature=1.2, top_k=40, top_p=0.95, min_p=0.01, repetition_penalty=1.2, seed=3
    )
    stream = list(generate(t5.model, src, cfg, max_new_tokens=8).token_ids)
    assert _story(one) == stream
    first = _cut(stream[:4])
    assert _story(together) == first
    text = together.session_state["playground_outputs"]["Sampling: generated text"]
    assert text == t5.tokenizer.decode(first) and not text.startswith("translate")
    # four more: Generate N goes on from the decoder's text so far, with the next draws
    _click(together, "Generate N")
    assert _story(together) == first + _cut(stream[len(first) : len(first) + 4])


def test_tiny_t5_greedy_and_the_compare_panel():
    at = _t5(sampling_temperature="0")
    assert _metric(at, "Tokens in the running") == ONE
    _click(at, "Generate N")
    t5 = models.load_seq2seq("tiny-t5")
    src = t5.tokenizer.encode(at.text_area(key="sampling_prompt").value)
    greedy = t5.model.generate(__import__("torch").tensor([src]), max_new_tokens=30)
    assert _story(at) == greedy[0, 1:].tolist()
    columns = [m.value for m in at.markdown if m.value.startswith("**temperature")]
    assert len(columns) == 3 and not at.exception


@pytest.mark.parametrize(
    "prompt, expected",
    [
        ("   ", "The source is empty"),
        ("summarize: " + "The cat sat on the mat. " * 60, "kept the first 192 tokens"),
    ],
    ids=["empty", "longer-than-the-encoder-reads"],
)
def test_tiny_t5_hostile_sources_give_clear_messages(prompt, expected):
    at = _t5()
    at.text_area(key="sampling_prompt").input(prompt).run()
    assert not at.exception
    assert expected in _texts(at)


def test_the_chart_escapes_token_labels_plotly_would_read_as_html():
    """T5's </s> is an HTML closing tag to plotly: unescaped, its bar had no label at all."""
    import numpy as np

    from core.sampling import SamplingConfig, filter_distribution
    from ui import sampling_view as view

    tok = models.load_seq2seq("tiny-t5").tokenizer
    logits = np.zeros(len(tok), dtype=np.float32)
    logits[tok.eos_token_id], logits[tok.pad_token_id] = 5.0, 4.0
    fig = view.distribution_chart(
        filter_distribution(logits, SamplingConfig(temperature=0)), tok, 3
    )
    assert list(fig.data[0].x[:2]) == ["&lt;/s&gt; ★", "&lt;pad&gt;"]


def test_tiny_t5_what_to_notice_speaks_of_its_source():
    from ui import sampling_view as view

    at = _t5()
    notice = " ".join(m.value for m in at.markdown)
    assert "never continues its source" in notice and "*Translate*" in notice
    assert view.SEQ2SEQ_NOTICE.split(":")[0] not in " ".join(m.value for m in _open().markdown)


def test_a_hub_seq2seq_model_offline_is_a_clear_message():
    at = _open()
    at.selectbox(key="sampling_model").set_value("flan-t5-small").run()
    assert not at.exception
    assert "tiny-t5" in " ".join(e.value for e in at.error)
