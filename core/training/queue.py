"""A first-come, first-served line of jobs with a fixed number of workers.

Training is CPU-bound: on a laptop two runs at once each take twice as long, so by default one
runs and the rest wait (``GENAI_TRAIN_WORKERS`` raises it on a bigger server). Every waiting job
knows its :class:`QueuePlace`; Stop on a waiting job takes it out of the line at once; a waiting
job whose owner is gone (closed tab) is dropped by the queue's reaper within about a second of
its grace period, so it never holds up the learners behind it.

>>> from core.training.job import Job
>>> q = JobQueue(workers=1)
>>> q.submit(Job(lambda ctx: "hi", owner="a")).join(5).result
'hi'
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass

from core.training.job import OWNER_GONE, Job, JobStatus


class QueueError(ValueError):
    """A job the queue refuses (its owner already has one waiting or running)."""


def ordinal(n: int) -> str:
    """``1st``, ``2nd``, ``3rd``, ``4th``, ..., ``11th``, ``21st``.

    >>> [ordinal(n) for n in (1, 2, 3, 4, 11, 12, 13, 21, 102)]
    ['1st', '2nd', '3rd', '4th', '11th', '12th', '13th', '21st', '102nd']
    """
    if 10 <= n % 100 <= 20:
        return f"{n}th"
    return f"{n}{ {1: 'st', 2: 'nd', 3: 'rd'}.get(n % 10, 'th') }"


@dataclass(frozen=True)
class QueuePlace:
    """Where a waiting job stands: ``place`` 1 starts next."""

    place: int  # 1-based among the waiting jobs
    ahead: int  # waiting jobs that start before this one
    running: int  # jobs running now
    workers: int  # how many may run at once

    def describe(self, noun: str = "run") -> str:
        """A plain sentence for the learner.

        >>> QueuePlace(2, 1, 1, 1).describe()
        '2nd in line, 1 run ahead of yours (1 running now, this server runs 1 at a time).'
        """
        ahead = f"no {noun}" if self.ahead == 0 else f"{self.ahead} {noun}"
        plural = "s" if self.ahead > 1 else ""
        return (
            f"{ordinal(self.place)} in line, {ahead}{plural} ahead of yours "
            f"({self.running} running now, this server runs {self.workers} at a time)."
        )


class JobQueue:
    """Jobs wait in submission order; at most ``workers`` run at once, each in its own thread.

    Args:
        workers: how many jobs run at the same time (1 or more).
        max_per_owner: how many unfinished jobs one owner may have (0: no limit).
        reap_every: seconds between the reaper's checks of the waiting jobs' owners.
    """

    def __init__(self, workers: int = 1, *, max_per_owner: int = 1, reap_every: float = 1.0):
        if workers < 1:
            raise ValueError(f"workers must be 1 or more, got {workers}")
        if max_per_owner < 0:
            raise ValueError(f"max_per_owner must be 0 (no limit) or more, got {max_per_owner}")
        if reap_every <= 0:
            raise ValueError(f"reap_every must be positive, got {reap_every}")
        self.workers, self.max_per_owner, self.reap_every = workers, max_per_owner, reap_every
        self._lock = threading.RLock()
        self._waiting: deque[Job] = deque()
        self._running: list[Job] = []
        self._reaper: threading.Thread | None = None
        self._wake = threading.Event()

    # --- submitting and watching -----------------------------------------------------------
    def submit(self, job: Job) -> Job:
        """Put ``job`` at the end of the line (it starts at once if a worker is free).

        Raises:
            QueueError: the job's owner already has ``max_per_owner`` unfinished jobs, or the
                job was started or queued before.
        """
        with self._lock:
            if job._queue is not None or job._thread is not None or not job._claim():
                raise QueueError("this job was already started or queued")
            mine = [j for j in (*self._running, *self._waiting) if j.owner == job.owner]
            if self.max_per_owner and len(mine) >= self.max_per_owner:
                raise QueueError(
                    "you already have a run waiting or in progress: stop it or let it finish first"
                )
            job._queue = self
            self._waiting.append(job)
            self._dispatch()
            self._ensure_reaper()
        return job

    def place(self, job: Job) -> QueuePlace | None:
        """The job's place in line, or None once it has left the line (running or finished)."""
        with self._lock:
            try:
                i = self._waiting.index(job)
            except ValueError:
                return None
            return QueuePlace(i + 1, i, len(self._running), self.workers)

    def jobs(self, owner: str | None = None) -> list[JobStatus]:
        """Unfinished jobs: running ones, then waiting ones in line order (``owner``'s if given)."""
        with self._lock:
            todo = [*self._running, *self._waiting]
        statuses = [j.snapshot() for j in todo if owner is None or j.owner == owner]
        return [s for s in statuses if not s.finished]

    def get(self, job_id: str) -> Job | None:
        with self._lock:
            return next((j for j in (*self._running, *self._waiting) if j.id == job_id), None)

    # --- stopping --------------------------------------------------------------------------
    def stop(self, job_id: str, *, by: str) -> bool:
        """Stop one job on behalf of ``by``; only its owner may. False if no such job is here.

        Raises:
            PermissionError: ``by`` is not the job's owner.
        """
        job = self.get(job_id)
        if job is None:
            return False
        if job.owner != by:
            raise PermissionError("only the session that started a run can stop it")
        job.stop()
        return True

    def stop_owner(self, owner: str, reason: str = OWNER_GONE) -> int:
        """Stop every unfinished job of ``owner`` (a session that ended); returns how many."""
        with self._lock:
            mine = [j for j in (*self._running, *self._waiting) if j.owner == owner]
        for j in mine:
            j.stop(reason)
        return len(mine)

    def reap(self) -> int:
        """Drop waiting jobs whose owner is gone and flag running ones; returns how many."""
        with self._lock:
            todo = [*self._running, *self._waiting]
        n = 0
        for j in todo:
            if j.owner_gone():
                j.stop(OWNER_GONE)
                n += 1
        return n

    # --- internals -------------------------------------------------------------------------
    def _forget(self, job: Job) -> None:
        """A waiting job was cancelled: take it out of the line now."""
        with self._lock:
            try:
                self._waiting.remove(job)
            except ValueError:
                pass
            self._dispatch()

    def _dispatch(self) -> None:
        with self._lock:
            while len(self._running) < self.workers and self._waiting:
                job = self._waiting.popleft()
                if not job._claim():  # cancelled while waiting
                    continue
                self._running.append(job)
                threading.Thread(
                    target=self._run_one, args=(job,), name=f"job-{job.id}", daemon=True
                ).start()

    def _run_one(self, job: Job) -> None:
        try:
            job.run()
        finally:
            with self._lock:
                if job in self._running:
                    self._running.remove(job)
                self._dispatch()

    def _ensure_reaper(self) -> None:
        if self._reaper is None or not self._reaper.is_alive():
            self._reaper = threading.Thread(target=self._reap_loop, name="job-reaper", daemon=True)
            self._reaper.start()

    def _reap_loop(self) -> None:
        while True:
            self._wake.wait(self.reap_every)
            self.reap()
            with self._lock:
                if not self._waiting and not self._running:
                    self._reaper = None
                    return


_DEFAULT: list[JobQueue] = []
_DEFAULT_LOCK = threading.Lock()


def default_queue() -> JobQueue:
    """The process's training queue with ``GENAI_TRAIN_WORKERS`` workers (built once)."""
    from core.settings import get_settings

    with _DEFAULT_LOCK:
        if not _DEFAULT:
            _DEFAULT.append(JobQueue(workers=get_settings().train_workers))
        return _DEFAULT[0]
