"""Text one page produces that another page can use (e.g. the RAG answer scored on ROUGE/BLEU).

Kept in the browser session only: ``publish("RAG answer", text)`` on one page,
``published()`` on another.
"""

from __future__ import annotations

import streamlit as st

_KEY = "playground_outputs"


def publish(label: str, text: str) -> None:
    """Offer ``text`` to other pages under ``label`` (the latest one per label is kept)."""
    if text and text.strip():
        st.session_state.setdefault(_KEY, {})[label] = text


def published() -> dict[str, str]:
    """Every text published in this browser session, by label."""
    return dict(st.session_state.get(_KEY, {}))
