"""core.training.queue: first come first served, places in line, Stop while waiting, reaper."""

from __future__ import annotations

import threading
import time

import pytest

from core.settings import settings_from_env
from core.training import OWNER_GONE, Job, JobQueue, QueueError, QueuePlace, ordinal


def blocking_job(owner: str, release: threading.Event, ran: list[str] | None = None, **kw) -> Job:
    """A job that runs until ``release`` is set or it is stopped; records that it ran."""

    def work(ctx):
        if ran is not None:
            ran.append(owner)
        while not release.is_set() and not ctx.should_stop():
            release.wait(0.005)
        return owner

    return Job(work, owner=owner, title=f"{owner}'s run", **kw)


def wait_for(predicate, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.005)


def test_one_worker_runs_one_job_and_tells_the_others_their_place():
    q, release, ran = JobQueue(workers=1), threading.Event(), []
    a, b, c = (q.submit(blocking_job(o, release, ran)) for o in ("a", "b", "c"))
    wait_for(lambda: a.snapshot().state == "running")
    assert b.snapshot().state == c.snapshot().state == "queued" and ran == ["a"]
    assert b.snapshot().place == QueuePlace(place=1, ahead=0, running=1, workers=1)
    assert c.snapshot().place == QueuePlace(place=2, ahead=1, running=1, workers=1)
    assert c.snapshot().place.describe() == (
        "2nd in line, 1 run ahead of yours (1 running now, this server runs 1 at a time)."
    )
    assert b.snapshot().place.describe().startswith("1st in line, no run ahead")
    assert [s.owner for s in q.jobs()] == ["a", "b", "c"] and [s.owner for s in q.jobs("b")] == [
        "b"
    ]
    release.set()
    for job in (a, b, c):
        assert job.join(10).state == "done"
    assert ran == ["a", "b", "c"] and q.jobs() == []


def test_stop_while_queued_leaves_the_line_at_once_and_says_so():
    q, release, ran = JobQueue(workers=1), threading.Event(), []
    a, b, c = (q.submit(blocking_job(o, release, ran)) for o in ("a", "b", "c"))
    wait_for(lambda: a.snapshot().state == "running")
    b.stop()
    status = b.snapshot()  # no wait: the job is out of the line before a finishes
    assert status.state == "cancelled" and status.finished and status.result is None
    assert status.message == "Removed from the queue before it started (you stopped it)."
    assert c.snapshot().place == QueuePlace(1, 0, 1, 1)  # c moved up
    assert a.snapshot().state == "running"  # nobody else was touched
    release.set()
    assert c.join(10).state == "done" and ran == ["a", "c"]


def test_one_students_stop_stops_only_their_run():
    q, release = JobQueue(workers=2), threading.Event()
    a, b = q.submit(blocking_job("alice", release)), q.submit(blocking_job("bob", release))
    wait_for(lambda: a.snapshot().state == b.snapshot().state == "running")  # 2 workers
    with pytest.raises(PermissionError, match="only the session that started"):
        q.stop(a.id, by="bob")
    assert q.stop(a.id, by="alice")
    assert a.join(10).state == "done" and a.snapshot().stopped
    assert b.snapshot().state == "running" and not b.snapshot().stopped
    assert not q.stop("no-such-id", by="alice")
    release.set()
    assert b.join(10).state == "done" and not b.snapshot().stopped


def test_workers_bound_how_many_run_at_once():
    q, release = JobQueue(workers=2, max_per_owner=0), threading.Event()
    peak, lock, running = [0], threading.Lock(), [0]

    def work(ctx):
        with lock:
            running[0] += 1
            peak[0] = max(peak[0], running[0])
        release.wait(0.2)
        with lock:
            running[0] -= 1

    jobs = [q.submit(Job(work, owner="x")) for _ in range(5)]
    release.set()
    assert all(j.join(10).state == "done" for j in jobs)
    assert peak[0] == 2


def test_one_unfinished_job_per_owner_and_no_double_submit():
    q, release = JobQueue(workers=1), threading.Event()
    a = q.submit(blocking_job("a", release))
    with pytest.raises(QueueError, match="already have a run"):
        q.submit(blocking_job("a", release))
    with pytest.raises(QueueError, match="already started or queued"):
        q.submit(a)
    release.set()
    a.join(10)
    q.submit(blocking_job("a", release)).join(10)  # finished: a new one is welcome


def test_the_reaper_drops_waiting_jobs_whose_owner_left():
    q, release, ran = JobQueue(workers=1, reap_every=0.02), threading.Event(), []
    alive = {"b": True}
    a = q.submit(blocking_job("a", release, ran))
    b = q.submit(blocking_job("b", release, ran, owner_alive=lambda: alive["b"], grace_s=0.05))
    c = q.submit(blocking_job("c", release, ran))
    wait_for(lambda: a.snapshot().state == "running")
    alive["b"] = False  # b's tab closed while b waited
    wait_for(lambda: b.snapshot().finished, timeout=5)
    status = b.snapshot()
    assert status.state == "cancelled" and status.stop_reason == OWNER_GONE
    assert "browser session ended" in status.message
    assert c.snapshot().place.place == 1 and a.snapshot().state == "running"
    release.set()
    assert c.join(10).state == "done" and ran == ["a", "c"]


def test_a_running_job_of_a_gone_owner_frees_its_worker():
    q, release, ran = JobQueue(workers=1, reap_every=0.02), threading.Event(), []
    alive = {"a": True}
    a = q.submit(blocking_job("a", release, ran, owner_alive=lambda: alive["a"], grace_s=0.05))
    b = q.submit(blocking_job("b", release, ran))
    wait_for(lambda: a.snapshot().state == "running")
    alive["a"] = False
    assert a.join(10).stop_reason == OWNER_GONE
    wait_for(lambda: b.snapshot().state == "running")
    assert q.stop_owner("b") == 1 and b.join(10).stop_reason == OWNER_GONE


def test_settings_choose_the_number_of_workers():
    assert settings_from_env({}).train_workers == 1
    assert settings_from_env({"GENAI_TRAIN_WORKERS": "3"}).train_workers == 3
    for bad in ("0", "65"):
        with pytest.raises(ValueError, match="GENAI_TRAIN_WORKERS"):
            settings_from_env({"GENAI_TRAIN_WORKERS": bad})
    with pytest.raises(ValueError, match="workers"):
        JobQueue(workers=0)


ORDINALS = [(1, "1st"), (2, "2nd"), (3, "3rd"), (11, "11th"), (22, "22nd"), (113, "113th")]


@pytest.mark.parametrize(("n", "text"), ORDINALS)
def test_ordinals(n, text):
    assert ordinal(n) == text
