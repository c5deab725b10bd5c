from __future__ import annotations

import copy

import pytest
import torch

from core.generation import greedy_ids
from core.prune import (
    PruneConfig,
    head_importance,
    neuron_importance,
    prune_model,
    rebuild,
    remove_heads,
    remove_neurons,
)
from core.quantization.measure import saved_bytes, state_bytes
from tests.core.prune.models import tiny_gpt2

E, H, D, N = 16, 4, 4, 64  # the test model: width, heads, head width, MLP neurons


def silenced(model, heads=None, neurons=None):
    """A copy whose removed heads / neurons write nothing: their rows of c_proj set to zero.
    Removing them must compute exactly this."""
    m = copy.deepcopy(model)
    with torch.no_grad():
        for layer, hs in (heads or {}).items():
            for h in hs:
                m.transformer.h[layer].attn.c_proj.weight[h * D : (h + 1) * D] = 0
        for layer, ns in (neurons or {}).items():
            m.transformer.h[layer].mlp.c_proj.weight[list(ns)] = 0
    return m


@pytest.mark.parametrize("sparsity", [0.0, 0.25, 0.5, 0.75])
def test_removing_heads_drops_exactly_their_rows_and_columns(model, ids, sparsity):
    p = prune_model(model, PruneConfig(method="heads", sparsity=sparsity))
    k = round(sparsity * H)
    assert all(len(v) == k for v in p.removed_heads.values())
    per_head = E * 3 * D + 3 * D + D * E  # c_attn columns and biases, c_proj rows
    assert p.n_params_before - p.n_params_after == 2 * k * per_head
    assert [b.attn.num_heads for b in p.model.transformer.h] == [H - k] * 2
    out = p.model(ids).logits
    assert out.shape == model(ids).logits.shape
    ref = silenced(model, heads=p.removed_heads)(ids).logits
    assert torch.allclose(out, ref, atol=1e-5)


@pytest.mark.parametrize("sparsity", [0.0, 0.25, 0.5, 0.9])
def test_removing_neurons_drops_exactly_their_rows_and_columns(model, ids, sparsity):
    p = prune_model(model, PruneConfig(method="neurons", sparsity=sparsity))
    k = round(sparsity * N)
    assert all(len(v) == k for v in p.removed_neurons.values())
    assert p.n_params_before - p.n_params_after == 2 * k * (E + 1 + E)
    assert p.model.config.n_inner == N - k
    ref = silenced(model, neurons=p.removed_neurons)(ids).logits
    assert torch.allclose(p.model(ids).logits, ref, atol=1e-5)


@pytest.mark.parametrize("method", ["heads", "neurons"])
def test_a_smaller_model_still_generates(model, ids, method):
    p = prune_model(model, PruneConfig(method=method, sparsity=0.5))
    out = p.model.generate(ids[:1], max_new_tokens=5, do_sample=False, pad_token_id=0)
    assert out.shape == (1, ids.shape[1] + 5)
    # the KV cache (transformers' generate) and a plain re-read (ours) pick the same tokens
    assert list(greedy_ids(p.model, ids[0].tolist(), max_new_tokens=5)) == out[0, -5:].tolist()


def test_the_least_important_go_first(model):
    p = prune_model(model, PruneConfig(method="heads", sparsity=0.5))
    scores = head_importance(model)
    for layer, gone in p.removed_heads.items():
        kept = [h for h in range(H) if h not in gone]
        assert scores[layer, list(gone)].max() <= scores[layer, kept].min()
    p = prune_model(model, PruneConfig(method="neurons", sparsity=0.5))
    scores = neuron_importance(model)
    for layer, gone in p.removed_neurons.items():
        kept = [n for n in range(N) if n not in gone]
        assert scores[layer, list(gone)].max() <= scores[layer, kept].min()


def test_structured_pruning_shrinks_the_saved_file(model):
    before = saved_bytes(model, "fp32")[0]
    for method in ("heads", "neurons"):
        p = prune_model(model, PruneConfig(method=method, sparsity=0.5))
        removed = p.n_params_before - p.n_params_after
        assert state_bytes(model) - state_bytes(p.model) == 4 * removed  # fp32
        assert saved_bytes(p.model, "fp32")[0] < before - 3 * removed


def test_removed_heads_are_recorded_in_the_original_numbering():
    m = tiny_gpt2()
    remove_heads(m, {0: [1]})
    remove_heads(m, {0: [0], 1: [3]})  # now head 0 is the original 0
    remove_heads(m, {0: [0]})  # and now the original 2
    assert m.config.pruned_heads == {0: [0, 1, 2], 1: [3]}
    assert m.transformer.h[0].attn.num_heads == 1


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda m: remove_heads(m, {0: [0, 1, 2, 3]}), "removing all 4 heads of layer 0"),
        (lambda m: remove_heads(m, {0: [4]}), "layer 0 has heads 0..3"),
        (lambda m: remove_heads(m, {5: [0]}), "layer 5 does not exist"),
        (lambda m: remove_neurons(m, {1: range(N)}), "removing all 64 MLP neurons of layer 1"),
        (lambda m: remove_neurons(m, {0: [N]}), "layer 0 has neurons 0..63"),
        (lambda m: prune_model(m, PruneConfig(method="heads", sparsity=0.9)), "every head"),
        (lambda m: prune_model(m, PruneConfig(method="neurons", sparsity=0.995)), "all 64"),
    ],
)
def test_pruning_a_layer_empty_is_refused(model, call, message):
    with pytest.raises(ValueError, match=message):
        call(model)


def test_a_saved_pruned_model_rebuilds_with_the_same_outputs(model, ids, tmp_path):
    from safetensors.torch import load_file
    from transformers import GPT2Config

    p = prune_model(model, PruneConfig(method="heads", sparsity=0.5))
    p = prune_model(p.model, PruneConfig(method="neurons", sparsity=0.25))
    p.model.save_pretrained(tmp_path)
    config = GPT2Config.from_pretrained(tmp_path)
    assert config.pruned_heads == {str(k): list(v) for k, v in p.model.config.pruned_heads.items()}
    again = rebuild(config, load_file(tmp_path / "model.safetensors"))  # ties lm_head itself
    assert torch.equal(again(ids).logits, p.model(ids).logits)


def test_weights_of_another_shape_do_not_rebuild(model):
    p = prune_model(model, PruneConfig(method="heads", sparsity=0.5))
    with pytest.raises(RuntimeError, match="size mismatch"):
        rebuild(p.model.config, model.state_dict())
    state = {k: v for k, v in p.model.state_dict().items() if "ln_f" not in k}
    with pytest.raises(ValueError, match="missing"):
        rebuild(p.model.config, state)
