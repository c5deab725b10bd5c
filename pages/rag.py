"""RAG chat (placeholder until issue #6 lands)."""

from __future__ import annotations

from ui.render import page_header, placeholder

page_header("RAG chat", "Coming with issue #6.")
placeholder(6, "the RAG chat")
