"""LoRA fine-tuning on CPU: settings, datasets, the model, the loop, checks, jobs and saved runs.

>>> from core.lora import LoraConfigSpec
>>> LoraConfigSpec(r=4).scaling
4.0

- :mod:`~core.lora.spec` the run's settings; :mod:`~core.lora.data` datasets and recipes;
- :mod:`~core.lora.model` the peft-wrapped model; :mod:`~core.lora.batches` tokenised batches;
- :mod:`~core.lora.train` the loop (:func:`fit`), which knows nothing of what comes after;
- :mod:`~core.lora.evaluate` base vs adapter (:class:`Comparison`), merge, forgetting;
- :mod:`~core.lora.runs` saved adapters; :mod:`~core.lora.job` the steps composed:
  ``train_lora(spec, dataset, *, on_step=None, should_stop=None) -> LoraRunResult`` in the
  caller's thread, :func:`lora_job` as a :class:`core.training.Job` for the training queue.

Importing this package loads neither torch nor transformers.
"""

from __future__ import annotations

from core.lora.data import (
    RECIPES,
    DatasetError,
    LoraDataset,
    Recipe,
    load_recipe_dataset,
    parse_dataset,
    split_dataset,
)
from core.lora.evaluate import (
    Comparison,
    ForgettingCheck,
    MergeCheck,
    Timings,
    compare_base_adapter,
    forgetting_check,
    merge_check,
    outputs_for,
)
from core.lora.job import LoraOutcome, LoraProgress, lora_job, train_lora
from core.lora.model import ParamCount, count_trainable, target_module_choices
from core.lora.runs import list_runs, load_run, run_dir, save_run, spec_of
from core.lora.spec import (
    TASKS,
    LoraConfigSpec,
    MemoryEstimate,
    Task,
    memory_estimate,
    validate_run_name,
)
from core.lora.train import LoraRunResult, StepInfo, fit

__all__ = [
    "RECIPES",
    "TASKS",
    "Comparison",
    "DatasetError",
    "ForgettingCheck",
    "LoraConfigSpec",
    "LoraDataset",
    "LoraOutcome",
    "LoraProgress",
    "LoraRunResult",
    "MemoryEstimate",
    "MergeCheck",
    "ParamCount",
    "Recipe",
    "StepInfo",
    "Task",
    "Timings",
    "compare_base_adapter",
    "count_trainable",
    "fit",
    "forgetting_check",
    "list_runs",
    "load_recipe_dataset",
    "load_run",
    "lora_job",
    "memory_estimate",
    "merge_check",
    "outputs_for",
    "parse_dataset",
    "run_dir",
    "save_run",
    "spec_of",
    "split_dataset",
    "target_module_choices",
    "train_lora",
    "validate_run_name",
]
