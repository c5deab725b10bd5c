"""LoRA fine-tuning on CPU: settings, datasets, a training loop with live callbacks, and checks.

>>> from core.lora import LoraConfigSpec
>>> LoraConfigSpec(r=4).scaling
4.0

``train_lora(spec, dataset, *, on_step=None, should_stop=None) -> LoraRunResult`` trains an
adapter on a fresh copy of the base model; :class:`LoraJob` runs it in a background thread.
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
    ForgettingCheck,
    MergeCheck,
    SavedRun,
    compare_base_adapter,
    forgetting_check,
    list_runs,
    load_run,
    merge_check,
    outputs_for,
    run_dir,
    save_run,
)
from core.lora.job import JobSnapshot, LoraJob
from core.lora.spec import (
    TASKS,
    LoraConfigSpec,
    MemoryEstimate,
    Task,
    memory_estimate,
    validate_run_name,
)
from core.lora.train import (
    Comparison,
    LoraRunResult,
    ParamCount,
    StepInfo,
    count_trainable,
    target_module_choices,
    train_lora,
)

__all__ = [
    "RECIPES", "TASKS", "Comparison", "DatasetError", "ForgettingCheck", "JobSnapshot",
    "LoraConfigSpec", "LoraDataset", "LoraJob", "LoraRunResult", "MemoryEstimate", "MergeCheck",
    "ParamCount", "Recipe", "SavedRun", "StepInfo", "Task", "compare_base_adapter",
    "count_trainable", "forgetting_check", "list_runs", "load_recipe_dataset", "load_run",
    "memory_estimate", "merge_check", "outputs_for", "parse_dataset", "run_dir", "save_run",
    "split_dataset", "target_module_choices", "train_lora", "validate_run_name",
]  # fmt: skip
