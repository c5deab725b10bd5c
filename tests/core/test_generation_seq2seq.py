"""core.generation for an encoder-decoder one step at a time: the next-token logits of a decoder
given its source, a decoder continued from its answer so far, and the source's truncation."""

from __future__ import annotations

import pytest
import torch

from core import models
from core.generation import (
    TextSoFar,
    encode_prompt,
    generate,
    generate_batch,
    next_token_logits,
    text_so_far,
)
from core.sampling import SamplingConfig, filter_distribution


@pytest.fixture(scope="module")
def small_t5():
    """A random T5 (two layers each side, 97 tokens): fast, and not trained to stop early."""
    from transformers import T5Config, T5ForConditionalGeneration

    torch.manual_seed(0)
    cfg = T5Config(
        vocab_size=97,
        d_model=32,
        d_kv=8,
        d_ff=64,
        num_layers=2,
        num_decoder_layers=2,
        num_heads=4,
        decoder_start_token_id=0,
        pad_token_id=0,
        eos_token_id=1,
        n_positions=40,
    )
    return T5ForConditionalGeneration(cfg).eval()


@pytest.fixture(scope="module")
def t5():
    return models.load_seq2seq("tiny-t5")


@pytest.fixture(scope="module")
def lm():
    return models.load_causal_lm("tiny-gpt")


def _hf_logits(model, src, dec):
    with torch.no_grad():
        out = model(input_ids=torch.tensor([src]), decoder_input_ids=torch.tensor([dec]))
    return out.logits[0, -1]


@pytest.mark.parametrize("prefix", [(), (5,), (5, 17, 40, 3)])
def test_next_token_logits_of_a_decoder_equal_transformers(small_t5, prefix):
    src = [4, 9, 22, 13, 1]
    got = next_token_logits(small_t5, src, decoder_prefix=prefix)
    want = _hf_logits(small_t5, src, [0, *prefix])
    assert got.shape == (97,)
    torch.testing.assert_close(torch.from_numpy(got), want, rtol=0, atol=1e-5)


def test_next_token_logits_of_tiny_t5_equal_transformers(t5):
    src = t5.tokenizer.encode("translate English to French: cat dog")
    prefix = t5.tokenizer.encode("chat", add_special_tokens=False)
    got = next_token_logits(t5.model, src, decoder_prefix=prefix)
    want = _hf_logits(t5.model, src, [t5.model.config.decoder_start_token_id, *prefix])
    torch.testing.assert_close(torch.from_numpy(got), want, rtol=0, atol=1e-5)


def test_a_decoder_prefix_is_refused_for_a_causal_lm(lm):
    ids = lm.tokenizer.encode("Once upon a time")
    with pytest.raises(ValueError, match="seq2seq"):
        next_token_logits(lm.model, ids, decoder_prefix=(3,))
    with pytest.raises(ValueError, match="seq2seq"):
        generate(lm.model, ids, SamplingConfig(), max_new_tokens=2, decoder_prefix=(3,))


CONFIGS = [
    SamplingConfig(temperature=0),
    SamplingConfig(temperature=0, repetition_penalty=1.3),
    SamplingConfig(temperature=1.1, top_k=20, top_p=0.9, seed=4),
    SamplingConfig(temperature=0.8, min_p=0.05, repetition_penalty=1.2, seed=11),
]


@pytest.mark.parametrize("cfg", CONFIGS)
@pytest.mark.parametrize("prefix", [(), (7, 30)])
def test_generate_after_a_decoder_prefix_equals_model_generate(small_t5, cfg, prefix):
    src = [4, 9, 22, 13, 1]
    n = 8
    got = generate(small_t5, src, cfg, max_new_tokens=n, eos_token_id=1, decoder_prefix=prefix)
    torch.manual_seed(cfg.seed)
    with torch.no_grad():
        out = small_t5.generate(
            torch.tensor([src]),
            decoder_input_ids=torch.tensor([[0, *prefix]]),
            max_new_tokens=n,
            **cfg.generate_kwargs(),
        )
    assert list(got.token_ids) == out[0, 1 + len(prefix) :].tolist()


@pytest.mark.parametrize("seed", [0, 5])
def test_single_draws_through_text_so_far_equal_generate_n(small_t5, seed):
    """The Sampling page's step-through on a seq2seq model: one token at a time from
    text_so_far + next_token_logits (penalty on the decoder's ids) == Generate N."""
    cfg = SamplingConfig(temperature=1.3, top_k=40, repetition_penalty=1.2, seed=seed)
    src, n, drawn = [4, 9, 22, 13, 1], 9, []
    for i in range(n):
        text = text_so_far(small_t5, src, drawn, context=40)
        logits = next_token_logits(small_t5, text.prompt_ids, decoder_prefix=text.decoder_prefix)
        drawn.append(filter_distribution(logits, cfg, context_ids=text.ids, draw_index=i).chosen_id)
    assert list(generate(small_t5, src, cfg, max_new_tokens=n).token_ids) == drawn
    # and the rest of the text, generated after the first three drawn one at a time
    rest = generate(
        small_t5, src, cfg, max_new_tokens=n - 3, decoder_prefix=drawn[:3], first_draw=3
    )
    assert drawn[:3] + list(rest.token_ids) == drawn


def test_a_decoder_prefix_takes_room_from_the_decoders_context(small_t5):
    src = [4, 9, 1]
    r = generate(
        small_t5, src, SamplingConfig(temperature=0), max_new_tokens=50, decoder_prefix=[5] * 30
    )
    assert len(r.token_ids) <= 40 - 1 - 30


def test_text_so_far_of_a_causal_lm_is_the_last_tokens_that_leave_room(lm):
    prompt, generated = list(range(10, 20)), [1, 2, 3]
    assert text_so_far(lm.model, prompt, generated, context=6) == TextSoFar((17, 18, 19, 1, 2, 3))
    assert text_so_far(lm.model, prompt, generated, context=6).ids == (17, 18, 19, 1, 2, 3)
    assert text_so_far(lm.model, prompt, generated, context=6, new_tokens=4).ids == (2, 3)
    assert text_so_far(lm.model, prompt, generated, context=6, new_tokens=9).ids == (3,)


def test_text_so_far_of_a_seq2seq_model_keeps_the_source_whole(t5):
    text = text_so_far(t5.model, [5, 6, 1], [9, 8], context=2, new_tokens=5)
    assert text.prompt_ids == (5, 6, 1) and text.decoder_prefix == (9, 8)
    assert text.ids == (t5.model.config.decoder_start_token_id, 9, 8)


def test_a_long_source_keeps_its_first_tokens_and_the_end_token(t5):
    tok = t5.tokenizer
    text = "summarize: " + " ".join(["the cat sat on the mat"] * 20)
    p = encode_prompt(tok, text, max_tokens=16, source=True)
    assert p.truncated and p.n_original == len(tok.encode(text))
    assert list(p.ids) == tok(text, truncation=True, max_length=16)["input_ids"]
    assert p.ids[-1] == tok.eos_token_id and p.ids[:3] == tuple(tok.encode(text)[:3])
    assert "first 16" in p.note
    short = encode_prompt(tok, "translate English to French: cat", max_tokens=16, source=True)
    assert not short.truncated and short.note is None
    with pytest.raises(ValueError, match="source is empty"):
        encode_prompt(tok, "  ", max_tokens=16, source=True)


# --- encoder-decoders: one encoder pass, the decoder from its start token -----------------------
def _hf_seq2seq(model, prompt, n, *, seed=0, **kw):
    torch.manual_seed(seed)
    x = torch.tensor([list(prompt)])
    with torch.no_grad():
        out = model.generate(x, attention_mask=torch.ones_like(x), max_new_tokens=n, **kw)
    return out[0, 1:].tolist()  # without the decoder's start token


SEQ2SEQ_SETTINGS = [
    SamplingConfig(temperature=0),
    SamplingConfig(temperature=0, repetition_penalty=1.3),
    SamplingConfig(temperature=1.0, seed=3),
    SamplingConfig(temperature=0.7, top_k=20, seed=11),
    SamplingConfig(temperature=1.2, top_p=0.8, repetition_penalty=1.2, seed=5),
]


@pytest.mark.parametrize("cfg", SEQ2SEQ_SETTINGS, ids=lambda c: f"t{c.temperature}-s{c.seed}")
def test_seq2seq_generate_equals_model_generate(small_t5, cfg):
    prompt = [5, 17, 33, 8, 1]
    want = _hf_seq2seq(
        small_t5, prompt, 12, seed=cfg.seed, eos_token_id=None, **cfg.generate_kwargs()
    )
    got = generate(small_t5, prompt, cfg, max_new_tokens=12)
    assert list(got.token_ids) == want
    assert got.prompt_ids == tuple(prompt)  # the encoder's input, not the decoder's


def test_seq2seq_generate_stops_on_eos_and_records_each_step(small_t5):
    prompt = [9, 4, 1]
    free = generate(small_t5, prompt, SamplingConfig(temperature=0), max_new_tokens=10)
    eos = free.token_ids[3]  # make the fourth token the end of text
    r = generate(
        small_t5, prompt, SamplingConfig(temperature=0), max_new_tokens=10, eos_token_id=eos
    )
    assert r.token_ids == free.token_ids[: free.token_ids.index(eos) + 1]
    assert r.stopped_on_eos and r.stop_id == eos
    assert all(0.0 <= s.raw_prob <= 1.0 for s in r.steps)


def test_seq2seq_batch_equals_model_generate_row_for_row(small_t5):
    rows = [[5, 17, 33, 8, 1], [40, 2, 1], [7, 7, 7, 60, 61, 62, 1]]
    got = generate_batch(small_t5, rows, max_new_tokens=9, pad_token_id=0, stop_token_ids=(1,))
    T = max(map(len, rows))
    ids = torch.tensor([[0] * (T - len(r)) + r for r in rows])
    mask = (torch.arange(T)[None] >= torch.tensor([T - len(r) for r in rows])[:, None]).long()
    with torch.no_grad():
        out = small_t5.generate(
            ids, attention_mask=mask, max_new_tokens=9, do_sample=False, eos_token_id=1
        )
    for row, mine in zip(out[:, 1:].tolist(), got, strict=True):
        end = next((j + 1 for j, t in enumerate(row) if t == 1), len(row))
        assert list(mine) == row[:end]
    alone = [
        generate_batch(small_t5, [r], max_new_tokens=9, pad_token_id=0, stop_token_ids=(1,))[0]
        for r in rows
    ]
    assert alone == got  # padding changes nothing a row writes


def test_seq2seq_prompt_longer_than_the_encoder_is_refused(small_t5):
    long = [3] * (models.context_size(small_t5) + 1)
    with pytest.raises(ValueError, match="longer than the context"):
        generate(small_t5, long, SamplingConfig(temperature=0), max_new_tokens=2)
