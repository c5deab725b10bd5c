"""Finished comparisons shared by every session of a server, each computed once.

A comparison is the same for everyone who asks it with the same :class:`QuantConfig`, and it
takes tens of seconds, so :class:`SharedResults` keeps the last few and lets concurrent identical
requests wait for the one already running (single flight) instead of starting their own. The
one computing reports progress into the flight; waiters see the same progress. A failed or
interrupted computation is not stored: the next caller (or a waiter) starts it again.

>>> store = SharedResults(max_entries=2)
>>> store.get_or_compute("cfg", lambda report: [1, 2])
([1, 2], True)
>>> store.get_or_compute("cfg", lambda report: [3])  # the same request: not recomputed
([1, 2], False)
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

V = TypeVar("V")
Progress = tuple[int, int, str]  # (done, total, what is being done)
Report = Callable[[int, int, str], None]


@dataclass
class _Flight:
    done: threading.Event = field(default_factory=threading.Event)
    progress: Progress | None = None
    waiters: int = 0


class SharedResults(Generic[V]):
    """A bounded, thread-safe, single-flight store of computed values.

    Args:
        max_entries: finished values kept; the least recently used goes first.
    """

    def __init__(self, max_entries: int = 12):
        if max_entries < 1:
            raise ValueError(f"max_entries must be at least 1, got {max_entries}")
        self.max_entries = max_entries
        self._done: OrderedDict[Hashable, V] = OrderedDict()
        self._flights: dict[Hashable, _Flight] = {}
        self._lock = threading.Lock()
        self.computed = 0  # how many times a value was really computed (for tests and benches)

    def get(self, key: Hashable) -> V | None:
        """The finished value for ``key``, or ``None``."""
        with self._lock:
            if key not in self._done:
                return None
            self._done.move_to_end(key)
            return self._done[key]

    def running(self, key: Hashable) -> Progress | None:
        """The progress of a computation of ``key`` under way (``(0, 0, "")`` before its first
        report), or ``None`` when none is running."""
        with self._lock:
            flight = self._flights.get(key)
            return None if flight is None else (flight.progress or (0, 0, ""))

    def get_or_compute(
        self,
        key: Hashable,
        compute: Callable[[Report], V],
        *,
        on_progress: Report | None = None,
        poll_s: float = 0.25,
    ) -> tuple[V, bool]:
        """The value for ``key``: stored, awaited from an identical request under way, or
        computed here.

        Args:
            key: what identifies the request (a frozen config).
            compute: called as ``compute(report)`` when this caller computes; it calls
                ``report(done, total, what)`` as it goes.
            on_progress: called with every report, whether this caller computes or waits (a
                waiter polls every ``poll_s`` seconds; an exception raised here, such as a
                page's rerun, stops the wait and leaves the computation running).
            poll_s: how often a waiter looks at the progress.

        Returns:
            ``(value, computed_here)``.
        """
        while True:
            with self._lock:
                if key in self._done:
                    self._done.move_to_end(key)
                    return self._done[key], False
                flight = self._flights.get(key)
                mine = flight is None
                if flight is None:
                    flight = self._flights[key] = _Flight()
                else:
                    flight.waiters += 1
            if not mine:
                self._wait(flight, on_progress, poll_s)
                continue  # finished (stored) or failed (then this caller may compute it)
            return self._compute(key, flight, compute, on_progress), True

    def _wait(self, flight: _Flight, on_progress: Report | None, poll_s: float) -> None:
        try:
            seen = None
            while not flight.done.wait(poll_s):
                if on_progress is not None and flight.progress is not None:
                    if flight.progress != seen:
                        seen = flight.progress
                        on_progress(*seen)
        finally:
            with self._lock:
                flight.waiters -= 1

    def _compute(
        self, key: Hashable, flight: _Flight, compute: Callable[[Report], V], on_progress: Any
    ) -> V:
        def report(done: int, total: int, what: str) -> None:
            flight.progress = (done, total, what)
            if on_progress is not None:
                on_progress(done, total, what)

        try:
            value = compute(report)
        except BaseException:
            with self._lock:
                self._flights.pop(key, None)
            flight.done.set()
            raise
        with self._lock:
            self._done[key] = value
            self._done.move_to_end(key)
            while len(self._done) > self.max_entries:
                self._done.popitem(last=False)
            self._flights.pop(key, None)
            self.computed += 1
        flight.done.set()
        return value

    def __len__(self) -> int:
        with self._lock:
            return len(self._done)


_STORE: SharedResults[Any] | None = None
_STORE_LOCK = threading.Lock()


def shared_results() -> SharedResults[Any]:
    """The process-wide store of finished comparisons (every session of a server shares it)."""
    global _STORE
    with _STORE_LOCK:
        if _STORE is None:
            _STORE = SharedResults(max_entries=12)
        return _STORE
