"""Saved aligned policies: the DPO adapter (peft's ``save_pretrained``) as a run folder of
:mod:`core.training.runs` (kind ``align``), with its settings and held-out scores; reloadable
onto a fresh base, as the LoRA page's adapters are."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

from core.align.compare import BeforeAfter
from core.align.dpo import DPOConfig, DPOResult
from core.training import runs
from core.training.runs import SavedRun

KIND = "align"


def config_of(run: SavedRun) -> DPOConfig:
    """The :class:`DPOConfig` a saved run was trained with.

    Raises:
        ValueError, KeyError, TypeError: the stored config is missing or invalid.
    """
    return DPOConfig(**run.meta["config"])


def run_meta(result: DPOResult, compared: BeforeAfter | None) -> dict[str, Any]:
    """What ``run.json`` keeps: the settings and the figures the saved-runs list shows."""
    return {
        "config": asdict(result.config),
        "n_train": result.n_train,
        "n_heldout": result.n_heldout,
        "steps_done": len(result.steps),
        "total_steps": result.total_steps,
        "stopped": result.stopped,
        "seconds": round(result.seconds, 2),
        "accuracy_before": result.before.reward_accuracy,
        "accuracy_after": result.after.reward_accuracy,
        "kl": result.after.kl,
        "win_rate": compared.win_rate if compared else None,
        "policy_ppl": compared.policy_ppl if compared else None,
    }


def writer(result: DPOResult) -> Callable[[Path], None]:
    """What :func:`core.training.runs.save_run` writes into the run folder: the adapter."""
    return lambda folder: result.model.save_pretrained(str(folder))


def list_runs(runs_dir: str | Path | None = None, *, owner: str | None = None) -> list[SavedRun]:
    """Saved aligned policies, newest first, ``owner``'s first (unreadable configs skipped)."""
    return [r for r in runs.list_runs(runs_dir, kind=KIND, owner=owner) if _readable(r)]


def _readable(run: SavedRun) -> bool:
    try:
        config_of(run)
    except (ValueError, KeyError, TypeError):
        return False
    return True


def load_run(name: str, runs_dir: str | Path | None = None) -> tuple[SavedRun, Any, Any]:
    """A saved policy rebuilt: a fresh base with the adapter on top, in eval mode.

    Raises:
        ValueError: bad name, or no saved aligned policy of that name.
    """
    from peft import PeftModel

    from core.lora.model import load_base

    try:
        run = runs.get_run(name, runs_dir, kind=KIND)
        config = config_of(run)
    except (KeyError, TypeError):
        raise ValueError(f"the saved aligned policy {name!r} has no valid settings") from None
    base, tok = load_base(config.model, "causal-lm")
    model = PeftModel.from_pretrained(base, run.path)
    model.eval()
    return run, model, tok
