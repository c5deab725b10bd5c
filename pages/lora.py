"""LoRA fine-tune runner (placeholder until issue #5 lands)."""

from __future__ import annotations

from ui.render import page_header, placeholder

page_header("LoRA fine-tune runner", "Coming with issue #5.")
placeholder(5, "the LoRA fine-tune runner")
