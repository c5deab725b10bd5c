"""Lessons for a class: lesson links (which controls a link locks or hides) and guided lessons
(ordered steps across the pages, written by a teacher as small YAML files).

>>> link = LessonLink(values={"sampling_temperature": ["0.7"]}, lock=("sampling_temperature",))
>>> sorted(link.query())
['lock', 'sampling_temperature']
"""

from __future__ import annotations

from core.lessons.files import (
    Lesson,
    LessonError,
    LessonStep,
    lesson_dir,
    list_lessons,
    load_lesson,
    parse_lesson,
)
from core.lessons.links import FLAGS, LessonLink, parse_link, url_values

__all__ = [
    "FLAGS",
    "Lesson",
    "LessonError",
    "LessonLink",
    "LessonStep",
    "lesson_dir",
    "list_lessons",
    "load_lesson",
    "parse_lesson",
    "parse_link",
    "url_values",
]
