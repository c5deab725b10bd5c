"""Shared stores of computed values: a bounded LRU, and single-flight results.

Work that is the same for everyone who asks it (a quantization comparison, per-item prompt
scores) is computed once per server. :class:`LRU` keeps the last results; :class:`SharedResults`
also lets concurrent identical requests wait for the one already running (single flight)
instead of starting their own, with the progress of the one computing. A failed or interrupted
computation is not stored: the next caller (or a waiter) starts it again.

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


class LRU(Generic[V]):
    """A bounded, thread-safe least-recently-used store (``None`` is never a stored value).

    >>> c = LRU(max_items=2)
    >>> c.put("a", 1); c.put("b", 2); c.get("a"); c.put("c", 3)
    1
    >>> c.get("b") is None, len(c), (c.hits, c.misses)
    (True, 2, (1, 1))
    """

    def __init__(self, max_items: int):
        if max_items < 1:
            raise ValueError(f"max_items must be at least 1, got {max_items}")
        self.max_items = max_items
        self._data: OrderedDict[Hashable, V] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: Hashable) -> V | None:
        """The stored value, or ``None`` (a hit also marks the entry recently used)."""
        with self._lock:
            value = self._data.get(key)
            if value is None:
                self.misses += 1
                return None
            self._data.move_to_end(key)
            self.hits += 1
            return value

    def put(self, key: Hashable, value: V) -> None:
        """Store ``value`` under ``key`` (the oldest entries go past ``max_items``)."""
        with self._lock:
            self._data[key] = value
            self._data.move_to_end(key)
            while len(self._data) > self.max_items:
                self._data.popitem(last=False)

    def __len__(self) -> int:
        with self._lock:
            return len(self._data)

    def clear(self) -> None:
        with self._lock:
            self._data.clear()
            self.hits = self.misses = 0


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
        self._done: LRU[V] = LRU(max_entries)
        self._flights: dict[Hashable, _Flight] = {}
        self._lock = threading.Lock()
        self.computed = 0  # how many times a value was really computed (for tests and benches)

    def get(self, key: Hashable) -> V | None:
        """The finished value for ``key``, or ``None``."""
        with self._lock:
            return self._done.get(key)

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
                done = self._done.get(key)
                if done is not None:
                    return done, False
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
            self._done.put(key, value)
            self._flights.pop(key, None)
            self.computed += 1
        flight.done.set()
        return value

    def __len__(self) -> int:
        return len(self._done)
