"""The one table: every candidate measured the same way, fp32 first, nothing mutated."""

from __future__ import annotations

import dataclasses

import pytest
import torch

from core.distill import StudentConfig, build_student
from core.optimize import CANDIDATE_NAMES, CompareConfig, compare
from core.prune import PruneConfig, RecoverConfig

SMALL = dict(n_eval=8, latency_runs=2, n_task_items=2, shots=0)


@pytest.fixture(scope="module")
def tiny():
    from core import models

    return models.load_causal_lm("tiny-gpt")


@pytest.fixture(scope="module")
def student(tiny):
    return build_student(tiny.model, StudentConfig(n_layer=1, n_head=2, n_embd=32), seed=0)


@pytest.fixture(scope="module")
def table(tiny, student):
    before = {k: v.clone() for k, v in tiny.model.state_dict().items()}
    cfg = CompareConfig(
        candidates=CANDIDATE_NAMES,
        prune=PruneConfig(method="heads", sparsity=0.5),
        recover=RecoverConfig(steps=2),
        **SMALL,
    )
    res = compare(tiny, cfg, student=student)
    after = tiny.model.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before)  # the cached model is only read
    return res


def test_every_candidate_has_a_row_fp32_first(table):
    assert [r.name for r in table.rows] == list(CANDIDATE_NAMES)
    assert all(r.measurement is not None for r in table.rows), [r.reason for r in table.rows]
    fp32 = table.row("fp32").measurement
    assert fp32.kl == pytest.approx(0.0, abs=1e-6) and fp32.top1 == 1.0
    assert table.student == "given" and table.student_shape == (1, 2, 32)
    assert table.n_task_items == 2


def test_sizes_follow_what_each_method_removes(table):
    m = {r.name: r.measurement for r in table.rows}
    assert m["int8"].disk_bytes < m["fp32"].disk_bytes
    assert m["int4"].disk_bytes < m["int8"].disk_bytes
    assert m["distilled"].n_params < m["pruned"].n_params < m["fp32"].n_params
    assert m["distilled+int8"].disk_bytes < m["distilled"].disk_bytes
    assert m["pruned+int8"].disk_bytes < m["pruned"].disk_bytes
    assert m["pruned+ft"].n_params == m["pruned"].n_params  # fine-tuning adds no weight
    # quantizing keeps the parameter count; the quality changes
    assert m["int8"].n_params == m["fp32"].n_params
    assert m["int4"].kl > 0 and m["distilled"].kl > m["int8"].kl  # an untrained student


def test_the_frontier_is_undominated(table):
    for cost, quality in [("disk_bytes", "kl"), ("latency_ms", "top1"), ("peak_bytes", "kl")]:
        front = table.frontier(cost, quality)
        assert front and "distilled+int8" in front or cost != "disk_bytes"
        sign = -1 if quality == "top1" else 1
        pts = {
            r.name: (getattr(r.measurement, cost), sign * getattr(r.measurement, quality))
            for r in table.rows
        }
        for name, p in pts.items():
            beaten = any(q[0] <= p[0] and q[1] <= p[1] and q != p for q in pts.values())
            assert (name in front) == (not beaten), (cost, quality, name)
    with pytest.raises(ValueError):
        table.frontier("colour", "kl")


def test_unstructured_zeros_keep_the_file_the_same_size(tiny):
    cfg = CompareConfig(
        candidates=("pruned",), prune=PruneConfig(method="global", sparsity=0.5), **SMALL
    )
    res = compare(tiny, cfg)
    assert res.student is None
    fp32, pruned = res.row("fp32").measurement, res.row("pruned").measurement
    assert pruned.disk_bytes == fp32.disk_bytes and pruned.n_params == fp32.n_params
    assert pruned.kl > 0


def test_a_stop_keeps_the_rows_measured_so_far(tiny):
    calls = []
    cfg = CompareConfig(candidates=("int8", "int4"), **SMALL)

    def stop() -> bool:
        calls.append(1)
        return len(calls) > 1  # after int8 was built

    res = compare(tiny, cfg, should_stop=stop)
    assert [r.name for r in res.rows] == ["fp32", "int8"]


def test_a_student_of_another_vocabulary_is_refused(tiny):
    from tests.core.prune.models import tiny_gpt2

    with pytest.raises(ValueError, match="vocabulary"):
        compare(tiny, CompareConfig(candidates=("distilled",), **SMALL), student=tiny_gpt2())


@pytest.mark.parametrize(
    "bad",
    [
        dict(candidates=("fp64",)),
        dict(candidates=("int8", "int8")),
        dict(n_eval=0),
        dict(latency_runs=0),
    ],
)
def test_bad_configs_are_refused(bad):
    with pytest.raises(ValueError):
        CompareConfig(**bad)


def test_ordered_puts_fp32_first():
    assert CompareConfig(candidates=("pruned", "int4")).ordered == ("fp32", "int4", "pruned")
    assert dataclasses.replace(CompareConfig(), candidates=()).ordered == ("fp32",)


def test_sparsity_zero_prunes_nothing(tiny):
    cfg = CompareConfig(
        candidates=("pruned",), prune=PruneConfig(method="global", sparsity=0.0), **SMALL
    )
    pruned = compare(tiny, cfg).row("pruned").measurement
    assert pruned.kl == pytest.approx(0.0, abs=1e-6) and pruned.top1 == 1.0


def test_the_table_shows_the_quantization_pages_numbers(tiny):
    """The same windows, the same fp32 reference, the same schemes: the same quality figures."""
    from core import quantization as q

    cfg = CompareConfig(candidates=("int8", "int4"), **SMALL)
    ours = compare(tiny, cfg)
    theirs = {
        r.scheme: r
        for r in q.compare(
            tiny,
            ["int8", "int4"],
            q.causal_eval_data(cfg.n_eval),
            config=q.QuantConfig(n_eval=cfg.n_eval, latency_runs=1, max_new_tokens=1),
        )
    }
    for name in ("fp32", "int8", "int4"):
        m, r = ours.row(name).measurement, theirs[name]
        assert m.perplexity == pytest.approx(r.perplexity, rel=1e-6), name
        assert m.kl == pytest.approx(r.kl_from_fp32, abs=1e-7), name
        assert m.top1 == pytest.approx(r.top1_agreement), name
        assert m.disk_bytes == r.disk_bytes and m.memory_bytes == r.param_bytes, name
