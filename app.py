"""GenAI Playground: router and frame. Page order lives in ui/navigation.py."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from ui.navigation import HOME, stages
from ui.serving import hide_developer_controls
from ui.sidebar import render_sidebar

# A local icon: material-icon favicons are fetched from a CDN, which fails offline.
st.set_page_config(
    page_title="GenAI Playground",
    page_icon=str(Path(__file__).parent / "assets" / "icon.png"),
    layout="wide",
)
hide_developer_controls()

page = st.navigation(
    {
        stage: [st.Page(p.path, title=p.title, icon=p.icon, default=p is HOME) for p in group]
        for stage, group in stages().items()
    }
)
render_sidebar()
page.run()
