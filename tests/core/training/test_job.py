"""core.training.job: a background job's life, its stop that keeps the work, its owner's end."""

from __future__ import annotations

import threading

import pytest

from core.training import OWNER_GONE, STOPPED_BY_OWNER, Job, OwnerWatch


def counting_work(started: threading.Event):
    """Counts steps until asked to stop, reporting each; returns the count (what it learned)."""

    def work(ctx):
        n = 0
        started.set()
        while not ctx.should_stop():
            n += 1
            ctx.report(n, message=f"step {n}")
            threading.Event().wait(0.002)
        return n

    return work


def test_a_job_runs_in_its_own_thread_and_returns_its_result():
    caller = threading.current_thread()
    seen = []

    def work(ctx):
        seen.append(threading.current_thread())
        ctx.report({"step": 1}, message="halfway")
        return "result"

    job = Job(work, owner="s1", title="demo")
    assert job.snapshot().state == "queued"
    status = job.start().join(10)
    assert seen and seen[0] is not caller
    assert (status.state, status.result, status.progress, status.message) == (
        "done",
        "result",
        {"step": 1},
        "halfway",
    )
    assert status.finished and not status.stopped and status.owner == "s1"
    assert status.elapsed >= 0 and status.place is None


def test_stop_keeps_what_the_work_did():
    started = threading.Event()
    job = Job(counting_work(started), owner="s1").start()
    assert started.wait(10)
    while (job.snapshot().progress or 0) < 3:
        job.join(0.01)
    job.stop()
    status = job.join(10)
    assert status.state == "done" and status.stop_reason == STOPPED_BY_OWNER
    assert status.result >= 3 and status.result == status.progress  # the steps were kept


def test_an_exception_becomes_a_plain_message():
    def work(ctx):
        raise RuntimeError("the model file is missing")

    status = Job(work).start().join(10)
    assert status.state == "error" and status.result is None
    assert status.message == "RuntimeError: the model file is missing"


def test_a_stop_before_the_start_cancels_without_running():
    ran = []
    job = Job(lambda ctx: ran.append(1))
    job.stop()
    status = job.snapshot()
    assert status.state == "cancelled" and "before it started" in status.message
    job.start()
    assert job.join(1).state == "cancelled" and ran == []


def test_done_callbacks_run_once_in_every_end_state():
    calls: list[str] = []
    ok = Job(lambda ctx: 1)
    ok.add_done_callback(lambda s: calls.append(s.state))
    ok.start().join(10)
    cancelled = Job(lambda ctx: 1)
    cancelled.add_done_callback(lambda s: calls.append(s.state))
    cancelled.stop()
    cancelled.add_done_callback(lambda s: calls.append("late " + s.state))  # runs at once
    failed = Job(lambda ctx: 1 / 0)
    failed.add_done_callback(lambda s: calls.append(s.state))
    failed.start().join(10)
    assert calls == ["done", "cancelled", "late cancelled", "error"]


class FakeClock:
    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


@pytest.mark.parametrize(
    ("pattern", "gone"),
    [
        # (seconds, alive?) polls; gone once dead for the whole grace period (5 s)
        ([(0, True), (1, False), (5.9, False)], False),
        ([(0, True), (1, False), (6.0, False)], True),
        ([(0, False), (4, False), (4.5, True), (8, False), (12.9, False)], False),  # a blip
        ([(0, False), (4, False), (4.5, True), (8, False), (13.0, False)], True),
        ([(0, True), (100, True)], False),
    ],
)
def test_owner_watch_waits_out_the_grace_period(pattern, gone):
    clock, state = FakeClock(), {"alive": True}
    watch = OwnerWatch(lambda: state["alive"], grace_s=5.0, clock=clock)
    result = None
    for t, alive in pattern:
        clock.t, state["alive"] = 100.0 + t, alive
        result = watch.gone()
    assert result is gone


def test_gone_stays_gone_and_a_broken_predicate_counts_as_alive():
    clock = FakeClock()
    flips = iter([False, False, True])
    watch = OwnerWatch(lambda: next(flips), grace_s=1.0, clock=clock)
    assert not watch.gone()
    clock.t += 2
    assert watch.gone()
    assert watch.gone()  # the owner does not come back once the job stopped for it

    def broken() -> bool:
        raise RuntimeError("runtime shutting down")

    assert not OwnerWatch(broken, grace_s=0).gone()
    assert not OwnerWatch(None).gone()
    with pytest.raises(ValueError, match="grace_s"):
        OwnerWatch(lambda: True, grace_s=-1)


def test_a_running_job_stops_when_its_owner_is_gone_and_keeps_its_work():
    clock = FakeClock()
    alive = {"v": True}
    started = threading.Event()
    job = Job(
        counting_work(started), owner="s1", owner_alive=lambda: alive["v"], grace_s=5, clock=clock
    ).start()
    assert started.wait(10)
    while (job.snapshot().progress or 0) < 2:
        job.join(0.01)
    alive["v"] = False  # tab closed
    job.join(0.05)
    assert not job.snapshot().finished  # within the grace period it keeps running
    clock.t += 5
    status = job.join(10)
    assert status.state == "done" and status.stop_reason == OWNER_GONE
    assert status.result >= 2
