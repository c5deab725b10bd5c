"""core.prompting.scoring: scoring invariants, the shot sweep and the paired difference."""

from __future__ import annotations

import math

import pytest

from core.prompting import (
    Example,
    ItemScore,
    ShotRun,
    Task,
    disagreements,
    evaluate_shots,
    load_task,
    paired_difference,
    shot_order,
)
from core.prompting.scoring import _score_group
from tests.core.prompting.samples import LONG_TASK, TOY


def test_grouped_cached_scoring_equals_a_plain_forward(tiny):
    import torch

    prompts = [[0, 5, 6, 7, 8], [0, 5, 6, 9], [0, 5, 6, 7, 1, 2], [4, 4]]
    conts = [[[3], [4, 4]], [[1, 2, 3]], [[7], [8], [9, 9]], [[5]]]
    got = _score_group(tiny.model, prompts[:3], conts[:3], chunk=2)  # shared prefix [0, 5, 6]
    got += _score_group(tiny.model, prompts[3:], conts[3:])  # a single prompt
    for i, x in enumerate(prompts):
        for j, c in enumerate(conts[i]):
            with torch.no_grad():
                logp = torch.log_softmax(tiny.model(torch.tensor([x + c])).logits[0], -1)  # (T, V)
            ref = sum(logp[len(x) - 1 + t, c[t]].item() for t in range(len(c)))
            assert got[i][j] == pytest.approx(ref, abs=1e-4)


@pytest.fixture(scope="module")
def sweep(tiny):
    return evaluate_shots(
        load_task("translation"), tiny, ks=(0, 1, 4, 30), seeds=(0, 1), instruction=False
    )


def test_sweep_shape_and_notes(sweep):
    assert sweep.ks == (0, 1, 4)  # 30 > the 8 examples: dropped with a note
    assert any("30" in n for n in sweep.notes)
    assert [(r.k, r.seed) for r in sweep.runs] == [(0, 0), (1, 0), (1, 1), (4, 0), (4, 1)]
    assert [p.n_draws for p in sweep.points()] == [1, 2, 2]


def test_choice_probabilities_sum_to_one(sweep):
    for run in sweep.runs:
        for s in run.items:
            assert math.isclose(sum(s.probs), 1.0, abs_tol=1e-9)
            assert s.prediction in s.choices and 0 < s.confidence <= 1
            assert all(lp < 0 for lp in s.logprobs)
            assert s.n_tokens <= sweep.n_ctx


def test_runs_use_the_seeds_shots(sweep):
    assert sweep.run(4, 1).shot_indices == tuple(shot_order(8, 1)[:4])
    assert sweep.run(0, 5).k == 0  # k = 0 has one run whatever the seed


def test_same_settings_same_scores(tiny, sweep):
    again = evaluate_shots(load_task("translation"), tiny, (4,), (1,), instruction=False)
    assert again.run(4, 1).items == sweep.run(4, 1).items


def test_few_shot_beats_zero_shot_on_translation(sweep):
    zero = sweep.run(0, 0)
    for seed in (0, 1):
        d = paired_difference(zero, sweep.run(4, seed))
        assert d.accuracy_b - d.accuracy_a >= 0.2, d
        assert d.p_value < 0.05


def test_generation_exact_match_is_recorded(tiny):
    res = evaluate_shots(TOY, tiny, ks=(2,), seeds=(0,), generate=True, max_new_tokens=3)
    run = res.run(2, 0)
    assert all(isinstance(s.generated, str) for s in run.items)
    assert run.exact_match in (0.0, 0.5, 1.0)


def test_overlong_prompts_are_cut_to_the_context(tiny):
    res = evaluate_shots(LONG_TASK, tiny, ks=(0, 1), seeds=(0,))
    assert res.run(0, 0).truncated == 1 and res.run(1, 0).truncated == 2
    assert max(s.n_tokens for r in res.runs for s in r.items) <= res.n_ctx
    assert not res.points()[1].fits
    assert any("longer than" in n for n in res.notes)


def test_paired_difference_sign_test():
    from core.prompting import ItemScore

    def run(correct: list[bool]) -> ShotRun:
        items = tuple(
            ItemScore(
                i,
                "a",
                ("a", "b"),
                (0.0, -1.0) if c else (-1.0, 0.0),
                (0.7, 0.3) if c else (0.3, 0.7),
                3,
            )
            for i, c in enumerate(correct)
        )
        return ShotRun(0, 0, (), items, 0)

    d = paired_difference(run([False] * 10), run([True] * 10))
    assert (d.only_a, d.only_b, d.accuracy_b) == (0, 10, 1.0)
    assert d.p_value == pytest.approx(2 / 2**10)
    assert paired_difference(run([True, False]), run([False, True])).p_value == 1.0


def _run(k: int, picks: str) -> ShotRun:
    """A run over len(picks) items with gold "a", predicting picks[i] ("a" or "b") on item i."""
    items = tuple(
        ItemScore(i, "a", ("a", "b"), (0.0, -1.0), (0.7, 0.3) if p == "a" else (0.3, 0.7), 3)
        for i, p in enumerate(picks)
    )
    return ShotRun(k, 0, (), items, 0)


def test_disagreements_are_the_items_predicted_differently():
    a, b, c = _run(0, "aab"), _run(1, "abb"), _run(2, "abb")
    assert disagreements([a, b, c]) == (1,)
    assert disagreements([b, c]) == ()
    assert disagreements([a]) == ()
    with pytest.raises(ValueError, match="different numbers"):
        disagreements([a, _run(3, "a")])


def test_paired_difference_points_and_real():
    zero, few = _run(0, "b" * 10), _run(4, "a" * 10)
    d = paired_difference(zero, few)
    assert (d.points, d.only_b, d.real()) == (100, 10, True)
    assert not d.real(alpha=d.p_value)  # p must be below alpha, not equal
    same = paired_difference(zero, zero)
    assert (same.points, same.real(alpha=1.0)) == (0, False)  # no gap is never real
    swap = paired_difference(_run(0, "ab"), _run(0, "ba"))
    assert (swap.points, swap.real()) == (0, False)


def test_task_chance_is_one_over_the_mean_number_of_choices():
    assert TOY.chance == 0.5
    three = Example("x", "a", ("a", "b", "c"))
    task = Task("t", "t", "", "", " ", "\n", None, (), (three, Example("y", "a", ("a", "b"))))
    assert task.chance == pytest.approx(1 / 2.5)


def test_sweep_point_spread_is_the_accuracy_range_over_the_draws(sweep):
    for p in sweep.points():
        accs = [r.accuracy for r in sweep.runs if r.k == p.k]
        assert p.spread == pytest.approx(max(accs) - min(accs))
    assert sweep.points()[0].spread == 0  # one draw at k = 0
