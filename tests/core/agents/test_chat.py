"""Instruct models' formats with a real tokenizer and two chat templates (one that renders
tools itself, Qwen2.5-style, and a plain ChatML one, SmolLM2-style), and a scripted model."""

import pytest
from transformers import AutoTokenizer

from core.agents.chat import (
    TOOL_SCHEMAS,
    ChatFormat,
    final_answer,
    knows_tools,
    parse_tool_call,
    program_text,
)
from core.agents.react import Generated, react_step
from core.agents.strategies import run_strategy
from core.agents.tools import Toolbox
from core.models import tiny_gpt_path

WITH_TOOLS = (
    "{%- if tools %}<|im_start|>system\n{{ messages[0]['content'] }}\n<tools>\n"
    "{%- for tool in tools %}{{ tool | tojson }}\n{%- endfor %}</tools><|im_end|>\n"
    "{%- set rest = messages[1:] %}{%- else %}{%- set rest = messages %}{%- endif %}"
    "{%- for m in rest %}{%- if m.role == 'tool' %}"
    "<|im_start|>user\n<tool_response>\n{{ m.content }}\n</tool_response><|im_end|>\n"
    "{%- else %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{%- endif %}{%- endfor %}"
    "{%- if add_generation_prompt %}<|im_start|>assistant\n{%- endif %}"
)
PLAIN = (
    "{%- for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{%- endfor %}"
    "{%- if add_generation_prompt %}<|im_start|>assistant\n{%- endif %}"
)
Q = "Kai has 310 coins. Kai earns 363 coins and spends 466 coins. How many coins does Kai have?"
CALL = '<tool_call>\n{"name": "calculator", "arguments": {"expression": "%s"}}\n</tool_call>'


def _tokenizer(template):
    tok = AutoTokenizer.from_pretrained(str(tiny_gpt_path()))  # a fresh copy, never the cached
    tok.chat_template = template
    return tok


class Scripted:
    def __init__(self, *outputs):
        self.outputs, self.prompts = list(outputs), []

    def __call__(self, prompt, stop):
        self.prompts.append(prompt)
        return Generated(self.outputs.pop(0), 5, 0.0)


def test_a_template_with_tools_gets_the_schemas_and_tool_messages():
    tok = _tokenizer(WITH_TOOLS)
    assert knows_tools(tok)
    fmt = ChatFormat(tok)
    model = Scripted("I add first." + CALL % "310 + 363" + "trailing", "Answer: 207")
    step = react_step(model, Toolbox(), Q, (), fmt)
    assert step.call.tool == "calculator" and step.observation == "673"
    assert step.thought == "I add first." and step.action == "calculator[310 + 363]"
    assert "trailing" not in step.generated
    assert '"name": "calculator"' in model.prompts[0]  # the schemas, rendered by the template
    react_step(model, Toolbox(), Q, [step], fmt)
    assert "<tool_response>\n673\n</tool_response>" in model.prompts[1]


def test_a_plain_template_gets_the_tools_in_the_system_message():
    tok = _tokenizer(PLAIN)
    assert not knows_tools(tok)
    fmt = ChatFormat(tok)
    model = Scripted(CALL % "1 + 2", "Answer: 3")
    step = react_step(model, Toolbox(), Q, (), fmt)
    assert "Tools (call one as <tool_call>" in model.prompts[0]
    react_step(model, Toolbox(), Q, [step], fmt)
    assert "Tool result: 3" in model.prompts[1]


def test_the_four_strategies_through_a_chat_template():
    tok = _tokenizer(WITH_TOOLS)
    model = Scripted(
        "207",
        "310 + 363 = 673\n673 - 466 = 207\nAnswer: 207\n",
        "```python\ncoins = 310\nanswer = coins + 363 - 466\n```\nThis computes it.",
        CALL % "310 + 363",
        CALL % "673 - 466",
        "The answer is 207.\nAnswer: 207",
    )
    runs = {
        s: run_strategy(s, Q, model, chat=tok, expected="207", toolbox=Toolbox())
        for s in ("direct", "cot", "pal", "react")
    }
    assert all(r.correct for r in runs.values()), {s: r.answer for s, r in runs.items()}
    assert runs["pal"].program.variables["coins"] == 310
    assert runs["react"].react.valid_actions == 2
    assert "<|im_start|>user" in runs["direct"].prompt  # the template's own markup


@pytest.mark.parametrize(
    "text",
    [
        "<tool_call>{not json}</tool_call>",
        '<tool_call>{"arguments": {}}</tool_call>',
        '<tool_call>["calculator"]</tool_call>',
        '<tool_call>{"name": 3, "arguments": {}}</tool_call>',
        "<tool_call>unclosed",
    ],
)
def test_malformed_tool_calls_are_error_observations(text):
    with pytest.raises(ValueError):
        parse_tool_call(text)
    step = react_step(Scripted(text), Toolbox(), Q, (), ChatFormat(_tokenizer(WITH_TOOLS)))
    assert step.call is None and step.observation.startswith("error: ")


def test_helpers():
    assert parse_tool_call(
        '<tool_call>{"name": "lookup", "arguments": "{\\"fact\\": \\"age of Tom\\"}"}</tool_call>'
    )[:2] == ("lookup", "age of Tom")
    assert program_text("answer = 2") == "answer = 2"
    assert final_answer("Let me see.\nanswer: 12") == "12"
    assert final_answer("It is 12.") == "It is 12."
    assert final_answer("  ") is None
    assert [t["function"]["name"] for t in TOOL_SCHEMAS] == ["calculator", "lookup", "search"]
