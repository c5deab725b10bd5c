"""ui.urlstate: values round-trip through st.query_params; bad values fall back to defaults."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest


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
