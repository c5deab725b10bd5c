"""core.sampling: the filters' invariants, parity with transformers' processors, and (through
core.generation's loop, built on them) with transformers' generate."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from core import models
from core.generation import encode_prompt, generate, next_token_logits
from core.knobs import spec
from core.sampling import (
    GREEDY,
    KEPT,
    MIN_P,
    TOP_K,
    TOP_P,
    SamplingConfig,
    draw_generator,
    filter_distribution,
)

FAST = settings(max_examples=60, deadline=None)


# distinct logits: ties at a boundary legitimately keep more than k tokens (as in transformers)
logit_lists = st.lists(
    st.floats(-20, 20, allow_nan=False, width=32), min_size=2, max_size=64, unique=True
)
SEED_HI = int(spec(SamplingConfig, "seed").hi)  # the page's range, the engine's too
configs = st.builds(
    SamplingConfig,
    temperature=st.sampled_from([0.0, 0.1, 0.5, 1.0, 1.7, 2.5]),
    top_k=st.integers(0, 80),
    top_p=st.floats(0, 1),
    min_p=st.floats(0, 1),
    repetition_penalty=st.sampled_from([0.8, 1.0, 1.3]),
    seed=st.integers(0, SEED_HI),
)


def _reference_scores(logits, cfg: SamplingConfig, context):
    """transformers' own processors, in generate's order, on the same logits."""
    from transformers import (
        LogitsProcessorList,
        MinPLogitsWarper,
        RepetitionPenaltyLogitsProcessor,
        TemperatureLogitsWarper,
        TopKLogitsWarper,
        TopPLogitsWarper,
    )

    procs = LogitsProcessorList()
    if cfg.repetition_penalty != 1:
        procs.append(RepetitionPenaltyLogitsProcessor(cfg.repetition_penalty))
    if cfg.temperature != 1:
        procs.append(TemperatureLogitsWarper(cfg.temperature))
    if cfg.top_k:
        procs.append(TopKLogitsWarper(cfg.top_k))
    if cfg.top_p < 1:
        procs.append(TopPLogitsWarper(cfg.top_p))
    if cfg.min_p > 0:
        procs.append(MinPLogitsWarper(cfg.min_p))
    ids = torch.tensor([context or [0]], dtype=torch.long)
    return procs(ids, torch.tensor([logits], dtype=torch.float32))[0]


# --- config validation ------------------------------------------------------------------------
@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"temperature": -0.1}, "temperature"),
        ({"temperature": float("nan")}, "temperature"),
        ({"temperature": 11.0}, "temperature"),
        ({"temperature": 2.6}, "temperature must be between 0 and 2.5"),
        ({"top_k": -1}, "top-k"),
        ({"top_k": 2.5}, "top_k"),
        ({"top_p": 1.2}, "top-p"),
        ({"min_p": -0.5}, "min-p"),
        ({"repetition_penalty": 0.0}, "repetition penalty"),
        ({"repetition_penalty": 5.0}, "repetition penalty must be between 0.5 and 2"),
        ({"seed": -3}, "seed"),
        ({"seed": True}, "seed"),
    ],
)
def test_config_rejects_bad_values_with_a_plain_message(kwargs, message):
    with pytest.raises(ValueError, match=message):
        SamplingConfig(**kwargs)


def test_config_is_frozen_and_maps_to_generate_kwargs():
    cfg = SamplingConfig(temperature=0.7, top_k=0, top_p=0.9, min_p=0.0)
    with pytest.raises(AttributeError):
        cfg.temperature = 2.0  # type: ignore[misc]
    kw = cfg.generate_kwargs()
    assert kw["top_k"] == 0 and kw["min_p"] is None and kw["do_sample"] is True
    assert SamplingConfig(temperature=0).generate_kwargs()["do_sample"] is False


# --- properties of the filters ----------------------------------------------------------------
@FAST
@given(logit_lists, configs)
def test_final_probs_sum_to_one_and_match_transformers(logits, cfg):
    r = filter_distribution(logits, cfg, context_ids=[0, 1])
    assert r.final_probs.sum() == pytest.approx(1.0, abs=1e-5)
    assert (r.final_probs >= 0).all()
    assert r.final_probs[r.chosen_id] > 0
    assert (r.final_probs[r.removed_by != KEPT] == 0).all()
    assert r.n_kept >= 1
    if not cfg.greedy:
        ref = torch.softmax(_reference_scores(logits, cfg, [0, 1]), dim=-1).numpy()
        np.testing.assert_allclose(r.final_probs, ref, atol=1e-6)
        # each filter only removes: the masks are nested
        assert (r.kept[TOP_K] >= r.kept[TOP_P]).all() and (r.kept[TOP_P] >= r.kept[MIN_P]).all()


@FAST
@given(logit_lists, st.integers(1, 80))
def test_top_k_keeps_at_most_k(logits, k):
    r = filter_distribution(logits, SamplingConfig(top_k=k))
    assert r.n_kept == min(k, len(logits))
    kept = np.flatnonzero(r.removed_by == KEPT)
    assert set(kept) == set(np.argsort(logits)[::-1][: min(k, len(logits))])


@FAST
@given(logit_lists, st.floats(0.01, 0.99), st.sampled_from([0.5, 1.0, 2.0]))
def test_top_p_keeps_the_smallest_set_reaching_p(logits, p, t):
    r = filter_distribution(logits, SamplingConfig(temperature=t, top_p=p))
    kept = np.sort(r.scaled_probs[r.removed_by == KEPT])[::-1]
    removed = r.scaled_probs[r.removed_by != KEPT]
    tol = 1e-5
    assert kept.sum() >= p - tol  # reaches p...
    if len(kept) > 1:
        assert kept[:-1].sum() < p + tol  # ...and one token fewer would not
    if len(removed):
        assert removed.max() <= kept.min() + 1e-7  # the most likely tokens are the ones kept


@FAST
@given(logit_lists, st.integers(0, SEED_HI))
def test_greedy_picks_the_argmax_whatever_the_seed(logits, seed):
    r = filter_distribution(logits, SamplingConfig(temperature=0, top_k=3, top_p=0.5, seed=seed))
    assert r.chosen_id == int(np.argmax(np.asarray(logits, dtype=np.float32)))
    assert r.n_kept == 1 and r.final_probs[r.chosen_id] == 1.0
    assert (r.removed_by != KEPT).sum() == len(logits) - 1
    assert set(r.removed_by[r.removed_by != KEPT]) <= {GREEDY}


@FAST
@given(logit_lists, configs)
def test_same_seed_same_token(logits, cfg):
    a = filter_distribution(logits, cfg)
    b = filter_distribution(logits, cfg)
    assert a.chosen_id == b.chosen_id
    np.testing.assert_array_equal(a.final_probs, b.final_probs)


@FAST
@given(logit_lists, st.floats(0.05, spec(SamplingConfig, "temperature").hi))
def test_temperature_reshapes_but_keeps_the_ranking(logits, t):
    r = filter_distribution(logits, SamplingConfig(temperature=t))
    assert r.n_kept == len(logits)  # no filter on: every token stays
    # the most likely token stays the most likely (float32 ties can break either way)
    top = int(np.argmax(np.asarray(logits, dtype=np.float32)))
    assert r.scaled_probs[top] >= r.scaled_probs.max() - 1e-6
    ent = -(r.scaled_probs * np.log2(np.clip(r.scaled_probs, 1e-30, None))).sum()
    assert r.entropy_final_bits == pytest.approx(float(ent), abs=1e-3)


# --- case tables ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "cfg, removed_by, n_notes",
    [
        (SamplingConfig(top_k=2), ["kept", "kept", "top-k", "top-k"], 0),
        (SamplingConfig(top_k=0), ["kept"] * 4, 0),
        (SamplingConfig(top_k=99), ["kept"] * 4, 1),  # larger than the vocabulary: a note
        (SamplingConfig(top_p=0.0), ["kept", "top-p", "top-p", "top-p"], 1),
        (SamplingConfig(top_p=1.0), ["kept"] * 4, 0),
        (SamplingConfig(top_k=3, top_p=0.7), ["kept", "kept", "top-p", "top-k"], 0),
        (SamplingConfig(min_p=0.5), ["kept", "kept", "min-p", "min-p"], 0),
        (SamplingConfig(temperature=0), ["kept", GREEDY, GREEDY, GREEDY], 1),
    ],
)
def test_which_filter_removed_each_token(cfg, removed_by, n_notes):
    # probabilities 0.5, 0.3, 0.15, 0.05
    logits = np.log(np.array([0.5, 0.3, 0.15, 0.05], dtype=np.float32))
    r = filter_distribution(logits, cfg)
    assert r.removed_by.tolist() == removed_by
    assert len(r.notes) == n_notes


def test_top_k_keeps_ties_at_the_boundary_like_transformers():
    r = filter_distribution([1.0, 1.0, 1.0, 0.0], SamplingConfig(top_k=2))
    assert r.n_kept == 3


def test_repetition_penalty_lowers_tokens_of_the_context():
    logits = np.array([2.0, 2.0, -1.0], dtype=np.float32)
    r = filter_distribution(logits, SamplingConfig(repetition_penalty=2.0), context_ids=[0, 2])
    assert r.penalized_probs[0] < r.penalized_probs[1]
    assert r.penalized_probs[2] < r.raw_probs[2]


def test_bad_logits_are_refused():
    with pytest.raises(ValueError, match="NaN"):
        filter_distribution([0.0, float("nan")], SamplingConfig())
    with pytest.raises(ValueError, match="empty"):
        filter_distribution([], SamplingConfig())


# --- generate == transformers' generate -------------------------------------------------------
@pytest.fixture(scope="module")
def small_lm():
    from transformers import GPT2Config, GPT2LMHeadModel

    torch.manual_seed(0)
    cfg = GPT2Config(
        n_layer=2,
        n_head=2,
        n_embd=32,
        n_positions=48,
        vocab_size=97,
        bos_token_id=96,
        eos_token_id=96,
    )
    return GPT2LMHeadModel(cfg).eval()


def _hf_generate(model, prompt, cfg: SamplingConfig, n, eos=None):
    torch.manual_seed(cfg.seed)
    x = torch.tensor([prompt])
    out = model.generate(
        x,
        attention_mask=torch.ones_like(x),
        max_new_tokens=n,
        pad_token_id=0,
        eos_token_id=eos,
        **cfg.generate_kwargs(),
    )
    return out[0, len(prompt) :].tolist()


GEN_CASES = [
    SamplingConfig(temperature=0),
    SamplingConfig(temperature=0, repetition_penalty=1.4),
    SamplingConfig(temperature=1.0, seed=3),
    SamplingConfig(
        temperature=0.7, top_k=10, top_p=0.9, min_p=0.05, repetition_penalty=1.2, seed=11
    ),
    SamplingConfig(temperature=1.5, top_p=0.0, seed=5),
    SamplingConfig(temperature=2.5, top_k=500, seed=7),
]


@pytest.mark.parametrize("cfg", GEN_CASES, ids=lambda c: f"T{c.temperature}-k{c.top_k}-s{c.seed}")
def test_generate_equals_transformers_generate(small_lm, cfg):
    prompt = [1, 5, 7, 9]
    ours = generate(small_lm, prompt, cfg, max_new_tokens=25)
    assert list(ours.token_ids) == _hf_generate(small_lm, prompt, cfg, 25)
    assert len(ours.steps) == 25
    for s in ours.steps:
        assert s.prob > 0 and 1 <= s.n_kept <= 97
        raws = [a[2] for a in s.alternatives]
        assert raws == sorted(raws, reverse=True)  # the model's favourites, first to last


def test_generate_streams_each_step_and_stops_at_the_context(small_lm):
    seen = []
    r = generate(
        small_lm,
        list(range(40)),
        SamplingConfig(seed=1),
        max_new_tokens=30,
        on_step=lambda i, rec: seen.append((i, rec.token_id)),
    )
    assert len(r.steps) == 8  # 48 positions - 40 prompt tokens
    assert seen == list(enumerate(r.token_ids))


@pytest.fixture(scope="module")
def tiny():
    return models.load_causal_lm("tiny-gpt")


@pytest.mark.parametrize("cfg", [SamplingConfig(temperature=0), SamplingConfig(top_k=20, seed=4)])
def test_generate_on_tiny_gpt_equals_transformers_with_eos(tiny, cfg):
    tok, model = tiny.tokenizer, tiny.model
    prompt = list(tok.encode("Q: What color is the sky?\nA:"))
    ours = generate(model, prompt, cfg, max_new_tokens=24, eos_token_id=tok.eos_token_id)
    ref = _hf_generate(model, prompt, cfg, 24, eos=tok.eos_token_id)
    assert list(ours.token_ids) == ref
    assert ours.stopped_on_eos == (ref[-1] == tok.eos_token_id)


def test_next_token_logits_are_the_last_row_and_greedy_starts_generate(tiny):
    ids = tiny.tokenizer.encode("Once upon a time, there was a little cat named")
    logits = next_token_logits(tiny.model, ids)
    with torch.no_grad():
        ref = tiny.model(torch.tensor([ids])).logits[0, -1].numpy()
    np.testing.assert_allclose(logits, ref, atol=1e-5)
    r = filter_distribution(logits, SamplingConfig(temperature=0))
    first = generate(tiny.model, ids, SamplingConfig(temperature=0), max_new_tokens=1)
    assert first.token_ids == (r.chosen_id,)
    assert r.entropy_raw_bits > 1  # many names fit: a spread-out distribution


def test_encode_prompt_truncates_left_with_a_note(tiny):
    tok = tiny.tokenizer
    text = "The cat sat on the mat. " * 200
    p = encode_prompt(tok, text, max_tokens=50)
    assert len(p.ids) == 50 and p.truncated and "dropped" in p.note
    assert list(p.ids) == tok.encode(text)[-50:]
    with pytest.raises(ValueError, match="empty"):
        encode_prompt(tok, "   ", max_tokens=10)


# --- one seed rule: one token at a time == N at once == transformers -------------------------
@pytest.mark.parametrize("seed, n", [(0, 0), (0, 1), (7, 5), (123, 17)])
def test_draw_generator_equals_a_stream_after_n_real_draws(seed, n):
    """The state after n draws does not depend on the distributions drawn from."""
    V = 97
    ref = torch.Generator().manual_seed(seed)
    rng = np.random.default_rng(seed)
    for _ in range(n):  # very different distributions each time
        p = torch.softmax(torch.tensor(rng.normal(0, 1 + 5 * rng.random(), V)), -1).float()
        torch.multinomial(p.view(1, -1), 1, generator=ref)
    assert torch.equal(draw_generator(seed, n, V).get_state(), ref.get_state())
    p = torch.softmax(torch.randn(1, V), -1)
    a = torch.multinomial(p, 1, generator=draw_generator(seed, n, V))
    assert int(a) == int(torch.multinomial(p, 1, generator=ref))


def _one_at_a_time(model, prompt, cfg, n, start=0):
    ids, out = list(prompt), []
    for i in range(n):
        r = filter_distribution(
            next_token_logits(model, ids), cfg, context_ids=ids, draw_index=start + i
        )
        assert r.draw_index == start + i and r.config.seed == cfg.seed
        out.append(r.chosen_id)
        ids.append(r.chosen_id)
    return out


ONE_BY_ONE = [
    SamplingConfig(temperature=1.0, seed=0),
    SamplingConfig(temperature=1.3, top_k=40, top_p=0.95, repetition_penalty=1.2, seed=33),
    SamplingConfig(temperature=0),
]


@pytest.mark.parametrize("cfg", ONE_BY_ONE, ids=lambda c: f"T{c.temperature}-s{c.seed}")
def test_sample_one_token_n_times_equals_generate_n(tiny, cfg):
    tok = tiny.tokenizer
    prompt = list(tok.encode("Once upon a time, there was a little cat named"))
    n = 12
    together = list(generate(tiny.model, prompt, cfg, max_new_tokens=n).token_ids)
    assert _one_at_a_time(tiny.model, prompt, cfg, n) == together
    assert together == _hf_generate(tiny.model, prompt, cfg, n)
    # a text continued with generate after 5 single draws goes on with draws 5, 6...
    first = _one_at_a_time(tiny.model, prompt, cfg, 5)
    rest = generate(tiny.model, prompt + first, cfg, max_new_tokens=n - 5, first_draw=5)
    assert first + list(rest.token_ids) == together


def test_each_position_takes_another_draw_of_the_stream():
    """Same distribution, positions 0..39: the draws differ (not one fixed draw per seed)."""
    logits = np.zeros(97, dtype=np.float32)
    picks = {
        filter_distribution(logits, SamplingConfig(seed=0), draw_index=i).chosen_id
        for i in range(40)
    }
    assert len(picks) > 10


@pytest.mark.parametrize(
    "cfg",
    [
        SamplingConfig(top_k=3, top_p=0.5, min_p=0.3),
        SamplingConfig(temperature=0),
        SamplingConfig(),
    ],
)
def test_removed_counts_count_each_stage_and_sum_to_the_removed(cfg):
    logits = np.linspace(3.0, -3.0, 40)
    r = filter_distribution(logits, cfg)
    counts = r.removed_counts
    assert list(counts) == [TOP_K, TOP_P, MIN_P, GREEDY]
    for stage, n in counts.items():
        assert n == int((r.removed_by == stage).sum())
    assert sum(counts.values()) == len(logits) - r.n_kept
