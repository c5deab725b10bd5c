from __future__ import annotations

import pytest
import torch

from core.models import load_causal_lm
from core.prune import PruneConfig, SweepConfig, sentiment_cases, sweep
from core.quantization.measure import causal_eval_data, encoder_eval_data

SMALL = SweepConfig(n_windows=2, n_task_items=2, shots=1, latency_runs=1)


@pytest.fixture(scope="module")
def tiny():
    return load_causal_lm("tiny-gpt")


@pytest.fixture(scope="module")
def data():
    return causal_eval_data(n_docs=8)


def test_an_unstructured_sweep_measures_every_point_and_nothing_shrinks(tiny, data):
    before = {k: v.clone() for k, v in tiny.model.state_dict().items()}
    steps = []
    cfg = PruneConfig(method="global", sparsity=0.5)
    r = sweep(
        tiny, cfg, [0.0, 0.5, 0.9], data, sweep_config=SMALL, on_step=lambda *a: steps.append(a)
    )
    ref, zero, half, most = r.reference, *r.points
    assert (zero.kl, zero.top1, zero.perplexity) == (0.0, 1.0, ref.perplexity)
    assert [p.achieved for p in r.points] == pytest.approx([0.0, 0.5, 0.9], abs=1e-6)
    assert most.kl > half.kl > 0 and most.perplexity > ref.perplexity
    # global pruning: the zeros fall unevenly over the blocks, 90% of the weights in all
    assert len(set(most.layer_sparsity)) > 1 and zero.layer_sparsity == (0.0,) * 4
    sizes = [
        sum(m.weight.numel() for m in b.modules() if hasattr(m, "nf"))
        for b in tiny.model.transformer.h
    ]
    assert sum(s * n for s, n in zip(most.layer_sparsity, sizes, strict=True)) == pytest.approx(
        0.9 * sum(sizes), abs=1
    )
    # measured, not assumed: the zeros are stored like any other weight
    assert {p.disk_bytes for p in r.points} == {ref.disk_bytes}
    assert {p.n_params for p in r.points} == {ref.n_params}
    assert "100% of the original" in r.size_note and not r.disk_shrinks
    assert all(p.task_accuracy is not None for p in (ref, *r.points))
    assert r.n_windows == 2 and r.n_task_items == 2
    n_layers = tiny.model.config.n_layer
    assert sorted(x.layer for x in r.layer_losses) == list(range(n_layers))
    assert [x.kl for x in r.layer_losses] == sorted((x.kl for x in r.layer_losses), reverse=True)
    assert len(steps) == 1 + 3 + n_layers + 1 and steps[-1][2] == "done"
    assert all(torch.equal(before[k], v) for k, v in tiny.model.state_dict().items())


@pytest.mark.parametrize("method", ["heads", "neurons"])
def test_a_structured_sweep_shrinks_the_file_and_the_parameters(tiny, data, method):
    sw = SweepConfig(n_windows=2, n_task_items=0, latency_runs=1, layer_losses=False)
    r = sweep(tiny, PruneConfig(method=method), [0.25, 0.5], data, sweep_config=sw)
    disk = [r.reference.disk_bytes] + [p.disk_bytes for p in r.points]
    params = [r.reference.n_params] + [p.n_params for p in r.points]
    assert disk == sorted(disk, reverse=True) and len(set(disk)) == 3
    assert params == sorted(params, reverse=True) and len(set(params)) == 3
    assert r.disk_shrinks and "shrinks the saved file" in r.size_note
    assert r.points[0].task_accuracy is None and r.layer_losses == ()
    assert r.points[1].layer_sparsity == (0.5,) * 4


@pytest.mark.parametrize(
    ("sparsities", "method", "message"),
    [
        ([], "global", "at least one sparsity"),
        ([0.5, 1.5], "global", "sparsity must be between 0 and 1"),
        ([-0.1], "per-layer", "sparsity must be between 0 and 1"),
        ([1.0], "heads", "every head"),
    ],
)
def test_hostile_sweeps_are_refused_before_any_work(tiny, data, sparsities, method, message):
    with pytest.raises(ValueError, match=message):
        sweep(tiny, PruneConfig(method=method, sparsity=0.5), sparsities, data)


def test_encoder_data_is_refused(tiny):
    with pytest.raises(ValueError, match="causal evaluation data"):
        sweep(tiny, PruneConfig(), [0.5], encoder_eval_data(n_test=4))


def test_sentiment_cases_are_the_heldout_items_after_the_shots():
    cases = sentiment_cases(4, 2)
    assert [c.gold for c in cases] == ["positive", "negative", "positive", "negative"]
    assert all(c.prompt.count("Sentiment:") == 3 for c in cases)


@pytest.mark.parametrize("method", ["global", "per-layer", "heads", "neurons"])
def test_pruning_one_layer_leaves_the_others_alone(method):
    from core.prune import prune_layer, target_modules
    from tests.core.prune.models import tiny_gpt2

    model = tiny_gpt2()
    pm = prune_layer(model, PruneConfig(method=method, sparsity=0.5), 1)
    a, b = model.state_dict(), pm.state_dict()
    assert sorted(a) == sorted(b)
    changed = {
        k.split(".")[2] for k in a if a[k].shape != b[k].shape or not torch.equal(a[k], b[k])
    }
    assert changed == {"1"}
    if method in ("global", "per-layer"):
        block = [m for n, m in target_modules(pm) if n.startswith("transformer.h.1.")]
        zeros = [int((m.weight == 0).sum()) for m in block]
        sizes = [m.weight.numel() for m in block]
        assert sum(zeros) == sum(sizes) // 2
        if method == "per-layer":
            assert zeros == [n // 2 for n in sizes]


def test_latency_is_judged_against_the_original_in_turns(tiny, data):
    sw = SweepConfig(n_windows=1, n_task_items=0, latency_runs=5, layer_losses=False)
    r = sweep(tiny, PruneConfig(method="neurons"), [0.0, 0.75], data, sweep_config=sw)
    assert r.reference.latency_verdict == "noise" and r.reference.latency_ratio == 1.0
    for p in r.points:
        assert len(p.latency_runs_ms) == 5
        assert p.latency_verdict in ("faster", "slower", "noise")
        # timed in turns with the original: a real ratio of two medians, not the 1.0 placeholder
        assert p.latency_ratio > 0 and p.latency_ratio != 1.0
        assert p.peak_bytes > p.memory_bytes
    # three quarters of the MLP neurons gone: less to hold during a forward pass
    assert r.points[-1].peak_bytes < r.reference.peak_bytes
    assert f"{r.points[-1].latency_ratio:.2f}x" in r.size_note
