"""Write a card for each shipped prompt-shot task (``assets/tasks/<task>.md``) from a measurement.

Every figure in a card is measured by this script with :func:`core.prompting.evaluate_shots` on
the embedded ``tiny-gpt``: accuracy by comparing the log-probabilities of the answer choices, for
k = 0, 1, 2, 4, 8 shots, each k re-drawn with five seeds, with and without the instruction.

    python scripts/task_cards.py            # all shipped tasks
    python scripts/task_cards.py sentiment  # one task
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core import models  # noqa: E402
from core.prompting import (  # noqa: E402
    SHIPPED_TASKS,
    ShotSweepResult,
    Task,
    build_prompt,
    evaluate_shots,
    load_task,
    paired_difference,
)

KS = (0, 1, 2, 4, 8)
SEEDS = (0, 1, 2, 3, 4)
FEW = 4  # the few-shot k the headline compares with zero-shot


def _row(res: ShotSweepResult, k: int) -> str:
    p = next(x for x in res.points() if x.k == k)
    spread = (
        f"{p.accuracy_mean:.0%} ± {p.accuracy_std:.0%} ({p.accuracy_min:.0%}-{p.accuracy_max:.0%})"
    )
    return f"{spread} | {p.tokens_mean:.0f} (max {p.tokens_max})"


def card(task: Task, plain: ShotSweepResult, instructed: ShotSweepResult, model: str) -> str:
    """The markdown card of one task from its two sweeps (instruction off and on)."""
    choices = ", ".join(task.labels) if task.labels else "per item (see the JSON's `choices`)"
    zero, few = plain.run(0, 0), [plain.run(FEW, s) for s in SEEDS]
    diffs = [paired_difference(zero, r) for r in few]
    mean_few = sum(r.accuracy for r in few) / len(few)
    gap = mean_few - zero.accuracy
    worst_p = max(d.p_value for d in diffs)
    verdict = (
        "**a real difference**"
        if abs(gap) >= 0.1 and worst_p < 0.05
        else "**no reliable difference**"
    )
    chance = len(task.items) / sum(len(task.choices_for(i)) for i in task.items)
    example = build_prompt(task, 2, 0, instruction=False).text
    rows = "\n".join(
        f"| {k} | {_row(plain, k)} | {_row(instructed, k)} |"
        for k in plain.ks
        if k in instructed.ks
    )
    flips = "; ".join(
        f"seed {s}: +{d.only_b} / -{d.only_a} (p = {d.p_value:.2g})"
        for s, d in zip(SEEDS, diffs, strict=True)
    )
    return f"""# Task card: {task.title}

- **Data**: `assets/tasks/{task.name}.json`, written by `core/corpus.py` (`heldout_tasks`, a seed
  the training corpus never used). {len(task.examples)} solved examples form the shot pool;
  {len(task.items)} held-out items are scored.
- **Answer choices**: {choices}.
- **Instruction** (optional): "{task.instruction}"
- **Format** (a 2-shot prompt, instruction off):

```
{example}
```

- **Scoring**: the model reads the prompt and each choice is scored by the sum of its tokens'
  log-probabilities (choice preceded by a space, prompt preceded by the start token); the
  highest wins. Chance: {chance:.0%}.

## Measured on `{model}` ({dt.date.today().isoformat()}, `python scripts/task_cards.py`)

Accuracy: mean ± standard deviation over {len(SEEDS)} shot draws (seeds {SEEDS[0]}-{SEEDS[-1]}:
which examples and in which order; seed 0 = file order), then the range; prompt tokens: mean
(longest) with the start token and the longest answer, against a {plain.n_ctx}-token context.

| k | instruction off: accuracy | tokens | instruction on: accuracy | tokens |
|---|---|---|---|---|
{rows}

**Zero-shot vs {FEW}-shot (instruction off): {zero.accuracy:.0%} -> {mean_few:.0%}
({gap * 100:+.0f} points), {verdict}.** Items that flip per draw (right only with the shots /
right only without; McNemar exact p): {flips}.
{"".join(f"{chr(10)}Note: {n}" for n in plain.notes)}
"""


def main(names: list[str]) -> None:
    import torch

    torch.set_num_threads(1)  # a busy shared machine: spinning intra-op threads cost 10x
    lm = models.load_causal_lm("tiny-gpt")
    for name in names or SHIPPED_TASKS:
        task = load_task(name)
        plain = evaluate_shots(task, lm, KS, SEEDS, instruction=False)
        instructed = evaluate_shots(task, lm, KS, SEEDS, instruction=True)
        out = ROOT / "assets" / "tasks" / f"{name}.md"
        out.write_text(card(task, plain, instructed, lm.name), encoding="utf-8")
        print(f"{name}: " + ", ".join(f"k={p.k} {p.accuracy_mean:.0%}" for p in plain.points()))
        print(f"  wrote {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main(sys.argv[1:])
