"""A background job: one piece of work in its own thread, watched and stopped from anywhere.

A web page must not block while a model trains, and a learner must be able to stop it. A
:class:`Job` wraps a ``work(ctx)`` function: the work polls ``ctx.should_stop()`` between steps
and reports progress with ``ctx.report(...)``; any thread reads a consistent
:class:`JobStatus`. A stop never throws away what the work did: the work sees the flag, ends its
loop and returns what it has, and that is the job's result.

A job belongs to an owner (a plain string: the page passes its browser session's id) and may be
given ``owner_alive``: once that has said ``False`` for ``grace_s`` seconds in a row (a closed
tab, not a network blip) the job stops as if its owner had pressed Stop.

>>> job = Job(lambda ctx: 6 * 7, owner="me").start()
>>> job.join(5).result, job.snapshot().state
(42, 'done')
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from core.training.queue import JobQueue, QueuePlace

log = logging.getLogger(__name__)

State = Literal["queued", "running", "done", "cancelled", "error"]
FINISHED: frozenset[str] = frozenset({"done", "cancelled", "error"})
STOPPED_BY_OWNER = "stopped by its owner"
OWNER_GONE = "its browser session ended"
STARTING = "Starting..."
DEFAULT_GRACE_S = 5.0  # a websocket blip reconnects within a second or two; a closed tab never


class OwnerWatch:
    """Whether an owner is gone: ``alive()`` has said False for ``grace_s`` seconds in a row.

    One True resets the count, so a reconnecting browser keeps its job.

    >>> t = [0.0]
    >>> w = OwnerWatch(lambda: False, grace_s=5, clock=lambda: t[0])
    >>> w.gone(), (t.__setitem__(0, 6.0), w.gone())[1]
    (False, True)
    """

    def __init__(
        self,
        alive: Callable[[], bool] | None,
        *,
        grace_s: float = DEFAULT_GRACE_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if grace_s < 0:
            raise ValueError(f"grace_s must be 0 or more, got {grace_s}")
        self._alive, self._grace, self._clock = alive, grace_s, clock
        self._dead_since: float | None = None
        self._gone = False
        self._lock = threading.Lock()

    def gone(self) -> bool:
        if self._alive is None:
            return False
        with self._lock:
            if self._gone:
                return True
            try:
                alive = bool(self._alive())
            except Exception:  # a broken predicate must not kill a learner's run
                log.exception("owner_alive raised; treating the owner as alive")
                alive = True
            now = self._clock()
            if alive:
                self._dead_since = None
                return False
            if self._dead_since is None:
                self._dead_since = now
            self._gone = now - self._dead_since >= self._grace
            return self._gone


@dataclass(frozen=True)
class JobStatus:
    """A consistent copy of a job at one moment.

    ``progress`` is whatever the work last reported (None before its first report); ``result``
    is what the work returned (None unless ``state == "done"``); ``stop_reason`` says who asked
    for a stop, if anyone did (:data:`STOPPED_BY_OWNER` or :data:`OWNER_GONE`). ``place`` is the
    job's place in its queue's line while it waits.
    """

    id: str
    owner: str
    title: str
    state: State
    message: str
    progress: Any
    result: Any
    stop_reason: str | None
    waited: float  # seconds in the queue before it started (so far, while queued)
    elapsed: float  # seconds since it started running (0 while queued)
    place: QueuePlace | None = None

    @property
    def finished(self) -> bool:
        return self.state in FINISHED

    @property
    def stopped(self) -> bool:
        """A stop was asked before the job ended (the result, if any, is partial)."""
        return self.stop_reason is not None


class JobContext:
    """What the work sees: the stop flag and a way to report progress."""

    def __init__(self, job: Job) -> None:
        self._job = job

    def should_stop(self) -> bool:
        """True once a stop was asked or the owner is gone: end the loop, return what you have."""
        return self._job._should_stop()

    def report(self, progress: Any = None, *, message: str | None = None) -> None:
        """Publish progress (any value, ideally frozen) and/or a one-line message."""
        self._job._report(progress, message)

    @property
    def owner(self) -> str:
        return self._job.owner

    @property
    def stop_reason(self) -> str | None:
        """Who asked for the stop (:data:`STOPPED_BY_OWNER`, :data:`OWNER_GONE`), or None."""
        with self._job._lock:
            return self._job._stop_reason


class Job:
    """One piece of work in a background thread.

    Args:
        work: ``work(ctx) -> result``; polls ``ctx.should_stop()`` and calls ``ctx.report()``.
        owner: who the job belongs to (a browser session id, a user name).
        title: a short label for lists and logs.
        owner_alive: polled while the job waits or runs; False for ``grace_s`` seconds in a row
            stops the job (reason :data:`OWNER_GONE`).
        grace_s: how long the owner may look gone before the job stops.
        clock: monotonic seconds (tests pass a fake one).

    Start it with :meth:`start` (its own thread, now) or hand it to a
    :class:`core.training.JobQueue` (a thread when a worker is free).
    """

    def __init__(
        self,
        work: Callable[[JobContext], Any],
        *,
        owner: str = "",
        title: str = "",
        owner_alive: Callable[[], bool] | None = None,
        grace_s: float = DEFAULT_GRACE_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.id = uuid.uuid4().hex[:12]
        self.owner, self.title = owner, title or "job"
        self._work = work
        self._watch = OwnerWatch(owner_alive, grace_s=grace_s, clock=clock)
        self._clock = clock
        self._lock = threading.Lock()
        self._done_event = threading.Event()
        self._thread: threading.Thread | None = None
        self._queue: JobQueue | None = None
        self._state: State = "queued"
        self._message = "Waiting to start..."
        self._progress: Any = None
        self._result: Any = None
        self._stop_reason: str | None = None
        self._created = clock()
        self._started: float | None = None
        self._ended: float | None = None
        self._callbacks: list[Callable[[JobStatus], None]] = []

    # --- control ---------------------------------------------------------------------------
    def start(self) -> Job:
        """Run the work now in its own daemon thread (once) and return self."""
        with self._lock:
            if self._thread is not None or self._queue is not None:
                return self
            self._thread = threading.Thread(target=self.run, name=f"job-{self.id}", daemon=True)
        self._thread.start()
        return self

    def stop(self, reason: str = STOPPED_BY_OWNER) -> None:
        """Ask the job to stop. Running: the work ends after its current step and keeps what
        it did. Still queued: it leaves the queue at once, cancelled, having done nothing."""
        with self._lock:
            if self._state in FINISHED:
                return
            if self._stop_reason is None:
                self._stop_reason = reason
            cancel = self._state == "queued"
            queue = self._queue
        if cancel and self._cancel(reason) and queue is not None:
            queue._forget(self)

    @property
    def stop_requested(self) -> bool:
        with self._lock:
            return self._stop_reason is not None

    def owner_gone(self) -> bool:
        """Whether ``owner_alive`` has said False for the grace period (see :class:`OwnerWatch`)."""
        return self._watch.gone()

    def add_done_callback(self, fn: Callable[[JobStatus], None]) -> None:
        """Call ``fn(status)`` once the job has finished in any state (at once if it has)."""
        with self._lock:
            if self._state not in FINISHED:
                self._callbacks.append(fn)
                return
        fn(self.snapshot())

    def join(self, timeout: float | None = None) -> JobStatus:
        """Wait until the job has finished (or ``timeout`` passed); return its status."""
        self._done_event.wait(timeout)
        return self.snapshot()

    def snapshot(self) -> JobStatus:
        """A consistent copy of the job's state, with its place in line while queued."""
        place = self._queue.place(self) if self._queue is not None else None
        with self._lock:
            now = self._clock()
            start = self._started
            end = self._ended if self._ended is not None else now
            return JobStatus(
                id=self.id,
                owner=self.owner,
                title=self.title,
                state=self._state,
                message=self._message,
                progress=self._progress,
                result=self._result,
                stop_reason=self._stop_reason,
                waited=(start if start is not None else end) - self._created,
                elapsed=0.0 if start is None else end - start,
                place=place if self._state == "queued" else None,
            )

    # --- the thread ------------------------------------------------------------------------
    def run(self) -> None:
        """Run the work in the calling thread (the queue's worker, or :meth:`start`'s)."""
        with self._lock:
            if self._state != "queued":
                return
            self._state, self._started = "running", self._clock()
            self._message = STARTING
        try:
            result = self._work(JobContext(self))
        except Exception as e:  # shown on the page as a message, never a traceback
            log.exception("job %s (%s) failed", self.id, self.title)
            self._finish("error", f"{type(e).__name__}: {e}", None)
        else:
            with self._lock:
                message = "Finished." if self._message == STARTING else self._message
            self._finish("done", message, result)

    def _should_stop(self) -> bool:
        with self._lock:
            if self._stop_reason is not None:
                return True
        if self._watch.gone():
            with self._lock:
                if self._stop_reason is None:
                    self._stop_reason = OWNER_GONE
            return True
        return False

    def _report(self, progress: Any, message: str | None) -> None:
        with self._lock:
            if progress is not None:
                self._progress = progress
            if message is not None:
                self._message = message

    def _cancel(self, reason: str) -> bool:
        """queued -> cancelled; False if the job had already left the queue."""
        with self._lock:
            if self._state != "queued":
                return False
            self._stop_reason = self._stop_reason or reason
        who = "you stopped it" if reason == STOPPED_BY_OWNER else reason
        self._finish("cancelled", f"Removed from the queue before it started ({who}).", None)
        return True

    def _claim(self) -> bool:
        """For the queue: True if the job is still waiting (it may be started)."""
        with self._lock:
            return self._state == "queued"

    def _finish(self, state: State, message: str, result: Any) -> None:
        with self._lock:
            self._state, self._message, self._result = state, message, result
            self._ended = self._clock()
            callbacks, self._callbacks = self._callbacks, []
        self._done_event.set()
        status = self.snapshot()
        for fn in callbacks:
            try:
                fn(status)
            except Exception:
                log.exception("done callback of job %s failed", self.id)
