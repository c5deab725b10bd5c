"""The class under AppTest: a teacher opens a class, two students join (by link and by code),
their predictions reach the teacher's live histogram and nobody else's screen, a closed class
takes no more, and a wrong code is explained."""

from __future__ import annotations

import pytest

from core.settings import get_settings
from tests.pages.apptest import open_page
from ui import classroom as view

CLASS = "pages/classroom.py"
SAMPLING = "pages/sampling.py"


@pytest.fixture(autouse=True)
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("GENAI_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("GENAI_DB_URL", raising=False)
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def _text(at) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption]
    parts += [x.value for x in (*at.info, *at.warning, *at.error, *at.success)]
    return "\n".join(parts)


def teacher():
    at = open_page(CLASS)
    at.text_input(key="_class_title").input("Period 3").run()
    at.button(key="_class_open").click().run()
    return at, at.session_state[view.CODE]


def predict(at, option: str) -> None:
    at.radio(key="sampling_predict_guess").set_value(option).run()
    at.button(key="sampling_predict_reveal").click().run()


def test_students_predictions_reach_the_teachers_histogram(data_dir):
    t, code = teacher()
    assert f"# {code}" in _text(t) and "Period 3" in t.subheader[0].value
    assert t.get("image"), "the join link's QR code"

    by_link = open_page(SAMPLING, query={"class": code})
    assert by_link.session_state[view.CODE] == code
    options = by_link.radio(key="sampling_predict_guess").options
    predict(by_link, options[0])
    assert f"Sent to class {code}." in _text(by_link)

    by_code = open_page(CLASS)
    by_code.text_input(key="_class_typed").input(code.lower()).run()
    by_code.text_input(key="_class_nick_typed").input("Bo").run()
    by_code.button(key="_class_join").click().run()
    assert "You are in class" in _text(by_code) and "as Bo" in _text(by_code)
    by_code.switch_page(SAMPLING).run()
    predict(by_code, options[-1])

    # a student sees only their own confirmation, never the class's histogram
    assert not any("prediction" in m.value and "so far" in m.value for m in by_code.markdown)

    t.switch_page(SAMPLING).run()
    text = _text(t)
    assert f"**Class {code}:** 2 predictions so far" in text, [
        m.value for m in t.markdown if "Class" in m.value or "so far" in m.value
    ]
    t.switch_page(CLASS).run()
    (table,) = [d.value for d in t.dataframe]
    assert list(table["predictions"]) == [2] and list(table["results"]) == [0]
    assert not t.exception and not by_link.exception and not by_code.exception


def test_a_closed_class_takes_no_more_answers(data_dir):
    t, code = teacher()
    t.button(key="_class_close").click().run()
    assert "This class is closed" in _text(t)
    late = open_page(SAMPLING, query={"class": code})
    assert view.CODE not in late.session_state  # a closed class cannot be joined
    assert not late.exception


def test_a_wrong_code_is_explained(data_dir):
    at = open_page(CLASS)
    at.text_input(key="_class_typed").input("ZZZZZZ").run()
    at.button(key="_class_join").click().run()
    assert any("no class has the code ZZZZZZ" in e.value for e in at.error)
    at.text_input(key="_class_typed").input("<script>").run()
    at.button(key="_class_join").click().run()
    assert any("6 letters and digits" in e.value for e in at.error)
    assert not at.exception


def test_outside_a_class_nothing_is_sent(data_dir):
    at = open_page(SAMPLING)
    predict(at, at.radio(key="sampling_predict_guess").options[0])
    assert "Sent to class" not in _text(at)
    assert not (data_dir / "classroom.db").exists()  # no database touched


def test_a_students_bleu_result_reaches_the_teacher(data_dir):
    t, code = teacher()
    s = open_page("pages/metrics.py", query={"class": code})
    (send,) = [b for b in s.button if b.key == "_class_send_metrics_bleu"]
    assert send.label.startswith("Send my result (BLEU ")
    send.click().run()
    assert any(f"went to class {code}" in c.value for c in s.caption)
    t.switch_page("pages/metrics.py").run()
    assert any(f"**Class {code}:** 1 result for corpus bleu" in m.value for m in t.markdown)
    assert not [b for b in t.button if b.key == "_class_send_metrics_bleu"]  # the teacher's view


def test_the_teachers_private_link_gives_the_view_back_and_leaves_the_address_bar(data_dir):
    t, code = teacher()
    token = t.session_state[view.TOKEN]
    again = open_page(SAMPLING, query={"class": code, "teacher": token})
    assert again.session_state[view.TOKEN] == token
    assert "teacher" not in again.query_params
    forged = open_page(SAMPLING, query={"class": code, "teacher": "guess"})
    assert view.TOKEN not in forged.session_state
    assert forged.session_state[view.CODE] == code  # still joins, as a student
