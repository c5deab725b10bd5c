"""GenAI Playground: router and frame. Page order lives in ui/navigation.py."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from core.lessons import parse_link
from ui import classroom, lesson
from ui.navigation import HOME, PAGES, stages
from ui.serving import hide_developer_controls
from ui.sidebar import render_sidebar

lesson.install()  # lesson links lock or hide any page's controls (once per process)
opening = parse_link(lesson.query_lists())
# A local icon: material-icon favicons are fetched from a CDN, which fails offline.
st.set_page_config(
    page_title="GenAI Playground",
    page_icon=str(Path(__file__).parent / "assets" / "icon.png"),
    layout="wide",
    initial_sidebar_state="collapsed" if opening.present else "auto",
)
hide_developer_controls()

page = st.navigation(  # expanded: every page listed, none behind "View more"
    {
        stage: [st.Page(p.path, title=p.title, icon=p.icon, default=p is HOME) for p in group]
        for stage, group in stages().items()
    },
    expanded=True,
)
name = page.url_path or "home"
link = lesson.capture(name, opening)
lesson.enforce()
lesson.presenter_style()
render_sidebar()
classroom.join_from_link()
classroom.sidebar_status()
lesson.banner(link, {p.url_path.strip("/") or "home": p.path for p in PAGES}, name)
page.run()
lesson.share_panel(page.url_path)
