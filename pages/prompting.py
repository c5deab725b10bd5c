"""Prompt-shot comparison (placeholder until issue #4 lands)."""

from __future__ import annotations

from ui.render import page_header, placeholder

page_header("Prompt-shot comparison", "Coming with issue #4.")
placeholder(4, "the prompt-shot comparison")
