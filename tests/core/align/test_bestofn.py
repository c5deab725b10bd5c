"""core.align.bestofn on tiny random models: best-of-k only climbs in reward as k grows on the
same samples, its bound is log k - (k - 1) / k, the samples are seeded."""

from __future__ import annotations

import math

import pytest
import torch
from transformers import AutoTokenizer, GPT2Config, GPT2ForSequenceClassification, GPT2LMHeadModel

from core.align import BestOfNConfig, best_of_n, kl_bound
from core.models import tiny_gpt_path


@pytest.fixture(scope="module")
def models():
    tok = AutoTokenizer.from_pretrained(str(tiny_gpt_path()))
    tok.pad_token = tok.eos_token
    torch.manual_seed(0)
    size = dict(n_layer=1, n_head=2, n_embd=16, vocab_size=len(tok), n_positions=64)
    lm = GPT2LMHeadModel(GPT2Config(**size)).eval()
    head = GPT2Config(**size, num_labels=1, pad_token_id=tok.pad_token_id)
    return lm, GPT2ForSequenceClassification(head).eval(), tok


def test_best_of_k_reward_never_falls_as_k_grows(models):
    lm, rm, tok = models
    cfg = BestOfNConfig(n=8, max_new_tokens=4)
    r = best_of_n(lm, tok, (rm, tok), ["Q: a\nA:", "Tom asks: b\nA:"], cfg)
    assert [p.n for p in r.curve] == [1, 2, 4, 8]
    rewards = [p.reward for p in r.curve]
    assert rewards == sorted(rewards)
    assert r.curve[0].kl_bound == 0.0
    assert r.curve[-1].kl_bound == pytest.approx(math.log(8) - 7 / 8)
    assert all(len(s) == 8 for s in r.samples)
    assert r.best(0).reward == max(s.reward for s in r.samples[0])
    again = best_of_n(lm, tok, (rm, tok), ["Q: a\nA:", "Tom asks: b\nA:"], cfg)
    assert again.samples == r.samples


def test_kl_bound_grows_like_log_n():
    assert kl_bound(1) == 0.0
    assert kl_bound(64) == pytest.approx(math.log(64) - 63 / 64)


def test_no_prompt_is_refused(models):
    lm, rm, tok = models
    with pytest.raises(ValueError, match="at least one prompt"):
        best_of_n(lm, tok, (rm, tok), [], BestOfNConfig())
