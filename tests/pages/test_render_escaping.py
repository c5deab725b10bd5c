"""Untrusted text in st.markdown: escaped or fenced so it can open no markup, link or image."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from ui.render import md_code, md_escape


@given(st.text())
def test_a_code_span_fence_is_longer_than_any_backtick_run_inside(text):
    code = md_code(text)
    fence = re.match(r"`+", code).group()
    inside = code[len(fence) : -len(fence)]
    assert code.endswith(fence) and inside == f" {text} "
    assert all(len(run) < len(fence) for run in re.findall(r"`+", text))


@given(st.text())
def test_escaped_text_has_no_unescaped_markup_character(text):
    escaped = md_escape(text)
    unescaped = re.sub(r"\\.", "", escaped)  # drop every backslash pair
    assert not re.search(r"[`*_\[\]()!<>#|]", unescaped)
