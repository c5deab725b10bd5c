"""Lesson files: every shipped one parses against the real pages, and broken ones are refused
with the line of the problem."""

from __future__ import annotations

import pytest

from core.lessons import LessonError, list_lessons, load_lesson, parse_lesson
from ui.navigation import PAGES

NAMES = {p.url_path.strip("/") or "home" for p in PAGES}
GOOD = """title: T
steps:
  - page: sampling
    text: Look.
    settings: {sampling_temperature: 0.5, sampling_cmp_temps: [0.0, 1.0], sampling_x: true}
    lock: [sampling_temperature]
"""


def test_every_shipped_lesson_parses_and_opens_real_pages():
    lessons, broken = list_lessons(pages=NAMES)
    assert broken == []
    assert len(lessons) >= 9
    stages = {x.stage for x in lessons}
    assert {"1. Select a model", "2. Prompt", "5. Optimize"} <= stages
    whole = next(x for x in lessons if x.id == "whole-lifecycle")
    assert whole.minutes == 45 and len({s.page for s in whole.steps}) >= 8


def test_a_step_becomes_a_link_with_its_settings_and_rules():
    lesson = parse_lesson(GOOD, "t.yaml", pages=NAMES)
    q = lesson.link(0).query()
    assert q["sampling_temperature"] == ["0.5"]
    assert q["sampling_cmp_temps"] == ["0.0", "1.0"] and q["sampling_x"] == ["1"]
    assert q["lock"] == ["sampling_temperature"]
    assert q["lesson"] == ["t"] and q["step"] == ["1"]


@pytest.mark.parametrize(
    "text, line, words",
    [
        ("", 0, "empty"),
        ("title: [unclosed\n", 2, "not valid YAML"),
        ("- a\n- b\n", 1, "mapping"),
        ("title: T\n", 0, "steps must be a list"),
        ("title: T\nsteps: []\n", 2, "1 or more steps"),
        ("title: T\nsteps:\n  - page: nowhere\n    text: x\n", 3, "no page named 'nowhere'"),
        ("title: T\nsteps:\n  - page: sampling\n", 3, "text is missing"),
        (
            "title: T\nsteps:\n  - page: sampling\n    text: x\n    colour: red\n",
            5,
            "unknown field",
        ),
        ("title: T\nsteps:\n  - page: sampling\n    text: x\n    lock: sampling_seed\n", 5, "list"),
        ("title: T\nsteps:\n  - page: sampling\n    text: x\n    lock: [Bad Key]\n", 5, "control"),
        (
            "title: T\nsteps:\n  - page: sampling\n    text: x\n    settings: {a_b: {c: 1}}\n",
            5,
            "number",
        ),
        ("title: T\nminutes: lots\nsteps:\n  - page: sampling\n    text: x\n", 2, "minutes"),
        ("title: T\ntitle: U\nsteps:\n  - page: sampling\n    text: x\n", 2, "twice"),
        (
            "title: T\nsteps:\n  - page: sampling\n    text: x\n"
            "    settings: {a_b: !!python/object/apply:os.system [ls]}\n",
            5,
            "cannot be read",
        ),
    ],
)
def test_broken_files_name_the_line(text, line, words):
    with pytest.raises(LessonError) as e:
        parse_lesson(text, "bad.yaml", pages=NAMES)
    assert e.value.line == line, str(e.value)
    assert words in str(e.value)


def test_files_that_are_not_text_or_too_big(tmp_path):
    p = tmp_path / "bin.yaml"
    p.write_bytes(b"title: T\n\xff\xfe")
    with pytest.raises(LessonError, match="line 2: not UTF-8"):
        load_lesson(p)
    big = tmp_path / "big.yaml"
    big.write_text("#" * 200_000)
    with pytest.raises(LessonError, match="over"):
        load_lesson(big)
    with pytest.raises(LessonError, match="file name"):
        parse_lesson(GOOD, "Bad Name.yaml")
    with pytest.raises(LessonError, match="cannot be read"):
        load_lesson(tmp_path / "missing.yaml")


def test_a_broken_file_beside_good_ones_is_reported_not_fatal(tmp_path):
    (tmp_path / "good.yaml").write_text(GOOD)
    (tmp_path / "bad.yaml").write_text("title: T\nsteps: 3\n")
    good, bad = list_lessons(tmp_path, pages=NAMES)
    assert [x.id for x in good] == ["good"]
    assert [(e.name, e.line) for e in bad] == [("bad.yaml", 2)]
