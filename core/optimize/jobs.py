"""The Optimize page's long runs as :class:`core.training.Job` s: a distillation, a pruning sweep
and the comparison table, each with progress and a Stop that keeps what was done.

Submit them to the shared queue (``core.training.default_queue()``), as the LoRA page does.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from core.distill import DistillConfig, DistillStep
from core.optimize.compare import CompareConfig
from core.prune import PruneConfig, SweepConfig
from core.training import Job, JobContext
from core.training.job import DEFAULT_GRACE_S

LOSS_EVERY = 5  # steps between the loss points a live curve gets (a Stop waits for none)


@dataclass(frozen=True)
class Progress:
    """What a running optimisation job last reported.

    Args:
        done / total: units of work done and to do (steps, points or candidates).
        what: the current one, in words.
        distilled_losses / hard_losses: a distillation's losses so far, every
            :data:`LOSS_EVERY` th step (empty for the other jobs).
    """

    done: int
    total: int
    what: str
    distilled_losses: tuple[float, ...] = ()
    hard_losses: tuple[float, ...] = ()

    @property
    def fraction(self) -> float:
        return min(1.0, self.done / self.total) if self.total else 0.0


def _job(
    work: Callable[[JobContext], Any], title: str, owner: str, owner_alive: Any, grace_s: float
) -> Job:
    return Job(work, owner=owner, title=title, owner_alive=owner_alive, grace_s=grace_s)


def _staged(ctx: JobContext) -> Callable[[int, int, str], None]:
    """An ``on_step(done, total, what)`` that reports :class:`Progress`."""

    def heard(done: int, total: int, what: str) -> None:
        ctx.report(Progress(done, total, what), message=what)

    return heard


def distill_job(
    loaded: Any,
    config: DistillConfig,
    *,
    owner: str = "",
    owner_alive: Callable[[], bool] | None = None,
    grace_s: float = DEFAULT_GRACE_S,
) -> Job:
    """A distillation run (:func:`core.distill.distill`) as a job; its result is the
    :class:`core.distill.DistillResult`, its progress a :class:`Progress` counting both
    students' steps."""
    from core.distill import distill

    total = 2 * config.steps

    def work(ctx: JobContext) -> Any:
        losses: dict[str, list[float]] = {"distilled": [], "hard-label": []}
        count = [0]

        def heard(s: DistillStep) -> None:
            count[0] += 1
            if s.step % LOSS_EVERY == 0 or s.step == s.steps - 1:
                losses[s.run].append(s.loss)
            what = f"{s.run} student: step {s.step + 1} of {s.steps}"
            p = Progress(
                count[0], total, what, tuple(losses["distilled"]), tuple(losses["hard-label"])
            )
            ctx.report(p, message=what)

        ctx.report(Progress(0, total, "starting"), message="Building the students...")
        return distill(loaded, config, on_step=heard, should_stop=ctx.should_stop)

    return _job(work, "distillation", owner, owner_alive, grace_s)


def sweep_job(
    loaded: Any,
    config: PruneConfig,
    sparsities: Sequence[float],
    sweep_config: SweepConfig | None = None,
    *,
    owner: str = "",
    owner_alive: Callable[[], bool] | None = None,
    grace_s: float = DEFAULT_GRACE_S,
) -> Job:
    """A pruning sweep (:func:`core.prune.sweep` on the quantization page's data) as a job."""
    from core.prune import sweep
    from core.quantization.measure import causal_eval_data

    def work(ctx: JobContext) -> Any:
        data = causal_eval_data()
        return sweep(
            loaded,
            config,
            sparsities,
            data,
            sweep_config=sweep_config,
            on_step=_staged(ctx),
            should_stop=ctx.should_stop,
        )

    return _job(work, "pruning sweep", owner, owner_alive, grace_s)


def compare_job(
    loaded: Any,
    config: CompareConfig,
    *,
    student: Any = None,
    owner: str = "",
    owner_alive: Callable[[], bool] | None = None,
    grace_s: float = DEFAULT_GRACE_S,
) -> Job:
    """The comparison table (:func:`core.optimize.compare`) as a job."""
    from core.optimize.compare import compare

    def work(ctx: JobContext) -> Any:
        return compare(
            loaded, config, student=student, on_step=_staged(ctx), should_stop=ctx.should_stop
        )

    return _job(work, "optimisation table", owner, owner_alive, grace_s)
