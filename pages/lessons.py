"""Guided lessons: ordered steps across the pages, for a class; and a check for a teacher's file."""

from __future__ import annotations

import streamlit as st

from core.lessons import LessonError, parse_lesson
from ui import lesson as view
from ui.navigation import PAGES
from ui.render import page_header

page_header(
    "Guided lessons",
    "Each lesson walks a class through the pages step by step: every step opens its page with "
    "the lesson's settings, some controls locked or hidden, a short text and a question for the "
    "class. Next and previous are on the page itself.",
)
PATHS = {p.url_path.strip("/") or "home": p.path for p in PAGES}
found, broken = view.lessons(tuple(PATHS))
for e in broken:
    st.error(f"A lesson file could not be read: {e}", icon=":material/error:")
if not found:
    st.info("No lessons are installed: add YAML files to assets/lessons (see the README).")
for lesson in found:
    with st.container(border=True):
        head = f"### {lesson.title}"
        st.markdown(head)
        meta = [x for x in (lesson.stage, f"{lesson.minutes} min" if lesson.minutes else "") if x]
        meta.append(f"{len(lesson.steps)} steps")
        st.caption(" · ".join(meta) + (f" — {lesson.summary}" if lesson.summary else ""))
        cols = st.columns(min(4, len(lesson.steps)))
        for i in range(len(lesson.steps)):
            with cols[i % len(cols)]:
                view.step_link(lesson, i, PATHS, icon=":material/play_circle:")

st.subheader("Check a lesson file")
st.caption(
    "Writing your own? Upload the YAML file to check it before class: the first problem is named "
    'with its line. The format is in the README, under "Teaching with the playground".'
)
up = st.file_uploader("A lesson file (.yaml)", type=["yaml", "yml"], key="lessons_upload")
if up is not None:
    try:
        text = up.getvalue().decode("utf-8")
        checked = parse_lesson(text, up.name.lower(), pages=set(PATHS))
    except UnicodeDecodeError:
        st.error(f"{up.name}: not UTF-8 text.", icon=":material/error:")
    except LessonError as e:
        st.error(str(e), icon=":material/error:")
    else:
        st.success(
            f"{checked.title}: {len(checked.steps)} steps, all on pages that exist.",
            icon=":material/check_circle:",
        )
        st.dataframe(
            [
                {"step": i + 1, "page": s.page, "title": s.title, "locked": ", ".join(s.lock)}
                for i, s in enumerate(checked.steps)
            ],
            hide_index=True,
        )
