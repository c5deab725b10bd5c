"""The ReAct parser on well-formed and malformed actions, and the loop with a scripted model."""

import pytest

from core.agents.react import (
    Generated,
    parse_action,
    react_prompt,
    react_step,
    run_react,
    step_end,
)
from core.agents.tools import Toolbox


@pytest.mark.parametrize(
    ("line", "parsed"),
    [
        ("Action: calculator[3 + 4]", ("calculator", "3 + 4")),
        ("Action:calculator[ 3+4 ]", ("calculator", "3+4")),
        ("Action: lookup[price of a kite]", ("lookup", "price of a kite")),
        ("Action: search[Tom]  ", ("search", "Tom")),
        ("Action: calculator[(1 + 2) * [3]]", ("calculator", "(1 + 2) * [3]")),
        ("Action: calculator[]", ("calculator", "")),
    ],
)
def test_well_formed_actions(line, parsed):
    assert parse_action(line) == parsed


@pytest.mark.parametrize(
    "line",
    [
        "Action: calculator 3 + 4",
        "Action: calculator[3 + 4",
        "Action: [3 + 4]",
        "Action: ",
        "Action: calc ulator[1]",
        "Action: calculator[1] and more",
    ],
)
def test_malformed_actions(line):
    with pytest.raises(ValueError, match="an action looks like tool"):
        parse_action(line)


@pytest.mark.parametrize(
    ("text", "end"),
    [
        ("Thought: a\nAction: calculator[1]\nObservation: 1", 33),
        ("Thought: a\nAction: calculator[1]", None),  # the line is not complete yet
        ("Thought: I know.\nAnswer: 5\n", 27),
        ("Thought: a\nThought: b\n", None),
        ("", None),
    ],
)
def test_step_end(text, end):
    assert step_end(text) == end


class Scripted:
    """A fake model: returns its lines one step at a time and records each prompt."""

    def __init__(self, *outputs):
        self.outputs = list(outputs)
        self.prompts = []

    def __call__(self, prompt, stop):
        self.prompts.append(prompt)
        text = self.outputs.pop(0) if self.outputs else ""
        return Generated(text, len(text.split()), 0.001)


Q = "Tom has 3 kites and buys 4 more. How many kites does Tom have now?"


def test_the_loop_runs_tools_and_feeds_observations_back():
    model = Scripted(
        " First I add 3 and 4.\nAction: calculator[3 + 4]\nObservation: 99\n",
        " I know the answer.\nAnswer: 7\n",
    )
    run = run_react(model, Toolbox(), Q)
    assert run.status == "answered" and run.answer == "7"
    first, last = run.steps
    assert first.call.observation == "7" and first.thought == "First I add 3 and 4."
    # the model's own "Observation: 99" was cut: the next prompt carries the tool's 7
    assert model.prompts[0] == react_prompt(Q) + "Thought:"  # the cue picks the format
    assert model.prompts[1] == react_prompt(Q) + (
        "Thought: First I add 3 and 4.\nAction: calculator[3 + 4]\nObservation: 7\nThought:"
    )
    assert run.n_actions == run.valid_actions == 1
    assert run.transcript.endswith("Answer: 7\n")


def test_a_malformed_action_is_an_error_observation_and_the_loop_goes_on():
    model = Scripted(
        " add.\nAction: calculator 3 + 4\n",
        " again.\nAction: calculator[3 + 4]\n",
        " done.\nAnswer: 7\n",
    )
    run = run_react(model, Toolbox(), Q)
    assert run.status == "answered"
    assert run.steps[0].observation.startswith("error: an action looks like tool[input]")
    assert run.n_actions == 2 and run.valid_actions == 1


def test_max_steps_gives_up():
    model = Scripted(*[" again.\nAction: calculator[1 + 1]\n"] * 10)
    run = run_react(model, Toolbox(), Q, max_steps=3)
    assert run.status == "gave up" and run.answer is None and len(run.steps) == 3


def test_no_action_and_no_answer_stops():
    run = run_react(Scripted("the cat sat on the mat"), Toolbox(), Q)
    assert run.status == "stopped" and run.steps[0].problem


def test_an_edited_observation_is_what_the_model_reads_next():
    model = Scripted(" add.\nAction: calculator[3 + 4]\n", " done.\nAnswer: 70\n")
    first = react_step(model, Toolbox(), Q)
    edited = first.with_observation("70")
    assert edited.edited and edited.call.observation == "7"
    second = react_step(model, Toolbox(), Q, [edited])
    assert model.prompts[1].endswith("Observation: 70\nThought:")
    assert second.answer == "70"


def test_hostile_model_output_never_escapes():
    model = Scripted(
        " x\nAction: calculator[__import__('os').system('echo hi')]\n",
        " x\nAction: shell[rm -rf /]\n",
        " x\nAction: calculator[9 ** 9 ** 9]\n",
        " x\nAction: lookup[" + "x" * 10_000 + "]\n",
        " x\nAnswer: 1\n",
    )
    run = run_react(model, Toolbox(), Q, max_steps=6)
    assert run.status == "answered"
    assert [s.call.ok for s in run.steps[:4]] == [False] * 4
    assert all(s.observation.startswith("error: ") for s in run.steps[:4])
