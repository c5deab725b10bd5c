"""Reading a validation-loss curve: did it fall, stay flat, turn back up after a minimum, or end
higher than it started?

>>> d = diagnose_val_loss([(0, 2.0), (10, 1.2), (20, 1.6)])
>>> d.verdict, d.turned_at, d.moved
('turned', 10, 'fell')
>>> diagnose_val_loss([(0, 2.0), (10, 2.4)], lr=0.5).warning
True
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

__all__ = ["TOLERANCE", "LossDiagnosis", "Verdict", "diagnose_val_loss"]

Verdict = Literal["none", "flat", "falling", "turned", "rising"]
TOLERANCE = 0.02  # changes within 2% of the loss are noise between two evaluations


@dataclass(frozen=True)
class LossDiagnosis:
    """What a validation-loss curve says about a run.

    Args:
        verdict: ``none`` (fewer than two points, or the run diverged), ``flat`` (within the
            tolerance of where it started), ``falling``, ``turned`` (fell to a minimum, then rose
            past the tolerance while still ending below the start) or ``rising`` (ended higher
            than it started).
        turned_at: the step of the lowest loss when the curve rose past the tolerance after it
            (``turned``; ``rising`` too, 0 when it rose from the start), else ``None``.
        message: the curve in one sentence, for the reader.
        moved: ``fell``, ``rose`` or ``stayed`` (last point against the first; ``""`` for
            ``none``).
        start, end: the first and last validation loss (``None`` for ``none``).
        last_step: the step of the last point (0 for ``none``).
        warning: whether the page should warn (the loss ended higher than it started).
    """

    verdict: Verdict
    turned_at: int | None
    message: str
    moved: str = ""
    start: float | None = None
    end: float | None = None
    last_step: int = 0

    @property
    def warning(self) -> bool:
        return self.verdict == "rising"


def diagnose_val_loss(
    val_losses: Sequence[tuple[int, float]],
    *,
    lr: float | None = None,
    diverged: bool = False,
    tolerance: float = TOLERANCE,
) -> LossDiagnosis:
    """Diagnose a validation-loss curve (pure: the same points give the same verdict).

    Args:
        val_losses: ``(step, loss)`` points in step order, step 0 being the model before training.
        lr: the run's learning rate, named in the warning of a rising curve.
        diverged: the run stopped on an exploding loss (its own message says so: verdict ``none``).
        tolerance: a rise or fall within this fraction of the loss counts as noise.

    Returns:
        A :class:`LossDiagnosis`.

    Raises:
        ValueError: a negative tolerance.
    """
    if tolerance < 0:
        raise ValueError(f"tolerance must be at least 0, got {tolerance}")
    if diverged or len(val_losses) < 2:
        return LossDiagnosis("none", None, "")
    (_, v0), (last, v1) = val_losses[0], val_losses[-1]
    moved = "fell" if v1 < v0 else "rose" if v1 > v0 else "stayed"
    best_step, best = min(val_losses, key=lambda p: p[1])  # the first of equal minima
    rose_after = v1 - best > tolerance * abs(best)

    def made(verdict: Verdict, turned_at: int | None, message: str) -> LossDiagnosis:
        return LossDiagnosis(verdict, turned_at, message, moved, v0, v1, last)

    if v1 > v0:
        rate = f"the learning rate {lr:g}" if lr is not None else "the learning rate"
        return made(
            "rising",
            best_step if rose_after else None,
            f"Validation loss ended higher than it started ({v0:.3f} -> {v1:.3f}): {rate} is "
            "probably too high, or the run too short.",
        )
    if rose_after:
        return made(
            "turned",
            best_step,
            f"Validation loss was lowest at step {best_step} ({best:.3f}) and rose to {v1:.3f} "
            f"by step {last}: the later steps memorise the training rows.",
        )
    if v0 - v1 <= tolerance * abs(v0):
        return made("flat", None, f"Validation loss stayed near {v0:.3f} over {last} steps.")
    return made(
        "falling",
        None,
        f"Validation loss fell from {v0:.3f} to {v1:.3f} over {last} steps.",
    )
