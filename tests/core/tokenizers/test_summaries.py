"""core.tokenizers summaries the page reads: unknown and typed special tokens, which tokenizers
load, and the most expensive text of a comparison."""

from __future__ import annotations

import pytest

from core.tokenizers import compare, split_available, tokenize


def test_n_unknown_counts_the_unk_tokens():
    assert tokenize("x [SEP] 👋", "minilm").n_unknown == 1
    assert tokenize("x [SEP] 👋", "cl100k_base").n_unknown == 0


@pytest.mark.parametrize(
    ("text", "name", "typed"),
    [
        ("a [SEP] b [CLS]", "minilm", ("[CLS]", "[SEP]")),
        ("a <|endoftext|> b", "cl100k_base", ("<|endoftext|>",)),
        ("a [SEP] b", "cl100k_base", ()),
        ("plain", "minilm", ()),
    ],
)
def test_typed_specials_are_the_special_strings_in_the_text(text, name, typed):
    assert tokenize(text, name).typed_specials == typed


def test_split_available_keeps_order_and_gives_the_reasons():
    ok, missing = split_available(["tiny-gpt", "someone/no-such-tokenizer", "minilm", "../x"])
    assert ok == ["tiny-gpt", "minilm"]
    assert list(missing) == ["someone/no-such-tokenizer", "../x"]
    assert "no network" in missing["someone/no-such-tokenizer"]
    assert "not a model name" in missing["../x"]


def test_most_expensive_pairs_the_worst_row_with_its_tokenizers_baseline():
    texts = {"English": "the cat sat", "Thai": "แมวนั่งอยู่บนเสื่อ", "Greek": "η γάτα κάθισε"}
    c = compare(texts, ["minilm", "cl100k_base"])
    worst, base = c.most_expensive()
    assert worst.n_tokens == max(r.n_tokens for r in c.rows)
    assert (base.label, base.tokenizer) == ("English", worst.tokenizer)
    greek, _ = c.most_expensive("Greek")  # another baseline: the same worst row
    assert greek == worst
    _, g = c.most_expensive("Greek")
    assert (g.label, g.tokenizer) == ("Greek", worst.tokenizer)
