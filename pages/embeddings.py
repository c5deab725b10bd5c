"""Embeddings: tokens as vectors, sentences as vectors, positions, and one forward pass."""

from __future__ import annotations

import streamlit as st

from core.embeddings import space
from ui import embeddings_view as view
from ui.render import page_header, predict_then_reveal, what_to_notice
from ui.urlstate import sync_url, url_state

page_header(
    "Embeddings",
    "A model first turns each token into a vector of numbers, adds a vector for its position, "
    "and only then starts attending. Here are those vectors, read from real models.",
)
MODELS = view.model_options()
url_state(view.defaults(), choices={"embeddings_model": MODELS, "embeddings_view": view.VIEWS})

st.selectbox(
    "Model whose token table the map, neighbours and analogies read",
    MODELS,
    key="embeddings_model",
    format_func=view.model_label,
    help="tiny-gpt learned from the corpus world's toy stories; MiniLM from web sentences. "
    "Sentences use MiniLM; positions and the forward pass use tiny-gpt.",
)
tabs = st.tabs(view.VIEWS, key="embeddings_view", on_change="rerun")
shown = [t.open is not False for t in tabs]  # None (no state yet): draw every tab
name = st.session_state["embeddings_model"]
if shown[0]:
    with tabs[0]:
        if view.model_ready(name):  # or a clear message in place: the other tabs stay
            view.map_panel(name)
if shown[1]:
    with tabs[1]:
        if view.model_ready(name):
            view.neighbours_panel(name)
if shown[2]:
    with tabs[2]:
        view.sentences_panel()
if shown[3]:
    with tabs[3]:
        view.positions_panel()
if shown[4]:
    with tabs[4]:
        view.walk_panel()


def _reveal() -> tuple[str, str]:
    tiny = view.cached_space("tiny-gpt")
    top = space.neighbours(tiny, "cat", space.NeighbourConfig(k=5)).top
    best = top[0][0]
    kind = "an animal" if best in space.CATEGORIES["animals"] else "not an animal"
    words = ", ".join(f"{w} ({c:.2f})" for w, c in top)
    return kind, (
        f"Measured in tiny-gpt's token table: the nearest words to “cat” are {words}. Nobody "
        "labelled them: words used in the same places get similar vectors."
    )


predict_then_reveal(
    "embeddings_predict",
    "In tiny-gpt's token table (trained only on toy stories), is the vector nearest to "
    "**cat** another animal?",
    ["an animal", "not an animal"],
    _reveal,
)
what_to_notice(
    [
        "On the token map, each category forms its own cloud: names with names, colours with "
        "colours. The model was never told the categories; it learned them from where the words "
        "appear.",
        "Analogies (a − b + c) are shaky on small models: the page says where the expected word "
        "really ranks, and whether the arithmetic beat taking c alone.",
        "The sinusoidal table is a formula; tiny-gpt's position table was learned, and it still "
        "came out smooth: nearby positions have similar vectors.",
        "In the forward pass, each block *adds* its attention and MLP outputs to the residual "
        "stream: its mean length grows from block to block, and the final layer norm brings it "
        "back down before the logits.",
    ]
)
sync_url()
