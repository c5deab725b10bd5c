"""core.lora.curves: the validation-loss diagnosis the LoRA page shows, as a case table."""

from __future__ import annotations

import pytest

from core.lora.curves import LossDiagnosis, diagnose_val_loss


def curve(*losses: float, every: int = 10) -> list[tuple[int, float]]:
    return [(i * every, v) for i, v in enumerate(losses)]


@pytest.mark.parametrize(
    "points,verdict,turned_at,moved",
    [
        (curve(1.5, 1.5, 1.5, 1.5), "flat", None, "stayed"),
        (curve(1.5, 1.49, 1.51, 1.495), "flat", None, "fell"),  # wiggles within 2%
        (curve(2.0, 1.6, 1.3, 1.1), "falling", None, "fell"),
        (curve(2.0, 1.2, 1.1, 1.4, 1.7), "turned", 20, "fell"),  # rising after a minimum
        (curve(2.0, 1.2, 1.5, 2.3), "rising", 10, "rose"),  # fell, then ended above the start
        (curve(2.0, 2.2, 2.5), "rising", 0, "rose"),  # rose from the first step
        (curve(2.0, 2.01), "rising", None, "rose"),  # above the start, within the noise
        (curve(2.0, 1.6, 1.8, 1.4, 1.5, 1.2), "falling", None, "fell"),  # noisy, still falling
        (curve(2.0, 1.6, 1.8, 1.4, 1.5, 1.41), "falling", None, "fell"),  # noisy end near min
        (curve(2.0, 1.6, 1.8, 1.4, 1.5, 1.6), "turned", 30, "fell"),  # noisy, then turned
        (curve(2.0, 1.0, 1.0, 1.3), "turned", 10, "fell"),  # the first of equal minima
    ],
)
def test_verdicts(points, verdict, turned_at, moved):
    d = diagnose_val_loss(points, lr=0.01)
    assert (d.verdict, d.turned_at, d.moved) == (verdict, turned_at, moved)
    assert (d.start, d.end, d.last_step) == (points[0][1], points[-1][1], points[-1][0])
    assert d.warning is (verdict == "rising") and d.message


@pytest.mark.parametrize(
    "points,diverged",
    [([], False), (curve(2.0), False), (curve(2.0, 9.0, 80.0), True), (curve(2.0, 1.0), True)],
)
def test_no_verdict_without_a_curve_or_after_divergence(points, diverged):
    assert diagnose_val_loss(points, diverged=diverged) == LossDiagnosis("none", None, "")


def test_messages_carry_the_run_numbers():
    rising = diagnose_val_loss(curve(1.234, 1.1, 1.5), lr=0.3)
    assert rising.message == (
        "Validation loss ended higher than it started (1.234 -> 1.500): the learning rate 0.3 "
        "is probably too high, or the run too short."
    )
    assert "the learning rate is probably" in diagnose_val_loss(curve(1.0, 2.0)).message
    turned = diagnose_val_loss(curve(2.0, 1.2, 1.6, every=5))
    assert "lowest at step 5 (1.200)" in turned.message and "by step 10" in turned.message


def test_tolerance_is_the_noise_band():
    points = curve(2.0, 1.0, 1.04)
    assert diagnose_val_loss(points).verdict == "turned"
    assert diagnose_val_loss(points, tolerance=0.05).verdict == "falling"
    assert diagnose_val_loss(curve(1.0, 0.97), tolerance=0.05).verdict == "flat"
    with pytest.raises(ValueError, match="tolerance"):
        diagnose_val_loss(points, tolerance=-0.1)


def test_the_diagnosis_agrees_with_the_run_result_flag():
    """``LoraRunResult.val_rose`` and a ``rising`` verdict are the same condition."""
    for points in (curve(2.0, 2.5), curve(2.0, 1.5), curve(2.0, 2.0), curve(2.0, 1.0, 2.1)):
        val_rose = points[-1][1] > points[0][1]  # LoraRunResult.val_rose, not diverged
        assert diagnose_val_loss(points).warning is val_rose
