"""core.prompting.cache: a sweep rescores only what changed, and cached scores equal fresh ones."""

from __future__ import annotations

import pytest

from core.prompting import (
    ScoreCache,
    Task,
    evaluate_shots,
    shot_order,
)
from tests.core.prompting.samples import TOY


# --- the per-item score cache -------------------------------------------------------------------
def _rows(task: Task, ks, seeds) -> int:
    """(prompt, choice) rows a sweep scores from scratch."""
    per_run = sum(len(task.choices_for(it)) for it in task.items)
    return sum(per_run * (1 if k == 0 else len(seeds)) for k in ks)


def _steps(tiny, cache, ks, seeds, **kw) -> tuple[list[tuple[int, int]], object]:
    steps: list[tuple[int, int]] = []
    res = evaluate_shots(
        TOY, tiny, ks, seeds, cache=cache, on_step=lambda d, t: steps.append((d, t)), **kw
    )
    return steps, res


def test_cached_sweep_rescores_only_what_changed(tiny):
    cache = ScoreCache()
    steps, first = _steps(tiny, cache, (0, 1), (0, 1))
    assert steps[-1] == (_rows(TOY, (0, 1), (0, 1)),) * 2
    steps, again = _steps(tiny, cache, (0, 1), (0, 1))
    assert steps == [] and again.runs == first.runs  # nothing rescored, same numbers
    steps, more = _steps(tiny, cache, (0, 1, 2), (0, 1))  # k 1 -> 2: only k = 2 is new
    assert steps[-1] == (_rows(TOY, (2,), (0, 1)),) * 2
    assert more.run(1, 1) == first.run(1, 1)
    steps, _ = _steps(tiny, cache, (0, 1, 2), (0, 1, 4))  # a new draw: only its prompts
    seen = {tuple(shot_order(3, s)[:k]) for s in (0, 1) for k in (1, 2)}
    new = {(k, tuple(shot_order(3, 4)[:k])) for k in (1, 2)}
    new = {x for x in new if x[1] not in seen}  # a draw with the same shots is the same prompt
    assert new, "the test needs a draw with new shots"
    assert steps[-1] == (_rows(TOY, (1,), (0,)) * len(new),) * 2
    steps, _ = _steps(tiny, cache, (0, 1), (0,), instruction=False)  # other prompts: rescored
    assert steps[-1] == (_rows(TOY, (0, 1), (0,)),) * 2


def test_cached_scores_equal_fresh_ones(tiny):
    cache = ScoreCache()
    evaluate_shots(TOY, tiny, (0, 1, 2), (0, 1), cache=cache)  # fill with one batch layout
    cached = evaluate_shots(TOY, tiny, (2,), (1,), cache=cache)
    fresh = evaluate_shots(TOY, tiny, (2,), (1,))
    for a, b in zip(cached.run(2, 1).items, fresh.run(2, 1).items, strict=True):
        assert a.logprobs == pytest.approx(b.logprobs, abs=1e-4)
        assert a.prediction == b.prediction


def test_cache_keys_tell_models_prompts_and_choices_apart():
    key = ScoreCache.key
    base = key("m", [1, 2, 3], [[4], [5]])
    assert base == key("m", [1, 2, 3], [[4], [5]])
    others = [
        key("other", [1, 2, 3], [[4], [5]]),
        key("m", [1, 2, 3, 4], [[4], [5]]),
        key("m", [1, 2, 3], [[4], [6]]),
        key("m", [1, 2, 3], [[4, 5]]),  # same ids, split differently
        key("m", [1, 2, 3], [[4], [5]], "gen:6"),
    ]
    assert len({base, *others}) == 6


def test_cache_is_a_bounded_lru():
    c = ScoreCache(max_items=2)
    c.put("a", 1)
    c.put("b", 2)
    assert c.get("a") == 1  # "a" is now the most recent
    c.put("c", 3)
    assert (c.get("a"), c.get("b"), c.get("c"), len(c)) == (1, None, 3, 2)
    with pytest.raises(ValueError):
        ScoreCache(max_items=0)


def test_partial_results_arrive_one_k_at_a_time(tiny):
    seen: list[tuple[int, ...]] = []
    res = evaluate_shots(TOY, tiny, (0, 1, 2), (0,), on_partial=lambda r: seen.append(r.ks))
    assert seen == [(0,), (0, 1)] and res.ks == (0, 1, 2)


def test_generation_is_cached_too(tiny):
    cache = ScoreCache()
    first = evaluate_shots(TOY, tiny, (1,), (0,), generate=True, max_new_tokens=3, cache=cache)
    n = len(cache)
    again = evaluate_shots(TOY, tiny, (1,), (0,), generate=True, max_new_tokens=3, cache=cache)
    assert len(cache) == n and again.runs == first.runs
