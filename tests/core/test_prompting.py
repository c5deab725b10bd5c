"""core.prompting: prompt-building case tables, custom-task parsing, scoring invariants."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core import models
from core.prompting import (
    SHIPPED_TASKS,
    Example,
    ScoreCache,
    ShotRun,
    Task,
    build_prompt,
    diff_prompts,
    evaluate_shots,
    load_task,
    paired_difference,
    parse_custom_task,
    shot_order,
)
from core.prompting.scoring import _score_group

TOY = Task(
    name="toy",
    title="toy",
    instruction="Give the opposite.",
    input_prefix="",
    output_prefix=" => ",
    separator="\n",
    labels=None,
    examples=(Example("hot", "cold"), Example("up", "down"), Example("big", "small")),
    items=(Example("day", "night", ("night", "sun")), Example("old", "new", ("new", "young"))),
)


@pytest.fixture(scope="module")
def tiny():
    return models.load_causal_lm("tiny-gpt")


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


@pytest.mark.parametrize(
    ("text", "n_examples", "n_items", "labels", "n_errors"),
    [
        ("a => x\nb => y", 1, 1, ("x", "y"), 0),
        ("a => x\nb => y\nc => x\nd => y", 2, 2, ("x", "y"), 0),
        ("# comment\n\na => x\nno arrow here\nb => y\n => z\nc =>  ", 1, 1, ("x", "y"), 3),
        ("a=>x\nb=>y\nc=>z", 1, 2, ("x", "y", "z"), 0),
    ],
)
def test_parse_custom_task_cases(text, n_examples, n_items, labels, n_errors):
    parsed = parse_custom_task(text)
    assert parsed.task is not None
    assert len(parsed.task.examples) == n_examples and len(parsed.task.items) == n_items
    assert parsed.task.labels == labels
    assert len(parsed.errors) == n_errors


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("", "at least two"),
        ("   \n\n", "at least two"),
        ("just one => line", "at least two"),
        ("a => x\nb => x\nc => x", "same output"),
        ("no arrows\nat all", "no '=>'"),
    ],
)
def test_parse_custom_task_refuses_unusable_text(text, why):
    parsed = parse_custom_task(text)
    assert parsed.task is None
    assert any(why in e for e in parsed.errors), parsed.errors


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=300))
def test_parse_custom_task_never_raises(text):
    parsed = parse_custom_task(text)
    if parsed.task is not None:
        assert parsed.task.items and len(parsed.task.labels) >= 2
        assert build_prompt(parsed.task, 8, 3).text.endswith(
            parsed.task.query_text(parsed.task.items[0])
        )


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"items": ()}, "at least one held-out item"),
        ({"labels": ("x", "x")}, "two different labels"),
        ({"items": (Example("a", "b", ("c", "d")),)}, "not a choice"),
        ({"items": (Example("a", "b", ("b",)),)}, "two different choices"),
    ],
)
def test_task_validation(kwargs, message):
    base = dict(
        name="t",
        title="t",
        instruction="",
        input_prefix="",
        output_prefix=" => ",
        separator="\n",
        labels=None,
        examples=(),
        items=TOY.items,
    )
    with pytest.raises(ValueError, match=message):
        Task(**(base | kwargs))


@pytest.mark.parametrize("name", SHIPPED_TASKS)
def test_shipped_tasks_load_in_the_training_format(name):
    task = load_task(name)
    assert task.examples and task.items
    text = build_prompt(task, 1, 0, instruction=False).text
    assert {"sentiment": "\nSentiment:", "qa": "\nA:", "translation": " =>"}[name] in text
    assert text.endswith({"sentiment": "Sentiment:", "qa": "A:", "translation": "=>"}[name])


def test_unknown_task_is_refused():
    with pytest.raises(ValueError, match="unknown task"):
        load_task("../../etc/passwd")


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
    long_task = Task(
        name="long",
        title="long",
        instruction="",
        input_prefix="",
        output_prefix=" => ",
        separator="\n",
        labels=("yes", "no"),
        examples=(Example("word " * 300, "yes"),),
        items=(Example("cat " * 400, "no"), Example("dog", "yes")),
    )
    res = evaluate_shots(long_task, tiny, ks=(0, 1), seeds=(0,))
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
