"""The attention page under AppTest: renders, filters, URL round trip, decoders, hostile input."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from tests.pages.apptest import open_page

PAGE = "pages/attention.py"


def _open(params: dict[str, str] | None = None) -> AppTest:
    return open_page(PAGE, query=params, timeout=180)


def _text(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption]
    parts += [x.value for x in (*at.info, *at.warning, *at.error, *at.success)]
    return "\n".join(parts)


def _charts(at: AppTest) -> list:
    return at.get("plotly_chart")


def test_default_page_shows_minilm_heads_and_the_summary():
    at = _open()
    body = _text(at)
    assert "**minilm**, encoder (bidirectional): 16 tokens · 6 layers × 12 heads" in body
    assert "every row sums to 1" in body and "What to notice" in body
    assert at.selectbox(key="attention_token").value == 10  # 'it' in the example sentence
    assert len(_charts(at)) == 5  # head, token bars, layer, model view, summary
    assert at.get("download_button")
    assert at.query_params["attention_model"] in ("minilm", ["minilm"])


def test_hide_special_says_renormalized_and_the_url_keeps_the_controls():
    at = _open()
    at.slider(key="attention_layer").set_value(4).run()
    at.slider(key="attention_head").set_value(7).run()
    at.toggle(key="attention_hide_special").set_value(True).run()
    assert not at.exception
    assert "renormalized" in _text(at)
    q = {k: (v if isinstance(v, str) else v[-1]) for k, v in at.query_params.items()}
    assert (q["attention_layer"], q["attention_head"], q["attention_hide_special"]) == (
        "4", "7", "1",
    )  # fmt: skip
    again = _open(q)  # the link reproduces the setup
    assert again.slider(key="attention_layer").value == 4
    assert again.slider(key="attention_head").value == 7
    assert again.toggle(key="attention_hide_special").value is True
    assert "renormalized" in _text(again)


def test_sentence_pair_offers_the_pair_filter():
    at = _open({"attention_pair": "It was late."})
    assert "21 tokens" in _text(at)
    seg = at.get("button_group")
    assert seg, "no pair filter"
    assert not at.exception


def test_decoder_shows_the_causal_mask_and_out_of_range_url_values_are_clamped():
    at = _open({"attention_model": "tiny-gpt", "attention_layer": "9", "attention_head": "9"})
    body = _text(at)
    assert "decoder (causal" in body and "Causal mask" in body
    assert "Largest weight above the diagonal in this head: 0.0" in body
    assert at.slider(key="attention_layer").value == 3  # tiny-gpt has 4 layers
    assert at.slider(key="attention_head").value == 3
    assert "Second sentence" not in " ".join(t.label for t in at.text_input)


def test_predict_then_reveal_is_measured_on_the_model():
    at = _open()
    at.radio(key="attention_predict_guess").set_value("animal").run()
    at.button(key="attention_predict_reveal").click().run()
    assert not at.exception
    assert "Measured on minilm, last layer, mean of 12 heads: animal:" in _text(at)


HOSTILE = [  # (what the user does, the message expected)
    ("", "Type some text"),
    (" \n\t  ", "Type some text"),
    ("bell\x07 and nul\x00 here", "Removed 2 control characters"),
    ("a" * 1_000_000, "only the first 20,000 are used"),  # 1 MB, one WordPiece [UNK]
]


def test_hostile_input_gets_clear_messages_and_no_traceback():
    at = _open()
    for text, expected in HOSTILE:
        at.text_area(key="attention_text").input(text).run()
        assert not at.exception, (text[:20], [e.value for e in at.exception])
        assert expected in _text(at), text[:20]
    # (lone surrogates cannot travel through a browser widget: tests/core covers them)
    at.selectbox(key="attention_model").set_value("Other hub id...").run()
    at.text_input(key="attention_custom").input("someone/unknown-model").run()
    assert not at.exception
    assert any("no network here" in e.value for e in at.error)
