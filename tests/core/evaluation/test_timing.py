"""core.evaluation.timing: one Timings type, warm-up then timed runs, honest comparisons."""

from __future__ import annotations

import statistics

import pytest

from core.evaluation import Timings, compare_latency, separation_p, time_interleaved, time_runs


@pytest.mark.parametrize(
    ("samples", "median", "lo", "hi", "iqr"),
    [
        ((5.0,), 5.0, 5.0, 5.0, 0.0),
        ((30.0, 10.0, 20.0, 40.0, 400.0), 30.0, 10.0, 400.0, 20.0),
        ((1.0, 2.0), 1.5, 1.0, 2.0, 0.5),
    ],
)
def test_timings_summaries(samples, median, lo, hi, iqr):
    t = Timings(samples)
    assert (t.median, t.lo, t.hi, t.iqr) == (median, lo, hi, iqr)
    assert t.q1 <= t.median <= t.q3


def test_timings_need_a_sample():
    with pytest.raises(ValueError, match="at least one"):
        Timings(())


@pytest.mark.parametrize(("runs", "warmup"), [(1, 0), (3, 1), (5, 2)])
def test_time_runs_warms_up_then_times_each_run(runs, warmup):
    calls: list[int] = []
    t = time_runs(lambda: calls.append(1), runs, warmup=warmup)
    assert len(calls) == runs + warmup
    assert len(t.samples_ms) == runs and all(s >= 0 for s in t.samples_ms)
    assert t.median == statistics.median(t.samples_ms)


def test_interleaved_timing_alternates():
    order: list[str] = []
    out = time_interleaved({"a": lambda: order.append("a"), "b": lambda: order.append("b")}, 3)
    assert order == ["a", "b"] * 3
    assert {k: len(v.samples_ms) for k, v in out.items()} == {"a": 3, "b": 3}


@pytest.mark.parametrize("bad", [0, -1])
def test_runs_must_be_positive(bad):
    with pytest.raises(ValueError, match="1 or more"):
        time_runs(lambda: None, bad)
    with pytest.raises(ValueError, match="1 or more"):
        time_interleaved({"a": lambda: None}, bad)


@pytest.mark.parametrize(("n_a", "n_b", "p"), [(1, 1, 1.0), (3, 3, 0.1), (5, 5, 2 / 252)])
def test_separation_p(n_a, n_b, p):
    assert separation_p(n_a, n_b) == pytest.approx(p)


def test_a_comparison_of_timings_reads_their_samples():
    fast, slow = Timings((1.0, 1.1, 1.2, 1.0, 1.1)), Timings((2.0, 2.1, 2.2, 2.0, 2.1))
    c = compare_latency(fast.samples_ms, slow.samples_ms)
    assert c.verdict == "faster" and c.ratio == pytest.approx(fast.median / slow.median)
    assert compare_latency(slow.samples_ms, slow.samples_ms).verdict == "noise"


# --- verdicts: every run on one side, or it is noise --------------------------------------------
@pytest.mark.parametrize(
    ("a", "b", "verdict"),
    [
        ([4.0, 4.1, 4.2, 4.0, 4.3], [5.0, 5.2, 5.1, 5.3, 5.0], "faster"),  # bf16 faster: say so
        ([9.0, 9.5, 9.1, 9.9, 9.2], [5.0, 5.2, 5.1, 5.3, 5.0], "slower"),
        ([4.0, 6.0, 4.5, 5.5, 5.1], [5.0, 5.2, 5.1, 5.3, 5.0], "noise"),  # overlapping runs
        ([4.0, 4.1, 4.2], [5.0, 5.2, 5.1], "too few runs"),  # p = 2/20 even if separated
        ([1.0], [9.0], "too few runs"),
        ([4.0, 4.1, 4.2, 4.0], [5.0, 5.2, 5.1, 5.3], "faster"),  # 4 and 4: p = 2/70 < 0.05
    ],
)
def test_latency_verdicts_need_every_run_on_one_side(a, b, verdict):
    c = compare_latency(a, b)
    assert c.verdict == verdict
    assert c.spread_a == (min(a), max(a)) and c.spread_b == (min(b), max(b))
    assert c.ratio == pytest.approx(statistics.median(a) / statistics.median(b))
    if verdict in ("faster", "slower"):
        assert c.p_value is not None and c.p_value < 0.05
    if verdict == "noise":
        assert c.p_value is None


def test_latency_comparison_rejects_empty_runs():
    with pytest.raises(ValueError):
        compare_latency([], [1.0])
