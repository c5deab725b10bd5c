"""The tokenizer page under AppTest: counts from the real tokenizers, hostile input, URL state."""

from __future__ import annotations

import re

import pytest
from streamlit.testing.v1 import AppTest

from core.tokenizers import tokenize
from tests.pages import apptest

PAGE = "pages/tokenizer.py"


def open_page(**query) -> AppTest:
    return apptest.open_page(PAGE, query=query, timeout=180)


def stats(at: AppTest) -> list[dict[str, str]]:
    """The counts rows drawn by the page: one dict per tokenizer."""
    out = []
    for h in at.get("html"):
        cells = re.findall(r'class="v">([^<]*)</div><div class="k">([^<]*)<', h.proto.body)
        if cells:
            out.append({k: v for v, k in cells})
    return out


def chips(at: AppTest) -> list[str]:
    return [h.proto.body for h in at.get("html") if 'class="tokviz"' in h.proto.body]


def test_default_page_shows_counts_for_the_offline_tokenizers():
    at = open_page()
    rows = stats(at)
    assert len(rows) == 3  # cl100k_base, minilm, tiny-gpt
    text = at.session_state["tokenizer_text"]
    assert rows[0]["tokens"] == str(tokenize(text, "cl100k_base").n_tokens)
    assert rows[1]["tokens"] == str(tokenize(text, "minilm").n_tokens)
    assert at.dataframe, "the side-by-side table is missing"
    assert any("Most expensive here" in c.value for c in at.caption)


def test_text_and_views_render_the_real_ids():
    at = open_page(tokenizer_names=["cl100k_base"])
    at.text_area(key="tokenizer_text").input("unbelievable 👋").run()
    ids = tokenize("unbelievable 👋").ids
    assert stats(at)[0]["tokens"] == str(len(ids))
    at.segmented_control(key="tokenizer_view").set_value("ids").run()
    body = chips(at)[0]
    assert [int(x) for x in re.findall(r">(\d+)</span>", body)] == list(ids)
    at.segmented_control(key="tokenizer_view").set_value("bytes").run()
    assert "f0 9f" in chips(at)[0]  # the emoji's first bytes
    assert 'class="t normal partial"' in chips(at)[0]


def test_whitespace_toggle_marks_spaces():
    at = open_page(tokenizer_names=["cl100k_base"], tokenizer_text="a  b\tc")
    assert "·" not in chips(at)[0]
    at.toggle(key="tokenizer_ws").set_value(True).run()
    assert "·" in chips(at)[0] and "→" in chips(at)[0]


def test_typed_special_tokens_are_text_until_the_toggle_says_otherwise():
    at = open_page(
        tokenizer_names=["minilm", "cl100k_base"], tokenizer_text="hi [SEP] <|endoftext|>"
    )
    assert chips(at)[0].count('class="t special"') == 2  # only the inserted [CLS] and [SEP]
    assert 'class="t special"' not in chips(at)[1]
    assert stats(at)[1]["tokens"] == str(len(tokenize("hi [SEP] <|endoftext|>").ids))
    notes = " ".join(c.value for c in at.caption)
    assert "`[SEP]` typed in the text is read as ordinary characters" in notes
    assert "`<|endoftext|>` typed in the text is read as ordinary characters" in notes
    at.toggle(key="tokenizer_special").set_value(True).run()
    assert chips(at)[0].count('class="t special"') == 3  # [CLS], the typed [SEP], the final one
    assert chips(at)[1].count('class="t special"') == 1
    on = tokenize("hi [SEP] <|endoftext|>", parse_special=True)
    assert stats(at)[1]["tokens"] == str(on.n_tokens) and on.ids[-1] == 100257
    assert at.query_params["tokenizer_special"] == "1"


def test_chips_never_break_inside_a_token_and_newlines_break_the_line():
    at = open_page(tokenizer_names=["cl100k_base"], tokenizer_text="letters here\nnext line")
    body = chips(at)[0]
    assert "break-all" not in body and "display:inline-block;white-space:pre" in body
    labels = re.findall(r'title="[^"]*">([^<]*)</span>(<br>)?', body)
    assert [(t, br) for t, br in labels if br] == [("↵", "<br>")]  # the "\n" token, then a break
    assert "".join(t for t, _ in labels) == "letters here↵next line"


@pytest.mark.parametrize(
    ("text", "expect"),
    [
        ("", "Type some text"),
        ("   \n\t ", "Only whitespace"),
        ("bell\x07 null\x00 esc\x1b", None),
        ("x" * 1_000_000, "only the first"),
    ],
    ids=["empty", "whitespace", "controls", "1MB"],
)
def test_hostile_text_gets_a_message_not_a_traceback(text, expect):
    at = open_page(tokenizer_names=["cl100k_base", "minilm"])
    at.text_area(key="tokenizer_text").input(text).run()
    assert not at.exception, [e.value for e in at.exception]
    shown = " ".join(x.value for x in [*at.info, *at.warning])
    if expect:
        assert expect in shown
    if text.startswith("bell"):
        assert "\\x07" in chips(at)[0] and "\\x00" in chips(at)[0]


@pytest.mark.parametrize(
    ("hub", "message"),
    [("someone/unknown-tokenizer", "no network"), ("../../etc/passwd", "not a model name")],
)
def test_unknown_hub_tokenizer_offline_is_one_clear_message(hub, message):
    at = open_page(tokenizer_names=["cl100k_base"])
    at.text_input(key="tokenizer_hub").input(hub).run()
    assert not at.exception and not at.error
    assert [message in w.value for w in at.warning] == [True]  # one notice, no broken column
    assert len(stats(at)) == 1  # cl100k_base still renders
    assert [s.value for s in at.subheader] == ["cl100k_base"]


def test_url_state_round_trips():
    at = open_page(
        tokenizer_text="hello world",
        tokenizer_names=["minilm", "cl100k_base"],
        tokenizer_view="ids",
        tokenizer_ws="1",
        tokenizer_bpe_step="3",
    )
    assert at.session_state["tokenizer_names"] == ["minilm", "cl100k_base"]
    assert at.session_state["tokenizer_view"] == "ids" and at.session_state["tokenizer_ws"]
    assert at.session_state["tokenizer_bpe_step"] == 3
    at.text_area(key="tokenizer_text").input("new text").run()
    assert at.query_params["tokenizer_text"] == "new text"
    assert at.query_params["tokenizer_view"] == "ids"
    assert at.query_params["tokenizer_names"] == ["minilm", "cl100k_base"]
    bad = open_page(tokenizer_names=["nope"], tokenizer_view="weird", tokenizer_bpe_step="9999")
    assert bad.session_state["tokenizer_view"] == "text"
    assert bad.session_state["tokenizer_names"][0] == "cl100k_base"


@pytest.mark.parametrize(
    "raw, kept", [("5", 5), ("300", 300), ("120", 120), ("4", 60), ("301", 60), ("2.5", 60)]
)
def test_bpe_merges_slider_and_link_stay_in_the_page_range_inside_bpe_config(raw, kept):
    from core.knobs import spec
    from core.tokenizers import BpeConfig

    at = open_page(tokenizer_names=["cl100k_base"], tokenizer_bpe_merges=raw)
    assert not at.exception
    slider = at.slider(key="tokenizer_bpe_merges")
    k = spec(BpeConfig, "num_merges")
    assert (slider.min, slider.max, slider.value) == (5, 300, kept) and k.default == 60
    assert k.lo <= slider.min and slider.max <= k.hi  # the page offers less than BPE takes


def test_bpe_replay_follows_the_slider():
    at = open_page(tokenizer_names=["cl100k_base"])
    at.slider(key="tokenizer_bpe_step").set_value(1).run()
    assert any(m.value.startswith("**Merge 1:**") for m in at.markdown)
    at.slider(key="tokenizer_bpe_step").set_value(0).run()
    assert any(m.value.startswith("**Step 0:**") for m in at.markdown)
    at.text_area(key="tokenizer_bpe_text").input("").run()
    assert any("empty" in w.value for w in at.warning)
    at.text_area(key="tokenizer_bpe_text").input("abcdefg").run()
    assert any("No pair occurs twice" in w.value for w in at.warning)
    assert not at.exception


def test_predict_then_reveal_uses_the_live_count():
    at = open_page(tokenizer_names=["cl100k_base"])
    n = tokenize("unbelievable").n_tokens
    answer = str(n) if n < 4 else "4 or more"
    at.radio(key="tokenizer_predict_guess").set_value(answer).run()
    at.button(key="tokenizer_predict_reveal").click().run()
    assert any(s.value.startswith(f"Right: {answer}") for s in at.success)
    wrong = next(o for o in ["1", "2", "3", "4 or more"] if o != answer)
    at.radio(key="tokenizer_predict_guess").set_value(wrong).run()
    at.button(key="tokenizer_predict_reveal").click().run()
    assert not at.error  # a wrong guess is a neutral reveal, not an error box
    assert any(i.value.startswith(f"Not quite: you said {wrong}") for i in at.info)
