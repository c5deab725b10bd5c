"""core.cache: identical requests computed once, bounded LRUs, failures not kept."""

from __future__ import annotations

import pytest

from core.cache import LRU, SharedResults


def test_identical_concurrent_requests_are_computed_once():
    import threading
    import time

    store = SharedResults(max_entries=4)
    calls, seen = [], []
    started = threading.Event()

    def compute(report):
        calls.append(1)
        started.set()
        for i in range(3):
            report(i, 3, f"step {i}")
            time.sleep(0.1)
        return ["result"]

    out: list = []

    def ask(progress):
        out.append(store.get_or_compute("same config", compute, on_progress=progress, poll_s=0.02))

    first = threading.Thread(target=ask, args=(None,))
    first.start()
    started.wait(5)
    others = [threading.Thread(target=ask, args=(lambda *p: seen.append(p),)) for _ in range(2)]
    for t in others:
        t.start()
    for t in [first, *others]:
        t.join(10)
    assert len(calls) == 1 and store.computed == 1  # three sessions, one computation
    assert sorted(computed for _, computed in out) == [False, False, True]
    assert all(value == ["result"] for value, _ in out)
    assert seen and all(p[1] == 3 for p in seen)  # the waiters saw the first one's progress


def test_a_failed_computation_is_not_stored_and_runs_again():
    store = SharedResults()

    def boom(report):
        raise RuntimeError("interrupted")

    with pytest.raises(RuntimeError):
        store.get_or_compute("cfg", boom)
    assert store.get("cfg") is None and store.running("cfg") is None
    assert store.get_or_compute("cfg", lambda report: 7) == (7, True)


def test_shared_results_is_a_bounded_lru():
    store = SharedResults(max_entries=2)
    for key in ("a", "b"):
        store.get_or_compute(key, lambda report, k=key: k)
    store.get("a")  # now the most recent
    store.get_or_compute("c", lambda report: "c")
    assert (store.get("a"), store.get("b"), store.get("c"), len(store)) == ("a", None, "c", 2)


@pytest.mark.parametrize("size", [0, -1])
def test_a_store_needs_room_for_one_entry(size):
    with pytest.raises(ValueError, match="at least 1"):
        LRU(size)
    with pytest.raises(ValueError, match="at least 1"):
        SharedResults(size)


def test_lru_counts_hits_and_misses_and_clear_resets_them():
    c: LRU[int] = LRU(max_items=3)
    c.put("a", 1)
    assert (c.get("a"), c.get("b"), c.hits, c.misses) == (1, None, 1, 1)
    c.clear()
    assert (len(c), c.hits, c.misses) == (0, 0, 0)
    assert c.get("a") is None and c.misses == 1
