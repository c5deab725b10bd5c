"""A LoRA run from start to saved adapter: train, compare base vs adapter, save, check forgetting.

:func:`train_lora` composes those steps in the caller's thread (notebooks, tests, benchmarks);
:func:`lora_job` wraps the same steps in a :class:`core.training.Job` for a page: it waits in
the server's training queue, reports a :class:`LoraProgress` after every step, stops on the
learner's Stop (keeping what was learned) and when the learner's browser session ends (then
it saves the adapter and skips the checks nobody would see).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

from core.lora.data import LoraDataset
from core.lora.evaluate import ForgettingCheck, compare_base_adapter, forgetting_check
from core.lora.runs import save_run
from core.lora.spec import LoraConfigSpec
from core.lora.train import LoraRunResult, StepInfo, fit
from core.training import OWNER_GONE, Job, JobContext, SavedRun, runs
from core.training.job import DEFAULT_GRACE_S
from core.training.runs import Reservation

Phase = Literal["loading", "training", "comparing", "saving", "checking"]


@dataclass(frozen=True)
class LoraProgress:
    """What a LoRA job has done so far (a frozen copy per report)."""

    phase: Phase
    epochs: int
    step: int = 0
    total_steps: int = 0
    epoch: int = 0
    train_losses: tuple[float, ...] = ()
    val_losses: tuple[tuple[int, float], ...] = ()
    steps_per_s: float = 0.0

    @property
    def fraction(self) -> float:
        return self.step / self.total_steps if self.total_steps else 0.0

    @property
    def remaining(self) -> float | None:
        """Seconds of training left at the current pace (None before the first step)."""
        if self.steps_per_s <= 0 or not self.total_steps:
            return None
        return (self.total_steps - self.step) / self.steps_per_s


@dataclass(frozen=True)
class LoraOutcome:
    """What a finished LoRA job produced (``run`` is None if it stopped before training)."""

    run: LoraRunResult | None
    forgetting: ForgettingCheck | None = None
    saved: SavedRun | None = None
    asked_name: str | None = None  # the name the learner asked for (saved.name may differ)


def _after_training(
    result: LoraRunResult,
    *,
    compare: bool,
    name: str | None,
    runs_dir: str | Path | None,
    owner: str,
    reservation: Reservation | None,
    unique: bool,
    on_phase: Callable[[Phase, str], None] | None = None,
) -> tuple[LoraRunResult, SavedRun | None]:
    """Compare base vs adapter on the held-out rows, then save the adapter (if it learned)."""
    if compare and not result.diverged:
        if on_phase is not None:
            on_phase("comparing", "Scoring base vs adapter on the held-out rows...")
        cmp = compare_base_adapter(
            result.model,
            result.tokenizer,
            result.spec.task,
            result.val_rows,
            result.labels,
            result.max_length,
        )
        result = replace(result, comparison=cmp)
    saved = None
    if name is not None and not result.diverged and result.steps_done > 0:
        if on_phase is not None:
            on_phase("saving", "Saving the adapter...")
        saved = save_run(
            result, name, owner=owner, runs_dir=runs_dir, reservation=reservation, unique=unique
        )
        result = replace(result, adapter_path=saved.path)
    return result, saved


def train_lora(
    spec: LoraConfigSpec,
    dataset: LoraDataset,
    *,
    on_step: Callable[[StepInfo], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    out_dir: str | Path | None = None,
    owner: str = "",
    num_threads: int | None = None,
    compare: bool = True,
) -> LoraRunResult:
    """Train a LoRA adapter on a fresh copy of ``spec.model``, compare it with the base, save it.

    Args:
        spec: the run's settings (model, task, LoRA shape, optimisation, split, seed).
        dataset: validated rows whose ``task`` matches ``spec.task``.
        on_step: called with a :class:`core.lora.StepInfo` after every optimiser step.
        should_stop: polled before every step; ``True`` ends the run cleanly and keeps what
            was learned so far.
        out_dir: a run folder ``runs_dir/name`` to save the adapter into, atomically; its name
            is held from the start, so a taken name fails before any training.
        owner: who the saved run belongs to.
        num_threads: torch CPU threads while training; None: unchanged.
        compare: score base vs adapter on the validation rows at the end.

    Returns:
        A :class:`core.lora.LoraRunResult`. A diverging loss stops the run with
        ``diverged=True`` (and nothing is saved).

    Raises:
        ValueError: the dataset's shape does not match the task, or bad target modules.
        core.training.RunNameTaken: ``out_dir`` names a run that exists already.
        core.models.ModelUnavailableError: the base model cannot be loaded here.
    """
    name = runs_dir = reservation = None
    if out_dir is not None:
        runs_dir, name = Path(out_dir).parent, Path(out_dir).name
        reservation = runs.reserve(name, runs_dir)
    try:
        result = fit(
            spec, dataset, on_step=on_step, should_stop=should_stop, num_threads=num_threads
        )
        result, _ = _after_training(
            result,
            compare=compare,
            name=name,
            runs_dir=runs_dir,
            owner=owner,
            reservation=reservation,
            unique=False,
        )
        return result
    finally:
        if reservation is not None:
            reservation.release()


def lora_job(
    spec: LoraConfigSpec,
    dataset: LoraDataset,
    *,
    name: str | None = None,
    owner: str = "",
    owner_alive: Callable[[], bool] | None = None,
    runs_dir: str | Path | None = None,
    num_threads: int | None = None,
    forgetting: bool = True,
    grace_s: float = DEFAULT_GRACE_S,
) -> Job:
    """A LoRA run as a :class:`core.training.Job`, not yet started: submit it to a queue.

    Args:
        spec, dataset: as for :func:`train_lora`.
        name: save the adapter as this run; the name is held from now on, so another learner
            asking for it meanwhile is refused with a suggestion.
        owner: the browser session (or user) the job and its saved run belong to.
        owner_alive: polled while the job waits and trains; its end stops the job.
        runs_dir: where runs live (default: the settings').
        num_threads: torch CPU threads for the training.
        forgetting: run :func:`core.lora.forgetting_check` after training.
        grace_s: how long the owner may look gone before the job stops.

    Returns:
        The job; its result is a :class:`LoraOutcome`, its progress a :class:`LoraProgress`.

    Raises:
        ValueError: ``name`` is not a valid run name.
        core.training.RunNameTaken: ``name`` is taken; the error carries a free suggestion.
        ValueError: the dataset's rows do not match ``spec.task``.
    """
    if dataset.task != spec.task:
        raise ValueError(
            f"this dataset has {dataset.task} rows but the run is set up for {spec.task}"
        )
    reservation = runs.reserve(name, runs_dir) if name else None

    def work(ctx: JobContext) -> LoraOutcome:
        state = {"progress": LoraProgress("loading", spec.epochs)}

        def report(message: str, **changes) -> None:
            state["progress"] = replace(state["progress"], **changes)
            ctx.report(state["progress"], message=message)

        if ctx.should_stop():
            ctx.report(message="Stopped before training started: nothing was trained.")
            return LoraOutcome(None, asked_name=name)
        report("Loading a fresh copy of the model...")
        losses: list[float] = []
        vals: list[tuple[int, float]] = []

        def on_step(info: StepInfo) -> None:
            losses.append(info.train_loss)
            if info.val_loss is not None:
                vals.append((info.step, info.val_loss))
            report(
                f"Epoch {info.epoch} of {spec.epochs}",
                phase="training",
                step=info.step,
                total_steps=info.total_steps,
                epoch=info.epoch,
                train_losses=tuple(losses),
                val_losses=tuple(vals),
                steps_per_s=info.steps_per_s,
            )

        result = fit(
            spec, dataset, on_step=on_step, should_stop=ctx.should_stop, num_threads=num_threads
        )
        report(
            result.message,
            train_losses=result.train_losses,
            val_losses=result.val_losses,
            total_steps=result.total_steps,
        )
        gone = ctx.stop_reason == OWNER_GONE  # nobody is watching: keep the adapter, no checks
        result, saved = _after_training(
            result,
            compare=not gone,
            name=name,
            runs_dir=runs_dir,
            owner=owner,
            reservation=reservation,
            unique=True,  # the name is held; if another server took it, keep the run anyway
            on_phase=lambda phase, message: report(message, phase=phase),
        )
        forgot = None
        if forgetting and not gone and not result.diverged and result.steps_done:
            report("Checking for forgetting...", phase="checking")
            forgot = forgetting_check(result.model, result.tokenizer, spec.task)
        ctx.report(message=result.message)
        return LoraOutcome(result, forgot, saved, name)

    job = Job(
        work,
        owner=owner,
        title=f"LoRA run {name or spec.model}",
        owner_alive=owner_alive,
        grace_s=grace_s,
    )
    if reservation is not None:
        job.add_done_callback(lambda _status: reservation.release())
    return job
