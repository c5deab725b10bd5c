"""core.generation: the one decoding loop gives model.generate's tokens, alone and batched."""

from __future__ import annotations

from types import SimpleNamespace as NS

import pytest
import torch

from core import models
from core.generation import (
    StepRecord,
    generate,
    generate_batch,
    greedy_ids,
    library_greedy,
    library_stop_ids,
    next_token_logits,
)
from core.sampling import SamplingConfig, filter_distribution


@pytest.fixture(scope="module")
def small_lm():
    """A random GPT-2 with a 48-token context: the context end is easy to reach."""
    from transformers import GPT2Config, GPT2LMHeadModel

    torch.manual_seed(0)
    cfg = GPT2Config(n_layer=2, n_head=2, n_embd=32, n_positions=48, vocab_size=97, eos_token_id=96)
    return GPT2LMHeadModel(cfg).eval()


@pytest.fixture(scope="module")
def tiny():
    return models.load_causal_lm("tiny-gpt")


def _hf(model, prompt, n, *, seed=0, **kw):
    """model.generate's new tokens for one prompt (``kw``: generate's own settings)."""
    torch.manual_seed(seed)
    x = torch.tensor([list(prompt)])
    with torch.no_grad():
        out = model.generate(x, attention_mask=torch.ones_like(x), max_new_tokens=n, **kw)
    return out[0, len(prompt) :].tolist()


def _hf_batch(model, rows, n, pad, **kw):
    """model.generate on left-padded rows; per row its new tokens up to its first stop."""
    T = max(map(len, rows))
    ids = torch.tensor([[pad] * (T - len(r)) + list(r) for r in rows])
    mask = torch.tensor([[0] * (T - len(r)) + [1] * len(r) for r in rows])
    with torch.no_grad():
        out = model.generate(
            ids, attention_mask=mask, max_new_tokens=n, do_sample=False, pad_token_id=pad, **kw
        )
    stops = kw.get("eos_token_id")
    stops = set(stops) if isinstance(stops, list) else {stops}
    res = []
    for row in out[:, T:].tolist():
        end = next((j + 1 for j, t in enumerate(row) if t in stops), len(row))
        res.append(row[:end])
    return res


# --- one prompt: greedy and seeded sampling, against model.generate ----------------------------
CASES = [
    ("greedy", SamplingConfig(temperature=0)),
    ("greedy + penalty", SamplingConfig(temperature=0, repetition_penalty=1.5)),
    ("T=1 seed 0", SamplingConfig(seed=0)),
    ("T=1 seed 1", SamplingConfig(seed=1)),
    ("T=1 seed 2**31", SamplingConfig(seed=2**31)),
    ("top-k", SamplingConfig(temperature=0.9, top_k=8, seed=5)),
    ("top-p", SamplingConfig(temperature=1.2, top_p=0.8, seed=6)),
    ("min-p", SamplingConfig(temperature=1.1, min_p=0.1, seed=7)),
    ("penalty", SamplingConfig(repetition_penalty=1.3, seed=8)),
    (
        "all filters",
        SamplingConfig(
            temperature=0.7, top_k=20, top_p=0.9, min_p=0.05, repetition_penalty=1.2, seed=9
        ),
    ),
]


@pytest.mark.parametrize("cfg", [c for _, c in CASES], ids=[n for n, _ in CASES])
@pytest.mark.parametrize("which", ["small", "tiny"])
def test_generate_equals_model_generate(which, cfg, small_lm, tiny):
    if which == "small":
        model, prompt, eos = small_lm, [1, 5, 7, 9], None
    else:
        model = tiny.model
        prompt, eos = tiny.tokenizer.encode("Once upon a time, there was a"), 0
    ours = generate(model, prompt, cfg, max_new_tokens=20, eos_token_id=eos)
    ref = _hf(
        model, prompt, 20, seed=cfg.seed, eos_token_id=eos, pad_token_id=0, **cfg.generate_kwargs()
    )
    assert list(ours.token_ids) == ref
    assert ours.stopped_on_eos == (eos is not None and ref[-1] == eos)


def test_eos_and_a_stop_set_end_the_text_like_an_eos_list(tiny):
    """Stop on end of text or a newline: model.generate with both ids as its eos list."""
    tok = tiny.tokenizer
    newline = tok.encode("\n")
    assert len(newline) == 1
    for q in ("Q: What color is the sky?\nA:", "Q: Where does Leo live?\nA:", "Tom had a"):
        prompt = tok.encode(q)
        ours = generate(
            tiny.model,
            prompt,
            SamplingConfig(temperature=0),
            max_new_tokens=30,
            eos_token_id=tok.eos_token_id,
            stop_token_ids=newline,
        )
        ref = _hf(
            tiny.model,
            prompt,
            30,
            do_sample=False,
            eos_token_id=[tok.eos_token_id, newline[0]],
            pad_token_id=0,
        )
        assert list(ours.token_ids) == ref
        if ours.stop_id is not None:
            assert ours.token_ids[-1] == ours.stop_id and ours.stop_id in (0, newline[0])
            assert ours.stopped_on_eos == (ours.stop_id == tok.eos_token_id)


def test_the_callback_sees_every_step_in_order(small_lm):
    seen = []
    r = generate(
        small_lm,
        [3, 4],
        SamplingConfig(seed=2),
        max_new_tokens=7,
        on_step=lambda i, rec: seen.append((i, rec.token_id)),
    )
    assert seen == list(enumerate(r.token_ids)) and len(seen) == 7


def test_should_stop_ends_the_text_where_it_says_and_keeps_the_prefix(small_lm):
    full = generate(small_lm, [3, 4], SamplingConfig(seed=2), max_new_tokens=7)
    seen = []

    def stop(new):
        seen.append(list(new))
        return len(new) == 3

    cut = generate(small_lm, [3, 4], SamplingConfig(seed=2), max_new_tokens=7, should_stop=stop)
    assert cut.token_ids == full.token_ids[:3] and cut.stop_id is None
    assert seen == [list(full.token_ids[:k]) for k in (1, 2, 3)]  # the new tokens, each step


@pytest.mark.parametrize("n_prompt, asked, made", [(40, 30, 8), (47, 5, 1), (48, 5, 0)])
def test_a_prompt_near_the_context_end_stops_at_it(small_lm, n_prompt, asked, made):
    prompt = [(7 * i) % 90 for i in range(n_prompt)]
    r = generate(small_lm, prompt, SamplingConfig(temperature=0), max_new_tokens=asked)
    assert len(r.steps) == made
    if made:  # model.generate up to the last position gives the same tokens
        assert list(r.token_ids) == _hf(small_lm, prompt, made, do_sample=False, pad_token_id=0)
    with pytest.raises(ValueError, match="longer than the context"):
        generate(small_lm, [1] * 49, SamplingConfig(), max_new_tokens=1)


def test_without_the_cache_greedy_gives_the_same_tokens(tiny):
    prompt = tiny.tokenizer.encode("Mia and Tom went to the")
    cfg = SamplingConfig(temperature=0)
    cached = generate(tiny.model, prompt, cfg, max_new_tokens=15, eos_token_id=0)
    fresh = generate(tiny.model, prompt, cfg, max_new_tokens=15, eos_token_id=0, use_cache=False)
    assert fresh.token_ids == cached.token_ids


# --- seeding: one draw per position, however the text is drawn --------------------------------
@pytest.mark.parametrize("seed", [0, 3, 99])
def test_n_single_draws_equal_generate_n(tiny, seed):
    """ "Sample one token" N times (filter_distribution with draw_index=i) == "Generate N"."""
    cfg = SamplingConfig(temperature=1.2, top_k=50, top_p=0.95, repetition_penalty=1.1, seed=seed)
    prompt = list(tiny.tokenizer.encode("Once upon a time,"))
    n = 10
    ids, one_by_one = list(prompt), []
    for i in range(n):
        r = filter_distribution(
            next_token_logits(tiny.model, ids), cfg, context_ids=ids, draw_index=i
        )
        one_by_one.append(r.chosen_id)
        ids.append(r.chosen_id)
    assert list(generate(tiny.model, prompt, cfg, max_new_tokens=n).token_ids) == one_by_one


# --- the allowed-token mask (RAG's copy mode) --------------------------------------------------
def _masked_reference(model, prompt, allowed, stops, n):
    """The loop copy mode ran before: the whole text every step, no cache."""
    mask = torch.full((model.config.vocab_size,), float("-inf"))
    mask[sorted(allowed)] = 0.0
    ids, new = torch.tensor([prompt]), []
    with torch.no_grad():
        for _ in range(n):
            nxt = int((model(ids).logits[0, -1] + mask).argmax())
            new.append(nxt)
            if nxt in stops:
                break
            mask[nxt] = float("-inf")
            ids = torch.cat([ids, torch.tensor([[nxt]])], dim=1)
    return new


@pytest.mark.parametrize(
    "passage, question",
    [
        ("Sara has a green kite. She flies it in the park.", "What color is the kite?"),
        ("Leo lives in Berlin with his dog Max.", "Where does Leo live?"),
        ("The cake was made by Tom and Mia on Sunday.", "Who made the cake?"),
    ],
)
def test_allowed_tokens_each_once_equal_the_uncached_masked_loop(tiny, passage, question):
    tok = tiny.tokenizer
    stops = set(tok.encode("\n")) | {tok.eos_token_id}
    allowed = set(tok.encode(" " + passage)) | set(tok.encode(passage)) | stops
    prompt = tok(f"Context: {passage}\nQuestion: {question}\nAnswer:")["input_ids"]
    r = generate(
        tiny.model,
        prompt,
        SamplingConfig(temperature=0),
        max_new_tokens=16,
        stop_token_ids=stops,
        allowed_token_ids=allowed,
        allow_each_once=True,
    )
    assert list(r.token_ids) == _masked_reference(tiny.model, prompt, allowed, stops, 16)
    body = [t for t in r.token_ids if t not in stops]
    assert set(body) <= allowed and len(body) == len(set(body))


def test_the_mask_rejects_bad_ids_and_each_once_needs_a_mask(small_lm):
    with pytest.raises(ValueError, match="allowed_token_ids"):
        generate(small_lm, [1], SamplingConfig(), max_new_tokens=2, allowed_token_ids={500})
    with pytest.raises(ValueError, match="allow_each_once"):
        generate(small_lm, [1], SamplingConfig(), max_new_tokens=2, allow_each_once=True)


# --- batched greedy over left-padded prompts ---------------------------------------------------
BATCHES = [
    ("same lengths", ["Once upon a time,", "Tom had a red"], 1.0),
    (
        "left padding",
        ["Q: Where does Leo live?\nA:", "Tom", "Once upon a time, there was a little cat named"],
        1.0,
    ),
    ("penalty", ["Mia liked to", "The dog ran to the park and"], 1.3),
]


@pytest.mark.parametrize("texts, penalty", [b[1:] for b in BATCHES], ids=[b[0] for b in BATCHES])
def test_batched_greedy_equals_model_generate_batched_and_per_row(tiny, texts, penalty):
    tok, model = tiny.tokenizer, tiny.model
    rows = [tok.encode(t) for t in texts]
    kw = dict(eos_token_id=0, repetition_penalty=penalty)
    ours = generate_batch(
        model,
        rows,
        max_new_tokens=20,
        pad_token_id=0,
        stop_token_ids={0},
        repetition_penalty=penalty,
    )
    assert [list(r) for r in ours] == _hf_batch(model, rows, 20, 0, **kw)
    if penalty == 1.0:  # alone, each row goes the same way (the pad token is not penalized)
        for r, row in zip(ours, rows, strict=True):
            assert list(r) == _hf(model, row, 20, do_sample=False, pad_token_id=0, eos_token_id=0)


def test_batched_greedy_on_a_random_gpt2_with_an_eos_list(small_lm):
    rows = [[1, 2, 3, 4, 5, 6], [9], [20, 21, 22]]
    ours = generate_batch(
        small_lm, rows, max_new_tokens=12, pad_token_id=96, stop_token_ids={96, 5}
    )
    assert [list(r) for r in ours] == _hf_batch(small_lm, rows, 12, 96, eos_token_id=[96, 5])


def test_batched_greedy_refuses_rows_past_the_context(small_lm):
    with pytest.raises(ValueError, match="context"):
        generate_batch(small_lm, [[1] * 40], max_new_tokens=9, pad_token_id=0)
    with pytest.raises(ValueError, match="at least one token"):
        generate_batch(small_lm, [[1], []], max_new_tokens=1, pad_token_id=0)


# --- what a bare model.generate(do_sample=False) takes from generation_config ------------------
@pytest.mark.parametrize(
    "gen_cfg, stops, penalty",
    [
        (NS(eos_token_id=0, repetition_penalty=1.0), {0}, 1.0),
        (NS(eos_token_id=[151645, 151643], repetition_penalty=1.1), {151645, 151643}, 1.1),
        (NS(eos_token_id=None, repetition_penalty=None), set(), 1.0),
        (None, set(), 1.0),
    ],
    ids=["tiny-gpt", "qwen-instruct", "none set", "no generation_config"],
)
def test_library_defaults_read_the_generation_config(gen_cfg, stops, penalty):
    model = NS(generation_config=gen_cfg)
    assert library_stop_ids(model) == stops
    cfg = library_greedy(model)
    assert cfg.greedy and cfg.repetition_penalty == penalty


def test_greedy_ids_equal_a_bare_model_generate_with_its_generation_config(small_lm):
    import copy

    model = copy.deepcopy(small_lm)
    model.generation_config.repetition_penalty = 1.4
    model.generation_config.eos_token_id = [96, 11]
    for prompt in ([1, 2, 3], [40, 41, 42, 43, 44], [11]):
        ref = _hf(model, prompt, 15, do_sample=False, pad_token_id=0)
        assert list(greedy_ids(model, prompt, max_new_tokens=15)) == ref


def test_swapped_step_takes_the_alternatives_probabilities():
    alts = ((5, 0.6, 0.5), (7, 0.0, 0.2), (2, 0.4, 0.1))
    s = StepRecord(5, 0.6, 0.5, alts, 2, 0.97)
    t = s.swapped(2)
    assert (t.token_id, t.prob, t.raw_prob) == (2, 0.4, 0.1)
    assert (t.alternatives, t.n_kept, t.entropy_bits) == (alts, 2, 0.97)  # the step's own
    assert s.swapped(7).prob == 0.0  # a filtered-out alternative can still be picked
    assert s.swapped(5) == s
    assert s.swapped(99) is None
