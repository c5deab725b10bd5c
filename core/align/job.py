"""The page's two long runs as :class:`core.training.Job` s for the shared training queue:
training the reward model, and DPO followed by the before/after check and the save.

Each reports an :class:`AlignProgress` after every step; Stop ends the loop after the current
step and keeps what was learned (a stopped DPO run is still compared and saved); a closed tab
stops the job the same way, and then the checks nobody would see are skipped.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

from core.align.compare import BeforeAfter, before_after
from core.align.dpo import DPOConfig, DPOEval, DPOResult, DPOStep, train_dpo
from core.align.pairs import PreferenceSet
from core.align.reward import RewardConfig, RewardResult, train_reward
from core.align.runs import KIND, run_meta, writer
from core.training import OWNER_GONE, Job, JobContext, SavedRun, runs
from core.training.job import DEFAULT_GRACE_S

Phase = Literal["loading", "training", "comparing", "saving"]
COMPARE_PROMPTS = 12  # held-out prompts answered by both models


@dataclass(frozen=True)
class AlignProgress:
    """What a job has done so far (a frozen copy per report)."""

    phase: Phase
    step: int = 0
    total_steps: int = 0
    losses: tuple[float, ...] = ()
    steps: tuple[DPOStep, ...] = ()  # DPO only
    evals: tuple[DPOEval, ...] = ()

    @property
    def fraction(self) -> float:
        return self.step / self.total_steps if self.total_steps else 0.0


@dataclass(frozen=True)
class DPOOutcome:
    """A finished DPO job: the run, the before/after check and the saved adapter (if any)."""

    run: DPOResult
    compared: BeforeAfter | None = None
    saved: SavedRun | None = None
    asked_name: str | None = None


def _reporter(ctx: JobContext) -> Callable[..., None]:
    state = {"p": AlignProgress("loading")}

    def report(message: str, **changes: Any) -> None:
        state["p"] = replace(state["p"], **changes)
        ctx.report(state["p"], message=message)

    return report


def reward_job(
    config: RewardConfig,
    data: PreferenceSet,
    *,
    owner: str = "",
    owner_alive: Callable[[], bool] | None = None,
    grace_s: float = DEFAULT_GRACE_S,
) -> Job:
    """Training the reward model as a job; its result is a :class:`RewardResult`."""

    def work(ctx: JobContext) -> RewardResult:
        report = _reporter(ctx)
        report("Loading a fresh copy of the model with a scalar head...")
        losses: list[float] = []

        def on_step(step: int, total: int, loss: float) -> None:
            losses.append(loss)
            report(
                f"Reward model: step {step} of {total}",
                phase="training",
                step=step,
                total_steps=total,
                losses=tuple(losses),
            )

        result = train_reward(config, data, on_step=on_step, should_stop=ctx.should_stop)
        what = "Stopped" if result.stopped else "Finished"
        ctx.report(message=f"{what} after {len(result.losses)} of {result.total_steps} steps.")
        return result

    return Job(work, owner=owner, title="reward model", owner_alive=owner_alive, grace_s=grace_s)


def dpo_job(
    config: DPOConfig,
    data: PreferenceSet,
    *,
    reward: tuple[Any, Any] | None = None,
    name: str | None = None,
    owner: str = "",
    owner_alive: Callable[[], bool] | None = None,
    runs_dir: str | Path | None = None,
    grace_s: float = DEFAULT_GRACE_S,
) -> Job:
    """DPO, then reference vs policy on held-out prompts, then the save, as one job.

    Args:
        reward: ``(reward model, tokenizer)`` to judge the before/after answers.
        name: save the adapter as this run; the name is held from now on.

    Raises:
        ValueError: ``name`` is not a valid run name.
        core.training.RunNameTaken: ``name`` is taken; the error carries a free suggestion.
    """
    reservation = runs.reserve(name, runs_dir) if name else None

    def work(ctx: JobContext) -> DPOOutcome | None:
        report = _reporter(ctx)
        if ctx.should_stop():
            ctx.report(message="Stopped before training started: nothing was trained.")
            return None
        report("Loading a fresh copy of the policy with a new adapter...")
        steps: list[DPOStep] = []
        evals: list[DPOEval] = []

        def on_step(step: DPOStep, check: DPOEval | None) -> None:
            steps.append(step)
            if check is not None:
                evals.append(check)
            report(
                f"DPO: step {step.step} of {step.total_steps}",
                phase="training",
                step=step.step,
                total_steps=step.total_steps,
                losses=tuple(s.loss for s in steps),
                steps=tuple(steps),
                evals=tuple(evals),
            )

        result = train_dpo(config, data, on_step=on_step, should_stop=ctx.should_stop)
        gone = ctx.stop_reason == OWNER_GONE
        compared = None
        if not gone and result.steps:
            report(
                "Answering held-out prompts with the reference and the policy...", phase="comparing"
            )
            compared = before_after(
                result.model, result.tokenizer, data.heldout[:COMPARE_PROMPTS], reward=reward
            )
        saved = None
        if name is not None and result.steps:
            report("Saving the adapter...", phase="saving")
            saved = runs.save_run(
                name,
                writer(result),
                run_meta(result, compared),
                kind=KIND,
                owner=owner,
                runs_dir=runs_dir,
                reservation=reservation,
                unique=True,
            )
        what = "Stopped" if result.stopped else "Finished"
        ctx.report(message=f"{what} after {len(result.steps)} of {result.total_steps} steps.")
        return DPOOutcome(result, compared, saved, name)

    job = Job(
        work,
        owner=owner,
        title=f"DPO {name or config.model}",
        owner_alive=owner_alive,
        grace_s=grace_s,
    )
    if reservation is not None:
        job.add_done_callback(lambda _status: reservation.release())
    return job
