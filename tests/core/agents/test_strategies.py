"""The four strategies on one question with a scripted model: prompts, cuts, tools, answers."""

import pytest

from core.agents.react import Generated
from core.agents.strategies import (
    STRATEGIES,
    AgentConfig,
    answer_end,
    line_end,
    program_end,
    prompt_for,
    run_strategy,
    same_answer,
)
from core.word_problems import COT_CUE, PAL_CUE

Q = "Tom has 3 kites. Tom buys 4 more and gives 2 to Mia. How many kites does Tom have now?"


class Fixed:
    """A fake model writing one fixed text; records the prompt and honours the stop rule's cut."""

    def __init__(self, *texts):
        self.texts = list(texts)
        self.prompts = []

    def __call__(self, prompt, stop):
        self.prompts.append(prompt)
        return Generated(self.texts.pop(0), 9, 0.01)


@pytest.mark.parametrize(
    ("strategy", "written", "answer", "correct"),
    [
        ("direct", " 5\nQuestion: more", "5", True),
        ("direct", " 6\n", "6", False),
        ("cot", "Step 1: 3 + 4 = 7\nStep 2: 7 - 2 = 5\nAnswer: 5\nmore", "5", True),
        ("cot", "Step 1: 3 + 4 = 8\nStep 2: 8 - 2 = 6\nAnswer: 6\n", "6", False),
        ("pal", "have = 3\nbought = 4\ngiven = 2\nanswer = have + bought - given\n\nQ", "5", True),
    ],
)
def test_one_call_strategies(strategy, written, answer, correct):
    model = Fixed(written)
    run = run_strategy(strategy, Q, model, expected="5")
    assert model.prompts == [prompt_for(strategy, Q)]
    assert run.answer == answer and run.correct is correct
    assert "more" not in run.generated and "\nQ" not in run.generated  # cut at the format's end


def test_pal_runs_the_program_it_wrote_not_the_models_arithmetic():
    run = run_strategy("pal", Q, Fixed("a = 300\nb = 400\nanswer = a * b\n\n"), expected="120000")
    assert run.correct and run.program.variables == {"a": 300, "b": 400, "answer": 120000}


def test_a_hostile_program_is_a_clear_problem():
    run = run_strategy("pal", Q, Fixed("import os\nanswer = 1\n\n"), expected="5")
    assert run.answer is None and run.correct is False
    assert run.problem == "line 1: import is not allowed"


def test_react_uses_the_calculator():
    model = Fixed(
        " First I add 3 and 4.\nAction: calculator[3 + 4]\n",
        " Then I subtract 2 from 7.\nAction: calculator[7 - 2]\n",
        " I know the answer.\nAnswer: 5\n",
    )
    run = run_strategy("react", Q, model, expected="5")
    assert run.correct and run.react.valid_actions == 2 and run.tokens == 27
    assert run.generated.count("Observation: ") == 2


def test_react_that_gives_up_says_so():
    model = Fixed(*[" x\nAction: calculator[1 + 1]\n"] * 2)
    run = run_strategy("react", Q, model, config=AgentConfig(max_steps=2), expected="5")
    assert run.answer is None and run.problem == "gave up after 2 steps"


def test_prompts_are_the_corpus_formats():
    assert prompt_for("direct", Q).endswith("\nAnswer:")
    assert prompt_for("cot", Q).endswith(COT_CUE + "\n")
    assert prompt_for("pal", Q).endswith(PAL_CUE + "\n")
    assert prompt_for("react", "  a\n b ") == "Question: a b\nThought:"
    assert set(STRATEGIES) == {"direct", "cot", "pal", "react"}
    with pytest.raises(ValueError, match="strategy must be one of"):
        prompt_for("magic", Q)
    with pytest.raises(ValueError, match="question is empty"):
        run_strategy("direct", "  ", Fixed(""))


@pytest.mark.parametrize(
    ("got", "expected", "same"),
    [
        ("5", "5", True),
        (" 5.", "5", True),
        ("5 kites", "5", True),
        ("1,200", "1200", True),
        ("12", "120", False),
        (None, "5", False),
        ("Oslo", "Oslo", True),
        ("oslo.", "Oslo", True),
        ("Lima", "Oslo", False),
        ("", "Oslo", False),
    ],
)
def test_same_answer(got, expected, same):
    assert same_answer(got, expected) is same


def test_stop_rules():
    assert line_end(" 5\nmore") == 3 and line_end(" 5") is None
    assert answer_end("Step 1: x\nAnswer: 5\nmore") == 20 and answer_end("Answer: 5") is None
    assert program_end("a = 1\nanswer = a\n\n") == 17
    assert program_end("a = 1\nQuestion: b\n") == 6
    assert program_end("a = 1\n") is None


def test_lm_generate_stops_where_the_format_ends_on_a_real_model():
    from core import models
    from core.agents.strategies import lm_generate

    lm = models.load_causal_lm("tiny-gpt")
    gen = lm_generate(lm.model, lm.tokenizer, AgentConfig(max_new_tokens=40))
    g = gen("Question: Tom has 3 cups. How many cups does Tom have?\nAnswer:", line_end)
    assert g.tokens <= 40
    if "\n" in g.text:  # it stopped at the first newline, not 40 tokens later
        assert g.text.index("\n") == len(g.text) - 1
    assert g.seconds > 0
