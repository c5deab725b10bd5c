"""Home: the lifecycle the playground follows, each step linking to its page."""

from __future__ import annotations

import streamlit as st

from core import models
from ui.navigation import HOME, stages
from ui.render import page_header

page_header(
    "GenAI Playground",
    "Explore how large language models work by changing real models, live, in your browser.",
)

st.subheader("The lifecycle")
for stage, group in stages().items():
    if stage == HOME.stage:
        continue
    for i, info in enumerate(group):
        cols = st.columns([1.2, 1.3, 4])
        cols[0].markdown(f"**{stage}**" if i == 0 else "")
        cols[1].page_link(info.path, label=info.title, icon=info.icon)
        cols[2].markdown(info.blurb)

st.subheader("Teaching a class")
st.page_link("pages/lessons.py", label="Guided lessons", icon=":material/school:")
st.markdown(
    "A lesson walks the class through the pages step by step. Any page can also be shared as a "
    "lesson link (sidebar: **Share as lesson**) with controls locked or hidden, and shown on a "
    "projector in **Presenter mode**."
)

st.subheader("The models on this machine")
st.dataframe(
    [
        {"name": s.name, "kind": s.kind, "source": s.source, "about": s.description}
        for s in models.list_models()
    ],
    hide_index=True,
    width="stretch",
)
st.caption(
    "Embedded models work with no network. Hub models load when a network is there; pick them "
    "in the sidebar (or type any Hugging Face id)."
)
