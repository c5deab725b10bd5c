"""Instruct models (SmolLM2-Instruct, Qwen2.5-Instruct): the four strategies through the model's
own chat template, and ReAct through its tool-calling format.

A template that knows tools (Qwen2.5's reads ``tools=`` and renders ``role: tool`` messages)
gets the tools as JSON schemas, and the model answers a call as ``<tool_call>{"name": ...,
"arguments": {...}}</tool_call>`` (the Hermes format both families were tuned on). A template
that does not (SmolLM2's) gets the same schemas in its system message and the tool results as
user turns. Either way the transcript view is the same: thought, action, real observation.

>>> parse_tool_call('Let me add.<tool_call>{"name": "calculator", '
...                 '"arguments": {"expression": "3 + 4"}}</tool_call>')
('calculator', '3 + 4', 'Let me add.')
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

from core.agents.react import Parsed, ReactStep

SYSTEM = (
    "You are a careful assistant. Use the tools for arithmetic and facts: call one tool at a "
    "time, read its result, and when you know the answer reply with a last line "
    "'Answer: <answer>'."
)
TOOL_SCHEMAS = [
    {
        "type": "function",
        "function": {
            "name": "calculator",
            "description": "Evaluate an arithmetic expression with + - * / // % ** and ( ).",
            "parameters": {
                "type": "object",
                "properties": {"expression": {"type": "string", "description": "e.g. 3 + 4"}},
                "required": ["expression"],
            },
        },
    },
    {
        "type": "function",
        "function": {
            "name": "lookup",
            "description": "A fact of the toy world: 'price of a kite' or 'age of Tom'.",
            "parameters": {
                "type": "object",
                "properties": {"fact": {"type": "string", "description": "e.g. price of a kite"}},
                "required": ["fact"],
            },
        },
    },
    {
        "type": "function",
        "function": {
            "name": "search",
            "description": "Search the documents of the knowledge base for a name or topic.",
            "parameters": {
                "type": "object",
                "properties": {"query": {"type": "string", "description": "e.g. Tom"}},
                "required": ["query"],
            },
        },
    },
]
INSTRUCTIONS = {
    "direct": "Reply with the answer only.",
    "cot": "Think step by step, one short line per step, then end with a line 'Answer: <answer>'.",
    "pal": (
        "Write a short Python program that computes the answer and stores it in a variable "
        "named answer. Use only assignments and arithmetic. Reply with the code only."
    ),
}
_CALL = re.compile(r"<tool_call>\s*(.*?)\s*</tool_call>", re.S)
_FENCE = re.compile(r"```(?:python|py)?\s*\n(.*?)(?:```|$)", re.S)


def is_chat(tokenizer: Any) -> bool:
    """The tokenizer has a chat template (an instruct model)."""
    return bool(getattr(tokenizer, "chat_template", None))


def knows_tools(tokenizer: Any) -> bool:
    """The chat template renders ``tools`` and ``tool`` messages itself."""
    template = getattr(tokenizer, "chat_template", None) or ""
    return "tools" in template and "tool" in template


def _render(tokenizer: Any, messages: list[dict[str, Any]], tools: Any = None) -> str:
    return str(
        tokenizer.apply_chat_template(
            messages, tools=tools, add_generation_prompt=True, tokenize=False
        )
    )


def strategy_prompt(tokenizer: Any, strategy: str, question: str) -> str:
    """The chat-template prompt of the direct, chain-of-thought or PAL strategy."""
    user = f"{' '.join(question.split())}\n\n{INSTRUCTIONS[strategy]}"
    return _render(tokenizer, [{"role": "user", "content": user}])


def program_text(text: str) -> str:
    """The code of a reply: a fenced block's inside, else the reply itself.

    >>> program_text("Here:\\n```python\\nanswer = 1 + 2\\n```\\nDone.")
    'answer = 1 + 2\\n'
    """
    m = _FENCE.search(text)
    return m.group(1) if m else text


def final_answer(text: str) -> str | None:
    """An ``Answer:`` line's text, else the reply's last non-empty line."""
    lines = [ln.strip() for ln in text.strip().splitlines() if ln.strip()]
    for ln in reversed(lines):
        if ln.lower().startswith("answer:"):
            return ln[len("answer:") :].strip() or None
    return lines[-1] if lines else None


def parse_tool_call(text: str) -> tuple[str, str, str]:
    """(tool, argument, thought) of a reply holding a ``<tool_call>`` block.

    Raises:
        ValueError: no complete block, or its JSON is not ``{"name": ..., "arguments": ...}``.
    """
    m = _CALL.search(text)
    if not m:
        raise ValueError("a tool call is <tool_call>{json}</tool_call>")
    try:
        call = json.loads(m.group(1))
        name = call["name"]
        args = call.get("arguments", {})
        if isinstance(args, str):
            args = json.loads(args)
    except (ValueError, KeyError, TypeError, AttributeError):
        raise ValueError(f"cannot read the tool call {m.group(1)[:60]!r}") from None
    if not isinstance(name, str) or not isinstance(args, dict):
        raise ValueError(f"cannot read the tool call {m.group(1)[:60]!r}")
    values = [v for v in args.values() if isinstance(v, str | int | float)]
    return name, str(values[0]) if values else "", text[: m.start()].strip()


class ChatFormat:
    """ReAct in an instruct model's chat template, with its tool-calling format."""

    name = "chat"

    def __init__(self, tokenizer: Any) -> None:
        self.tokenizer = tokenizer
        self.native = knows_tools(tokenizer)

    def messages(self, question: str, history: Sequence[ReactStep]) -> list[dict[str, Any]]:
        system = SYSTEM
        if not self.native:
            system += "\n\nTools (call one as <tool_call>{json}</tool_call>):\n" + json.dumps(
                TOOL_SCHEMAS
            )
        msgs: list[dict[str, Any]] = [
            {"role": "system", "content": system},
            {"role": "user", "content": " ".join(question.split())},
        ]
        for s in history:
            msgs.append({"role": "assistant", "content": s.generated})
            if s.answer is None:
                if self.native:
                    msgs.append({"role": "tool", "content": s.observation})
                else:
                    msgs.append({"role": "user", "content": f"Tool result: {s.observation}"})
        return msgs

    def prompt(self, question: str, history: Sequence[ReactStep]) -> str:
        tools = TOOL_SCHEMAS if self.native else None
        return _render(self.tokenizer, self.messages(question, history), tools)

    def transcript(self, question: str, history: Sequence[ReactStep]) -> str:
        return self.prompt(question, history)

    def stop(self, text: str) -> int | None:
        i = text.find("</tool_call>")
        return None if i < 0 else i + len("</tool_call>")

    def parse(self, text: str) -> Parsed:
        cut = self.stop(text)
        text = (text[:cut] if cut is not None else text).strip()
        if "<tool_call>" not in text:
            answer = final_answer(text)
            return Parsed(text, "", answer=answer) if answer else Parsed(text, "")
        action = text[text.index("<tool_call>") :]
        try:
            tool, argument, thought = parse_tool_call(text)
        except ValueError as e:
            return Parsed(text, text.split("<tool_call>")[0].strip(), action, error=str(e))
        return Parsed(text, thought, f"{tool}[{argument}]", tool, argument)
