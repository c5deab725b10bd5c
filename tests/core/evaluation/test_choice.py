"""core.evaluation.choice: summed continuation log-probs, choice accuracy, exact match."""

from __future__ import annotations

import pytest
import torch

from core import models
from core.evaluation import (
    ChoiceCase,
    accuracy,
    choice_accuracy,
    choice_scores,
    exact_match,
    normalize_answer,
)


@pytest.fixture(scope="module")
def gpt():
    return models.load_causal_lm("tiny-gpt")


def hand_score(model, tok, prompt: str, choice: str) -> float:
    """Sum over the choice's tokens of log p(token | everything before), one at a time."""
    p_ids, c_ids = tok(prompt)["input_ids"], tok(" " + choice)["input_ids"]
    ids = p_ids + c_ids
    total = 0.0
    with torch.no_grad():
        for i in range(len(p_ids), len(ids)):
            logits = model(torch.tensor([ids[:i]])).logits[0, -1].double()  # (V,)
            total += float(logits[ids[i]] - torch.logsumexp(logits, -1))
    return total


def test_scores_are_summed_continuation_log_probs(gpt):
    case = ChoiceCase(
        "Once upon a time, there was a", ("little cat", "dog", "big red house"), "dog"
    )
    scores = choice_scores(gpt.model, gpt.tokenizer, case, max_tokens=256)
    expected = [hand_score(gpt.model, gpt.tokenizer, case.prompt, c) for c in case.choices]
    assert scores == pytest.approx(expected, rel=1e-4, abs=1e-4)
    assert all(s < 0 for s in scores)


def test_accuracy_follows_the_best_score(gpt):
    prompt = "Once upon a time, there was a"
    case = ChoiceCase(prompt, ("little cat", "big red house"), "little cat")
    scores = choice_scores(gpt.model, gpt.tokenizer, case, max_tokens=256)
    best = case.choices[scores.index(max(scores))]
    cases = [ChoiceCase(prompt, case.choices, best), ChoiceCase(prompt, case.choices, "none")]
    assert choice_accuracy(gpt.model, gpt.tokenizer, cases, max_tokens=256) == 0.5
    assert choice_accuracy(gpt.model, gpt.tokenizer, [], max_tokens=256) == 0.0


def test_a_long_prompt_is_cut_from_the_left(gpt):
    tok = gpt.tokenizer
    prompt = "The cat sat on the mat and the dog sat on the log and then"
    keep = 4
    c_ids = tok(" they slept")["input_ids"]
    tail = tok.decode(tok(prompt)["input_ids"][-keep:])
    cut = choice_scores(
        gpt.model, tok, ChoiceCase(prompt, ("they slept",), "x"), max_tokens=keep + len(c_ids)
    )
    assert cut == pytest.approx([hand_score(gpt.model, tok, tail, "they slept")], rel=1e-4)


def test_a_case_needs_choices():
    with pytest.raises(ValueError, match="at least one"):
        ChoiceCase("p", (), "x")


@pytest.mark.parametrize(
    ("output", "target", "same"),
    [
        ("Oslo", "Oslo", True),
        ("  oslo  ", "OSLO", True),
        ("Oslo\nQuestion: where?", "Oslo", True),  # a one-line target: first line only
        ("Oslo, Norway", "Oslo", False),
        ("", "Oslo", False),
        ("line one\nline two", "line one\nline two", True),
        ("line one\nline 2", "line one\nline two", False),
    ],
)
def test_exact_match_case_table(output, target, same):
    assert exact_match(output, target) is same


@pytest.mark.parametrize(("text", "norm"), [("A  b\tC", "a b c"), ("", ""), ("\n X \n", "x")])
def test_normalize_answer(text, norm):
    assert normalize_answer(text) == norm


@pytest.mark.parametrize(
    ("hits", "share"), [([], 0.0), ([True], 1.0), ([True, False], 0.5), ([1.0, 0.0, 0.0, 1.0], 0.5)]
)
def test_accuracy_is_the_share_of_hits(hits, share):
    assert accuracy(hits) == share


# --- an encoder-decoder: each choice is the decoder's answer to the prompt (its source) ---------
@pytest.fixture(scope="module")
def t5():
    return models.load_seq2seq("tiny-t5")


def t5_direct(model, src: list[int], target: list[int]) -> float:
    """transformers' own figure: minus the mean cross-entropy over the labels, times their count."""
    with torch.no_grad():
        out = model(input_ids=torch.tensor([src]), labels=torch.tensor([target]))
    return -float(out.loss) * len(target)


def test_seq2seq_choice_scores_equal_transformers_loss_on_the_answer(t5):
    tok = t5.tokenizer
    case = ChoiceCase(
        "translate English to French: cat dog", ("chat chien", "chien", "lune soleil"), "chien"
    )
    scores = choice_scores(t5.model, tok, case, max_tokens=192)
    src = tok(case.prompt)["input_ids"]
    want = [t5_direct(t5.model, src, tok(c)["input_ids"]) for c in case.choices]
    assert scores == pytest.approx(want, abs=1e-4)
    assert all(tok(c)["input_ids"][-1] == tok.eos_token_id for c in case.choices)  # end counted


def test_a_padded_batch_of_sources_and_answers_scores_as_each_alone(t5):
    from core.evaluation.choice import seq2seq_logprobs

    tok = t5.tokenizer
    sources = [
        tok("sentiment: The food was delicious.")["input_ids"],
        tok("question: Who is Zoe's best friend? context: Zoe's best friend is Max.")["input_ids"],
        tok("translate English to German: tree")["input_ids"],
    ]
    targets = [
        [tok(x)["input_ids"] for x in ("positive", "negative")],
        [tok(x)["input_ids"] for x in ("Max", "Zoe", "Lima is far")],
        [tok("baum")["input_ids"]],
    ]
    seen = []
    got = seq2seq_logprobs(
        t5.model, sources, targets, chunk=2, on_chunk=lambda d, t: seen.append((d, t))
    )
    for s, ts, row in zip(sources, targets, got, strict=True):
        assert row == pytest.approx([t5_direct(t5.model, s, t) for t in ts], abs=1e-4)
    assert seen == [(5, 6), (6, 6)]
    with pytest.raises(ValueError, match="at least one token"):
        seq2seq_logprobs(t5.model, [[5, 1]], [[[]]])
    with pytest.raises(ValueError, match="one list of targets per source"):
        seq2seq_logprobs(t5.model, [[5, 1]], [])


def test_seq2seq_choice_accuracy_counts_the_best_scored_choice(t5):
    tok = t5.tokenizer
    prompt = "sentiment: The music was lovely and the movie was fun."
    base = ChoiceCase(prompt, ("positive", "negative"), "positive")
    scores = choice_scores(t5.model, tok, base, max_tokens=192)
    best = base.choices[max(range(2), key=scores.__getitem__)]
    cases = [ChoiceCase(prompt, base.choices, best), ChoiceCase(prompt, base.choices, "none")]
    assert choice_accuracy(t5.model, tok, cases, max_tokens=192) == 0.5


def test_a_long_seq2seq_prompt_keeps_its_first_tokens(t5):
    tok = t5.tokenizer
    prompt = "summarize: " + "The cat sat on the mat. " * 40
    case = ChoiceCase(prompt, ("The cat sat.",), "The cat sat.")
    src = tok(prompt, truncation=True, max_length=24)["input_ids"]
    want = t5_direct(t5.model, src, tok("The cat sat.")["input_ids"])
    assert choice_scores(t5.model, tok, case, max_tokens=24) == pytest.approx([want], abs=1e-4)
