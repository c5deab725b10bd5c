"""core.prompting.prompts: k-shot prompt case tables, seeded shot order, diffs and fitting."""

from __future__ import annotations

import pytest

from core.prompting import (
    build_prompt,
    diff_prompts,
    load_task,
    shot_order,
)
from tests.core.prompting.samples import TOY


@pytest.mark.parametrize(
    ("k", "seed", "instruction", "item", "expected"),
    [
        (0, 0, False, 0, "day =>"),
        (0, 0, True, 0, "Give the opposite.\nday =>"),
        (1, 0, False, 0, "hot => cold\nday =>"),
        (2, 0, False, 1, "hot => cold\nup => down\nold =>"),
        (3, 0, True, 0, "Give the opposite.\nhot => cold\nup => down\nbig => small\nday =>"),
        (9, 0, False, 0, "hot => cold\nup => down\nbig => small\nday =>"),  # clamped to the pool
    ],
)
def test_build_prompt_cases(k, seed, instruction, item, expected):
    p = build_prompt(TOY, k, seed, item=item, instruction=instruction)
    assert p.text == expected
    assert p.k == min(k, 3)
    assert [s.kind for s in p.segments].count("shot") == p.k


def test_k_larger_than_the_pool_says_so():
    p = build_prompt(TOY, 9, 0)
    assert p.k_requested == 9 and p.k == 3
    assert any("has 3 examples" in n for n in p.notes)


def test_negative_k_is_refused():
    with pytest.raises(ValueError, match="k must be 0 or more"):
        build_prompt(TOY, -1)


@pytest.mark.parametrize("seed", [0, 1, 2, 7, 123])
def test_shot_order_follows_the_seed_and_nests(seed):
    order = shot_order(3, seed)
    assert sorted(order) == [0, 1, 2]
    for k in range(4):
        p = build_prompt(TOY, k, seed, instruction=False)
        assert p.shot_indices == tuple(order[:k])  # the shots appear in the seed's order
        assert p == build_prompt(TOY, k, seed, instruction=False)  # same seed, same prompt


def test_different_seeds_draw_different_orders():
    assert len({tuple(shot_order(8, s)) for s in range(6)}) > 1
    assert shot_order(8, 0) == list(range(8))  # seed 0 keeps the file order


def test_diff_prompts_marks_added_shots():
    a, b = build_prompt(TOY, 0, 0, instruction=False), build_prompt(TOY, 2, 0, instruction=False)
    diff = diff_prompts(a, b)
    assert ("+", "hot => cold") in diff and ("+", "up => down") in diff
    assert ("-", "hot => cold") not in diff
    assert diff_prompts(a, a) == [(" ", "day =>")]


def test_prompt_fitting_drops_shots_with_a_note(tiny):
    task = load_task("sentiment")
    full = build_prompt(task, 8, 0, tokenizer=tiny.tokenizer)
    assert full.n_tokens > 120 and full.fits  # no window given: nothing dropped
    fitted = build_prompt(task, 8, 0, tokenizer=tiny.tokenizer, max_tokens=120)
    assert 0 < fitted.k < 8 and fitted.fits and fitted.n_tokens <= 120
    assert fitted.shot_indices == full.shot_indices[: fitted.k]  # the last shots were dropped
    assert any("do not fit" in n for n in fitted.notes)
    assert fitted.segments[0].kind == "bos"
