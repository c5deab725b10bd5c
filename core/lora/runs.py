"""Saved LoRA runs: the adapter (peft's ``save_pretrained``) in a run folder of
:mod:`core.training.runs`, with the spec, labels and scores needed to list and rebuild it.

Saves are atomic and never overwrite another run; lists put the learner's own runs first.
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING

from core.lora.spec import LoraConfigSpec
from core.training import runs
from core.training.runs import Reservation, SavedRun

if TYPE_CHECKING:
    from core.lora.train import LoraRunResult

KIND = "lora"


def run_dir(name: str, runs_dir: str | Path | None = None) -> Path:
    """The folder of a run: ``runs_dir / name`` with ``name`` validated (no path tricks)."""
    return runs.run_path(name, runs_dir)


def spec_of(run: SavedRun) -> LoraConfigSpec:
    """The :class:`LoraConfigSpec` a saved run was trained with.

    Raises:
        ValueError, KeyError, TypeError: the stored spec is missing or invalid.
    """
    s = dict(run.meta["spec"])
    s["target_modules"] = tuple(s["target_modules"])
    return LoraConfigSpec(**s)


def run_meta(result: LoraRunResult) -> dict:
    """What ``run.json`` keeps about a LoRA run: enough to list it and rebuild the model."""
    cmp = result.comparison
    return {
        "spec": asdict(result.spec),
        "dataset": result.dataset_name,
        "labels": list(result.labels),
        "n_train": result.n_train,
        "n_val": result.n_val,
        "steps_done": result.steps_done,
        "total_steps": result.total_steps,
        "stopped": result.stopped,
        "trainable": result.params.trainable,
        "total": result.params.total,
        "seconds": round(result.seconds, 2),
        "final_train_loss": result.train_losses[-1] if result.train_losses else None,
        "base_accuracy": cmp.base_accuracy if cmp else None,
        "adapter_accuracy": cmp.adapter_accuracy if cmp else None,
    }


def save_run(
    result: LoraRunResult,
    name: str,
    *,
    owner: str = "",
    runs_dir: str | Path | None = None,
    reservation: Reservation | None = None,
    unique: bool = False,
) -> SavedRun:
    """Save the trained adapter and its ``run.json`` atomically as run ``name``.

    Raises:
        core.training.RunNameTaken: the name is taken (and ``unique`` is False).
    """
    return runs.save_run(
        name,
        lambda folder: result.model.save_pretrained(str(folder)),
        run_meta(result),
        kind=KIND,
        owner=owner,
        runs_dir=runs_dir,
        reservation=reservation,
        unique=unique,
    )


def list_runs(runs_dir: str | Path | None = None, *, owner: str | None = None) -> list[SavedRun]:
    """Saved LoRA runs, newest first, ``owner``'s first if given (unreadable specs skipped)."""
    out = []
    for run in runs.list_runs(runs_dir, kind=KIND, owner=owner):
        try:
            spec_of(run)
        except (ValueError, KeyError, TypeError):
            continue
        out.append(run)
    return out


def load_run(name: str, runs_dir: str | Path | None = None):
    """Rebuild a saved run: a fresh base model with the adapter loaded on top.

    Returns:
        ``(saved_run, peft_model, tokenizer)``, the model in eval mode.

    Raises:
        ValueError: bad name, or no saved LoRA run of that name.
    """
    import torch
    from peft import PeftModel

    from core.lora.model import load_base

    try:
        run = runs.get_run(name, runs_dir, kind=KIND)
        spec = spec_of(run)
    except (KeyError, TypeError):
        raise ValueError(f"the saved LoRA run {name!r} has no valid settings") from None
    except ValueError as e:
        raise ValueError(str(e).replace("saved lora run", "saved LoRA run")) from None
    torch.manual_seed(spec.seed)  # the base's new classification head, as in the run
    base, tok = load_base(spec.model, spec.task, run.meta.get("labels", ()))
    model = PeftModel.from_pretrained(base, run.path)
    model.eval()
    return run, model, tok
