"""Tokenizer visualizer (placeholder until issue #3 lands)."""

from __future__ import annotations

from ui.render import page_header, placeholder

page_header("Tokenizer visualizer", "Coming with issue #3.")
placeholder(3, "the tokenizer visualizer")
