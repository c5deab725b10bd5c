"""The attention page under AppTest: renders, filters, URL round trip, decoders, hostile input."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.element_tree import InitialValue

from tests.pages.apptest import open_page
from ui import attention_view as av

PAGE = "pages/attention.py"
FIRST = "The dog chased the cat because it was hungry."
SECOND = "My sister said that it would rain tomorrow in Paris."


class Browser:
    """Reruns an AppTest the way Chromium sends select boxes back: as the label on screen.

    AppTest sends the label of the widget's current value, formatted with the current options;
    a browser sends the label it shows, which only changes when the server pushes a new value.
    After the options change (another text, another model), that label may no longer exist:
    the case behind ``invalid literal for int() with base 10: '10: it'``.
    """

    def __init__(self, at: AppTest):
        self.at = at
        self.shown: dict[str, str] = {}
        self._remember()

    def _remember(self) -> None:
        for box in self.at.selectbox:
            if (box.id not in self.shown or box.proto.set_value) and box.index is not None:
                self.shown[box.id] = box.options[box.index]

    def run(self) -> AppTest:
        states = self.at._tree.get_widget_states()
        untouched = {b.id for b in self.at.selectbox if isinstance(b._value, InitialValue)}
        for w in states.widgets:
            if w.id in untouched and w.id in self.shown:
                w.string_value = self.shown[w.id]
        self.at._tree._runner._run(states, timeout=self.at.default_timeout)
        self._remember()
        return self.at


def _token(at: AppTest):
    return next(b for b in at.selectbox if b.label == "Selected token")


def _caption(at: AppTest) -> str:
    return next(c.value for c in at.caption if "layers ×" in c.value)


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
    assert _token(at).value == 10  # 'it' in the example sentence
    assert len(_charts(at)) == 2  # the open view only: the head and the token bars
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
        "4",
        "7",
        "1",
    )
    again = _open(q)  # the link reproduces the setup
    assert again.slider(key="attention_layer").value == 4
    assert again.slider(key="attention_head").value == 7
    assert again.toggle(key="attention_hide_special").value is True
    assert "renormalized" in _text(again)


def test_the_threshold_slider_and_link_stop_below_one_as_view_config_takes():
    for raw, kept in (("0.99", 0.99), ("0.2", 0.2), ("1.0", 0.0), ("0.995", 0.0), ("-0.1", 0.0)):
        at = _open({"attention_threshold": raw})
        assert not at.exception, raw
        slider = at.slider(key="attention_threshold")
        assert (slider.min, slider.max, slider.step) == (0.0, 0.99, 0.01)
        assert slider.value == kept and slider.label == "Threshold"
        assert slider.help == "Blank out weights below this value (display only)."


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
    ("word " * 400, "too long for the link"),  # 2,000 characters: the link keeps the rest
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


def _no_exception(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]


def test_two_texts_in_a_row_keep_a_valid_token():
    b = Browser(_open())
    for text, n, it in [(FIRST, 12, 7), (SECOND, 13, 5), (FIRST, 12, 7)]:
        b.at.text_area(key="attention_text").input(text)
        b.run()
        _no_exception(b.at)
        assert f"{n} tokens" in _caption(b.at)
        assert _token(b.at).value == it and b.at.session_state["attention_token"] == it
        assert f"**Token {it} `it`**" in _text(b.at)
    b.run()  # one more rerun with what the browser shows
    _no_exception(b.at)


def test_three_examples_in_a_row():
    b = Browser(_open())
    for name in [
        "Sentence pair (encoders)",
        "Repeated phrase (copy heads)",
        "Toy story (tiny-gpt's corpus)",
    ]:
        b.at.selectbox(key="attention_example").set_value(name)
        b.run()
        _no_exception(b.at)
        text, _ = av.EXAMPLES[name]
        assert b.at.text_area(key="attention_text").value == text
        i = _token(b.at).value
        assert 0 <= i < int(_caption(b.at).split(" tokens")[0].split()[-1])
    b.run()
    _no_exception(b.at)


def test_model_switch_then_sentence_b_relabels_the_selected_token():
    b = Browser(_open())
    _token(b.at).set_value(3)
    b.run()
    b.at.selectbox(key="attention_model").set_value("tiny-gpt")
    b.run()
    _no_exception(b.at)
    r = av.cached_attention(av.PRONOUN, None, "tiny-gpt")
    i = _token(b.at).value
    assert _token(b.at).options[_token(b.at).index] == f"{i}: {r.tokens[i]}"  # not stale
    b.at.selectbox(key="attention_model").set_value("minilm")
    b.run()
    b.at.text_input(key="attention_pair").input("It was very late.")
    b.run()
    _no_exception(b.at)
    assert "22 tokens" in _caption(b.at) and b.at.get("button_group")
    b.run()
    _no_exception(b.at)


def test_the_chosen_view_survives_a_layer_change():
    at = _open()
    at.session_state["attention_view"] = av.VIEWS[1]
    at.run()
    assert any("Layer 0: all 12 heads" in str(c.proto.spec) for c in _charts(at))
    at.slider(key="attention_layer").set_value(3).run()
    _no_exception(at)
    assert at.session_state["attention_view"] == av.VIEWS[1]
    assert any("Layer 3: all 12 heads" in str(c.proto.spec) for c in _charts(at))
    at.session_state["attention_view"] = av.VIEWS[3]
    at.run()
    assert at.selectbox(key="attention_metric") and not at.exception


# --- the encoder-decoder mode ---------------------------------------------------------------------
def _head_map(at: AppTest) -> tuple[str, list[str], list[str]]:
    """The one-head heatmap's title, column labels and row labels."""
    import json

    spec = json.loads(_charts(at)[0].proto.spec)
    return spec["layout"]["title"]["text"], spec["data"][0]["x"], spec["data"][0]["y"]


def _kind_box(at: AppTest):
    return next(g for g in at.get("button_group") if g.label == "Attention kind")


def test_tiny_t5_is_picked_and_the_three_kinds_switch():
    at = _open()
    assert "tiny-t5 (offline), encoder-decoder" in at.selectbox(key="attention_model").options
    at.selectbox(key="attention_model").set_value("tiny-t5").run()
    _no_exception(at)
    assert "Source (what the encoder reads)" in [t.label for t in at.text_area]
    assert "Target (what the decoder writes)" in [t.label for t in at.text_input]
    assert "Second sentence" not in " ".join(t.label for t in at.text_input)
    body = _text(at)
    assert "tiny-t5's own output" in body and "cross-attention" in body  # the default kind
    res = av.cached_seq2seq(av.S2S_SOURCE, None, "tiny-t5")
    S, T = res.encoder.n_tokens, res.decoder.n_tokens
    expected = {
        "encoder": (
            f"encoder self-attention (bidirectional: no mask): {S} source tokens",
            "No mask",
        ),
        "decoder": ("decoder self-attention (causal mask):", "upper triangle is empty"),
        "cross": (
            f"{T} target token{'s' if T != 1 else ''} × {S} source tokens",
            "looks at the source",
        ),
    }
    for kind in ("encoder", "decoder", "cross"):
        _kind_box(at).set_value(kind).run()
        _no_exception(at)
        caption, help_line = expected[kind]
        body = _text(at)
        assert caption in _caption(at) and help_line in body, kind
        assert at.query_params["attention_kind"] in (kind, [kind])
        r = res.part(kind)
        title, cols, rows = _head_map(at)
        assert title.startswith(f"tiny-t5: {kind}") and "layer 0, head 0" in title
        assert (cols, rows) == (av.plot_labels(r.key_labels()), av.plot_labels(r.labels()))
        assert "&lt;/s&gt;" in "".join(cols + rows)  # T5's end token, shown, not read as markup
    assert "Causal mask" not in _text(at)  # cross-attention has none
    _kind_box(at).set_value("decoder").run()
    assert "Causal mask" in _text(at)


def test_a_typed_target_is_teacher_forced_and_the_link_keeps_it():
    at = _open({"attention_model": "tiny-t5", "attention_kind": "cross"})
    at.text_input(key="attention_target").input("chat chien").run()
    _no_exception(at)
    body = _text(at)
    assert "**Target typed**: `chat chien`" in body
    assert "3 target tokens × 8 source tokens" in _caption(at)
    _, cols, rows = _head_map(at)
    assert rows[1] == "1 chat → chien" and len(cols) == 8  # each row names what it writes
    q = {k: (v if isinstance(v, str) else v[-1]) for k, v in at.query_params.items()}
    assert (q["attention_model"], q["attention_target"], q["attention_kind"]) == (
        "tiny-t5",
        "chat chien",
        "cross",
    )
    again = _open(q)
    assert again.text_input(key="attention_target").value == "chat chien"
    assert _kind_box(again).value == "cross"
    assert "3 target tokens × 8 source tokens" in _caption(again)
    # the summary offers only the measures that apply to a cross map
    again.session_state["attention_view"] = av.VIEWS[3]
    again.run()
    _no_exception(again)
    assert "to_self" not in again.selectbox(key="attention_metric").options
    assert "do not apply to cross-attention" in _text(again)
    for view in av.VIEWS[1:3]:  # the layer and model views draw rectangular thumbnails
        again.session_state["attention_view"] = view
        again.run()
        _no_exception(again)
        assert _charts(again)


def test_seq2seq_bad_input_gets_clear_messages():
    at = _open({"attention_model": "tiny-t5"})
    at.text_area(key="attention_source").input(" \n ").run()
    _no_exception(at)
    assert "Type a source" in _text(at)
    at.text_area(key="attention_source").input("translate English to French: cat\x07 dog").run()
    _no_exception(at)
    assert "Removed 1 control character" in _text(at)
    at.text_input(key="attention_target").input("le chat " * 300).run()
    _no_exception(at)
    assert "the target was cut" in _text(at)
    at.text_area(key="attention_source").input("word " * 4000).run()
    _no_exception(at)
    assert "the source was cut" in _text(at)
    at.selectbox(key="attention_model").set_value("flan-t5-small").run()
    _no_exception(at)
    assert any("no network here" in e.value and "tiny-t5" in e.value for e in at.error)


def test_switching_back_to_an_encoder_keeps_the_old_page():
    at = _open({"attention_model": "tiny-t5"})
    at.selectbox(key="attention_model").set_value("minilm").run()
    _no_exception(at)
    assert "**minilm**, encoder (bidirectional): 16 tokens" in _text(at)
    assert "Attention kind" not in [g.label for g in at.get("button_group")]


def test_seq2seq_predict_then_reveal_is_measured_on_the_cross_attention():
    at = _open({"attention_model": "tiny-t5"})
    assert "while **tiny-t5** writes **chien**" in _text(at)
    at.radio(key="attention_s2s_predict_guess").set_value("dog").run()
    at.button(key="attention_s2s_predict_reveal").click().run()
    _no_exception(at)
    assert "Measured on tiny-t5's cross-attention, last layer, mean of 4 heads" in _text(at)
