"""Lesson links: the flags round-trip, and a broken link opens a usable page."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from core.lessons import FLAGS, LessonLink, parse_link


def roundtrip(link: LessonLink) -> LessonLink:
    q = parse_qs(urlsplit(link.url("http://h/p")).query, keep_blank_values=True)
    return parse_link(q)


@pytest.mark.parametrize(
    "link",
    [
        LessonLink({"sampling_temperature": ["0.7"]}),
        LessonLink({"a_x": ["1"], "a_y": ["p q", "r&s"]}, lock=("a_x",), hide=("a_y",)),
        LessonLink({"a_x": ["ü👋"]}, lock=("a_x", "a_z"), present=True),
        LessonLink({}, hide=("a_y",), lesson="tokens", step=3),
    ],
)
def test_a_link_round_trips_through_its_url(link):
    back = roundtrip(link)
    assert back == link


@pytest.mark.parametrize(
    "query, lock, hide",
    [
        ({"lock": ["a_x", "a_x"]}, ("a_x",), ()),  # once
        ({"lock": ["a_x,a_y"]}, ("a_x", "a_y"), ()),  # comma lists
        ({"lock": ["A_X", "a x", "../a", "", "lock"]}, (), ()),  # not keys, or a flag
        ({"lock": ["a_x"], "hide": ["a_x"]}, (), ("a_x",)),  # hidden wins
        ({"hide": ["k" + str(i) for i in range(500)]}, (), tuple(f"k{i}" for i in range(64))),
    ],
)
def test_malformed_flags_are_dropped_not_raised(query, lock, hide):
    link = parse_link(query)
    assert (link.lock, link.hide) == (lock, hide)


@pytest.mark.parametrize(
    "query, lesson, step",
    [
        ({"lesson": ["tokens"], "step": ["2"]}, "tokens", 2),
        ({"lesson": ["tokens"], "step": ["0"]}, "", 0),
        ({"lesson": ["tokens"], "step": ["two"]}, "", 0),
        ({"lesson": ["../../etc/passwd"], "step": ["1"]}, "", 0),
        ({"step": ["3"]}, "", 0),
    ],
)
def test_a_lesson_step_needs_a_lesson_and_a_real_step(query, lesson, step):
    link = parse_link(query)
    assert (link.lesson, link.step) == (lesson, step)


def test_flags_are_not_settings():
    link = parse_link({f: ["1"] for f in FLAGS} | {"a_x": ["2"]})
    assert dict(link.values) == {"a_x": ["2"]}
    assert link.present and not parse_link({"present": ["no"]}).present
    assert not parse_link({"a_x": ["2"]}).is_lesson
