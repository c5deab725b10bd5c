"""core.lora.evaluate: base vs adapter, merge-and-compare with honest timings, forgetting with a
verdict computed from the run's own numbers."""

from __future__ import annotations

import math
import statistics

import pytest

from core import lora
from core.evaluation import exact_match as _same_answer
from core.lora.evaluate import (
    FORGOT_A_LOT_PERCENT,
    FORGOT_A_LOT_POINTS,
    ForgettingCheck,
    MergeCheck,
    Timings,
    _corpus_perplexity,
    generate_completion,
    generate_completions,
)


# --- merge ---------------------------------------------------------------------------------------
@pytest.mark.slow
def test_merge_on_a_copy_gives_the_same_outputs(sentiment_run):
    res = sentiment_run
    m = lora.merge_check(
        res.model, res.tokenizer, "classification", list(res.comparison.inputs), repeats=5
    )
    assert m.same_outputs and m.max_abs_diff < 1e-4
    assert m.params_merged == m.params_adapter - res.n_trainable  # A, B and the head copy gone
    assert any("lora_A" in n for n, _ in res.model.named_parameters())  # original untouched
    assert len(m.adapter_times.samples_ms) == len(m.merged_times.samples_ms) == 5
    assert m.ms_adapter == statistics.median(m.adapter_times.samples_ms) > 0
    assert m.speed_verdict in ("noise", "faster", "slower")
    with pytest.raises(ValueError, match="repeats"):
        lora.merge_check(res.model, res.tokenizer, "classification", ["x"], repeats=0)


def test_timings_report_median_spread_and_range():
    t = Timings((30.0, 10.0, 20.0, 40.0, 400.0))
    assert (t.median, t.lo, t.hi) == (30.0, 10.0, 400.0)
    assert (t.q1, t.q3, t.iqr) == (20.0, 40.0, 20.0)
    assert Timings((5.0,)).iqr == 0.0
    with pytest.raises(ValueError, match="at least one"):
        Timings(())


def merge_with(adapter_ms, merged_ms) -> MergeCheck:
    return MergeCheck(0.0, True, 4, 10, 8, Timings(tuple(adapter_ms)), Timings(tuple(merged_ms)))


@pytest.mark.parametrize(
    ("adapter_ms", "merged_ms", "verdict"),
    [
        # the case: one noisy timing (+389 ms) must not read as "15x slower"
        ([26, 27, 25, 28, 26, 27, 26], [25, 27, 26, 415, 26, 28, 25], "noise"),
        ([26, 27, 25, 28, 26, 27, 26], [26, 27, 25, 28, 26, 27, 26], "noise"),
        ([30, 31, 30, 32, 31, 30, 31], [20, 21, 20, 21, 22, 20, 21], "faster"),
        ([20, 21, 20, 21, 22, 20, 21], [30, 31, 30, 32, 31, 30, 31], "slower"),
    ],
)
def test_a_timing_difference_inside_the_spread_is_noise(adapter_ms, merged_ms, verdict):
    m = merge_with(adapter_ms, merged_ms)
    assert m.speed_verdict == verdict
    assert m.noise_ms == max(m.adapter_times.iqr, m.merged_times.iqr)
    assert m.ms_difference == statistics.median(merged_ms) - statistics.median(adapter_ms)


# --- forgetting ----------------------------------------------------------------------------------
@pytest.mark.slow
def test_forgetting_check_on_the_encoder(sentiment_run):
    res = sentiment_run
    f = lora.forgetting_check(res.model, res.tokenizer, "classification", n_items=20)
    assert 0.0 <= f.adapter <= 1.0 and 0.0 <= f.base <= 1.0 and f.higher_is_better
    assert 0.5 < f.extra["embedding cosine before/after"] <= 1.0 + 1e-6
    assert math.isclose(f.worse, -100 * f.change, abs_tol=1e-9)
    assert f.noise >= 0 and f.a_lot == FORGOT_A_LOT_POINTS and f.unit == "points"
    assert f.verdict in ("forgot a lot", "forgot a little", "nothing measurable", "got better")
    assert f"±{f.noise:.1f} points" in f.verdict_text and "20 paired items" in f.verdict_text


@pytest.mark.slow
def test_forgetting_base_equals_the_untouched_model(format_runs):
    from core import models
    from core.corpus import CorpusConfig, generate_corpus

    _, a, _, _, _ = format_runs
    f = lora.forgetting_check(a.model, a.tokenizer, "causal-lm", n_items=10)
    base = models.load_causal_lm("tiny-gpt")
    texts = generate_corpus(CorpusConfig(n_docs=10, seed=1337, heldout=True))
    untouched = _corpus_perplexity(base.model, base.tokenizer, texts, 128)
    assert math.isclose(f.base, untouched, rel_tol=1e-5)
    assert f.adapter != f.base and not f.higher_is_better
    assert math.isclose(f.worse, 100 * (f.adapter / f.base - 1), rel_tol=1e-6)
    assert f.unit == "%" and f.a_lot == FORGOT_A_LOT_PERCENT and f.noise > 0
    assert f.verdict_text.split(":")[0].lower() in (
        "forgot a lot",
        "forgot a little",
        "nothing measurable",
        "nothing forgotten",
    )


@pytest.mark.slow
def test_perplexity_equals_the_models_own_loss_on_one_block():
    """The per-block losses agree with transformers' own shifted loss (labels=input_ids)."""
    import torch

    from core import models
    from core.lora.evaluate import _block_losses

    lm = models.load_causal_lm("tiny-gpt")
    texts = ["Once upon a time there was a little cat who liked to sleep in the sun. " * 4]
    losses = _block_losses(lm.model, lm.tokenizer, texts, 32)
    ids = lm.tokenizer(texts[0], add_special_tokens=False)["input_ids"][:32]
    with torch.no_grad():
        ref = lm.model(input_ids=torch.tensor([ids]), labels=torch.tensor([ids])).loss.item()
    assert math.isclose(losses[0], ref, rel_tol=1e-5)


def check(worse: float, noise: float, *, higher_is_better: bool = True) -> ForgettingCheck:
    unit, a_lot = ("points", 10.0) if higher_is_better else ("%", 10.0)
    return ForgettingCheck(
        "retrieval accuracy (top-1)" if higher_is_better else "perplexity on held-out text",
        higher_is_better,
        0.8,
        0.8 - worse / 100,
        40,
        "",
        worse=worse,
        noise=noise,
        a_lot=a_lot,
        unit=unit,
    )


@pytest.mark.parametrize(
    ("worse", "noise", "verdict", "text"),
    [
        (0.0, 0.0, "nothing measurable", "Nothing measurable: retrieval accuracy did not change"),
        (2.5, 5.0, "nothing measurable", "within the noise band of ±5.0 points"),
        (-2.5, 5.0, "nothing measurable", "A drop of 10 points or more would count as a lot."),
        (5.0, 2.0, "forgot a little", "Forgot a little: retrieval accuracy fell 5.0 points"),
        (12.5, 2.0, "forgot a lot", "past the 10 points that count as a lot"),
        (12.5, 15.0, "nothing measurable", "within the noise band of ±15.0 points"),
        (-7.5, 2.0, "got better", "Nothing forgotten: retrieval accuracy rose 7.5 points"),
    ],
)
def test_forgetting_verdict_states_its_numbers_and_threshold(worse, noise, verdict, text):
    f = check(worse, noise)
    assert f.verdict == verdict
    assert text in f.verdict_text
    assert "40 paired items" in f.verdict_text


def test_perplexity_verdict_speaks_of_a_rise():
    f = check(4.0, 1.0, higher_is_better=False)
    assert f.verdict == "forgot a little"
    assert f.verdict_text.startswith("Forgot a little: perplexity on held-out text rose 4.0%")
    assert "±1.0% (2 standard errors" in f.verdict_text
    assert "A rise of 10% or more" in check(0.5, 1.0, higher_is_better=False).verdict_text
    assert "fell 3.0%" in check(-3.0, 5.0, higher_is_better=False).verdict_text


# --- outputs -------------------------------------------------------------------------------------
EXACT = [
    (" Paris", " Paris", True),
    (" paris \nrome => Roma", " Paris", True),
    (" Rome", " Paris", False),
    ("", " Paris", False),
    ("\n\n", " Paris", False),
    (" Paris is big", " Paris", False),
    ("a\nb", "a\nb", True),
]


@pytest.mark.parametrize(("output", "target", "same"), EXACT)
def test_exact_match_reads_the_first_line_of_a_one_line_answer(output, target, same):
    assert _same_answer(output, target) is same


@pytest.mark.slow
def test_batched_generation_equals_one_by_one():
    from core import models

    lm = models.load_causal_lm("tiny-gpt")
    prompts = ["capital of France =>", "A cat says", "Q: What color is the sky?\nA:"]
    batch = generate_completions(lm.model, lm.tokenizer, prompts, max_new_tokens=8)
    one_by_one = [generate_completion(lm.model, lm.tokenizer, p, max_new_tokens=8) for p in prompts]
    assert batch == one_by_one
