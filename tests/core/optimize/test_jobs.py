"""The page's long runs as jobs: progress while they run, a result at the end, Stop kept."""

from __future__ import annotations

import pytest

from core.distill import DistillConfig, StudentConfig
from core.optimize import CompareConfig, Progress, compare_job, distill_job, sweep_job
from core.prune import PruneConfig, SweepConfig
from core.training import JobQueue

STUDENT = StudentConfig(n_layer=1, n_head=2, n_embd=32)


@pytest.fixture(scope="module")
def tiny():
    from core import models

    return models.load_causal_lm("tiny-gpt")


def run(job, *, stop_after: int | None = None):
    """Run ``job`` in its own queue; record every progress; stop once ``stop_after`` were seen."""
    seen: list[Progress] = []
    orig = job._report

    def spy(progress, message):
        if isinstance(progress, Progress):
            seen.append(progress)
            if stop_after is not None and len(seen) >= stop_after:
                job.stop()
        orig(progress, message)

    job._report = spy
    status = JobQueue(workers=1).submit(job).join(300)
    return status, seen


def test_a_distillation_reports_both_students_and_returns_the_result(tiny):
    cfg = DistillConfig(student=STUDENT, steps=7, n_docs=40, eval_windows=2, sample_tokens=2)
    status, seen = run(distill_job(tiny, cfg))
    assert status.state == "done", status.message
    assert seen[-1].done == seen[-1].total == 14  # 7 steps of each student
    assert {p.what.split()[0] for p in seen[1:]} == {"distilled", "hard-label"}
    # a loss point every LOSS_EVERY steps and at the last: steps 0, 5 and 6
    assert len(seen[-1].distilled_losses) == len(seen[-1].hard_losses) == 3
    assert status.result.steps_done == 7 and not status.result.stopped


def test_a_stopped_distillation_keeps_both_students_level(tiny):
    cfg = DistillConfig(student=STUDENT, steps=200, n_docs=40, eval_windows=2, sample_tokens=2)
    status, _ = run(distill_job(tiny, cfg), stop_after=3)
    assert status.state in ("done", "cancelled")
    r = status.result
    assert r.stopped and r.steps_done < 200
    assert len(r.distilled_losses) == len(r.hard_losses) == r.steps_done


def test_a_stopped_sweep_keeps_the_points_measured(tiny):
    small = SweepConfig(n_windows=2, n_task_items=0, latency_runs=1, layer_losses=True)
    status, seen = run(sweep_job(tiny, PruneConfig(), [0.2, 0.5, 0.8], small), stop_after=3)
    r = status.result
    assert r.stopped and len(r.points) < 3
    assert [p.what for p in seen[:2]] == ["original", "sparsity 0.2"]


def test_the_table_as_a_job(tiny):
    cfg = CompareConfig(candidates=("int8",), n_eval=8, latency_runs=1, n_task_items=0)
    status, seen = run(compare_job(tiny, cfg))
    assert status.state == "done", status.message
    assert [r.name for r in status.result.rows] == ["fp32", "int8"]
    assert seen[-1].what == "done" and seen[-1].fraction == 1.0
