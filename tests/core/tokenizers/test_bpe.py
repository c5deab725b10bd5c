"""core.tokenizers.bpe: the step-by-step BPE trainer replays to the trained tokenizer."""

from __future__ import annotations

import pytest

from core.tokenizers import (
    BpeConfig,
    examples,
    train_bpe,
)
from core.tokenizers.engine import byte_decoder


# --- BPE --------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def bpe():
    return train_bpe(BpeConfig(examples()["bpe_text"], num_merges=60))


def test_bpe_replay_ends_where_the_trained_tokenizer_does(bpe):
    assert 0 < len(bpe.merges) <= 60 and bpe.vocab_size == 256 + len(bpe.merges)
    for word, _ in bpe.words:
        text = bytes(byte_decoder()[c] for c in word).decode()
        assert bpe.segment(text, len(bpe.merges)) == bpe.encode(text), text


def test_bpe_merge_counts_and_token_totals(bpe):
    text = bpe.config.text
    assert bpe.tokens_before == len(text.encode()) - text.count("\n")
    assert bpe.merges[-1].tokens_after == len(bpe.final_ids)
    totals = [bpe.tokens_before] + [m.tokens_after for m in bpe.merges]
    assert all(a > b for a, b in zip(totals, totals[1:], strict=False))
    assert all(m.count >= 2 for m in bpe.merges)  # min_frequency
    assert bpe.merges[0].count == max(m.count for m in bpe.merges)


def test_bpe_segmentation_grows_step_by_step(bpe):
    hist = bpe.history(" slowest")
    assert hist[0] == (0, list(" slowest"))
    steps = [s for s, _ in hist]
    assert steps == sorted(steps) and len(hist) > 2
    assert all(len(a) > len(b) for (_, a), (_, b) in zip(hist, hist[1:], strict=False))
    assert bpe.segment(" slowest", 0) == list(" slowest")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"text": "  "}, "empty"),
        ({"text": "x" * 20_001}, "under"),
        ({"text": "ab", "num_merges": 0}, "num_merges"),
        ({"text": "ab", "min_frequency": 0}, "min_frequency"),
    ],
)
def test_bpe_config_rejects_bad_values(kwargs, message):
    with pytest.raises(ValueError, match=message):
        BpeConfig(**kwargs)


def test_bpe_on_multibyte_text_keeps_partial_bytes_visible():
    r = train_bpe(BpeConfig("日本 日本 日本 日本", num_merges=10))
    assert r.segment("日本", 0) == ["\\xe6", "\\x97", "\\xa5", "\\xe6", "\\x9c", "\\xac"]
    assert r.segment("日本", len(r.merges)) == ["日本"] == r.encode("日本")
    # byte-level merges may join the end of one character to the start of the next
    assert "\\xa5\\xe6" in r.segment("日本", 1)
