"""Zero-, one- and few-shot prompts built from one task, scored by the log-probability of choices.

A :class:`Task` holds an instruction, a prompt format (input prefix, output prefix, separator),
a pool of solved examples (the shots) and held-out items, each with its answer choices.
:func:`build_prompt` writes the k-shot prompt for one item; :func:`evaluate_shots` scores every
held-out item for several k and several shot draws (seeds) and returns every figure the page
shows. Scoring compares the summed log-probabilities of the choices after the prompt, in the
style of lm-evaluation-harness' multiple-choice tasks; the shared prefix of a (k, seed) prompt is
run once and its KV cache reused for every item and choice.

>>> task = parse_custom_task("hot => cold\\nup => down\\nbig => small").task
>>> build_prompt(task, 1, 0, instruction=False).text
'hot => cold\\nup =>'
"""

from core.prompting.cache import ScoreCache
from core.prompting.prompts import (
    Prompt,
    Segment,
    build_prompt,
    context_window,
    diff_prompts,
    shot_order,
)
from core.prompting.scoring import (
    ALPHA,
    SWEEP_KS,
    ItemScore,
    PairedDifference,
    ShotRun,
    ShotSweepResult,
    SweepPoint,
    disagreements,
    evaluate_shots,
    paired_difference,
)
from core.prompting.tasks import (
    MAX_CUSTOM_LINES,
    SHIPPED_TASKS,
    CustomTaskParse,
    Example,
    Task,
    load_task,
    parse_custom_task,
    task_from_dict,
)

__all__ = [
    "ALPHA",
    "MAX_CUSTOM_LINES",
    "SHIPPED_TASKS",
    "SWEEP_KS",
    "CustomTaskParse",
    "Example",
    "ItemScore",
    "PairedDifference",
    "Prompt",
    "ScoreCache",
    "Segment",
    "ShotRun",
    "ShotSweepResult",
    "SweepPoint",
    "Task",
    "build_prompt",
    "context_window",
    "diff_prompts",
    "disagreements",
    "evaluate_shots",
    "load_task",
    "paired_difference",
    "parse_custom_task",
    "shot_order",
    "task_from_dict",
]
