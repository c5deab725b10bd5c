"""core.attention.result: the config's checks and what a result says about itself."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from core.attention import AttentionConfig, is_seq2seq
from tests.core.attention.samples import CASES, PRONOUN, TRANSLATE


def test_config_needs_a_model_name():
    with pytest.raises(ValueError, match="model"):
        AttentionConfig(model=" ")


@pytest.mark.parametrize(("model", "text"), [("minilm", PRONOUN), ("tiny-gpt", CASES[3][1])])
def test_max_above_diagonal_is_zero_only_under_the_causal_mask(results, model, text):
    r = results[(model, text, None)]
    got = r.max_above_diagonal(2, 1)
    assert got == float(np.triu(r.weights[2, 1], 1).max())
    assert (got == 0.0) is r.causal


def test_cross_attention_result_checks_its_columns(s2s):
    r = s2s[("tiny-t5", TRANSLATE, "chat chien")]
    with pytest.raises(ValueError, match="key_tokens"):
        dataclasses.replace(r.decoder, kind="cross")  # cross-attention without its columns
    with pytest.raises(ValueError, match="tokens but attention maps"):
        dataclasses.replace(r.cross, key_tokens=r.cross.key_tokens[:-1])
    assert is_seq2seq("tiny-t5") and is_seq2seq("flan-t5-small") and not is_seq2seq("minilm")
