"""The word problems: right answers, the held-out split, and the corpus carrying the formats."""

import random

import pytest

from core.agents.interpreter import run_program
from core.corpus import CorpusConfig, generate_corpus
from core.word_problems import (
    DIGITS,
    HELDOUT_NAMES,
    cot_text,
    heldout_problems,
    is_heldout_numbers,
    lookup_problem,
    pal_text,
    react_text,
    word_problem,
)


@pytest.mark.parametrize("digits", DIGITS)
def test_every_format_states_the_right_answer(digits):
    r = random.Random(digits)
    for _ in range(50):
        p = word_problem(r, digits, two_steps=r.random() < 0.5)
        assert all(len(str(n)) == digits for n in p.numbers)
        assert int(p.answer) >= 0
        program = pal_text(p).split("Program:\n", 1)[1]
        assert str(run_program(program).answer) == p.answer  # the program computes it
        assert cot_text(p).endswith(f"Answer: {p.answer}")
        assert react_text(p).count("Action: calculator[") == len(p.steps)


def test_heldout_problems_use_heldout_names_and_numbers_only():
    probs = heldout_problems(30)
    assert [p.digits for p in probs] == [d for d in DIGITS for _ in range(30)]
    assert all(is_heldout_numbers(p.numbers) for p in probs)
    names_used = {w for p in probs for w in p.question.replace(".", " ").split()}
    assert names_used & set(HELDOUT_NAMES)
    assert probs == heldout_problems(30)  # the same set every time


def test_lookup_problems_read_todays_table_or_random_facts():
    p = lookup_problem(random.Random(0))
    assert react_text(p).count("Action: lookup[") == 1
    seen = {lookup_problem(random.Random(s), random_facts=True).lookups[0][1] for s in range(40)}
    assert len(seen) > 10  # training traces do not teach one price per thing


def test_the_corpus_teaches_the_formats_but_never_the_heldout_problems():
    docs = generate_corpus(CorpusConfig(n_docs=3000, seed=5))
    text = "\n".join(docs)
    for cue in (
        "Let's think step by step.",
        "Program:\n",
        "Action: calculator[",
        "lookup[",
        "search[",
    ):
        assert cue in text
    questions = {p.question for p in heldout_problems(30)}
    assert not any(q in text for q in questions)
    # the arithmetic documents (a search trace asks about anyone: it copies from its passage)
    math = [d for d in docs if d.startswith("Question:") and "search[" not in d]
    assert len(math) > 300
    assert not any(n in d for d in math for n in HELDOUT_NAMES)
