"""GenAI Playground: router and frame. Page order lives here; every page shares the sidebar."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from ui.sidebar import render_sidebar

# A local icon: material-icon favicons are fetched from a CDN, which fails offline.
st.set_page_config(
    page_title="GenAI Playground",
    page_icon=str(Path(__file__).parent / "assets" / "icon.png"),
    layout="wide",
)

PAGES = {
    "Start": [st.Page("pages/home.py", title="Home", icon=":material/home:", default=True)],
    "Inside the model": [
        st.Page("pages/tokenizer.py", title="Tokenizer", icon=":material/text_fields:"),
        st.Page("pages/attention.py", title="Attention", icon=":material/grid_on:"),
    ],
    "Generate": [
        st.Page("pages/sampling.py", title="Sampling", icon=":material/casino:"),
        st.Page("pages/prompting.py", title="Prompt shots", icon=":material/chat:"),
    ],
    "Alter the model": [
        st.Page("pages/lora.py", title="LoRA fine-tune", icon=":material/tune:"),
        st.Page("pages/quantization.py", title="Quantization", icon=":material/compress:"),
    ],
    "Augment and evaluate": [
        st.Page("pages/rag.py", title="RAG chat", icon=":material/library_books:"),
        st.Page("pages/metrics.py", title="ROUGE / BLEU", icon=":material/rule:"),
    ],
}

page = st.navigation(PAGES)
render_sidebar()
page.run()
