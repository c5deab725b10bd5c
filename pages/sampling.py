"""Sampling sliders (placeholder until issue #4 lands)."""

from __future__ import annotations

from ui.render import page_header, placeholder

page_header("Sampling sliders", "Coming with issue #4.")
placeholder(4, "the sampling sliders")
