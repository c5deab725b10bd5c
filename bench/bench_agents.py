"""Benchmark of the agents page: the held-out table, and one ReAct step against raw generation.

    python bench/bench_agents.py [--n 20] [--repeats 15] [--write-card]

1. **Held-out table**: the four strategies (:func:`core.agents.evaluate`) on
   :func:`core.word_problems.heldout_problems` (two-step problems, held-out names and operand
   triples) at 1, 2 and 3 digits: accuracy, ReAct's tool-call validity and steps per answer.
   ``--write-card`` writes it to ``assets/tasks/word_problems.md``, the task card.
2. **One ReAct step's overhead**: :func:`core.agents.react_step` (the prompt rebuilt from the
   history, generation with the text stop rule decoding after each token, the action parsed, the
   tool run) against the raw generation it needs: ``model.generate(ids, do_sample=False)`` of
   the same number of new tokens from the same prompt. Timed in turns, median of each, after a
   warm-up. Goal: <= 1.1x.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402

from core import models  # noqa: E402
from core.agents import (  # noqa: E402
    LABELS,
    STRATEGIES,
    AgentConfig,
    EvalConfig,
    Toolbox,
    evaluate,
    lm_generate,
    react_step,
)
from core.evaluation import time_interleaved  # noqa: E402
from core.word_problems import DIGITS, heldout_problems  # noqa: E402

CARD = ROOT / "assets" / "tasks" / "word_problems.md"
COMMAND = "python bench/bench_agents.py --write-card"


def table(n: int) -> tuple[object, float]:
    lm = models.load_causal_lm("tiny-gpt")
    t0 = time.perf_counter()
    result = evaluate(lm_generate(lm.model, lm.tokenizer), EvalConfig(n_per_digits=n))
    return result, time.perf_counter() - t0


def table_markdown(result) -> str:
    head = "| strategy | " + " | ".join(f"{d}-digit" for d in DIGITS) + " |"
    lines = [head, "|---|" + "---|" * len(DIGITS)]
    for s in STRATEGIES:
        cells = [f"{result.accuracy(s, d):.2f}" for d in DIGITS]
        lines.append(f"| {LABELS[s]} | " + " | ".join(cells) + " |")
    react = [result.row("react", d) for d in DIGITS]
    valid = sum(r.valid_actions for r in react) / max(1, sum(r.actions for r in react))
    steps = statistics.mean(r.steps for r in react)
    lines.append("")
    lines.append(
        f"ReAct: {valid:.0%} of its tool calls parsed and ran; {steps:.1f} steps per answer."
    )
    return "\n".join(lines)


def reading(result) -> str:
    """What the table says, sentence by sentence from its numbers."""
    lines = []
    for d in DIGITS:
        acc = {s: result.accuracy(s, d) for s in STRATEGIES}
        tools = max(acc["pal"], acc["react"])
        plain = max(acc["direct"], acc["cot"])
        verdict = (
            "the tools beat answering unaided by a wide margin"
            if tools - plain >= 0.3
            else "no strategy is clearly ahead"
            if abs(tools - plain) < 0.3
            else "answering unaided is ahead"
        )
        cells = ", ".join(f"{LABELS[s]} {acc[s]:.2f}" for s in STRATEGIES)
        lines.append(f"- {d}-digit operands: {cells}: {verdict}.")
    return "\n".join(lines)


def write_card(result, n: int, seconds: float) -> None:
    import datetime as dt

    CARD.write_text(
        f"""# Task card: arithmetic word problems, four ways

- **Data**: `core/word_problems.py` (`heldout_problems`, seed {result.config.seed}): {n}
  two-step problems at each operand size (1, 2 and 3 digits) about apples, coins, trains and
  boxes. Held out from the tiny-gpt corpus: the names (Ivy, Kai, Luna, Rosa) and every operand
  triple the fixed rule `is_heldout_numbers` marks (one in five); no held-out question appears
  in the training text (`tests/core/test_word_problems.py` checks).
- **Strategies** (`core/agents`): direct answer; chain of thought (`Let's think step by
  step.`, one `Step k: a op b = c` line per operation); program-aided (`Program:`, assignments
  and `answer = ...` run by the project's AST interpreter); ReAct (`Thought` / `Action:
  calculator[...]` / `Observation`, the calculator an AST walk). Greedy decoding.
- **Metric**: exact answer (`same_answer`: the same number).

## Measured on `tiny-gpt` ({dt.date.today().isoformat()}, `{COMMAND}`, {seconds:.0f} s)

Accuracy on held-out problems:

{table_markdown(result)}

## Reading it
{reading(result)}
""",
        encoding="utf-8",
    )


def step_overhead(repeats: int, n_problems: int = 6) -> tuple[float, float, float]:
    """Median ms of one ReAct step and of the raw generation of its tokens, and the ratio."""
    lm = models.load_causal_lm("tiny-gpt")
    model, tok = lm.model, lm.tokenizer
    config = AgentConfig()
    generate = lm_generate(model, tok, config)
    box = Toolbox()
    problems = [p for p in heldout_problems(n_problems) if p.digits == 2][:n_problems]
    cases = []
    for p in problems:
        step = react_step(generate, box, p.question)  # warm-up, and the token count to match
        prompt_ids = tok(f"Question: {p.question}\n", return_tensors="pt").input_ids
        cases.append((p.question, prompt_ids, step.tokens))

    def ours() -> None:
        for q, _, _ in cases:
            react_step(generate, box, q)

    def raw() -> None:
        with torch.inference_mode():
            for _, ids, n in cases:
                model.generate(
                    ids,
                    max_new_tokens=n,
                    min_new_tokens=n,
                    do_sample=False,
                    pad_token_id=tok.eos_token_id,
                )

    raw()
    t = time_interleaved({"ours": ours, "raw": raw}, repeats)
    a, b = t["ours"].median / len(cases), t["raw"].median / len(cases)
    return a, b, a / b


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--n", type=int, default=20, help="held-out problems per operand size")
    ap.add_argument("--repeats", type=int, default=15)
    ap.add_argument("--write-card", action="store_true")
    ap.add_argument("--section", choices=("all", "table", "step"), default="all")
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    if args.section in ("all", "table"):
        result, seconds = table(args.n)
        print(f"== held-out accuracy, {args.n} problems per size ({seconds:.0f} s)")
        print(table_markdown(result))
        if args.write_card:
            write_card(result, args.n, seconds)
            print(f"wrote {CARD.relative_to(ROOT)}")
    if args.section in ("all", "step"):
        a, b, ratio = step_overhead(args.repeats)
        print("== one ReAct step vs the raw generation of its tokens")
        print(
            f"react_step {a:.1f} ms   model.generate {b:.1f} ms   ratio {ratio:.2f}x (goal <= 1.1x)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
