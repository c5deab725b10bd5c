"""core.lora.job: a LoRA run as a queued background job, owned by a browser session."""

from __future__ import annotations

import time
from dataclasses import replace

import pytest

from core import lora
from core.training import OWNER_GONE, JobQueue, RunNameTaken, runs


@pytest.fixture(scope="module")
def small(request):
    from tests.core.lora.conftest import GPT

    spec = lora.LoraConfigSpec(
        **GPT, lr=3e-3, epochs=2, batch_size=4, max_length=24, val_fraction=0.25, seed=1
    )
    return spec, lora.load_recipe_dataset("format").subset(16)


@pytest.mark.slow
def test_a_queued_job_reports_each_step_and_ends_saved_and_checked(small, tmp_path):
    spec, data = small
    q = JobQueue(workers=1)
    job = q.submit(lora.lora_job(spec, data, name="job-run", owner="alice", runs_dir=tmp_path))
    seen = []
    while not (status := job.join(0.02)).finished:
        seen.append(status)
    assert status.state == "done", status.message
    out: lora.LoraOutcome = status.result
    res = out.run
    assert res is not None and not res.stopped and res.steps_done == res.total_steps == 6
    assert status.progress.train_losses == res.train_losses
    assert status.progress.fraction == 1.0 and status.progress.remaining == 0
    phases = [s.progress.phase for s in seen if s.progress is not None]
    assert set(phases) <= {"loading", "training", "comparing", "saving", "checking"}
    assert "training" in phases
    assert res.comparison is not None and out.forgetting is not None
    assert out.saved is not None and out.saved.name == "job-run" and out.saved.mine("alice")
    assert res.adapter_path == out.saved.path
    assert [r.name for r in lora.list_runs(tmp_path)] == ["job-run"]
    assert status.message == res.message


@pytest.mark.slow
def test_stop_while_queued_leaves_at_once_and_frees_the_name(small, tmp_path):
    spec, data = small
    q = JobQueue(workers=1)
    first = q.submit(lora.lora_job(replace(spec, epochs=20), data, owner="alice", forgetting=False))
    second = q.submit(lora.lora_job(spec, data, name="bobs-run", owner="bob", runs_dir=tmp_path))
    assert second.snapshot().place.describe().startswith("1st in line")
    with pytest.raises(RunNameTaken, match="bobs-run-2"):
        lora.lora_job(spec, data, name="bobs-run", owner="carol", runs_dir=tmp_path)
    second.stop()
    status = second.snapshot()
    assert status.state == "cancelled" and status.result is None
    assert "Removed from the queue before it started" in status.message
    runs.reserve("bobs-run", tmp_path).release()  # the name is free again
    assert first.snapshot().state in ("queued", "running") and not first.snapshot().stopped
    first.stop()
    assert first.join(120).state == "done"
    assert first.snapshot().result.run is None or first.snapshot().result.run.stopped


@pytest.mark.slow
def test_when_the_owner_leaves_the_run_stops_keeps_its_adapter_and_skips_the_checks(
    small, tmp_path
):
    spec, data = small
    holder: dict = {}

    def alive() -> bool:  # the tab closes once two steps are done
        progress = holder["job"].snapshot().progress
        return progress is None or progress.step < 2

    job = lora.lora_job(
        spec, data, name="left", owner="dave", owner_alive=alive, grace_s=0, runs_dir=tmp_path
    )
    holder["job"] = job
    status = JobQueue(workers=1, reap_every=60).submit(job).join(300)
    assert status.state == "done" and status.stop_reason == OWNER_GONE
    res = status.result.run
    assert res.stopped and 2 <= res.steps_done < res.total_steps
    assert res.comparison is None and status.result.forgetting is None
    assert status.result.saved.name == "left"  # what it learned is kept on disk
    assert lora.list_runs(tmp_path)[0].meta["steps_done"] == res.steps_done


@pytest.mark.slow
def test_a_stop_before_the_first_step_says_nothing_was_trained(small):
    spec, data = small
    job = lora.lora_job(spec, data, owner="erin", owner_alive=lambda: False, grace_s=0)
    t0 = time.monotonic()
    status = job.start().join(60)
    assert status.state == "done" and status.result.run is None
    assert status.message == "Stopped before training started: nothing was trained."
    assert time.monotonic() - t0 < 30  # no model was loaded
