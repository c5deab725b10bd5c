"""Fixtures shared by the core.attention tests: real results, each computed once."""

from __future__ import annotations

import pytest
import torch

from core import models
from core.attention import attention_maps, seq2seq_attention


class _Lazy(dict):
    """Each case's result computed on first use, once for these tests."""

    def __missing__(self, key):
        model, text, pair = key
        self[key] = attention_maps(text, model, text_pair=pair)
        return self[key]


@pytest.fixture(scope="package")
def results():
    return _Lazy()


def _random_t5() -> models.LoadedModel:
    """A small random T5 with tiny-t5's tokenizer: 3 encoder and 2 decoder layers of 2 heads
    (so each stack's depth is checked apart), eager attention as the loaders ask."""
    from transformers import T5Config, T5ForConditionalGeneration

    tok = models.load_seq2seq("tiny-t5").tokenizer
    torch.manual_seed(0)
    cfg = T5Config(
        vocab_size=len(tok),
        d_model=32,
        d_kv=8,
        d_ff=64,
        num_layers=3,
        num_decoder_layers=2,  # fewer than the encoder's (model.generate's cache needs that)
        num_heads=2,
        pad_token_id=0,
        eos_token_id=1,
        decoder_start_token_id=0,
        dropout_rate=0.0,
        attn_implementation="eager",
    )
    model = T5ForConditionalGeneration(cfg).eval()
    spec = models.ModelSpec("random-t5", "seq2seq", "embedded", "a random T5 for the tests")
    return models.LoadedModel(spec, model, tok)


class _Seq2Seq(dict):
    """Each case's result computed on first use, once for these tests (and the random T5 once)."""

    def model(self, name: str):
        if name == "random-t5":
            if "_random" not in self:
                self["_random"] = _random_t5()
            return self["_random"]
        return models.load_seq2seq(name)

    def __missing__(self, key):
        name, source, target = key
        self[key] = seq2seq_attention(source, self.model(name), target=target)
        return self[key]


@pytest.fixture(scope="package")
def s2s():
    return _Seq2Seq()
