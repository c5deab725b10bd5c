"""The same model in-process and served by vLLM agree: greedy tokens, top logprobs, prompt-shot
scores; a served seed is reproducible.

Tolerance: ``ATOL`` = 1e-4 on natural-log probabilities. Both sides run tiny-gpt in float32 on
the same weights; they differ only in kernels (vLLM's CPU attention and fused ops against
transformers' eager/SDPA path) and summation order, which moves float32 logits by about 1e-6
relative (measured here: at most ~5e-6 on a log-probability). 1e-4 leaves a factor of 20 and
still catches a wrong position, a missed token or a softmax over other logits (those move
log-probabilities by 1e-2 and more). Scores summed over a continuation's tokens get
``ATOL`` per token.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from core import generation as gen
from core.models import load_causal_lm
from core.prompting import evaluate_shots, load_task
from core.prompting.scoring import _score_groups
from core.sampling import SamplingConfig
from core.serving import backend as be
from core.serving import complete

pytestmark = pytest.mark.slow  # starts vLLM (about 25 s) once per session

ATOL = 1e-4
PROMPTS = [
    "Once upon a time, there was a little cat named",
    "Q: What is the opposite of hot?\nA:",
    "The capital of France is",
    "Translate English to French.\ncat => chat\ndog => chien\nbread =>",
]


@pytest.fixture(scope="module")
def lm():
    return load_causal_lm("tiny-gpt")


@pytest.fixture(scope="module")
def served(vllm_server):
    return be.Backend(be.SERVED, vllm_server)


def ids_of(lm, text):
    return gen.encode_prompt(lm.tokenizer, text, max_tokens=200).ids


def log_softmax(logits):
    z = logits.astype(np.float64) - logits.max()
    return z - np.log(np.exp(z).sum())


@pytest.mark.parametrize("text", PROMPTS)
def test_greedy_gives_the_same_tokens(lm, served, text):
    ids = ids_of(lm, text)
    greedy = SamplingConfig(temperature=0)
    eos = lm.tokenizer.eos_token_id
    mine = gen.generate(lm.model, ids, greedy, max_new_tokens=40, eos_token_id=eos)
    theirs = be.generate(
        lm.model,
        ids,
        greedy,
        max_new_tokens=40,
        eos_token_id=eos,
        model_name="tiny-gpt",
        backend=served,
    )
    assert theirs.backend == "served" and theirs.note is None
    assert theirs.value.backend == "served"
    assert theirs.value.token_ids == mine.token_ids
    assert theirs.value.stop_id == mine.stop_id
    for a, b in zip(theirs.value.steps, mine.steps, strict=True):
        assert math.log(a.raw_prob) == pytest.approx(math.log(b.raw_prob), abs=ATOL)
        assert (a.prob, a.n_kept, a.entropy_bits) == (1.0, 1, 0.0)  # greedy: as in-process


@pytest.mark.parametrize("text", PROMPTS)
def test_top_logprobs_agree(lm, served, text):
    ids = ids_of(lm, text)
    k = 20
    top = be.next_token_top(lm.model, ids, k=k, model_name="tiny-gpt", backend=served)
    assert top.backend == "served" and len(top.value.token_ids) == k
    ref = log_softmax(gen.next_token_logits(lm.model, ids))  # (V,)
    served_lp = np.log(np.array(top.value.probs))
    np.testing.assert_allclose(served_lp, ref[list(top.value.token_ids)], atol=ATOL, rtol=0)
    # the server's k are the in-process top k (up to ties within the tolerance)
    kth = np.sort(ref)[-k]
    assert all(ref[t] >= kth - ATOL for t in top.value.token_ids)
    rest = 1 - np.exp(np.sort(ref)[-k:]).sum()
    assert top.value.rest == pytest.approx(rest, abs=k * ATOL)


def test_prompt_shot_scores_agree(lm, served):
    enc = lm.tokenizer.encode
    shots = "Q: What is the opposite of big?\nA: small\n"
    prompts = [enc(shots + "Q: What is the opposite of hot?\nA:"), enc("Q: hot or cold?\nA:")]
    choices = [enc(" cold"), enc(" warm"), enc(" a big red ball")]
    groups = [(prompts, [choices, choices])]
    theirs = be.score_continuations(
        lm.model,
        groups,
        model_name="tiny-gpt",
        backend=served,
        in_process=lambda g: pytest.fail("the server was asked"),
    )
    assert theirs.backend == "served" and theirs.note is None
    mine = _score_groups(lm.model, groups)
    for g_s, g_m in zip(theirs.value, mine, strict=True):
        for row_s, row_m, conts in zip(g_s, g_m, [choices, choices], strict=True):
            for s, m, c in zip(row_s, row_m, conts, strict=True):
                assert s == pytest.approx(m, abs=ATOL * len(c))


def test_a_served_seed_is_reproducible(lm, vllm_server):
    ids = ids_of(lm, PROMPTS[0])
    kw = dict(max_tokens=24, temperature=1.0, logprobs=3, ignore_eos=True)
    a = complete(vllm_server, ids, seed=7, **kw)[0]
    b = complete(vllm_server, ids, seed=7, **kw)[0]
    others = {complete(vllm_server, ids, seed=s, **kw)[0].token_ids for s in (1, 2, 3)}
    assert a.token_ids == b.token_ids and len(a.token_ids) == 24
    assert len(others | {a.token_ids}) > 1  # other seeds draw other texts


def test_sampled_steps_say_what_the_server_cannot_know(lm, served):
    ids = ids_of(lm, PROMPTS[0])
    cfg = SamplingConfig(temperature=0.8, top_k=40, seed=3)
    r = be.generate(lm.model, ids, cfg, max_new_tokens=8, model_name="tiny-gpt", backend=served)
    assert r.backend == "served" and len(r.value.steps) == 8
    for s in r.value.steps:
        assert math.isnan(s.prob) and s.n_kept == 0 and 0 < s.raw_prob <= 1
        assert len(s.alternatives) == 5


def test_prompt_shot_sweep_scored_by_the_server_agrees(lm, served):
    task = load_task("sentiment")
    # k = 8 overflows tiny-gpt's context: those prompts are cut to fill it, rows the server
    # cannot take (it needs room for one generated token); they are scored here ("mixed")
    mine = evaluate_shots(task, lm, ks=(0, 2, 8), seeds=(0,), instruction=True)
    theirs = evaluate_shots(task, lm, ks=(0, 2, 8), seeds=(0,), instruction=True, backend=served)
    assert mine.backend == "in-process" and theirs.backend in ("served", "mixed")
    assert not [n for n in theirs.notes if "in-process model instead" in n]
    short = evaluate_shots(task, lm, ks=(0, 2), seeds=(1,), instruction=False, backend=served)
    assert short.backend == "served"
    for a, b in zip(theirs.runs, mine.runs, strict=True):
        for x, y in zip(a.items, b.items, strict=True):
            # a choice is a few tokens: ATOL per token, 8 tokens at most
            np.testing.assert_allclose(x.logprobs, y.logprobs, atol=8 * ATOL, rtol=0)
            assert x.prediction == y.prediction or abs(x.probs[0] - x.probs[1]) < 1e-3
