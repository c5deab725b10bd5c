"""ui.urlstate: values round-trip through st.query_params; bad values fall back to defaults."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from ui.urlstate import MAX_URL_VALUE, parse_value, stable_key


def _script():
    import streamlit as st

    from ui.urlstate import sync_url, url_state

    url_state(
        {"t_text": "hi", "t_n": 3, "t_on": False, "t_pick": "a", "t_many": ["a"]},
        choices={"t_pick": ["a", "b"], "t_many": ["a", "b", "c"]},
        bounds={"t_n": (0, 10)},
    )
    st.text_input("text", key="t_text")
    st.number_input("n", key="t_n", min_value=0, max_value=10)
    st.checkbox("on", key="t_on")
    st.selectbox("pick", ["a", "b"], key="t_pick")
    st.multiselect("many", ["a", "b", "c"], key="t_many")
    sync_url()


def test_values_written_to_url_on_change():
    at = AppTest.from_function(_script).run()
    at.text_input(key="t_text").input("hello world").run()
    at.number_input(key="t_n").set_value(7).run()
    at.multiselect(key="t_many").set_value(["b", "c"]).run()
    assert at.query_params["t_text"] in ("hello world", ["hello world"])
    assert at.query_params["t_n"] in ("7", ["7"])
    assert list(at.query_params["t_many"]) == ["b", "c"]


def test_values_read_from_url_on_load():
    at = AppTest.from_function(_script)
    at.query_params.update({"t_text": "from link", "t_n": "9", "t_on": "1", "t_pick": "b"})
    at.query_params["t_many"] = ["c", "a"]
    at.run()
    assert at.text_input(key="t_text").value == "from link"
    assert at.number_input(key="t_n").value == 9
    assert at.checkbox(key="t_on").value is True
    assert at.selectbox(key="t_pick").value == "b"
    assert at.multiselect(key="t_many").value == ["c", "a"]


def test_bad_url_values_fall_back_to_defaults():
    at = AppTest.from_function(_script)
    at.query_params.update({"t_n": "99", "t_on": "maybe", "t_pick": "zzz", "t_text": "ok"})
    at.query_params["t_many"] = ["nope"]
    at.run()
    assert not at.exception
    assert at.number_input(key="t_n").value == 3
    assert at.checkbox(key="t_on").value is False
    assert at.selectbox(key="t_pick").value == "a"
    assert at.multiselect(key="t_many").value == ["a"]


# --- typed parsing: (raw URL values, default, options) -> value -------------------------------
PARSE_CASES = [
    (["0", "0.7", "1.5"], [0.0, 0.7, 1.5], {}, [0.0, 0.7, 1.5]),
    (["0.3"], [0.0, 0.7], {}, [0.3]),  # floats come back as floats, not strings
    (["1", "2"], [0.5], {}, [1.0, 2.0]),  # whole numbers in a list of floats are floats
    (["0", "x", "0.7", "nan", "inf"], [1.0], {}, [0.0, 0.7]),  # bad elements dropped
    (["0.5", "9", "-1"], [1.0], {"bound": (0, 2.5)}, [0.5]),  # bounds per element
    (["9", "-1"], [1.0], {"bound": (0, 2.5)}, [1.0]),  # nothing left: the default
    (["3", "1", "3", "12"], [0, 1], {"choices": list(range(10))}, [3, 1]),  # dup + choice
    (["1", "2", "3", "4", "5"], [0], {"max_items": 4}, [1, 2, 3, 4]),
    ([""], [0.0, 0.7], {}, []),  # an empty list round-trips as ?key=
    (["0.25"], [], {"kind": float}, [0.25]),  # declared type for an empty default
    (["a", "b"], ["x"], {}, ["a", "b"]),
    (["1", "0"], [True], {}, [True, False]),
    (["2.0"], 1, {}, 2),  # a whole float is an int
    (["2.5"], 1, {}, 1),
    (["inf"], 1.0, {}, 1.0),
    (["0.5"], 1.0, {"bound": (0, 1)}, 0.5),
    (["1.5"], 1.0, {"bound": (0, 1)}, 1.0),
    (["yes"], False, {}, True),
    (["maybe"], False, {}, False),
    (["b"], "a", {"choices": ["a", "b"]}, "b"),
    (["a", "b"], "z", {}, "b"),  # a scalar takes the last value
    ([], 4, {}, 4),
]


@pytest.mark.parametrize("raw, default, options, expected", PARSE_CASES)
def test_parse_value_by_declared_type(raw, default, options, expected):
    value = parse_value(raw, default, **options)
    assert value == expected
    if isinstance(expected, list):
        assert [type(v) for v in value] == [type(v) for v in expected]
    else:
        assert type(value) is type(expected)


def _typed_script():
    import streamlit as st

    from ui.urlstate import left_out_caption, sync_url, url_state

    url_state(
        {"t_temps": [0.0, 0.7, 1.5], "t_text": "short", "t_k": 2},
        choices={"t_temps": [0.0, 0.3, 0.7, 1.0, 1.5]},
        max_items={"t_temps": 4},
    )
    temps = st.multiselect("temps", [0.0, 0.3, 0.7, 1.0, 1.5], key="t_temps", max_selections=4)
    st.write(", ".join(f"{t:g}" for t in temps))  # the crash of issue 9 with strings
    st.text_area("text", key="t_text")
    left_out_caption("t_text")
    st.number_input("k", 0, 10, key="t_k")
    st.session_state["t_skipped"] = sync_url()


def test_list_of_floats_survives_a_reload_from_its_own_link():
    at = AppTest.from_function(_typed_script).run()
    at.multiselect(key="t_temps").set_value([0.3, 1.5]).run()
    link = {k: at.query_params[k] for k in at.query_params}
    again = AppTest.from_function(_typed_script)
    for k, v in link.items():
        again.query_params[k] = v
    again.run()
    assert not again.exception
    assert again.multiselect(key="t_temps").value == [0.3, 1.5]
    assert again.markdown[0].value == "0.3, 1.5"
    # every option removed: the empty list comes back empty, not as the default
    again.multiselect(key="t_temps").set_value([]).run()
    third = AppTest.from_function(_typed_script)
    third.query_params["t_temps"] = again.query_params["t_temps"]
    third.run()
    assert third.multiselect(key="t_temps").value == [] and not third.exception


def test_too_many_or_unknown_list_values_do_not_break_the_widget():
    at = AppTest.from_function(_typed_script)
    at.query_params["t_temps"] = ["0.7", "9", "0.3", "1", "1.5", "0", "oops"]
    at.run()
    assert not at.exception
    assert at.multiselect(key="t_temps").value == [0.7, 0.3, 1.0, 1.5]


def test_a_text_too_long_for_the_link_is_left_out_and_the_page_says_so():
    at = AppTest.from_function(_typed_script).run()
    at.number_input(key="t_k").set_value(5)
    at.text_area(key="t_text").input("x" * (MAX_URL_VALUE + 1)).run()
    assert at.session_state["t_skipped"] == ["t_text"]
    assert "t_text" not in at.query_params and at.query_params["t_k"] in ("5", ["5"])
    assert "too long for the link" in at.caption[0].value
    at.text_area(key="t_text").input("short again").run()
    assert at.session_state["t_skipped"] == [] and not at.caption


def _stable_script():
    import streamlit as st

    from ui.urlstate import stable_selectbox

    words = st.session_state.get("t_words", "a b c d e f g h i j k it").split()
    chosen = stable_selectbox(
        "Token", list(range(len(words))), key="t_token", format_func=lambda i: f"{i}: {words[i]}"
    )
    st.write(f"{chosen} {words[chosen]}")


def test_stable_selectbox_keeps_an_index_when_the_labels_change():
    at = AppTest.from_function(_stable_script).run()
    box = at.selectbox[0]
    box.set_value(11).run()
    assert at.markdown[0].value == "11 it" and at.session_state["t_token"] == 11
    at.session_state["t_words"] = "my sister said that it would rain tomorrow in paris today ok"
    at.run()
    assert not at.exception
    assert at.session_state["t_token"] == 11 and at.markdown[0].value == "11 ok"
    at.session_state["t_words"] = "short text"
    at.run()
    assert at.session_state["t_token"] == 0 and at.markdown[0].value == "0 short"


def test_stable_selectbox_gets_a_new_widget_when_the_labels_change():
    """A browser sends back the label it shows; a new key per set of labels means a label of the
    old options is never read as a value of the new ones (tests/pages/test_attention_page.py
    replays that browser behaviour on the real page)."""
    at = AppTest.from_function(_stable_script).run()
    first = at.selectbox[0].id
    at.run()
    assert at.selectbox[0].id == first  # same labels, same widget: the choice is kept
    at.session_state["t_words"] = "other words here now"
    at.run()
    assert at.selectbox[0].id != first and not at.exception
    assert stable_key("k", ["0: a"]) != stable_key("k", ["0: b"])
    assert stable_key("k", ["0: a"]) == stable_key("k", ["0: a"])


# --- bounds from a config field's knob (core.knobs) -------------------------------------------
def _knob_script():
    from dataclasses import replace

    import streamlit as st

    from core.knobs import spec
    from core.lora import LoraConfigSpec
    from core.sampling import SamplingConfig
    from ui import knobs
    from ui.urlstate import sync_url, url_state

    url_state(
        {
            "k_temp": spec(SamplingConfig, "temperature"),
            "k_top_k": replace(spec(SamplingConfig, "top_k"), default=40),  # another default
            "k_seed": spec(SamplingConfig, "seed"),
            "k_task": spec(LoraConfigSpec, "task"),  # a knob with choices
            "k_n": 3,
        },
        bounds={"k_seed": (0, 99), "k_n": (0, 10)},  # a page's bound narrows the knob's
    )
    knobs.slider(SamplingConfig, "temperature", key="k_temp")
    knobs.number_input(SamplingConfig, "top_k", key="k_top_k")
    knobs.number_input(SamplingConfig, "seed", key="k_seed", max_value=99)
    knobs.select(LoraConfigSpec, "task", key="k_task")
    st.number_input("n", 0, 10, key="k_n")
    sync_url()


KNOB_URLS = [  # (query, key, value kept): out of the knob's range -> the default, as today
    ({"k_temp": "2.5"}, "k_temp", 2.5),
    ({"k_temp": "2.6"}, "k_temp", 1.0),
    ({"k_temp": "-0.1"}, "k_temp", 1.0),
    ({"k_temp": "warm"}, "k_temp", 1.0),
    ({"k_top_k": "100000"}, "k_top_k", 100_000),
    ({"k_top_k": "100001"}, "k_top_k", 40),
    ({"k_top_k": "2.5"}, "k_top_k", 40),
    ({"k_seed": "99"}, "k_seed", 99),
    ({"k_seed": "100"}, "k_seed", 0),
    ({}, "k_temp", 1.0),
    ({"k_task": "causal-lm"}, "k_task", "causal-lm"),
    ({"k_task": "translation"}, "k_task", "classification"),
]


@pytest.mark.parametrize("query, key, expected", KNOB_URLS)
def test_url_bounds_come_from_the_config_field(query, key, expected):
    at = AppTest.from_function(_knob_script)
    at.query_params.update(query)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    kinds = {"k_temp": at.slider, "k_task": at.selectbox}
    widget = kinds.get(key, at.number_input)(key=key)
    assert widget.value == expected and type(widget.value) is type(expected)


def test_knob_widgets_draw_the_engine_range_and_round_trip():
    from core.knobs import spec
    from core.sampling import SamplingConfig

    at = AppTest.from_function(_knob_script).run()
    temp = spec(SamplingConfig, "temperature")
    slider = at.slider(key="k_temp")
    assert (slider.min, slider.max, slider.step) == (temp.lo, temp.hi, temp.step)
    assert slider.help == temp.help and slider.label == "Temperature"
    assert at.number_input(key="k_top_k").max == spec(SamplingConfig, "top_k").hi
    slider.set_value(2.0).run()
    assert at.query_params["k_temp"] in ("2.0", ["2.0"])
    assert at.query_params["k_top_k"] in ("40", ["40"])
    assert at.selectbox(key="k_task").options == ["classification", "causal-lm"]


def _widening_script():
    import streamlit as st

    from core.lora import LoraConfigSpec
    from ui import knobs

    which = st.query_params.get("which")
    try:
        if which == "stops":  # a stop the engine refuses: the page's mistake, raised
            knobs.select_slider(LoraConfigSpec, "batch_size", [16, 128], key="w_batch")
        elif which == "widen":
            knobs.slider(LoraConfigSpec, "epochs", key="w_epochs", max_value=50)
        else:  # narrowing is fine
            knobs.slider(LoraConfigSpec, "epochs", key="w_epochs", max_value=10)
    except ValueError as e:  # the app hides an exception's text; show it to the test
        st.error(str(e))


@pytest.mark.parametrize(
    "which, message",
    [("stops", "batch size must be between 1 and 64"), ("widen", "epochs must be between")],
)
def test_a_widget_never_offers_more_than_the_engine_takes(which, message):
    at = AppTest.from_function(_widening_script)
    at.query_params["which"] = which
    at.run()
    assert not at.exception and message in at.error[0].value


def test_a_widget_may_offer_less_than_the_engine_takes():
    at = AppTest.from_function(_widening_script).run()
    assert not at.exception and not at.error
    assert (at.slider(key="w_epochs").min, at.slider(key="w_epochs").max) == (1, 10)
