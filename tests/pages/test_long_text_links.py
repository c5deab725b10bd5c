"""A text too long for the shared link is said so under its box; the link keeps the rest."""

from __future__ import annotations

from tests.pages.apptest import open_page
from ui.urlstate import MAX_URL_VALUE


def test_tokenizer_text_too_long_for_the_link_is_said_and_kept_out_of_it():
    at = open_page("pages/tokenizer.py")
    long = "a few words " * (MAX_URL_VALUE // 10)
    at.text_area(key="tokenizer_text").input(long).run()
    assert not at.exception
    captions = " ".join(c.value for c in at.caption)
    assert "too long for the link" in captions
    assert "tokenizer_text" not in at.query_params
    at.text_area(key="tokenizer_text").input("short again").run()
    assert "too long for the link" not in " ".join(c.value for c in at.caption)
    assert at.query_params["tokenizer_text"] in ("short again", ["short again"])
