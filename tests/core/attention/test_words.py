"""core.attention.words: word-to-word attention for the predict-then-reveal question."""

from __future__ import annotations

import pytest

from core.attention import attention_maps, source_word_attention, word_attention, word_tokens
from tests.core.attention.samples import PRONOUN, TRANSLATE


def test_word_attention_sums_the_word_tokens(results):
    r = results[("minilm", PRONOUN, None)]
    src = word_tokens(r, "it")
    assert [r.tokens[i] for i in src] == ["it"]
    got = word_attention(r, "it", ["animal", "street", "nowhere"], layer=5)
    row = r.weights[5, :, src[0]].mean(0)
    assert got["animal"] == pytest.approx(row[word_tokens(r, "animal")].sum())
    assert got["nowhere"] == 0.0
    with pytest.raises(ValueError, match="not in the text"):
        word_attention(r, "zebra", ["animal"], layer=0)


def test_decoder_it_cannot_attend_to_a_later_word(results):
    r = attention_maps(PRONOUN, "tiny-gpt")
    got = word_attention(r, "it", ["animal", "tired"], layer=r.n_layers - 1)
    assert got["tired"] == 0.0 and got["animal"] > 0.0


def test_source_word_attention_reads_the_row_writing_the_word(s2s):
    res = s2s[("tiny-t5", TRANSLATE, "chat chien")]
    got = source_word_attention(res, "chien", ["cat", "dog", "zebra"], layer=2)
    k = word_tokens(res.decoder, "chien")[0]
    assert res.decoder.writes[k - 1] == "chien"  # the row before the word writes it
    row = res.cross.weights[2, :, k - 1].mean(0)
    assert got["dog"] == pytest.approx(row[word_tokens(res.encoder, "dog")].sum())
    assert got["cat"] == pytest.approx(row[word_tokens(res.encoder, "cat")].sum())
    assert got["zebra"] == 0.0
    every = source_word_attention(res, "chien", res.source.replace(":", "").split(), layer=0)
    colon, end = res.encoder.tokens.index(":"), res.encoder.n_tokens - 1  # not words
    rest = res.cross.weights[0, :, k - 1][:, [colon, end]].sum(-1).mean()
    assert sum(every.values()) == pytest.approx(1.0 - rest, abs=1e-5)  # the words hold the rest
    with pytest.raises(ValueError, match="not in the target"):
        source_word_attention(res, "lapin", ["cat"], layer=0)
