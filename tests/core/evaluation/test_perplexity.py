"""core.evaluation.perplexity: exp(mean NLL) by hand, windows, and the model's own loss."""

from __future__ import annotations

import math

import pytest
import torch

from core import models
from core.evaluation import (
    MAX_NLL,
    PerplexityResult,
    causal_logits,
    perplexity,
    perplexity_from_logits,
    token_nll,
    token_windows,
)
from tests.core.evaluation.conftest import VOCAB


def hand_nll(model, windows, *, score_last: bool = True) -> list[list[float]]:
    """-log p(next token) at every scored position, one window and one position at a time."""
    out = []
    with torch.no_grad():
        for w in windows:
            logits = model(input_ids=w[None, :-1]).logits[0].double()  # (T, V)
            n = len(w) - 1 if score_last else len(w) - 2
            row = []
            for t in range(n):
                logp = logits[t] - torch.logsumexp(logits[t], -1)
                row.append(-float(logp[w[t + 1]]))
            out.append(row)
    return out


@pytest.mark.parametrize("score_last", [True, False])
def test_perplexity_is_exp_of_the_mean_nll_by_hand(tiny_lm, windows, score_last):
    res = perplexity(tiny_lm, windows, batch_size=2, score_last=score_last)
    rows = hand_nll(tiny_lm, windows, score_last=score_last)
    flat = [x for r in rows for x in r]
    assert res.n_tokens == len(flat) == len(windows) * (8 if score_last else 7)
    assert res.nll == pytest.approx(sum(flat) / len(flat), rel=1e-5)
    assert res.perplexity == pytest.approx(math.exp(sum(flat) / len(flat)), rel=1e-5)
    assert res.window_nll == pytest.approx([sum(r) / len(r) for r in rows], rel=1e-5)


def test_batched_and_from_logits_agree(tiny_lm, windows):
    whole = perplexity_from_logits(causal_logits(tiny_lm, windows, batch_size=8), windows)
    for batch in (1, 3, 8):
        part = perplexity(tiny_lm, windows, batch_size=batch)
        assert part.n_tokens == whole.n_tokens
        assert part.window_nll == pytest.approx(whole.window_nll, rel=1e-6)
        assert part.perplexity == pytest.approx(whole.perplexity, rel=1e-6)


def test_a_uniform_model_has_the_vocabulary_size_as_perplexity(windows):
    logits = torch.zeros(len(windows), windows.shape[1] - 1, VOCAB)  # (N, T, V)
    assert perplexity_from_logits(logits, windows).perplexity == pytest.approx(VOCAB)


def test_a_sure_right_model_has_perplexity_one(windows):
    logits = torch.full((len(windows), windows.shape[1] - 1, VOCAB), -1e4)
    logits.scatter_(-1, windows[:, 1:, None], 1e4)  # all mass on the true next token
    assert perplexity_from_logits(logits, windows).perplexity == 1.0


def test_token_nll_equals_transformers_own_loss(tiny_lm, windows):
    x = windows[:, :-1]
    with torch.no_grad():
        own = tiny_lm(input_ids=x, labels=x).loss  # shifts itself: T - 1 predictions
        nll = token_nll(tiny_lm(input_ids=x).logits[:, :-1], x[:, 1:])  # (N, T - 1)
    assert nll.shape == (len(windows), x.shape[1] - 1)
    assert float(nll.mean()) == pytest.approx(float(own), rel=1e-6)


@pytest.mark.parametrize(
    ("nll", "expected"),
    [(0.0, 1.0), (1.0, math.e), (MAX_NLL, math.exp(MAX_NLL)), (1e6, math.exp(MAX_NLL))],
)
def test_perplexity_is_capped(nll, expected):
    assert PerplexityResult((nll,), nll, 1).perplexity == pytest.approx(expected)


# --- windows: the tiny-gpt tokenizer, real text -------------------------------------------------
@pytest.fixture(scope="module")
def tok():
    return models.load_tokenizer("tiny-gpt", "causal-lm")


TEXTS = ["Once upon a time there was a cat.", "The cat liked to sleep in the sun all day."]


@pytest.mark.parametrize(("seq_len", "max_windows"), [(4, None), (4, 2), (8, 1), (3, 100)])
def test_windows_are_equal_overlapping_cuts(tok, seq_len, max_windows):
    ids = tok(tok.eos_token.join(TEXTS) + tok.eos_token, add_special_tokens=False)["input_ids"]
    w = token_windows(tok, TEXTS, seq_len, max_windows=max_windows)
    n = (len(ids) - 1) // seq_len
    assert w.shape == (n if max_windows is None else min(n, max_windows), seq_len + 1)
    assert w[0].tolist() == ids[: seq_len + 1]
    assert all(int(w[i, -1]) == int(w[i + 1, 0]) for i in range(len(w) - 1))


def test_windows_join_documents_like_one_eos_between_them(tok):
    w = token_windows(tok, TEXTS, 4)  # (N, 5)
    ids: list[int] = []
    for t in TEXTS:
        ids += [*tok(t, add_special_tokens=False)["input_ids"], tok.eos_token_id]
    flat = [int(x) for x in w[:, :-1].flatten()] + [int(w[-1, -1])]
    assert flat == ids[: len(flat)]


def test_short_text_gives_one_shorter_window_and_too_short_raises(tok):
    w = token_windows(tok, ["cat"], 64)
    assert w.shape[0] == 1 and 2 <= w.shape[1] < 65
    with pytest.raises(ValueError, match="too short"):
        token_windows(tok, [""], 64)
