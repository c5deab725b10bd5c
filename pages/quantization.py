"""Quantization comparison (placeholder until issue #5 lands)."""

from __future__ import annotations

from ui.render import page_header, placeholder

page_header("Quantization comparison", "Coming with issue #5.")
placeholder(5, "the quantization comparison")
