"""The classroom layer under AppTest: every shipped lesson step opens its page set up as the
lesson says; lock and hide flags work on every page; a locked control keeps the lesson's value;
"Reset to the lesson", "Share as lesson", presenter mode, and the Lessons page with its checker."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from core.lessons import list_lessons, parse_link, url_values
from tests.pages.apptest import open_page
from ui.navigation import PAGES

KINDS = (
    "button_group",  # pills and segmented controls
    "checkbox",
    "multiselect",
    "number_input",
    "radio",
    "select_slider",
    "selectbox",
    "slider",
    "text_area",
    "text_input",
    "toggle",
)
LESSONS = list_lessons()[0]
STEPS = [(lesson, i) for lesson in LESSONS for i in range(len(lesson.steps))]
PATH = {p.url_path.strip("/") or "home": p.path for p in PAGES}


def widgets(at) -> dict[str, object]:
    """The page's input widgets by key (a stable key's ``__digest`` dropped)."""
    out = {}
    for kind in KINDS:
        for w in at.get(kind):
            if w.key and not w.key.startswith("_"):
                out[w.key.split("__", 1)[0]] = w
    return out


def disabled(widget) -> bool:
    return bool(widget.proto.disabled)


@pytest.mark.parametrize("lesson, i", STEPS, ids=[f"{x.id}-{i + 1}" for x, i in STEPS])
def test_every_lesson_step_opens_its_page_as_the_lesson_says(lesson, i):
    step = lesson.steps[i]
    at = open_page(PATH[step.page], query=lesson.link(i).query())
    keys = at.session_state["_urlstate_keys"]
    for key, value in step.settings.items():
        assert key in keys, f"{lesson.id} step {i + 1}: the page has no control {key}"
        assert url_values(at.session_state[key]) == url_values(value), key
    drawn = widgets(at)
    for key in step.lock:
        assert key in drawn and disabled(drawn[key]), f"{key} should be locked"
    for key in step.hide:
        assert key in keys and key not in drawn, f"{key} should be hidden"
    text = "\n".join(m.value for m in at.markdown)
    assert step.text.split("\n")[0] in text  # the banner
    if step.ask:
        assert step.ask in text


CHEAP = [p for p in PAGES if p.url_path.strip("/") not in ("", "lessons", "classroom")]


@pytest.mark.parametrize("info", CHEAP, ids=[p.title for p in CHEAP])
def test_lock_and_hide_flags_work_on_every_page(info):
    first = open_page(info.path)
    keys = [k for k in first.session_state["_urlstate_keys"] if k in widgets(first)]
    assert keys, "a page with settings in its link"
    locked = open_page(info.path, query={"lock": keys})
    drawn = widgets(locked)
    assert all(disabled(drawn[k]) for k in keys)
    assert set(keys) <= set(drawn)
    hidden = open_page(info.path, query={"hide": keys})
    assert not set(keys) & set(widgets(hidden))
    # hidden controls still apply: the link's values are the page's
    assert all(
        url_values(hidden.session_state[k]) == url_values(first.session_state[k]) for k in keys
    )


def test_a_locked_control_keeps_the_lessons_value_when_a_recipe_changes_the_rest():
    at = open_page(
        PATH["lora"], query={"lora_r": "4", "lock": "lora_r", "lora_recipe": "sentiment"}
    )
    assert at.session_state.lora_r == 4
    other = next(
        o
        for o in at.selectbox(key="lora_recipe").options
        if o != at.selectbox(key="lora_recipe").value
    )
    at.selectbox(key="lora_recipe").select(other).run()
    assert at.session_state.lora_r == 4  # the recipe sets r; the lesson's lock wins
    assert disabled(widgets(at)["lora_r"])


def test_reset_brings_the_lessons_values_back():
    q = {"sampling_top_p": "0.9", "sampling_temperature": "1.0", "lock": "sampling_temperature"}
    at = open_page(PATH["sampling"], query=q)
    widgets(at)["sampling_top_p"].set_value(0.5).run()
    assert at.session_state.sampling_top_p == 0.5
    at.button(key="_lesson_reset").click().run()
    at.run()
    assert at.session_state.sampling_top_p == 0.9
    assert not at.exception


def test_share_as_lesson_writes_the_settings_and_the_rules():
    at = open_page(PATH["sampling"], query={"sampling_temperature": "0.3"})
    at.multiselect(key="_share_lock").set_value(["sampling_temperature"]).run()
    at.multiselect(key="_share_hide").set_value(["sampling_seed"]).run()
    (code,) = [c.value for c in at.code if "lock=" in c.value]
    link = parse_link(parse_qs(urlsplit(code).query))
    assert link.lock == ("sampling_temperature",) and link.hide == ("sampling_seed",)
    assert link.values["sampling_temperature"] == ["0.3"]
    assert set(link.values) == set(at.session_state["_urlstate_keys"])  # every setting
    assert urlsplit(code).path == "/sampling"
    assert at.get("image"), "a QR code of the link"


def test_presenter_mode_from_the_link_and_the_toggle():
    at = open_page(PATH["sampling"], query={"present": "1"})
    assert at.toggle(key="_present").value is True
    assert "zoom" in " ".join(str(h.proto) for h in at.get("html"))
    at.toggle(key="_present").set_value(False).run()
    assert "present" not in at.query_params
    assert not any("zoom" in str(h.proto) for h in at.get("html"))


def test_the_lessons_page_lists_every_step_and_checks_a_file():
    at = open_page(PATH["lessons"])
    links = at.get("page_link")
    assert len(links) >= sum(len(x.steps) for x in LESSONS)
    assert not at.error
    text = "\n".join(m.value for m in at.markdown)
    assert all(x.title in text for x in LESSONS)
