from __future__ import annotations

import pytest

from core.text import clean_text


@pytest.mark.parametrize(
    ("raw", "expected", "n_notes"),
    [
        ("hello", "hello", 0),
        ("", "", 0),
        (None, "", 0),
        ("a\ud800b\udfff", "a\ufffdb\ufffd", 1),
        ("emoji 👍🏽 and 中文 العربية", "emoji 👍🏽 and 中文 العربية", 0),
        ("tab\tnew\nline\x00bell\x07", "tab\tnew\nline\x00bell\x07", 0),
    ],
)
def test_clean_text_cases(raw, expected, n_notes):
    r = clean_text(raw, max_chars=1000)
    assert r.text == expected
    assert len(r.notes) == n_notes
    r.text.encode("utf-8")  # always encodable


def test_truncates_huge_text_with_a_note():
    r = clean_text("x" * 1_000_000, max_chars=5000)
    assert r.truncated and len(r.text) == 5000 and r.original_chars == 1_000_000
    assert "first 5,000" in r.notes[0]


def test_strip_controls_and_empty():
    r = clean_text(" \x00\x07 \n", max_chars=100, strip_controls=True)
    assert r.text == "  \n" and r.empty and "control" in r.notes[0]


def test_bad_limit():
    with pytest.raises(ValueError):
        clean_text("x", max_chars=0)


def test_valid_surrogate_pairs_are_one_character_not_two_replacements():
    r = clean_text("ok \ud83d\udc4d and \ud800", max_chars=1000)
    assert r.text == "ok 👍 and \ufffd"
    assert r.notes == (
        "Replaced 1 lone surrogate character with \ufffd (it cannot be encoded as UTF-8).",
    )
