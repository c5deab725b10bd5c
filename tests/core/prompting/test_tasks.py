"""core.prompting.tasks: shipped and custom tasks, their parsing and validation."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.prompting import (
    SHIPPED_TASKS,
    Example,
    Task,
    build_prompt,
    load_task,
    parse_custom_task,
)
from tests.core.prompting.samples import TOY


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
