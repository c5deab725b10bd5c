"""core.quantization.verdicts: latency verdicts against fp32, the quality ranking (and the
scheme with fewer bits that beat one with more), the disk ratio."""

from __future__ import annotations

import statistics
from dataclasses import replace

import pytest

from core import quantization as q


def _result(scheme: str, runs: tuple[float, ...] = (5.0,), **fields) -> q.QuantResult:
    s = q.get_scheme(scheme)
    median = statistics.median(runs) if runs else None
    return q.QuantResult(
        scheme, s.label, s.bits, s.library, True, latency_ms=median, latency_runs_ms=runs, **fields
    )


FP32 = (5.0, 5.2, 5.1, 5.3, 5.0)


# --- latency ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("runs", "verdict"),
    [
        ((4.0, 4.1, 4.2, 4.0, 4.3), "faster"),
        ((9.0, 9.5, 9.1, 9.9, 9.2), "slower"),
        ((4.0, 6.0, 4.5, 5.5, 5.1), "noise"),
        ((4.0,), "too few runs"),
    ],
)
def test_latency_verdict_per_scheme_against_fp32(runs, verdict):
    cmp = q.latency_vs_fp32([_result("fp32", FP32), _result("bf16", runs)])
    assert list(cmp) == ["bf16"]
    assert cmp["bf16"].verdict == verdict
    assert cmp["bf16"].ratio == pytest.approx(statistics.median(runs) / 5.1)


def test_latency_leaves_out_untimed_and_unsupported_schemes_and_needs_fp32():
    rs = [
        _result("fp32", FP32),
        _result("int4", ()),
        replace(_result("int8", FP32), supported=False),
        _result("fp16", FP32),
    ]
    assert list(q.latency_vs_fp32(rs)) == ["fp16"]
    assert q.latency_vs_fp32(rs[1:]) == {}
    assert q.latency_vs_fp32([_result("fp32", ()), _result("fp16", FP32)]) == {}


# --- quality ------------------------------------------------------------------------------------
def _scored(metric: str, values: dict[str, float]) -> list[q.QuantResult]:
    return [_result("fp32"), *(_result(s, **{metric: v}) for s, v in values.items())]


def test_quality_ranking_names_the_widest_upset():
    rank = q.rank_quality(_scored("kl_from_fp32", {"bf16": 3e-5, "int8": 1e-6, "int4": 2e-4}))
    assert rank is not None and rank.metric == "kl_from_fp32"
    assert (rank.best.scheme, rank.worst.scheme) == ("int8", "int4")
    assert rank.upset is not None
    assert [r.scheme for r in rank.upset] == ["int8", "bf16"]  # 8 bits closer than 16
    assert rank.value(rank.best) == 1e-6


def test_quality_ranking_without_upset_when_quality_falls_with_the_bits():
    rank = q.rank_quality(_scored("kl_from_fp32", {"bf16": 1e-6, "int8": 1e-5, "int4": 2e-4}))
    assert rank is not None and rank.upset is None
    assert (rank.best.scheme, rank.worst.scheme) == ("bf16", "int4")


def test_encoder_quality_is_ranked_by_cosine_higher_is_closer():
    values = {"fp16": 0.99999, "int8": 0.9999, "int4": 0.9995}
    rank = q.rank_quality(_scored("cosine_to_fp32", values), "encoder")
    assert rank is not None and rank.metric == "cosine_to_fp32"
    assert (rank.best.scheme, rank.worst.scheme, rank.upset) == ("fp16", "int4", None)
    flipped = q.rank_quality(_scored("cosine_to_fp32", values | {"int4": 1.0}), "encoder")
    # int4 beats both: the pair with the widest margin is int4 over int8
    assert flipped is not None and flipped.best.scheme == "int4"
    assert flipped.upset is not None and [r.scheme for r in flipped.upset] == ["int4", "int8"]


def test_quality_ranking_is_none_without_a_scored_scheme():
    assert q.rank_quality([_result("fp32", kl_from_fp32=0.0), _result("int4")]) is None


# --- size ---------------------------------------------------------------------------------------
def test_disk_ratio_against_fp32():
    rs = [_result("fp32", disk_bytes=800), _result("int4", disk_bytes=200), _result("int8")]
    assert q.disk_ratio(rs, "int4") == 4.0
    assert q.disk_ratio(rs, "int8") is None  # not saved
    assert q.disk_ratio(rs, "int2") is None  # not run
    assert q.disk_ratio(rs[1:], "int4") is None  # no fp32
